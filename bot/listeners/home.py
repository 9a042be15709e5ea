"""The App Home tab: published whenever a user opens it."""

from __future__ import annotations

from bot.blocks.home import welcome_home
from bot.runtime import Turn


async def publish_home(turn: Turn) -> None:
    event = turn.body.get("event") or {}
    if event.get("tab") not in (None, "home"):
        return  # the Messages tab needs nothing from us
    await turn.client.views_publish(user_id=turn.user_id, view=welcome_home(turn.lang))
