"""Escalations with an owner (issue 16, point 3) through the sandbox: every escalation carries
"Ik pak dit op" and the emergency line; the first click owns it, the post says so and its
thread tells the others; nobody picking it up reaches both regisseurs by DM at the configured
working hour (also across a restart), and again at the end of the next working day, exactly
once; resolving records what was done."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from bot.config import DEFAULT_EMERGENCY_TEXT
from bot.server import start_bot
from flows.schedule import ReminderKind, add_working_time, end_of_next_working_day
from storage.agreements import Agreement
from storage.escalations import Escalation
from storage.models import AuditEvent
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import (
    AMS,
    click_dm,
    in_days,
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
    register_case,
    start_meeting,
    text_of,
    thread,
)
from tests.e2e.test_escalation import check_dm, record_bodemeis


async def escalations(h: Harness) -> list[Escalation]:
    async with h.db.session() as session:
        return list((await session.exec(select(Escalation).order_by(col(Escalation.id)))).all())


def alert_of(h: Harness) -> dict:
    [alert] = [m for m in h.sb.messages(CASE_CHANNEL) if "Bodemeis niet nageleefd" in text_of(m)]
    return alert


async def not_met(h: Harness) -> dict:
    """A bodemeis reported broken by its monitor: the alert in the case channel."""
    await record_bodemeis(h, phase="risicogestuurde_zorg", plan=True)
    dm = await check_dm(h)
    await click_dm(h, "sanne", "check_not_met", dm)
    return alert_of(h)


async def test_the_first_click_owns_it_the_others_are_told_and_resolving_records_what_was_done(
    harness: Harness,
) -> None:
    h = harness
    alert = await not_met(h)
    assert "escalation_pick_up" in action_ids(alert)
    assert "escalation_resolve_open" in action_ids(alert)
    assert DEFAULT_EMERGENCY_TEXT in text_of(alert) and "door niemand opgepakt" in text_of(alert)
    [escalation] = await escalations(h)
    assert (escalation.kind, escalation.raised_by) == ("bodemeis_not_met", "U0SANNE")
    pickups = await stored_reminders(h, ReminderKind.ESCALATION_PICKUP)
    assert {r.user_id for r in pickups} == {"U0PETRA", "U0KARIM"}

    # The regisseurs' home tab shows it first, with the button to pick it up.
    petra = h.sb.user("petra")
    await petra.open_home()
    await h.settle()
    assert petra.home is not None
    home = str(petra.home["blocks"])
    assert home.index("Open escalaties") < home.index("Mijn casussen")
    assert "escalation_pick_up" in home

    joost, lotte = h.sb.user("joost"), h.sb.user("lotte")
    await asyncio.gather(  # two people at once: exactly one owns it
        joost.click("escalation_pick_up", message=(CASE_CHANNEL, alert["ts"])),
        lotte.click("escalation_pick_up", message=(CASE_CHANNEL, alert["ts"])),
    )
    await h.settle()
    [escalation] = await escalations(h)
    owner = escalation.owner_user_id
    assert owner in ("U0JOOST", "U0LOTTE") and escalation.picked_up_at is not None
    shown = h.sb.message(CASE_CHANNEL, alert["ts"])
    assert shown is not None
    assert f"Opgepakt door <@{owner}>" in text_of(shown)
    assert "escalation_pick_up" not in action_ids(shown)
    # The others hear it in the alert's thread, once.
    news = [m for m in thread(h, alert["ts"]) if "pakt deze escalatie" in text_of(m)]
    assert len(news) == 1 and f"<@{owner}>" in text_of(news[0])
    # Nobody is chased any more: the pick-up DMs are cancelled.
    for reminder in await stored_reminders(h, ReminderKind.ESCALATION_PICKUP):
        assert reminder.status == ReminderStatus.CANCELLED

    # Someone else (not a regisseur) cannot resolve it; the owner can, with a note.
    other = "lotte" if owner == "U0JOOST" else "joost"
    assert await open_form(h, other, "escalation_resolve_open", shown) is None
    owner_handle = "joost" if owner == "U0JOOST" else "lotte"
    modal = await open_form(h, owner_handle, "escalation_resolve_open", shown)
    assert modal is not None and modal["callback_id"] == "escalation_resolve"
    ack = await submit(
        h, owner_handle, {"resolution": "afspraak_aangepast", "note": "BSN 111222333"}
    )
    assert ack is not None and "BSN" in ack["errors"]["note"]
    ack = await submit(
        h, owner_handle, {"resolution": "afspraak_aangepast", "note": "Omgangsregeling aangepast"}
    )
    assert ack is None
    [escalation] = await escalations(h)
    assert escalation.resolution == "afspraak_aangepast" and escalation.resolved_by == owner
    assert escalation.note == "Omgangsregeling aangepast"
    resolved = h.sb.message(CASE_CHANNEL, alert["ts"])
    assert resolved is not None and "Afgehandeld door" in text_of(resolved)
    assert "Afspraak aangepast" in text_of(
        resolved
    ) and "escalation_resolve_open" not in action_ids(resolved)
    async with h.db.session() as session:
        actions = (await session.exec(select(AuditEvent.action))).all()
    assert {"escalation_raised", "escalation_picked_up", "escalation_resolved"} <= set(actions)


async def test_nobody_picks_it_up_both_regisseurs_hear_at_the_working_hour_across_a_restart(
    harness: Harness,
) -> None:
    h = harness
    alert = await not_met(h)
    [escalation] = await escalations(h)
    hours = h.settings.working_hours
    first = add_working_time(
        escalation.raised_at, timedelta(hours=h.settings.escalation_pickup_hours), hours, AMS
    )
    again = end_of_next_working_day(first, hours, AMS)
    pickups = await stored_reminders(h, ReminderKind.ESCALATION_PICKUP)
    assert {r.due_at for r in pickups} == {first}
    local = first.astimezone(AMS)
    assert local.weekday() in hours.days and hours.start <= local.time() <= hours.end

    # The bot restarts while everyone waits: nothing is lost.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    petra_before, karim_before = len(h.sb.user("petra").dms()), len(h.sb.user("karim").dms())
    assert (await poll(h, first - timedelta(minutes=1))).sent == 0
    assert (await poll(h, first)).sent == 2
    assert (await poll(h, first)).sent == 0  # exactly once
    for who, before in (("petra", petra_before), ("karim", karim_before)):
        dms = h.sb.user(who).dms()
        assert len(dms) == before + 1
        assert "nog niet opgepakt" in text_of(dms[-1]) and DEFAULT_EMERGENCY_TEXT in text_of(
            dms[-1]
        )
        assert action_ids(dms[-1]) == ["escalation_pick_up"]

    # Again at the end of the next working day, to both.
    assert (await poll(h, again - timedelta(minutes=1))).sent == 0
    assert (await poll(h, again)).sent == 2
    dm = last_dm(h, "karim")
    assert "nog steeds niet opgepakt" in text_of(dm)

    # Karim picks it up from his DM: owner recorded, the alert and his DM say so.
    await click_dm(h, "karim", "escalation_pick_up", dm)
    [escalation] = await escalations(h)
    assert escalation.owner_user_id == "U0KARIM"
    shown = h.sb.message(CASE_CHANNEL, alert["ts"])
    assert shown is not None and "Opgepakt door <@U0KARIM>" in text_of(shown)
    assert "opgepakt" in text_of(last_dm(h, "karim")) and action_ids(last_dm(h, "karim")) == []


async def test_a_high_priority_action_that_cannot_be_done_escalates_with_an_owner(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    await submit(
        h,
        "petra",
        {
            "agreement_text": "Huisbezoek",
            "owner_user": "sanne",
            "due_date": in_days(10).isoformat(),
            "priority": "hoog",
        },
    )
    async with h.db.session() as session:
        action = (await session.exec(select(Agreement))).one()
    [due] = await stored_reminders(h, ReminderKind.ACTION_DUE)
    assert (await poll(h, due.due_at)).sent == 1
    dm = last_dm(h, "sanne")
    await click_dm(h, "sanne", "action_not_possible", dm)
    assert await submit(h, "sanne", {"reason": "Niemand thuis"}) is None
    [escalation] = await escalations(h)
    assert escalation.kind == "action_not_possible" and escalation.agreement_id == action.id
    [alert] = [m for m in h.sb.messages(CASE_CHANNEL) if "hoge prioriteit" in text_of(m)]
    assert "Niemand thuis" in text_of(alert) and "escalation_pick_up" in action_ids(alert)
    assert DEFAULT_EMERGENCY_TEXT in text_of(alert)
    await click(h, "petra", "escalation_pick_up", alert)
    [escalation] = await escalations(h)
    assert escalation.owner_user_id == "U0PETRA"


async def test_a_check_nobody_answers_escalates_with_an_owner_to_find(harness: Harness) -> None:
    h = harness
    await record_bodemeis(h, plan=False)
    await check_dm(h)
    unanswered = await pending(h, ReminderKind.BODEMEIS_ESCALATION)
    assert (await poll(h, unanswered.due_at)).sent == 1
    [escalation] = await escalations(h)
    assert (escalation.kind, escalation.raised_by, escalation.owner_user_id) == (
        "check_unanswered",
        None,
        None,
    )
    [alert] = [m for m in h.sb.messages(CASE_CHANNEL) if "niet gecontroleerd" in text_of(m)]
    assert "escalation_pick_up" in action_ids(alert) and DEFAULT_EMERGENCY_TEXT in text_of(alert)
    # Raised at the escalation's time: the pick-up DMs come that many working hours later.
    first = add_working_time(
        unanswered.due_at,
        timedelta(hours=h.settings.escalation_pickup_hours),
        h.settings.working_hours,
        AMS,
    )
    assert {r.due_at for r in await stored_reminders(h, ReminderKind.ESCALATION_PICKUP)} == {first}
