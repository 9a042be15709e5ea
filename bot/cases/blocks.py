"""The case's Block Kit: the registration modal and the message that a case was registered.
Pure functions of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    UserMultiSelectElement,
    UserSelectElement,
)

from bot.kit.blocks import context, modal, phase_select
from bot.kit.i18n import t
from bot.kit.ids import Field, ViewId
from bot.kit.payloads import Ref
from flows.model import Catalogue
from storage.models import Role

CHANNEL_HERE = "here"
CHANNEL_NEW = "new"


def new_case_modal(
    lang: str, catalogue: Catalogue, *, requester: str, origin: Ref, channel_usable: bool
) -> dict[str, Any]:
    """`channel_usable`: the command came from a private channel the bot is in."""
    channel_options = [Option(value=CHANNEL_NEW, text=t(lang, "case_form.channel_new"))]
    if channel_usable:
        channel_options.insert(
            0, Option(value=CHANNEL_HERE, text=t(lang, "case_form.channel_here"))
        )
    blocks: list[Block] = [
        InputBlock(
            block_id=Field.CODE,
            label=t(lang, "case_form.code"),
            hint=t(lang, "case_form.code_hint"),
            element=PlainTextInputElement(action_id=Field.CODE, max_length=32, min_length=3),
        ),
        InputBlock(
            block_id=Field.PHASE,
            label=t(lang, "case_form.phase"),
            element=phase_select(lang, catalogue, catalogue.phases[0].key, Field.PHASE),
        ),
        InputBlock(
            block_id=Field.PROCESREGISSEUR,
            label=t(lang, "roles.procesregisseur"),
            element=UserSelectElement(action_id=Field.PROCESREGISSEUR, initial_user=requester),
        ),
        InputBlock(
            block_id=Field.CASUSREGISSEUR,
            label=t(lang, "roles.casusregisseur"),
            element=UserSelectElement(action_id=Field.CASUSREGISSEUR),
        ),
        InputBlock(
            block_id=Field.PARTICIPANTS,
            label=t(lang, "case_form.participants"),
            hint=t(lang, "case_form.participants_hint"),
            optional=True,
            element=UserMultiSelectElement(action_id=Field.PARTICIPANTS),
        ),
        InputBlock(
            block_id=Field.GUESTS,
            label=t(lang, "case_form.guests"),
            hint=t(lang, "case_form.guests_hint"),
            optional=True,
            element=UserMultiSelectElement(action_id=Field.GUESTS),
        ),
        InputBlock(
            block_id=Field.REFERRING_PARTNER,
            label=t(lang, "membership.referring_partner"),
            hint=t(lang, "membership.referring_partner_hint"),
            optional=True,
            element=PlainTextInputElement(action_id=Field.REFERRING_PARTNER, max_length=80),
        ),
        InputBlock(
            block_id=Field.CHANNEL,
            label=t(lang, "case_form.channel"),
            element=RadioButtonsElement(
                action_id=Field.CHANNEL,
                options=channel_options,
                initial_option=channel_options[0],
            ),
        ),
        context(t(lang, "help.privacy")),
    ]
    texts = ("case_form.title", "case_form.submit", "case_form.cancel")
    return modal(lang, ViewId.NEW_CASE, texts, ref=origin, blocks=blocks)


def registered_text(
    lang: str,
    *,
    code: str,
    phase_title: str,
    members: Sequence[tuple[str, Role]],
    organisations: Mapping[str, str],
    referring_partner: str | None = None,
) -> str:
    """The channel's note that the case exists: its phase, who has which role, and the
    aanbrengende partner."""
    roles = "\n".join(
        f"• <@{user}> — {t(lang, f'roles.{role.value}')}"
        + (f" ({organisations[user]})" if organisations.get(user) else "")
        for user, role in members
    )
    text = t(lang, "case.registered", code=code, phase=phase_title, roles=roles)
    if referring_partner:
        text += "\n" + t(lang, "membership.referring_partner_line", partner=referring_partner)
    return text
