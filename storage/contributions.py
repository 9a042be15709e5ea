"""Thread replies as the minutes of a meeting; edits and deletions follow Slack."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Contribution
from storage.types import utcnow
from storage.upsert import insert_for


async def add_contribution(
    session: AsyncSession,
    *,
    meeting_id: int,
    step_key: str,
    user_id: str,
    message_ts: str,
    text: str,
) -> bool:
    """Store a reply once (Slack may deliver the same event twice); True when new."""
    insert = insert_for(session)
    statement = (
        insert(Contribution)
        .values(
            meeting_id=meeting_id,
            step_key=step_key,
            user_id=user_id,
            message_ts=message_ts,
            text=text,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["meeting_id", "message_ts"])
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def edit_contribution(
    session: AsyncSession, *, meeting_id: int, message_ts: str, text: str
) -> bool:
    statement = (
        update(Contribution)
        .where(
            col(Contribution.meeting_id) == meeting_id,
            col(Contribution.message_ts) == message_ts,
            col(Contribution.deleted_at).is_(None),
        )
        .values(text=text, edited_at=utcnow())
    )
    return bool((await session.exec(statement)).rowcount)


async def delete_contribution(session: AsyncSession, *, meeting_id: int, message_ts: str) -> bool:
    """Deleted in Slack means gone here too: the text is erased, the fact is kept for order."""
    statement = (
        update(Contribution)
        .where(
            col(Contribution.meeting_id) == meeting_id,
            col(Contribution.message_ts) == message_ts,
        )
        .values(text=None, deleted_at=utcnow())
    )
    return bool((await session.exec(statement)).rowcount)


async def contributions(session: AsyncSession, *, meeting_id: int) -> list[Contribution]:
    query = (
        select(Contribution)
        .where(Contribution.meeting_id == meeting_id, col(Contribution.deleted_at).is_(None))
        .order_by(col(Contribution.message_ts))
    )
    return list((await session.exec(query)).all())
