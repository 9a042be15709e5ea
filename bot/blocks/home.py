"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.i18n import t


def welcome_home(lang: str) -> dict[str, Any]:
    view = View(
        type="home",
        callback_id="home",
        blocks=[
            HeaderBlock(text=t(lang, "home.welcome_title")),
            SectionBlock(text=MarkdownTextObject(text=t(lang, "home.welcome"))),
            SectionBlock(text=MarkdownTextObject(text=t(lang, "home.how"))),
        ],
    )
    return view.to_dict()
