"""Answering an agreement's reminders from a DM: gedaan, een week meer tijd or lukt niet for an
action; nageleefd, niet nageleefd or onbekend (and a note) for a bodemeis check.

Access.MEMBER is enforced at registration; the rest is checked here against what we stored. A
button carries its agreement and date (bot.blocks.agreements.token): a click for another date
than the stored one, a second click, or a forged value gets a kind private answer and changes
nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import agreements as orchestration
from bot.blocks.agreement_dms import answered_dm, check_answered_dm
from bot.blocks.agreements import local_date, not_possible_modal, note_modal, parse_token, token
from bot.blocks.common import mention
from bot.blocks.forms import form_values
from bot.i18n import t
from bot.ids import Field
from bot.listeners.agreements import form_text, local_today, text_errors
from bot.listeners.home import render_home
from bot.payloads import Ref
from bot.reminders import open_dm
from bot.runtime import Turn, log
from flows.schedule import ReminderKind
from storage import audit
from storage.agreements import (
    MORE_TIME_DAYS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    CheckAnswer,
    agreement_by_id,
    finish_action,
    move_due_date,
)
from storage.bodemeis_checks import (
    add_note,
    check_for,
    check_was_sent,
    record_check,
    schedule_retry_escalation,
)
from storage.cases import STEERING_ROLES
from storage.models import Role
from storage.reminders import ReminderStatus, reminders_for
from storage.types import utcnow

# ----- an action's reminder DM: gedaan, een week meer tijd, lukt niet -----


async def _target(turn: Turn, kind: AgreementKind) -> tuple[Agreement, date] | None:
    """The agreement a DM button (or its modal) is about, checked against what we stored."""
    parsed = parse_token(turn.ref.choice if turn.ref else None)
    agreement, sent = None, True
    if parsed is not None:
        async with turn.deps.db.session() as session:
            agreement = await agreement_by_id(session, agreement_id=parsed[0])
            if kind is AgreementKind.BODEMEIS:
                # A check can only be answered when it was asked: no made-up occurrences.
                sent = await check_was_sent(
                    session, agreement_id=parsed[0], occurrence=parsed[1].isoformat()
                )
    if (
        parsed is None
        or agreement is None
        or agreement.case_id != turn.case.id
        or agreement.kind != kind
        or not sent
    ):
        await turn.tell(turn.t("errors.forged"))
        return None
    expected = agreement.recipient if kind is AgreementKind.ACTION else agreement.monitor_user_id
    steering = turn.member is not None and Role(turn.member.role) in STEERING_ROLES
    if turn.user_id != expected and not steering:
        await turn.tell(
            turn.t("agreements.not_yours" if kind is AgreementKind.ACTION else "checks.not_yours")
        )
        return None
    return agreement, parsed[1]


async def _update_dm(turn: Turn, blocks: list[dict[str, Any]], text: str) -> None:
    """Replace the clicked DM's buttons by the outcome, so a second click has nothing to hit."""
    container = turn.body.get("container") or {}
    if container.get("type") == "view":  # answered from the home tab: show it there
        await render_home(turn.deps, turn.client, turn.user_id or "")
        return
    ts, channel = container.get("message_ts"), container.get("channel_id") or turn.channel_id
    if not ts or not channel:
        return
    try:
        await turn.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not update reminder DM: %s", error.response.get("error"))


async def action_done(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.ACTION)
    if target is None:
        return
    agreement, due = target
    async with turn.deps.db.session() as session:
        done = await finish_action(
            session,
            agreement_id=agreement.id,
            expected_due=due,
            status=AgreementStatus.DONE,
            by=turn.user_id or "",
        )
        if done:
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="action_done",
                case_id=agreement.case_id,
                detail=str(agreement.id),
            )
    if not done:
        await turn.tell(turn.t("agreements.stale_action"))
        return
    text = turn.t("agreements.done", by=mention(turn.user_id or ""))
    await _update_dm(turn, answered_dm(text, what=agreement.text), text)
    await orchestration.refresh_for(turn.deps, turn.client, agreement)


async def action_more_time(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.ACTION)
    if target is None:
        return
    agreement, due = target
    # A week from the due date, or from today when the reminder is answered late.
    new_due = max(due, local_today(turn)) + timedelta(days=MORE_TIME_DAYS)
    settings = turn.deps.settings
    async with turn.deps.db.session() as session:
        moved = await move_due_date(
            session,
            agreement_id=agreement.id,
            expected_due=due,
            new_due=new_due,
            hours=settings.working_hours,
            tz=settings.timezone,
        )
        if moved is not None:
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="action_moved",
                case_id=agreement.case_id,
                detail=f"{agreement.id} {due.isoformat()} -> {new_due.isoformat()}",
            )
    if moved is None:
        await turn.tell(turn.t("agreements.stale_action"))
        return
    text = turn.t("agreements.moved", due=local_date(turn.lang, new_due))
    await _update_dm(turn, answered_dm(text, what=agreement.text), text)
    await orchestration.refresh_for(turn.deps, turn.client, moved)


async def open_not_possible_form(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.ACTION)
    if target is None:
        return
    agreement, due = target
    if agreement.status != AgreementStatus.OPEN or agreement.due_date != due:
        await turn.tell(turn.t("agreements.stale_action"))
        return
    view = not_possible_modal(turn.lang, ref=turn.ref, what=agreement.text or "")
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def validate_not_possible(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors = text_errors(turn, values, Field.REASON)
    return errors or None


async def record_not_possible(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.ACTION)
    if target is None:
        return
    agreement, due = target
    reason = form_text(form_values(turn.body["view"]), Field.REASON)
    async with turn.deps.db.session() as session:
        done = await finish_action(
            session,
            agreement_id=agreement.id,
            expected_due=due,
            status=AgreementStatus.NOT_POSSIBLE,
            by=turn.user_id or "",
            reason=reason,
        )
        if done:
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="action_not_possible",
                case_id=agreement.case_id,
                detail=str(agreement.id),
            )
        reminders = await reminders_for(session, agreement_id=agreement.id)
    if not done:
        await turn.tell(turn.t("agreements.stale_action"))
        return
    agreement.reason, agreement.status = reason, AgreementStatus.NOT_POSSIBLE
    # The modal's submission does not say which DM it came from: every sent reminder of this
    # action loses its buttons.
    for reminder in reminders:
        if reminder.kind != ReminderKind.ACTION_DUE or reminder.status != ReminderStatus.SENT:
            continue
        if not reminder.message_ts or not reminder.user_id:
            continue
        lang = await turn.deps.users.language(turn.client, reminder.user_id)
        text = t(lang, "agreements.not_possible")
        try:
            await turn.client.chat_update(
                channel=await open_dm(turn.client, reminder.user_id),
                ts=reminder.message_ts,
                text=text,
                blocks=answered_dm(text, what=agreement.text),
            )
        except SlackApiError as error:
            log.warning("could not update reminder DM: %s", error.response.get("error"))
    await orchestration.report_not_possible(
        turn.deps, turn.client, agreement=agreement, case=turn.case, by=turn.user_id or ""
    )
    await orchestration.refresh_for(turn.deps, turn.client, agreement)


# ----- a bodemeis check DM: nageleefd, niet nageleefd, onbekend (+ a note) -----


async def _answer(turn: Turn, answer: CheckAnswer) -> None:
    target = await _target(turn, AgreementKind.BODEMEIS)
    if target is None:
        return
    agreement, occurrence = target
    if agreement.status != AgreementStatus.OPEN:
        await turn.tell(turn.t("checks.stale"))
        return
    action = (turn.body.get("actions") or [{}])[0]
    async with turn.deps.db.session() as session:
        check = await record_check(
            session,
            agreement_id=agreement.id,
            occurrence=occurrence.isoformat(),
            answer=answer,
            by=turn.user_id,
            action_ts=str(action.get("action_ts") or "")[:32] or None,
        )
        if check is not None:
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="bodemeis_checked",
                case_id=agreement.case_id,
                detail=f"{agreement.id} {occurrence.isoformat()} {answer.value}",
            )
            existing = check
        else:
            existing = await check_for(
                session, agreement_id=agreement.id, occurrence=occurrence.isoformat()
            )
    if check is None:
        shown = existing.answer if existing is not None else CheckAnswer.UNKNOWN.value
        await turn.tell(turn.t("checks.already", answer=turn.t(f"checks.answer_{shown}")))
        return
    blocks = check_answered_dm(
        turn.lang,
        text=agreement.text or "",
        occurrence=occurrence,
        answer=answer,
        ref=Ref(case_id=agreement.case_id, choice=token(agreement.id, occurrence)),
    )
    await _update_dm(turn, blocks, turn.t(f"checks.answer_{answer.value}"))
    if answer is CheckAnswer.NOT_MET:
        await _escalate_or_retry(turn, agreement, occurrence.isoformat())


async def _escalate_or_retry(turn: Turn, agreement: Agreement, occurrence: str) -> None:
    """Tell the procesregisseur now; if Slack fails, the poller keeps trying: a broken bottom
    line must reach them even when this click's post did not."""
    try:
        await orchestration.escalate(
            turn.deps,
            turn.client,
            agreement=agreement,
            case=turn.case,
            occurrence=occurrence,
            answer=CheckAnswer.NOT_MET,
        )
    except SlackApiError as error:
        log.warning(
            "escalation of bodemeis %s failed: %s", agreement.id, error.response.get("error")
        )
        async with turn.deps.db.session() as session:
            await schedule_retry_escalation(
                session,
                agreement=agreement,
                occurrence=occurrence,
                channel_id=turn.case.channel_id,
                now=utcnow(),
            )


async def check_met(turn: Turn) -> None:
    await _answer(turn, CheckAnswer.MET)


async def check_not_met(turn: Turn) -> None:
    await _answer(turn, CheckAnswer.NOT_MET)


async def check_unknown(turn: Turn) -> None:
    await _answer(turn, CheckAnswer.UNKNOWN)


async def open_note_form(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.BODEMEIS)
    if target is None:
        return
    agreement, occurrence = target
    async with turn.deps.db.session() as session:
        check = await check_for(
            session, agreement_id=agreement.id, occurrence=occurrence.isoformat()
        )
    if check is None or check.answered_by != turn.user_id:
        await turn.tell(turn.t("checks.stale"))
        return
    view = note_modal(turn.lang, ref=turn.ref, text=agreement.text or "")
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def validate_note(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors = text_errors(turn, values, Field.NOTE)
    return errors or None


async def record_note(turn: Turn) -> None:
    target = await _target(turn, AgreementKind.BODEMEIS)
    if target is None:
        return
    agreement, occurrence = target
    async with turn.deps.db.session() as session:
        saved = await add_note(
            session,
            agreement_id=agreement.id,
            occurrence=occurrence.isoformat(),
            note=form_text(form_values(turn.body["view"]), Field.NOTE),
            by=turn.user_id or "",
        )
    if not saved:
        await turn.tell(turn.t("checks.stale"))
        return
    await turn.tell(turn.t("checks.note_saved", date=local_date(turn.lang, occurrence)))
