"""Escalations with an owner: a bodemeis not met, a check nobody answered, an urgent action that
cannot be done. Someone picks each one up ("Ik pak dit op") and later resolves it.

Raising one schedules, in the same transaction, what happens when nobody picks it up: a DM to
each regisseur after the pick-up time (working hours), and again at the end of the next working
day. Picking up is one UPDATE that expects no owner yet, so of many concurrent clicks exactly one
becomes the owner, and it cancels those reminders. The source (kind, agreement, occurrence) is
unique, so a retried raise finds the escalation it raised before.

The note is encrypted; the audit log records who picked up and resolved, never the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, func, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    ReminderKind,
    WorkingHours,
    add_working_time,
    end_of_next_working_day,
)
from storage import audit
from storage.cases import regisseurs
from storage.crypto import EncryptedText
from storage.reminders import cancel_reminders, schedule_reminder
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

PICKUP_KINDS = (ReminderKind.ESCALATION_PICKUP, ReminderKind.ESCALATION_PICKUP_AGAIN)
# The audit actor of an escalation nobody raised by hand (a check that went unanswered).
BOT_ACTOR = "casusbot"


class EscalationKind(StrEnum):
    BODEMEIS_NOT_MET = "bodemeis_not_met"
    CHECK_UNANSWERED = "check_unanswered"
    ACTION_NOT_POSSIBLE = "action_not_possible"


class Resolution(StrEnum):
    EXTRA_OVERLEG = "extra_overleg"  # an extra meeting was planned
    AFSPRAAK_AANGEPAST = "afspraak_aangepast"  # the agreement was changed
    OPGELOST = "opgelost"


class Escalation(SQLModel, table=True):
    __tablename__ = "escalation"
    __table_args__ = (
        # One escalation per source: the check (agreement + its date) or the action's due date.
        UniqueConstraint("kind", "agreement_id", "occurrence", name="uq_escalation_source"),
        Index("ix_escalation_case_resolved", "case_id", "resolved_at"),
        CheckConstraint(
            "kind IN ('bodemeis_not_met', 'check_unanswered', 'action_not_possible')",
            name="ck_escalation_kind",
        ),
        CheckConstraint(
            "resolution IS NULL OR resolution IN ('extra_overleg', 'afspraak_aangepast', "
            "'opgelost')",
            name="ck_escalation_resolution",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    kind: str = Field(max_length=30)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    # The check's local date, or the action's due date (ISO).
    occurrence: str = Field(max_length=10)
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    raised_by: str | None = Field(default=None, max_length=32)  # None: the bot (no answer)
    owner_user_id: str | None = Field(default=None, max_length=32)
    picked_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=32)
    resolution: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_type=EncryptedText)

    @property
    def open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class Raised:
    escalation: Escalation
    new: bool  # False: raised before (a retry); its reminders were scheduled then


@dataclass(frozen=True, slots=True)
class PickUp:
    escalation: Escalation
    picked: bool  # False: someone else (or this user, earlier) owns it, or it is resolved


def pickup_dedupe_key(kind: ReminderKind, escalation_id: int, user_id: str) -> str:
    return f"{ReminderKind(kind).value}:{escalation_id}:{user_id}"


async def raise_escalation(
    session: AsyncSession,
    *,
    case_id: int,
    kind: EscalationKind,
    agreement_id: int,
    occurrence: str,
    raised_by: str | None,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    pickup_hours: int,
) -> Raised:
    """Record the escalation and schedule its "nobody picked this up" DMs to each regisseur."""
    insert = insert_for(session)
    statement = (
        insert(Escalation)
        .values(
            case_id=case_id,
            kind=EscalationKind(kind).value,
            agreement_id=agreement_id,
            occurrence=occurrence,
            raised_at=now,
            raised_by=raised_by,
        )
        .on_conflict_do_nothing(index_elements=["kind", "agreement_id", "occurrence"])
        .returning(col(Escalation.id))
    )
    new_id = (await session.exec(statement)).scalar_one_or_none()
    if new_id is None:
        existing = await _by_source(session, kind, agreement_id, occurrence)
        return Raised(escalation=existing, new=False)
    first = add_working_time(now, timedelta(hours=pickup_hours), hours, tz)
    # Both lie inside working hours by construction.
    again = end_of_next_working_day(first, hours, tz)
    for user_id in await regisseurs(session, case_id=case_id):
        for reminder_kind, due in (
            (ReminderKind.ESCALATION_PICKUP, first),
            (ReminderKind.ESCALATION_PICKUP_AGAIN, again),
        ):
            await schedule_reminder(
                session,
                kind=reminder_kind,
                due_at=due,
                dedupe_key=pickup_dedupe_key(reminder_kind, new_id, user_id),
                user_id=user_id,
                case_id=case_id,
                escalation_id=new_id,
                payload={"escalation": new_id},
            )
    await audit.record(
        session,
        actor=raised_by or BOT_ACTOR,
        action="escalation_raised",
        case_id=case_id,
        detail=f"escalation={new_id} kind={kind}",
    )
    return Raised(escalation=await _get(session, new_id), new=True)


async def pick_up(
    session: AsyncSession, *, escalation_id: int, user_id: str, now: datetime
) -> PickUp:
    """ "Ik pak dit op": the first click owns the escalation, in one UPDATE; the pick-up
    reminders are cancelled. Raises LookupError for an unknown escalation."""
    statement = (
        update(Escalation)
        .where(
            col(Escalation.id) == escalation_id,
            col(Escalation.owner_user_id).is_(None),
            col(Escalation.resolved_at).is_(None),
        )
        .values(owner_user_id=user_id, picked_up_at=now)
        .execution_options(synchronize_session=False)
    )
    picked = bool((await session.exec(statement)).rowcount)
    escalation = await _get(session, escalation_id)
    if picked:
        await cancel_reminders(session, escalation_id=escalation_id, kinds=PICKUP_KINDS)
        await audit.record(
            session,
            actor=user_id,
            action="escalation_picked_up",
            case_id=escalation.case_id,
            detail=f"escalation={escalation_id}",
        )
    return PickUp(escalation=escalation, picked=picked)


async def resolve(
    session: AsyncSession,
    *,
    escalation_id: int,
    by: str,
    resolution: Resolution,
    note: str | None,
    now: datetime,
) -> bool:
    """Record what was done; False when it was resolved already. Whoever resolves an
    escalation nobody picked up becomes its owner too."""
    statement = (
        update(Escalation)
        .where(col(Escalation.id) == escalation_id, col(Escalation.resolved_at).is_(None))
        .values(
            resolved_at=now,
            resolved_by=by,
            resolution=Resolution(resolution).value,
            note=(note or "").strip() or None,
            owner_user_id=func.coalesce(col(Escalation.owner_user_id), by),
            picked_up_at=func.coalesce(col(Escalation.picked_up_at), now),
        )
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(statement)).rowcount:
        return False
    escalation = await _get(session, escalation_id)
    await cancel_reminders(session, escalation_id=escalation_id, kinds=PICKUP_KINDS)
    await audit.record(
        session,
        actor=by,
        action="escalation_resolved",
        case_id=escalation.case_id,
        detail=f"escalation={escalation_id} resolution={resolution}",
    )
    return True


async def hand_over_escalations(
    session: AsyncSession, *, case_id: int, from_user: str, to_user: str
) -> list[int]:
    """Open escalations owned by `from_user` become `to_user`'s; their ids."""
    statement = (
        update(Escalation)
        .where(
            col(Escalation.case_id) == case_id,
            col(Escalation.owner_user_id) == from_user,
            col(Escalation.resolved_at).is_(None),
        )
        .values(owner_user_id=to_user)
        .returning(col(Escalation.id))
        .execution_options(synchronize_session=False)
    )
    return sorted((await session.exec(statement)).scalars().all())


# ----- reads -----


async def escalation_by_id(session: AsyncSession, *, escalation_id: int) -> Escalation | None:
    return await session.get(Escalation, escalation_id)


async def open_escalations(
    session: AsyncSession, *, case_ids: Sequence[int], owner: str | None = None
) -> list[Escalation]:
    """Unresolved escalations of these cases (of one owner when given), oldest first; the
    home tab lists them before anything else."""
    query = select(Escalation).where(
        col(Escalation.case_id).in_(list(case_ids)), col(Escalation.resolved_at).is_(None)
    )
    if owner is not None:
        query = query.where(Escalation.owner_user_id == owner)
    query = query.order_by(col(Escalation.raised_at), col(Escalation.id))
    return list((await session.exec(query)).all())


async def _by_source(
    session: AsyncSession, kind: EscalationKind, agreement_id: int, occurrence: str
) -> Escalation:
    query = select(Escalation).where(
        Escalation.kind == EscalationKind(kind).value,
        Escalation.agreement_id == agreement_id,
        Escalation.occurrence == occurrence,
    )
    found = (await session.exec(query)).first()
    if found is None:  # the insert just conflicted with it in this transaction
        raise LookupError(f"escalation {kind} {agreement_id} {occurrence} vanished")
    return found


async def _get(session: AsyncSession, escalation_id: int) -> Escalation:
    found = await session.get(Escalation, escalation_id, populate_existing=True)
    if found is None:
        raise LookupError(f"escalation {escalation_id} does not exist")
    return found
