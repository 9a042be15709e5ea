"""Bodemeisen have a life (issue 16, point 1) through the sandbox: at "Zijn hier nog aanpassingen
in nodig?" the question lists the bodemeisen in force with monitor, interval and last checks;
a bodemeis changed in one meeting and ended in the next shows both versions in the report; its
checks follow the change at once; regisseurs change or end one between meetings from the home
tab; the veiligheidsplan follows; everything is audited."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col, select

from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.agreements import Agreement
from storage.models import AuditEvent
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import (
    click_dm,
    last_dm,
    open_form,
    pending,
    poll,
    stored_reminders,
    submit,
    walk_to,
)
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    current_question,
    move_on,
    register_case,
    start_meeting,
    text_of,
    thread,
)
from tests.e2e.test_report import _report_files
from tests.e2e.test_veiligheidsplan import canvas_text, case_of, stored_plan

BODEMEIS = "Vader komt niet in de woning"


@pytest.fixture(autouse=True)
def quick_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the report's Markdown; laying out its PDF (tests/e2e/test_report.py
    checks that) takes seconds on a loaded machine and would only slow every meeting end."""
    monkeypatch.setattr("bot.reports.pdf.render_pdf", lambda markdown, *, title: b"%PDF-1.4\n")


CHANGED = "Vader komt alleen onder begeleiding in de woning"


async def bodemeisen(h: Harness) -> list[Agreement]:
    async with h.db.session() as session:
        query = select(Agreement).where(Agreement.kind == "bodemeis").order_by(col(Agreement.id))
        return list((await session.exec(query)).all())


async def pending_checks(h: Harness) -> list[tuple[int | None, str | None]]:
    return [
        (r.agreement_id, r.user_id)
        for r in await stored_reminders(h, ReminderKind.BODEMEIS_CHECK)
        if r.status == ReminderStatus.PENDING
    ]


async def first_meeting_with_a_bodemeis(h: Harness) -> str:
    await register_case(h, phase="risicogestuurde_zorg")
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert await open_form(h, "petra", "agreement_bodemeis_open", question) is not None
    assert await submit(h, "petra", {"agreement_text": BODEMEIS, "monitor": "sanne"}) is None
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    return thread_ts


async def end_meeting(h: Harness, thread_ts: str) -> None:
    """Walk on past the Oordeelsvorming's decision (blijven), then end the meeting."""
    question = await walk_to(h, thread_ts, "besluitvorming")
    await click(h, "petra", "meeting_end", question)


async def at_review(h: Harness) -> tuple[str, dict]:
    """A new meeting, walked to the review question."""
    thread_ts = await start_meeting(h)
    for _ in range(20):
        question = current_question(h, thread_ts)
        if "Bodemeisen herzien" in text_of(question):
            return thread_ts, question
        await move_on(h, thread_ts)
    raise AssertionError("never reached the review question")


async def test_changed_in_one_meeting_ended_in_the_next_both_versions_in_the_report(
    harness: Harness,
) -> None:
    h = harness
    await first_meeting_with_a_bodemeis(h)
    [v1] = await bodemeisen(h)
    # The monitor answers a check between the meetings.
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    assert (await poll(h, check.due_at)).sent == 1
    await click_dm(h, "sanne", "check_met", last_dm(h, "sanne"))

    # Meeting 2: the review lists it with its monitor, interval and last check.
    second, question = await at_review(h)
    shown = text_of(question)
    assert BODEMEIS in shown and "<@U0SANNE>" in shown and "Elke week" in shown
    assert "nageleefd" in shown
    assert {"bodemeis_keep", "bodemeis_change_open", "bodemeis_end_open"} <= set(
        action_ids(question)
    )
    # Only a regisseur changes it.
    assert await open_form(h, "sanne", "bodemeis_change_open", question) is None
    modal = await open_form(h, "karim", "bodemeis_change_open", question)
    assert modal is not None and modal["callback_id"] == "bodemeis_change"
    ack = await submit(
        h, "karim", {"agreement_text": CHANGED, "monitor": "joost", "interval": "14"}
    )
    assert ack is None
    old, v2 = await bodemeisen(h)
    assert (old.id, old.status) == (v1.id, "superseded")
    assert (v2.text, v2.monitor_user_id, v2.interval_days, v2.version) == (
        CHANGED,
        "U0JOOST",
        14,
        2,
    )
    # The checks follow at once: Sanne's is cancelled, Joost gets the next one.
    assert await pending_checks(h) == [(v2.id, "U0JOOST")]
    question = current_question(h, second)
    assert CHANGED in text_of(question) and "Aangepast in dit overleg" in text_of(question)
    case = await case_of(h)
    assert canvas_text(h) == await stored_plan(h, case) and CHANGED in canvas_text(h)
    await end_meeting(h, second)

    # A restart between the meetings: the next check still comes, to the new monitor.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    assert (await poll(h, check.due_at)).sent == 1
    assert CHANGED in text_of(last_dm(h, "joost"))

    # Meeting 3: ended, with a reason. No checks are left.
    third, question = await at_review(h)
    assert third != second
    assert CHANGED in text_of(question)
    assert await open_form(h, "petra", "bodemeis_end_open", question) is not None
    assert await submit(h, "petra", {"reason": "Vader woont inmiddels in een andere stad"}) is None
    *_, ended = await bodemeisen(h)
    assert ended.status == "ended"
    assert ended.end_reason == "Vader woont inmiddels in een andere stad"
    assert await pending_checks(h) == []
    assert "Beëindigd in dit overleg" in text_of(current_question(h, third))
    assert "Er zijn geen bodemeisen van kracht" in canvas_text(h)
    await end_meeting(h, third)

    # The report shows both versions and the end.
    markdown = next(
        content for name, content in _report_files(h, third) if name.endswith(".md")
    ).decode()
    assert "Geschiedenis van de bodemeisen" in markdown
    assert "versie 1" in markdown and BODEMEIS in markdown
    assert "versie 2" in markdown and CHANGED in markdown
    assert "beëindigd op" in markdown and "andere stad" in markdown
    async with h.db.session() as session:
        actions = (await session.exec(select(AuditEvent.action))).all()
    assert {"bodemeis_changed", "bodemeis_ended"} <= set(actions)


async def test_blijft_is_recorded_once_and_the_checks_go_on(harness: Harness) -> None:
    h = harness
    await first_meeting_with_a_bodemeis(h)
    before = await pending_checks(h)
    second, question = await at_review(h)
    petra, karim = h.sb.user("petra"), h.sb.user("karim")
    await asyncio.gather(  # both regisseurs at once: one decision is recorded
        petra.click("bodemeis_keep", message=(CASE_CHANNEL, question["ts"])),
        karim.click("bodemeis_keep", message=(CASE_CHANNEL, question["ts"])),
    )
    await h.settle()
    question = current_question(h, second)
    assert "Blijft — vastgelegd door <@U0" in text_of(question)
    assert "bodemeis_keep" not in action_ids(question)
    assert await pending_checks(h) == before
    async with h.db.session() as session:
        kept = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "bodemeis_kept"))
        ).all()
    assert len(kept) == 1


async def test_a_regisseur_ends_a_bodemeis_between_meetings_from_the_home_tab(
    harness: Harness,
) -> None:
    h = harness
    await first_meeting_with_a_bodemeis(h)
    sanne, karim = h.sb.user("sanne"), h.sb.user("karim")
    await sanne.open_home()
    await h.settle()
    assert sanne.home is not None and "bodemeis_end_open" not in str(sanne.home["blocks"])
    await karim.open_home()
    await h.settle()
    assert karim.home is not None and "bodemeis_end_open" in str(karim.home["blocks"])
    await karim.click("bodemeis_end_open", view="home")
    await h.settle()
    assert karim.modal is not None and karim.modal["callback_id"] == "bodemeis_end"
    assert await submit(h, "karim", {"reason": "Niet meer nodig"}) is None
    [ended] = await bodemeisen(h)
    assert ended.status == "ended" and ended.ended_by == "U0KARIM"
    assert await pending_checks(h) == []
    assert "bodemeis_end_open" not in str(karim.home["blocks"])  # the home tab was redrawn
    case = await case_of(h)
    assert canvas_text(h) == await stored_plan(h, case)
    # The Vooraf of the next meeting no longer lists it as in force.
    thread_ts = await start_meeting(h)
    overview = text_of(thread(h, thread_ts)[0])
    assert "Bodemeisen van kracht" in overview and BODEMEIS not in overview
