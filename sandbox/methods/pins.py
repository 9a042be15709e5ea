"""pins.add, pins.remove, pins.list: messages pinned to their channel.

A pinned message carries `pinned_to` (channel ids) and `pinned_info` (per channel: who pinned
it and when), as Slack returns it in history, replies and pins.list.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from ..web_api import ApiError, Call, method
from ..workspace import Channel
from .common import channel_for_bot

# Messages Slack refuses to pin ("channel join messages, files, and file comments").
UNPINNABLE = {"channel_join", "channel_leave", "tombstone"}


def _message(call: Call, channel: Channel) -> dict[str, Any]:
    ts = call.get("timestamp")
    if ts is None:
        raise ApiError("no_item_specified")
    if not re.fullmatch(r"\d+\.\d+", str(ts)):
        raise ApiError("bad_timestamp")
    message = channel.messages.get(str(ts))
    if message is None:
        raise ApiError("message_not_found")
    return message


@method("pins.add")
async def add(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    message = _message(call, channel)
    if message.get("subtype") in UNPINNABLE:
        raise ApiError("not_pinnable")
    if channel.id in message.get("pinned_to", []):
        raise ApiError("already_pinned")
    message.setdefault("pinned_to", []).append(channel.id)
    message.setdefault("pinned_info", {})[channel.id] = {
        "pinned_by": call.app.bot_user_id, "pinned_ts": int(time.time())}
    return {}


@method("pins.remove")
async def remove(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    message = _message(call, channel)
    if channel.id not in message.get("pinned_to", []):
        raise ApiError("no_pin")
    message["pinned_to"].remove(channel.id)
    message.get("pinned_info", {}).pop(channel.id, None)
    if not message["pinned_to"]:
        del message["pinned_to"]
        message.pop("pinned_info", None)
    return {}


@method("pins.list")
async def list_pins(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    items = []
    for message in channel.messages.values():
        if channel.id not in message.get("pinned_to", []):
            continue
        info = message.get("pinned_info", {}).get(channel.id, {})
        items.append({"type": "message", "created": info.get("pinned_ts", 0),
                      "created_by": info.get("pinned_by"), "channel": channel.id,
                      "message": copy.deepcopy(message)})
    items.sort(key=lambda item: -item["created"])  # newest pin first, as in Slack
    return {"items": items}
