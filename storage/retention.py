"""Retention: closed cases are purged `retention_days` after closing (DESIGN §6).

A purge deletes every row that belongs to the case — found through the foreign keys
(storage.case_rows), so tables added later are covered — children before parents, in one
transaction, and leaves one audit line behind:

    case_purged  actor=<who ran it>  case_id=NULL
                 detail="code=ZVH-2026-014 closed=2025-03-01 rows=87"

Why keep the code: it is pseudonymous (the ZVH's registration system, not this bot, links it
to a person), and the line is the proof that the case was deleted on time — the accountability
the AVG asks for (art. 5(2)) — and answers "what happened to case X?". Everything that named
professionals (participants, the case's own audit lines with their Slack ids) goes with the
case; the line carries no user id of anyone involved in the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.case_rows import all_tables, case_conditions
from storage.models import AuditEvent, Case, CaseStatus, row_id

# The `type: ignore[call-overload]`s below: sqlmodel types exec() for its own select(); these
# are SQLAlchemy's (rows of Tables, scalars(), counts), which exec() runs all the same.

PURGED_ACTION = "case_purged"

# Columns ending in _ts that are not messages the bot posted: a click's time, and thread
# replies written by people (the bot cannot delete those; Slack's retention does).
NOT_BOT_MESSAGES = frozenset({("*", "action_ts"), ("contribution", "message_ts")})


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message the bot posted for a case, as far as the database remembers it."""

    ts: str
    channels: tuple[str, ...]  # where it may be: the row's channel, then the case channel
    dm_user: str | None  # or a DM to this user (reminders)
    is_thread: bool  # a thread parent: the bot's replies in it go too


@dataclass
class PurgePlan:
    case_id: int
    code: str
    closed_at: datetime | None
    channel_id: str
    rows: dict[str, int] = field(default_factory=dict)
    messages: list[StoredMessage] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def cutoff(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


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


async def plan_purge(session: AsyncSession, *, case: Case) -> PurgePlan:
    """What a purge of `case` would delete: row counts per table and the bot's messages."""
    case_id = row_id(case)
    plan = PurgePlan(case_id, case.code, case.closed_at, case.channel_id)
    conditions = case_conditions(all_tables(), case_id)
    for tbl, condition in conditions.items():
        count = (
            await session.exec(select(func.count()).select_from(tbl).where(condition))  # type: ignore[call-overload]
        ).scalar_one()
        if count:
            plan.rows[tbl.name] = int(count)
        plan.messages.extend(await _messages(session, tbl, condition, case.channel_id))
    plan.messages = list({(m.ts, m.channels, m.dm_user): m for m in plan.messages}.values())
    return plan


def _message_columns(tbl: Table) -> list[str]:
    return [
        c.name
        for c in tbl.columns
        if c.name.endswith("_ts")
        and ("*", c.name) not in NOT_BOT_MESSAGES
        and (tbl.name, c.name) not in NOT_BOT_MESSAGES
    ]


async def _messages(
    session: AsyncSession, tbl: Table, condition: object, case_channel: str
) -> list[StoredMessage]:
    names = _message_columns(tbl)
    if not names:
        return []
    extra = [n for n in ("channel_id", "user_id") if n in tbl.c]
    # Columns chosen at run time: a generator of them is not one of select()'s typed forms.
    query = select(*(tbl.c[n] for n in names + extra)).where(condition)  # type: ignore[arg-type]
    found: list[StoredMessage] = []
    for row in (await session.exec(query)).all():  # type: ignore[call-overload]
        values = row._mapping
        channel = values.get("channel_id")
        channels = tuple(dict.fromkeys(c for c in (channel, case_channel) if c))
        for name in names:
            if values[name]:
                found.append(
                    StoredMessage(
                        ts=str(values[name]),
                        channels=channels,
                        dm_user=values.get("user_id") if not channel else None,
                        is_thread=name == "thread_ts",
                    )
                )
    return found


async def purge_case(
    session: AsyncSession, *, case_id: int, closed_before: datetime, actor: str
) -> dict[str, int] | None:
    """Delete the case and everything that belongs to it; rows deleted per table.

    None when the case is no longer due (reopened, or purged by another process meanwhile).
    The first statement is a write on the case row, so two processes purging at once queue on
    it (PostgreSQL row lock, SQLite's single writer) and the second finds nothing to do.
    """
    claim = (
        update(Case)
        .where(
            col(Case.id) == case_id,
            col(Case.status) == CaseStatus.CLOSED,
            col(Case.closed_at) <= closed_before,
        )
        .values(status=CaseStatus.CLOSED)
    )
    if not (await session.exec(claim)).rowcount:
        return None
    case = (await session.exec(select(Case).where(col(Case.id) == case_id))).scalar_one()  # type: ignore[call-overload]
    code, closed_at = case.code, case.closed_at
    session.expunge(case)
    deleted: dict[str, int] = {}
    conditions = case_conditions(all_tables(), case_id)
    # Children before parents: a child's condition reads its parents, which still exist.
    for tbl in reversed(list(conditions)):
        result = await session.exec(delete(tbl).where(conditions[tbl]))
        if result.rowcount:
            deleted[tbl.name] = int(result.rowcount)
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
