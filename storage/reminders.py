"""Reminders as rows in our own table, claimed and sent by a poller in each process (DESIGN §5).

Scheduling, moving and cancelling take the caller's session, so they commit together with the
business change (meeting moved → its reminders move). The poller's steps, which commit on their
own, are in storage/reminder_queue.py.

Every state change is one UPDATE whose WHERE clause carries the expected state, so two
processes (or a poller and a user cancelling) can never both win. `attempts` doubles as a
fencing token: it is bumped by every claim, and a late failure report from a claim that lost
its lease cannot undo a newer claim's result.

The table holds ids and short codes only: no names, no free text (payload and last_error are
checked on the way in), so it needs no encryption and is safe to inspect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Index, Text, false, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    DEFAULT_PLAN,
    MeetingReminderPlan,
    ReminderKind,
    WorkingHours,
    meeting_timing,
)
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

MAX_ATTEMPTS = 5
# The longest lease a claim gets; storage.reminder_queue sizes each claim's lease to its batch
# below this, so a dead process's rows come back in seconds (bot/reminders.py passes this as
# claim_due's `lease_seconds`).
DEFAULT_LEASE_SECONDS = 120.0
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)

MEETING_KINDS = (ReminderKind.PREP, ReminderKind.PREP_NUDGE, ReminderKind.MEETING)

# Payload values are ids, flags and dates; anything that could hold a sentence is refused.
_ID_TEXT = re.compile(r"^[A-Za-z0-9_.:+-]{1,64}$")
_ERROR_CODE = re.compile(r"^[a-z0-9_.:-]{1,40}$")
_MAX_PAYLOAD_CHARS = 1000


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a poller; back to pending if its lease runs out
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        # The poller's queries: due pending rows, and sending rows past their lease.
        Index("ix_reminder_status_due", "status", "due_at"),
        Index("ix_reminder_status_lease", "status", "lease_until"),
        CheckConstraint(
            "user_id IS NOT NULL OR channel_id IS NOT NULL", name="ck_reminder_recipient"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    status: str = Field(default=ReminderStatus.PENDING, max_length=10)
    due_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_id: str | None = Field(default=None, max_length=32)  # a DM to this user
    channel_id: str | None = Field(default=None, max_length=32)  # or a post in this channel
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    # No foreign key yet: the agreement table arrives with the agreements UI.
    agreement_id: int | None = Field(default=None, index=True)
    # The escalation a pick-up reminder is about (storage/escalations.py): its pick-up cancels
    # them. No foreign key, like agreement_id: the reminder table stays a plain queue.
    escalation_id: int | None = Field(default=None, index=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    payload: str = Field(default="{}", sa_type=Text)  # JSON of ids only
    message_ts: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=40)  # a short code, never content
    # Set by each claim (one token per batch): only the claim holding the token may record the
    # outcome, so a process whose lease ran out cannot mark a row another claim is sending.
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_by: str | None = Field(default=None, max_length=64)  # host:pid, for the logs
    # An earlier claim may have posted this reminder before it lost the row (its lease ran
    # out): the sender looks for that message (metadata reminder_id) before posting again.
    maybe_posted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload or "{}")
        return loaded


# ----- writes in the caller's transaction -----


async def schedule_reminder(
    session: AsyncSession,
    *,
    kind: ReminderKind,
    due_at: datetime,
    dedupe_key: str,
    user_id: str | None = None,
    channel_id: str | None = None,
    case_id: int | None = None,
    meeting_id: int | None = None,
    agreement_id: int | None = None,
    escalation_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> int | None:
    """Insert a pending reminder; the id, or None when `dedupe_key` already exists.

    One INSERT ... ON CONFLICT DO NOTHING, so concurrent schedulers (two processes inserting the
    next bodemeis check) end up with one row, and neither fails.
    """
    kind = ReminderKind(kind)
    if (user_id is None) == (channel_id is None):
        raise ValueError("a reminder goes to exactly one of user_id or channel_id")
    if due_at.tzinfo is None or (expires_at is not None and expires_at.tzinfo is None):
        raise ValueError("due_at and expires_at must be aware datetimes")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1..200 characters")
    values = {
        "kind": kind.value,
        "status": ReminderStatus.PENDING.value,
        "due_at": due_at,
        "expires_at": expires_at,
        "attempts": 0,
        "user_id": user_id,
        "channel_id": channel_id,
        "case_id": case_id,
        "meeting_id": meeting_id,
        "agreement_id": agreement_id,
        "escalation_id": escalation_id,
        "dedupe_key": dedupe_key,
        "payload": encode_payload(payload),
        "created_at": utcnow(),
    }
    statement = (
        insert_for(session)(Reminder)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(Reminder.id))
    )
    result = await session.exec(statement)
    return result.scalar_one_or_none()


def encode_payload(payload: Mapping[str, Any] | None) -> str:
    """JSON of ids only: the table must never become a copy of case content."""
    payload = dict(payload or {})
    for key, value in payload.items():
        if not _ID_TEXT.match(str(key)):
            raise ValueError(f"payload key {key!r} is not an identifier")
        if value is None or isinstance(value, bool | int):
            continue
        if isinstance(value, str) and _ID_TEXT.match(value):
            continue
        raise ValueError(f"payload value for {key!r} is not an id, number or flag")
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    if len(encoded) > _MAX_PAYLOAD_CHARS:
        raise ValueError("payload too large for ids only")
    return encoded


async def cancel_reminders(
    session: AsyncSession,
    *,
    meeting_id: int | None = None,
    agreement_id: int | None = None,
    case_id: int | None = None,
    escalation_id: int | None = None,
    kinds: Iterable[ReminderKind] | None = None,
    user_id: str | None = None,
) -> int:
    """Cancel the pending reminders matching every given filter; how many were cancelled.

    Rows already being sent are left alone: their message is on its way.
    """
    filters = _selection(
        meeting_id=meeting_id,
        agreement_id=agreement_id,
        case_id=case_id,
        escalation_id=escalation_id,
    )
    if kinds is not None:
        filters.append(col(Reminder.kind).in_([ReminderKind(k).value for k in kinds]))
    if user_id is not None:  # e.g. someone no longer invited to the meeting
        filters.append(col(Reminder.user_id) == user_id)
    statement = (
        update(Reminder)
        .where(col(Reminder.status) == ReminderStatus.PENDING, *filters)
        .values(status=ReminderStatus.CANCELLED, lease_until=None)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


async def readdress(
    session: AsyncSession,
    *,
    agreement_id: int,
    kinds: Iterable[ReminderKind],
    from_user: str,
    to_user: str,
) -> int:
    """Send an agreement's pending reminders of `kinds` to `to_user` instead of `from_user`
    (a hand-over); how many moved. In place, so each keeps its dedupe key and comes once."""
    statement = (
        update(Reminder)
        .where(
            col(Reminder.status) == ReminderStatus.PENDING,
            col(Reminder.agreement_id) == agreement_id,
            col(Reminder.user_id) == from_user,
            col(Reminder.kind).in_([ReminderKind(k).value for k in kinds]),
        )
        .values(user_id=to_user)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


async def reschedule(
    session: AsyncSession,
    *,
    kind: ReminderKind,
    due_at: datetime,
    expires_at: datetime | None,
    meeting_id: int | None = None,
    agreement_id: int | None = None,
    case_id: int | None = None,
) -> int:
    """Move the pending reminders of `kind` matching the filters; how many moved."""
    filters = _selection(meeting_id=meeting_id, agreement_id=agreement_id, case_id=case_id)
    statement = (
        update(Reminder)
        .where(
            col(Reminder.status) == ReminderStatus.PENDING,
            col(Reminder.kind) == ReminderKind(kind).value,
            *filters,
        )
        .values(due_at=due_at, expires_at=expires_at)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


def _selection(
    *,
    meeting_id: int | None,
    agreement_id: int | None,
    case_id: int | None,
    escalation_id: int | None = None,
) -> list[Any]:
    filters: list[Any] = []
    if escalation_id is not None:
        filters.append(col(Reminder.escalation_id) == escalation_id)
    if meeting_id is not None:
        filters.append(col(Reminder.meeting_id) == meeting_id)
    if agreement_id is not None:
        filters.append(col(Reminder.agreement_id) == agreement_id)
    if case_id is not None:
        filters.append(col(Reminder.case_id) == case_id)
    if not filters:
        raise ValueError("give a meeting_id, agreement_id, case_id or escalation_id")
    return filters


def meeting_dedupe_key(kind: ReminderKind, *, meeting_id: int, user_id: str) -> str:
    # Without the meeting time: a moved meeting moves these rows instead of adding new ones.
    return f"{ReminderKind(kind).value}:meeting:{meeting_id}:user:{user_id}"


async def schedule_meeting_reminders(
    session: AsyncSession,
    *,
    case_id: int,
    meeting_id: int,
    meeting_at: datetime,
    invitees: Iterable[str],
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    kinds: Iterable[ReminderKind] = (ReminderKind.MEETING,),
    plan: MeetingReminderPlan = DEFAULT_PLAN,
) -> int:
    """One reminder of each kind per invitee, timed by flows.schedule; how many were new.

    `kinds` defaults to the meeting reminder alone because only it has a sender so far; add
    PREP and PREP_NUDGE when the prep DM's sender is registered. Safe to call again (for new
    invitees, say): existing rows are kept.
    """
    created = 0
    for kind in kinds:
        timing = meeting_timing(kind, meeting_at=meeting_at, now=now, hours=hours, tz=tz, plan=plan)
        if timing is None:
            continue
        for user_id in dict.fromkeys(invitees):
            new_id = await schedule_reminder(
                session,
                kind=kind,
                due_at=timing.due_at,
                expires_at=timing.expires_at,
                dedupe_key=meeting_dedupe_key(kind, meeting_id=meeting_id, user_id=user_id),
                user_id=user_id,
                case_id=case_id,
                meeting_id=meeting_id,
            )
            created += new_id is not None
    return created


async def move_meeting_reminders(
    session: AsyncSession,
    *,
    meeting_id: int,
    meeting_at: datetime,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    plan: MeetingReminderPlan = DEFAULT_PLAN,
) -> int:
    """Re-time the meeting's pending reminders for its new time; how many rows changed.

    Reminders already sent stay sent: the meeting reminder, still pending, carries the new time.
    A reminder the new time leaves no room for (a prep DM for a meeting moved to tomorrow
    morning) is cancelled rather than sent at an odd moment.
    """
    changed = 0
    for kind in MEETING_KINDS:
        timing = meeting_timing(kind, meeting_at=meeting_at, now=now, hours=hours, tz=tz, plan=plan)
        if timing is None:
            changed += await cancel_reminders(session, meeting_id=meeting_id, kinds=[kind])
        else:
            changed += await reschedule(
                session,
                kind=kind,
                meeting_id=meeting_id,
                due_at=timing.due_at,
                expires_at=timing.expires_at,
            )
    return changed


def check_error_code(code: str) -> None:
    """Error and reason codes are short lowercase codes, never message content."""
    if not _ERROR_CODE.match(code):
        raise ValueError("error codes must be short lowercase codes, never message content")


# ----- reads -----


async def reminder_by_id(session: AsyncSession, *, reminder_id: int) -> Reminder | None:
    return await session.get(Reminder, reminder_id)


async def reminders_for(
    session: AsyncSession,
    *,
    meeting_id: int | None = None,
    agreement_id: int | None = None,
    case_id: int | None = None,
) -> list[Reminder]:
    filters = _selection(meeting_id=meeting_id, agreement_id=agreement_id, case_id=case_id)
    query = select(Reminder).where(*filters).order_by(col(Reminder.due_at), col(Reminder.id))
    return list((await session.exec(query)).all())
