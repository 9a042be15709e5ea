"""What a bot may see: the channel and message look-ups every method shares."""

from __future__ import annotations

import base64
from typing import Any

from ..web_api import CHANNEL_SCOPES, ApiError, Call
from ..workspace import Channel, User


def channel_for_bot(call: Call, key: Any, *, member: bool = True,
                    user_means_dm: bool = False) -> Channel:
    """The channel `key` names, as the bot sees it.

    Private channels and DMs the bot is not in don't exist for it (channel_not_found); public
    channels it is not in can be read about but not posted to (not_in_channel).
    """
    ws, bot = call.sb.ws, call.app.bot_user_id
    if not key:
        raise ApiError("channel_not_found")
    key = str(key)
    if user_means_dm and key[:1] in ("U", "W") and key in ws.users:
        return ws.dm(key, bot)
    channel = ws.find_channel(key)
    if channel is None:
        raise ApiError("channel_not_found")
    if call.method in CHANNEL_SCOPES:
        public, private, dm = CHANNEL_SCOPES[call.method]
        call.need_scope(dm if channel.is_im else private if channel.is_private else public)
    if bot not in channel.members:
        if channel.is_private or channel.is_im:
            raise ApiError("channel_not_found")
        if member:
            raise ApiError("not_in_channel")
    return channel


def user_arg(call: Call, name: str = "user") -> User:
    key = call.get(name)
    if not key:
        raise ApiError.invalid_arguments(f"missing required field: {name}")
    user = call.sb.ws.users.get(str(key))
    if user is None:
        raise ApiError("user_not_found")
    return user


def page(call: Call, items: list[Any],
         default_limit: int = 100) -> tuple[list[Any], dict[str, Any]]:
    """Cursor pagination like Slack's: an opaque next_cursor, empty on the last page."""
    try:
        limit = int(call.get("limit", default_limit)) or default_limit
        cursor = call.get("cursor")
        start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc
    chunk = items[start:start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
    return chunk, {"response_metadata": {"next_cursor": next_cursor}, "has_more": more}
