"""chat.postMessage, chat.update, chat.delete, chat.postEphemeral, chat.getPermalink."""

from __future__ import annotations

import copy
from typing import Any

from .. import messaging
from ..blockkit import check_message_blocks
from ..web_api import ApiError, Call, method
from ..workspace import Channel
from .common import channel_for_bot

MAX_TEXT = 40_000


def _fields(call: Call, *, need_content: bool = True) -> dict[str, Any]:
    """text/blocks/attachments/metadata as Slack would store them, or Slack's error."""
    text = call.get("text")
    if text is not None and len(str(text)) > MAX_TEXT:
        raise ApiError("msg_too_long")
    blocks = check_message_blocks(call.get("blocks"))
    attachments = call.json_arg("attachments")
    if need_content and not (text or blocks or attachments):
        raise ApiError("no_text")
    metadata = call.json_arg("metadata")
    if metadata is not None and not (
            isinstance(metadata, dict) and metadata.get("event_type")
            and isinstance(metadata.get("event_payload"), dict)):
        raise ApiError("invalid_metadata_format")
    return {"text": text, "blocks": blocks, "attachments": attachments, "metadata": metadata}


def _own_message(call: Call, channel: Channel, ts: Any, error: str) -> dict[str, Any]:
    if not ts or str(ts) not in channel.messages:
        raise ApiError("message_not_found")
    message = channel.messages[str(ts)]
    if message.get("bot_id") != call.app.bot_id:
        raise ApiError(error)
    return message


@method("chat.postMessage")
async def post_message(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), user_means_dm=True)
    fields = _fields(call)
    if call.get("thread_ts"):
        root = messaging.thread_root(channel, str(call.get("thread_ts")))
        if root is None:
            raise ApiError("thread_not_found")
        fields["thread_ts"] = root
    message = messaging.bot_message(call.sb, call.app, fields)
    messaging.post(call.sb, channel, message, broadcast=call.flag("reply_broadcast"))
    return {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}


@method("chat.update")
async def update(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    message = _own_message(call, channel, call.get("ts"), "cant_update_message")
    fields = _fields(call, need_content=False)
    if not (fields["text"] or fields["blocks"] is not None or fields["attachments"]):
        raise ApiError("no_text")
    new = messaging.update(call.sb, channel, message["ts"], fields, call.app.bot_user_id)
    return {"channel": channel.id, "ts": new["ts"], "text": new.get("text", ""),
            "message": copy.deepcopy(new)}


@method("chat.delete")
async def delete(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    message = _own_message(call, channel, call.get("ts"), "cant_delete_message")
    messaging.delete(call.sb, channel, message["ts"])
    return {"channel": channel.id, "ts": message["ts"]}


@method("chat.postEphemeral")
async def post_ephemeral(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"))
    user_id = call.get("user")
    if not user_id:
        raise ApiError("user_not_found")
    if str(user_id) not in call.sb.ws.users:
        raise ApiError("user_not_found")
    if str(user_id) not in channel.members:
        raise ApiError("user_not_in_channel")
    fields = _fields(call)
    if call.get("thread_ts"):
        fields["thread_ts"] = messaging.thread_root(channel, str(call.get("thread_ts"))) or str(
            call.get("thread_ts"))
    message = messaging.post_ephemeral(call.sb, call.app, channel, str(user_id), fields)
    return {"message_ts": message["ts"]}


@method("chat.getPermalink")
async def get_permalink(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.get("channel"), member=False)
    ts = str(call.get("message_ts") or "")
    message = channel.messages.get(ts)
    if message is None:
        raise ApiError("message_not_found")
    link = (f"https://{call.sb.ws.domain}.slack.com/archives/{channel.id}/"
            f"p{ts.replace('.', '')}")
    if message.get("thread_ts") and message["thread_ts"] != ts:
        link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}
