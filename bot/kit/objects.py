"""Asking for Slack objects from a use case's transaction (DESIGN §2, the outbox).

`wanted` creates an object's row or bumps it, leased to this process so that the followup
renders it at once (the fast path) and no poller takes it meanwhile; `bump` asks for an existing
object to be drawn again from the state it shows. Both run in the caller's transaction, so the
change and the promise to show it commit together. The renderers (one per kind, listed in
bot/surface.py) draw each object from stored state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.runtime import Deps
from bot.outbox import RenderContext, Rendered, RenderFailed
from storage.cases import case_by_id
from storage.meetings import meeting_by_id
from storage.models import Case, Meeting, SlackObject, row_id
from storage.slack_objects import want
from storage.types import utcnow

FeatureRenderer = Callable[[Deps, RenderContext], Awaitable[Rendered]]
"""Draws one object of its kind from stored state (bot/surface.py lists them by kind)."""


async def wanted(
    session: AsyncSession,
    deps: Deps,
    *,
    key: str,
    kind: str,
    case_id: int | None,
    channel_id: str,
    thread_ts: str | None = None,
    parent_key: str | None = None,
    lane: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """Slack must show object `key` as the state now committed says; its row id."""
    return await want(
        session,
        key=key,
        kind=kind,
        case_id=case_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        parent_key=parent_key,
        lane=lane,
        payload=payload,
        owner=deps.outbox.owner,
        now=utcnow(),
        lease_seconds=deps.outbox.lease_seconds,
    )


async def bump(session: AsyncSession, deps: Deps, row: SlackObject) -> int:
    """Draw an existing object again (the state it shows changed); its row id."""
    return await want(
        session,
        key=row.key,
        kind=row.kind,
        case_id=row.case_id,
        channel_id=row.channel_id,
        lane=row.lane,
        owner=deps.outbox.owner,
        now=utcnow(),
        lease_seconds=deps.outbox.lease_seconds,
    )


def payload_int(row_payload: Mapping[str, Any], name: str) -> int:
    """An id the row's payload must hold; a row without it is a bug, not a Slack failure."""
    value = row_payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"object payload has no {name}")
    return value


async def want_case_posts(
    session: AsyncSession, deps: Deps, case: Case, *, key: str, kind: str, parts: int, lane: str
) -> list[int]:
    """A new post of `parts` messages in the case channel (`key`:0, :1, …), in `lane`."""
    case_id = row_id(case)
    return [
        await wanted(
            session,
            deps,
            key=f"{key}:{part}",
            kind=kind,
            case_id=case_id,
            channel_id=case.channel_id,
            lane=lane,
            payload={"case": case_id, "part": part},
        )
        for part in range(parts)
    ]


async def case_of(deps: Deps, ctx: RenderContext) -> Case:
    """The case an object shows (its payload's `case`), as stored now."""
    async with deps.db.session() as session:
        case = await case_by_id(session, case_id=payload_int(ctx.payload, "case"))
    if case is None:
        raise RenderFailed("case_gone")
    return case


async def meeting_of(deps: Deps, ctx: RenderContext) -> tuple[Meeting, Case]:
    """The meeting an object shows (its payload's `meeting`) and its case, as stored now."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=payload_int(ctx.payload, "meeting"))
        case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
    if meeting is None or case is None:
        raise RenderFailed("meeting_gone")
    return meeting, case
