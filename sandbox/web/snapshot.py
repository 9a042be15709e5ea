"""What one person sees in the browser UI, as JSON: their channels, one conversation, the
thread they opened, their ephemerals, their top modal and their home tab.

Read-only over the workspace (apart from creating a person's DM with the bot on first look,
which Slack does as lazily). Messages are Slack's own dicts, so the page renders exactly what
the bot sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import modals

if TYPE_CHECKING:
    from ..sandbox import Sandbox
    from ..workspace import Channel, User


def person(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "handle": user.handle,
        "name": user.real_name,
        "title": user.title,
        "role": user.role,
        "locale": user.locale,
        "is_bot": user.is_bot,
        "is_guest": user.role == "gast",
    }


def fingerprint(sb: Sandbox) -> str:
    """Changes whenever anything a person could see may have changed.

    Cheap enough to compute several times a second: counters and the newest timestamp, no
    walk over messages. `activity.last` moves on every delivery and Web API call, which covers
    edits, view updates and response_url answers that add no message.
    """
    ws = sb.ws
    parts = (
        ws._last_ts,
        len(sb.api_calls),
        len(ws.ephemerals),
        len(sb.response_log),
        len(ws.views),
        sum(len(stack) for stack in ws.modal_stacks.values()),
        round(sb.activity.last, 3),
    )
    return "-".join(str(p) for p in parts)


def _conversation(sb: Sandbox, user: User, key: str | None) -> Channel | None:
    """The channel the person looks at; only one they are a member of (or their bot DM)."""
    if not key:
        return None
    if key == "dm":
        return sb.ws.dm(user.id, sb.app.bot_user_id) if len(sb.ws.apps) == 1 else None
    found = sb.ws.find_channel(key)
    if found is None or user.id not in found.members:
        return None
    return found


def _ephemerals(sb: Sandbox, user: User, channel: Channel) -> list[dict[str, Any]]:
    return [e.message for e in sb.ws.ephemerals if e.user == user.id and e.channel == channel.id]


def _channel_view(sb: Sandbox, user: User, channel: Channel) -> dict[str, Any]:
    private = _ephemerals(sb, user, channel)
    return {
        "id": channel.id,
        "name": channel.name,
        "is_im": channel.is_im,
        "is_private": channel.is_private,
        "purpose": channel.purpose,
        "member_count": len(channel.members),
        "messages": channel.top_level(),
        # Ephemerals posted into a thread show up in that thread, the rest in the channel.
        "ephemerals": [e for e in private if not e.get("thread_ts")],
        "canvas": None if channel.canvas is None else {
            "id": channel.canvas.id, "title": channel.canvas.title,
            "markdown": channel.canvas.markdown},
    }


def _thread_view(
    sb: Sandbox, user: User, channel: Channel, thread_ts: str | None
) -> dict[str, Any] | None:
    if not thread_ts:
        return None
    parent = channel.messages.get(thread_ts)
    if parent is None:
        return None
    return {
        "ts": thread_ts,
        "channel": channel.id,
        "parent": parent,
        "replies": channel.replies(thread_ts),
        "ephemerals": [
            e for e in _ephemerals(sb, user, channel) if e.get("thread_ts") == thread_ts
        ],
    }


def snapshot(
    sb: Sandbox, user_key: str, channel_key: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    """Everything the page needs to draw one person's screen. Raises LookupError for an
    unknown person."""
    user = sb.user(user_key).user
    ws = sb.ws
    apps = [
        {
            "app_id": app.app_id,
            "name": app.name,
            "bot_user_id": app.bot_user_id,
            "bot_id": app.bot_id,
        }
        for app in ws.apps.values()
    ]
    channels = [
        {
            "id": ch.id,
            "name": ch.name,
            "is_private": ch.is_private,
            "is_member": user.id in ch.members,
        }
        for ch in ws.channels.values()
        if not ch.is_im
    ]
    conversation = _conversation(sb, user, channel_key)
    top = modals.top(sb, user.id)
    home = None
    if len(ws.apps) == 1:
        home_id = ws.homes.get((user.id, sb.app.app_id))
        home = ws.views[home_id].view if home_id else None
    return {
        "version": fingerprint(sb),
        "team": {"id": ws.team_id, "name": ws.name},
        "me": person(user),
        "people": [person(u) for u in ws.users.values() if not u.deleted],
        "apps": apps,
        "channels": channels,
        "conversation": _channel_view(sb, user, conversation) if conversation else None,
        "thread": _thread_view(sb, user, conversation, thread_ts) if conversation else None,
        "modal": top.view if top else None,
        "modal_depth": len(ws.modal_stacks.get(user.id, [])),
        "home": home,
    }
