"""Deadlines move in the open (issue 16, point 8) through the sandbox: "een week meer tijd" once
per due date from the due-date DM (and from the home tab once due) without a regisseur's
consent; each postponement shown in the agreements message and the veiligheidsplan; the
regisseurs told when an action is postponed past the next meeting."""

from __future__ import annotations

from sqlmodel import select

from bot.kit.blocks import local_date
from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.postponements import Postponement
from tests.e2e.agreement_steps import (
    agreements_text,
    click_dm,
    fresh,
    in_days,
    open_form,
    pending,
    poll,
    stored_agreements,
    submit,
    walk_to,
)
from tests.e2e.conftest import Harness
from tests.e2e.meeting_steps import action_ids, register_case, start_meeting
from tests.e2e.test_veiligheidsplan import canvas_text, case_of, stored_plan

WHAT = "Huisbezoek door het wijkteam"


async def action_with_a_next_meeting(h: Harness, *, due_in: int, meeting_in: int) -> str:
    await register_case(h)
    thread_ts = await start_meeting(h)
    question = await walk_to(h, thread_ts, "besluitvorming")
    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    fields = {
        "agreement_text": WHAT,
        "owner_user": "sanne",
        "due_date": in_days(due_in).isoformat(),
        "priority": "normaal",
    }
    assert await submit(h, "petra", fields) is None
    question = await walk_to(h, thread_ts, "afspraken")
    assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
    next_date = {"next_date": in_days(meeting_in).isoformat(), "next_time": "14:00"}
    assert await submit(h, "petra", next_date) is None
    return thread_ts


async def test_once_per_due_date_shown_everywhere_and_regisseurs_told_past_the_meeting(
    harness: Harness,
) -> None:
    h = harness
    thread_ts = await action_with_a_next_meeting(h, due_in=3, meeting_in=8)
    reminder = await pending(h, ReminderKind.ACTION_DUE)
    assert (await poll(h, reminder.due_at)).sent >= 1  # prep DMs for the next meeting too
    dm = due_dm(h)
    assert "action_more_time" in action_ids(dm)
    petra_before, karim_before = len(h.sb.user("petra").dms()), len(h.sb.user("karim").dms())

    await click_dm(h, "sanne", "action_more_time", dm)
    [action] = [a for a in await stored_agreements(h) if a.kind == "action"]
    assert action.due_date == in_days(10)
    [moved] = await _postponements(h)
    assert (moved.from_due, moved.to_due, moved.by, moved.consent_by) == (
        in_days(3),
        in_days(10),
        "U0SANNE",
        None,
    )
    # In the open: the agreements message, the veiligheidsplan.
    shown = agreements_text(h, thread_ts)
    assert "uitgesteld" in shown and local_date("nl", in_days(3)) in shown
    case = await case_of(h)
    assert canvas_text(h) == await stored_plan(h, case) and "Uitgesteld" in canvas_text(h)
    # Past the next meeting (in 8 days): both regisseurs hear it, once.
    for who, before in (("petra", petra_before), ("karim", karim_before)):
        dms = h.sb.user(who).dms()
        assert len(dms) == before + 1
        assert "uitgesteld tot na het volgende overleg" in str(dms[-1]) and WHAT in str(dms[-1])

    # A restart while the new date is awaited: the next DM comes, without "meer tijd".
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"
    again = await pending(h, ReminderKind.ACTION_DUE)
    assert (await poll(h, again.due_at)).sent >= 1
    second = due_dm(h)
    assert second["ts"] != dm["ts"]
    assert "action_more_time" not in action_ids(second)
    assert "al een keer uitgesteld" in str(second)
    assert {"action_done", "action_not_possible"} <= set(action_ids(second))
    assert action_ids(fresh(h, "sanne", dm)) == []
    assert len(await _postponements(h)) == 1


async def test_a_move_before_the_next_meeting_tells_nobody_and_home_offers_it_once_due(
    harness: Harness,
) -> None:
    h = harness
    await action_with_a_next_meeting(h, due_in=0, meeting_in=30)
    sanne = h.sb.user("sanne")
    await sanne.open_home()
    await h.settle()
    assert sanne.home is not None and "action_more_time" in str(sanne.home["blocks"])
    petra_before = len(h.sb.user("petra").dms())
    await sanne.click("action_more_time", view="home")
    await h.settle()
    [action] = [a for a in await stored_agreements(h) if a.kind == "action"]
    assert action.due_date == in_days(7)
    assert len(h.sb.user("petra").dms()) == petra_before  # still before the next meeting
    await sanne.open_home()
    await h.settle()
    assert "action_more_time" not in str(sanne.home["blocks"])  # not due any more


def due_dm(h: Harness) -> dict:
    """Sanne's newest action-due DM (prep DMs for the next meeting come meanwhile)."""
    return [m for m in h.sb.user("sanne").dms() if "action_done" in action_ids(m)][-1]


async def _postponements(h: Harness) -> list[Postponement]:
    async with h.db.session() as session:
        return list((await session.exec(select(Postponement))).all())
