"""Rendering one outbox row: until Slack shows its latest `wanted`, or a failure is recorded.

Before a post that an earlier try may have made already, look for it (lookup.py) and adopt it.
What Slack returns is recorded at once, and only while the lease is still ours; a refusal is
recorded as a retry with backoff or as failed for good (slack_errors.py). A row the purge
retired meanwhile gets what we just posted deleted again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import DBAPIError

from bot.outbox.lookup import find_earlier
from bot.outbox.render import (
    RenderContext,
    Rendered,
    Renderer,
    RenderFailed,
    id_of,
    renders_a_layout,
)
from bot.outbox.slack_errors import NotYet, Verdict, error_code, is_gone, judge, slack_messages
from storage.db import Database
from storage.models import SlackObject
from storage.slack_objects import (
    LEASE_EXPIRED,
    mark_failed_permanently,
    mark_retry,
    mark_shown,
    object_by_id,
    object_by_key,
    record_posted,
    record_removed,
    take,
)

log = logging.getLogger("casusbot.outbox")


class Outcome(StrEnum):
    SHOWN = "shown"  # Slack shows the row's state as of (at least) the change that asked
    RETRY = "retry"  # failed for now; the poller tries again after the backoff
    FAILED = "failed"  # no retry fixes it; until the next change
    WAITING = "waiting"  # not rendered here: its lane waits, or another replica has it
    LOST = "lost"  # the lease went to another owner (or the database failed) mid-render


@dataclass(frozen=True)
class RowRenderer:
    """Renders claimed rows for one owner; shared by the fast path and the poller."""

    db: Database
    client: AsyncWebClient
    renderers: Mapping[str, Renderer]
    owner: str
    lease_seconds: float
    # Give up on a Slack call well within the lease (a render makes at most three: look for
    # an earlier post, render, render anew when the message was deleted), so no other replica
    # takes the row over while this one may still post it.
    render_timeout: float
    clock: Callable[[], datetime]
    # Rows whose render has begun its last look at `wanted` (mark_shown): a change committed
    # before a render of its row is in here is certain to be seen by it (the fast path need
    # not claim the row again). The engine forgets a row when its render ends.
    looking: set[int] = field(default_factory=set)

    async def run(self, row: SlackObject) -> Outcome:
        """Render until Slack shows the latest `wanted` (changes that came in meanwhile too)."""
        row_id = id_of(row)
        try:
            while True:
                outcome = await self._render_once(row)
                if outcome != Outcome.SHOWN:
                    return outcome
                self.looking.add(row_id)
                wanted = await mark_shown(
                    self.db, id=row_id, owner=self.owner, seen_wanted=row.wanted, now=self.clock()
                )
                if wanted is None:
                    log.warning(
                        "outbox: row %d (%s) shown, but taken over meanwhile", row_id, row.key
                    )
                    return Outcome.LOST
                if wanted <= row.wanted:
                    return Outcome.SHOWN
                again = await take(
                    self.db,
                    id=row_id,
                    owner=self.owner,
                    now=self.clock(),
                    lease_seconds=self.lease_seconds,
                )
                if again is None:
                    return Outcome.SHOWN  # another replica renders the newer changes
                self.looking.discard(row_id)  # it renders again, and looks again after
                row = again
        except DBAPIError:
            # The database failed mid-render: the lease runs out and the row is taken up
            # again (with a look for an unrecorded post) by whichever replica is alive.
            log.exception("outbox: row %d (%s): database error", row_id, row.key)
            return Outcome.LOST

    async def _render_once(self, row: SlackObject) -> Outcome:
        renderer = self.renderers.get(row.kind)
        if renderer is None:
            log.error("outbox: row %d (%s): no renderer for kind %r", row.id, row.key, row.kind)
            return await self._fail(row, "no_renderer")
        try:
            ctx = await self._context(row)
            try:
                rendered = await self._call(renderer, ctx)
            except SlackApiError as error:
                if not is_gone(error) or not (ctx.ts or ctx.file_id or ctx.canvas_id):
                    raise
                log.info(
                    "outbox: row %d (%s) was deleted in Slack; showing it anew", ctx.id, ctx.key
                )
                ctx = replace(ctx, ts=None, file_id=None, canvas_id=None)
                rendered = await self._call(renderer, ctx)
        except _Lost:
            log.warning("outbox: row %d (%s) taken over meanwhile", row.id, row.key)
            return Outcome.LOST
        except DBAPIError:
            raise
        except Exception as error:
            return await self._failed(row, error)
        return await self._record(ctx, rendered)

    async def _call(self, renderer: Renderer, ctx: RenderContext) -> Rendered:
        slow = renders_a_layout(renderer)
        timeout = self.lease_seconds / 2 if slow else self.render_timeout
        return await asyncio.wait_for(renderer(ctx), timeout)

    async def _context(self, row: SlackObject) -> RenderContext:
        """Where the row goes; and when it may have been posted before, adopt that post."""
        thread_ts = row.thread_ts
        if thread_ts is None and row.parent_key is not None:
            thread_ts = await self._parent_ts(row.parent_key)
        ctx = RenderContext(
            self.db, self.client, row, row.channel_id, thread_ts, row.ts, row.file_id, row.canvas_id
        )
        may_be_posted = row.attempts > 0 or row.last_error == LEASE_EXPIRED
        if row.posted or not may_be_posted:
            return ctx
        found = await asyncio.wait_for(find_earlier(self.client, ctx), self.render_timeout)
        if found is None:
            return ctx
        ts, channel_id = found
        log.info("outbox: row %d (%s) was posted before as %s; adopting it", ctx.id, ctx.key, ts)
        if not await record_posted(
            self.db,
            id=ctx.id,
            owner=self.owner,
            ts=ts,
            channel_id=channel_id,
            thread_ts=thread_ts,
            now=self.clock(),
        ):
            raise _Lost()
        return replace(ctx, channel_id=channel_id, ts=ts)

    async def _parent_ts(self, parent_key: str) -> str:
        async with self.db.session() as session:
            parent = await object_by_key(session, key=parent_key)
        if parent is None or parent.deleted_at is not None:
            raise RenderFailed("parent_missing")
        if parent.ts is None:
            if parent.failed_at is not None:
                raise RenderFailed("parent_failed")
            raise NotYet("parent_not_posted")
        return parent.ts

    async def _record(self, ctx: RenderContext, rendered: Rendered) -> Outcome:
        """Store what Slack gave, at once; the row is shown only after this."""
        if rendered.removed:
            recorded = await record_removed(self.db, id=ctx.id, owner=self.owner, now=self.clock())
        else:
            known = {
                "ts": ctx.ts,
                "channel_id": ctx.channel_id,
                "file_id": ctx.file_id,
                "canvas_id": ctx.canvas_id,
                "thread_ts": ctx.row.thread_ts,
            }
            given = {
                "ts": rendered.ts,
                "channel_id": rendered.channel_id,
                "file_id": rendered.file_id,
                "canvas_id": rendered.canvas_id,
                "thread_ts": ctx.thread_ts if rendered.ts else None,
            }
            changes = {k: v for k, v in given.items() if v is not None and v != known[k]}
            if not changes:
                return Outcome.SHOWN
            recorded = await record_posted(
                self.db, id=ctx.id, owner=self.owner, now=self.clock(), **changes
            )
        if recorded:
            return Outcome.SHOWN
        await self._refused(ctx, rendered)
        return Outcome.LOST

    async def _refused(self, ctx: RenderContext, rendered: Rendered) -> None:
        """Slack has the object but the row is no longer ours. Retired or gone (the purge):
        delete what we just created, or it would outlive the purge."""
        async with self.db.session() as session:
            current = await object_by_id(session, id=ctx.id)
        if current is not None and current.deleted_at is None:
            log.warning("outbox: row %d (%s) rendered, but taken over meanwhile", ctx.id, ctx.key)
            return
        try:
            if rendered.ts is not None and rendered.ts != ctx.ts:
                await self.client.chat_delete(
                    channel=rendered.channel_id or ctx.channel_id, ts=rendered.ts
                )
            if rendered.file_id is not None and rendered.file_id != ctx.file_id:
                await self.client.files_delete(file=rendered.file_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.error(
                "outbox: row %d (%s) was retired while rendering; deleting its post failed: %s",
                ctx.id,
                ctx.key,
                error_code(error),
            )
            return
        log.info("outbox: row %d (%s) was retired while rendering; post deleted", ctx.id, ctx.key)

    # ----- failures -----

    async def _failed(self, row: SlackObject, error: Exception) -> Outcome:
        """Record a failed try: backoff for what a retry may fix, failed for good otherwise."""
        judgement = judge(error, attempts=row.attempts)
        code = judgement.code
        if judgement.verdict == Verdict.RETRY:
            log.info("outbox: row %d (%s): %s, will retry", row.id, row.key, code)
            retrying = await mark_retry(
                self.db,
                id=id_of(row),
                owner=self.owner,
                error=code,
                now=self.clock(),
                retry_after=judgement.retry_after,
            )
            return Outcome.RETRY if retrying else Outcome.LOST
        if judgement.verdict == Verdict.PERMANENT:
            log.warning("outbox: row %d (%s) in %s: %s", row.id, row.key, row.channel_id, code)
        elif isinstance(error, SlackApiError):
            log.error(
                "outbox: row %d (%s, kind %s): Slack refused what we built: %s %s",
                row.id,
                row.key,
                row.kind,
                code,
                slack_messages(error),
            )
        else:
            log.exception(
                "outbox: row %d (%s, kind %s): renderer raised", row.id, row.key, row.kind
            )
        return await self._fail(row, code)

    async def _fail(self, row: SlackObject, code: str) -> Outcome:
        failed = await mark_failed_permanently(
            self.db, id=id_of(row), owner=self.owner, error=code, now=self.clock()
        )
        return Outcome.FAILED if failed else Outcome.LOST


class _Lost(Exception):
    """The row was taken over by another owner while we worked on it."""
