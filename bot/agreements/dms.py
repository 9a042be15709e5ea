"""Agreement reminders in Slack: the action-due and bodemeis-check DMs with their answer
buttons, and the escalation in the case channel. Pure functions of data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    SectionBlock,
)

from bot.kit.blocks import button, context, dicts, local_date, md, mention, split_text
from bot.kit.i18n import t
from bot.kit.ids import ActionId
from bot.kit.payloads import Ref
from storage.agreements import Agreement, CheckAnswer, Priority

# ----- reminders: an action's due date -----


def action_due_dm(
    lang: str, *, code: str, agreement: Agreement, ref: Ref, more_time: bool = True
) -> list[dict[str, Any]]:
    """`more_time`: "een week meer tijd" is offered (once per due date without a regisseur's
    consent, issue 16)."""
    if agreement.due_date is None:
        raise ValueError("an action-due DM needs the action's due date")
    values = {
        "code": code,
        "due": local_date(lang, agreement.due_date),
        "what": (agreement.text or "").strip(),
        "priority": t(lang, f"agreements.priority_{agreement.priority or Priority.NORMAL}"),
    }
    if agreement.owner_user_id:
        text = t(lang, "agreements.action_due", **values)
    else:
        text = t(
            lang,
            "agreements.action_due_org",
            organisation=agreement.owner_organisation or "—",
            **values,
        )
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text(text)]
    elements = [
        button(t(lang, "agreements.done_button"), ActionId.ACTION_DONE, ref, style="primary"),
        button(t(lang, "agreements.more_time_button"), ActionId.ACTION_MORE_TIME, ref),
        button(
            t(lang, "agreements.not_possible_button"),
            ActionId.ACTION_NOT_POSSIBLE,
            ref,
            style="danger",
        ),
    ]
    if not more_time:
        elements.pop(1)
    blocks += [
        context(t(lang, "agreements.action_question")),
        ActionsBlock(block_id="action_answer", elements=elements),
    ]
    if not more_time:
        blocks.append(context(t(lang, "postpone.used")))
    return dicts(blocks)


def answered_dm(text: str, *, what: str | None = None) -> list[dict[str, Any]]:
    """A reminder DM once it was answered: what it was about and the outcome, no buttons (a
    second click has nothing to click)."""
    body = f"*{what.strip()}*\n{text}" if what else text
    return dicts([SectionBlock(text=md(chunk)) for chunk in split_text(body)])


# ----- reminders: a bodemeis check -----


def check_dm(
    lang: str, *, code: str, text: str, occurrence: date, days: int, ref: Ref
) -> list[dict[str, Any]]:
    body = t(lang, "checks.dm", code=code, text=text.strip())
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text(body)]
    blocks += [
        context(t(lang, "checks.dm_context", date=local_date(lang, occurrence), days=days)),
        ActionsBlock(
            block_id="check_answer",
            elements=[
                button(t(lang, "checks.met"), ActionId.CHECK_MET, ref, style="primary"),
                button(t(lang, "checks.not_met"), ActionId.CHECK_NOT_MET, ref, style="danger"),
                button(t(lang, "checks.unknown"), ActionId.CHECK_UNKNOWN, ref),
            ],
        ),
    ]
    return dicts(blocks)


def check_answered_dm(
    lang: str, *, text: str, occurrence: date, answer: CheckAnswer, ref: Ref
) -> list[dict[str, Any]]:
    key = "checks.answered_not_met" if answer is CheckAnswer.NOT_MET else "checks.answered"
    body = t(
        lang,
        key,
        text=text.strip(),
        date=local_date(lang, occurrence),
        answer=t(lang, f"checks.answer_{answer.value}"),
    )
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text(body)]
    blocks.append(
        ActionsBlock(
            block_id="check_note",
            elements=[button(t(lang, "checks.note_button"), ActionId.CHECK_NOTE_OPEN, ref)],
        )
    )
    return dicts(blocks)


# ----- escalation in the case channel -----


@dataclass(frozen=True, slots=True)
class Escalation:
    code: str
    text: str  # the bodemeis
    occurrence: date
    answer: CheckAnswer  # NOT_MET or NO_ANSWER
    monitor: str | None
    lead: str | None  # the procesregisseur's user id
    plan: str | None  # the agreed escalation plan, if any
    days: int


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who picked an escalation up and what was done (issue 16): drawn on its post."""

    escalation_id: int
    owner: str | None = None
    resolution: str | None = None  # a storage.escalations.Resolution value
    resolved_by: str | None = None
    note: str | None = None


def escalation_head(lang: str, escalation: Escalation) -> str:
    key = (
        "escalation.not_met" if escalation.answer is CheckAnswer.NOT_MET else "escalation.no_answer"
    )
    return t(
        lang,
        key,
        code=escalation.code,
        lead=mention(escalation.lead) if escalation.lead else t(lang, "agreements.no_lead"),
        monitor=mention(escalation.monitor) if escalation.monitor else "—",
        date=local_date(lang, escalation.occurrence),
        days=escalation.days,
        text=escalation.text.strip(),
    )


def escalation_message(
    lang: str,
    escalation: Escalation,
    ref: Ref,
    *,
    owned: Ownership | None = None,
    emergency: str | None = None,
) -> list[dict[str, Any]]:
    return owned_escalation(
        lang,
        head=escalation_head(lang, escalation),
        plan=escalation.plan,
        ref=ref,
        owned=owned,
        emergency=emergency,
    )


def owned_escalation(
    lang: str,
    *,
    head: str,
    plan: str | None,
    ref: Ref,
    owned: Ownership | None = None,
    emergency: str | None = None,
) -> list[dict[str, Any]]:
    """An escalation post: what happened, the agreed plan, who picked it up (or the button to
    do so), what was done, and the emergency line."""
    if plan and plan.strip():
        plan_text = t(lang, "escalation.plan", plan=plan.strip())
    else:
        plan_text = t(lang, "escalation.no_plan")
    blocks: list[Block] = [
        *(SectionBlock(text=md(chunk)) for chunk in split_text(head)),
        *(SectionBlock(text=md(chunk)) for chunk in split_text(plan_text)),
    ]
    resolved = owned is not None and owned.resolution is not None
    if owned is not None:
        blocks += _ownership(lang, owned)
    if not resolved:
        elements = []
        if owned is not None and owned.owner is None:
            pick_ref = Ref(case_id=ref.case_id, choice=str(owned.escalation_id))
            elements.append(
                button(
                    t(lang, "escalations.pick_up"),
                    ActionId.ESCALATION_PICK_UP,
                    pick_ref,
                    style="primary",
                )
            )
        elements.append(
            button(
                t(lang, "escalation.plan_button"),
                ActionId.ESCALATION_PLAN_MEETING,
                ref,
                style="danger",
            )
        )
        if owned is not None:
            resolve_ref = Ref(case_id=ref.case_id, choice=str(owned.escalation_id))
            elements.append(
                button(
                    t(lang, "escalations.resolve"), ActionId.ESCALATION_RESOLVE_OPEN, resolve_ref
                )
            )
        blocks += [
            ActionsBlock(block_id="escalation", elements=elements),
            context(t(lang, "escalation.button_hint")),
        ]
    if emergency:
        blocks.append(context(f"🆘 *{emergency.strip()}*"))
    return dicts(blocks)


def _ownership(lang: str, owned: Ownership) -> list[Block]:
    if owned.resolution is not None:
        text = t(
            lang,
            "escalations.resolved_line",
            by=mention(owned.resolved_by) if owned.resolved_by else "—",
            resolution=t(lang, f"escalations.resolution_{owned.resolution}"),
        )
        if owned.note and owned.note.strip():
            text += "\n" + t(lang, "escalations.note_line", note=owned.note.strip())
    elif owned.owner is not None:
        text = t(lang, "escalations.owned_line", owner=mention(owned.owner))
    else:
        text = t(lang, "escalations.unowned_line")
    return [SectionBlock(text=md(chunk)) for chunk in split_text(text)]


def pickup_dm(
    lang: str,
    *,
    code: str,
    hours: int,
    again: bool,
    head: str,
    ref: Ref,
    emergency: str,
) -> list[dict[str, Any]]:
    """To a regisseur: an escalation nobody picked up (after `hours` working hours, or
    `again` at the end of the next working day), with the button to pick it up."""
    intro = t(
        lang,
        "escalations.pickup_again" if again else "escalations.pickup_dm",
        code=code,
        hours=hours,
    )
    blocks: list[Block] = [
        *(SectionBlock(text=md(chunk)) for chunk in split_text(intro)),
        *(SectionBlock(text=md(chunk)) for chunk in split_text(head)),
        ActionsBlock(
            block_id="escalation_pickup",
            elements=[
                button(
                    t(lang, "escalations.pick_up"),
                    ActionId.ESCALATION_PICK_UP,
                    ref,
                    style="primary",
                )
            ],
        ),
        context(f"🆘 *{emergency.strip()}*"),
    ]
    return dicts(blocks)


def channel_note(text: str) -> list[dict[str, Any]]:
    return dicts([SectionBlock(text=md(chunk)) for chunk in split_text(text)])
