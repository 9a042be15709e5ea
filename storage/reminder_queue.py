"""The reminder queue as the poller sees it (DESIGN §5): expire, recover, claim, record.

Each function takes the `Database` and commits on its own: a claim must be visible to other
processes before anything is posted to Slack, and no transaction stays open while Slack is
called. Every state change is one UPDATE whose WHERE clause carries the expected state.

A claim takes at most `limit` rows whatever the planner does, stamps them with one random
claim token, and holds them for a lease sized to the batch. Only the holder of the token may
record the outcome (`mark_sent`, `mark_failed`, `mark_obsolete`), so a process that lost its
lease cannot mark a row another process is sending. Rows whose lease ran out come back as
pending with `maybe_posted` set: the sender then looks for its earlier message first.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, update
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

# A lease covers the whole batch: a fixed part (opening the DM, one slow call) and a part per
# row claimed. Posts go out a few at a time, so half a second per row leaves several times the
# usual Slack latency; a batch of 50 is held 35 s, not the old 300 s.
LEASE_FLOOR_SECONDS = 10.0
LEASE_PER_ROW_SECONDS = 0.5

PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"[:64]


def lease_seconds_for(rows: int, *, ceiling: float = DEFAULT_LEASE_SECONDS) -> float:
    """How long a claim of `rows` reminders is held before others may take them over."""
    return min(LEASE_FLOOR_SECONDS + LEASE_PER_ROW_SECONDS * rows, ceiling)


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
        result = await session.exec(statement)
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
                # The dead claim may have posted before it died; its token stays, so its own
                # late `mark_sent` still lands as long as nobody has claimed the row again.
                maybe_posted=True,
            )
        )
        result = await session.exec(statement)
        return int(result.rowcount)


async def claim_due(
    db: Database,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    owner: str = PROCESS_NAME,
) -> list[Reminder]:
    """Atomically take up to `limit` due reminders for this process, committed on return.

    The due rows are chosen in a MATERIALIZED CTE, run once: a plain `id IN (SELECT … LIMIT n
    FOR UPDATE SKIP LOCKED)` may be planned as a nested-loop semi-join that re-runs the
    subquery for every outer row, each run skipping the rows the UPDATE already changed, and
    so claims far more than `limit` (500 of 500 with stale statistics). On PostgreSQL the CTE
    locks its rows and skips rows another process holds, so concurrent pollers take disjoint
    batches without waiting; SQLite has one writer at a time, so the UPDATE itself is the
    lock. `status = 'pending'` is checked again by the UPDATE on both.

    The lease is sized to the rows actually claimed (`lease_seconds_for`), never longer than
    `lease_seconds`. Each returned row carries this claim's `claim_token`.
    """
    if limit < 1:
        return []
    due = (
        select(col(Reminder.id))
        .where(
            _pending(),
            col(Reminder.due_at) <= now,
            or_(col(Reminder.expires_at).is_(None), col(Reminder.expires_at) > now),
        )
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite's compiler leaves it out
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    token = uuid.uuid4().hex
    claim = (
        update(Reminder)
        .where(col(Reminder.id).in_(select(due.c.id)), _pending())
        .values(
            status=ReminderStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=col(Reminder.attempts) + 1,
            claim_token=token,
            claimed_by=owner[:64],
        )
        .returning(Reminder)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        result = await session.exec(claim)
        claimed = list(result.scalars().all())
        if claimed:
            # Sized once the batch is known; in the same transaction, so no other process
            # ever sees the provisional lease.
            lease_until = now + timedelta(
                seconds=lease_seconds_for(len(claimed), ceiling=lease_seconds)
            )
            await session.exec(
                update(Reminder)
                .where(col(Reminder.id).in_([r.id for r in claimed]))
                .values(lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
            for reminder in claimed:
                reminder.lease_until = lease_until
    claimed.sort(key=lambda r: (r.due_at, r.id))
    return claimed


def _pending() -> Any:
    return col(Reminder.status) == ReminderStatus.PENDING


def _owned(reminder_id: int, claim_token: str | None, *, attempt: int | None = None) -> list[Any]:
    """The row as this claim left it: still `sending`, and still holding this claim's token.

    Without a token (callers from before claim tokens) only the status and, when given, the
    attempt number are checked.
    """
    conditions = [col(Reminder.id) == reminder_id, col(Reminder.status) == ReminderStatus.SENDING]
    if claim_token is not None:
        conditions.append(col(Reminder.claim_token) == claim_token)
    if attempt is not None:
        conditions.append(col(Reminder.attempts) == attempt)
    return conditions


async def extend_lease(db: Database, *, claim_token: str, until: datetime) -> int:
    """Hold this claim's rows still being sent until `until` (a sender slowed down by Slack's
    rate limits); how many rows are still this claim's."""
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(
                col(Reminder.claim_token) == claim_token,
                col(Reminder.status) == ReminderStatus.SENDING,
            )
            .values(lease_until=until)
        )
        result = await session.exec(statement)
        return int(result.rowcount)


async def mark_sent(
    db: Database,
    reminder_id: int,
    message_ts: str | None,
    *,
    claim_token: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a delivered reminder; False when the row was no longer ours to mark.

    With `claim_token`, the row must still hold it: still `sending`, or back to pending after
    the lease ran out but not yet claimed again (then the message did go out, and recording it
    spares the next claim a search). A row another claim has taken is left alone.
    """
    if claim_token is None:
        conditions = _owned(reminder_id, None)
    else:
        conditions = [
            col(Reminder.id) == reminder_id,
            col(Reminder.claim_token) == claim_token,
            col(Reminder.status).in_([ReminderStatus.SENDING, ReminderStatus.PENDING]),
        ]
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(*conditions)
            .values(
                status=ReminderStatus.SENT,
                message_ts=message_ts,
                sent_at=now or utcnow(),
                lease_until=None,
                last_error=None,
            )
        )
        result = await session.exec(statement)
        return bool(result.rowcount)


async def mark_failed(
    db: Database,
    reminder_id: int,
    error_code: str,
    retry_at: datetime | None,
    *,
    attempt: int | None = None,
    claim_token: str | None = None,
    maybe_posted: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
) -> ReminderStatus | None:
    """Back to pending at `retry_at`, or `failed` when `retry_at` is None or attempts ran out.

    Only the claim that holds the row may report: `claim_token` (or, from older callers, the
    row's `attempts` as claimed) must still match. `maybe_posted`: the failure leaves it open
    whether Slack got the message (a timeout), so the next claim looks before posting.
    Returns the new status, or None when the row was no longer ours.
    """
    check_error_code(error_code)
    exhausted = col(Reminder.attempts) >= max_attempts
    if retry_at is None:
        status: Any = ReminderStatus.FAILED.value
        due: Any = col(Reminder.due_at)
    else:
        status = case((exhausted, ReminderStatus.FAILED.value), else_=ReminderStatus.PENDING.value)
        due = case((exhausted, col(Reminder.due_at)), else_=retry_at)
    values: dict[str, Any] = {
        "status": status,
        "due_at": due,
        "last_error": error_code,
        "lease_until": None,
    }
    if maybe_posted:
        values["maybe_posted"] = True  # never cleared: once in doubt, always look first
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(*_owned(reminder_id, claim_token, attempt=attempt))
            .values(**values)
            .returning(col(Reminder.status))
        )
        result = await session.exec(statement)
        new_status = result.scalar_one_or_none()
    return None if new_status is None else ReminderStatus(new_status)


async def mark_obsolete(
    db: Database, reminder_id: int, reason_code: str, *, claim_token: str | None = None
) -> bool:
    """A claimed reminder that no longer makes sense (its meeting was cancelled): cancelled."""
    check_error_code(reason_code)
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(*_owned(reminder_id, claim_token))
            .values(status=ReminderStatus.CANCELLED, last_error=reason_code, lease_until=None)
        )
        result = await session.exec(statement)
        return bool(result.rowcount)


def backoff(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` failed tries: 1, 2, 4, ... minutes, at most an hour."""
    delay = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return now + min(delay, BACKOFF_MAX)


async def retry_failed(db: Database, *, now: datetime, dismiss: bool = False) -> int:
    """Failed reminders, once an admin has fixed why they failed: due again now with fresh
    attempts (the sender still looks for an earlier post of those `maybe_posted`), or with
    `dismiss`, cancelled so they are no longer reported. How many."""
    values: dict[str, Any] = (
        {"status": ReminderStatus.CANCELLED.value, "last_error": "dismissed"}
        if dismiss
        else {"status": ReminderStatus.PENDING.value, "due_at": now, "attempts": 0}
    )
    async with db.session() as session:
        statement = (
            update(Reminder)
            .where(col(Reminder.status) == ReminderStatus.FAILED)
            .values(lease_until=None, **values)
        )
        result = await session.exec(statement)
        return int(result.rowcount)
