"""Meetings in each phase, moving forward and back between phases, a restart mid-meeting,
and replies that are edited or deleted."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.kit.i18n import t
from bot.reports.markdown import escape
from bot.server import start_bot
from flows.model import Decision, Outcome
from flows.steps import StepKind, phase_steps, step_by_key
from storage.audit import deciders
from storage.models import Contribution
from storage.slack_objects import objects_in_lane
from tests.e2e.conftest import CASE_CHANNEL, Harness, start_harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    current_question,
    decision_options,
    decision_value,
    end_meeting,
    hold_meeting,
    register_case,
    start_meeting,
    stored_case,
    stored_meeting,
    text_of,
    thread,
    walk_to_decision,
    walk_to_end,
)

REPO = Path(__file__).resolve().parents[2]


# Every branch of the guideline, at the question where the guideline puts it:
# (phase the meeting starts in, decision question, branch, how the meeting goes on after a
#  decision for another phase, the phase whose questions follow, the case's phase, its status).
BRANCHES = [
    # Directe veiligheid, Oordeelsvorming: "Indien het eerste, ga door hieronder. Indien het
    # laatste, ga door naar de fase van risicogestuurde zorg."
    ("directe_veiligheid", "oordeelsvorming.zorgen_of_risicos", "nog_zorgen", None),
    (
        "directe_veiligheid",
        "oordeelsvorming.zorgen_of_risicos",
        "door_naar_risicogestuurde_zorg",
        "meeting_next",
    ),
    (
        "directe_veiligheid",
        "oordeelsvorming.zorgen_of_risicos",
        "door_naar_risicogestuurde_zorg",
        "meeting_to_agreements",
    ),
    # Risicogestuurde zorg, Beeldvorming: "Indien hier zorgen om zijn, ga terug naar de fase van
    # directe veiligheid."
    ("risicogestuurde_zorg", "beeldvorming.stand_van_zaken", "geen_zorgen", None),
    (
        "risicogestuurde_zorg",
        "beeldvorming.stand_van_zaken",
        "terug_naar_directe_veiligheid",
        "meeting_next",
    ),
    (
        "risicogestuurde_zorg",
        "beeldvorming.stand_van_zaken",
        "terug_naar_directe_veiligheid",
        "meeting_to_agreements",
    ),
    # Oordeelsvorming: "Zijn er opnieuw zorgen om de directe veiligheid? Zo ja, ga terug ..."
    ("risicogestuurde_zorg", "oordeelsvorming.opnieuw_zorgen", "geen_nieuwe_zorgen", None),
    (
        "risicogestuurde_zorg",
        "oordeelsvorming.opnieuw_zorgen",
        "terug_naar_directe_veiligheid",
        "meeting_next",
    ),
    # "... of kunnen we gaan werken aan herstel? Indien het laatste, ga door naar ... herstel"
    ("risicogestuurde_zorg", "oordeelsvorming.zorgen_of_herstel", "nog_zorgen", None),
    (
        "risicogestuurde_zorg",
        "oordeelsvorming.zorgen_of_herstel",
        "door_naar_herstelgerichte_zorg",
        "meeting_next",
    ),
    (
        "risicogestuurde_zorg",
        "oordeelsvorming.zorgen_of_herstel",
        "door_naar_herstelgerichte_zorg",
        "meeting_to_agreements",
    ),
    # Herstelgerichte zorg, Beeldvorming: "... ga terug naar de fase van directe veiligheid of
    # risicogestuurde zorg."
    ("herstelgerichte_zorg", "beeldvorming.stand_van_zaken", "geen_zorgen", None),
    (
        "herstelgerichte_zorg",
        "beeldvorming.stand_van_zaken",
        "terug_naar_directe_veiligheid",
        "meeting_to_agreements",
    ),
    (
        "herstelgerichte_zorg",
        "beeldvorming.stand_van_zaken",
        "terug_naar_risicogestuurde_zorg",
        "meeting_next",
    ),
    # Oordeelsvorming: "Zijn er opnieuw zorgen om de directe of stabiele veiligheid? Zo ja, ..."
    ("herstelgerichte_zorg", "oordeelsvorming.opnieuw_zorgen", "geen_nieuwe_zorgen", None),
    (
        "herstelgerichte_zorg",
        "oordeelsvorming.opnieuw_zorgen",
        "terug_naar_directe_veiligheid",
        "meeting_next",
    ),
    (
        "herstelgerichte_zorg",
        "oordeelsvorming.opnieuw_zorgen",
        "terug_naar_risicogestuurde_zorg",
        "meeting_to_agreements",
    ),
    # "Zijn er nog stappen nodig om tot herstel te komen? Indien ja, ga door hieronder. Indien
    # nee, ga door naar besluitvorming en maak een afsluitingsplan."
    ("herstelgerichte_zorg", "oordeelsvorming.stappen", "nog_stappen", None),
    ("herstelgerichte_zorg", "oordeelsvorming.stappen", "afsluiten", None),
]


def _branch_id(branch: tuple[str, str, str, str | None]) -> str:
    phase, question, name, onward = branch
    way = {"meeting_next": "-beeldvorming", "meeting_to_agreements": "-afspraken"}.get(
        onward or "", ""
    )
    return f"{phase}.{question}.{name}{way}"


async def shown_questions(h: Harness) -> list[tuple[int, str, int]]:
    """The question messages the meeting posted, in order: (row id, phase, step index)."""
    meeting = await stored_meeting(h)
    assert meeting is not None
    async with h.db.session() as session:
        rows = await objects_in_lane(session, lane=f"meeting:{meeting.id}")
    shown = []
    for row in rows:
        if row.kind == "meeting.question":
            payload = json.loads(row.payload)
            shown.append((row.id or 0, payload.get("phase", meeting.phase), payload["step"]))
    return shown


async def decision_note_id(h: Harness, option: Decision) -> int:
    meeting = await stored_meeting(h)
    assert meeting is not None
    async with h.db.session() as session:
        rows = await objects_in_lane(session, lane=f"meeting:{meeting.id}")
    return next(
        row.id or 0
        for row in rows
        if row.kind == "meeting.decision"
        and json.loads(row.payload).get("question") == option.question_key
        and json.loads(row.payload).get("option") == option.name
    )


async def check_branch(
    h: Harness, branch: tuple[str, str, str, str | None], thread_ts: str, lang: str
) -> None:
    """After the decision the meeting asks only questions of the phase the branch leads to
    (from its Beeldvorming, or its Afspraken), ends at the Afspraken (or the Afsluitingsplan),
    the case is where the branch leads, and the record shows the decision at its question."""
    phase, question, name, onward = branch
    catalogue = h.bot.deps.catalogue
    option = catalogue.option(f"{phase}.{question}.{name}")
    assert option is not None
    asked_in = option.target if option.outcome.moves else phase
    assert asked_in is not None
    steps = phase_steps(catalogue.phase(asked_in))

    after = [q for q in await shown_questions(h) if q[0] > await decision_note_id(h, option)]
    assert after, "nothing was asked after the decision"
    assert {p for _, p, _ in after} == {asked_in}  # never a question of the phase it left
    first = steps[after[0][2]]
    if onward == "meeting_to_agreements":
        assert first.section.name == "afspraken"
        assert all(steps[i].section.name == "afspraken" for _, _, i in after)
    elif onward == "meeting_next":
        assert first.section.name == "beeldvorming"  # the Vooraf was just discussed
        assert any(steps[i].kind is StepKind.SCALE for _, _, i in after)  # its own Schaalvraag
    elif option.outcome is Outcome.CLOSE:
        assert first.section.name == "besluitvorming"  # "ga door naar besluitvorming"
    last = steps[after[-1][2]]
    closing = option.outcome is Outcome.CLOSE
    assert last.section.name == ("afsluitingsplan" if closing else "afspraken")

    case = await stored_case(h)
    assert case is not None
    if closing:
        # Decided to close: the case closes only once a regisseur settles the afsluitingsplan
        # and what is still open (issue 16), so it stays open and the summary says so.
        assert (case.phase, case.status) == (phase, "open")
    else:
        assert (case.phase, case.status) == (asked_in, "open")

    posted = "\n".join(text_of(m) for m in thread(h, thread_ts))
    at = step_by_key(catalogue, option.question_key)
    assert at is not None
    record = t(lang, "summary.decision", question=at.text.get(lang), decision="", by="")
    assert record.split(":")[0] in posted
    assert f"{at.text.get(lang)}_: {option.text.get(lang)}" in posted
    if closing:
        assert catalogue.phase(phase).section("afsluitingsplan").title.get(lang) in posted  # type: ignore[union-attr]
        assert t(lang, "closing.pending_summary") in posted
    else:
        assert "Indien de casus afgesloten wordt" not in posted
    async with h.db.session() as session:
        audited = await deciders(session, meeting_id=(await stored_meeting(h)).id or 0)  # type: ignore[union-attr]
    assert audited[option.key] == h.sb.user("karim").id


@pytest.mark.parametrize("branch", BRANCHES, ids=_branch_id)
async def test_each_branch_of_the_guideline_is_decided_at_its_question(
    harness: Harness, branch: tuple[str, str, str, str | None]
) -> None:
    h = harness
    phase, question, name, onward = branch
    await register_case(h, phase=phase)
    thread_ts = await hold_meeting(h, name, at=question, onward=onward or "meeting_next")
    await check_branch(h, branch, thread_ts, "nl")
    # The parent message shows the phase the meeting is in: the one the branch led to.
    option = h.bot.deps.catalogue.option(f"{phase}.{question}.{name}")
    now = option.target if option is not None and option.target else phase
    assert h.bot.deps.catalogue.phase(now).goal.nl in text_of(
        h.sb.message(CASE_CHANNEL, thread_ts) or {}
    )


@pytest.fixture
async def english_harness(
    make_settings: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """The bot with English as the workspace's language (SQLite)."""
    db_file = tmp_path_factory.mktemp("english") / "casusbot.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db_file}", "CASUSBOT_LANGUAGE": "en"}
    sb, app, running, settings = await start_harness(make_settings, env, socket_mode=False)
    try:
        yield Harness(sb, app, running, settings)
    finally:
        await running.stop()
        await sb.stop()


DONE_WHEN = (
    "directe_veiligheid",
    "oordeelsvorming.zorgen_of_risicos",
    "door_naar_risicogestuurde_zorg",
)


@pytest.mark.parametrize("onward", ["meeting_next", "meeting_to_agreements"])
@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_decided_to_go_on_to_risicogestuurde_zorg_at_the_first_judgement_question(
    harness: Harness, english_harness: Harness, lang: str, onward: str
) -> None:
    """The issue's scenario: a directe-veiligheid meeting decided "door naar risicogestuurde
    zorg" at "Zijn er nog zorgen om de directe veiligheid of kunnen we gaan werken aan de
    risico's?" goes on with risicogestuurde-zorg questions only (or its Afspraken); its record
    shows the decision at that question."""
    h = english_harness if lang == "en" else harness
    catalogue = h.bot.deps.catalogue
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to_decision(h, thread_ts)
    # Nothing of the Oordeelsvorming was asked before this question, and it is the first.
    judged = catalogue.option(f"directe_veiligheid.{DONE_WHEN[1]}.{DONE_WHEN[2]}")
    assert judged is not None
    at = step_by_key(catalogue, judged.question_key)
    assert at is not None and at.text.get(lang) in text_of(question)
    # The buttons are the guideline's own words.
    buttons = [
        b["elements"][0]["text"]["text"]
        for b in question["blocks"]
        if str(b.get("block_id", "")).startswith("decision:")
    ]
    assert buttons == [o.text.get(lang) for o in at.options]
    await click(
        h, "karim", "meeting_decide", question, value=decision_value(question, DONE_WHEN[2])
    )
    decided = current_question(h, thread_ts)
    assert "onward" in [b.get("block_id") for b in decided["blocks"]]
    await click(h, "petra", onward, decided, block_id="onward")
    await walk_to_end(h, thread_ts)
    await end_meeting(h, thread_ts)
    await check_branch(h, (*DONE_WHEN, onward), thread_ts, lang)
    posted = "\n".join(text_of(m) for m in thread(h, thread_ts))
    # "Brainstorm: ... directe veiligheid" of the phase it left is never asked.
    brainstorm = step_by_key(catalogue, "directe_veiligheid.besluitvorming.brainstorm")
    assert brainstorm is not None and brainstorm.text.get(lang) not in posted
    # The report (Markdown) shows the decision under its question.
    files = [
        (h.sb.file(info["id"]).name, h.sb.file(info["id"]).content or b"")
        for message in h.sb.messages(CASE_CHANNEL, thread_ts=thread_ts)
        for info in message.get("files") or []
    ]
    markdown = next(content for name, content in files if name.endswith(".md")).decode()
    here = t(lang, "report.decision_here")
    assert f"### {escape(at.text.get(lang))}" in markdown
    assert f"**{here}:** {escape(judged.text.get(lang))}" in markdown


async def test_a_decision_can_be_taken_at_the_beeldvorming(harness: Harness) -> None:
    """ "Wat is de huidige stand van zaken m.b.t. de directe veiligheid? Indien hier zorgen om
    zijn, ga terug": decided at the first Beeldvorming question, before any scale."""
    h = harness
    await register_case(h, phase="risicogestuurde_zorg")
    thread_ts = await start_meeting(h)
    question = await walk_to_decision(h, thread_ts)
    assert "Wat is de huidige stand van zaken m.b.t. de directe veiligheid?" in text_of(question)
    await click(
        h,
        "petra",
        "meeting_decide",
        question,
        value=decision_value(question, "terug_naar_directe_veiligheid"),
    )
    case = await stored_case(h)
    assert case is not None and case.phase == "directe_veiligheid"


async def test_forward_then_back_across_meetings(harness: Harness) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "door_naar_risicogestuurde_zorg", onward="meeting_to_agreements")
    second = await start_meeting(h)  # the next meeting starts in the new phase
    assert "Risicogestuurde zorg" in text_of(h.sb.message(CASE_CHANNEL, second) or {})
    question = await walk_to_decision(h, second, offering="terug_naar_directe_veiligheid")
    await click(
        h,
        "petra",
        "meeting_decide",
        question,
        value=decision_value(question, "terug_naar_directe_veiligheid"),
    )
    case = await stored_case(h)
    assert case is not None and case.phase == "directe_veiligheid"


async def test_volgende_before_the_decision_says_privately_that_it_comes_first(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to_decision(h, thread_ts)
    before = await stored_meeting(h)
    await click(h, "petra", "meeting_next", question)
    told = h.sb.user("petra").ephemerals(CASE_CHANNEL)[-1]
    assert t("nl", "moves.decision_required") in text_of(told)
    assert "meeting_end_undecided" not in action_ids(told)  # no offer to end the meeting
    assert set(decision_options(told)) == set(decision_options(question))
    after = await stored_meeting(h)
    assert before is not None and after is not None and after.state == before.state
    # The buttons in that private message decide, at this question.
    await click(h, "petra", "meeting_decide", told, value=decision_value(told, "nog_zorgen"))
    meeting = await stored_meeting(h)
    assert meeting is not None
    assert meeting.decision == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen"


async def test_overleg_afronden_before_a_decision_offers_to_end_without_it(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    told = h.sb.user("petra").ephemerals(CASE_CHANNEL)[-1]
    assert "meeting_end_undecided" in action_ids(told)
    assert "Zijn er nog zorgen om de directe veiligheid" in text_of(told)
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.status == "running"


async def test_vorige_over_a_phase_decision_undoes_it_in_the_thread(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to_decision(h, thread_ts)
    value = decision_value(question, "door_naar_risicogestuurde_zorg")
    await click(h, "karim", "meeting_decide", question, value=value)
    await click(h, "petra", "meeting_next", current_question(h, thread_ts))
    case = await stored_case(h)
    assert case is not None and case.phase == "risicogestuurde_zorg"
    await click(h, "petra", "meeting_previous", current_question(h, thread_ts))
    case = await stored_case(h)
    assert case is not None and case.phase == "directe_veiligheid"
    posted = "\n".join(text_of(m) for m in thread(h, thread_ts)[-4:])
    assert "Besluit ingetrokken" in posted and "Terug in de fase *Directe veiligheid*" in posted
    again = current_question(h, thread_ts)
    assert "Zijn er nog zorgen om de directe veiligheid" in text_of(again)
    assert decision_options(again)  # decide again
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.decision is None


async def test_a_restart_mid_meeting_loses_nothing_and_old_buttons_still_work(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    await click(h, "petra", "meeting_next", current_question(h, thread_ts))
    await h.sb.user("sanne").post(
        CASE_CHANNEL, "Wijkteam is sinds mei betrokken.", thread_ts=thread_ts
    )
    await h.settle()
    question = current_question(h, thread_ts)
    before = await stored_meeting(h)

    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    await click(h, "petra", "meeting_next", question)  # a button posted before the restart
    after = await stored_meeting(h)
    assert before is not None and after is not None
    assert json.loads(after.state)["cursor"] == json.loads(before.state)["cursor"] + 1
    async with h.db.session() as session:
        stored = (await session.exec(select(Contribution))).all()
    assert [c.text for c in stored] == ["Wijkteam is sinds mei betrokken."]


async def test_edits_and_deletions_follow_slack(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    lotte = h.sb.user("lotte")
    kept = await lotte.post(CASE_CHANNEL, "GGZ kent moeder sinds 2024.", thread_ts=thread_ts)
    gone = await lotte.post(CASE_CHANNEL, "Dubbel bericht.", thread_ts=thread_ts)
    await h.settle()
    await lotte.edit(CASE_CHANNEL, kept, "GGZ kent moeder sinds 2023.")
    await lotte.delete(CASE_CHANNEL, gone)
    await h.settle()
    async with h.db.session() as session:
        rows = (await session.exec(select(Contribution).order_by(Contribution.message_ts))).all()
    visible = [(r.text, r.deleted_at is None) for r in rows]
    assert visible == [("GGZ kent moeder sinds 2023.", True), (None, False)]


async def test_a_public_channel_is_refused_for_case_content(harness: Harness) -> None:
    h = harness
    h.sb.invite("algemeen", h.app.bot_user_id)
    petra = h.sb.user("petra")
    await petra.slash("/casus", "nieuw", channel="algemeen")
    await h.settle()
    assert "openbaar" in text_of(petra.ephemerals("algemeen")[-1])
    options = [
        o["value"]
        for block in petra.modal["blocks"]
        if block.get("block_id") == "channel"
        for o in block["element"]["options"]
    ]
    assert options == ["new"]  # "this channel" is not offered


def test_sandbox_demo_plays_a_whole_meeting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--demo", "--transcript", "--port", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Verslag casusoverleg ZVH-2026-014" in result.stdout
    # The demo decides at the guideline's question, and goes on in the new phase.
    assert (
        "Besluit bij _Zijn er nog zorgen om de directe veiligheid of kunnen we gaan werken aan "
        "de risico’s?_: *Indien het laatste, ga door naar de fase van risicogestuurde zorg*"
    ) in result.stdout
    assert "Dit overleg gaat verder in de fase *Risicogestuurde zorg*" in result.stdout
    assert "Brainstorm: Welke acties zijn er mogelijk om in dit gezin directe veiligheid" not in (
        result.stdout
    )
    assert "Traceback" not in result.stderr
