"""Guests confirm the confidentiality statement before they may see or add anything.

The statement is the region's own text when CASUSBOT_CONFIDENTIALITY_FILE is set (one text,
whatever the reader's language), else the catalogue's default in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ContextBlock, MarkdownTextObject, SectionBlock

from bot.blocks.common import button, dicts
from bot.config import Settings
from bot.i18n import t
from bot.ids import ActionId
from bot.payloads import Ref
from bot.runtime import Turn
from storage import audit
from storage.cases import case_by_id, participant
from storage.models import Role
from storage.types import utcnow

log = logging.getLogger("casusbot")


def statement(settings: Settings, lang: str) -> str:
    if settings.confidentiality_file is not None:
        return settings.confidentiality_file.read_text(encoding="utf-8").strip()
    return t(lang, "confidentiality.statement")


def confirm_blocks(
    settings: Settings, lang: str, *, case_id: int, code: str
) -> list[dict[str, Any]]:
    return dicts(
        [
            SectionBlock(text=MarkdownTextObject(text=t(lang, "confidentiality.intro", code=code))),
            SectionBlock(text=MarkdownTextObject(text=statement(settings, lang)[:3000])),
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "confidentiality.confirm"),
                        ActionId.CONFIRM_CONFIDENTIALITY,
                        Ref(case_id=case_id),
                        style="primary",
                    )
                ]
            ),
        ]
    )


async def ask_guest(turn: Turn, *, user_id: str, case_id: int, code: str) -> None:
    """DM a guest the statement with a confirm button."""
    lang = await turn.deps.users.language(turn.client, user_id)
    try:
        opened = await turn.client.conversations_open(users=user_id)
        await turn.client.chat_postMessage(
            channel=opened["channel"]["id"],
            text=t(lang, "confidentiality.intro", code=code),
            blocks=confirm_blocks(turn.deps.settings, lang, case_id=case_id, code=code),
        )
    except SlackApiError as error:
        log.warning("could not send the confidentiality statement: %s", error.response.get("error"))


async def confirm(turn: Turn) -> None:
    """The guest's click: record when they confirmed (once), and say so where they clicked."""
    ref = turn.ref
    if ref is None or ref.case_id is None:
        await turn.tell(turn.t("errors.forged"))
        return
    async with turn.deps.db.session() as session:
        case = await case_by_id(session, case_id=ref.case_id)
        member = await participant(session, case_id=ref.case_id, user_id=turn.user_id or "")
        if case is None or member is None:
            refused = True
        else:
            refused = False
            if member.role == Role.GAST and member.confidentiality_confirmed_at is None:
                member.confidentiality_confirmed_at = utcnow()
                session.add(member)
                await audit.record(
                    session,
                    actor=turn.user_id or "?",
                    action="confidentiality_confirmed",
                    case_id=ref.case_id,
                )
    if refused:
        # Not a case of theirs: say only that the request is not valid, name no case.
        await turn.tell(turn.t("errors.forged"))
        return
    container = turn.body.get("container") or {}
    done = dicts([ContextBlock(elements=[MarkdownTextObject(text=turn.t("confidentiality.done"))])])
    if (
        container.get("channel_id")
        and container.get("message_ts")
        and not container.get("is_ephemeral")
    ):
        await turn.client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=turn.t("confidentiality.done"),
            blocks=done,
        )
    else:
        await turn.tell(turn.t("confidentiality.done"))
