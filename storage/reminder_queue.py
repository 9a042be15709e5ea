"""The reminder queue as the poller sees it (DESIGN §5): expire, recover, claim, record.

Each function takes the `Database` and commits on its own: a claim must be visible to other
processes before anything is posted to Slack, and no transaction stays open while Slack is
called. Every state change is one UPDATE whose WHERE clause carries the expected state;
`attempts` doubles as a fencing token (see storage/reminders.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, update
from sqlmodel import col, select

from storage.db import Database
from storage.reminders import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    DEFAULT_LEASE_SECONDS,
    MAX_ATTEMPTS,
    Reminder,
    ReminderStatus,
    check_error_code,
)
from storage.types import utcnow


async def expire_late(db: Database, now: datetime) -> int:
    """Pending reminders past their expiry become `expired`; how many."""
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(
                col(Reminder.status) == ReminderStatus.PENDING,
                col(Reminder.expires_at).is_not(None),
                col(Reminder.expires_at) <= now,
            )
            .values(status=ReminderStatus.EXPIRED, lease_until=None)
        )
        result = await session.exec(statement)  # type: ignore[call-overload]
        return int(result.rowcount)


async def recover_stuck(db: Database, now: datetime, *, max_attempts: int = MAX_ATTEMPTS) -> int:
    """Rows left in `sending` past their lease (a process died mid-send) go back to pending.

    A row that has used all its attempts fails instead, so a reminder that crashes the bot
    every time cannot crash it forever.
    """
    exhausted = col(Reminder.attempts) >= max_attempts
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(
                col(Reminder.status) == ReminderStatus.SENDING,
                col(Reminder.lease_until) < now,
            )
            .values(
                status=case(
                    (exhausted, ReminderStatus.FAILED.value),
                    else_=ReminderStatus.PENDING.value,
                ),
                last_error="lease_expired",
                lease_until=None,
            )
        )
        result = await session.exec(statement)  # type: ignore[call-overload]
        return int(result.rowcount)


async def claim_due(
    db: Database, *, now: datetime, limit: int, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> list[Reminder]:
    """Atomically take up to `limit` due reminders for this process, committed on return.

    PostgreSQL: the inner SELECT locks its rows and skips rows another process has locked, so
    concurrent pollers take disjoint batches without waiting. SQLite has one writer at a time,
    so the UPDATE itself is the lock. On both, `status = 'pending'` is checked again by the
    UPDATE, so a row can only ever be claimed once per attempt.
    """
    due = (
        select(col(Reminder.id))
        .where(
            col(Reminder.status) == ReminderStatus.PENDING,
            col(Reminder.due_at) <= now,
            or_(col(Reminder.expires_at).is_(None), col(Reminder.expires_at) > now),
        )
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    if db.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Reminder)
        .where(and_(col(Reminder.id).in_(due.scalar_subquery()), _pending()))
        .values(
            status=ReminderStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=col(Reminder.attempts) + 1,
        )
        .returning(Reminder)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        result = await session.exec(statement)  # type: ignore[call-overload]
        claimed = list(result.scalars().all())
    claimed.sort(key=lambda r: (r.due_at, r.id))
    return claimed


def _pending() -> Any:
    return col(Reminder.status) == ReminderStatus.PENDING


async def mark_sent(
    db: Database, reminder_id: int, message_ts: str | None, *, now: datetime | None = None
) -> bool:
    """Record a delivered reminder; False when the row was no longer ours to mark."""
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.status) == ReminderStatus.SENDING)
            .values(
                status=ReminderStatus.SENT,
                message_ts=message_ts,
                sent_at=now or utcnow(),
                lease_until=None,
                last_error=None,
            )
        )
        result = await session.exec(statement)  # type: ignore[call-overload]
        return bool(result.rowcount)


async def mark_failed(
    db: Database,
    reminder_id: int,
    error_code: str,
    retry_at: datetime | None,
    *,
    attempt: int | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> ReminderStatus | None:
    """Back to pending at `retry_at`, or `failed` when `retry_at` is None or attempts ran out.

    `attempt` is the row's `attempts` as claimed: when given, the update only applies to that
    claim. Returns the new status, or None when the row was no longer ours.
    """
    check_error_code(error_code)
    exhausted = col(Reminder.attempts) >= max_attempts
    conditions = [col(Reminder.id) == reminder_id, col(Reminder.status) == ReminderStatus.SENDING]
    if attempt is not None:
        conditions.append(col(Reminder.attempts) == attempt)
    if retry_at is None:
        status: Any = ReminderStatus.FAILED.value
        due: Any = col(Reminder.due_at)
    else:
        status = case((exhausted, ReminderStatus.FAILED.value), else_=ReminderStatus.PENDING.value)
        due = case((exhausted, col(Reminder.due_at)), else_=retry_at)
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(*conditions)
            .values(status=status, due_at=due, last_error=error_code, lease_until=None)
            .returning(col(Reminder.status))
        )
        result = await session.exec(statement)  # type: ignore[call-overload]
        new_status = result.scalar_one_or_none()
    return None if new_status is None else ReminderStatus(new_status)


async def mark_obsolete(db: Database, reminder_id: int, reason_code: str) -> bool:
    """A claimed reminder that no longer makes sense (its meeting was cancelled): cancelled."""
    check_error_code(reason_code)
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.status) == ReminderStatus.SENDING)
            .values(status=ReminderStatus.CANCELLED, last_error=reason_code, lease_until=None)
        )
        result = await session.exec(statement)  # type: ignore[call-overload]
        return bool(result.rowcount)


def backoff(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` failed tries: 1, 2, 4, ... minutes, at most an hour."""
    delay = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return now + min(delay, BACKOFF_MAX)
