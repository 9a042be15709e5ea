"""A safe close, aftercare and reopening.

A case closes only on an afsluitingsplan recorded in the closing meeting, or on a regisseur's
explicit override with a reason (encrypted; the override itself is audited). Nothing is left
running silently: every open action and bodemeis in force gets the regisseur's choice first —
done, ended or handed over to regular care — and closing then cancels every pending reminder
and planned meeting, and schedules one aftercare DM to the casusregisseur, months later: "Gaat
het nog goed met dit gezin?". Its "nee" reopens the case in directe veiligheid, which is
possible until the purge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from flows.schedule import (
    ReminderKind,
    WorkingHours,
    add_months,
    due_in_working_hours,
    local_moment,
)
from storage import audit
from storage.agreements import (
    REMINDER_TIME,
    Agreement,
    AgreementKind,
    AgreementStatus,
    open_actions,
    single_of_meeting,
)
from storage.bodemeisen import active_bodemeisen
from storage.cases import lock_case, participants, regisseurs
from storage.escalations import Escalation, open_escalations
from storage.models import (
    Case,
    CaseClosure,
    CaseStatus,
    Meeting,
    MeetingStatus,
    Role,
    row_id,
)
from storage.reminders import cancel_reminders, schedule_reminder
from storage.rhythm import schedule_no_next_meeting

# A reopened case starts over in the first phase (issue 16: "reopening starts in directe
# veiligheid").
REOPEN_PHASE = "directe_veiligheid"


class ClosingRefused(ValueError):
    """The case cannot close (yet); nothing changed. `code` names why, `blockers` shows what
    is still open."""

    def __init__(self, code: str, blockers: ClosingBlockers | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.blockers = blockers


ALREADY_CLOSED = "already_closed"
UNDECIDED = "undecided"  # open actions or bodemeisen without a choice
NO_AFSLUITINGSPLAN = "no_afsluitingsplan"  # and no override reason
BAD_CHOICE = "bad_choice"  # a choice for something not open, or "done" for a bodemeis


class AftercareAnswer(StrEnum):
    WELL = "goed"
    REOPEN = "heropenen"


@dataclass(frozen=True, slots=True)
class ClosingBlockers:
    """What stands between a case and its close, for the regisseur to decide on."""

    open_actions: tuple[Agreement, ...]
    active_bodemeisen: tuple[Agreement, ...]
    afsluitingsplan: Agreement | None  # recorded in the closing meeting
    # Not blocking, but worth a look: escalations nobody resolved.
    open_escalations: tuple[Escalation, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.open_actions and not self.active_bodemeisen and self.has_plan

    @property
    def has_plan(self) -> bool:
        return self.afsluitingsplan is not None


@dataclass(frozen=True, slots=True)
class ClosingChoice:
    """What becomes of one open action or bodemeis: DONE (actions only), ENDED, HANDED_OVER;
    `note` (encrypted) says why, or to whom it went."""

    agreement_id: int
    outcome: AgreementStatus
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Closed:
    case: Case
    closure: CaseClosure
    aftercare_to: str | None  # the casusregisseur (else a regisseur) who gets the aftercare DM
    aftercare_reminder_id: int | None
    # Meetings that were still planned and are called off (their planning messages change).
    cancelled_meetings: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Reopened:
    """What the bot needs to plan the new meeting: the case (now open, in `phase`), who steers
    it and who is in it."""

    case: Case
    phase: str
    regisseurs: tuple[str, ...]
    participants: tuple[str, ...] = field(default_factory=tuple)


async def closing_blockers(
    session: AsyncSession, *, case_id: int, meeting_id: int | None
) -> ClosingBlockers:
    plan = None
    if meeting_id is not None:
        plan = await single_of_meeting(session, meeting_id=meeting_id, kind=AgreementKind.CLOSURE)
        if plan is not None and (plan.case_id != case_id or not (plan.text or "").strip()):
            plan = None  # encrypted, so emptiness is judged here
    return ClosingBlockers(
        open_actions=tuple(await open_actions(session, case_id=case_id)),
        active_bodemeisen=tuple(await active_bodemeisen(session, case_id=case_id)),
        afsluitingsplan=plan,
        open_escalations=tuple(await open_escalations(session, case_ids=[case_id])),
    )


async def close_case(
    session: AsyncSession,
    *,
    case_id: int,
    by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    aftercare_months: int,
    meeting_id: int | None = None,
    choices: Sequence[ClosingChoice] = (),
    override_reason: str | None = None,
) -> Closed:
    """Close the case in the caller's transaction, or raise ClosingRefused (the caller's
    transaction then rolls back, as `Database.session()` does). `choices` must cover every open
    action and bodemeis in force; without an afsluitingsplan in `meeting_id`,
    `override_reason` must say why the case closes anyway."""
    if not await lock_case(session, case_id=case_id):
        raise LookupError(f"case {case_id} does not exist")
    blockers = await closing_blockers(session, case_id=case_id, meeting_id=meeting_id)
    decided = {c.agreement_id: c for c in choices}
    open_items = {row_id(a): a for a in blockers.open_actions + blockers.active_bodemeisen}
    if set(decided) - set(open_items) or any(
        AgreementStatus(c.outcome) not in _ALLOWED[AgreementKind(open_items[c.agreement_id].kind)]
        for c in choices
    ):
        raise ClosingRefused(BAD_CHOICE, blockers)
    if set(open_items) - set(decided):
        raise ClosingRefused(UNDECIDED, blockers)
    override = (override_reason or "").strip() or None
    if not blockers.has_plan and override is None:
        raise ClosingRefused(NO_AFSLUITINGSPLAN, blockers)
    closing = (
        update(Case)
        .where(col(Case.id) == case_id, col(Case.status) == CaseStatus.OPEN)
        .values(status=CaseStatus.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(closing)).rowcount:
        raise ClosingRefused(ALREADY_CLOSED, blockers)
    for choice in choices:
        await _settle(session, choice, by=by, now=now)
        await audit.record(
            session,
            actor=by,
            action="agreement_settled_at_closing",
            case_id=case_id,
            meeting_id=meeting_id,
            detail=f"agreement={choice.agreement_id} outcome={choice.outcome}",
        )
    # Something recorded while the regisseur chose would otherwise run on in a closed case.
    if await open_actions(session, case_id=case_id) or await active_bodemeisen(
        session, case_id=case_id
    ):
        raise ClosingRefused(UNDECIDED, blockers)
    await cancel_reminders(session, case_id=case_id)
    # A closed case meets no more: meetings still planned are called off (not the closing one).
    called_off = (
        update(Meeting)
        .where(
            col(Meeting.case_id) == case_id,
            col(Meeting.status) == MeetingStatus.PLANNED,
            col(Meeting.id) != (meeting_id or 0),
        )
        .values(status=MeetingStatus.CANCELLED)
        .returning(col(Meeting.id))
        .execution_options(synchronize_session=False)
    )
    cancelled_meetings = tuple(sorted((await session.exec(called_off)).scalars().all()))
    closure = CaseClosure(
        case_id=case_id,
        meeting_id=meeting_id,
        closed_by=by,
        closed_at=now,
        afsluitingsplan_id=row_id(blockers.afsluitingsplan) if blockers.afsluitingsplan else None,
        override_reason=None if blockers.has_plan else override,
    )
    session.add(closure)
    await session.flush()
    aftercare_to = await _aftercare_recipient(session, case_id=case_id) or by
    due = local_moment(add_months(now.astimezone(tz).date(), aftercare_months), REMINDER_TIME, tz)
    reminder_id = await schedule_reminder(
        session,
        kind=ReminderKind.AFTERCARE,
        due_at=due_in_working_hours(ReminderKind.AFTERCARE, due, hours, tz),
        dedupe_key=f"{ReminderKind.AFTERCARE.value}:{row_id(closure)}",
        user_id=aftercare_to,
        case_id=case_id,
        payload={"closure": row_id(closure)},
    )
    await audit.record(
        session,
        actor=by,
        action="case_closed",
        case_id=case_id,
        meeting_id=meeting_id,
        detail="afsluitingsplan" if blockers.has_plan else "override",
    )
    if not blockers.has_plan:
        await audit.record(
            session, actor=by, action="case_close_override", case_id=case_id, meeting_id=meeting_id
        )
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:  # updated above in this transaction
        raise LookupError(f"case {case_id} vanished while it closed")
    return Closed(
        case=case,
        closure=closure,
        aftercare_to=aftercare_to,
        aftercare_reminder_id=reminder_id,
        cancelled_meetings=cancelled_meetings,
    )


async def latest_closure(session: AsyncSession, *, case_id: int) -> CaseClosure | None:
    query = (
        select(CaseClosure)
        .where(CaseClosure.case_id == case_id)
        .order_by(col(CaseClosure.id).desc())
    )
    return (await session.exec(query)).first()


async def record_aftercare(
    session: AsyncSession,
    *,
    closure_id: int,
    answer: AftercareAnswer,
    by: str,
    now: datetime,
) -> bool:
    """The answer to "Gaat het nog goed met dit gezin?"; the first answer counts (False for a
    second). A "heropenen" is followed by `reopen_case` in the same transaction."""
    statement = (
        update(CaseClosure)
        .where(col(CaseClosure.id) == closure_id, col(CaseClosure.aftercare_answer).is_(None))
        .values(aftercare_answer=AftercareAnswer(answer).value, aftercare_by=by, aftercare_at=now)
        .returning(col(CaseClosure.case_id))
    )
    case_id = (await session.exec(statement)).scalar_one_or_none()
    if case_id is None:
        return False
    await audit.record(
        session, actor=by, action="aftercare_answered", case_id=case_id, detail=str(answer)
    )
    return True


async def reopen_case(
    session: AsyncSession,
    *,
    case_id: int,
    by: str,
    now: datetime,
    hours: WorkingHours,
    tz: ZoneInfo,
    no_next_meeting_days: int,
    phase: str = REOPEN_PHASE,
) -> Reopened | None:
    """Open a closed case again in `phase`; None when it is not closed (reopened already) or
    no longer exists (purged). The aftercare DM is cancelled, and until the bot plans the new
    meeting the regisseurs get the "no meeting planned" reminders, as after any meeting."""
    statement = (
        update(Case)
        .where(col(Case.id) == case_id, col(Case.status) == CaseStatus.CLOSED)
        .values(status=CaseStatus.OPEN, closed_at=None, phase=phase)
        .execution_options(synchronize_session=False)
    )
    if not (await session.exec(statement)).rowcount:
        return None
    closure = await latest_closure(session, case_id=case_id)
    if closure is not None:
        closure.reopened_by, closure.reopened_at = by, now
        session.add(closure)
    await cancel_reminders(session, case_id=case_id, kinds=[ReminderKind.AFTERCARE])
    await session.flush()
    await schedule_no_next_meeting(
        session,
        case_id=case_id,
        since=f"reopened{row_id(closure) if closure else 0}",
        start=now,
        hours=hours,
        tz=tz,
        working_days=no_next_meeting_days,
    )
    await audit.record(session, actor=by, action="case_reopened", case_id=case_id, detail=phase)
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:  # updated above in this transaction
        raise LookupError(f"case {case_id} vanished while it reopened")
    return Reopened(
        case=case,
        phase=phase,
        regisseurs=tuple(await regisseurs(session, case_id=case_id)),
        participants=tuple(p.user_id for p in await participants(session, case_id=case_id)),
    )


# ----- helpers -----

_ALLOWED = {
    AgreementKind.ACTION: frozenset(
        {AgreementStatus.DONE, AgreementStatus.ENDED, AgreementStatus.HANDED_OVER}
    ),
    AgreementKind.BODEMEIS: frozenset({AgreementStatus.ENDED, AgreementStatus.HANDED_OVER}),
}


async def _settle(session: AsyncSession, choice: ClosingChoice, *, by: str, now: datetime) -> None:
    outcome = AgreementStatus(choice.outcome)
    values: dict[str, object] = {"status": outcome.value, "updated_at": now}
    if outcome is AgreementStatus.DONE:
        values.update(finished_by=by, finished_at=now)
    else:
        values.update(ended_by=by, ended_at=now, end_reason=(choice.note or "").strip() or None)
    statement = (
        update(Agreement)
        .where(
            col(Agreement.id) == choice.agreement_id,
            col(Agreement.status) == AgreementStatus.OPEN,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.exec(statement)


async def _aftercare_recipient(session: AsyncSession, *, case_id: int) -> str | None:
    """The casusregisseur (family contact) asks the aftercare question; else a regisseur."""
    members = await participants(session, case_id=case_id)
    for member in members:
        if member.role == Role.CASUSREGISSEUR:
            return member.user_id
    found = await regisseurs(session, case_id=case_id)
    return found[0] if found else None


async def closing_meeting(session: AsyncSession, *, case_id: int) -> Meeting | None:
    """The meeting a close rests on: the one running, else the one that ended last (its
    afsluitingsplan counts)."""
    query = (
        select(Meeting)
        .where(
            Meeting.case_id == case_id,
            col(Meeting.status).in_([MeetingStatus.RUNNING, MeetingStatus.ENDED]),
        )
        .order_by(
            (col(Meeting.status) == MeetingStatus.RUNNING).desc(),
            col(Meeting.ended_at).desc(),
            col(Meeting.id).desc(),
        )
    )
    return (await session.exec(query)).first()


async def closure_by_id(session: AsyncSession, *, closure_id: int) -> CaseClosure | None:
    return await session.get(CaseClosure, closure_id)


async def aftercare_recipient(session: AsyncSession, *, case_id: int) -> str | None:
    """Who is asked the aftercare question: the casusregisseur, else a regisseur."""
    return await _aftercare_recipient(session, case_id=case_id)
