"""The reminders agreements cause: an action's due date, a bodemeis check, and the escalation
when a check goes unanswered (DESIGN §5). The poller finds these senders in bot/surface.py.

A sender first checks that its cause still holds — an action finished, a case closed, a check
answered makes the reminder obsolete — and never holds a transaction while Slack is called.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.agreements.blocks import token
from bot.agreements.dms import action_due_dm, check_dm, pickup_dm
from bot.agreements.escalation import head_of, post_ts, raise_and_show
from bot.agreements.plan import want_plan
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.reminders import Obsolete, PermanentFailure, reminder_metadata
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from bot.kit.standin import addressee, marked
from flows.schedule import ReminderKind
from storage.agreements import (
    ESCALATION_WORKING_DAYS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CheckAnswer,
    agreement_by_id,
)
from storage.bodemeis_checks import (
    check_for,
    nominal_check_time,
    record_check,
    schedule_escalation,
    schedule_next_check,
    set_escalation_ts,
)
from storage.cases import case_by_id, lead_of
from storage.escalations import EscalationKind, escalation_by_id
from storage.models import Case, CaseStatus, row_id
from storage.postponements import free_postponement_left
from storage.reminders import Reminder
from storage.types import utcnow

log = logging.getLogger("casusbot.agreements")


async def _cause(deps: Deps, reminder: Reminder, kind: AgreementKind) -> tuple[Agreement, Case]:
    if reminder.agreement_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        agreement = await agreement_by_id(session, agreement_id=reminder.agreement_id)
        case = await case_by_id(session, case_id=agreement.case_id) if agreement else None
    if agreement is None or case is None or agreement.kind != kind:
        raise PermanentFailure("agreement_gone")
    if case.status != CaseStatus.OPEN:
        raise Obsolete("case_closed")
    if agreement.status != AgreementStatus.OPEN:
        raise Obsolete("agreement_finished")
    return agreement, case


def _sent_at(reminder: Reminder) -> datetime:
    # The poller does not hand us its clock; the due time stands in when it lies ahead of the
    # wall clock (tests drive the poller with chosen times), so a series never runs backwards.
    return max(reminder.due_at, utcnow())


async def send_action_due(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    """A DM on the due date: gedaan, een week meer tijd, lukt niet."""
    agreement, case = await _cause(deps, reminder, AgreementKind.ACTION)
    if agreement.due_date is None:
        raise PermanentFailure("bad_agreement")
    if reminder.data.get("due") != agreement.due_date.isoformat():
        raise Obsolete("due_moved")  # its replacement, at the new date, is already scheduled
    if reminder.user_id is None:
        raise PermanentFailure("bad_reminder")
    # Someone away: their stand-in gets it, marked as such (issue 16).
    to = await addressee(deps, reminder=reminder, user_id=reminder.user_id)
    async with deps.db.session() as session:
        free = await free_postponement_left(session, agreement=agreement)
    lang = await deps.users.language(client, to.user_id)
    ref = Ref(case_id=case.id, choice=token(row_id(agreement), agreement.due_date))
    response = await client.chat_postMessage(
        channel=await open_dm(client, to.user_id),
        text=t(lang, "agreements.action_due_short", code=case.code),
        blocks=marked(
            lang,
            to,
            action_due_dm(lang, code=case.code, agreement=agreement, ref=ref, more_time=free),
        ),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


async def send_bodemeis_check(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    """A DM to the monitor; the next check and this check's "no answer" escalation are
    scheduled first, so neither is lost if the post fails (both are idempotent)."""
    agreement, case = await _cause(deps, reminder, AgreementKind.BODEMEIS)
    occurrence = str(reminder.data.get("occurrence") or "")
    if reminder.user_id is None or not occurrence:
        raise PermanentFailure("bad_reminder")
    settings = deps.settings
    sent_at = _sent_at(reminder)
    async with deps.db.session() as session:
        if not reminder.data.get("extra"):  # a "check now" from the home tab keeps the series
            await schedule_next_check(
                session,
                agreement=agreement,
                previous=nominal_check_time(occurrence, settings.timezone),
                now=sent_at,
                hours=settings.working_hours,
                tz=settings.timezone,
            )
        await schedule_escalation(
            session,
            agreement=agreement,
            occurrence=occurrence,
            channel_id=case.channel_id,
            sent_at=sent_at,
            hours=settings.working_hours,
            tz=settings.timezone,
        )
    to = await addressee(deps, reminder=reminder, user_id=reminder.user_id)
    lang = await deps.users.language(client, to.user_id)
    response = await client.chat_postMessage(
        channel=await open_dm(client, to.user_id),
        text=t(lang, "checks.dm_short", code=case.code),
        blocks=marked(
            lang,
            to,
            check_dm(
                lang,
                code=case.code,
                text=agreement.text or "",
                occurrence=date.fromisoformat(occurrence),
                days=ESCALATION_WORKING_DAYS,
                ref=Ref(case_id=case.id, choice=token(row_id(agreement), occurrence)),
            ),
        ),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


async def send_escalation(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str | None:
    """Two working days without an answer: recorded as such, and told to the procesregisseur.
    Also the retry of a "niet nageleefd" alert whose first post failed."""
    agreement, case = await _cause(deps, reminder, AgreementKind.BODEMEIS)
    agreement_id = row_id(agreement)
    occurrence = str(reminder.data.get("occurrence") or "")
    if not occurrence:
        raise PermanentFailure("bad_reminder")
    if reminder.data.get("answer") == CheckAnswer.NOT_MET:
        async with deps.db.session() as session:
            check = await check_for(session, agreement_id=agreement_id, occurrence=occurrence)
        if check is None or check.answer != CheckAnswer.NOT_MET or check.escalation_ts:
            raise Obsolete("already_told")
        answer = CheckAnswer.NOT_MET
    else:
        async with deps.db.session() as session:
            recorded = await record_check(
                session,
                agreement_id=agreement_id,
                occurrence=occurrence,
                answer=CheckAnswer.NO_ANSWER,
                by=None,
            )
            existing = (
                None
                if recorded
                else await check_for(session, agreement_id=agreement_id, occurrence=occurrence)
            )
        # Answered in the meantime (answering cancels this reminder, but a click can arrive
        # while the poller holds it). A retry after a failed post finds its own "no answer".
        if existing is not None and existing.answer != CheckAnswer.NO_ANSWER:
            raise Obsolete("answered")
        answer = CheckAnswer.NO_ANSWER
    kind = (
        EscalationKind.BODEMEIS_NOT_MET
        if answer is CheckAnswer.NOT_MET
        else EscalationKind.CHECK_UNANSWERED
    )
    async with deps.db.session() as session:
        answered = await check_for(session, agreement_id=agreement_id, occurrence=occurrence)
        raised, row = await raise_and_show(
            session,
            deps,
            case=case,
            kind=kind,
            agreement_id=agreement_id,
            occurrence=occurrence,
            raised_by=answered.answered_by if answered is not None else None,
            now=_sent_at(reminder),
        )
        plan = await want_plan(session, deps, case=case)
    # The post is an outbox object: shown now, or retried by the outbox until it is (never
    # twice, whatever happens to this reminder).
    await deps.render([row, *plan])
    escalation_id = row_id(raised.escalation)
    ts = await post_ts(deps, escalation_id)
    if ts is not None:
        async with deps.db.session() as session:
            await set_escalation_ts(
                session, agreement_id=agreement_id, occurrence=occurrence, ts=ts
            )
    log.info("bodemeis %s escalated (%s) in case %s", agreement_id, kind.value, case.id)
    return ts


async def send_pickup(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    """An escalation nobody picked up: a DM to a regisseur after the pick-up time, and again at
    the end of the next working day. Obsolete once someone picked it up or it was resolved
    (picking up cancels these reminders; a click can still arrive while the poller holds one)."""
    escalation_id = reminder.escalation_id
    if escalation_id is None or reminder.user_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        escalation = await escalation_by_id(session, escalation_id=escalation_id)
        agreement = (
            await agreement_by_id(session, agreement_id=escalation.agreement_id)
            if escalation
            else None
        )
        case = await case_by_id(session, case_id=escalation.case_id) if escalation else None
        lead = await lead_of(session, case_id=escalation.case_id) if escalation else None
    if escalation is None or agreement is None or case is None:
        raise PermanentFailure("escalation_gone")
    if case.status != CaseStatus.OPEN:
        raise Obsolete("case_closed")
    if escalation.owner_user_id is not None or escalation.resolved_at is not None:
        raise Obsolete("picked_up")
    lang = await deps.users.language(client, reminder.user_id)
    again = reminder.kind == ReminderKind.ESCALATION_PICKUP_AGAIN
    response = await client.chat_postMessage(
        channel=await open_dm(client, reminder.user_id),
        text=t(lang, "escalations.pickup_short", code=case.code),
        blocks=pickup_dm(
            lang,
            code=case.code,
            hours=deps.settings.escalation_pickup_hours,
            again=again,
            head=head_of(lang, escalation, agreement, case, lead),
            ref=Ref(case_id=case.id, choice=str(escalation_id)),
            emergency=deps.settings.emergency_text,
        ),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])
