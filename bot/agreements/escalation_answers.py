"""An escalation's buttons (issue 16): "Ik pak dit op" (any participant; the first click owns
it) and "Afhandelen" (the owner or a regisseur records what was done, with a note). The button
carries the escalation's id, checked against the case the guard found.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)

from bot.agreements.dms import answered_dm
from bot.agreements.escalation_cases import (
    Outcome,
    escalation_of_case,
    pick_up_escalation,
    resolve_escalation,
)
from bot.kit.blocks import md, mention, modal
from bot.kit.forms import bsn_errors, form_text, form_values
from bot.kit.i18n import t
from bot.kit.ids import Field, ViewId
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.kit.slack import update_message
from storage.cases import STEERING_ROLES
from storage.escalations import Escalation, Resolution
from storage.models import Role

NOTE_MAX = 2000


def _escalation_id(turn: CaseTurn) -> int:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        raise Declined("errors.forged")
    return int(choice)


def _gone(turn: CaseTurn, escalation: Escalation) -> str:
    if escalation.resolved_at is not None:
        return turn.t("escalations.already_resolved")
    if escalation.owner_user_id == turn.user_id:
        return turn.t("escalations.yours_already")
    return turn.t("escalations.already_picked", owner=mention(escalation.owner_user_id or "?"))


async def pick_up(turn: CaseTurn) -> Followup:
    outcome = await pick_up_escalation(
        turn.deps, case=turn.case, escalation_id=_escalation_id(turn), user_id=turn.user_id
    )
    if not outcome.changed:
        return later(turn.tell, _gone(turn, outcome.escalation))
    return later(_picked, turn, outcome)


async def _picked(turn: CaseTurn, outcome: Outcome) -> None:
    await turn.show(outcome.rows)
    text = turn.t("escalations.you_picked", code=turn.case.code)
    container = turn.body.get("container") or {}
    channel = container.get("channel_id")
    if container.get("type") == "message" and channel and channel.startswith("D"):
        # Picked up from the "nobody picked this up" DM: that DM says so now.
        await update_message(
            turn.client,
            channel=channel,
            ts=str(container.get("message_ts") or ""),
            text=text,
            blocks=answered_dm(text),
            what="pick-up DM",
        )
    else:
        await turn.tell(text)


def _may_resolve(turn: CaseTurn, escalation: Escalation) -> bool:
    steering = Role(turn.member.role) in STEERING_ROLES
    return steering or escalation.owner_user_id in (None, turn.user_id)


async def open_resolve_form(turn: CaseTurn) -> Followup:
    escalation_id = _escalation_id(turn)
    escalation = await escalation_of_case(turn.deps, case=turn.case, escalation_id=escalation_id)
    if escalation.resolved_at is not None:
        raise Declined("escalations.already_resolved")
    if not _may_resolve(turn, escalation):
        raise Declined("escalations.not_yours")

    async def open_form() -> None:
        ref = Ref(case_id=turn.case_id, choice=str(escalation_id))
        await turn.client.views_open(trigger_id=turn.trigger_id, view=resolve_modal(turn.lang, ref))

    return open_form


def resolve_modal(lang: str, ref: Ref) -> dict[str, Any]:
    options = [
        Option(value=r.value, text=t(lang, f"escalations.resolution_{r.value}")) for r in Resolution
    ]
    blocks: list[Block] = [
        SectionBlock(text=md(t(lang, "escalations.resolve_intro"))),
        InputBlock(
            block_id=Field.RESOLUTION,
            label=t(lang, "escalations.resolution"),
            element=RadioButtonsElement(action_id=Field.RESOLUTION, options=options),
        ),
        InputBlock(
            block_id=Field.NOTE,
            label=t(lang, "escalations.note"),
            hint=t(lang, "agreements.text_hint"),
            element=PlainTextInputElement(
                action_id=Field.NOTE, multiline=True, max_length=NOTE_MAX
            ),
        ),
    ]
    texts = ("escalations.resolve_title", "agreements.save", "agreements.cancel")
    return modal(lang, ViewId.ESCALATION_RESOLVE, texts, ref=ref, blocks=blocks)


async def validate_resolve(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    errors = bsn_errors(turn.lang, values, Field.NOTE)
    if not form_text(values, Field.NOTE):
        errors[Field.NOTE] = turn.t("case_form.required")
    if values.get(Field.RESOLUTION) not in {r.value for r in Resolution}:
        errors[Field.RESOLUTION] = turn.t("escalations.choose")
    return errors or None


async def save_resolve(turn: CaseTurn) -> Followup:
    escalation_id = _escalation_id(turn)
    escalation = await escalation_of_case(turn.deps, case=turn.case, escalation_id=escalation_id)
    if not _may_resolve(turn, escalation):
        raise Declined("escalations.not_yours")
    values = form_values(turn.view)
    outcome = await resolve_escalation(
        turn.deps,
        case=turn.case,
        escalation_id=escalation_id,
        user_id=turn.user_id,
        resolution=Resolution(str(values.get(Field.RESOLUTION))),
        note=form_text(values, Field.NOTE),
    )
    if not outcome.changed:
        return later(turn.tell, turn.t("escalations.already_resolved"))

    async def shown() -> None:
        await turn.show(outcome.rows)
        await turn.tell(turn.t("escalations.resolved_you", code=turn.case.code))

    return shown
