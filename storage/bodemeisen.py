"""The life of a bodemeis after it was agreed: reviewed ("blijft"), changed as a new version, or
ended — at the guideline's "Zijn hier nog aanpassingen in nodig?" or between meetings.

A change never edits a bodemeis: the row in force is marked superseded and a new row, pointing
to it, takes its place, so the report can show what was agreed when. Its checks follow in the
same transaction: the old version's pending checks and escalations are cancelled and the new
monitor's next check is scheduled at once; an ended bodemeis has none left. Each state change is
one UPDATE that expects the bodemeis to be in force, so of two regisseurs changing it at once
exactly one wins (the other learns it: None or False).

Reasons are encrypted; the audit log records who decided what, never the wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import UniqueConstraint, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import ReminderKind, WorkingHours, local_moment
from storage import audit
from storage.agreements import (
    DEFAULT_INTERVAL_DAYS,
    REMINDER_TIME,
    Agreement,
    AgreementKind,
    AgreementStatus,
    BodemeisCheck,
)
from storage.bodemeis_checks import nominal_check_time, schedule_check_at, schedule_next_check
from storage.cases import participant
from storage.models import row_id
from storage.reminders import Reminder, ReminderStatus, cancel_reminders
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

# What a bodemeis's checks consist of: the DM to its monitor and the escalations after it.
CHECK_KINDS = (ReminderKind.BODEMEIS_CHECK, ReminderKind.BODEMEIS_ESCALATION)


class ReviewDecision(StrEnum):
    KEPT = "blijft"
    CHANGED = "aangepast"
    ENDED = "beeindigd"


class BodemeisReview(SQLModel, table=True):
    """One decision about one bodemeis version: in a meeting (once per meeting; a later
    decision in the same meeting replaces an earlier one) or between meetings."""

    __tablename__ = "bodemeis_review"
    __table_args__ = (
        UniqueConstraint("agreement_id", "meeting_id", name="uq_bodemeis_review_meeting"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    decision: str = Field(max_length=20)
    # The version that replaced this one (a change).
    successor_id: int | None = Field(default=None, foreign_key="agreement.id")
    decided_by: str = Field(max_length=32)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class BodemeisSeries:
    """Every version of one bodemeis, oldest first, and the decisions about them."""

    versions: tuple[Agreement, ...]
    reviews: tuple[BodemeisReview, ...]

    @property
    def current(self) -> Agreement:
        return self.versions[-1]

    @property
    def active(self) -> bool:
        return self.current.status == AgreementStatus.OPEN


# ----- reads -----


async def active_bodemeisen(session: AsyncSession, *, case_id: int) -> list[Agreement]:
    """The bodemeisen in force (one version each), in the order they were first agreed: a
    changed one keeps its place in the veiligheidsplan."""
    chains = _chains(await _versions(session, case_id=case_id))
    return [chain[-1] for chain in chains if chain[-1].status == AgreementStatus.OPEN]


async def latest_checks(session: AsyncSession, *, case_id: int) -> dict[int, BodemeisCheck]:
    """{bodemeis id: its latest answered check} for the case's bodemeisen in force.

    Latest by the check's date, not by when it was answered: a late answer to last week's
    check does not hide this week's.
    """
    newest = (
        select(
            col(BodemeisCheck.agreement_id).label("agreement_id"),
            func.max(BodemeisCheck.occurrence).label("occurrence"),
        )
        .join(Agreement, col(Agreement.id) == col(BodemeisCheck.agreement_id))
        .where(
            Agreement.case_id == case_id,
            Agreement.kind == AgreementKind.BODEMEIS,
            Agreement.status == AgreementStatus.OPEN,
        )
        .group_by(col(BodemeisCheck.agreement_id))
        .subquery()
    )
    query = select(BodemeisCheck).join(
        newest,
        (col(BodemeisCheck.agreement_id) == newest.c.agreement_id)
        & (col(BodemeisCheck.occurrence) == newest.c.occurrence),
    )
    return {check.agreement_id: check for check in (await session.exec(query)).all()}


async def active_with_checks(
    session: AsyncSession, *, case_id: int
) -> list[tuple[Agreement, BodemeisCheck | None]]:
    """The bodemeisen in force with their latest check (None: not checked yet), for the Vooraf
    overview and the veiligheidsplan."""
    checks = await latest_checks(session, case_id=case_id)
    return [(b, checks.get(row_id(b))) for b in await active_bodemeisen(session, case_id=case_id)]


async def bodemeis_history(session: AsyncSession, *, case_id: int) -> list[BodemeisSeries]:
    """Every bodemeis the case ever had, each with all its versions and decisions, in the order
    they were first agreed (for the report)."""
    chains = _chains(await _versions(session, case_id=case_id))
    reviews_query = (
        select(BodemeisReview)
        .join(Agreement, col(Agreement.id) == col(BodemeisReview.agreement_id))
        .where(Agreement.case_id == case_id)
        .order_by(col(BodemeisReview.decided_at), col(BodemeisReview.id))
    )
    reviews = list((await session.exec(reviews_query)).all())
    series = []
    for chain in chains:
        ids = {row_id(v) for v in chain}
        mine = tuple(r for r in reviews if r.agreement_id in ids)
        series.append(BodemeisSeries(versions=tuple(chain), reviews=mine))
    return series


async def _versions(session: AsyncSession, *, case_id: int) -> list[Agreement]:
    """Every version of every bodemeis of the case, oldest first."""
    query = (
        select(Agreement)
        .where(Agreement.case_id == case_id, Agreement.kind == AgreementKind.BODEMEIS)
        .order_by(col(Agreement.id))
        # Callers judge the status: rows this session loaded before an UPDATE in the same
        # transaction must show what is stored now.
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


def _chains(versions: list[Agreement]) -> list[list[Agreement]]:
    """The versions grouped per bodemeis (first to current), in the order first agreed."""
    successor = {v.previous_id: v for v in versions if v.previous_id is not None}
    chains = []
    for first in (v for v in versions if v.previous_id is None):
        chain = [first]
        while row_id(chain[-1]) in successor:
            chain.append(successor[row_id(chain[-1])])
        chains.append(chain)
    return chains


async def reviews_in_meeting(session: AsyncSession, *, meeting_id: int) -> list[BodemeisReview]:
    """The decisions taken in one meeting (the review step shows which are still to do)."""
    query = (
        select(BodemeisReview)
        .where(BodemeisReview.meeting_id == meeting_id)
        .order_by(col(BodemeisReview.id))
    )
    return list((await session.exec(query)).all())


# ----- decisions -----


async def keep_bodemeis(
    session: AsyncSession, *, agreement_id: int, meeting_id: int | None, by: str, now: datetime
) -> bool:
    """Record "blijft"; False when the bodemeis is no longer in force or was already decided
    on in this meeting (a double click). Its checks simply go on."""
    bodemeis = await _claim_in_force(session, agreement_id, now=now)
    if bodemeis is None:
        return False
    return await _decided(
        session,
        bodemeis=bodemeis,
        decision=ReviewDecision.KEPT,
        meeting_id=meeting_id,
        by=by,
        now=now,
    )


async def change_bodemeis(
    session: AsyncSession,
    *,
    agreement_id: int,
    by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    text: str | None = None,
    monitor_user_id: str | None = None,
    interval_days: int | None = None,
    meeting_id: int | None = None,
) -> Agreement | None:
    """A new version with the given changes; None when the bodemeis is not (or no longer) in
    force — someone changed or ended it first. Raises ValueError for a change that changes
    nothing, an interval below one day, or a monitor who is not in the case (the caller's
    transaction then rolls back).

    The new version belongs to `meeting_id` (the meeting deciding it), else to the meeting of
    the version it replaces. Its first check comes when the old version's next check would
    have come, if that lies within the new interval, else one new interval from today.
    """
    old = await _claim_in_force(session, agreement_id, now=now)
    if old is None:
        return None
    new_text = old.text if text is None else text.strip()
    new_monitor = monitor_user_id or old.monitor_user_id
    new_interval = interval_days or old.interval_days
    changed = [
        name
        for name, before, after in (
            ("text", old.text, new_text),
            ("monitor", old.monitor_user_id, new_monitor),
            ("interval", old.interval_days, new_interval),
        )
        if before != after
    ]
    if not changed:
        raise ValueError("a change needs a new text, monitor or interval")
    if not new_text:
        raise ValueError("a bodemeis needs a text")
    if new_interval is not None and new_interval < 1:
        raise ValueError("the interval is at least one day")
    if new_monitor is None or (
        new_monitor != old.monitor_user_id
        and await participant(session, case_id=old.case_id, user_id=new_monitor) is None
    ):
        raise ValueError("the monitor must be a participant of the case")
    await _retire(session, agreement_id, status=AgreementStatus.SUPERSEDED, now=now)
    next_due = await _pending_check_due(session, agreement_id=agreement_id, tz=tz)
    await cancel_reminders(session, agreement_id=agreement_id, kinds=CHECK_KINDS)
    new = Agreement(
        case_id=old.case_id,
        meeting_id=meeting_id or old.meeting_id,
        kind=AgreementKind.BODEMEIS,
        text=new_text,
        monitor_user_id=new_monitor,
        interval_days=new_interval,
        previous_id=agreement_id,
        version=old.version + 1,
        created_by=by,
        created_at=now,
    )
    session.add(new)
    await session.flush()
    today = local_moment(now.astimezone(tz).date(), REMINDER_TIME, tz)
    interval = timedelta(days=new.interval_days or DEFAULT_INTERVAL_DAYS)
    if next_due is not None and now < next_due <= today + interval:
        await schedule_check_at(session, agreement=new, due=next_due, hours=hours, tz=tz)
    else:
        await schedule_next_check(
            session, agreement=new, previous=today, now=now, hours=hours, tz=tz
        )
    await _decided(
        session,
        bodemeis=old,
        decision=ReviewDecision.CHANGED,
        meeting_id=meeting_id,
        by=by,
        now=now,
        successor_id=row_id(new),
        detail=f" version={row_id(new)} changed={','.join(changed)}",
    )
    return new


async def end_bodemeis(
    session: AsyncSession,
    *,
    agreement_id: int,
    by: str,
    reason: str,
    now: datetime,
    meeting_id: int | None = None,
) -> bool:
    """End a bodemeis with a reason; every pending check and escalation of it is cancelled.
    False when it is not (or no longer) in force. Raises ValueError without a reason."""
    if not reason.strip():
        raise ValueError("ending a bodemeis needs a reason")
    bodemeis = await _claim_in_force(session, agreement_id, now=now)
    if bodemeis is None:
        return False
    await _retire(
        session, agreement_id, status=AgreementStatus.ENDED, now=now, by=by, reason=reason.strip()
    )
    await cancel_reminders(session, agreement_id=agreement_id, kinds=CHECK_KINDS)
    await _decided(
        session,
        bodemeis=bodemeis,
        decision=ReviewDecision.ENDED,
        meeting_id=meeting_id,
        by=by,
        now=now,
    )
    return True


# ----- helpers -----


async def _claim_in_force(
    session: AsyncSession, agreement_id: int, *, now: datetime
) -> Agreement | None:
    """The bodemeis, if in force, after a write on its row as the decision's first statement:
    two decisions about it queue (a PostgreSQL row lock, SQLite's single writer), and the
    second one reads what the first left."""
    statement = (
        update(Agreement)
        .where(
            col(Agreement.id) == agreement_id,
            col(Agreement.kind) == AgreementKind.BODEMEIS,
            col(Agreement.status) == AgreementStatus.OPEN,
        )
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(statement)).rowcount:
        return None
    return await session.get(Agreement, agreement_id, populate_existing=True)


async def _retire(
    session: AsyncSession,
    agreement_id: int,
    *,
    status: AgreementStatus,
    now: datetime,
    by: str | None = None,
    reason: str | None = None,
) -> bool:
    """Take an open agreement out of force in one UPDATE that expects it open."""
    values: dict[str, object] = {"status": status.value, "updated_at": now}
    if status is AgreementStatus.SUPERSEDED:
        values["superseded_at"] = now
    else:
        values.update(ended_at=now, ended_by=by, end_reason=reason)
    statement = (
        update(Agreement)
        .where(col(Agreement.id) == agreement_id, col(Agreement.status) == AgreementStatus.OPEN)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(statement)).rowcount:
        return False
    stored = await session.get(Agreement, agreement_id)
    if stored is not None:  # keep the identity map in step with the row
        await session.refresh(stored)
    return True


async def _pending_check_due(
    session: AsyncSession, *, agreement_id: int, tz: ZoneInfo
) -> datetime | None:
    """The nominal time (09:00 local on its date) of the bodemeis's next regular check."""
    query = (
        select(Reminder)
        .where(
            Reminder.agreement_id == agreement_id,
            Reminder.kind == ReminderKind.BODEMEIS_CHECK,
            Reminder.status == ReminderStatus.PENDING,
        )
        .order_by(col(Reminder.due_at))
    )
    for reminder in (await session.exec(query)).all():
        occurrence = reminder.data.get("occurrence")
        if occurrence and not reminder.data.get("extra"):
            return nominal_check_time(str(occurrence), tz)
    return None


async def _decided(
    session: AsyncSession,
    *,
    bodemeis: Agreement,
    decision: ReviewDecision,
    meeting_id: int | None,
    by: str,
    now: datetime,
    successor_id: int | None = None,
    detail: str = "",
) -> bool:
    """Record a decision about one version, and audit it (ids only). In a meeting, a change or
    an end replaces an earlier decision about the same version ("blijft", then changed after
    all); a second "blijft" is a double click and records nothing (False)."""
    agreement_id = row_id(bodemeis)
    insert = insert_for(session)
    statement = insert(BodemeisReview).values(
        agreement_id=agreement_id,
        meeting_id=meeting_id,
        decision=decision.value,
        successor_id=successor_id,
        decided_by=by,
        decided_at=now,
    )
    if decision is ReviewDecision.KEPT:
        statement = statement.on_conflict_do_nothing(index_elements=["agreement_id", "meeting_id"])
    else:
        statement = statement.on_conflict_do_update(
            index_elements=["agreement_id", "meeting_id"],
            set_={
                "decision": statement.excluded.decision,
                "successor_id": statement.excluded.successor_id,
                "decided_by": statement.excluded.decided_by,
                "decided_at": statement.excluded.decided_at,
            },
        )
    if (
        await session.exec(statement.returning(col(BodemeisReview.id)))
    ).scalar_one_or_none() is None:
        return False
    action = {
        ReviewDecision.KEPT: "bodemeis_kept",
        ReviewDecision.CHANGED: "bodemeis_changed",
        ReviewDecision.ENDED: "bodemeis_ended",
    }[decision]
    await audit.record(
        session,
        actor=by,
        action=action,
        case_id=bodemeis.case_id,
        meeting_id=meeting_id,
        detail=f"bodemeis={agreement_id}{detail}",
    )
    return True
