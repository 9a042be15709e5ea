"""Deadlines move in the open: every postponement of an action is a row, and only one in a row
is free.

An owner may move a due date once without anyone's consent; the date that move produced can
only move again with a regisseur's consent. A date a regisseur consented to (or set in a
meeting) may again be moved once freely. So "een week meer tijd" three times in a row no longer
moves an action three weeks unnoticed, and a regisseur is told when a new date lies after the
next meeting (`past_meeting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import WorkingHours
from storage import audit
from storage.agreements import Agreement, move_due_date, open_action_at
from storage.cases import STEERING_ROLES, participant
from storage.meetings import next_planned
from storage.models import Meeting
from storage.types import UTCDateTime, utcnow


class PostponeRefused(ValueError):
    """Why a postponement was not made; `code` names it for the bot's text. Nothing changed."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


NEEDS_CONSENT = "needs_consent"
NOT_LATER = "not_later"
CONSENT_NOT_REGISSEUR = "consent_not_regisseur"
NOT_OPEN = "not_open"  # finished, or its due date moved since (a stale click)


class Postponement(SQLModel, table=True):
    __tablename__ = "postponement"

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    from_due: date = Field(sa_type=Date)
    to_due: date = Field(sa_type=Date)
    by: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    consent_by: str | None = Field(default=None, max_length=32)


@dataclass(frozen=True, slots=True)
class Postponed:
    agreement: Agreement
    postponement: Postponement
    # The next planned meeting, when the new due date lies after it: tell the regisseurs.
    past_meeting: Meeting | None


async def postponements(session: AsyncSession, *, agreement_id: int) -> list[Postponement]:
    """An action's postponements, oldest first."""
    query = (
        select(Postponement)
        .where(Postponement.agreement_id == agreement_id)
        .order_by(col(Postponement.at), col(Postponement.id))
    )
    return list((await session.exec(query)).all())


async def postponements_of_case(
    session: AsyncSession, *, case_id: int
) -> dict[int, list[Postponement]]:
    """{action id: its postponements, oldest first} for every postponed action of the case."""
    query = (
        select(Postponement)
        .join(Agreement, col(Agreement.id) == col(Postponement.agreement_id))
        .where(Agreement.case_id == case_id)
        .order_by(col(Postponement.at), col(Postponement.id))
    )
    found: dict[int, list[Postponement]] = {}
    for row in (await session.exec(query)).all():
        found.setdefault(row.agreement_id, []).append(row)
    return found


async def free_postponement_left(session: AsyncSession, *, agreement: Agreement) -> bool:
    """Whether the owner may still move the current due date without consent (the bot offers
    "een week meer tijd" only then)."""
    query = (
        select(Postponement)
        .where(
            Postponement.agreement_id == agreement.id,
            col(Postponement.to_due) == agreement.due_date,
        )
        .order_by(col(Postponement.id).desc())
    )
    last = (await session.exec(query)).first()
    return last is None or last.consent_by is not None


async def postpone(
    session: AsyncSession,
    *,
    agreement_id: int,
    expected_due: date,
    new_due: date,
    by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    consent_by: str | None = None,
) -> Postponed:
    """Move an open action's due date from `expected_due` to `new_due` and record it; its
    reminder moves along. Raises PostponeRefused when the new date is not later, the action is
    no longer open at `expected_due`, a second free move is tried, or the consent is not a
    regisseur's (the caller's transaction rolls back: nothing changes)."""
    if new_due <= expected_due:
        raise PostponeRefused(NOT_LATER)
    # A write first, expecting the action open at `expected_due`: two clicks queue on it, and
    # the second reads what the first left (SQLite fails a read-then-write under contention).
    claim = (
        update(Agreement)
        .where(*open_action_at(agreement_id, expected_due))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(claim)).rowcount:
        raise PostponeRefused(NOT_OPEN)
    agreement = await session.get(Agreement, agreement_id, populate_existing=True)
    if agreement is None:  # claimed above in this transaction
        raise PostponeRefused(NOT_OPEN)
    if consent_by is not None:
        member = await participant(session, case_id=agreement.case_id, user_id=consent_by)
        if member is None or member.role not in STEERING_ROLES:
            raise PostponeRefused(CONSENT_NOT_REGISSEUR)
    elif not await free_postponement_left(session, agreement=agreement):
        raise PostponeRefused(NEEDS_CONSENT)
    # One UPDATE that expects `expected_due`: of two clicks at once only one moves the date.
    moved = await move_due_date(
        session,
        agreement_id=agreement_id,
        expected_due=expected_due,
        new_due=new_due,
        hours=hours,
        tz=tz,
    )
    if moved is None:
        raise PostponeRefused(NOT_OPEN)
    row = Postponement(
        agreement_id=agreement_id,
        from_due=expected_due,
        to_due=new_due,
        by=by,
        at=now,
        consent_by=consent_by,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=by,
        action="action_postponed",
        case_id=moved.case_id,
        detail=f"action={agreement_id} consent_by={consent_by or '-'}",
    )
    past = await postponed_past_next_meeting(session, case_id=moved.case_id, due=new_due, tz=tz)
    return Postponed(agreement=moved, postponement=row, past_meeting=past)


async def postponed_past_next_meeting(
    session: AsyncSession, *, case_id: int, due: date, tz: ZoneInfo
) -> Meeting | None:
    """The case's next planned meeting when `due` lies after its (local) date, else None."""
    meeting = await next_planned(session, case_id=case_id)
    if meeting is None or meeting.scheduled_at is None:
        return None
    return meeting if meeting.scheduled_at.astimezone(tz).date() < due else None
