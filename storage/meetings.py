"""Meetings: planning, starting, and moving through the questions with optimistic locking."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.meeting import MeetingState
from flows.schedule import ReminderKind
from storage.models import Meeting, MeetingInvitee, MeetingStatus, row_id
from storage.reminders import cancel_reminders


def load_state(meeting: Meeting) -> MeetingState:
    """The stored JSON as the pure state machine's state."""
    return MeetingState.from_dict(json.loads(meeting.state))


def dump_state(state: MeetingState) -> str:
    return json.dumps(state.to_dict(), separators=(",", ":"))


async def plan_meeting(
    session: AsyncSession,
    *,
    case_id: int,
    phase: str,
    scheduled_at: datetime,
    planned_by: str,
    invitees: Iterable[str],
    state: str,
) -> Meeting:
    meeting = Meeting(
        case_id=case_id,
        phase=phase,
        scheduled_at=scheduled_at,
        planned_by=planned_by,
        state=state,
    )
    session.add(meeting)
    await session.flush()
    for user_id in dict.fromkeys(invitees):
        session.add(MeetingInvitee(meeting_id=row_id(meeting), user_id=user_id))
    await session.flush()
    # A meeting is planned: the "no meeting planned" reminders (storage.rhythm) end here.
    await cancel_reminders(session, case_id=case_id, kinds=[ReminderKind.NO_NEXT_MEETING])
    return meeting


async def meeting_by_id(session: AsyncSession, *, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def next_planned(session: AsyncSession, *, case_id: int) -> Meeting | None:
    query = (
        select(Meeting)
        .where(Meeting.case_id == case_id, Meeting.status == MeetingStatus.PLANNED)
        .order_by(col(Meeting.scheduled_at), col(Meeting.id))
    )
    return (await session.exec(query)).first()


async def planned_meetings(session: AsyncSession, *, case_id: int) -> list[Meeting]:
    query = (
        select(Meeting)
        .where(Meeting.case_id == case_id, Meeting.status == MeetingStatus.PLANNED)
        .order_by(col(Meeting.scheduled_at), col(Meeting.id))
    )
    return list((await session.exec(query)).all())


async def latest_ended(session: AsyncSession, *, case_id: int) -> Meeting | None:
    """The case's meeting that ended last (the one `/casus verslag` reports)."""
    query = (
        select(Meeting)
        .where(Meeting.case_id == case_id, Meeting.status == MeetingStatus.ENDED)
        .order_by(col(Meeting.ended_at).desc().nulls_last(), col(Meeting.id).desc())
    )
    return (await session.exec(query)).first()


async def running_meeting(session: AsyncSession, *, case_id: int) -> Meeting | None:
    query = select(Meeting).where(
        Meeting.case_id == case_id, Meeting.status == MeetingStatus.RUNNING
    )
    return (await session.exec(query)).first()


async def meeting_by_thread(
    session: AsyncSession, *, channel_id: str, thread_ts: str
) -> Meeting | None:
    query = select(Meeting).where(Meeting.channel_id == channel_id, Meeting.thread_ts == thread_ts)
    return (await session.exec(query)).first()


async def meetings_of_case(session: AsyncSession, *, case_id: int) -> list[Meeting]:
    query = select(Meeting).where(Meeting.case_id == case_id).order_by(col(Meeting.id))
    return list((await session.exec(query)).all())


async def invitees(session: AsyncSession, *, meeting_id: int) -> list[str]:
    query = select(MeetingInvitee.user_id).where(MeetingInvitee.meeting_id == meeting_id)
    return list((await session.exec(query.order_by(col(MeetingInvitee.id)))).all())


async def update_meeting(
    session: AsyncSession, *, meeting_id: int, expected_version: int, **values: Any
) -> bool:
    """Apply `values` only if nobody moved the meeting since `expected_version` was read.

    One UPDATE ... WHERE version = expected: of two concurrent clicks exactly one wins, and
    the loser learns it (False) instead of overwriting the winner's move.
    """
    statement = (
        update(Meeting)
        .where(col(Meeting.id) == meeting_id, col(Meeting.version) == expected_version)
        .values(version=expected_version + 1, **values)
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def set_invitees(
    session: AsyncSession, *, meeting_id: int, users: Iterable[str]
) -> list[str]:
    """Make the invitee list exactly `users`; returns who was dropped."""
    wanted = list(dict.fromkeys(users))
    current = await invitees(session, meeting_id=meeting_id)
    dropped = [user for user in current if user not in wanted]
    if dropped:
        await session.exec(
            delete(MeetingInvitee).where(
                col(MeetingInvitee.meeting_id) == meeting_id,
                col(MeetingInvitee.user_id).in_(dropped),
            )
        )
    for user in wanted:
        if user not in current:
            session.add(MeetingInvitee(meeting_id=meeting_id, user_id=user))
    await session.flush()
    return dropped


async def set_messages(
    session: AsyncSession,
    *,
    meeting_id: int,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    question_ts: str | None = None,
    planning_ts: str | None = None,
) -> None:
    """Remember where the meeting's messages are (the arguments given). Where a message is
    does not move the meeting: its version stays, so buttons drawn before remain valid."""
    given = {
        "channel_id": channel_id,
        "thread_ts": thread_ts,
        "question_ts": question_ts,
        "planning_ts": planning_ts,
    }
    values = {name: value for name, value in given.items() if value is not None}
    if values:
        await session.exec(update(Meeting).where(col(Meeting.id) == meeting_id).values(**values))
