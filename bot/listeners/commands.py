"""`/casus <subcommand>`: one slash command, dispatched on its first word."""

from __future__ import annotations

from bot.access import Access
from bot.blocks.help import help_blocks
from bot.listeners import cases, meetings, reports, timeline, votes
from bot.listeners.wiring import guarded
from bot.runtime import Handler, Turn


async def show_help(turn: Turn) -> None:
    await answer_privately(turn, turn.t("help.title"), blocks=help_blocks(turn.lang))


# Each subcommand with the access it needs; the guard (bot.access) enforces it.
SUBCOMMANDS: dict[str, tuple[Handler, Access]] = {
    "help": (show_help, Access.ANYONE),
    "hulp": (show_help, Access.ANYONE),
    "nieuw": (cases.open_new_case, Access.ANYONE),
    "new": (cases.open_new_case, Access.ANYONE),
    "overleg": (meetings.open_plan_form, Access.STEER),
    "plan": (meetings.open_plan_form, Access.STEER),
    "start": (meetings.start, Access.STEER),
    "trend": (votes.post_trend, Access.READ),
    "verslag": (reports.post_report, Access.READ),
    "tijdlijn": (timeline.post_timeline, Access.READ),
    "timeline": (timeline.post_timeline, Access.READ),
    "report": (reports.post_report, Access.READ),
}


def subcommand(text: str | None) -> tuple[str, str]:
    """Split '/casus nieuw ZVH-1' into ('nieuw', 'ZVH-1'); an empty command means help."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return "help", ""
    return words[0].lower(), (words[1] if len(words) > 1 else "")


async def casus_command(turn: Turn) -> None:
    name, _rest = subcommand(turn.body.get("text"))
    entry = SUBCOMMANDS.get(name)
    if entry is None:
        await answer_privately(turn, turn.t("errors.unknown_command", command=f"/casus {name}"))
        return
    handler, access = entry
    await guarded(handler, access, turn)


async def answer_privately(turn: Turn, text: str, *, blocks: list | None = None) -> None:
    """Slash-command answers go through response_url: it works even where the bot is no member."""
    if turn.respond is not None:
        await turn.respond(text=text, blocks=blocks, response_type="ephemeral")
    else:
        await turn.tell(text, blocks=blocks)
