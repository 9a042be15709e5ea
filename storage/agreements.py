"""Agreements from the Besluitvorming: actions, bodemeisen, collaboration, afsluitingsplan.

An agreement's reminders are written in the same transaction as the agreement itself (DESIGN
§5): record an action and its due-date reminder exists; finish it and the reminder is gone.
State changes that a click can cause twice (a double click, an old DM) are single UPDATEs or
INSERT … ON CONFLICT statements that carry the state they expect, so the second one changes
nothing and says so.

Free text (what, the bodemeis, plans, reasons, notes, an organisation typed by hand) is
encrypted at rest; ids, dates and short codes are not.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    Index,
    UniqueConstraint,
    func,
    or_,
    update,
)
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    ReminderKind,
    WorkingHours,
    due_in_working_hours,
    local_moment,
)
from storage.crypto import EncryptedText
from storage.models import row_id
from storage.reminders import cancel_reminders, schedule_reminder
from storage.types import UTCDateTime, utcnow
from storage.upsert import insert_for

# Reminders about agreements come at this wall-clock time (moved into working hours).
REMINDER_TIME = time(9, 0)
DEFAULT_INTERVAL_DAYS = 7
INTERVALS = (7, 14, 28)
# Two working days without an answer to a bodemeis check and the procesregisseur hears of it.
ESCALATION_WORKING_DAYS = 2
MORE_TIME_DAYS = 7


class AgreementKind(StrEnum):
    ACTION = "action"
    BODEMEIS = "bodemeis"
    COLLABORATION = "collaboration"  # Afspraken over samenwerking: one per meeting
    CLOSURE = "closure"  # the afsluitingsplan: one per meeting


# Kinds a meeting holds at most one of; recording again replaces the earlier wording.
SINGLE_PER_MEETING = (AgreementKind.COLLABORATION, AgreementKind.CLOSURE)


class AgreementStatus(StrEnum):
    OPEN = "open"  # an action to do, a bodemeis in force (its checks run)
    DONE = "done"
    NOT_POSSIBLE = "not_possible"
    # A bodemeis replaced by a newer version (storage/bodemeisen.py): kept for the record.
    SUPERSEDED = "superseded"
    # Ended by a regisseur, with a reason: a bodemeis no longer needed, an action dropped when
    # the case closed (storage/closing.py).
    ENDED = "ended"
    # Handed over to regular care when the case closed: Casusbot no longer follows it.
    HANDED_OVER = "handed_over"


class Priority(StrEnum):
    HIGH = "hoog"
    NORMAL = "normaal"
    LOW = "laag"


class CheckAnswer(StrEnum):
    MET = "nageleefd"
    NOT_MET = "niet_nageleefd"
    UNKNOWN = "onbekend"
    NO_ANSWER = "geen_antwoord"  # recorded by the escalation when the monitor stayed silent


class Agreement(SQLModel, table=True):
    __tablename__ = "agreement"
    __table_args__ = (
        Index("ix_agreement_case_kind_status", "case_id", "kind", "status"),
        # `slot` is the kind for collaboration/closure and NULL otherwise: NULLs never clash,
        # so a meeting has many actions but one collaboration agreement, without a partial index.
        UniqueConstraint("meeting_id", "slot", name="uq_agreement_meeting_slot"),
        # A bodemeis version has at most one successor: two regisseurs changing it at once
        # cannot fork its history. An index, so SQLite adds it without rebuilding the table.
        Index("uq_agreement_previous", "previous_id", unique=True),
        CheckConstraint(
            "kind IN ('action', 'bodemeis', 'collaboration', 'closure')", name="ck_agreement_kind"
        ),
        CheckConstraint(
            "interval_days IS NULL OR interval_days >= 1", name="ck_agreement_interval"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    kind: str = Field(max_length=20)
    slot: str | None = Field(default=None, max_length=20)
    status: str = Field(default=AgreementStatus.OPEN, max_length=20)
    # What is to be done / the bodemeis / the timeline / the afsluitingsplan.
    text: str | None = Field(default=None, sa_type=EncryptedText)
    owner_user_id: str | None = Field(default=None, max_length=32)
    owner_organisation: str | None = Field(default=None, sa_type=EncryptedText)
    due_date: date | None = Field(default=None, sa_type=Date)
    priority: str | None = Field(default=None, max_length=10)
    monitor_user_id: str | None = Field(default=None, max_length=32)
    interval_days: int | None = Field(default=None)
    escalation_plan: str | None = Field(default=None, sa_type=EncryptedText)
    informing: str | None = Field(default=None, sa_type=EncryptedText)
    next_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    reason: str | None = Field(default=None, sa_type=EncryptedText)  # why an action failed
    # Who is reminded of an organisation's action after a hand-over (else whoever recorded it).
    reminded_user_id: str | None = Field(default=None, max_length=32)
    # Bodemeis versions (storage/bodemeisen.py): a change makes a new row that points to the
    # one it replaces; the old row stays, superseded, for the record. No foreign key: adding
    # one makes SQLite rebuild the table, which its foreign-key checks refuse once checks and
    # messages point at agreements (the unique index below keeps the chain straight).
    previous_id: int | None = Field(default=None)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Ended (a bodemeis no longer needed; anything ended or handed over at closing).
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=32)
    end_reason: str | None = Field(default=None, sa_type=EncryptedText)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_by: str | None = Field(default=None, max_length=32)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def recipient(self) -> str:
        """Who is reminded of an action: its owner, else whoever took it over or recorded it
        for an organisation without Slack."""
        return self.owner_user_id or self.reminded_user_id or self.created_by


class BodemeisCheck(SQLModel, table=True):
    """One answer to one periodic check of a bodemeis (occurrence = its local date)."""

    __tablename__ = "bodemeis_check"
    __table_args__ = (
        UniqueConstraint("agreement_id", "occurrence", name="uq_bodemeis_check_occurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    occurrence: str = Field(max_length=10)
    answer: str = Field(max_length=20)
    answered_by: str | None = Field(default=None, max_length=32)
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=EncryptedText)
    action_ts: str | None = Field(default=None, max_length=32)
    # The escalation posted in the case channel, so a purge can remove it.
    escalation_ts: str | None = Field(default=None, max_length=32)


class AgreementMessage(SQLModel, table=True):
    """The one message in a meeting's thread that shows the current agreements."""

    __tablename__ = "agreement_message"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ----- recording -----


async def add_action(
    session: AsyncSession,
    *,
    case_id: int,
    meeting_id: int,
    text: str,
    owner_user_id: str | None,
    owner_organisation: str | None,
    due_date: date,
    priority: Priority,
    created_by: str,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> Agreement:
    """A new action and its due-date reminder, in the caller's transaction."""
    if (owner_user_id is None) == (owner_organisation is None):
        raise ValueError("an action has one owner: a Slack user or an organisation")
    agreement = Agreement(
        case_id=case_id,
        meeting_id=meeting_id,
        kind=AgreementKind.ACTION,
        text=text,
        owner_user_id=owner_user_id,
        owner_organisation=owner_organisation,
        due_date=due_date,
        priority=Priority(priority),
        created_by=created_by,
    )
    session.add(agreement)
    await session.flush()
    await schedule_action_reminder(session, agreement=agreement, hours=hours, tz=tz)
    return agreement


async def set_single(
    session: AsyncSession,
    *,
    kind: AgreementKind,
    case_id: int,
    meeting_id: int,
    created_by: str,
    text: str | None,
    escalation_plan: str | None = None,
    informing: str | None = None,
    next_meeting_id: int | None = None,
) -> Agreement:
    """Record (or re-word) the meeting's collaboration agreement or afsluitingsplan.

    One INSERT … ON CONFLICT DO UPDATE on (meeting, slot): two regisseurs saving at once
    end up with one row, the later wording. A next meeting, once linked, stays linked.
    """
    if kind not in SINGLE_PER_MEETING:
        raise ValueError(f"{kind} is not a one-per-meeting agreement")
    insert = insert_for(session)
    values = {
        "case_id": case_id,
        "meeting_id": meeting_id,
        "kind": kind.value,
        "slot": kind.value,
        "status": AgreementStatus.OPEN.value,
        "text": text,
        "escalation_plan": escalation_plan,
        "informing": informing,
        "next_meeting_id": next_meeting_id,
        "created_by": created_by,
        "created_at": utcnow(),
    }
    statement = insert(Agreement).values(**values)
    changes = {
        "text": statement.excluded.text,
        "escalation_plan": statement.excluded.escalation_plan,
        "informing": statement.excluded.informing,
        "updated_at": utcnow(),
    }
    if next_meeting_id is not None:
        changes["next_meeting_id"] = statement.excluded.next_meeting_id
    statement = statement.on_conflict_do_update(
        index_elements=["meeting_id", "slot"], set_=changes
    ).returning(col(Agreement.id))
    agreement_id = (await session.exec(statement)).scalar_one()
    stored = await session.get(Agreement, agreement_id, populate_existing=True)
    if stored is None:  # the upsert returned its id in this transaction
        raise LookupError(f"agreement {agreement_id} vanished while it was recorded")
    return stored


# ----- actions: done, not possible, more time -----


def open_action_at(agreement_id: int, due: date) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of a change to an action a click expects open at `due`: a second click, or
    one from an old DM after the date moved, changes nothing."""
    return (
        col(Agreement.id) == agreement_id,
        col(Agreement.kind) == AgreementKind.ACTION,
        col(Agreement.status) == AgreementStatus.OPEN,
        col(Agreement.due_date) == due,
    )


async def finish_action(
    session: AsyncSession,
    *,
    agreement_id: int,
    expected_due: date,
    status: AgreementStatus,
    by: str,
    reason: str | None = None,
) -> bool:
    """Close an open action as done or not possible; False when it was no longer open at
    `expected_due` (a second click, an old DM). Its pending reminders are cancelled."""
    if status is AgreementStatus.OPEN:
        raise ValueError("finishing means done or not possible")
    statement = (
        update(Agreement)
        .where(*open_action_at(agreement_id, expected_due))
        .values(status=status, finished_by=by, finished_at=utcnow(), reason=reason)
    )
    if not (await session.exec(statement)).rowcount:
        return False
    await cancel_reminders(session, agreement_id=agreement_id, kinds=[ReminderKind.ACTION_DUE])
    return True


async def move_due_date(
    session: AsyncSession,
    *,
    agreement_id: int,
    expected_due: date,
    new_due: date,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> Agreement | None:
    """Give an open action a new due date; its reminder moves with it. None when the action
    was no longer open at `expected_due`."""
    statement = (
        update(Agreement)
        .where(*open_action_at(agreement_id, expected_due))
        .values(due_date=new_due, updated_at=utcnow())
    )
    if not (await session.exec(statement)).rowcount:
        return None
    await cancel_reminders(session, agreement_id=agreement_id, kinds=[ReminderKind.ACTION_DUE])
    agreement = await session.get(Agreement, agreement_id, populate_existing=True)
    if agreement is None:  # the update above found it in this transaction
        raise LookupError(f"agreement {agreement_id} vanished while its due date moved")
    await schedule_action_reminder(session, agreement=agreement, hours=hours, tz=tz)
    return agreement


def action_dedupe_key(agreement_id: int, due: date) -> str:
    # The due date is part of the key: a moved action gets a new reminder, the old one stays
    # on record as sent or cancelled.
    return f"action:{agreement_id}:{due.isoformat()}"


async def schedule_action_reminder(
    session: AsyncSession, *, agreement: Agreement, hours: WorkingHours, tz: ZoneInfo
) -> int | None:
    if agreement.due_date is None:
        raise ValueError(f"action {agreement.id} has no due date to remind of")
    nominal = local_moment(agreement.due_date, REMINDER_TIME, tz)
    return await schedule_reminder(
        session,
        kind=ReminderKind.ACTION_DUE,
        due_at=due_in_working_hours(ReminderKind.ACTION_DUE, nominal, hours, tz),
        dedupe_key=action_dedupe_key(row_id(agreement), agreement.due_date),
        user_id=agreement.recipient,
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        agreement_id=agreement.id,
        payload={"due": agreement.due_date.isoformat()},
    )


# ----- reads -----


def reminded_of(user_id: str) -> ColumnElement[bool]:
    """Actions whose reminders go to `user_id` (Agreement.recipient, as SQL)."""
    return or_(
        col(Agreement.owner_user_id) == user_id,
        col(Agreement.owner_user_id).is_(None)
        & (func.coalesce(col(Agreement.reminded_user_id), col(Agreement.created_by)) == user_id),
    )


async def agreement_by_id(session: AsyncSession, *, agreement_id: int) -> Agreement | None:
    return await session.get(Agreement, agreement_id)


async def agreements_to_show(
    session: AsyncSession, *, case_id: int, meeting_id: int
) -> list[Agreement]:
    """What a meeting's agreements message lists: everything agreed in this meeting, and
    what is still open from earlier ones (actions to do, bodemeisen still checked)."""
    query = (
        select(Agreement)
        .where(
            Agreement.case_id == case_id,
            or_(
                col(Agreement.meeting_id) == meeting_id,
                (col(Agreement.status) == AgreementStatus.OPEN)
                & col(Agreement.kind).in_([AgreementKind.ACTION, AgreementKind.BODEMEIS]),
            ),
        )
        .order_by(col(Agreement.id))
    )
    return list((await session.exec(query)).all())


async def agreements_of_meeting(session: AsyncSession, *, meeting_id: int) -> list[Agreement]:
    """Everything agreed in one meeting, in the order it was recorded (for its report)."""
    query = select(Agreement).where(Agreement.meeting_id == meeting_id).order_by(col(Agreement.id))
    return list((await session.exec(query)).all())


async def open_actions(session: AsyncSession, *, case_id: int) -> list[Agreement]:
    query = (
        select(Agreement)
        .where(
            Agreement.case_id == case_id,
            Agreement.kind == AgreementKind.ACTION,
            Agreement.status == AgreementStatus.OPEN,
        )
        .order_by(col(Agreement.due_date), col(Agreement.id))
    )
    return list((await session.exec(query)).all())


async def single_of_meeting(
    session: AsyncSession, *, meeting_id: int, kind: AgreementKind
) -> Agreement | None:
    query = select(Agreement).where(Agreement.meeting_id == meeting_id, Agreement.slot == kind)
    return (await session.exec(query)).first()


async def escalation_plan(session: AsyncSession, *, case_id: int) -> str | None:
    """The most recently agreed answer to "what do we do when bodemeisen are not met?"."""
    return await _latest_collaboration(session, case_id=case_id, column="escalation_plan")


async def informing(session: AsyncSession, *, case_id: int) -> str | None:
    """The most recently agreed answer to "Op welke wijze houden we elkaar op de hoogte?"."""
    return await _latest_collaboration(session, case_id=case_id, column="informing")


async def _latest_collaboration(session: AsyncSession, *, case_id: int, column: str) -> str | None:
    query = (
        select(Agreement)
        .where(
            Agreement.case_id == case_id,
            Agreement.kind == AgreementKind.COLLABORATION,
            getattr(Agreement, column).is_not(None),
        )
        .order_by(col(Agreement.id).desc())
    )
    for agreement in (await session.exec(query)).all():
        value: str | None = getattr(agreement, column)
        if (value or "").strip():  # encrypted: emptiness is read here
            return value
    return None


# ----- the agreements message -----


async def claim_message(session: AsyncSession, *, meeting_id: int, channel_id: str) -> bool:
    """Claim the right to post the meeting's agreements message; only one caller wins."""
    insert = insert_for(session)
    statement = (
        insert(AgreementMessage)
        .values(meeting_id=meeting_id, channel_id=channel_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["meeting_id"])
        .returning(col(AgreementMessage.id))
    )
    return (await session.exec(statement)).scalar_one_or_none() is not None


async def message_of(session: AsyncSession, *, meeting_id: int) -> AgreementMessage | None:
    query = select(AgreementMessage).where(AgreementMessage.meeting_id == meeting_id)
    return (await session.exec(query)).first()


async def set_message_ts(session: AsyncSession, *, meeting_id: int, ts: str | None) -> None:
    statement = (
        update(AgreementMessage)
        .where(col(AgreementMessage.meeting_id) == meeting_id)
        .values(message_ts=ts)
    )
    await session.exec(statement)
