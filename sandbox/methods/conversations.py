"""conversations.*: info, create, invite, kick, join, members, history, replies, open."""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import events
from ..web_api import ApiError, Call, method
from ..workspace import Channel
from .common import channel_for_bot, page


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


@method("conversations.info")
async def info(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    data = channel.to_slack(call.app.bot_user_id, num_members=call.flag("include_num_members"))
    if call.flag("include_locale"):
        data["locale"] = "nl-NL"
    return {"channel": data}


@method("conversations.create")
async def create(call: Call) -> dict[str, Any]:
    ws = call.sb.ws
    call.need_scope("groups:write" if call.flag("is_private") else "channels:manage")
    name = str(call.get("name") or "")
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > 80:
        raise ApiError("invalid_name_maxlength")
    if not re.fullmatch(r"[\w\-]+", name) or name != name.lower():
        raise ApiError("invalid_name_specials")
    if any(c.name == name for c in ws.channels.values() if not c.is_im):
        raise ApiError("name_taken")
    channel = ws.add_channel(name, private=call.flag("is_private"),
                             members=[call.app.bot_user_id], creator=call.app.bot_user_id)
    return {"channel": channel.to_slack(call.app.bot_user_id)}


@method("conversations.invite")
async def invite(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    if channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    users = _ids(call.get("users"))
    if not users:
        raise ApiError("no_user")
    errors: list[dict[str, Any]] = []
    for user_id in users:
        if user_id == call.app.bot_user_id:
            errors.append({"user": user_id, "ok": False, "error": "cant_invite_self"})
        elif user_id not in call.sb.ws.users:
            errors.append({"user": user_id, "ok": False, "error": "user_not_found"})
        elif user_id in channel.members:
            errors.append({"user": user_id, "ok": False, "error": "already_in_channel"})
    if errors:
        # Slack invites nobody when any user fails, and names the first problem.
        raise ApiError(str(errors[0]["error"]), errors=errors)
    for user_id in users:
        channel.members.add(user_id)
        events.member_joined(call.sb, channel, user_id, call.app.bot_user_id)
    return {"channel": channel.to_slack(call.app.bot_user_id)}


@method("conversations.kick")
async def kick(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    user_id = str(call.get("user") or "")
    if user_id not in call.sb.ws.users:
        raise ApiError("user_not_found")
    if user_id == call.app.bot_user_id:
        raise ApiError("cant_kick_self")
    if channel.name == "general":
        raise ApiError("cant_kick_from_general")
    if user_id not in channel.members:
        raise ApiError("not_in_channel")
    if call.sb.ws.kick_by == "admins":  # a workspace setting keeps apps from removing members
        raise ApiError("restricted_action")
    listeners = events.listening_apps(call.sb, channel)
    channel.members.discard(user_id)
    events.member_left(call.sb, channel, user_id, listeners)
    return {}


@method("conversations.join")
async def join(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    if channel.is_private or channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if call.app.bot_user_id not in channel.members:
        channel.members.add(call.app.bot_user_id)
        events.member_joined(call.sb, channel, call.app.bot_user_id, None)
    return {"channel": channel.to_slack(call.app.bot_user_id)}


@method("conversations.members")
async def members(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    chunk, meta = page(call, sorted(channel.members))
    meta.pop("has_more")
    return {"members": chunk, **meta}


def _window(call: Call, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply `oldest`/`latest`/`inclusive` the way Slack does."""
    inclusive = call.flag("inclusive")
    oldest, latest = call.get("oldest"), call.get("latest")
    result = []
    for m in messages:
        ts = float(m["ts"])
        if oldest is not None and (ts < float(oldest) or (ts == float(oldest) and not inclusive)):
            continue
        if latest is not None and (ts > float(latest) or (ts == float(latest) and not inclusive)):
            continue
        result.append(copy.deepcopy(m))
    return result


def _readable(call: Call) -> Channel:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    if call.app.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


@method("conversations.history")
async def history(call: Call) -> dict[str, Any]:
    channel = _readable(call)
    newest_first = list(reversed(_window(call, channel.top_level())))
    chunk, meta = page(call, newest_first)
    return {"messages": chunk, "pin_count": 0, **meta}


@method("conversations.replies")
async def replies(call: Call) -> dict[str, Any]:
    channel = _readable(call)
    ts = str(call.get("ts") or "")
    if ts not in channel.messages:
        raise ApiError("thread_not_found")
    root = channel.messages[ts].get("thread_ts") or ts
    thread = [channel.messages[root], *channel.replies(root)] if root in channel.messages else []
    chunk, meta = page(call, _window(call, thread), default_limit=1000)
    return {"messages": chunk, **meta}


@method("conversations.open")
async def open_conversation(call: Call) -> dict[str, Any]:
    ws = call.sb.ws
    if call.get("channel"):
        channel = channel_for_bot(call, call.get("channel"))
        return {"channel": {"id": channel.id} if not call.flag("return_im")
                else channel.to_slack(call.app.bot_user_id)}
    users = _ids(call.get("users"))
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        # Group DMs (mpim) are not part of this stand-in; say so instead of faking them.
        raise ApiError("not_supported", detail="the sandbox supports one-to-one DMs only")
    if users[0] not in ws.users:
        raise ApiError("user_not_found")
    existed = any(c.is_im and c.members == {users[0], call.app.bot_user_id}
                  for c in ws.channels.values())
    channel = ws.dm(users[0], call.app.bot_user_id)
    body: dict[str, Any] = {"channel": channel.to_slack() if call.flag("return_im")
                            else {"id": channel.id}}
    if existed:
        body.update(no_op=True, already_open=True)
    return body
