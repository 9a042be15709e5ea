"""Moving a planned meeting moves its reminders; dropped invitees are no longer reminded."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from storage.models import Meeting
from storage.reminders import Reminder
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import register_case, text_of


async def _plan(h: Harness, values: dict) -> None:
    petra = h.sb.user("petra")
    await petra.slash("/casus", "overleg", channel=CASE_CHANNEL)
    await h.settle()
    await petra.submit(values)
    await h.settle()


async def _reminders(h: Harness) -> list[Reminder]:
    async with h.db.session() as session:
        return list((await session.exec(select(Reminder))).all())


async def test_moving_the_planned_meeting_moves_its_reminders(harness: Harness) -> None:
    h = harness
    await register_case(h)
    first_day = date.today() + timedelta(days=21)
    await _plan(h, {"date": {"date": first_day.isoformat()}, "time": {"time": "10:00"}})
    before = {(r.kind, r.user_id): r.due_at for r in await _reminders(h) if r.status == "pending"}
    assert before

    later = first_day + timedelta(days=7)
    await _plan(
        h,
        {
            "date": {"date": later.isoformat()},
            "time": {"time": "14:00"},
            "invited": {"invited": ["petra", "karim", "sanne", "joost", "ilse"]},  # not lotte
        },
    )
    async with h.db.session() as session:
        meetings = (await session.exec(select(Meeting))).all()
    assert len(meetings) == 1  # moved, not a second meeting
    assert meetings[0].scheduled_at.date() == later
    after = {(r.kind, r.user_id): r for r in await _reminders(h)}
    meeting_reminder = after[("meeting", "U0SANNE")]
    assert meeting_reminder.status == "pending"
    assert meeting_reminder.due_at > before[("meeting", "U0SANNE")] + timedelta(days=6)
    assert all(r.status == "cancelled" for (kind, user), r in after.items() if user == "U0LOTTE")
    posted = "\n".join(text_of(m) for m in h.sb.messages(CASE_CHANNEL))
    assert "is verplaatst naar" in posted
