"""Agreements through the sandbox: regisseurs record actions, bodemeisen, the collaboration
agreements and the afsluitingsplan in modals (with field errors); the thread keeps ONE message
with the current agreements; owners answer their due-date DM with gedaan, een week meer tijd or
lukt niet; reminders survive a restart and follow their cause."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlmodel import select

from bot.agreements.blocks import local_date
from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.audit import events_for_case
from storage.models import Case, Meeting, MeetingStatus
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import (
    agreement_messages,
    agreements_text,
    click_dm,
    fresh,
    in_days,
    last_dm,
    open_form,
    pending,
    poll,
    raw_column,
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
    stored_meeting,
    text_of,
    thread,
)

BSN = "111222333"  # passes the 11-proef


async def meeting_at_besluitvorming(h: Harness) -> tuple[str, dict]:
    await register_case(h)
    thread_ts = await start_meeting(h)
    return thread_ts, await walk_to(h, thread_ts, "besluitvorming")


async def record_action(h: Harness, question: dict, **values: object) -> dict | None:
    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    fields = {
        "agreement_text": "Huisbezoek door het wijkteam",
        "owner_user": "sanne",
        "due_date": in_days(10).isoformat(),
        "priority": "hoog",
    }
    fields.update(values)  # type: ignore[arg-type]
    return await submit(h, "petra", fields)


# ----- recording -----


async def test_the_record_buttons_appear_only_where_agreements_are_made(harness: Harness) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    assert "agreement_action_open" not in action_ids(current_question(h, thread_ts))
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert {"agreement_action_open", "agreement_bodemeis_open"} <= set(action_ids(question))
    assert "agreement_collaboration_open" not in action_ids(question)
    question = await walk_to(h, thread_ts, "afspraken")
    assert "agreement_collaboration_open" in action_ids(question)


async def test_an_action_with_field_errors_then_one_agreements_message_updated_in_place(
    harness: Harness,
) -> None:
    h = harness
    thread_ts, question = await meeting_at_besluitvorming(h)

    # A participant proposes in the thread; only regisseurs record.
    assert await open_form(h, "sanne", "agreement_action_open", question) is None
    assert "procesregisseur of casusregisseur" in text_of(
        h.sb.user("sanne").ephemerals(CASE_CHANNEL)[-1]
    )

    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    ack = await submit(
        h,
        "petra",
        {
            "agreement_text": f"Huisbezoek, cliënt BSN {BSN}",
            "owner_user": None,
            "due_date": (in_days(0) - timedelta(days=1)).isoformat(),
        },
    )
    assert ack is not None and ack["response_action"] == "errors"
    assert "BSN" in ack["errors"]["agreement_text"]
    assert "Kies wie het doet" in ack["errors"]["owner_user"]
    assert "verleden" in ack["errors"]["due_date"]
    ack = await submit(
        h,
        "petra",
        {"agreement_text": "Huisbezoek", "owner_user": "sanne", "owner_organisation": "Politie"},
    )
    assert ack is not None and "niet allebei" in ack["errors"]["owner_organisation"]
    ack = await submit(h, "petra", {"owner_user": "gast_bram", "owner_organisation": None})
    assert ack is not None and "geen deelnemer" in ack["errors"]["owner_user"]
    assert await stored_agreements(h) == []

    ack = await submit(
        h,
        "petra",
        {
            "agreement_text": "Huisbezoek door het wijkteam",
            "owner_user": "sanne",
            "due_date": in_days(10).isoformat(),
            "priority": "hoog",
        },
    )
    assert ack is None and h.sb.user("petra").modal is None
    [message] = agreement_messages(h, thread_ts)
    shown = text_of(message)
    assert "Huisbezoek door het wijkteam" in shown and "<@U0SANNE>" in shown
    assert local_date("nl", in_days(10)) in shown and "prioriteit Hoog" in shown

    await record_action(
        h,
        current_question(h, thread_ts),
        agreement_text="Aangifte opnemen",
        owner_user=None,
        owner_organisation="Politie Midden-Nederland",
        priority="normaal",
    )
    [updated] = agreement_messages(h, thread_ts)
    assert updated["ts"] == message["ts"]  # the same message, edited
    assert "Aangifte opnemen" in text_of(updated) and "Huisbezoek" in text_of(updated)
    assert "Politie Midden-Nederland (zonder Slack)" in text_of(updated)

    first, second = await stored_agreements(h)
    assert (first.kind, first.owner_user_id, first.priority) == ("action", "U0SANNE", "hoog")
    assert (second.owner_user_id, second.owner_organisation) == (None, "Politie Midden-Nederland")
    texts = await raw_column(h, "agreement", "text")
    assert not any("Huisbezoek" in (value or "") for value in texts)  # encrypted at rest
    reminders = await stored_reminders(h, ReminderKind.ACTION_DUE)
    assert [r.user_id for r in reminders] == ["U0SANNE", "U0PETRA"]  # the organisation's: Petra


async def test_a_bodemeis_and_the_collaboration_agreements_plan_the_next_meeting(
    harness: Harness,
) -> None:
    h = harness
    thread_ts, question = await meeting_at_besluitvorming(h)
    assert await open_form(h, "petra", "agreement_bodemeis_open", question) is not None
    ack = await submit(
        h, "petra", {"agreement_text": f"Geen contact, BSN {BSN}", "monitor": "gast_bram"}
    )
    assert ack is not None and "BSN" in ack["errors"]["agreement_text"]
    assert "geen deelnemer" in ack["errors"]["monitor"]
    ack = await submit(
        h, "petra", {"agreement_text": "Vader komt niet in de woning", "monitor": "sanne"}
    )
    assert ack is None
    assert "Vader komt niet in de woning — bewaakt door <@U0SANNE> · Elke week" in agreements_text(
        h, thread_ts
    )
    check = await pending(h, ReminderKind.BODEMEIS_CHECK)
    assert check.user_id == "U0SANNE"
    nominal = json.loads(check.payload)["occurrence"]
    assert nominal == in_days(7).isoformat()  # weekly: the first check a week from today

    question = await walk_to(h, thread_ts, "afspraken")
    assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
    ack = await submit(
        h,
        "petra",
        {
            "timeline": "Drie maanden",
            "escalation_plan": f"Politie bellen over BSN {BSN}",
            "next_date": (in_days(0) - timedelta(days=2)).isoformat(),
        },
    )
    assert ack is not None and "BSN" in ack["errors"]["escalation_plan"]
    assert "verleden" in ack["errors"]["next_date"]
    ack = await submit(
        h,
        "petra",
        {
            "escalation_plan": "Direct de procesregisseur en Veilig Thuis bellen",
            "informing": "Wekelijks een mail van de casusregisseur",
            "next_date": in_days(21).isoformat(),
            "next_time": "14:00",
        },
    )
    assert ack is None

    async with h.db.session() as session:
        meetings = (await session.exec(select(Meeting).order_by(Meeting.id))).all()  # type: ignore[arg-type]
    _, planned = meetings
    assert planned.status == MeetingStatus.PLANNED and planned.phase == "directe_veiligheid"
    assert f"{planned.scheduled_at.astimezone(h.settings.timezone):%H:%M}" == "14:00"
    assert "Casusoverleg gepland" in text_of(h.sb.messages(CASE_CHANNEL)[-1])
    shown = agreements_text(h, thread_ts)
    assert "*Tijdslijn:* Drie maanden" in shown
    assert "Direct de procesregisseur en Veilig Thuis bellen" in shown
    assert "Wekelijks een mail" in shown and "14:00" in shown
    [collaboration] = [a for a in await stored_agreements(h) if a.kind == "collaboration"]
    assert collaboration.next_meeting_id == planned.id

    # Recording again re-words the agreement; the meeting is not planned twice.
    assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
    modal_text = json.dumps(h.sb.user("petra").modal)
    assert "al gepland" in modal_text and "Drie maanden" in modal_text
    assert await submit(h, "petra", {"timeline": "Zes maanden"}) is None
    assert "*Tijdslijn:* Zes maanden" in agreements_text(h, thread_ts)
    assert len([a for a in await stored_agreements(h) if a.kind == "collaboration"]) == 1
    async with h.db.session() as session:
        assert len((await session.exec(select(Meeting))).all()) == 2


async def test_an_afsluitingsplan_when_herstel_closes_the_case_and_closing_cancels_reminders(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h, phase="herstelgerichte_zorg")
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming", decide="afsluiten")
    await record_action(h, question)
    question = await walk_to(h, thread_ts, "afsluitingsplan")
    assert "agreement_closure_open" in action_ids(question)
    assert await open_form(h, "petra", "agreement_closure_open", question) is not None
    ack = await submit(h, "petra", {"agreement_text": "   "})
    assert ack is not None and "verplicht" in ack["errors"]["agreement_text"]
    plan = "Bij nieuwe zorgen meldt de school het direct bij Veilig Thuis"
    assert await submit(h, "petra", {"agreement_text": plan}) is None
    assert "*Afsluitingsplan*" in agreements_text(h, thread_ts) and plan in agreements_text(
        h, thread_ts
    )

    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    # The open action is settled first (a safe close, issue 16): the regisseur's form.
    case = await stored_case(h)
    assert case is not None and case.status == "open"
    petra = h.sb.user("petra")
    prompt = petra.dms()[-1]
    await petra.click("close_case_open", message=(petra.dm_channel(), prompt["ts"]))
    await h.settle()
    [action] = [a for a in await stored_agreements(h) if a.kind == "action"]
    assert await submit(h, "petra", {f"settle:{action.id}": "ended"}) is None
    case = await stored_case(h)
    assert case is not None and case.status == "closed"
    [reminder] = await stored_reminders(h, ReminderKind.ACTION_DUE)
    assert reminder.status == ReminderStatus.CANCELLED


# ----- the owner's due-date DM -----


async def action_dm(h: Harness) -> dict:
    """Record an action for Sanne and run the poller at its due time: her DM."""
    _, question = await meeting_at_besluitvorming(h)
    await record_action(h, question)
    reminder = await pending(h, ReminderKind.ACTION_DUE)
    assert (await poll(h, reminder.due_at - timedelta(minutes=1))).claimed == 0
    assert h.sb.user("sanne").dms() == []
    report = await poll(h, reminder.due_at)
    assert report.sent == 1
    dm = last_dm(h, "sanne")
    assert "Huisbezoek door het wijkteam" in text_of(dm) and "ZVH-2026-014" in text_of(dm)
    assert {"action_done", "action_more_time", "action_not_possible"} <= set(action_ids(dm))
    local = reminder.due_at.astimezone(h.settings.timezone)
    assert local.hour in (8, 9) and local.weekday() < 5  # 09:00, or opening time after a weekend
    return dm


async def test_gedaan_finishes_the_action_once_and_updates_the_thread(harness: Harness) -> None:
    h = harness
    dm = await action_dm(h)
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts
    sanne = h.sb.user("sanne")
    # A double click: both arrive before the DM loses its buttons.
    await asyncio.gather(
        sanne.click("action_done", message=(sanne.dm_channel(), dm["ts"])),
        sanne.click("action_done", message=(sanne.dm_channel(), dm["ts"])),
    )
    await h.settle()
    updated = fresh(h, "sanne", dm)
    assert "Gedaan" in text_of(updated) and action_ids(updated) == []
    [action] = await stored_agreements(h)
    assert action.status == "done" and action.finished_by == "U0SANNE"
    async with h.db.session() as session:
        done = [e for e in await events_for_case(session, case_id=action.case_id)]
    assert [e.action for e in done].count("action_done") == 1
    assert "✅ gedaan" in agreements_text(h, meeting.thread_ts)


async def test_a_reason_submitted_after_the_action_was_done_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    dm = await action_dm(h)
    await click_dm(h, "sanne", "action_not_possible", dm)
    assert h.sb.user("sanne").modal is not None
    await click_dm(h, "sanne", "action_done", dm)  # in another window, meanwhile
    assert await submit(h, "sanne", {"reason": "Moeder weigert"}) is None
    assert "niet meer actueel" in text_of(last_dm(h, "sanne"))
    [action] = await stored_agreements(h)
    assert action.status == "done" and action.reason is None


async def test_een_week_meer_tijd_moves_the_date_and_its_reminder(harness: Harness) -> None:
    h = harness
    dm = await action_dm(h)
    await click_dm(h, "sanne", "action_more_time", dm)
    [action] = await stored_agreements(h)
    assert action.due_date == in_days(17) and action.status == "open"
    assert local_date("nl", in_days(17)) in text_of(fresh(h, "sanne", dm))
    moved = await pending(h, ReminderKind.ACTION_DUE)
    assert moved.dedupe_key.endswith(in_days(17).isoformat())
    assert action_ids(fresh(h, "sanne", dm)) == []  # nothing left to click twice
    # On the new date the DM comes again, with buttons for the new date.
    assert (await poll(h, moved.due_at)).sent == 1
    assert "action_done" in action_ids(last_dm(h, "sanne"))
    await click_dm(h, "sanne", "action_done", last_dm(h, "sanne"))
    assert [a.status for a in await stored_agreements(h)] == ["done"]


async def test_lukt_niet_asks_a_reason_stores_it_encrypted_and_tells_the_lead(
    harness: Harness,
) -> None:
    h = harness
    dm = await action_dm(h)
    await click_dm(h, "sanne", "action_not_possible", dm)
    sanne = h.sb.user("sanne")
    assert sanne.modal is not None
    ack = await submit(h, "sanne", {"reason": f"Moeder weigert, BSN {BSN}"})
    assert ack is not None and "BSN" in ack["errors"]["reason"]
    ack = await submit(h, "sanne", {"reason": "Moeder weigert het huisbezoek"})
    assert ack is None
    [action] = await stored_agreements(h)
    assert action.status == "not_possible" and action.reason == "Moeder weigert het huisbezoek"
    assert not any("weigert" in (v or "") for v in await raw_column(h, "agreement", "reason"))
    assert "Lukt niet" in text_of(fresh(h, "sanne", dm)) and action_ids(fresh(h, "sanne", dm)) == []
    told = text_of(h.sb.messages(CASE_CHANNEL)[-1])
    assert "<@U0PETRA>" in told and "Moeder weigert het huisbezoek" in told
    # A high-priority action escalates: only its "nobody picked this up" DMs still wait.
    waiting = [r.kind for r in await stored_reminders(h) if r.status == ReminderStatus.PENDING]
    assert set(waiting) == {"escalation_pickup", "escalation_pickup_again"}


async def test_forged_clicks_on_a_dm_change_nothing(harness: Harness) -> None:
    h = harness
    dm = await action_dm(h)
    [action] = await stored_agreements(h)
    sanne = h.sb.user("sanne")
    forged = {
        json.dumps({"c": action.case_id, "x": f"{action.id}:2020-01-01"}): "niet meer actueel",
        json.dumps({"c": action.case_id, "x": "99999:2030-01-01"}): "klopt niet",
        json.dumps({"c": action.case_id, "x": "drop table"}): "klopt niet",
        json.dumps({"c": 424242, "x": f"{action.id}:{action.due_date}"}): "klopt niet",
        "not json": "klopt niet",
    }
    for value, answer in forged.items():
        await sanne.click(
            "action_done", message=(sanne.dm_channel(), dm["ts"]), tamper={"value": value}
        )
        await h.settle()
        assert answer in text_of(last_dm(h, "sanne")), value
    [still] = await stored_agreements(h)
    assert still.status == "open" and still.due_date == action.due_date
    assert "action_done" in action_ids(fresh(h, "sanne", dm))  # the real button still works


async def test_a_restart_between_scheduling_and_the_due_date_loses_nothing(
    harness: Harness,
) -> None:
    h = harness
    _, question = await meeting_at_besluitvorming(h)
    await record_action(h, question)
    reminder = await pending(h, ReminderKind.ACTION_DUE)

    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    assert (await poll(h, reminder.due_at)).sent == 1
    dm = last_dm(h, "sanne")
    await click_dm(h, "sanne", "action_done", dm)
    assert [a.status for a in await stored_agreements(h)] == ["done"]


async def test_the_next_meeting_opens_with_the_open_actions(harness: Harness) -> None:
    h = harness
    thread_ts, question = await meeting_at_besluitvorming(h)
    await record_action(h, question)
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    second = await start_meeting(h)
    overview = text_of(thread(h, second)[0])
    assert "Openstaande acties" in overview and "Huisbezoek door het wijkteam" in overview
    async with h.db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.status == "open"
