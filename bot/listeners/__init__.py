"""Every listener, registered in one place so the bot's surface fits on one screen."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.ids import Command
from bot.listeners import commands, home
from bot.runtime import Deps, acked


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(Command.CASUS)(acked(deps, commands.casus_command))
    app.event("app_home_opened")(acked(deps, home.publish_home))
