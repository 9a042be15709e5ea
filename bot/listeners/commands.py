"""`/casus <subcommand>`: one slash command, dispatched on its first word."""

from __future__ import annotations

from bot.blocks.help import help_blocks
from bot.runtime import Handler, Turn


async def show_help(turn: Turn) -> None:
    await answer_privately(turn, turn.t("help.title"), blocks=help_blocks(turn.lang))


SUBCOMMANDS: dict[str, Handler] = {
    "help": show_help,
    "hulp": show_help,
}


def subcommand(text: str | None) -> tuple[str, str]:
    """Split '/casus nieuw ZVH-1' into ('nieuw', 'ZVH-1'); an empty command means help."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return "help", ""
    return words[0].lower(), (words[1] if len(words) > 1 else "")


async def casus_command(turn: Turn) -> None:
    name, _rest = subcommand(turn.body.get("text"))
    handler = SUBCOMMANDS.get(name)
    if handler is None:
        await answer_privately(turn, turn.t("errors.unknown_command", command=f"/casus {name}"))
        return
    await handler(turn)


async def answer_privately(turn: Turn, text: str, *, blocks: list | None = None) -> None:
    """Slash-command answers go through response_url: it works even where the bot is no member."""
    if turn.respond is not None:
        await turn.respond(text=text, blocks=blocks, response_type="ephemeral")
    else:
        await turn.tell(text, blocks=blocks)
