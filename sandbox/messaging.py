"""Posting, editing and deleting messages — shared by the Web API, response_url and test users,
so a message looks and behaves the same whoever wrote it, and always raises the same events."""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from . import events
from .elements import rich_text
from .workspace import App, Channel, Ephemeral, User

if TYPE_CHECKING:
    from .sandbox import Sandbox


def bot_profile(sb: Sandbox, app: App) -> dict[str, Any]:
    return {"id": app.bot_id, "app_id": app.app_id, "name": app.name, "deleted": False,
            "team_id": sb.ws.team_id, "icons": {}}


def bot_message(sb: Sandbox, app: App, fields: dict[str, Any]) -> dict[str, Any]:
    """A message as Slack stores one posted with a bot token."""
    message: dict[str, Any] = {
        "type": "message", "user": app.bot_user_id, "bot_id": app.bot_id, "app_id": app.app_id,
        "text": fields.get("text") or "", "ts": sb.ws.new_ts(), "team": sb.ws.team_id,
        "bot_profile": bot_profile(sb, app),
    }
    for key in ("blocks", "attachments", "metadata", "thread_ts", "files", "upload"):
        if fields.get(key) is not None:
            message[key] = fields[key]
    return message


def user_message(sb: Sandbox, user: User, text: str, *, thread_ts: str | None = None,
                 blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A message as a person typing in the Slack client produces it (with rich_text blocks)."""
    message: dict[str, Any] = {
        "type": "message", "user": user.id, "text": text, "ts": sb.ws.new_ts(),
        "team": sb.ws.team_id, "client_msg_id": str(uuid.uuid4()),
        "blocks": blocks or [{**rich_text(text), "block_id": uuid.uuid4().hex[:5]}],
    }
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message


def thread_root(channel: Channel, thread_ts: str) -> str | None:
    """Replies to a reply land in the parent's thread, as in Slack."""
    parent = channel.messages.get(thread_ts)
    if parent is None:
        return None
    return parent.get("thread_ts") or thread_ts


def post(sb: Sandbox, channel: Channel, message: dict[str, Any],
         broadcast: bool = False) -> dict[str, Any]:
    if broadcast and message.get("thread_ts"):
        message["subtype"] = "thread_broadcast"
    sb.ws.add_message(channel, message)
    events.message_posted(sb, channel, message)
    return message


def update(sb: Sandbox, channel: Channel, ts: str, changes: dict[str, Any],
           editor: str) -> dict[str, Any]:
    old = channel.messages[ts]
    new = copy.deepcopy(old)
    for key, value in changes.items():
        if value is None:
            continue
        if key == "blocks" and value == []:
            new.pop("blocks", None)  # an empty list is how apps remove blocks
        else:
            new[key] = value
    new["edited"] = {"user": editor, "ts": sb.ws.new_ts()}
    channel.messages[ts] = new
    events.message_changed(sb, channel, old, new)
    return new


def delete(sb: Sandbox, channel: Channel, ts: str) -> dict[str, Any]:
    old = sb.ws.remove_message(channel, ts)
    events.message_deleted(sb, channel, old)
    return old


def post_ephemeral(sb: Sandbox, app: App, channel: Channel, user_id: str,
                   fields: dict[str, Any]) -> dict[str, Any]:
    """Only `user_id` sees it; it is never stored in the channel and raises no events."""
    message = bot_message(sb, app, fields)
    message.pop("metadata", None)
    message.update(channel=channel.id, is_ephemeral=True)
    sb.ws.ephemerals.append(Ephemeral(channel.id, user_id, message))
    return message
