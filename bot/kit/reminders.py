"""What a reminder sender is (DESIGN §5): the features write senders, bot/surface.py lists them
per kind, and the poller (bot/poller.py) calls them for due reminders.

A sender first checks that its cause still holds — a meeting started, an action finished, a
case closed makes the reminder obsolete — and never holds a transaction while Slack is called.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from storage.reminders import Reminder

log = logging.getLogger("casusbot.reminders")

Sender = Callable[[Deps, AsyncWebClient, Reminder], Awaitable[str | None]]
"""Posts one reminder; returns the message ts (None: handled without posting anything)."""

METADATA_EVENT_TYPE = "casusbot_reminder"


class Obsolete(Exception):
    """Raised by a sender when its reminder no longer applies (the meeting was cancelled)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PermanentFailure(Exception):
    """Raised by a sender for a failure no retry can fix; `code` is stored, never content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def reminder_metadata(reminder: Reminder) -> dict[str, Any]:
    """Message metadata that ties a posted reminder back to its row (for buttons, audits)."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"reminder_id": reminder.id}}


# How far back a look for an earlier post goes: the reminder's creation (less clock skew),
# a few pages of the DM or channel.
LOOKUP_PAGE_SIZE = 100
LOOKUP_MAX_PAGES = 5
CLOCK_MARGIN = timedelta(seconds=60)


def carries_reminder(message: Mapping[str, Any], reminder_id: int) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == METADATA_EVENT_TYPE
        and payload.get("reminder_id") == reminder_id
    )


async def find_earlier_post(
    client: AsyncWebClient, reminder: Reminder, stand_in: str | None = None
) -> str | None:
    """The ts of this reminder's message if an earlier try posted it (the process died, or
    Slack's answer was lost, before it was marked sent); None when there is none."""
    if reminder.id is None:
        return None
    if reminder.user_id:
        channels = [await open_dm(client, reminder.user_id)]
        # It may have gone to a stand-in (bot.kit.standin): look in their DM too.
        if stand_in is not None and stand_in != reminder.user_id:
            channels.append(await open_dm(client, stand_in))
    elif reminder.channel_id:
        channels = [reminder.channel_id]
    else:
        return None
    for channel in channels:
        found = await _find_in(client, reminder, channel)
        if found is not None:
            return found
    return None


async def _find_in(client: AsyncWebClient, reminder: Reminder, channel: str) -> str | None:
    if reminder.id is None:
        return None
    oldest = f"{(reminder.created_at - CLOCK_MARGIN).timestamp():.6f}"
    cursor: str | None = None
    for _ in range(LOOKUP_MAX_PAGES):
        response = await client.conversations_history(
            channel=channel,
            oldest=oldest,
            limit=LOOKUP_PAGE_SIZE,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in response.get("messages") or []:
            if carries_reminder(message, reminder.id):
                return str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    log.warning("reminder %d: no earlier post in %d pages", reminder.id, LOOKUP_MAX_PAGES)
    return None
