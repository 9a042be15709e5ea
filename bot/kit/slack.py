"""The Slack port helpers every feature uses: open a DM, tell a user privately, read names,
update a message where a failure must not stop the work, name a Slack error safely, and read
an upload's file id."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("casusbot")

ERROR_CODE_MAX = 40


def error_code(error: SlackApiError) -> str:
    """Slack's error code, safe to store and log: its codes are short snake_case, anything
    else becomes 'slack_error'."""
    response = error.response
    # A 5xx answer may carry an HTML page, not JSON: then there is no code to read.
    data = getattr(response, "data", response)
    code = str((data.get("error") if isinstance(data, dict) else None) or "slack_error")
    fits = code.replace("_", "").isalnum() and len(code) <= ERROR_CODE_MAX
    return code if fits else "slack_error"


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    """The channel id of the bot's DM with `user_id` (opened if need be)."""
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


async def tell_user(
    client: AsyncWebClient,
    user_id: str | None,
    channel_id: str | None,
    text: str,
    *,
    blocks: Sequence[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> None:
    """A private answer: ephemeral in the channel the user acted in (in the thread they acted
    in, when `thread_ts` names one), else (or when the bot is not in that channel) as a DM."""
    if not user_id:
        return
    if channel_id and not channel_id.startswith("D"):
        try:
            await client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, blocks=blocks, thread_ts=thread_ts
            )
            return
        except SlackApiError as error:
            # Not a member of that channel (or it is gone): fall back to a DM.
            log.info("ephemeral to %s in %s failed: %s", user_id, channel_id, error_code(error))
    await client.chat_postMessage(channel=await open_dm(client, user_id), text=text, blocks=blocks)


async def update_message(
    client: AsyncWebClient,
    *,
    channel: str,
    ts: str,
    text: str,
    blocks: Sequence[dict[str, Any]],
    what: str,
) -> bool:
    """Redraw a message whose loss does not stop the work (someone may have deleted it);
    a refusal is logged with `what` it was, and False returned."""
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not update %s: %s", what, error_code(error))
        return False
    return True


async def display_names(client: AsyncWebClient, users: Iterable[str]) -> dict[str, str]:
    """Each user's real name (else their handle, else their id), one users.info per user."""
    names: dict[str, str] = {}
    for user in dict.fromkeys(users):
        try:
            profile = (await client.users_info(user=user))["user"]
            names[user] = profile.get("real_name") or profile.get("name") or user
        except SlackApiError:
            names[user] = user
    return names


async def permalink(client: AsyncWebClient, channel: str | None, ts: str | None) -> str | None:
    """A link to a message (a meeting's thread), or None when Slack cannot give one."""
    if not channel or not ts:
        return None
    try:
        return str((await client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
    except SlackApiError as error:
        log.info("no permalink for %s in %s: %s", ts, channel, error_code(error))
        return None


def uploaded_id(response: Any) -> str:
    """The id of the (first) file a files_upload_v2 call uploaded."""
    files = response.get("files") or [response.get("file") or {}]
    file_id = (files[0] or {}).get("id")
    if not file_id:
        raise ValueError("Slack answered an upload without a file")
    return str(file_id)
