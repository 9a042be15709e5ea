"""What a reminder sender is (DESIGN §5): the features write senders, bot/surface.py lists them
per kind, and the poller (bot/poller.py) calls them for due reminders.

A sender first checks that its cause still holds — a meeting started, an action finished, a
case closed makes the reminder obsolete — and never holds a transaction while Slack is called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.runtime import Deps
from storage.reminders import Reminder

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
