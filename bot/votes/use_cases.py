"""The Schaalvraag's use cases: a vote, the family's view, the scores of a case.

A vote is a single upsert that leaves the meeting's version alone (opening and revealing a
round are meeting moves: bot.meetings.use_cases.steer). Plain functions, no Bolt objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kit.runtime import Deps
from bot.meetings.attendance import check_in_voter
from bot.votes.objects import want_vote
from storage.models import Meeting, row_id
from storage.votes import (
    VoteRefusal,
    cast_vote,
    round_by_number,
    vote_of,
    why_not_stored,
)


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """What became of a click: stored, refused (why), or a newer click of theirs kept."""

    stored: bool
    refusal: VoteRefusal | None = None
    kept: int | None = None  # the stored value when a newer click won
    rows: tuple[int, ...] = ()  # the ballot, to redraw after the ack


async def record_vote(
    deps: Deps,
    *,
    meeting: Meeting,
    number: int,
    user_id: str,
    score: int,
    clicked: str,
) -> VoteOutcome:
    """Store `score` for the user in round `number`, and in the same transaction ask for the
    ballot to be redrawn: one upsert each. `rows` in the outcome are for the followup."""
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        round_id = await cast_vote(
            session,
            meeting_id=meeting_id,
            round_number=number,
            user_id=user_id,
            value=score,
            action_ts=clicked,
        )
        if round_id is not None and meeting.channel_id:
            ballot = await want_vote(session, deps, meeting, round_id=round_id)
            # The eligible-voter rule: a vote checks its voter in when nobody marked them.
            present = await check_in_voter(session, deps, meeting, user_id)
            return VoteOutcome(stored=True, rows=(ballot, *present))
    if round_id is not None:
        return VoteOutcome(stored=True)
    async with deps.db.session() as session:
        why = await why_not_stored(
            session, meeting_id=meeting_id, round_number=number, user_id=user_id
        )
        scale_round = await round_by_number(session, meeting_id=meeting_id, number=number)
        current = (
            await vote_of(session, round_id=scale_round.id, user_id=user_id)
            if why is None and scale_round is not None and scale_round.id is not None
            else None
        )
    return VoteOutcome(stored=False, refusal=why, kept=current)
