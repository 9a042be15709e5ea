"""Who is at the table (issue 15): invitees check in, the regisseurs keep the list.

Plain async functions with keyword arguments; each holds its transaction and asks for the
rows that show the change: the parent message (present / afgemeld / absent, organisations
missing from the table) and the open ballot ("n van m aanwezigen").
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.runtime import Declined, Deps
from bot.meetings.objects import bump_parent
from bot.votes.objects import bump_ballot
from storage import audit
from storage.attendance import check_in, mark
from storage.cases import add_participants
from storage.meetings import load_state, meeting_by_id
from storage.models import Attendance, Meeting, MeetingStatus, row_id


async def shown_attendance(session: AsyncSession, deps: Deps, meeting: Meeting) -> list[int]:
    """The rows that show a change of attendance: the parent and the open ballot."""
    meeting_id = row_id(meeting)
    rows = await bump_parent(session, deps, meeting_id)
    state = load_state(meeting)
    if state.scale_open and state.scale_round:
        rows += await bump_ballot(session, deps, meeting_id, number=state.scale_round)
    return rows


async def _running(session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await meeting_by_id(session, meeting_id=meeting_id)
    if meeting is None or meeting.status != MeetingStatus.RUNNING:
        raise Declined("attendance.not_running")
    return meeting


async def check_in_self(deps: Deps, *, meeting_id: int, user_id: str) -> tuple[int, ...]:
    """The user is at the table (their own word beats an earlier mark); a participant of the
    case who was not invited joins the list. Nothing to show when they were present already."""
    async with deps.db.session() as session:
        meeting = await _running(session, meeting_id)
        if not await mark(
            session, meeting_id=meeting_id, marks={user_id: Attendance.PRESENT}, by=user_id
        ):
            return ()
        return tuple(await shown_attendance(session, deps, meeting))


async def check_in_voter(
    session: AsyncSession, deps: Deps, meeting: Meeting, user_id: str
) -> list[int]:
    """A stored vote checks its voter in when nobody marked them yet (in the vote's
    transaction): whoever scores is at the table."""
    if not await check_in(session, meeting_id=row_id(meeting), user_id=user_id, only_unmarked=True):
        return []
    return await bump_parent(session, deps, row_id(meeting))


async def mark_attendance(
    deps: Deps,
    *,
    meeting_id: int,
    marks: Mapping[str, Attendance],
    newcomers: Mapping[str, str],
    actor: str,
) -> tuple[int, ...]:
    """A regisseur's marks: present, afgemeld or absent; someone not invited is added at the
    table (and to the case, as a deelnemer, with `newcomers`' organisation). Audited."""
    async with deps.db.session() as session:
        meeting = await _running(session, meeting_id)
        await add_participants(session, case_id=meeting.case_id, members=dict(newcomers))
        changed = await mark(session, meeting_id=meeting_id, marks=marks, by=actor)
        for user, attendance in changed:
            await audit.record(
                session,
                actor=actor,
                action="attendance_marked",
                case_id=meeting.case_id,
                meeting_id=meeting_id,
                detail=f"{user}:{attendance.value}",
            )
        if not changed:
            return ()
        return tuple(await shown_attendance(session, deps, meeting))
