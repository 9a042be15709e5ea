"""Bodemeis checks: the periodic question to a bodemeis's monitor, its answer, and the
escalation when the answer is "niet nageleefd" or does not come (DESIGN §5).

Each occurrence is one local date; its dedupe keys make every schedule idempotent, so a retry
or a second bot process never asks twice.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    ReminderKind,
    WorkingHours,
    add_working_days,
    due_in_working_hours,
    local_moment,
    next_occurrence,
    occurrence_key,
)
from storage.agreements import (
    DEFAULT_INTERVAL_DAYS,
    ESCALATION_WORKING_DAYS,
    REMINDER_TIME,
    Agreement,
    AgreementKind,
    BodemeisCheck,
    CheckAnswer,
)
from storage.models import row_id
from storage.reminders import Reminder, ReminderStatus, schedule_reminder
from storage.types import utcnow
from storage.upsert import insert_for


def monitor_of(agreement: Agreement) -> str:
    """Who answers a bodemeis's checks; a bodemeis without a monitor was never valid."""
    if not agreement.monitor_user_id:
        raise ValueError(f"bodemeis {agreement.id} has no monitor")
    return agreement.monitor_user_id


async def add_bodemeis(
    session: AsyncSession,
    *,
    case_id: int,
    meeting_id: int,
    text: str,
    monitor_user_id: str,
    interval_days: int,
    created_by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> Agreement:
    """A new bodemeis and its first check, one interval after today."""
    agreement = Agreement(
        case_id=case_id,
        meeting_id=meeting_id,
        kind=AgreementKind.BODEMEIS,
        text=text,
        monitor_user_id=monitor_user_id,
        interval_days=interval_days,
        created_by=created_by,
    )
    session.add(agreement)
    await session.flush()
    today = local_moment(now.astimezone(tz).date(), REMINDER_TIME, tz)
    await schedule_next_check(
        session, agreement=agreement, previous=today, now=now, hours=hours, tz=tz
    )
    return agreement


def check_dedupe_key(agreement_id: int, occurrence: str) -> str:
    return f"bodemeis:{agreement_id}:{occurrence}"


def escalation_dedupe_key(agreement_id: int, occurrence: str) -> str:
    return f"bodemeis_escalation:{agreement_id}:{occurrence}"


def nominal_check_time(occurrence: str, tz: ZoneInfo) -> datetime:
    """09:00 local on the occurrence's date: the series' own time, before any working-hours
    shift, so it never drifts."""
    return local_moment(date.fromisoformat(occurrence), REMINDER_TIME, tz)


async def schedule_next_check(
    session: AsyncSession,
    *,
    agreement: Agreement,
    previous: datetime,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> int | None:
    """The check one interval after `previous` (nominal, UTC), skipping any already past
    `now`; a unique dedupe key makes a second insert (retry, other process) a no-op."""
    due = next_occurrence(
        previous, agreement.interval_days or DEFAULT_INTERVAL_DAYS, REMINDER_TIME, tz, after=now
    )
    return await schedule_check_at(session, agreement=agreement, due=due, hours=hours, tz=tz)


async def schedule_check_at(
    session: AsyncSession,
    *,
    agreement: Agreement,
    due: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> int | None:
    """The regular check whose nominal time is `due` (09:00 local on its date)."""
    agreement_id, monitor = row_id(agreement), monitor_of(agreement)
    occurrence = occurrence_key(due, tz)
    return await schedule_reminder(
        session,
        kind=ReminderKind.BODEMEIS_CHECK,
        due_at=due_in_working_hours(ReminderKind.BODEMEIS_CHECK, due, hours, tz),
        dedupe_key=check_dedupe_key(agreement_id, occurrence),
        user_id=monitor,
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        agreement_id=agreement_id,
        payload={"occurrence": occurrence},
    )


async def schedule_extra_check(
    session: AsyncSession, *, agreement: Agreement, now: datetime, tz: ZoneInfo
) -> bool:
    """A check today, asked for by the monitor ("nu controleren"), beside the regular series;
    False when today's check exists already (scheduled, sent or answered)."""
    agreement_id, monitor = row_id(agreement), monitor_of(agreement)
    occurrence = occurrence_key(now, tz)
    created = await schedule_reminder(
        session,
        kind=ReminderKind.BODEMEIS_CHECK,
        due_at=now,
        dedupe_key=check_dedupe_key(agreement_id, occurrence),
        user_id=monitor,
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        agreement_id=agreement_id,
        payload={"occurrence": occurrence, "extra": True},
    )
    return created is not None


async def schedule_escalation(
    session: AsyncSession,
    *,
    agreement: Agreement,
    occurrence: str,
    channel_id: str,
    sent_at: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
) -> int | None:
    """The "no answer" escalation for one check, due two working days after it was sent."""
    agreement_id = row_id(agreement)
    due = add_working_days(sent_at, ESCALATION_WORKING_DAYS, hours, tz)
    return await schedule_reminder(
        session,
        kind=ReminderKind.BODEMEIS_ESCALATION,
        due_at=due_in_working_hours(ReminderKind.BODEMEIS_ESCALATION, due, hours, tz),
        dedupe_key=escalation_dedupe_key(agreement_id, occurrence),
        channel_id=channel_id,
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        agreement_id=agreement_id,
        payload={"occurrence": occurrence},
    )


async def schedule_retry_escalation(
    session: AsyncSession, *, agreement: Agreement, occurrence: str, channel_id: str, now: datetime
) -> int | None:
    """A "niet nageleefd" escalation that could not be posted at once: the poller retries it
    (with backoff) until the procesregisseur has been told."""
    agreement_id = row_id(agreement)
    return await schedule_reminder(
        session,
        kind=ReminderKind.BODEMEIS_ESCALATION,
        due_at=now,
        dedupe_key=f"{escalation_dedupe_key(agreement_id, occurrence)}:not_met",
        channel_id=channel_id,
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        agreement_id=agreement_id,
        payload={"occurrence": occurrence, "answer": CheckAnswer.NOT_MET.value},
    )


async def record_check(
    session: AsyncSession,
    *,
    agreement_id: int,
    occurrence: str,
    answer: CheckAnswer,
    by: str | None,
    action_ts: str | None = None,
    now: datetime | None = None,
) -> BodemeisCheck | None:
    """Store the answer to one check; None when it was already answered.

    The first answer wins (a double click records once). The one exception: a monitor who
    answers after the escalation recorded "no answer" still gets their answer stored.
    """
    insert = insert_for(session)
    values = {
        "agreement_id": agreement_id,
        "occurrence": occurrence,
        "answer": CheckAnswer(answer).value,
        "answered_by": by,
        "answered_at": now or utcnow(),
        "action_ts": action_ts,
    }
    inserted = (
        await session.exec(
            insert(BodemeisCheck)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["agreement_id", "occurrence"])
            .returning(col(BodemeisCheck.id))
        )
    ).scalar_one_or_none()
    if inserted is None and answer is not CheckAnswer.NO_ANSWER:
        late = (
            update(BodemeisCheck)
            .where(
                col(BodemeisCheck.agreement_id) == agreement_id,
                col(BodemeisCheck.occurrence) == occurrence,
                col(BodemeisCheck.answer) == CheckAnswer.NO_ANSWER,
            )
            .values(
                answer=values["answer"],
                answered_by=by,
                answered_at=values["answered_at"],
                action_ts=action_ts,
            )
            .returning(col(BodemeisCheck.id))
        )
        inserted = (await session.exec(late)).scalar_one_or_none()
    if inserted is None:
        return None
    # This check is answered: its own "no answer" escalation must not come. Nothing else:
    # another week's check may still be unanswered (its escalation must come), and a
    # "niet nageleefd" alert still being retried must reach the procesregisseur.
    await cancel_escalation(session, agreement_id=agreement_id, occurrence=occurrence)
    return await session.get(BodemeisCheck, inserted, populate_existing=True)


async def cancel_escalation(session: AsyncSession, *, agreement_id: int, occurrence: str) -> int:
    """Cancel the pending "no answer" escalation of one check (by its dedupe key); how many
    rows were cancelled (0 or 1). One being sent is left alone: its sender sees the answer."""
    statement = (
        update(Reminder)
        .where(
            col(Reminder.dedupe_key) == escalation_dedupe_key(agreement_id, occurrence),
            col(Reminder.status) == ReminderStatus.PENDING,
        )
        .values(status=ReminderStatus.CANCELLED, lease_until=None)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


async def check_was_sent(session: AsyncSession, *, agreement_id: int, occurrence: str) -> bool:
    """Whether this check went out to the monitor: only those can be answered."""
    query = select(Reminder.id).where(
        Reminder.dedupe_key == check_dedupe_key(agreement_id, occurrence),
        col(Reminder.status).in_([ReminderStatus.SENDING, ReminderStatus.SENT]),
    )
    return (await session.exec(query)).first() is not None


async def check_for(
    session: AsyncSession, *, agreement_id: int, occurrence: str
) -> BodemeisCheck | None:
    query = select(BodemeisCheck).where(
        BodemeisCheck.agreement_id == agreement_id, BodemeisCheck.occurrence == occurrence
    )
    return (await session.exec(query)).first()


async def add_note(
    session: AsyncSession, *, agreement_id: int, occurrence: str, note: str, by: str
) -> bool:
    """The answerer's note on their check; False when there is no answer of theirs."""
    statement = (
        update(BodemeisCheck)
        .where(
            col(BodemeisCheck.agreement_id) == agreement_id,
            col(BodemeisCheck.occurrence) == occurrence,
            col(BodemeisCheck.answered_by) == by,
        )
        .values(note=note)
    )
    return bool((await session.exec(statement)).rowcount)


async def set_escalation_ts(
    session: AsyncSession, *, agreement_id: int, occurrence: str, ts: str
) -> None:
    statement = (
        update(BodemeisCheck)
        .where(
            col(BodemeisCheck.agreement_id) == agreement_id,
            col(BodemeisCheck.occurrence) == occurrence,
        )
        .values(escalation_ts=ts)
    )
    await session.exec(statement)


async def checks_since(
    session: AsyncSession, *, case_id: int, since: datetime | None
) -> list[tuple[BodemeisCheck, Agreement]]:
    """Bodemeis checks of the case answered after `since` (all when None), oldest first."""
    query = (
        select(BodemeisCheck, Agreement)
        .join(Agreement, col(Agreement.id) == col(BodemeisCheck.agreement_id))
        .where(Agreement.case_id == case_id)
        .order_by(col(BodemeisCheck.agreement_id), col(BodemeisCheck.occurrence))
    )
    if since is not None:
        query = query.where(col(BodemeisCheck.answered_at) > since)
    return [(check, agreement) for check, agreement in (await session.exec(query)).all()]
