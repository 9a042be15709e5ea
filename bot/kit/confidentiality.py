"""The confidentiality statement a guest confirms before anything else (DESIGN §6).

In the kit because the guard's refusal of an unconfirmed guest shows it (bot.kit.wiring), as
does the DM a new guest gets (bot.cases). The statement is the region's own text when
CASUSBOT_CONFIDENTIALITY_FILE is set (one text, whatever the reader's language), else the
catalogue's default in the reader's language.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, SectionBlock

from bot.config import Settings
from bot.kit.blocks import SECTION_TEXT_LIMIT, button, dicts, md
from bot.kit.i18n import t
from bot.kit.ids import ActionId
from bot.kit.payloads import Ref


def statement(settings: Settings, lang: str) -> str:
    if settings.confidentiality_file is not None:
        return settings.confidentiality_file.read_text(encoding="utf-8").strip()
    return t(lang, "confidentiality.statement")


def confirm_blocks(
    settings: Settings, lang: str, *, case_id: int, code: str
) -> list[dict[str, Any]]:
    return dicts(
        [
            SectionBlock(text=md(t(lang, "confidentiality.intro", code=code))),
            SectionBlock(text=md(statement(settings, lang)[:SECTION_TEXT_LIMIT])),
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "confidentiality.confirm"),
                        ActionId.CONFIRM_CONFIDENTIALITY,
                        Ref(case_id=case_id),
                        style="primary",
                    ),
                    # Declining leaves the guest out of the case (issue 18): never invited.
                    button(
                        t(lang, "guests.decline"),
                        ActionId.CONFIDENTIALITY_DECLINE,
                        Ref(case_id=case_id),
                    ),
                ]
            ),
        ]
    )
