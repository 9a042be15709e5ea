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


def action_due_dm(lang: str, *, code: str, agreement: Agreement, ref: Ref) -> list[dict[str, Any]]:
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
    blocks += [
        context(t(lang, "agreements.action_question")),
        ActionsBlock(
            block_id="action_answer",
            elements=[
                button(
                    t(lang, "agreements.done_button"), ActionId.ACTION_DONE, ref, style="primary"
                ),
                button(t(lang, "agreements.more_time_button"), ActionId.ACTION_MORE_TIME, ref),
                button(
                    t(lang, "agreements.not_possible_button"),
                    ActionId.ACTION_NOT_POSSIBLE,
                    ref,
                    style="danger",
                ),
            ],
        ),
    ]
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


def escalation_message(lang: str, escalation: Escalation, ref: Ref) -> list[dict[str, Any]]:
    key = (
        "escalation.not_met" if escalation.answer is CheckAnswer.NOT_MET else "escalation.no_answer"
    )
    head = t(
        lang,
        key,
        code=escalation.code,
        lead=mention(escalation.lead) if escalation.lead else t(lang, "agreements.no_lead"),
        monitor=mention(escalation.monitor) if escalation.monitor else "—",
        date=local_date(lang, escalation.occurrence),
        days=escalation.days,
        text=escalation.text.strip(),
    )
    if escalation.plan and escalation.plan.strip():
        plan = t(lang, "escalation.plan", plan=escalation.plan.strip())
    else:
        plan = t(lang, "escalation.no_plan")
    blocks: list[Block] = [
        *(SectionBlock(text=md(chunk)) for chunk in split_text(head)),
        *(SectionBlock(text=md(chunk)) for chunk in split_text(plan)),
        ActionsBlock(
            block_id="escalation",
            elements=[
                button(
                    t(lang, "escalation.plan_button"),
                    ActionId.ESCALATION_PLAN_MEETING,
                    ref,
                    style="danger",
                )
            ],
        ),
        context(t(lang, "escalation.button_hint")),
    ]
    return dicts(blocks)


def channel_note(text: str) -> list[dict[str, Any]]:
    return dicts([SectionBlock(text=md(chunk)) for chunk in split_text(text)])
