"""The private answer to `/casus help`."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, SectionBlock

from bot.kit.blocks import context, dicts, md
from bot.kit.i18n import t


def help_blocks(lang: str) -> list[dict[str, Any]]:
    blocks: list[Block] = [
        HeaderBlock(text=t(lang, "help.title")),
        SectionBlock(text=md(t(lang, "help.intro"))),
        SectionBlock(text=md(f"*{t(lang, 'help.how_title')}*\n{t(lang, 'help.how')}")),
        DividerBlock(),
        SectionBlock(text=md(f"*{t(lang, 'help.commands_title')}*\n{t(lang, 'help.commands')}")),
        # Who is in a case, a safe close, absence (issue 16).
        SectionBlock(text=md(t(lang, "membership.help"))),
        context(t(lang, "help.privacy")),
    ]
    return dicts(blocks)
