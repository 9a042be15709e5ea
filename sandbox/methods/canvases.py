"""Channel canvases: conversations.canvases.create, canvases.edit, canvases.delete.

A canvas is a file (an `F…` id) holding markdown, tabbed in one channel. The workspace's
`canvases` setting plays a team where canvases are not allowed: "team_tier" (a free team: none
can be created) or "disabled" (an admin turned them off: none created or edited).
"""

from __future__ import annotations

import secrets
from typing import Any

from ..web_api import ApiError, Call, method
from ..workspace import StoredFile
from .common import channel_for_bot

MAX_MARKDOWN = 1_048_576  # "The markdown content is limited to 1 MiB (1,048,576 characters)."
# Operations that need a section id; the stand-in keeps a canvas as one markdown document.
SECTION_OPERATIONS = {"insert_after", "insert_before", "delete"}


def _markdown(content: Any, where: str) -> str:
    if content is None:
        return ""
    if not isinstance(content, dict) or content.get("type") != "markdown" or not isinstance(
            content.get("markdown"), str):
        raise ApiError.invalid_arguments(
            f'{where} must be {{"type": "markdown", "markdown": "..."}}')
    if len(content["markdown"]) > MAX_MARKDOWN:
        raise ApiError.invalid_arguments(f"{where}.markdown is longer than 1 MiB")
    return str(content["markdown"])


def _canvas(call: Call) -> StoredFile:
    """The canvas `canvas_id` names, as the bot sees it: its own, or one in its channels."""
    canvas_id = call.require("canvas_id")
    stored = call.sb.ws.files.get(str(canvas_id))
    if stored is None or not stored.is_canvas:
        raise ApiError("canvas_not_found")
    channel = call.sb.ws.channels.get(stored.canvas_of or "")
    visible = stored.uploader == call.app.bot_user_id or (
        channel is not None and call.app.bot_user_id in channel.members)
    if not visible:
        raise ApiError("canvas_not_found")
    return stored


@method("conversations.canvases.create")
async def create(call: Call) -> dict[str, Any]:
    channel = channel_for_bot(call, call.require("channel_id"))
    setting = call.sb.ws.canvases
    if setting == "team_tier":
        raise ApiError("team_tier_cannot_create_channel_canvases")
    if setting == "disabled":
        raise ApiError("canvas_disabled_user_team")
    if channel.canvas is not None:
        raise ApiError("channel_canvas_already_exists")
    markdown = _markdown(call.json_arg("document_content"), "document_content")
    ws = call.sb.ws
    title = str(call.get("title") or "Canvas")
    stored = StoredFile(id=ws.new_id("F"), name=title, length=len(markdown.encode()),
                        uploader=call.app.bot_user_id, title=title, content=markdown.encode(),
                        canvas_of=channel.id, quip_thread_id=secrets.token_hex(6).upper())
    ws.files[stored.id] = stored
    channel.canvas = stored
    return {"canvas_id": stored.id}


def _apply(document: str, change: dict[str, Any]) -> tuple[str, str | None]:
    """One change to the markdown: (new document, new title or None)."""
    operation = change.get("operation")
    if change.get("section_id") or operation in SECTION_OPERATIONS:
        raise ApiError("not_supported",
                       detail="the sandbox edits canvases whole: replace, insert_at_start, "
                              "insert_at_end, rename (no section_id)")
    if operation == "rename":
        return document, _markdown(change.get("title_content"), "title_content")
    content = _markdown(change.get("document_content"), "document_content")
    if operation == "replace":
        return content, None
    if operation == "insert_at_end":
        return (document.rstrip("\n") + "\n" + content if document.strip() else content), None
    if operation == "insert_at_start":
        return (content.rstrip("\n") + "\n" + document if document.strip() else content), None
    raise ApiError.invalid_arguments(f"unknown operation {operation!r}")


@method("canvases.edit")
async def edit(call: Call) -> dict[str, Any]:
    stored = _canvas(call)
    if call.sb.ws.canvases == "disabled":
        raise ApiError("canvas_disabled_user_team")
    changes = call.json_arg("changes")
    if not isinstance(changes, list) or not changes or not all(
            isinstance(c, dict) for c in changes):
        raise ApiError.invalid_arguments("changes must be a non-empty array of objects")
    if len(changes) > 1:
        # Slack: "Only one operation per API call is currently supported."
        raise ApiError.invalid_arguments("only one change per call is supported")
    document, title = _apply(stored.markdown, changes[0])
    if len(document) > MAX_MARKDOWN:
        raise ApiError("canvas_editing_failed")
    stored.content = document.encode()
    stored.length = len(stored.content)
    if title is not None:
        stored.title = stored.name = title
    return {}


@method("canvases.delete")
async def delete(call: Call) -> dict[str, Any]:
    stored = _canvas(call)
    if stored.uploader != call.app.bot_user_id:
        raise ApiError("restricted_action")
    call.sb.ws.delete_file(stored.id)
    return {}
