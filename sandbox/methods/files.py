"""File upload v2: files.getUploadURLExternal, the upload POST, files.completeUploadExternal.

Plus files.info. A completed upload shared into a channel appears there as a message from the
bot carrying the file, like Slack's.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import messaging
from ..web_api import SANDBOX, ApiError, Call, method
from ..workspace import StoredFile
from .common import channel_for_bot


@method("files.getUploadURLExternal")
async def get_upload_url(call: Call) -> dict[str, Any]:
    filename = call.get("filename")
    length = call.get("length")
    if not filename:
        raise ApiError.invalid_arguments("missing required field: filename")
    try:
        size = int(length)
    except (TypeError, ValueError) as exc:
        raise ApiError.invalid_arguments("missing required field: length") from exc
    ws = call.sb.ws
    stored = StoredFile(id=ws.new_id("F"), name=str(filename), length=size,
                        uploader=call.app.bot_user_id, alt_txt=call.get("alt_txt"))
    ws.files[stored.id] = stored
    return {"upload_url": f"{call.sb.url}upload/v1/{stored.id}", "file_id": stored.id}


async def upload(request: web.Request) -> web.Response:
    """The POST to an upload URL: the raw bytes, or a multipart form with a `file` part."""
    sb = request.app[SANDBOX]
    with sb.activity.busy("upload"):
        stored = sb.ws.files.get(request.match_info["file_id"])
        if stored is None or stored.content is not None:
            return web.Response(status=404, text="upload url not valid")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = form.get("file") or form.get("filename")
            if isinstance(part, web.FileField):
                content = part.file.read()
            else:
                content = str(part or "").encode()
        else:
            content = await request.read()
        stored.content = content
        return web.Response(text=f"OK - {len(content)}")


@method("files.completeUploadExternal")
async def complete_upload(call: Call) -> dict[str, Any]:
    ws = call.sb.ws
    items = call.json_arg("files")
    if not isinstance(items, list) or not items:
        raise ApiError.invalid_arguments("missing required field: files")
    stored_files: list[StoredFile] = []
    for item in items:
        stored = ws.files.get(str(item.get("id"))) if isinstance(item, dict) else None
        if stored is None or stored.uploader != call.app.bot_user_id:
            raise ApiError("file_not_found")
        if stored.content is None:
            raise ApiError("file_upload_not_completed")  # the POST to upload_url never came
        stored.title = item.get("title") or stored.name
        stored_files.append(stored)
    channel_key = call.get("channel_id") or (str(call.get("channels") or "").split(",")[0])
    if channel_key:
        channel = channel_for_bot(call, channel_key)
        fields: dict[str, Any] = {"text": call.get("initial_comment") or "", "upload": True,
                                  "files": [f.to_slack(call.sb.url) for f in stored_files]}
        if call.get("thread_ts"):
            root = messaging.thread_root(channel, str(call.get("thread_ts")))
            if root is None:
                raise ApiError("thread_not_found")
            fields["thread_ts"] = root
        for stored in stored_files:
            stored.shared_in.append(channel.id)
        fields["files"] = [f.to_slack(call.sb.url) for f in stored_files]
        messaging.post(call.sb, channel, messaging.bot_message(call.sb, call.app, fields))
    return {"files": [{"id": f.id, "title": f.title} for f in stored_files]}


@method("files.info")
async def files_info(call: Call) -> dict[str, Any]:
    stored = call.sb.ws.files.get(str(call.get("file") or ""))
    if stored is None or stored.content is None:
        raise ApiError("file_not_found")
    return {"file": stored.to_slack(call.sb.url), "comments": [], "response_metadata": {
        "next_cursor": ""}}
