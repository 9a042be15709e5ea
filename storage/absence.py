"""Absence and stand-ins: "afwezig t/m <datum>, vervanger @iemand".

While someone is away, the reminders meant for them in a case (action due dates, bodemeis
checks, prep) go to their stand-in, marked as such: the senders ask `recipient_for` at send
time, so nothing is rescheduled when an absence starts or ends, and it ends by itself after its
last day. Need-to-know comes first: a stand-in who is not in the case gets nothing of it; the
case's lead does, so the reminder still reaches someone who can act.

Absence is a person's, not a case's: the rows hold Slack ids and a date, no case data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import ReminderKind
from storage import audit
from storage.cases import lead_of, participant, participants
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

# The reminders that follow a stand-in. Meeting reminders do not: whether a stand-in joins a
# meeting is the regisseur's call (they invite them).
STAND_IN_KINDS = frozenset(
    {
        ReminderKind.ACTION_DUE,
        ReminderKind.BODEMEIS_CHECK,
        ReminderKind.PREP,
        ReminderKind.PREP_NUDGE,
    }
)
# A stand-in who is away too hands on to their own stand-in, this many times at most.
MAX_HOPS = 3


class Absence(SQLModel, table=True):
    """One person's current absence (setting a new one replaces it)."""

    __tablename__ = "absence"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=32, unique=True)
    until: date = Field(sa_type=Date)  # the last day away, local date (inclusive)
    stand_in_user_id: str = Field(max_length=32)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    # Set when this is not the person the reminder was for: "namens <@stand_in_for>".
    stand_in_for: str | None = None
    # The stand-in is not in the case, so the case's lead stands in.
    via_lead: bool = False


async def set_absence(
    session: AsyncSession,
    *,
    user_id: str,
    until: date,
    stand_in_user_id: str,
    by: str,
    today: date,
    now: datetime,
) -> Absence:
    """Record (or replace) `user_id`'s absence. Raises ValueError for a date in the past or a
    stand-in who is the person themselves."""
    if stand_in_user_id == user_id:
        raise ValueError("a stand-in is someone else")
    if until < today:
        raise ValueError("the last day of absence lies in the past")
    insert = insert_for(session)
    statement = insert(Absence).values(
        user_id=user_id, until=until, stand_in_user_id=stand_in_user_id, set_by=by, set_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "until": statement.excluded.until,
            "stand_in_user_id": statement.excluded.stand_in_user_id,
            "set_by": statement.excluded.set_by,
            "set_at": statement.excluded.set_at,
        },
    ).returning(col(Absence.id))
    absence_id = (await session.exec(statement)).scalar_one()
    await audit.record(session, actor=by, action="absence_set", detail=f"user={user_id}")
    stored = await session.get(Absence, absence_id, populate_existing=True)
    if stored is None:  # the upsert returned its id in this transaction
        raise LookupError(f"absence {absence_id} vanished while it was recorded")
    return stored


async def end_absence(session: AsyncSession, *, user_id: str, by: str) -> bool:
    """Back early; False when no absence was recorded."""
    result = await session.exec(delete(Absence).where(col(Absence.user_id) == user_id))
    if not result.rowcount:
        return False
    await audit.record(session, actor=by, action="absence_ended", detail=f"user={user_id}")
    return True


async def absence_of(session: AsyncSession, *, user_id: str, on: date) -> Absence | None:
    """`user_id`'s absence if it covers the local date `on`."""
    query = select(Absence).where(Absence.user_id == user_id, col(Absence.until) >= on)
    return (await session.exec(query)).first()


async def absences_in_case(session: AsyncSession, *, case_id: int, on: date) -> list[Absence]:
    """Who in the case is away on `on`, with their stand-in (the regisseurs' case view)."""
    users = [p.user_id for p in await participants(session, case_id=case_id)]
    query = (
        select(Absence)
        .where(col(Absence.user_id).in_(users), col(Absence.until) >= on)
        .order_by(col(Absence.until), col(Absence.user_id))
    )
    return list((await session.exec(query)).all())


async def recipient_for(
    session: AsyncSession,
    *,
    user_id: str,
    at: datetime,
    tz: ZoneInfo,
    case_id: int | None = None,
) -> Recipient:
    """Who gets, at `at`, a reminder meant for `user_id` (about case `case_id`)."""
    today = at.astimezone(tz).date()
    current, seen = user_id, {user_id}
    for _ in range(MAX_HOPS):
        absence = await absence_of(session, user_id=current, on=today)
        if absence is None or absence.stand_in_user_id in seen:
            break
        current = absence.stand_in_user_id
        seen.add(current)
    if current == user_id:
        return Recipient(user_id)
    unfit = await absence_of(session, user_id=current, on=today) is not None or (
        case_id is not None and await participant(session, case_id=case_id, user_id=current) is None
    )
    if not unfit:
        return Recipient(current, stand_in_for=user_id)
    lead = await lead_of(session, case_id=case_id) if case_id is not None else None
    if lead and lead != user_id and await absence_of(session, user_id=lead, on=today) is None:
        return Recipient(lead, stand_in_for=user_id, via_lead=True)
    return Recipient(user_id)


async def forget_past_absences(session: AsyncSession, *, before: date) -> int:
    """Delete absences whose last day lies before `before`: they steer nothing any more, and
    who was away when is nobody's business after that."""
    result = await session.exec(delete(Absence).where(col(Absence.until) < before))
    return int(result.rowcount)


async def stands_in_for(
    session: AsyncSession, *, stand_in: str, users: Collection[str], on: date
) -> str | None:
    """Whom of `users` `stand_in` stands in for on `on` (so may answer what reached them)."""
    if not users:
        return None
    query = (
        select(Absence.user_id)
        .where(
            Absence.stand_in_user_id == stand_in,
            col(Absence.user_id).in_(list(users)),
            col(Absence.until) >= on,
        )
        .order_by(col(Absence.user_id))
    )
    return (await session.exec(query)).first()
