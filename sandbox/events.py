"""Events API: which app hears about what, and the event_callback envelope around it.

Slack only tells an app about channels its bot is in (plus the bot's DMs), and only about
event types the app subscribed to; the rules here follow that.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import TYPE_CHECKING, Any

from .workspace import App, Channel

if TYPE_CHECKING:
    from .sandbox import Sandbox

# Fields of a stored message that a `message` event never carries.
_THREAD_SUMMARY = ("reply_count", "reply_users", "reply_users_count", "latest_reply", "edited")


def envelope(sb: Sandbox, app: App, event: dict[str, Any]) -> dict[str, Any]:
    ws = sb.ws
    return {
        "token": app.verification_token,
        "team_id": ws.team_id,
        "context_team_id": ws.team_id,
        "context_enterprise_id": None,
        "api_app_id": app.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()),
        "authorizations": [{
            "enterprise_id": None, "team_id": ws.team_id, "user_id": app.bot_user_id,
            "is_bot": True, "is_enterprise_install": False,
        }],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def emit(sb: Sandbox, app: App, event: dict[str, Any]) -> None:
    if not app.subscribed(event["type"], event.get("channel_type")):
        return
    event.setdefault("event_ts", sb.ws.new_ts())
    sb.spawn_delivery(app, "events_api", envelope(sb, app, event))


def listening_apps(sb: Sandbox, channel: Channel) -> list[App]:
    return [a for a in sb.ws.apps.values() if a.bot_user_id in channel.members]


def _as_event(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
    event = {k: v for k, v in copy.deepcopy(message).items() if k not in _THREAD_SUMMARY}
    event.update(channel=channel.id, channel_type=channel.channel_type, event_ts=message["ts"])
    event.setdefault("team", sb.ws.team_id)
    thread_ts = message.get("thread_ts")
    if thread_ts == message["ts"]:
        event.pop("thread_ts")  # a new message only becomes a parent once it has replies
    elif thread_ts and thread_ts in channel.messages:
        parent = channel.messages[thread_ts]
        event["parent_user_id"] = parent.get("user")
    return event


def message_posted(sb: Sandbox, channel: Channel, message: dict[str, Any]) -> None:
    for app in listening_apps(sb, channel):
        emit(sb, app, _as_event(sb, channel, message))
        mention = f"<@{app.bot_user_id}>"
        if message.get("user") and not message.get("bot_id") and mention in (
                message.get("text") or ""):
            event = {k: v for k, v in _as_event(sb, channel, message).items()
                     if k in ("user", "text", "ts", "channel", "thread_ts", "blocks", "team",
                              "client_msg_id", "event_ts")}
            emit(sb, app, {"type": "app_mention", **event})


def message_changed(sb: Sandbox, channel: Channel, old: dict[str, Any],
                    new: dict[str, Any]) -> None:
    for app in listening_apps(sb, channel):
        emit(sb, app, {
            "type": "message", "subtype": "message_changed", "hidden": True,
            "channel": channel.id, "channel_type": channel.channel_type,
            "ts": sb.ws.new_ts(), "message": copy.deepcopy(new),
            "previous_message": copy.deepcopy(old),
        })


def message_deleted(sb: Sandbox, channel: Channel, old: dict[str, Any]) -> None:
    for app in listening_apps(sb, channel):
        emit(sb, app, {
            "type": "message", "subtype": "message_deleted", "hidden": True,
            "channel": channel.id, "channel_type": channel.channel_type,
            "ts": sb.ws.new_ts(), "deleted_ts": old["ts"], "previous_message": copy.deepcopy(old),
        })


def member_joined(sb: Sandbox, channel: Channel, user_id: str, inviter: str | None) -> None:
    event: dict[str, Any] = {
        "type": "member_joined_channel", "user": user_id, "channel": channel.id,
        "channel_type": "G" if channel.is_private else "C", "team": sb.ws.team_id,
    }
    if inviter:
        event["inviter"] = inviter
    for app in listening_apps(sb, channel):
        emit(sb, app, dict(event))


def member_left(sb: Sandbox, channel: Channel, user_id: str, apps: list[App]) -> None:
    for app in apps:
        emit(sb, app, {
            "type": "member_left_channel", "user": user_id, "channel": channel.id,
            "channel_type": "G" if channel.is_private else "C", "team": sb.ws.team_id,
        })


def home_opened(sb: Sandbox, app: App, user_id: str, tab: str = "home") -> None:
    dm = sb.ws.dm(user_id, app.bot_user_id)
    event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": dm.id,
                             "tab": tab}
    view_id = sb.ws.homes.get((user_id, app.app_id))
    if tab == "home" and view_id:
        event["view"] = copy.deepcopy(sb.ws.views[view_id].view)
    emit(sb, app, event)

