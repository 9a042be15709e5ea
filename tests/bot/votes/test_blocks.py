"""The Schaalvraag's Block Kit builders: what people see, within Slack's limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.kit.payloads import Ref, decode
from bot.kit.scale_words import direction, scale_of, scale_title, score_words
from bot.meetings.summary import with_summary_part
from bot.votes.blocks import (
    Ballot,
    Results,
    RoundLine,
    bar_chart,
    name_lines,
    number,
    results_messages,
    summary_blocks,
    trend_message,
    voting_message,
)
from bot.votes.involved import views_modal
from flows.catalogue import load_catalogue
from flows.scale import RoundScores, Tally, trend
from flows.steps import Step, StepKind, phase_steps

CATALOGUE = load_catalogue()
TZ = ZoneInfo("Europe/Amsterdam")


def scale_step(phase: str = "directe_veiligheid") -> Step:
    return next(s for s in phase_steps(CATALOGUE.phase(phase)) if s.kind is StepKind.SCALE)


def checked(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Round-trip through slack_sdk's models: its limits are checked on the way."""
    assert len(blocks) <= 50
    parsed = Block.parse_all(blocks)
    assert [b.to_dict() for b in parsed] == blocks
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= (150 if block["type"] == "header" else 3000)
    return blocks


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def users(n: int) -> list[str]:
    return [f"U0VOTER{i:04d}" for i in range(n)]


def test_the_voting_message_has_ten_buttons_the_labels_and_who_voted() -> None:
    step = scale_step()
    blocks = checked(voting_message("nl", Ballot(step, 12, 1, voters=["U1", "U2"], eligible=6)))
    text = all_text(blocks)
    assert "ronde 1" in text and "hoe bezorgd" in text
    assert "1 = Zeer bezorgd" in text and "10 = Niet bezorgd: voldoende veilig" in text
    assert "Gestemd: 2 van 6" in text and "<@U1>, <@U2>" in text
    scores = next(b for b in blocks if b.get("block_id") == "scores")["elements"]
    assert [e["text"]["text"] for e in scores] == [str(n) for n in range(1, 11)]
    assert [e["action_id"] for e in scores] == [f"vote_{n}" for n in range(1, 11)]
    refs = [decode(e["value"]) for e in scores]
    assert refs[6] == Ref(meeting_id=12, scale_round=1, choice="7")
    reveal = next(b for b in blocks if b.get("block_id") == "reveal")["elements"][0]
    assert reveal["action_id"] == "vote_reveal" and "confirm" in reveal


def test_a_closed_ballot_has_no_buttons() -> None:
    blocks = checked(voting_message("en", Ballot(scale_step(), 1, 2, ["U1"], 3, open=False)))
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "Round 2 is closed" in all_text(blocks) and "1 of 3" in all_text(blocks)


@pytest.mark.parametrize("count", [0, 1, 200, 1000])
def test_any_number_of_voters_fits_and_the_count_stays_exact(count: int) -> None:
    blocks = checked(voting_message("nl", Ballot(scale_step(), 1, 1, users(count), count)))
    text = all_text(blocks)
    assert f"Gestemd: {count} van {count}" in text
    named = text.count("<@U0VOTER")
    if named < count:
        assert f"en nog {count - named}" in text  # said, never silently cut
    if count == 200:
        assert named == 200


def test_names_are_split_between_mentions_never_inside_one() -> None:
    pieces = name_lines(users(500), limit=300)
    assert all(len(p) <= 300 for p in pieces)
    assert ", ".join(pieces).split(", ") == [f"<@{u}>" for u in users(500)]


def test_the_bar_chart_scales_to_the_longest_bar() -> None:
    chart = bar_chart(Tally.of([7, 7, 7, 7, 3, 10]), width=8)
    lines = chart.strip("`\n").split("\n")
    assert len(lines) == 10 and lines[0].startswith("10 │")
    assert lines[3] == " 7 │ ████████   4"
    assert lines[7] == " 3 │ ██         1"
    assert lines[9] == " 1 │            0"


def test_results_show_every_score_by_name_the_stats_and_the_spread_ask() -> None:
    step = scale_step()
    votes = {"U1": 3, "U2": 7, "U3": 8, "U4": 7}
    results = Results(step, 5, 1, votes, eligible=6, spread_threshold=3, named=True)
    messages = results_messages("nl", results)
    assert len(messages) == 1
    blocks = checked(messages[0])
    text = all_text(blocks)
    assert "*Mediaan:* 7 · *Laagste–hoogste:* 3–8 · *Gestemd:* 4 van 6" in text
    assert "*7* — <@U2>, <@U4>" in text and "*3* — <@U1>" in text
    assert "5 punten uit elkaar. <@U1> (laagste score) en <@U3> (hoogste score)" in text
    assert "Wat is de onderbouwing voor het cijfer?" in text
    buttons = blocks[-2]["elements"]
    assert [b["action_id"] for b in buttons] == ["vote_new_round", "family_view_open"]
    assert "Alleen regisseurs" in blocks[-1]["elements"][0]["text"]


def test_without_names_the_results_show_only_the_distribution() -> None:
    step = scale_step()
    votes = {"U1": 3, "U2": 7, "U3": 8, "U4": 7}
    messages = results_messages("nl", Results(step, 5, 1, votes, eligible=6, spread_threshold=3))
    text = all_text(checked(messages[0]))
    assert "<@" not in text and "per persoon" not in text
    assert "*Gestemd:* 4 van 6 aanwezigen" in text and " 7 │ " in text
    assert "5 punten uit elkaar (3 tot 8)" in text and "privé" in text


def test_close_scores_need_no_spread_ask_and_halves_use_the_languages_mark() -> None:
    step = scale_step()
    votes = {"U1": 6, "U2": 7}
    nl = all_text(results_messages("nl", Results(step, 5, 1, votes, 2, 3))[0])
    en = all_text(results_messages("en", Results(step, 5, 1, votes, 2, 3))[0])
    assert "uit elkaar" not in nl and "*Mediaan:* 6,5" in nl and "*Median:* 6.5" in en


def test_a_round_without_votes_says_so() -> None:
    blocks = checked(results_messages("nl", Results(scale_step(), 5, 1, {}, 6, 3))[0])
    assert "niet gestemd" in all_text(blocks) and "Mediaan" not in all_text(blocks)


def test_results_of_a_thousand_voters_are_split_over_messages_within_limits() -> None:
    votes = {u: 1 + i % 10 for i, u in enumerate(users(1000))}
    messages = results_messages("nl", Results(scale_step(), 5, 1, votes, 1000, 3, named=True))
    for blocks in messages:
        checked(blocks)
    text = "".join(all_text(b) for b in messages)
    assert all(f"<@{u}>" in text for u in users(1000))


def test_the_views_modal_asks_per_role_each_optional_with_the_scale_labels() -> None:
    current = {"pleger": (3, "Ziet geen probleem")}
    view = views_modal("nl", scale_step("herstelgerichte_zorg"), Ref(meeting_id=3), current)
    assert len(view["title"]["text"]) <= 24 and view["callback_id"] == "family_view"
    assert decode(view["private_metadata"]) == Ref(meeting_id=3)
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert all(b.get("optional") for b in inputs.values())
    score = inputs["involved_score:slachtoffer"]
    assert score["element"]["type"] == "number_input"
    assert (score["element"]["min_value"], score["element"]["max_value"]) == ("1", "10")
    assert "Slachtoffer" in score["label"]["text"] and "Kind 2" in all_text(view["blocks"])
    assert inputs["involved_score:pleger"]["element"]["initial_value"] == "3"
    assert inputs["involved_text:pleger"]["element"]["initial_value"] == "Ziet geen probleem"
    assert "Het hoogst haalbare voor dit gezin" in all_text(view["blocks"])
    assert len(view["blocks"]) <= 100


def test_the_summary_part_lists_rounds_family_view_and_trend() -> None:
    day = datetime(2026, 3, 3, 9, tzinfo=UTC)
    points = trend(
        [
            RoundScores(1, day, "directe_veiligheid", 1, Tally.of([2, 3, 4])),
            RoundScores(2, day, "directe_veiligheid", 1, Tally.of([5, 6])),
        ]
    )
    blocks = checked(
        summary_blocks(
            "nl",
            [RoundLine(1, Tally.of([5, 6])), RoundLine(2, Tally.of([]))],
            family=4,
            trend=points,
        )
    )
    text = all_text(blocks)
    assert "Ronde 1: mediaan 5,5 (laagste–hoogste 5–6, 2 stemmen)" in text
    assert "Ronde 2: niet gestemd" in text and "Visie van betrokkenen: 4" in text
    assert "3 → 5,5" in text


def test_the_summary_names_the_scale_and_draws_the_trend_on_it_only() -> None:
    day = datetime(2026, 3, 3, 9, tzinfo=UTC)
    dv, rgz = (
        "directe_veiligheid.schaalvraag.bezorgdheid",
        "risicogestuurde_zorg.schaalvraag.bezorgdheid",
    )
    points = trend(
        [
            RoundScores(1, day, "directe_veiligheid", 1, Tally.of([2, 3, 4]), scale=dv),
            RoundScores(2, day, "directe_veiligheid", 1, Tally.of([5, 6]), scale=dv),
            RoundScores(3, day, "risicogestuurde_zorg", 1, Tally.of([7]), scale=rgz),
        ]
    )
    title = scale_title("nl", CATALOGUE, rgz)
    text = all_text(
        checked(summary_blocks("nl", [RoundLine(1, Tally.of([7]))], None, points, title))
    )
    assert "Schaal: Risicogestuurde zorg (1 = zeer bezorgd … 10 = niet bezorgd)" in text
    assert "→" not in text  # one score on this scale: no trend across scales (3 → 5,5 → 7)


def test_the_summary_part_goes_before_the_closing_divider() -> None:
    messages = [[{"type": "section"}, {"type": "divider"}, {"type": "section", "id": "decision"}]]
    merged = with_summary_part(messages, [{"type": "section", "id": "scale"}])
    assert [b.get("id") for b in merged[0]] == [None, "scale", None, "decision"]
    full = [[{"type": "section"}] * 50]
    assert len(with_summary_part(full, [{"type": "section"}])) == 2


def test_the_trend_message_names_dates_phases_medians_and_each_scale() -> None:
    dv, herstel = (
        "directe_veiligheid.schaalvraag.bezorgdheid",
        ("herstelgerichte_zorg.schaalvraag.kwaliteit_van_leven"),
    )
    march, april = datetime(2026, 3, 3, 9, tzinfo=UTC), datetime(2026, 4, 7, 9, tzinfo=UTC)
    rounds = [
        RoundScores(1, march, "directe_veiligheid", 1, Tally.of([3]), scale=dv),
        RoundScores(1, march, "directe_veiligheid", 2, Tally.of([4]), scale=dv),
        RoundScores(2, april, "herstelgerichte_zorg", 1, Tally.of([8]), family=7, scale=herstel),
    ]
    phases = {p.key: p for p in CATALOGUE.phases}
    points = trend(rounds)
    titles = {p.scale: scale_title("nl", CATALOGUE, p.scale) for p in points}
    messages = trend_message("nl", code="ZVH-1", points=points, phases=phases, tz=TZ, titles=titles)
    text = all_text(checked(messages[0]))
    assert "casus ZVH-1" in text
    assert "di 3 mrt 2026 10:00 · Directe veiligheid · mediaan 4 · rondes: 3, 4" in text
    assert "mediaan 8 · visie van betrokkenen: 7" in text
    # One part per scale, each under its own title: never one line across scales.
    first = text.index("Schaal: Directe veiligheid (1 = zeer bezorgd … 10 = niet bezorgd)")
    second = text.index("Schaal: Herstelgerichte zorg (1 = zeer lage kwaliteit van leven")
    assert first < text.index("mediaan 4") < second < text.index("mediaan 8")


def test_every_score_is_told_in_words_with_the_direction() -> None:
    step = scale_step()
    assert step.scale is not None
    assert score_words("nl", step.scale, 8) == "weinig zorgen"
    assert score_words("nl", step.scale, 1) == "zeer veel zorgen"
    assert score_words("en", step.scale, 10) == "no or hardly any worries"
    assert "Hoe hoger het cijfer, hoe minder zorgen" in direction("nl", step.scale)
    herstel = scale_of(CATALOGUE, "herstelgerichte_zorg.schaalvraag.kwaliteit_van_leven")
    assert herstel is not None
    assert score_words("nl", herstel[1], 3) == "lage kwaliteit van leven"
    # A scale a region added gets words drawn from its own (configurable) labels.
    custom = replace(step.scale, key="x.schaalvraag.eigen")
    assert score_words("nl", custom, 10) == "niet bezorgd"


def test_numbers_print_without_needless_decimals() -> None:
    assert (number("nl", 6.0), number("nl", 6.5), number("en", 6.5), number("nl", None)) == (
        "6",
        "6,5",
        "6.5",
        "—",
    )


def test_the_trend_chart_is_a_png() -> None:
    from bot.votes.trend_chart import render_png

    points = trend(
        [
            RoundScores(
                1, datetime(2026, 3, 3, tzinfo=UTC), "directe_veiligheid", 1, Tally.of([3])
            ),
            RoundScores(2, None, "directe_veiligheid", 1, Tally.of([]), family=5),
        ]
    )
    labels = {"title": "t", "median": "m", "family": "f", "axis": "a"}
    assert render_png(points, labels, TZ).startswith(b"\x89PNG")
