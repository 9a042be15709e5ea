"""A case between meetings, built the way the bot builds it, for the storage tests of issue 16.

Petra is the procesregisseur, Karin the casusregisseur; Sanne (wijkteam) and Mo (Veilig Thuis)
take part. Times are Amsterdam wall-clock times in March 2027 (the clocks go forward on Sunday
28 March).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import DEFAULT_HOURS, ReminderKind
from storage.agreements import Agreement, Priority, add_action
from storage.audit import events_for_case
from storage.bodemeis_checks import add_bodemeis
from storage.cases import create_case
from storage.db import Database
from storage.escalations import EscalationKind, raise_escalation
from storage.meetings import plan_meeting
from storage.models import Meeting, MeetingStatus, Role, row_id
from storage.reminder_queue import claim_due, mark_sent
from storage.reminders import Reminder, ReminderStatus

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = DEFAULT_HOURS
PETRA, KARIN, SANNE, MO = "U0PETRA", "U0KARIN", "U0SANNE", "U0MO"
OUTSIDER = "U0OUTSIDER"
MEMBERS = [
    (PETRA, Role.PROCESREGISSEUR, "ZVH"),
    (KARIN, Role.CASUSREGISSEUR, "Veilig Thuis"),
    (SANNE, Role.DEELNEMER, "Wijkteam"),
    (MO, Role.DEELNEMER, "Veilig Thuis"),
]


def ams(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An Amsterdam wall-clock time as the aware UTC instant the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def wall(moment: datetime) -> str:
    return f"{moment.astimezone(AMS):%a %Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Case:
    case_id: int
    meeting_id: int


async def new_case(
    db: Database,
    *,
    code: str = "ZVH-2027-016",
    phase: str = "directe_veiligheid",
    at: datetime | None = None,
    members: Sequence[tuple[str, Role, str]] = tuple(MEMBERS),
) -> Case:
    """A registered case with its first meeting planned at `at` (default Mon 1 March 10:00)."""
    at = at or ams(2027, 3, 1, 10)
    async with db.session() as session:
        case = await create_case(
            session, code=code, phase=phase, channel_id="G1", created_by=PETRA, members=members
        )
        case.created_at = at
        meeting = await plan_meeting(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            phase=phase,
            scheduled_at=at,
            planned_by=PETRA,
            invitees=[m[0] for m in members],
            state="{}",
        )
        return Case(case.id, meeting.id)  # type: ignore[arg-type]


async def end_meeting(db: Database, meeting_id: int, at: datetime) -> Meeting:
    """The meeting ran and ended at `at` (as the bot's last move records it)."""
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.status, meeting.started_at, meeting.ended_at = MeetingStatus.ENDED, at, at
        session.add(meeting)
    return meeting


async def bodemeis(
    db: Database,
    case: Case,
    *,
    wording: str = "Vader komt niet bij de woning",
    monitor: str = SANNE,
    interval_days: int = 7,
    now: datetime | None = None,
) -> int:
    async with db.session() as session:
        agreement = await add_bodemeis(
            session,
            case_id=case.case_id,
            meeting_id=case.meeting_id,
            text=wording,
            monitor_user_id=monitor,
            interval_days=interval_days,
            created_by=PETRA,
            now=now or ams(2027, 3, 1, 11),
            hours=HOURS,
            tz=AMS,
        )
        return agreement.id  # type: ignore[return-value]


async def action(
    db: Database,
    case: Case,
    *,
    due: date = date(2027, 3, 17),
    owner: str | None = SANNE,
    organisation: str | None = None,
    wording: str = "Huisbezoek door het wijkteam",
    created_by: str = PETRA,
) -> int:
    async with db.session() as session:
        agreement = await add_action(
            session,
            case_id=case.case_id,
            meeting_id=case.meeting_id,
            text=wording,
            owner_user_id=owner,
            owner_organisation=organisation,
            due_date=due,
            priority=Priority.HIGH,
            created_by=created_by,
            hours=HOURS,
            tz=AMS,
        )
        return agreement.id  # type: ignore[return-value]


async def escalate(
    session: AsyncSession,
    case_id: int,
    agreement_id: int,
    *,
    at: datetime,
    occurrence: str = "2027-03-08",
    kind: EscalationKind = EscalationKind.CHECK_UNANSWERED,
    raised_by: str | None = None,
) -> int:
    """An escalation raised at `at`, with the default pick-up time of four working hours."""
    raised = await raise_escalation(
        session,
        case_id=case_id,
        kind=kind,
        agreement_id=agreement_id,
        occurrence=occurrence,
        raised_by=raised_by,
        now=at,
        hours=HOURS,
        tz=AMS,
        pickup_hours=4,
    )
    return row_id(raised.escalation)


async def agreement(db: Database, agreement_id: int) -> Agreement:
    async with db.session() as session:
        found = await session.get(Agreement, agreement_id)
    assert found is not None
    return found


async def reminders(
    db: Database, kind: ReminderKind | None = None, *, status: ReminderStatus | None = None
) -> list[Reminder]:
    query = select(Reminder).order_by(col(Reminder.due_at), col(Reminder.id))
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    if status is not None:
        query = query.where(Reminder.status == status)
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def pending(db: Database, kind: ReminderKind) -> list[tuple[str | None, str]]:
    """(recipient, wall-clock due) of the pending reminders of `kind`."""
    return [
        (r.user_id, wall(r.due_at))
        for r in await reminders(db, kind, status=ReminderStatus.PENDING)
    ]


async def deliver_due(db: Database, now: datetime) -> list[Reminder]:
    """The poller's claim at `now`, each claimed row marked sent (the senders are the bot's)."""
    claimed = await claim_due(db, now=now, limit=100)
    for reminder in claimed:
        assert reminder.id is not None
        assert await mark_sent(db, reminder.id, "1.1", claim_token=reminder.claim_token, now=now)
    return claimed


async def audit_actions(db: Database, case_id: int) -> list[str]:
    async with db.session() as session:
        return [e.action for e in await events_for_case(session, case_id=case_id)]


async def raw(db: Database, sql: str) -> list[tuple[object, ...]]:
    """Rows as stored (no decryption): for checking that free text is encrypted at rest."""
    async with db.engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]
