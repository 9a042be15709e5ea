"""Finding a message an earlier try posted but never recorded (it crashed, or timed out).

Every post carries the row's key in its message metadata. The message can only be younger than
its row, so the look is bounded: from the row's creation (minus clock skew) and a few pages —
history for top-level messages and DMs, replies for a thread.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox.render import RenderContext, carries_key

log = logging.getLogger("casusbot.outbox")

PAGE_SIZE = 100
MAX_PAGES = 5
# Slack's clock and ours differ a little; the earlier post cannot predate its row by more.
CLOCK_MARGIN = timedelta(seconds=60)


async def find_earlier(client: AsyncWebClient, ctx: RenderContext) -> tuple[str, str] | None:
    """(ts, conversation id) of this row's earlier post, or None."""
    channel = ctx.channel_id
    if channel[:1] in ("U", "W"):  # a DM named by its user: history needs the DM's id
        opened = await client.conversations_open(users=channel)
        channel = str(opened["channel"]["id"])
    oldest = f"{(ctx.row.created_at - CLOCK_MARGIN).timestamp():.6f}"
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest,
            "limit": PAGE_SIZE,
            "include_all_metadata": True,
            "cursor": cursor,
        }
        if ctx.thread_ts:
            response = await client.conversations_replies(ts=ctx.thread_ts, **page)
        else:
            response = await client.conversations_history(**page)
        for message in response.get("messages") or []:
            if carries_key(message, ctx.key):
                return str(message["ts"]), channel
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    log.warning("outbox: row %d (%s): no earlier post in %d pages", ctx.id, ctx.key, MAX_PAGES)
    return None
