"""Retention: closed cases are purged `retention_days` after closing (DESIGN §6).

What goes, from the bot's own record and never from listing Slack's history:
- every Slack object in the outbox (`slack_object`): messages, thread replies and DMs by their
  ts, files by their id, canvases by their id; a row whose payload says `"pinned": true` is a
  pinned message (the veiligheidsplan's fallback) and is unpinned before it is deleted;
- every message a table remembers in a `*_ts` column (a reminder's DM, a vote's message, an
  escalation), in the row's channel, else the case channel, else the DM of the row's user;
- every row that belongs to the case — found through references (storage.case_rows), so tables
  added later are covered — children before parents, in one transaction;
- and the home tab of each of the case's people is drawn again without it (a published home
  view stays in Slack until the app publishes another; `people` in the plan says whose).

The protocol (bot.admin.retention runs it): `start_purge` retires the case's outbox rows and
commits, so no render brings one back (a render in flight deletes what it posts for a retired
row); the objects are deleted in Slack with no transaction open; only when all of them are gone
does `purge_case` forget the rows and delete the case. A Slack failure leaves the case as it is
for the next run, which deletes again what is left (an object already gone counts as deleted).

One audit line stays behind:

    case_purged  actor=<who ran it>  case_id=NULL
                 detail="code=ZVH-2026-014 closed=2025-03-01 rows=87"

Why keep the code: it is pseudonymous (the ZVH's registration system, not this bot, links it
to a person), and the line is the proof that the case was deleted on time — the accountability
the AVG asks for (art. 5(2)) — and answers "what happened to case X?". Everything that named
professionals (participants, the case's own audit lines with their Slack ids) goes with the
case; the line carries no user id of anyone involved in the case.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, delete, func, select, text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.case_rows import all_tables, case_conditions
from storage.db import Database
from storage.models import AuditEvent, Case, CaseStatus, Participant, SlackObject, row_id
from storage.slack_objects import forget, objects_of_case, retire

# The `type: ignore[call-overload]`s below: sqlmodel types exec() for its own select(); these
# are SQLAlchemy's (rows of Tables, scalars(), counts), which exec() runs all the same.

log = logging.getLogger("casusbot.retention")

PURGED_ACTION = "case_purged"
OUTBOX_TABLE = "slack_object"

# Columns ending in _ts that are not messages the bot posted: a click's time, and thread
# replies written by people (the bot cannot delete those; Slack's retention does).
NOT_BOT_MESSAGES = frozenset({("*", "action_ts"), ("contribution", "message_ts")})

# Any constant shared by every Casusbot process (storage.migrate uses another).
_LOCK_CLASS = 0x7075_7267  # "purg"


class ObjectKind(StrEnum):
    MESSAGE = "message"
    FILE = "file"
    CANVAS = "canvas"


@dataclass(frozen=True, slots=True)
class SlackTarget:
    """One Slack object the bot created for the case, as the database remembers it."""

    kind: ObjectKind
    id: str  # the message ts, the file id or the canvas id
    # Messages: the conversations it may be in, likeliest first; or the DM with `dm_user`.
    channels: tuple[str, ...] = ()
    dm_user: str | None = None
    pinned: bool = False
    source: str = ""  # where it is recorded ("slack_object 12", "reminder.message_ts 40")


@dataclass
class PurgePlan:
    case_id: int
    code: str
    closed_at: datetime | None
    channel_id: str
    rows: dict[str, int] = field(default_factory=dict)
    targets: list[SlackTarget] = field(default_factory=list)
    people: list[str] = field(default_factory=list)  # whose home tab may show the case

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def count(self, kind: ObjectKind) -> int:
        return sum(1 for t in self.targets if t.kind == kind)


def cutoff(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


def _due(case_id: int, before: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Case.id) == case_id,
        col(Case.status) == CaseStatus.CLOSED,
        col(Case.closed_at).is_not(None),
        col(Case.closed_at) <= before,
    )


async def due_for_purge(session: AsyncSession, *, before: datetime) -> list[Case]:
    """Closed cases whose closing lies before `before`, oldest first."""
    query = (
        select(Case)
        .where(
            col(Case.status) == CaseStatus.CLOSED,
            col(Case.closed_at).is_not(None),
            col(Case.closed_at) <= before,
        )
        .order_by(col(Case.closed_at), col(Case.id))
    )
    return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


async def plan_purge(
    session: AsyncSession, *, case: Case, metadata: MetaData | None = None
) -> PurgePlan:
    """What a purge of `case` would delete: rows per table and the Slack objects."""
    case_id = row_id(case)
    plan = PurgePlan(case_id, case.code, case.closed_at, case.channel_id)
    conditions = case_conditions(metadata or all_tables(), case_id)
    for tbl, condition in conditions.items():
        count = (
            await session.exec(select(func.count()).select_from(tbl).where(condition))  # type: ignore[call-overload]
        ).scalar_one()
        if count:
            plan.rows[tbl.name] = int(count)
    plan.targets = await slack_targets(session, case=case, conditions=conditions)
    plan.people = await people_of_case(session, case_id=case_id)
    return plan


async def people_of_case(session: AsyncSession, *, case_id: int) -> list[str]:
    """Everyone who was ever a participant of the case (removed ones too), by Slack id."""
    query = (
        select(col(Participant.user_id))
        .where(col(Participant.case_id) == case_id)
        .distinct()
        .order_by(col(Participant.user_id))
    )
    rows = await session.exec(query)  # type: ignore[call-overload]
    return [str(user) for user in rows.scalars().all()]


async def slack_targets(
    session: AsyncSession, *, case: Case, conditions: dict[Table, ColumnElement[bool]]
) -> list[SlackTarget]:
    """Every Slack object of the case: canvases, then files, then messages newest first (a
    thread's replies before its parent, which Slack would otherwise keep as a tombstone)."""
    found = _outbox_targets(await objects_of_case(session, case_id=row_id(case)))
    for tbl, condition in conditions.items():
        if tbl.name != OUTBOX_TABLE:
            found += await _recorded_messages(session, tbl, condition, case.channel_id)
    messages: dict[str, SlackTarget] = {}
    for target in found:
        if target.kind == ObjectKind.MESSAGE:
            messages.setdefault(target.id, target)  # the outbox's row (exact channel) wins
    others = sorted(
        {(t.kind, t.id): t for t in found if t.kind != ObjectKind.MESSAGE}.values(),
        key=lambda t: (t.kind != ObjectKind.CANVAS, t.id),
    )
    return others + sorted(messages.values(), key=lambda t: _ts_order(t.id), reverse=True)


def _ts_order(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds), int(fraction or 0)
    except ValueError:
        return 0, 0


def _outbox_targets(rows: Iterable[SlackObject]) -> list[SlackTarget]:
    found: list[SlackTarget] = []
    for row in rows:
        source = f"{OUTBOX_TABLE} {row.id}"
        if row.canvas_id:
            found.append(SlackTarget(ObjectKind.CANVAS, row.canvas_id, source=source))
        if row.file_id:
            found.append(SlackTarget(ObjectKind.FILE, row.file_id, source=source))
        if row.ts:
            # Not posted yet to a DM: the row names the user, not the DM.
            is_user = row.channel_id[:1] in ("U", "W")
            found.append(
                SlackTarget(
                    ObjectKind.MESSAGE,
                    row.ts,
                    channels=() if is_user else (row.channel_id,),
                    dm_user=row.channel_id if is_user else None,
                    pinned=_pinned(row.payload),
                    source=source,
                )
            )
    return found


def _pinned(payload: str | None) -> bool:
    try:
        data: Any = json.loads(payload or "{}")
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("pinned") is True


def _message_columns(tbl: Table) -> list[str]:
    return [
        c.name
        for c in tbl.columns
        if c.name.endswith("_ts")
        and ("*", c.name) not in NOT_BOT_MESSAGES
        and (tbl.name, c.name) not in NOT_BOT_MESSAGES
    ]


async def _recorded_messages(
    session: AsyncSession, tbl: Table, condition: ColumnElement[bool], case_channel: str
) -> list[SlackTarget]:
    """The bot's messages a table remembers in its `*_ts` columns."""
    names = _message_columns(tbl)
    if not names:
        return []
    extra = [n for n in ("channel_id", "user_id") if n in tbl.c]
    keys = [c.name for c in tbl.primary_key.columns]
    query = select(*(tbl.c[n] for n in dict.fromkeys(names + extra + keys))).where(condition)
    found: list[SlackTarget] = []
    for row in (await session.exec(query)).all():  # type: ignore[call-overload]
        values = row._mapping
        channel = values.get("channel_id")
        dm_user = values.get("user_id") if not channel else None
        # A DM is only in the DM; a channel post in its channel, else the case's channel.
        channels = () if dm_user else tuple(dict.fromkeys(c for c in (channel, case_channel) if c))
        pk = ",".join(str(values[k]) for k in keys)
        for name in names:
            if values[name]:
                found.append(
                    SlackTarget(
                        ObjectKind.MESSAGE,
                        str(values[name]),
                        channels=channels,
                        dm_user=dm_user,
                        source=f"{tbl.name}.{name} {pk}",
                    )
                )
    return found


async def start_purge(
    session: AsyncSession,
    *,
    case_id: int,
    closed_before: datetime,
    now: datetime,
    metadata: MetaData | None = None,
) -> list[SlackTarget] | None:
    """Retire the case's outbox rows (commit before calling Slack) and return every Slack
    object to delete, as recorded after retiring; None when the case is no longer due.

    The first statement writes the case row, so a reopen or another purge waits for this
    transaction. A render that recorded its post before the retire is in the list; one that
    tries after it is refused and deletes its post itself.
    """
    claim = update(Case).where(*_due(case_id, closed_before)).values(status=CaseStatus.CLOSED)
    if not (await session.exec(claim)).rowcount:
        return None
    retired: set[int] = set()
    while True:  # until no row of the case is left unretired
        rows = await objects_of_case(session, case_id=case_id)
        fresh = {row_id(r) for r in rows} - retired
        if not fresh:
            break
        await retire(session, ids=fresh, now=now)
        retired |= fresh
    # Reload what a render recorded before the retire got the row (the objects read above
    # are cached in the session as they were then).
    session.expire_all()
    case = (await session.exec(select(Case).where(col(Case.id) == case_id))).scalar_one()  # type: ignore[call-overload]
    return await slack_targets(
        session, case=case, conditions=case_conditions(metadata or all_tables(), case_id)
    )


async def purge_started(session: AsyncSession, *, case_id: int) -> bool:
    """Has a purge of this case retired its Slack objects? Then it must not be reopened: its
    messages are being deleted and are never shown again."""
    query = select(func.count()).where(
        col(SlackObject.case_id) == case_id, col(SlackObject.deleted_at).is_not(None)
    )
    return bool((await session.exec(query)).scalar_one())  # type: ignore[call-overload]


async def purge_case(
    session: AsyncSession,
    *,
    case_id: int,
    closed_before: datetime,
    actor: str,
    metadata: MetaData | None = None,
) -> dict[str, int] | None:
    """Delete the case and everything that belongs to it; rows deleted per table.

    None when the case is no longer due (reopened, or purged by another process meanwhile).
    The first statement is a write on the case row, so two processes purging at once queue on
    it (PostgreSQL row lock, SQLite's single writer) and the second finds nothing to do.
    """
    claim = update(Case).where(*_due(case_id, closed_before)).values(status=CaseStatus.CLOSED)
    if not (await session.exec(claim)).rowcount:
        return None
    case = (await session.exec(select(Case).where(col(Case.id) == case_id))).scalar_one()  # type: ignore[call-overload]
    code, closed_at = case.code, case.closed_at
    session.expunge(case)
    deleted: dict[str, int] = {}
    forgotten = await forget(
        session, ids=[row_id(r) for r in await objects_of_case(session, case_id=case_id)]
    )
    if forgotten:
        deleted[OUTBOX_TABLE] = forgotten
    conditions = case_conditions(metadata or all_tables(), case_id)
    # Children before parents: a child's condition reads its parents, which still exist.
    for tbl in reversed(list(conditions)):
        result = await session.exec(delete(tbl).where(conditions[tbl]))
        if result.rowcount:
            deleted[tbl.name] = deleted.get(tbl.name, 0) + int(result.rowcount)
    await audit.record(
        session,
        actor=actor,
        action=PURGED_ACTION,
        detail=f"code={code} closed={closed_at:%Y-%m-%d} rows={sum(deleted.values())}"
        if closed_at
        else f"code={code} rows={sum(deleted.values())}",
    )
    return deleted


async def purge_records(session: AsyncSession, *, code: str) -> list[AuditEvent]:
    """The audit lines left by purging the case with this code."""
    query = (
        select(AuditEvent)
        .where(
            col(AuditEvent.action) == PURGED_ACTION,
            col(AuditEvent.detail).startswith(f"code={code} "),
        )
        .order_by(col(AuditEvent.id))
    )
    return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


# ----- one purge at a time -----


@contextlib.asynccontextmanager
async def purge_lock(db: Database) -> AsyncIterator[bool]:
    """Hold the purge lock while the block runs; yields False when another process holds it.

    Every replica runs the daily job, and an admin may run `python -m bot purge` meanwhile: one
    at a time keeps Slack from getting every delete twice. PostgreSQL: a session-level advisory
    lock per schema, on a connection kept outside any transaction (no transaction stays open
    while Slack is called), released when the block ends or the process dies. SQLite (one host,
    one file): an exclusive lock on a file next to the database.
    """
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            schema = str(await auto.scalar(text("SELECT current_schema()")) or "public")
            keys = {"cls": _LOCK_CLASS, "key": zlib.crc32(schema.encode()) - 2**31}
            held = bool(await auto.scalar(text("SELECT pg_try_advisory_lock(:cls, :key)"), keys))
            try:
                yield held
            finally:
                if held:
                    await auto.execute(text("SELECT pg_advisory_unlock(:cls, :key)"), keys)
        return
    path = db.engine.url.database
    if not path or path == ":memory:":
        yield True
        return
    fd = os.open(f"{path}.purge-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the file releases the lock
