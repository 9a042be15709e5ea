"""The Schaalvraag's use cases: a vote, the family's view, the scores of a case.

A vote is a single upsert that leaves the meeting's version alone (opening and revealing a
round are meeting moves: bot.meetings.use_cases.steer). Plain functions, no Bolt objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.i18n import t
from bot.kit.runtime import Declined, Deps
from bot.votes import ballots
from bot.votes.blocks import family_view_recorded
from flows.meeting import current_step
from flows.scale import RoundScores, Tally, TrendPoint, trend
from flows.steps import StepKind
from storage import audit
from storage.meetings import load_state, meeting_by_id
from storage.models import row_id, thread_of
from storage.votes import (
    VoteRefusal,
    cast_vote,
    closed_rounds_of_case,
    family_views_of_case,
    record_family_view,
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


async def record_vote(
    deps: Deps,
    client: AsyncWebClient,
    *,
    meeting_id: int,
    number: int,
    user_id: str,
    score: int,
    clicked: str,
) -> VoteOutcome:
    """Store `score` for the user in round `number`; a stored vote redraws the ballot."""
    async with deps.db.session() as session:
        round_id = await cast_vote(
            session,
            meeting_id=meeting_id,
            round_number=number,
            user_id=user_id,
            value=score,
            action_ts=clicked,
        )
    if round_id is not None:
        ballots.touch(deps, client, round_id)
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


async def record_family(
    deps: Deps, client: AsyncWebClient, *, meeting_id: int, score: int, text: str, actor: str
) -> None:
    """The family's view (visie van betrokkenen) at the scale question the meeting is at,
    stored apart from the votes and shown in the thread."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        step = current_step(deps.catalogue, load_state(meeting)) if meeting is not None else None
        if meeting is None or step is None or step.kind is not StepKind.SCALE:
            # Moved on or ended while the form was open.
            raise Declined("votes.family_not_running")
        await record_family_view(
            session, meeting_id=meeting_id, step_key=step.key, value=score, text=text, by=actor
        )
        await audit.record(
            session,
            actor=actor,
            action="family_view_recorded",
            case_id=meeting.case_id,
            meeting_id=meeting_id,
        )
    lang = deps.settings.language
    channel, thread_ts = thread_of(meeting)
    for blocks in family_view_recorded(lang, value=score, text=text, by=actor):
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=t(lang, "votes.family_title"), blocks=blocks
        )


async def case_scores(deps: Deps, case_id: int) -> tuple[list[RoundScores], list[TrendPoint]]:
    """Every revealed round of the case with the family's view, and the trend they make."""
    async with deps.db.session() as session:
        rows = await closed_rounds_of_case(session, case_id=case_id)
        families = await family_views_of_case(session, case_id=case_id)
    rounds = [
        RoundScores(
            meeting_id=row_id(meeting),
            held_at=meeting.started_at or meeting.scheduled_at,
            phase=meeting.phase,
            round=scale_round.number,
            tally=Tally.from_counts(counts),
            family=families[row_id(meeting)].value if row_id(meeting) in families else None,
        )
        for meeting, scale_round, counts in rows
    ]
    return rounds, trend(rounds)
