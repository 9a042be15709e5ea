"""A safe close (issue 16 point 4): a case closes only on an afsluitingsplan recorded in that
meeting, or on a regisseur's reason (audited); before closing, each open action and bodemeis
is ended or handed over; months later the casusregisseur is asked "Gaat het nog goed met dit
gezin?" — "nee" reopens the case in directe veiligheid with a new meeting planned. Through a
restart in the middle of the aftercare wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.models import AuditEvent, CaseClosure, Meeting
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import (
    AMS,
    in_days,
    open_form,
    poll,
    stored_agreements,
    stored_reminders,
    submit,
    walk_to,
)
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    current_question,
    register_case,
    start_meeting,
    stored_case,
    text_of,
    thread,
)

PLAN = "Bij nieuwe zorgen meldt de school het direct bij Veilig Thuis"


async def _closing_meeting(h: Harness, *, plan: bool, action: bool) -> str:
    """A herstel meeting that decides to close, with (or without) an afsluitingsplan and an
    open action; ended by the procesregisseur."""
    await register_case(h, phase="herstelgerichte_zorg")
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming", decide="afsluiten")
    if action:
        assert await open_form(h, "petra", "agreement_action_open", question) is not None
        fields = {
            "agreement_text": "Huisbezoek door het wijkteam",
            "owner_user": "sanne",
            "due_date": in_days(10).isoformat(),
            "priority": "hoog",
        }
        assert await submit(h, "petra", fields) is None
    question = await walk_to(h, thread_ts, "afsluitingsplan")
    if plan:
        assert await open_form(h, "petra", "agreement_closure_open", question) is not None
        assert await submit(h, "petra", {"agreement_text": PLAN}) is None
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    return thread_ts


async def _audit(h: Harness) -> list[str]:
    async with h.db.session() as session:
        return [e.action for e in (await session.exec(select(AuditEvent))).all()]


async def _aftercare_pending(h: Harness):  # type: ignore[no-untyped-def]
    [reminder] = [
        r
        for r in await stored_reminders(h, ReminderKind.AFTERCARE)
        if r.status == ReminderStatus.PENDING
    ]
    return reminder


async def test_an_afsluitingsplan_closes_and_aftercare_asks_months_later(harness: Harness) -> None:
    h = harness
    thread_ts = await _closing_meeting(h, plan=True, action=False)
    case = await stored_case(h)
    assert case is not None and case.status == "closed"
    assert any("is afgesloten door" in text_of(m) for m in h.sb.messages(CASE_CHANNEL))
    assert "de casus is afgesloten" in "\n".join(text_of(m) for m in thread(h, thread_ts))
    reminder = await _aftercare_pending(h)
    karim = h.sb.user("karim")
    assert reminder.user_id == karim.id  # the casusregisseur
    local = reminder.due_at.astimezone(AMS)
    assert local.weekday() < 5 and 8 <= local.hour < 18
    assert reminder.due_at - datetime.now(UTC) > timedelta(days=85)

    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    assert (await poll(h, reminder.due_at - timedelta(minutes=1))).sent == 0
    assert (await poll(h, reminder.due_at)).sent == 1
    assert (await poll(h, reminder.due_at + timedelta(hours=1))).sent == 0
    dm = karim.dms()[-1]
    assert "Gaat het nog goed met dit gezin?" in text_of(dm)
    await karim.click("aftercare_well", message=(karim.dm_channel(), dm["ts"]))
    await h.settle()
    assert "blijft afgesloten" in text_of(karim.dms()[-1])
    async with h.db.session() as session:
        closure = (await session.exec(select(CaseClosure))).one()
    assert closure.aftercare_answer == "goed" and closure.override_reason is None
    case = await stored_case(h)
    assert case is not None and case.status == "closed"


async def test_without_a_plan_and_with_open_work_the_regisseur_settles_and_gives_a_reason(
    harness: Harness,
) -> None:
    h = harness
    thread_ts = await _closing_meeting(h, plan=False, action=True)
    case = await stored_case(h)
    assert case is not None and case.status == "open"  # not closed silently
    assert "besloten is de casus af te sluiten" in "\n".join(
        text_of(m) for m in thread(h, thread_ts)
    )
    petra = h.sb.user("petra")
    prompt = petra.dms()[-1]
    assert "close_case_open" in action_ids(prompt)
    await petra.click("close_case_open", message=(petra.dm_channel(), prompt["ts"]))
    await h.settle()
    form = petra.modal
    assert form is not None and "Huisbezoek door het wijkteam" in str(form["blocks"])
    assert "geen afsluitingsplan" in str(form["blocks"])
    [action] = await stored_agreements(h)
    reason = "Gezin is verhuisd; de nieuwe regio neemt het over"
    ack = await petra.submit(
        {
            f"settle:{action.id}": {f"settle:{action.id}": "handed_over"},
            "reason": {"reason": reason},
        }
    )
    await h.settle()
    assert ack is None or not ack.get("errors")
    case = await stored_case(h)
    assert case is not None and case.status == "closed"
    [action] = await stored_agreements(h)
    assert action.status == "handed_over"
    assert all(
        r.status != ReminderStatus.PENDING
        for r in await stored_reminders(h, ReminderKind.ACTION_DUE)
    )
    async with h.db.session() as session:
        closure = (await session.exec(select(CaseClosure))).one()
        raw = (await session.exec(text("SELECT override_reason FROM case_closure"))).one()[0]
    assert closure.override_reason == reason and reason not in str(raw)  # encrypted at rest
    audit = await _audit(h)
    assert "case_close_override" in audit and "agreement_settled_at_closing" in audit


async def test_the_close_form_needs_a_choice_for_each_open_item(harness: Harness) -> None:
    h = harness
    await _closing_meeting(h, plan=True, action=True)
    case = await stored_case(h)
    assert case is not None and case.status == "open"  # the open action blocks it
    petra = h.sb.user("petra")
    await petra.slash("/casus", "afsluiten", channel=CASE_CHANNEL)
    await h.settle()
    form = petra.modal
    assert form is not None and "een afsluitingsplan vastgelegd" in str(form["blocks"])
    # A value the form does not offer (a forged one) is refused with a field error.
    [action] = [a for a in await stored_agreements(h) if a.kind == "action"]
    block = f"settle:{action.id}"
    forged = {"text": {"type": "plain_text", "text": "x"}, "value": "weg"}
    ack = await petra.submit({block: {block: forged}})
    assert ack is not None and block in ack["errors"]
    case = await stored_case(h)
    assert case is not None and case.status == "open"
    ack = await petra.submit({block: {block: "done"}})
    await h.settle()
    case = await stored_case(h)
    assert case is not None and case.status == "closed"
    [action] = [a for a in await stored_agreements(h) if a.kind == "action"]
    assert action.status == "done"
    assert ack is None or not ack.get("errors")
    # Someone who does not steer cannot close.
    await h.sb.user("sanne").slash("/casus", "afsluiten", channel=CASE_CHANNEL)
    await h.settle()
    assert h.sb.user("sanne").modal is None


async def test_aftercare_no_reopens_in_directe_veiligheid_with_a_meeting_planned(
    harness: Harness,
) -> None:
    h = harness
    await _closing_meeting(h, plan=True, action=False)
    reminder = await _aftercare_pending(h)
    assert (await poll(h, reminder.due_at)).sent == 1
    karim = h.sb.user("karim")
    dm = karim.dms()[-1]
    await karim.click("aftercare_reopen", message=(karim.dm_channel(), dm["ts"]))
    await h.settle()
    case = await stored_case(h)
    assert case is not None and (case.status, case.phase) == ("open", "directe_veiligheid")
    async with h.db.session() as session:
        planned = (await session.exec(select(Meeting).where(Meeting.status == "planned"))).all()
    assert len(planned) == 1 and planned[0].phase == "directe_veiligheid"
    assert planned[0].scheduled_at is not None
    assert planned[0].scheduled_at > datetime.now(UTC)
    assert "heropend" in text_of(karim.dms()[-1])
    assert any("is heropend door" in text_of(m) for m in h.sb.messages(CASE_CHANNEL))
    # The planning message is in the channel, and no "no meeting planned" reminder waits.
    assert any("meeting_start" in action_ids(m) for m in h.sb.messages(CASE_CHANNEL))
    assert not [
        r
        for r in await stored_reminders(h, ReminderKind.NO_NEXT_MEETING)
        if r.status == ReminderStatus.PENDING
    ]
    assert "case_reopened" in await _audit(h)
    # The question was answered: its buttons are gone.
    assert "aftercare_reopen" not in str(karim.dms()[-1].get("blocks") or "")
