"""Idempotency: remember each delivery key (event_id, action_ts) and refuse repeats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedDelivery
from storage.types import utcnow
from storage.upsert import insert_for

KEEP = timedelta(days=2)  # Slack retries within minutes; two days is plenty


async def first_delivery(session: AsyncSession, *, key: str) -> bool:
    """True the first time `key` is seen; a single statement, so concurrent repeats agree."""
    insert = insert_for(session)
    statement = insert(ProcessedDelivery).values(key=key, at=utcnow()).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


async def forget_old_deliveries(session: AsyncSession) -> None:
    await session.exec(delete(ProcessedDelivery).where(col(ProcessedDelivery.at) < utcnow() - KEEP))
