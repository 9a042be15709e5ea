"""Bodemeis checks and their escalation through the sandbox: the monitor's DM at each interval
(09:00 local, also across the clock changes), answers stored once, and a broken or unanswered
bottom line told to the procesregisseur with the agreed plan and a button for an extra meeting
in directe veiligheid. Time is injected: the poller runs at chosen moments."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from flows.schedule import DEFAULT_HOURS, ReminderKind, add_working_days
from storage.agreements import CheckAnswer
from storage.bodemeis_checks import add_bodemeis, record_check, schedule_retry_escalation
from storage.cases import close_case
from storage.models import Case, Meeting, MeetingStatus
from storage.reminders import ReminderStatus, cancel_reminders, schedule_reminder
from tests.e2e.agreement_steps import (
    AMS,
    click_dm,
    fresh,
    last_dm,
    open_form,
    pending,
    poll,
    raw_column,
    stored_agreements,
    stored_checks,
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
    stored_meeting,
    text_of,
    thread,
)

PLAN = "Direct de procesregisseur en Veilig Thuis bellen; Veilig Thuis beoordeelt een huisverbod"
BODEMEIS = "Vader komt niet in de woning"


async def record_bodemeis(h: Harness, *, phase: str = "directe_veiligheid", plan: bool) -> str:
    await register_case(h, phase=phase)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert await open_form(h, "petra", "agreement_bodemeis_open", question) is not None
    assert await submit(h, "petra", {"agreement_text": BODEMEIS, "monitor": "sanne"}) is None
    if plan:
        question = await walk_to(h, thread_ts, "afspraken")
        assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
        assert await submit(h, "petra", {"escalation_plan": PLAN}) is None
    return thread_ts


async def check_dm(h: Harness) -> dict:
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    # A meeting that ended without a next one also reminds the regisseurs (issue 16).
    others = [
        r
        for r in await stored_reminders(h)
        if r.status == ReminderStatus.PENDING
        and r.kind == ReminderKind.NO_NEXT_MEETING
        and r.due_at <= check.due_at
    ]
    assert (await poll(h, check.due_at)).sent == 1 + len(others)
    dm = last_dm(h, "sanne")
    assert BODEMEIS in text_of(dm) and "Wordt deze bodemeis nagekomen?" in text_of(dm)
    assert {"check_met", "check_not_met", "check_unknown"} <= set(action_ids(dm))
    return dm


async def test_niet_nageleefd_alerts_the_procesregisseur_with_the_plan_and_a_button(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    dm = await check_dm(h)
    # Sending the check scheduled the next one and this check's "no answer" escalation.
    escalation = await pending(h, ReminderKind.BODEMEIS_ESCALATION)
    assert escalation.channel_id == "C0CASUSDEMO"

    sanne = h.sb.user("sanne")
    await asyncio.gather(  # a double click
        sanne.click("check_not_met", message=(sanne.dm_channel(), dm["ts"])),
        sanne.click("check_not_met", message=(sanne.dm_channel(), dm["ts"])),
    )
    await h.settle()
    [check] = await stored_checks(h)
    assert (check.answer, check.answered_by) == ("niet_nageleefd", "U0SANNE")
    answered = fresh(h, "sanne", dm)
    assert "niet nagekomen" in text_of(answered) and action_ids(answered) == ["check_note_open"]
    alerts = [m for m in h.sb.messages(CASE_CHANNEL) if "Bodemeis niet nagekomen" in text_of(m)]
    [alert] = alerts  # one, however often she clicked
    shown = text_of(alert)
    assert "<@U0PETRA>" in shown and "<@U0SANNE>" in shown and BODEMEIS in shown
    assert PLAN in shown and "escalation_plan_meeting" in action_ids(alert)
    # The "no answer" escalation is cancelled; the alert went out as a reminder of its own,
    # committed with the answer: sent once, and it would have been after a crash too.
    cancelled, told = await stored_reminders(h, ReminderKind.BODEMEIS_ESCALATION)
    assert cancelled.status == ReminderStatus.CANCELLED
    assert (told.status, told.message_ts) == (ReminderStatus.SENT, alert["ts"])
    # The post is the escalation's outbox object: a retry finds it by its key, not resends.
    assert alert["metadata"]["event_payload"] == {"key": "escalation:1"}
    assert check.escalation_ts == alert["ts"]

    # A participant cannot plan; the procesregisseur gets the plan modal in directe veiligheid.
    assert await open_form(h, "sanne", "escalation_plan_meeting", alert) is None
    modal = await open_form(h, "petra", "escalation_plan_meeting", alert)
    assert modal is not None and modal["callback_id"] == "plan_meeting"
    [phase] = [b for b in modal["blocks"] if b.get("block_id") == "phase"]
    assert phase["element"]["initial_option"]["value"] == "directe_veiligheid"
    assert await submit(h, "petra", {}) is None
    async with h.db.session() as session:
        planned = (
            await session.exec(select(Meeting).where(Meeting.status == MeetingStatus.PLANNED))
        ).one()
    assert planned.phase == "directe_veiligheid"


async def test_no_answer_within_two_working_days_escalates_with_no_plan_agreed(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, plan=False)
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    dm = await check_dm(h)
    escalation = await pending(h, ReminderKind.BODEMEIS_ESCALATION)
    expected = add_working_days(check.due_at, 2, h.settings.working_hours, AMS)
    assert escalation.due_at == expected
    assert (await poll(h, escalation.due_at - timedelta(minutes=1))).sent == 0

    assert (await poll(h, escalation.due_at)).sent == 1
    alert = h.sb.messages(CASE_CHANNEL)[-1]
    shown = text_of(alert)
    assert "Bodemeis niet gecontroleerd" in shown and "2 werkdagen" in shown
    assert "geen plan afgesproken" in shown and "<@U0PETRA>" in shown
    assert "escalation_plan_meeting" in action_ids(alert)
    [check_row] = await stored_checks(h)
    assert check_row.answer == "geen_antwoord" and check_row.answered_by is None

    # Sanne answers late after all: her answer is stored, nobody is alerted again.
    await click_dm(h, "sanne", "check_met", dm)
    [late] = await stored_checks(h)
    assert (late.answer, late.answered_by) == ("nageleefd", "U0SANNE")
    assert h.sb.messages(CASE_CHANNEL)[-1]["ts"] == alert["ts"]


async def test_an_answer_cancels_the_escalation_and_a_note_is_stored_encrypted(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, plan=True)
    dm = await check_dm(h)
    escalation = await pending(h, ReminderKind.BODEMEIS_ESCALATION)
    await click_dm(h, "sanne", "check_unknown", dm)
    assert (await poll(h, escalation.due_at)).sent == 0
    assert not any("Bodemeis" in text_of(m) for m in h.sb.messages(CASE_CHANNEL))

    await click_dm(h, "sanne", "check_note_open", fresh(h, "sanne", dm))
    assert h.sb.user("sanne").modal is not None
    ack = await submit(h, "sanne", {"note": "Buurvrouw zag hem, BSN 111222333"})
    assert ack is not None and "BSN" in ack["errors"]["note"]
    assert await submit(h, "sanne", {"note": "Moeder niet bereikt; school zag niets"}) is None
    [check] = await stored_checks(h)
    assert check.answer == "onbekend" and check.note == "Moeder niet bereikt; school zag niets"
    assert "bereikt" not in (await raw_column(h, "bodemeis_check", "note"))[0]  # type: ignore[operator]
    assert "opgeslagen" in text_of(last_dm(h, "sanne"))


async def bodemeis_recorded_at(h: Harness, now: datetime) -> None:
    """A weekly bodemeis for Sanne, recorded at a chosen moment (the modal uses the clock)."""
    meeting = await stored_meeting(h)
    assert meeting is not None
    async with h.db.session() as session:
        await add_bodemeis(
            session,
            case_id=meeting.case_id,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            text=BODEMEIS,
            monitor_user_id="U0SANNE",
            interval_days=7,
            created_by="U0PETRA",
            now=now,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )


async def answer_check_at(h: Harness, utc: datetime, shown: str) -> None:
    """Nothing a minute before `utc`; at `utc` the DM for the check of `shown`; answered."""
    assert (await poll(h, utc - timedelta(minutes=1))).claimed == 0
    assert (await poll(h, utc)).sent == 1
    dm = last_dm(h, "sanne")
    assert f"Controle van {shown}" in text_of(dm)
    await click_dm(h, "sanne", "check_met", dm)


async def test_weekly_checks_come_at_nine_across_the_last_sundays_of_march_and_october(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await start_meeting(h)
    # Recorded on Monday 15 March 2027; summer time starts Sunday the 28th.
    await bodemeis_recorded_at(h, datetime(2027, 3, 15, 14, 0, tzinfo=AMS))
    await answer_check_at(h, datetime(2027, 3, 22, 8, 0, tzinfo=UTC), "ma 22 mrt 2027")  # 09:00 CET
    await answer_check_at(
        h, datetime(2027, 3, 29, 7, 0, tzinfo=UTC), "ma 29 mrt 2027"
    )  # 09:00 CEST
    # The March series ends here, so the October one is alone in the queue.
    [march] = await stored_agreements(h)
    async with h.db.session() as session:
        await cancel_reminders(session, agreement_id=march.id)  # type: ignore[arg-type]
    # Winter time returns on Sunday 31 October.
    await bodemeis_recorded_at(h, datetime(2027, 10, 18, 14, 0, tzinfo=AMS))
    await answer_check_at(h, datetime(2027, 10, 25, 7, 0, tzinfo=UTC), "ma 25 okt 2027")  # CEST
    await answer_check_at(h, datetime(2027, 11, 1, 8, 0, tzinfo=UTC), "ma 1 nov 2027")  # CET
    checks = await stored_checks(h)
    assert [c.occurrence for c in checks] == [
        "2027-03-22",
        "2027-03-29",
        "2027-10-25",
        "2027-11-01",
    ]
    dedupe = [r.dedupe_key for r in await stored_reminders(h, ReminderKind.BODEMEIS_CHECK)]
    assert len(dedupe) == len(set(dedupe))


async def test_a_closed_case_sends_no_more_checks_and_old_buttons_say_so(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, plan=False)
    dm = await check_dm(h)
    async with h.db.session() as session:
        case = (await session.exec(select(Case))).one()
        await close_case(session, case=case, actor="U0PETRA")
    assert all(r.status != ReminderStatus.PENDING for r in await stored_reminders(h))
    later = datetime.now(UTC) + timedelta(days=400)
    assert (await poll(h, later)).claimed == 0
    await click_dm(h, "sanne", "check_not_met", dm)
    assert "afgesloten" in text_of(last_dm(h, "sanne"))
    assert await stored_checks(h) == []
    assert not any("Bodemeis" in text_of(m) for m in h.sb.messages(CASE_CHANNEL))
    stored = await stored_case(h)
    assert stored is not None and stored.status == "closed"


async def test_a_forged_check_value_changes_nothing(harness: Harness) -> None:
    h = harness
    await record_bodemeis(h, plan=False)
    dm = await check_dm(h)
    sanne = h.sb.user("sanne")
    value = json.loads(
        next(e["value"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"])
    )
    agreement_id = value["x"].split(":")[0]
    for forged in (
        {**value, "x": f"{agreement_id}:2019-01-07"},  # a check that was never sent
        {**value, "x": "1:not-a-date"},
        {"c": value["c"]},
    ):
        await sanne.click(
            "check_not_met",
            message=(sanne.dm_channel(), dm["ts"]),
            tamper={"value": json.dumps(forged)},
        )
        await h.settle()
        assert "klopt niet" in text_of(last_dm(h, "sanne")), forged
    assert await stored_checks(h) == []
    assert not any("Bodemeis" in text_of(m) for m in h.sb.messages(CASE_CHANNEL))
    assert "check_met" in action_ids(fresh(h, "sanne", dm))  # the real buttons still work


async def test_the_next_meeting_opens_with_the_checks_since_the_last_one(
    harness: Harness,
) -> None:
    h = harness
    thread_ts = await record_bodemeis(h, plan=False)
    meeting = await stored_meeting(h)
    assert meeting is not None
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    dm = await check_dm(h)
    await click_dm(h, "sanne", "check_not_met", dm)
    second = await start_meeting(h)
    overview = text_of(thread(h, second)[0])
    assert "Bodemeisen van kracht, met de controles sinds het vorige overleg" in overview
    assert f"{BODEMEIS} (bewaakt door <@U0SANNE>)" in overview and "niet nagekomen" in overview


async def test_a_niet_nageleefd_alert_that_could_not_be_posted_is_retried_by_the_poller(
    harness: Harness,
) -> None:
    h = harness
    await record_bodemeis(h, plan=True)
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    await check_dm(h)
    [bodemeis] = [a for a in await stored_agreements(h) if a.kind == "bodemeis"]
    occurrence = json.loads(check.payload)["occurrence"]
    # What the click leaves behind when Slack refused its alert: the answer, and a retry.
    async with h.db.session() as session:
        await record_check(
            session,
            agreement_id=bodemeis.id,  # type: ignore[arg-type]
            occurrence=occurrence,
            answer=CheckAnswer.NOT_MET,
            by="U0SANNE",
        )
        await schedule_retry_escalation(
            session,
            agreement=bodemeis,
            occurrence=occurrence,
            channel_id="C0CASUSDEMO",
            now=check.due_at,
        )
    assert (await poll(h, check.due_at + timedelta(seconds=30))).sent == 1
    alert = h.sb.messages(CASE_CHANNEL)[-1]
    assert "Bodemeis niet nagekomen" in text_of(alert) and PLAN in text_of(alert)
    [stored] = await stored_checks(h)
    assert stored.escalation_ts == alert["ts"]
    # Scheduled again (a second process, say): it finds the alert was posted and stays quiet.
    async with h.db.session() as session:
        await cancel_reminders(session, agreement_id=bodemeis.id)  # type: ignore[arg-type]
        retry = await schedule_reminder(
            session,
            kind=ReminderKind.BODEMEIS_ESCALATION,
            due_at=check.due_at,
            dedupe_key="bodemeis_escalation:retry-again",
            channel_id="C0CASUSDEMO",
            case_id=bodemeis.case_id,
            agreement_id=bodemeis.id,
            payload={"occurrence": occurrence, "answer": "niet_nageleefd"},
        )
    assert retry is not None
    assert (await poll(h, check.due_at + timedelta(minutes=1))).obsolete == 1
    assert h.sb.messages(CASE_CHANNEL)[-1]["ts"] == alert["ts"]
