"""The meeting's Slack objects (outbox rows) and their keys: the planning message in the case
channel, and the parent message with every post in its thread, in one lane so the minutes read
in order. Features that post in the thread (votes, agreements, reports) ask for their rows here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import bump, wanted
from bot.kit.runtime import Deps
from storage.meetings import planned_meetings
from storage.models import Meeting, SlackObject, row_id
from storage.slack_objects import newest_in_lane, object_by_key, objects_in_lane


def lane(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def parent_key(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:parent"


def planning_key(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:planning"


async def want_planning(session: AsyncSession, deps: Deps, meeting: Meeting, channel: str) -> int:
    """The planning message (its Start button, who prepared; once started, says so)."""
    meeting_id = row_id(meeting)
    return await wanted(
        session,
        deps,
        key=planning_key(meeting_id),
        kind=ObjectKind.MEETING_PLANNING,
        case_id=meeting.case_id,
        channel_id=channel,
        payload={"meeting": meeting_id},
    )


async def want_moved_note(session: AsyncSession, deps: Deps, meeting: Meeting, channel: str) -> int:
    """The channel is told the meeting moved: one note per move (the version names it)."""
    meeting_id = row_id(meeting)
    return await wanted(
        session,
        deps,
        key=f"meeting:{meeting_id}:moved:{meeting.version}",
        kind=ObjectKind.MEETING_MOVED,
        case_id=meeting.case_id,
        channel_id=channel,
        payload={"meeting": meeting_id},
    )


async def bump_planning(session: AsyncSession, deps: Deps, meeting_id: int) -> list[int]:
    """Redraw the planning message, if the meeting has one."""
    row = await object_by_key(session, key=planning_key(meeting_id))
    return [await bump(session, deps, row)] if row is not None else []


async def want_parent(session: AsyncSession, deps: Deps, meeting: Meeting, channel: str) -> int:
    """The meeting's parent message: its thread is the meeting."""
    meeting_id = row_id(meeting)
    return await wanted(
        session,
        deps,
        key=parent_key(meeting_id),
        kind=ObjectKind.MEETING_PARENT,
        case_id=meeting.case_id,
        channel_id=channel,
        lane=lane(meeting_id),
        payload={"meeting": meeting_id},
    )


async def bump_parent(session: AsyncSession, deps: Deps, meeting_id: int) -> list[int]:
    """Redraw the parent message (attendance, progress), if it was asked for."""
    row = await object_by_key(session, key=parent_key(meeting_id))
    return [await bump(session, deps, row)] if row is not None else []


async def bump_case_plannings(
    session: AsyncSession, deps: Deps, case_id: int, *, but: int | None = None
) -> list[int]:
    """Redraw the planning messages of the case's planned meetings (all `but` one): their
    Start button is there only while no meeting of the case runs."""
    ids: list[int] = []
    for meeting in await planned_meetings(session, case_id=case_id):
        if meeting.id != but:
            ids += await bump_planning(session, deps, row_id(meeting))
    return ids


async def want_in_thread(
    session: AsyncSession,
    deps: Deps,
    meeting: Meeting,
    *,
    key: str,
    kind: str,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """A post in the meeting's thread, after every earlier post of the thread."""
    meeting_id = row_id(meeting)
    if not meeting.channel_id:
        raise ValueError(f"meeting {meeting_id} has no channel: it never started")
    # A meeting whose parent is known goes straight to its thread (also one started before
    # the parent message was an outbox object).
    place: dict[str, str] = (
        {"thread_ts": meeting.thread_ts}
        if meeting.thread_ts
        else {"parent_key": parent_key(meeting_id)}
    )
    return await wanted(
        session,
        deps,
        key=key,
        kind=kind,
        case_id=meeting.case_id,
        channel_id=meeting.channel_id,
        lane=lane(meeting_id),
        payload={"meeting": meeting_id, **(payload or {})},
        **place,
    )


async def current_question(session: AsyncSession, meeting_id: int) -> SlackObject | None:
    """The newest question of the thread: the one with the buttons while the meeting runs."""
    return await newest_in_lane(session, lane=lane(meeting_id), kind=ObjectKind.MEETING_QUESTION)


async def bump_thread(session: AsyncSession, deps: Deps, meeting_id: int) -> list[int]:
    """Draw every object of the meeting again: `/casus herstel` and the parent's button. A
    message someone deleted is posted anew; the planning message follows too."""
    rows = await objects_in_lane(session, lane=lane(meeting_id))
    ids = [await bump(session, deps, row) for row in rows]
    return ids + await bump_planning(session, deps, meeting_id)
