"""The private answer to `/casus help`."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.i18n import t


def help_blocks(lang: str) -> list[dict[str, Any]]:
    blocks = [
        HeaderBlock(text=t(lang, "help.title")),
        SectionBlock(text=MarkdownTextObject(text=t(lang, "help.intro"))),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{t(lang, 'help.commands_title')}*\n{t(lang, 'help.commands')}"
            )
        ),
        ContextBlock(elements=[MarkdownTextObject(text=t(lang, "help.privacy"))]),
    ]
    return [block.to_dict() for block in blocks]
