"""What a renderer is given and what it returns: the contract between features and the engine.

A renderer draws ONE object: it reads the state it shows from the database at render time and
posts it (`ctx.ts is None`) or updates it — or uploads, replaces or deletes a file or canvas —
and returns what Slack gave. Every post and update carries `ctx.metadata`: that is how a retry
finds a message an earlier try posted without recording it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from storage.db import Database
from storage.models import SlackObject

METADATA_EVENT_TYPE = "casusbot_object"


class RenderFailed(Exception):
    """Raised by a renderer when no retry can help (the state it shows is gone); `code` is
    stored for the doctor, never content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RenderContext:
    """What a renderer gets: the row as claimed, where it goes, and how to reach Slack."""

    db: Database
    client: AsyncWebClient
    row: SlackObject
    channel_id: str  # a channel, or a user id (Slack posts that to the user's DM)
    thread_ts: str | None  # the thread the post goes in, parents resolved
    ts: str | None  # the message to update; None: post a new one
    file_id: str | None = None  # the file shown now (files cannot be edited: replace it)
    canvas_id: str | None = None  # the canvas to edit; None: create one

    @property
    def id(self) -> int:
        return id_of(self.row)

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.row.payload or "{}")
        return loaded

    @property
    def metadata(self) -> dict[str, Any]:
        """Attach to every post and update: how a retry finds this object's message."""
        return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": self.row.key}}


@dataclass(frozen=True)
class Rendered:
    """What Slack gave for the object. Nothing at all: the state shows no object (yet)."""

    ts: str | None = None
    channel_id: str | None = None
    file_id: str | None = None
    canvas_id: str | None = None
    removed: bool = False  # the renderer deleted the object (the state says it is gone)

    @classmethod
    def message(cls, response: Any) -> Rendered:
        """From a chat.postMessage / chat.update response."""
        return cls(ts=str(response["ts"]), channel_id=str(response["channel"]))


Renderer = Callable[[RenderContext], Awaitable[Rendered]]

LAYS_OUT = "_outbox_lays_out"
F = TypeVar("F", bound=Callable[..., Awaitable[Rendered]])


def lays_out(renderer: F) -> F:
    """Mark a renderer that lays out a file (a PDF, a chart) before its one upload. Layout is
    CPU work, seconds on a busy machine: such a render gets half the lease instead of a
    quarter, so a slow layout is not cut off mid-upload and uploaded twice (a file carries no
    metadata to find it by). Half still leaves the lease's other half for the one retry."""
    setattr(renderer, LAYS_OUT, True)
    return renderer


def renders_a_layout(renderer: Callable[..., object]) -> bool:
    """Whether `lays_out` marks the renderer (also when bound with functools.partial)."""
    return bool(getattr(getattr(renderer, "func", renderer), LAYS_OUT, False))


async def post_or_update(
    ctx: RenderContext, *, text: str, blocks: Sequence[Mapping[str, Any]] | None = None
) -> Rendered:
    """The usual renderer body: post the message, or update it once posted; with metadata."""
    block_list = [dict(b) for b in blocks] if blocks is not None else None
    if ctx.ts is None:
        response = await ctx.client.chat_postMessage(
            channel=ctx.channel_id,
            text=text,
            blocks=block_list,
            thread_ts=ctx.thread_ts,
            metadata=ctx.metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
    else:
        response = await ctx.client.chat_update(
            channel=ctx.channel_id, ts=ctx.ts, text=text, blocks=block_list, metadata=ctx.metadata
        )
    return Rendered.message(response)


def carries_key(message: Mapping[str, Any], key: str) -> bool:
    """Is this Slack message the one the outbox posted for `key`?"""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("key") == key)


def id_of(row: SlackObject) -> int:
    if row.id is None:
        raise ValueError("an outbox row from the database has an id")
    return row.id
