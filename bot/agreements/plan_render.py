"""Drawing the veiligheidsplan (issue 16) from the database, after every change.

Where the workspace allows it, a channel canvas (conversations.canvases.create, then
canvases.edit with the whole document). Where Slack refuses channel canvases (a free team,
canvases switched off, later too, or a canvas someone already made in the channel), the plan
falls back — once per case, with a log line — to one pinned message updated in place. The
fallback is remembered in the object's payload (`"pinned": true`): the purge unpins it before
deleting, and every later render goes straight to the message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, SectionBlock

from bot.agreements.plan import plan_markdown
from bot.kit.blocks import context, dicts, md, split_text
from bot.kit.i18n import t
from bot.kit.objects import case_of
from bot.kit.runtime import Deps
from bot.kit.slack import error_code
from bot.outbox import RenderContext, Rendered, post_or_update
from storage.models import Case, row_id
from storage.slack_objects import want
from storage.types import utcnow

log = logging.getLogger("casusbot.veiligheidsplan")

# Slack's answers that mean "no channel canvas here": the plan becomes a pinned message.
NO_CANVASES = frozenset(
    {
        "team_tier_cannot_create_channel_canvases",
        "canvas_disabled_user_team",
        "free_team_canvas_tab_already_exists",
        "canvas_creation_failed",
        "channel_canvas_creation_failed",
        "channel_canvas_already_exists",
    }
)
ALREADY_PINNED = "already_pinned"
MAX_BLOCKS = 50


async def render_plan(deps: Deps, ctx: RenderContext) -> Rendered:
    case = await case_of(deps, ctx)
    markdown = await plan_markdown(deps, row_id(case))
    if ctx.payload.get("pinned") is not True:
        try:
            return await _canvas(deps, ctx, case, markdown)
        except SlackApiError as error:
            code = error_code(error)
            if code not in NO_CANVASES:
                raise
            log.warning(
                "veiligheidsplan of case %s: Slack refused a channel canvas (%s); it is a pinned"
                " message in the case channel from now on",
                case.code,
                code,
            )
            await _remember_pinned(deps, ctx, row_id(case))
    rendered = await post_or_update(
        ctx,
        text=t(deps.settings.language, "plan.title", code=case.code),
        blocks=pinned_blocks(deps.settings.language, markdown),
    )
    try:
        await ctx.client.pins_add(
            channel=rendered.channel_id or ctx.channel_id, timestamp=rendered.ts
        )
    except SlackApiError as error:
        if error_code(error) != ALREADY_PINNED:
            raise
    return rendered


async def _canvas(deps: Deps, ctx: RenderContext, case: Case, markdown: str) -> Rendered:
    """Create the channel canvas, or replace its whole content."""
    if ctx.canvas_id is not None:
        await ctx.client.canvases_edit(
            canvas_id=ctx.canvas_id,
            changes=[{"operation": "replace", "document_content": _content(markdown)}],
        )
        return Rendered(canvas_id=ctx.canvas_id)
    response = await ctx.client.conversations_canvases_create(
        channel_id=ctx.channel_id,
        title=t(deps.settings.language, "plan.title", code=case.code),
        document_content=_content(markdown),
    )
    return Rendered(canvas_id=str(response["canvas_id"]))


async def _remember_pinned(deps: Deps, ctx: RenderContext, case_id: int) -> None:
    """Committed before the message is posted: the purge must know to unpin it."""
    async with deps.db.session() as session:
        await want(
            session,
            key=ctx.key,
            kind=ctx.row.kind,
            case_id=case_id,
            channel_id=ctx.row.channel_id,
            payload={"case": case_id, "pinned": True},
            now=utcnow(),
        )


def _content(markdown: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": markdown}


# ----- the pinned fallback: the same document in Slack's mrkdwn -----

_TOKEN = re.compile(r"\\(.)|\*\*|!\[\]\(@([UW][A-Z0-9]+)\)|(.)", re.DOTALL)
_HEADING = re.compile(r"^#{1,6} (.*)$")


def _escape(char: str) -> str:
    return char.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_line(line: str) -> str:
    """One canvas Markdown line in Slack's mrkdwn: **bold** → *bold*, a canvas mention → a
    message mention, Markdown escapes undone, and &, <, > escaped as Slack wants."""
    heading = _HEADING.match(line)
    if heading:
        line = f"**{heading[1]}**"
    if line.startswith("- "):
        line = "• " + line[2:]
    out = []
    for match in _TOKEN.finditer(line):
        literal, user, other = match.group(1), match.group(2), match.group(3)
        if literal is not None:
            out.append(_escape(literal))
        elif user is not None:
            out.append(f"<@{user}>")
        elif other is not None:
            out.append(_escape(other))
        else:
            out.append("*")
    return "".join(out)


def mrkdwn(markdown: str) -> str:
    return "\n".join(mrkdwn_line(line) for line in markdown.splitlines())


def pinned_blocks(lang: str, markdown: str) -> list[dict[str, Any]]:
    """The document as one message's blocks (what is past Slack's 50 blocks is in the export
    and the report; the message says so)."""
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text(mrkdwn(markdown))]
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], context(t(lang, "plan.cut"))]
    return dicts(blocks)
