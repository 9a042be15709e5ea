"""Nothing falls between meetings (issue 16 point 5): a meeting that ends without a next one
planned reminds the regisseurs after N working days, then weekly, until a meeting is planned;
a case whose meetings lie too far apart says "overleg te lang geleden" in that reminder and on
the home tab. Through a restart in the middle of the wait."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.server import start_bot
from flows.schedule import ReminderKind
from storage.models import Case, Meeting
from storage.reminders import ReminderStatus
from tests.e2e.agreement_steps import AMS, poll, stored_reminders
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import hold_meeting, register_case, text_of


async def _pending(h: Harness) -> list:
    return [
        r
        for r in await stored_reminders(h, ReminderKind.NO_NEXT_MEETING)
        if r.status == ReminderStatus.PENDING
    ]


async def test_the_regisseurs_are_reminded_weekly_until_a_meeting_is_planned(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "nog_zorgen")
    first = await _pending(h)
    petra, karim = h.sb.user("petra").id, h.sb.user("karim").id
    assert sorted(r.user_id for r in first) == sorted([petra, karim])
    due = first[0].due_at
    local = due.astimezone(AMS)
    assert local.weekday() < 5 and 8 <= local.hour < 18  # within working hours
    async with h.db.session() as session:
        ended = (await session.exec(select(Meeting))).one().ended_at
    assert ended is not None and due - ended >= timedelta(days=2)

    # A restart in the middle of the wait loses nothing.
    await h.bot.stop()
    h.bot = await start_bot(h.settings, port=0)
    h.app.request_url = f"http://127.0.0.1:{h.bot.port}/slack/events"

    assert (await poll(h, due - timedelta(minutes=1))).sent == 0
    assert (await poll(h, due)).sent == 2
    told = text_of(h.sb.user("petra").dms()[-1])
    assert "geen volgend overleg gepland" in told and "ZVH-2026-014" in told
    assert "te lang geleden" not in told
    # Exactly once: polling again sends nothing; next week's are waiting.
    assert (await poll(h, due + timedelta(minutes=5))).sent == 0
    second = await _pending(h)
    assert len(second) == 2 and all(r.due_at > due + timedelta(days=6) for r in second)

    # Two weeks on: more than the 14 days directe veiligheid allows.
    assert (await poll(h, second[0].due_at)).sent == 2
    third = await _pending(h)
    assert (await poll(h, third[0].due_at)).sent == 2
    told = text_of(h.sb.user("karim").dms()[-1])
    assert "Overleg te lang geleden" in told and "14 dagen" in told

    # Planning a meeting ends the series.
    await h.sb.user("petra").slash("/casus", "overleg", channel=CASE_CHANNEL)
    await h.settle()
    day = date.today() + timedelta(days=10)
    await h.sb.user("petra").submit({"date": {"date": day.isoformat()}, "time": {"time": "10:00"}})
    await h.settle()
    assert await _pending(h) == []


async def test_the_home_tab_marks_a_case_whose_meetings_lie_too_far_apart(
    harness: Harness,
) -> None:
    h = harness
    await register_case(h)
    await hold_meeting(h, "nog_zorgen")
    petra = h.sb.user("petra")
    await petra.open_home()
    await h.settle()
    assert "te lang geleden" not in str(petra.home)
    async with h.db.session() as session:
        meeting = (await session.exec(select(Meeting))).one()
        assert meeting.ended_at is not None
        meeting.ended_at -= timedelta(days=20)
        meeting.started_at = meeting.ended_at
        session.add(meeting)
    async with h.db.session() as session:
        case = (await session.exec(select(Case))).one()
        case.created_at -= timedelta(days=30)
        session.add(case)
    await petra.open_home()
    await h.settle()
    assert "Overleg te lang geleden" in str(petra.home)
