"""Nothing falls between meetings, on SQLite and PostgreSQL: a meeting that ends without a next
one brings the regisseurs a reminder after two working days and then every week — across
restarts and the clock change, once each — until a meeting is planned or the case closes; and
cases whose meetings lie too far apart for their phase are found."""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.schedule import DEFAULT_MAX_MEETING_INTERVAL_DAYS, ReminderKind
from storage.cases import close_case
from storage.db import Database
from storage.meetings import plan_meeting
from storage.models import Case as CaseRow
from storage.models import Meeting, MeetingStatus
from storage.reminder_queue import claim_due, mark_sent
from storage.reminders import ReminderStatus
from storage.rhythm import (
    after_meeting_ended,
    overdue_cases,
    schedule_next_no_meeting_reminder,
    still_without_next_meeting,
)
from tests.storage.case_life_steps import (
    AMS,
    HOURS,
    KARIN,
    PETRA,
    Case,
    ams,
    end_meeting,
    new_case,
    pending,
    reminders,
    wall,
)

NO_MEETING = ReminderKind.NO_NEXT_MEETING


async def ended(db: Database, case: Case, at: datetime) -> int:
    meeting = await end_meeting(db, case.meeting_id, at)
    async with db.session() as session:
        return await after_meeting_ended(
            session, meeting=meeting, hours=HOURS, tz=AMS, working_days=2
        )


async def plan(db: Database, case: Case, at: datetime) -> int:
    async with db.session() as session:
        meeting = await plan_meeting(
            session,
            case_id=case.case_id,
            phase="directe_veiligheid",
            scheduled_at=at,
            planned_by=PETRA,
            invitees=[PETRA, KARIN],
            state="{}",
        )
        return meeting.id  # type: ignore[return-value]


async def test_a_meeting_that_ends_without_a_next_one_reminds_both_regisseurs(
    db: Database,
) -> None:
    case = await new_case(db)
    assert await ended(db, case, ams(2027, 3, 5, 15)) == 2  # Friday afternoon
    assert await pending(db, NO_MEETING) == [
        (PETRA, "Tue 2027-03-09 15:00"),
        (KARIN, "Tue 2027-03-09 15:00"),
    ]


async def test_a_meeting_that_ends_with_the_next_one_planned_reminds_nobody(
    db: Database,
) -> None:
    case = await new_case(db)
    await plan(db, case, ams(2027, 3, 15, 10))
    assert await ended(db, case, ams(2027, 3, 1, 12)) == 0
    assert await pending(db, NO_MEETING) == []


async def test_planning_a_meeting_cancels_the_reminders_in_the_same_transaction(
    db: Database,
) -> None:
    case = await new_case(db)
    await ended(db, case, ams(2027, 3, 1, 12))
    await plan(db, case, ams(2027, 3, 15, 10))
    assert [r.status for r in await reminders(db, NO_MEETING)] == [ReminderStatus.CANCELLED] * 2


async def test_weeks_without_a_meeting_bring_one_reminder_a_week_until_one_is_planned(
    db: Database, second_db: Database
) -> None:
    """The poller and the sender's storage calls, hour by hour, alternating processes by ISO
    week; the meeting is planned five weeks later, after the clocks went forward."""
    case = await new_case(db)
    await ended(db, case, ams(2027, 3, 1, 12))  # Monday
    sent: list[tuple[str | None, str]] = []
    now = ams(2027, 3, 1, 12)
    while now <= ams(2027, 4, 16, 18):
        process = (db, second_db)[now.isocalendar().week % 2]
        if now == ams(2027, 4, 5, 9):
            await plan(process, case, ams(2027, 4, 12, 10))
        for reminder in await claim_due(process, now=now, limit=10):
            assert reminder.id is not None and reminder.kind == NO_MEETING
            async with process.session() as session:  # the sender schedules next week first
                await schedule_next_no_meeting_reminder(
                    session, reminder=reminder, now=now, hours=HOURS, tz=AMS
                )
            await mark_sent(process, reminder.id, "1.1", claim_token=reminder.claim_token, now=now)
            sent.append((reminder.user_id, wall(now)))
        now += timedelta(hours=1)
    weeks = ["2027-03-03", "2027-03-10", "2027-03-17", "2027-03-24", "2027-03-31"]
    assert sent == [(user, f"Wed {day} 12:00") for day in weeks for user in (PETRA, KARIN)]
    assert await pending(db, NO_MEETING) == []


async def test_closing_the_case_ends_the_series(db: Database) -> None:
    case = await new_case(db)
    await ended(db, case, ams(2027, 3, 1, 12))
    [first, _] = await reminders(db, NO_MEETING)
    async with db.session() as session:
        row = await session.get(CaseRow, case.case_id)
        assert row is not None
        await close_case(session, case=row, actor=PETRA)
    async with db.session() as session:
        assert not await still_without_next_meeting(session, case_id=case.case_id)
        # A sender holding a reminder claimed just before the close schedules nothing more.
        assert (
            await schedule_next_no_meeting_reminder(
                session, reminder=first, now=ams(2027, 3, 3, 12), hours=HOURS, tz=AMS
            )
            == 0
        )
    assert {r.status for r in await reminders(db, NO_MEETING)} == {ReminderStatus.CANCELLED}


# ----- "overleg te lang geleden" -----


async def test_cases_whose_meetings_lie_too_far_apart_for_their_phase_are_found(
    db: Database,
) -> None:
    march_1 = ams(2027, 3, 1, 12)
    now = ams(2027, 3, 20, 12)

    async def case(code: str, phase: str = "directe_veiligheid") -> Case:
        return await new_case(db, code=code, phase=phase, at=march_1)

    nothing_planned = await case("ZVH-A")
    await end_meeting(db, nothing_planned.meeting_id, march_1)
    planned_in_time = await case("ZVH-B")
    await end_meeting(db, planned_in_time.meeting_id, march_1)
    await plan(db, planned_in_time, ams(2027, 3, 22, 10))  # 21 days: too late after all
    planned_soon = await case("ZVH-C")
    await end_meeting(db, planned_soon.meeting_id, ams(2027, 3, 10, 12))
    await plan(db, planned_soon, ams(2027, 3, 23, 10))  # 13 days after the last one
    slower_phase = await case("ZVH-D", "risicogestuurde_zorg")
    await end_meeting(db, slower_phase.meeting_id, march_1)
    in_a_meeting = await case("ZVH-E")
    async with db.session() as session:
        meeting = await session.get(Meeting, in_a_meeting.meeting_id)
        assert meeting is not None
        meeting.status = MeetingStatus.RUNNING
        session.add(meeting)
    never_met = await case("ZVH-F")  # registered 1 March, its meeting never held
    closed = await case("ZVH-G")
    await end_meeting(db, closed.meeting_id, march_1)
    async with db.session() as session:
        row = await session.get(CaseRow, closed.case_id)
        assert row is not None
        await close_case(session, case=row, actor=PETRA)

    async with db.session() as session:
        found = await overdue_cases(session, now=now, limits=DEFAULT_MAX_MEETING_INTERVAL_DAYS)
    assert [(o.code, o.days, o.last_meeting_at is None, o.next_meeting_at) for o in found] == [
        ("ZVH-B", 20, False, ams(2027, 3, 22, 10)),
        ("ZVH-A", 19, False, None),
        ("ZVH-F", 19, True, ams(2027, 3, 1, 12)),
    ]
    assert all(o.limit_days == 14 for o in found)
    assert never_met.case_id in {o.case_id for o in found}
