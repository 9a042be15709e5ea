"""The case's private channel: whether a channel may hold a case, and who is in it.

Case content lives only in private channels the bot is in (DESIGN §6).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.slack import error_code

log = logging.getLogger("casusbot")


class Privacy(StrEnum):
    PRIVATE = "private"  # and the bot is in it
    PUBLIC = "public"
    DM = "dm"
    UNKNOWN = "unknown"  # not visible to the bot


async def channel_privacy(client: AsyncWebClient, channel_id: str | None) -> Privacy:
    if not channel_id:
        return Privacy.UNKNOWN
    if channel_id.startswith("D"):
        return Privacy.DM
    try:
        info = (await client.conversations_info(channel=channel_id))["channel"]
    except SlackApiError:
        return Privacy.UNKNOWN
    if info.get("is_im") or info.get("is_mpim"):
        return Privacy.DM
    if not info.get("is_private"):
        return Privacy.PUBLIC
    return Privacy.PRIVATE if info.get("is_member", True) else Privacy.UNKNOWN


async def invite(client: AsyncWebClient, channel_id: str, users: Iterable[str]) -> None:
    """Invite whoever is not in the channel yet; Slack refuses the whole call for one member."""
    try:
        present = set((await client.conversations_members(channel=channel_id))["members"])
    except SlackApiError:
        present = set()
    missing = [u for u in dict.fromkeys(users) if u and u not in present]
    if missing:
        try:
            await client.conversations_invite(channel=channel_id, users=",".join(missing))
        except SlackApiError as error:
            log.warning("inviting case participants failed: %s", error_code(error))
