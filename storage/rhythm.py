"""Nothing falls between meetings: a meeting that ends with none planned gets the regisseurs a
reminder after a few working days, and again every week, until a meeting is planned or the case
closes; and a case whose meetings lie too far apart for its phase shows as "overleg te lang
geleden".

The weekly reminders are a series like the bodemeis checks: each sender schedules the next
(`schedule_next_no_meeting_reminder`), for every current regisseur, under a dedupe key of the
week's date, so restarts, retries and two processes never double them. Planning a meeting
cancels them in the planning transaction (storage.meetings.plan_meeting); closing cancels
everything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    ReminderKind,
    WorkingHours,
    add_working_days,
    due_in_working_hours,
    local_moment,
    next_occurrence,
    occurrence_key,
)
from storage.cases import regisseurs
from storage.models import Case, CaseClosure, CaseStatus, Meeting, MeetingStatus, row_id
from storage.reminders import Reminder, schedule_reminder

WEEK_DAYS = 7


@dataclass(frozen=True, slots=True)
class OverdueCase:
    """An open case whose meetings lie further apart than its phase allows."""

    case_id: int
    code: str
    phase: str
    channel_id: str
    since: datetime  # the end of its last meeting (or its registration, or reopening)
    last_meeting_at: datetime | None  # None: it never met
    next_meeting_at: datetime | None  # None: nothing planned
    limit_days: int
    days: int  # days from `since` to the next meeting, or to now when that is later


def no_next_meeting_key(case_id: int, since: str, user_id: str, occurrence: str) -> str:
    return f"{ReminderKind.NO_NEXT_MEETING.value}:{case_id}:{since}:{user_id}:{occurrence}"


async def still_without_next_meeting(session: AsyncSession, *, case_id: int) -> bool:
    """The case is open and has no meeting planned or running (the reminder's cause holds)."""
    case = await session.get(Case, case_id)
    if case is None or case.status != CaseStatus.OPEN:
        return False
    query = select(Meeting.id).where(
        Meeting.case_id == case_id,
        col(Meeting.status).in_([MeetingStatus.PLANNED, MeetingStatus.RUNNING]),
    )
    return (await session.exec(query)).first() is None


async def after_meeting_ended(
    session: AsyncSession,
    *,
    meeting: Meeting,
    hours: WorkingHours,
    tz: ZoneInfo,
    working_days: int,
) -> int:
    """Call in the transaction that ends a meeting: when no next one is planned, each regisseur
    is reminded `working_days` after it ended. How many reminders were scheduled."""
    if meeting.ended_at is None:
        raise ValueError(f"meeting {meeting.id} has not ended")
    return await schedule_no_next_meeting(
        session,
        case_id=meeting.case_id,
        since=f"meeting{row_id(meeting)}",
        start=meeting.ended_at,
        hours=hours,
        tz=tz,
        working_days=working_days,
    )


async def schedule_no_next_meeting(
    session: AsyncSession,
    *,
    case_id: int,
    since: str,
    start: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    working_days: int,
) -> int:
    """The first "no meeting planned" reminder for each regisseur, `working_days` after
    `start`, unless a meeting is planned. `since` names the cause in the dedupe keys (the
    meeting that ended, a reopening)."""
    if not await still_without_next_meeting(session, case_id=case_id):
        return 0
    due = add_working_days(start, working_days, hours, tz)
    return await _schedule_for_regisseurs(
        session, case_id=case_id, since=since, due=due, hours=hours, tz=tz
    )


async def schedule_next_no_meeting_reminder(
    session: AsyncSession, *, reminder: Reminder, now: datetime, hours: WorkingHours, tz: ZoneInfo
) -> int:
    """Next week's reminder, for every current regisseur; call it from the sender before
    posting. 0 when a meeting was planned or the case closed meanwhile (the series ends)."""
    occurrence, at = reminder.data.get("occurrence"), reminder.data.get("at")
    since = reminder.data.get("since")
    if reminder.case_id is None or not (occurrence and at and since):
        raise ValueError(f"reminder {reminder.id} is not a no-next-meeting reminder")
    if not await still_without_next_meeting(session, case_id=reminder.case_id):
        return 0
    wall = time.fromisoformat(str(at))
    previous = local_moment(date.fromisoformat(str(occurrence)), wall, tz)
    nominal = next_occurrence(previous, WEEK_DAYS, wall, tz, after=now)
    return await _schedule_for_regisseurs(
        session,
        case_id=reminder.case_id,
        since=str(since),
        due=nominal,
        tz=tz,
        hours=hours,
    )


async def _schedule_for_regisseurs(
    session: AsyncSession,
    *,
    case_id: int,
    since: str,
    due: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> int:
    """One reminder per regisseur at nominal time `due`; its local date and time are the
    series' own, so it never drifts with working-hours shifts."""
    local = due.astimezone(tz)
    occurrence, at = occurrence_key(due, tz), f"{local:%H:%M}"
    due_at = due_in_working_hours(ReminderKind.NO_NEXT_MEETING, due, hours, tz)
    created = 0
    for user_id in await regisseurs(session, case_id=case_id):
        new_id = await schedule_reminder(
            session,
            kind=ReminderKind.NO_NEXT_MEETING,
            due_at=due_at,
            dedupe_key=no_next_meeting_key(case_id, since, user_id, occurrence),
            user_id=user_id,
            case_id=case_id,
            payload={"since": since, "occurrence": occurrence, "at": at},
        )
        created += new_id is not None
    return created


async def overdue_cases(
    session: AsyncSession,
    *,
    now: datetime,
    limits: Mapping[str, int],
    case_ids: Collection[int] | None = None,
) -> list[OverdueCase]:
    """Open cases where too long passes between meetings: from the end of the last meeting
    (else registration or reopening) to the next planned one — or to now, when nothing is
    planned or the planned time has passed — is more than the phase's limit in days. A case in
    a meeting right now is not overdue. Longest waits first."""
    ended = (
        select(
            col(Meeting.case_id).label("case_id"),
            func.max(func.coalesce(Meeting.ended_at, Meeting.started_at)).label("at"),
        )
        .where(Meeting.status == MeetingStatus.ENDED)
        .group_by(col(Meeting.case_id))
        .subquery()
    )
    planned = (
        select(col(Meeting.case_id).label("case_id"), func.min(Meeting.scheduled_at).label("at"))
        .where(Meeting.status == MeetingStatus.PLANNED)
        .group_by(col(Meeting.case_id))
        .subquery()
    )
    reopened = (
        select(
            col(CaseClosure.case_id).label("case_id"),
            func.max(CaseClosure.reopened_at).label("at"),
        )
        .group_by(col(CaseClosure.case_id))
        .subquery()
    )
    running = select(Meeting.case_id).where(Meeting.status == MeetingStatus.RUNNING)
    query = (
        select(Case, ended.c.at, planned.c.at, reopened.c.at)
        .outerjoin(ended, ended.c.case_id == col(Case.id))
        .outerjoin(planned, planned.c.case_id == col(Case.id))
        .outerjoin(reopened, reopened.c.case_id == col(Case.id))
        .where(Case.status == CaseStatus.OPEN, col(Case.id).not_in(running))
        .order_by(col(Case.id))
    )
    if case_ids is not None:
        query = query.where(col(Case.id).in_(list(case_ids)))
    found = []
    for case, last, upcoming, reopened_at in (await session.exec(query)).all():
        limit = limits.get(case.phase)
        if limit is None:
            continue
        since = max(m for m in (last, reopened_at, case.created_at) if m is not None)
        horizon = max(now, upcoming) if upcoming is not None else now
        if horizon - since <= timedelta(days=limit):
            continue
        found.append(
            OverdueCase(
                case_id=row_id(case),
                code=case.code,
                phase=case.phase,
                channel_id=case.channel_id,
                since=since,
                last_meeting_at=last,
                next_meeting_at=upcoming,
                limit_days=limit,
                days=(horizon - since).days,
            )
        )
    found.sort(key=lambda o: (-o.days, o.code))
    return found


async def last_meeting_end(session: AsyncSession, *, case_id: int) -> datetime | None:
    """When the case's last meeting ended (None: it never met)."""
    query = select(func.max(func.coalesce(Meeting.ended_at, Meeting.started_at))).where(
        Meeting.case_id == case_id, Meeting.status == MeetingStatus.ENDED
    )
    return (await session.exec(query)).one()
