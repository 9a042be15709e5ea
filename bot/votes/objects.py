"""The Schaalvraag's Slack objects (outbox rows): the ballot of each round, its results, the
offer of a new round, the family's view — in the meeting's thread — and the trend posts.

Asked for in the transaction of the change they show; drawn by bot.votes.render. A vote bumps
its round's ballot: many votes, few chat.update calls (the outbox coalesces).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import bump, want_case_posts, wanted
from bot.kit.runtime import Deps
from bot.meetings.objects import want_in_thread
from bot.votes.render import results_for, trend_for
from storage.models import Case, Meeting, row_id
from storage.slack_objects import object_by_key
from storage.votes import round_by_number


def ballot_key(round_id: int) -> str:
    return f"round:{round_id}:ballot"


async def want_ballot(session: AsyncSession, deps: Deps, meeting: Meeting, *, number: int) -> int:
    """The voting message of round `number` (opened in this transaction)."""
    scale_round = await round_by_number(session, meeting_id=row_id(meeting), number=number)
    if scale_round is None or scale_round.id is None:
        raise LookupError(f"meeting {meeting.id} has no round {number}")
    return await want_vote(session, deps, meeting, round_id=scale_round.id)


async def want_vote(session: AsyncSession, deps: Deps, meeting: Meeting, *, round_id: int) -> int:
    """The ballot shows a new vote (one upsert beside the vote's own)."""
    return await want_in_thread(
        session,
        deps,
        meeting,
        key=ballot_key(round_id),
        kind=ObjectKind.BALLOT,
        payload={"round": round_id},
    )


async def bump_ballot(
    session: AsyncSession, deps: Deps, meeting_id: int, *, number: int
) -> list[int]:
    """The ballot of a closed round loses its buttons."""
    scale_round = await round_by_number(session, meeting_id=meeting_id, number=number)
    if scale_round is None or scale_round.id is None:
        return []
    row = await object_by_key(session, key=ballot_key(scale_round.id))
    return [await bump(session, deps, row)] if row is not None else []


async def want_results(
    session: AsyncSession, deps: Deps, meeting: Meeting, *, number: int
) -> list[int]:
    """The revealed scores of round `number` (closed in this transaction: the votes are
    final), over as many messages as they need."""
    scale_round = await round_by_number(session, meeting_id=row_id(meeting), number=number)
    if scale_round is None or scale_round.id is None:
        return []
    parts = await results_for(session, deps, meeting, scale_round)
    return [
        await want_in_thread(
            session,
            deps,
            meeting,
            key=f"round:{scale_round.id}:results:{part}",
            kind=ObjectKind.RESULTS,
            payload={"round": scale_round.id, "part": part},
        )
        for part in range(len(parts))
    ]


async def want_back_at_scale(
    session: AsyncSession, deps: Deps, meeting: Meeting, *, key: str, last_round: int
) -> int:
    return await want_in_thread(
        session,
        deps,
        meeting,
        key=key,
        kind=ObjectKind.BACK_AT_SCALE,
        payload={"round": last_round},
    )


async def want_family(session: AsyncSession, deps: Deps, meeting: Meeting) -> int:
    """The family's view in the thread: one message per meeting, redrawn when corrected."""
    key = f"meeting:{row_id(meeting)}:family"
    return await want_in_thread(session, deps, meeting, key=key, kind=ObjectKind.FAMILY_VIEW)


async def want_trend(
    session: AsyncSession, deps: Deps, case: Case, *, lane: str | None = None
) -> tuple[list[int], list[int]]:
    """A new post of the case's trend in its channel: (its messages, its chart) — or nothing
    when there is no score yet. In `lane` when it follows other posts (the timeline)."""
    parts = await trend_for(session, deps, case)
    if not parts:
        return [], []
    case_id = row_id(case)
    lane = lane or f"case:{case_id}:trend:{secrets.token_hex(4)}"
    base = f"{lane}:trend"
    rows = await want_case_posts(
        session, deps, case, key=base, kind=ObjectKind.TREND, parts=len(parts), lane=lane
    )
    chart = await wanted(
        session,
        deps,
        key=f"{base}:chart",
        kind=ObjectKind.TREND_CHART,
        case_id=case_id,
        channel_id=case.channel_id,
        parent_key=f"{base}:0",
        lane=lane,
        payload={"case": case_id},
    )
    return rows, [chart]


async def trend_parts(
    session: AsyncSession, deps: Deps, case: Case, *, lang: str
) -> list[list[dict[str, Any]]]:
    """The trend's messages in `lang`, for a private answer (the timeline's, say)."""
    return await trend_for(session, deps, case, lang=lang)
