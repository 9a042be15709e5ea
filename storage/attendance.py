"""Who was at the table of a meeting (issue 15): the invitees' attendance and who set it.

An invitee checks in (present) themselves; a regisseur marks people present, afgemeld
(excused) or absent, and adds someone who joined without an invitation. A vote checks its
voter in when nobody marked them yet: whoever scores is at the table. Each change is one
UPDATE (or an INSERT for someone added), so two regisseurs and a check-in do not overwrite
each other with a stale read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Attendance, MeetingInvitee, Participant
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Seat:
    """One invitee's attendance as the parent message and the report show it."""

    user_id: str
    attendance: Attendance | None  # None: not checked in, nobody marked them
    added: bool = False  # added at the table by a regisseur


def may_vote_clause() -> ColumnElement[bool]:
    """SQL: the invitee may vote — present, or not marked yet (their vote checks them in)."""
    return or_(
        col(MeetingInvitee.attendance).is_(None),
        col(MeetingInvitee.attendance) == Attendance.PRESENT.value,
    )


async def seats(session: AsyncSession, *, meeting_id: int) -> list[Seat]:
    """Every invitee (and everyone added at the table) in invitation order."""
    query = (
        select(MeetingInvitee)
        .where(MeetingInvitee.meeting_id == meeting_id)
        .order_by(col(MeetingInvitee.id))
    )
    return [
        Seat(
            row.user_id,
            Attendance(row.attendance) if row.attendance else None,
            added=row.added_by is not None,
        )
        for row in (await session.exec(query)).all()
    ]


async def present(session: AsyncSession, *, meeting_id: int) -> list[str]:
    query = (
        select(MeetingInvitee.user_id)
        .where(
            MeetingInvitee.meeting_id == meeting_id,
            MeetingInvitee.attendance == Attendance.PRESENT.value,
        )
        .order_by(col(MeetingInvitee.id))
    )
    return list((await session.exec(query)).all())


async def check_in(
    session: AsyncSession, *, meeting_id: int, user_id: str, only_unmarked: bool = False
) -> bool:
    """The invitee is present (their own word, which beats any earlier mark). With
    `only_unmarked` (a vote), only when nobody marked them yet. True when it changed."""
    conditions = [
        col(MeetingInvitee.meeting_id) == meeting_id,
        col(MeetingInvitee.user_id) == user_id,
    ]
    if only_unmarked:
        conditions.append(col(MeetingInvitee.attendance).is_(None))
    else:
        conditions.append(
            or_(
                col(MeetingInvitee.attendance).is_(None),
                col(MeetingInvitee.attendance) != Attendance.PRESENT.value,
            )
        )
    statement = (
        update(MeetingInvitee)
        .where(*conditions)
        .values(attendance=Attendance.PRESENT.value, attendance_by=user_id, attendance_at=utcnow())
    )
    return bool((await session.exec(statement)).rowcount)


async def is_invited(session: AsyncSession, *, meeting_id: int, user_id: str) -> bool:
    query = select(MeetingInvitee.id).where(
        MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.user_id == user_id
    )
    return (await session.exec(query)).first() is not None


async def mark(
    session: AsyncSession, *, meeting_id: int, marks: Mapping[str, Attendance], by: str
) -> list[tuple[str, Attendance]]:
    """A regisseur's marks: each user's attendance; someone not invited is added at the
    table. Returns the changes (user, new attendance), for the audit log."""
    known = {seat.user_id: seat.attendance for seat in await seats(session, meeting_id=meeting_id)}
    changed: list[tuple[str, Attendance]] = []
    now = utcnow()
    for user, attendance in marks.items():
        if user not in known:
            session.add(
                MeetingInvitee(
                    meeting_id=meeting_id,
                    user_id=user,
                    attendance=attendance.value,
                    attendance_by=by,
                    attendance_at=now,
                    added_by=by,
                )
            )
        elif known[user] is not attendance:
            await session.exec(
                update(MeetingInvitee)
                .where(
                    col(MeetingInvitee.meeting_id) == meeting_id,
                    col(MeetingInvitee.user_id) == user,
                )
                .values(attendance=attendance.value, attendance_by=by, attendance_at=now)
            )
        else:
            continue
        changed.append((user, attendance))
    await session.flush()
    return changed


def missing_organisations(seats: list[Seat], members: list[Participant]) -> list[str]:
    """The organisations of the case's participants that have nobody present, in the order
    the case names them (participants without an organisation are not counted)."""
    organisation = {m.user_id: m.organisation for m in members}
    at_table = {organisation.get(s.user_id) for s in seats if s.attendance is Attendance.PRESENT}
    wanted = dict.fromkeys(m.organisation for m in members if m.organisation)
    return [org for org in wanted if org not in at_table]
