"""The prep builders, checked by their output: what invitees and regisseurs are shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref, decode
from bot.prep.blocks import (
    MeetingInfo,
    PrepContent,
    answered_dm,
    closed_dm,
    overview_lines,
    parse_pre_score,
    prep_dm,
    prep_modal,
    prep_questions,
    status_blocks,
)
from flows.catalogue import load_catalogue
from storage.prep import PrepEntry, PrepStatus

CATALOGUE = load_catalogue()
AMS = ZoneInfo("Europe/Amsterdam")
PHASE1 = CATALOGUE.phase("directe_veiligheid")
PHASE2 = CATALOGUE.phase("risicogestuurde_zorg")
WHEN = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)  # do 17 dec 2026 10:00 in Amsterdam
INFO = MeetingInfo(code="ZVH-2026-014", phase=PHASE2, when=WHEN, tz=AMS)
REF = Ref(meeting_id=7)


def texts(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements") or []:
            inner = element.get("text")
            parts.append(inner["text"] if isinstance(inner, dict) else str(inner or ""))
    return "\n".join(parts)


def roundtrip(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Through slack_sdk's models: what they reject, Slack would reject too."""
    return [block.to_dict() for block in Block.parse_all(blocks)]


def test_the_prep_questions_are_vooraf_and_the_first_beeldvorming_question() -> None:
    vooraf = PHASE2.section("vooraf")
    beeldvorming = PHASE2.section("beeldvorming")
    assert vooraf is not None and beeldvorming is not None
    assert prep_questions(PHASE2) == (*vooraf.questions, beeldvorming.questions[0])
    current = prep_questions(PHASE2)[-1].text.nl
    assert current == "Wat is de huidige stand van zaken m.b.t. de directe veiligheid?"
    assert [q.text.nl for q in prep_questions(PHASE1)][:2] == [
        "Beeld van het gezin",
        "Welke hulpverlening is betrokken?",
    ]


def test_the_dm_names_the_meeting_and_its_button_carries_the_meeting() -> None:
    blocks = prep_dm("nl", INFO, REF)
    assert roundtrip(blocks) == blocks
    shown = texts(blocks)
    assert "ZVH-2026-014" in shown and "do 17 dec 2026 10:00" in shown
    assert "Risicogestuurde zorg" in shown and "niet onder je naam" in shown
    [button] = blocks[-1]["elements"]
    assert button["action_id"] == ActionId.PREP_OPEN and decode(button["value"]) == REF
    nudge = texts(prep_dm("en", INFO, REF, nudge=True))
    assert "not answered the prep questions yet" in nudge and "Thu 17 Dec 2026 10:00" in nudge


def test_answered_and_closed_dms() -> None:
    answered = answered_dm("nl", INFO, REF, saved_at=datetime(2026, 12, 14, 8, 30, tzinfo=UTC))
    assert "opgeslagen (ma 14 dec 2026 09:30)" in texts(answered)
    assert answered[-1]["elements"][0]["action_id"] == ActionId.PREP_OPEN
    closed = closed_dm("nl", INFO)
    assert "gesloten" in texts(closed)
    assert not [b for b in closed if b["type"] == "actions"]  # no button left to press


def test_the_modal_asks_the_guideline_questions_in_its_own_words() -> None:
    view = prep_modal("nl", INFO, REF)
    assert View(**view).to_dict() == view
    assert view["callback_id"] == ViewId.PREP and decode(view["private_metadata"]) == REF
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    questions = prep_questions(PHASE2)
    assert [b["block_id"] for b in inputs] == [q.key for q in questions] + [Field.PREP_SCORE]
    assert [b["label"]["text"] for b in inputs[:-1]] == [q.text.nl for q in questions]
    hint = inputs[0]["hint"]["text"]
    assert "• Wat is de gezinssamenstelling en thuissituatie?" in hint
    assert "• Werken betrokkenen mee?" in hint and "• Inventarisatie op alle leefgebieden" in hint
    assert inputs[1]["hint"]["text"] == "• Waar is deze hulp op gericht?"
    assert all(b["optional"] for b in inputs)
    assert all(b["element"].get("initial_value") is None for b in inputs[:-1])


def test_the_pre_score_is_a_1_to_10_select_with_the_end_labels() -> None:
    view = prep_modal("en", INFO, REF)
    score = next(b for b in view["blocks"] if b.get("block_id") == Field.PREP_SCORE)
    assert score["label"]["text"] == PHASE2.scale.text.en
    options = score["element"]["options"]
    assert [o["value"] for o in options] == [str(v) for v in range(1, 11)]
    assert options[0]["text"]["text"].startswith("1 — Very worried")
    assert options[9]["text"]["text"].startswith("10 — Not worried")
    assert [o["text"]["text"] for o in options[1:9]] == [str(v) for v in range(2, 10)]
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert "never who gave what" in score["hint"]["text"]
    assert "initial_option" not in score["element"]


def test_reopening_shows_what_was_stored() -> None:
    key = prep_questions(PHASE2)[0].key
    view = prep_modal("nl", INFO, REF, answers={key: "Moeder en twee kinderen."}, pre_score=6)
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id[key]["element"]["initial_value"] == "Moeder en twee kinderen."
    assert by_id[Field.PREP_SCORE]["element"]["initial_option"]["value"] == "6"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), ("10", 10), (None, None), ("0", None), ("11", None), ("x", None)],
)
def test_only_offered_scores_are_accepted(raw: object, expected: int | None) -> None:
    assert parse_pre_score(raw) == expected


def test_the_status_shows_who_answered_per_organisation() -> None:
    at = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    status = PrepStatus(
        meeting_id=7,
        entries=(
            PrepEntry("U0SANNE", "Wijkteam Utrecht-Oost", at),
            PrepEntry("U0JOOST", "Reclassering Nederland", None),
            PrepEntry("U0KEES", "Wijkteam Utrecht-Oost", None),
            PrepEntry("U0NEW", "", None),
        ),
    )
    blocks = status_blocks("nl", status)
    assert roundtrip(blocks) == blocks
    shown = texts(blocks)
    assert "1 van 4 beantwoord" in shown
    assert "• Wijkteam Utrecht-Oost: ✅ <@U0SANNE>, ⏳ <@U0KEES>" in shown
    assert "• Reclassering Nederland: ⏳ <@U0JOOST>" in shown
    assert "• organisatie onbekend: ⏳ <@U0NEW>" in shown
    assert status_blocks("nl", PrepStatus(meeting_id=7, entries=())) == []


def test_the_overview_groups_answers_per_question_by_organisation() -> None:
    beeld, hulp, stand = (q.key for q in prep_questions(PHASE2))
    lines = overview_lines(
        "nl",
        PHASE2,
        preps=[
            PrepContent(
                "Wijkteam Utrecht-Oost", {beeld: "Moeder en twee kinderen.", stand: "Rustig"}
            ),
            PrepContent("Politie Midden-Nederland", {beeld: "Melding <!channel> in mei & juni"}),
        ],
        missing=["Reclassering Nederland", "GGZ Centraal", "GGZ Centraal"],
        distribution={3: 1, 6: 2},
    )
    shown = "\n".join(lines)
    assert lines[:3] == [
        "*Beeld van het gezin*",
        "_Wijkteam Utrecht-Oost:_ Moeder en twee kinderen.",
        "_Politie Midden-Nederland:_ Melding &lt;!channel&gt; in mei &amp; juni",
    ]
    assert "*Welke hulpverlening is betrokken?*" not in shown  # nobody answered it
    assert "*Wat is de huidige stand van zaken m.b.t. de directe veiligheid?*" in shown
    assert "(alleen de verdeling; 3 ingevuld): 3: 1× · 6: 2×" in shown
    assert "_Niet voorbereid:_ Reclassering Nederland, GGZ Centraal" in shown
    assert "<@" not in shown  # by organisation, never by name
    assert hulp


def test_the_overview_when_nobody_answered_says_so_and_who_was_asked() -> None:
    lines = overview_lines("en", PHASE1, preps=[], missing=["GGZ Centraal"], distribution={})
    assert lines == ["_No preparation received yet._", "_Not prepared:_ GGZ Centraal"]


def test_a_single_pre_score_is_not_shown_even_as_a_distribution() -> None:
    from bot.prep.blocks import overview_lines
    from flows.catalogue import load_catalogue

    phase = load_catalogue().phase("directe_veiligheid")
    lines = overview_lines("nl", phase, preps=[], missing=[], distribution={7: 1})
    assert any("niet getoond" in line for line in lines)
    assert not any("7: 1×" in line for line in lines)
    shown = overview_lines("nl", phase, preps=[], missing=[], distribution={7: 1, 4: 1})
    assert any("4: 1× · 7: 1×" in line for line in shown)


# ----- the regisseurs' read and summary -----


def test_a_long_prep_is_split_over_messages_never_cut() -> None:
    from bot.prep.blocks import review_messages

    answer = "x" * 2900
    preps = [
        PrepContent(
            organisation=f"Organisatie {i}", texts={q.key: answer for q in prep_questions(PHASE2)}
        )
        for i in range(20)
    ]
    overview = overview_lines("nl", PHASE2, preps=preps, missing=[], distribution={3: 2, 6: 1})
    status = PrepStatus(meeting_id=7, entries=())
    parts = review_messages(
        "nl", INFO, overview=overview, status=status, summary="Kort & <goed>", summary_ref=REF
    )
    assert len(parts) > 1
    for blocks in parts:
        assert len(blocks) <= 50
        Block.parse_all(blocks)
        for block in blocks:
            assert len((block.get("text") or {}).get("text", "")) <= 3000
    shown = "".join(texts(blocks) for blocks in parts)
    assert shown.count(answer) == 20 * len(prep_questions(PHASE2))  # everything, nothing cut
    assert "Kort &amp; &lt;goed&gt;" in shown  # the summary is inert mrkdwn
    [button] = [b for b in parts[-1] if b["type"] == "actions"]
    assert button["elements"][0]["action_id"] == ActionId.PREP_SUMMARY_OPEN
    assert decode(button["elements"][0]["value"]) == REF
    assert "Samenvatting aanpassen" in str(button)


def test_once_the_meeting_started_the_read_has_no_summary_button() -> None:
    from bot.prep.blocks import review_messages

    parts = review_messages(
        "en",
        INFO,
        overview=[],
        status=PrepStatus(meeting_id=7, entries=()),
        summary=None,
        summary_ref=None,
    )
    assert all(b["type"] != "actions" for blocks in parts for b in blocks)
    assert "No summary yet." in texts(parts[0])


def test_the_summary_modal_holds_what_was_written() -> None:
    from bot.prep.blocks import summary_modal

    view = summary_modal("nl", INFO, REF, text="Eerste versie")
    View(**view)  # a valid view
    assert view["callback_id"] == ViewId.PREP_SUMMARY and len(view["title"]["text"]) <= 24
    [field] = [b for b in view["blocks"] if b.get("block_id") == Field.PREP_SUMMARY_TEXT]
    assert field["element"]["initial_value"] == "Eerste versie"
    assert field["element"]["max_length"] == 3000
