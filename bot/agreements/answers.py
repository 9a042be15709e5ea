"""Answering an agreement's reminders from a DM: gedaan, een week meer tijd or lukt niet for an
action; nageleefd, niet nageleefd or onbekend (and a note) for a bodemeis check.

Access.MEMBER is enforced at registration; the rest is checked here against what we stored. A
button carries its agreement and date (bot.agreements.blocks.token): a click for another date
than the stored one, a second click, or a forged value gets a kind private answer and changes
nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.agreements.blocks import not_possible_modal, note_modal, parse_token, token
from bot.agreements.dms import answered_dm, check_answered_dm
from bot.agreements.use_cases import (
    action_done,
    action_not_possible,
    answer_check,
    close_reminder_dms,
    more_time,
    save_note,
    send_escalations_now,
)
from bot.home.use_cases import render_home
from bot.kit.blocks import local_date, mention
from bot.kit.forms import form_text, form_values, required_text
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.kit.slack import update_message
from bot.kit.standin import may_answer_for
from storage.agreements import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    CheckAnswer,
    agreement_by_id,
)
from storage.bodemeis_checks import check_for, check_was_sent
from storage.cases import STEERING_ROLES
from storage.models import Role, row_id

# ----- which agreement a button is about -----


async def _target(turn: CaseTurn, kind: AgreementKind) -> tuple[Agreement, date]:
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
        or agreement.case_id != turn.case_id
        or agreement.kind != kind
        or not sent
    ):
        raise Declined("errors.forged")
    expected = agreement.recipient if kind is AgreementKind.ACTION else agreement.monitor_user_id
    steering = Role(turn.member.role) in STEERING_ROLES
    # A stand-in answers what reached them for someone away (issue 16).
    standing_in = expected is not None and await may_answer_for(
        turn.deps, user_id=turn.user_id, for_users=[expected]
    )
    if turn.user_id != expected and not steering and not standing_in:
        raise Declined(
            "agreements.not_yours" if kind is AgreementKind.ACTION else "checks.not_yours"
        )
    return agreement, parsed[1]


def _ref(turn: CaseTurn, agreement: Agreement, day: date) -> Ref:
    """What the DM's button carried: its modal carries the same."""
    return turn.ref or Ref(case_id=turn.case_id, choice=token(row_id(agreement), day))


async def _update_dm(turn: CaseTurn, blocks: list[dict[str, Any]], text: str) -> None:
    """Replace the clicked DM's buttons by the outcome, so a second click has nothing to hit."""
    container = turn.body.get("container") or {}
    if container.get("type") == "view":  # answered from the home tab: show it there
        await render_home(turn.deps, turn.client, turn.user_id)
        return
    ts, channel = container.get("message_ts"), container.get("channel_id") or turn.channel_id
    if not ts or not channel:
        return
    await update_message(
        turn.client, channel=channel, ts=ts, text=text, blocks=blocks, what="reminder DM"
    )


# ----- an action's reminder DM: gedaan, een week meer tijd, lukt niet -----


async def done(turn: CaseTurn) -> Followup:
    agreement, due = await _target(turn, AgreementKind.ACTION)
    rows = await action_done(turn.deps, agreement=agreement, due=due, actor=turn.user_id)

    async def answered() -> None:
        text = turn.t("agreements.done", by=mention(turn.user_id))
        await _update_dm(turn, answered_dm(text, what=agreement.text), text)
        await turn.show(rows)

    return answered


async def later_due(turn: CaseTurn) -> Followup:
    agreement, due = await _target(turn, AgreementKind.ACTION)
    steering = Role(turn.member.role) in STEERING_ROLES  # a regisseur's click is consent
    new_due, rows = await more_time(
        turn.deps, agreement=agreement, due=due, actor=turn.user_id, consent=steering
    )

    async def answered() -> None:
        text = turn.t("agreements.moved", due=local_date(turn.lang, new_due))
        await _update_dm(turn, answered_dm(text, what=agreement.text), text)
        await turn.show(rows)

    return answered


async def open_not_possible_form(turn: CaseTurn) -> Followup:
    agreement, due = await _target(turn, AgreementKind.ACTION)
    if agreement.status != AgreementStatus.OPEN or agreement.due_date != due:
        raise Declined("agreements.stale_action")

    async def open_form() -> None:
        ref = _ref(turn, agreement, due)
        view = not_possible_modal(turn.lang, ref=ref, what=agreement.text or "")
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


validate_not_possible = required_text(Field.REASON)


async def save_not_possible(turn: CaseTurn) -> Followup:
    agreement, due = await _target(turn, AgreementKind.ACTION)
    closed = await action_not_possible(
        turn.deps,
        agreement=agreement,
        case=turn.case,
        due=due,
        reason=form_text(form_values(turn.view), Field.REASON),
        actor=turn.user_id,
    )

    async def answered() -> None:
        await turn.show(closed.rows)
        await close_reminder_dms(
            turn.deps, turn.client, agreement=agreement, reminders=closed.reminders
        )

    return answered


# ----- a bodemeis check DM: nageleefd, niet nageleefd, onbekend (+ a note) -----


async def _answer(turn: CaseTurn, answer: CheckAnswer) -> Followup:
    agreement, occurrence = await _target(turn, AgreementKind.BODEMEIS)
    action = (turn.body.get("actions") or [{}])[0]
    earlier, rows = await answer_check(
        turn.deps,
        agreement=agreement,
        occurrence=occurrence,
        answer=answer,
        actor=turn.user_id,
        action_ts=str(action.get("action_ts") or "")[:32] or None,
        channel_id=turn.case.channel_id,
    )
    if earlier is not None:
        return later(_already_answered, turn, earlier)

    async def answered() -> None:
        blocks = check_answered_dm(
            turn.lang,
            text=agreement.text or "",
            occurrence=occurrence,
            answer=answer,
            ref=Ref(case_id=agreement.case_id, choice=token(row_id(agreement), occurrence)),
        )
        await _update_dm(turn, blocks, turn.t(f"checks.answer_{answer.value}"))
        await turn.show(rows)
        if answer is CheckAnswer.NOT_MET:
            await send_escalations_now(turn.deps)

    return answered


async def _already_answered(turn: CaseTurn, earlier: str) -> None:
    answer = turn.t(f"checks.answer_{earlier}")
    await turn.tell(turn.t("checks.already", answer=answer))


async def check_met(turn: CaseTurn) -> Followup:
    return await _answer(turn, CheckAnswer.MET)


async def check_not_met(turn: CaseTurn) -> Followup:
    return await _answer(turn, CheckAnswer.NOT_MET)


async def check_unknown(turn: CaseTurn) -> Followup:
    return await _answer(turn, CheckAnswer.UNKNOWN)


async def open_note_form(turn: CaseTurn) -> Followup:
    agreement, occurrence = await _target(turn, AgreementKind.BODEMEIS)
    async with turn.deps.db.session() as session:
        check = await check_for(
            session, agreement_id=row_id(agreement), occurrence=occurrence.isoformat()
        )
    if check is None or check.answered_by != turn.user_id:
        raise Declined("checks.stale")

    async def open_form() -> None:
        ref = _ref(turn, agreement, occurrence)
        view = note_modal(turn.lang, ref=ref, text=agreement.text or "")
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


validate_note = required_text(Field.NOTE)


async def save_check_note(turn: CaseTurn) -> Followup:
    agreement, occurrence = await _target(turn, AgreementKind.BODEMEIS)
    await save_note(
        turn.deps,
        agreement=agreement,
        occurrence=occurrence,
        note=form_text(form_values(turn.view), Field.NOTE),
        by=turn.user_id,
    )

    async def saved() -> None:
        await turn.tell(turn.t("checks.note_saved", date=local_date(turn.lang, occurrence)))

    return saved
