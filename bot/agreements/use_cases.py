"""What happens to agreements: recorded in a meeting (an action, a bodemeis, the collaboration
agreements, the afsluitingsplan), and answered from a reminder DM (done, more time, not
possible; a bodemeis check met, not met, unknown, and its note).

Plain async functions with keyword arguments, no Bolt objects. Each commits its change with
its audit line and, in the same transaction, asks the outbox for the agreements message (and
other objects) that show it; the caller renders those rows after the ack. The reminder DMs a
change answers are redrawn after the ack too (best effort: they are not objects).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.dms import answered_dm
from bot.agreements.escalation import raise_and_show
from bot.agreements.message import bump_for, want_message, want_not_possible
from bot.agreements.plan import want_plan
from bot.agreements.postponed import want_past_meeting_notes
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.runtime import Declined, Deps
from bot.kit.slack import open_dm, update_message
from bot.meetings.use_cases import plan_meeting
from flows.schedule import ReminderKind
from storage import audit
from storage.agreements import (
    MORE_TIME_DAYS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CheckAnswer,
    Priority,
    add_action,
    finish_action,
    set_single,
    single_of_meeting,
)
from storage.bodemeis_checks import (
    add_bodemeis,
    add_note,
    check_for,
    record_check,
    schedule_retry_escalation,
)
from storage.cases import case_by_id
from storage.escalations import EscalationKind
from storage.meetings import invitees
from storage.models import Case, row_id
from storage.postponements import NEEDS_CONSENT, PostponeRefused, postpone
from storage.reminders import Reminder, ReminderStatus, reminders_for
from storage.types import utcnow

log = logging.getLogger("casusbot.agreements")


async def _recorded(session: AsyncSession, agreement: Agreement, *, actor: str) -> None:
    await audit.record(
        session,
        actor=actor,
        action="agreement_recorded",
        case_id=agreement.case_id,
        meeting_id=agreement.meeting_id,
        detail=f"{agreement.kind} {agreement.id}",
    )


# ----- recording, during the meeting -----


Rows = tuple[int, ...]


async def _record(
    deps: Deps,
    *,
    meeting_id: int,
    actor: str,
    add: Callable[[AsyncSession], Awaitable[Agreement]],
) -> Rows:
    """Store one agreement with its audit line, and want the agreements message that shows it."""
    async with deps.db.session() as session:
        agreement = await add(session)
        await _recorded(session, agreement, actor=actor)
        rows = await want_message(session, deps, meeting_id=meeting_id)
        return tuple(rows + await _plan_of(session, deps, agreement.case_id))


async def _plan_of(session: AsyncSession, deps: Deps, case_id: int) -> list[int]:
    """The case's veiligheidsplan follows every change to its agreements."""
    case = await case_by_id(session, case_id=case_id)
    return await want_plan(session, deps, case=case) if case is not None else []


async def record_action(
    deps: Deps,
    *,
    case_id: int,
    meeting_id: int,
    text: str,
    owner_user_id: str | None,
    owner_organisation: str | None,
    due: date,
    priority: Priority,
    actor: str,
) -> Rows:
    add = functools.partial(
        add_action,
        case_id=case_id,
        meeting_id=meeting_id,
        text=text,
        owner_user_id=owner_user_id,
        owner_organisation=owner_organisation,
        due_date=due,
        priority=priority,
        created_by=actor,
        hours=deps.settings.working_hours,
        tz=deps.settings.timezone,
    )
    return await _record(deps, meeting_id=meeting_id, actor=actor, add=add)


async def record_bodemeis(
    deps: Deps,
    *,
    case_id: int,
    meeting_id: int,
    text: str,
    monitor: str,
    interval_days: int,
    actor: str,
) -> Rows:
    add = functools.partial(
        add_bodemeis,
        case_id=case_id,
        meeting_id=meeting_id,
        text=text,
        monitor_user_id=monitor,
        interval_days=interval_days,
        created_by=actor,
        now=utcnow(),
        hours=deps.settings.working_hours,
        tz=deps.settings.timezone,
    )
    return await _record(deps, meeting_id=meeting_id, actor=actor, add=add)


async def record_collaboration(
    deps: Deps,
    *,
    case: Case,
    meeting_id: int,
    timeline: str | None,
    escalation_plan: str | None,
    informing: str | None,
    next_meeting_at: datetime | None,
    actor: str,
) -> Rows:
    """The Afspraken over samenwerking; a date for the next meeting plans it (in the case's
    phase, with this meeting's invitees), once: a next meeting, once linked, stays linked."""
    async with deps.db.session() as session:
        current = await single_of_meeting(
            session, meeting_id=meeting_id, kind=AgreementKind.COLLABORATION
        )
        invited = await invitees(session, meeting_id=meeting_id)
    next_meeting_id: int | None = None
    planning: Rows = ()
    if next_meeting_at is not None and (current is None or current.next_meeting_id is None):
        planned = await plan_meeting(
            deps,
            case=case,
            when=next_meeting_at,
            phase=case.phase,
            invited=invited,
            newcomers={},  # this meeting's invitees are in the case already
            actor=actor,
        )
        next_meeting_id, planning = row_id(planned.meeting), planned.rows
    add = functools.partial(
        set_single,
        kind=AgreementKind.COLLABORATION,
        case_id=row_id(case),
        meeting_id=meeting_id,
        created_by=actor,
        text=timeline,
        escalation_plan=escalation_plan,
        informing=informing,
        next_meeting_id=next_meeting_id,
    )
    return planning + await _record(deps, meeting_id=meeting_id, actor=actor, add=add)


async def record_closure(
    deps: Deps, *, case_id: int, meeting_id: int, text: str, actor: str
) -> Rows:
    add = functools.partial(
        set_single,
        kind=AgreementKind.CLOSURE,
        case_id=case_id,
        meeting_id=meeting_id,
        created_by=actor,
        text=text,
    )
    return await _record(deps, meeting_id=meeting_id, actor=actor, add=add)


# ----- an action's reminder, answered -----


async def action_done(deps: Deps, *, agreement: Agreement, due: date, actor: str) -> Rows:
    async with deps.db.session() as session:
        done = await finish_action(
            session,
            agreement_id=row_id(agreement),
            expected_due=due,
            status=AgreementStatus.DONE,
            by=actor,
        )
        if done:
            await audit.record(
                session,
                actor=actor,
                action="action_done",
                case_id=agreement.case_id,
                detail=str(agreement.id),
            )
            rows = await bump_for(session, deps, agreement)
            return tuple(rows + await _plan_of(session, deps, agreement.case_id))
    raise Declined("agreements.stale_action")


async def more_time(
    deps: Deps, *, agreement: Agreement, due: date, actor: str, consent: bool = False
) -> tuple[date, Rows]:
    """A week from the due date, or from today when the reminder is answered late. Once per due
    date without a regisseur's consent (`consent`: the actor is a regisseur and gives it);
    every move is recorded, and when the new date lies after the next meeting the regisseurs
    are told (issue 16). Returns the new due date and the rows that show it."""
    settings = deps.settings
    new_due = max(due, local_today(settings.timezone)) + timedelta(days=MORE_TIME_DAYS)
    async with deps.db.session() as session:
        try:
            postponed = await postpone(
                session,
                agreement_id=row_id(agreement),
                expected_due=due,
                new_due=new_due,
                by=actor,
                now=utcnow(),
                hours=settings.working_hours,
                tz=settings.timezone,
                consent_by=actor if consent else None,
            )
        except PostponeRefused as refused:
            if refused.code == NEEDS_CONSENT:
                raise Declined("postpone.needs_consent") from None
            raise Declined("agreements.stale_action") from None
        moved = postponed.agreement
        rows = await bump_for(session, deps, moved)
        rows += await _plan_of(session, deps, moved.case_id)
        if postponed.past_meeting is not None:
            rows += await want_past_meeting_notes(
                session, deps, postponement=postponed.postponement, case_id=moved.case_id
            )
        return new_due, tuple(rows)


@dataclass(frozen=True, slots=True)
class NotPossible:
    """A closed action: the rows that show it, and the reminder DMs that asked about it."""

    rows: Rows
    reminders: tuple[Reminder, ...]


async def action_not_possible(
    deps: Deps,
    *,
    agreement: Agreement,
    case: Case,
    due: date,
    reason: str,
    actor: str,
) -> NotPossible:
    """Close the action as not possible with its reason; the procesregisseur is told in the
    case channel (an object wanted in the same transaction)."""
    async with deps.db.session() as session:
        done = await finish_action(
            session,
            agreement_id=row_id(agreement),
            expected_due=due,
            status=AgreementStatus.NOT_POSSIBLE,
            by=actor,
            reason=reason,
        )
        if not done:
            raise Declined("agreements.stale_action")
        await audit.record(
            session,
            actor=actor,
            action="action_not_possible",
            case_id=agreement.case_id,
            detail=str(agreement.id),
        )
        reminders = await reminders_for(session, agreement_id=row_id(agreement))
        if agreement.priority == Priority.HIGH:
            # An urgent action that cannot be done is an escalation with an owner (issue 16).
            _, told = await raise_and_show(
                session,
                deps,
                case=case,
                kind=EscalationKind.ACTION_NOT_POSSIBLE,
                agreement_id=row_id(agreement),
                occurrence=due.isoformat(),
                raised_by=actor,
                now=utcnow(),
            )
        else:
            told = await want_not_possible(session, deps, agreement=agreement, case=case)
        rows = (
            told,
            *await bump_for(session, deps, agreement),
            *await _plan_of(session, deps, agreement.case_id),
        )
    return NotPossible(rows, tuple(reminders))


async def close_reminder_dms(
    deps: Deps, client: AsyncWebClient, *, agreement: Agreement, reminders: Sequence[Reminder]
) -> None:
    """After the ack: every sent reminder DM of a closed action loses its buttons (the modal's
    submission does not say which DM it came from)."""
    for reminder in reminders:
        if reminder.kind != ReminderKind.ACTION_DUE or reminder.status != ReminderStatus.SENT:
            continue
        if not reminder.message_ts or not reminder.user_id:
            continue
        lang = await deps.users.language(client, reminder.user_id)
        text = t(lang, "agreements.not_possible")
        await update_message(
            client,
            channel=await open_dm(client, reminder.user_id),
            ts=reminder.message_ts,
            text=text,
            blocks=answered_dm(text, what=agreement.text),
            what="reminder DM",
        )


# ----- a bodemeis check, answered -----


async def answer_check(
    deps: Deps,
    *,
    agreement: Agreement,
    occurrence: date,
    answer: CheckAnswer,
    actor: str,
    action_ts: str | None,
    channel_id: str | None = None,
) -> tuple[str | None, Rows]:
    """Record the monitor's answer; "niet nageleefd" also schedules the escalation in
    `channel_id` (the case channel). Returns (None, the rows that show it: the
    veiligheidsplan's last check). When this occurrence was answered before, nothing changes
    and the earlier answer is returned."""
    if agreement.status != AgreementStatus.OPEN:
        raise Declined("checks.stale")
    agreement_id, day = row_id(agreement), occurrence.isoformat()
    async with deps.db.session() as session:
        check = await record_check(
            session,
            agreement_id=agreement_id,
            occurrence=day,
            answer=answer,
            by=actor,
            action_ts=action_ts,
        )
        if check is not None:
            await audit.record(
                session,
                actor=actor,
                action="bodemeis_checked",
                case_id=agreement.case_id,
                detail=f"{agreement_id} {day} {answer.value}",
            )
            if answer is CheckAnswer.NOT_MET and channel_id is not None:
                # The procesregisseur must hear of it even if this process dies after the ack:
                # the escalation is a reminder due now, sent (once) by the poller.
                await schedule_retry_escalation(
                    session,
                    agreement=agreement,
                    occurrence=day,
                    channel_id=channel_id,
                    now=utcnow(),
                )
            return None, tuple(await _plan_of(session, deps, agreement.case_id))
        existing = await check_for(session, agreement_id=agreement_id, occurrence=day)
    return (existing.answer if existing is not None else CheckAnswer.UNKNOWN.value), ()


async def send_escalations_now(deps: Deps) -> None:
    """After the ack: a round of the reminder poller, so a scheduled escalation goes out now
    (and exactly once) instead of at the next poll."""
    if deps.reminder_loop is not None and not deps.reminder_loop.stopped:
        await deps.reminder_loop.tick()


async def save_note(
    deps: Deps, *, agreement: Agreement, occurrence: date, note: str, by: str
) -> None:
    async with deps.db.session() as session:
        saved = await add_note(
            session,
            agreement_id=row_id(agreement),
            occurrence=occurrence.isoformat(),
            note=note,
            by=by,
        )
    if not saved:
        raise Declined("checks.stale")
