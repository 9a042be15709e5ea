"""Every listener, registered in one place so the bot's surface fits on one screen."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.access import Access
from bot.ids import Command
from bot.listeners import commands, home
from bot.listeners.wiring import acked
from bot.runtime import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(Command.CASUS)(acked(deps, commands.casus_command, Access.ANYONE))
    app.event("app_home_opened")(acked(deps, home.publish_home, Access.ANYONE))
