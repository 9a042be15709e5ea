"""The outbox: Slack shows what the database says, converging, never posting twice (DESIGN §2).

A use case calls `storage.slack_objects.want(...)` in its transaction for every Slack object its
change affects; after the commit the process calls `await outbox.render_now(ids)`. Renderers
(one per kind) draw an object from stored state. The engine (engine.py) renders at once, retries
with backoff, takes over rows of dead processes, keeps thread posts in order and coalesces bursts.

Depends only on storage, slack_sdk and asyncio, so features and the runtime can both use it.
"""

from bot.outbox.engine import FastPath, Outbox, Outcome, default_owner
from bot.outbox.render import (
    METADATA_EVENT_TYPE,
    RenderContext,
    Rendered,
    Renderer,
    RenderFailed,
    lays_out,
    post_or_update,
)

__all__ = [
    "METADATA_EVENT_TYPE",
    "FastPath",
    "Outbox",
    "Outcome",
    "RenderContext",
    "RenderFailed",
    "Rendered",
    "Renderer",
    "default_owner",
    "lays_out",
    "post_or_update",
]
