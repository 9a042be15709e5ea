"""The Schaalvraag in a running meeting: rounds opened and revealed, the live voting message,
and the scores for the summary and the trend.

Opening and revealing a round are meeting moves (flows.meeting.open_scale / close_scale), so
they go through bot.meeting_flow.apply_move like every other move; the round's row is written
in that same transaction. Votes are not moves: they are single upserts (storage.votes) that
leave the meeting's version alone, so the regisseur's buttons stay valid while people vote.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.votes import (
    Ballot,
    Results,
    RoundLine,
    back_at_scale,
    results_messages,
    summary_blocks,
    voting_message,
)
from bot.i18n import t
from bot.runtime import Deps, Turn
from flows import meeting as machine
from flows.errors import MoveError
from flows.events import QuestionPosed, ScaleClosed, ScaleOpened
from flows.scale import RoundScores, Tally, TrendPoint, trend
from flows.steps import Step, StepKind, phase_steps
from storage.meetings import meeting_by_id
from storage.models import Case, Meeting
from storage.votes import (
    closed_rounds_of_case,
    eligible_voters,
    family_views_of_case,
    round_by_id,
    round_by_number,
    set_round_messages,
    voters,
    votes,
)

if TYPE_CHECKING:
    from bot.meeting_flow import Applied

log = logging.getLogger("casusbot")


def scale_step(deps: Deps, meeting: Meeting, step_key: str) -> Step | None:
    steps = phase_steps(deps.catalogue.phase(meeting.phase))
    return next((s for s in steps if s.key == step_key and s.kind is StepKind.SCALE), None)


# --- opening a round when the meeting reaches the Schaalvraag ----------------------------------


async def open_if_at_scale(turn: Turn, applied: Applied) -> Applied:
    """A move that lands on the Schaalvraag for the first time opens voting round 1 at once.

    It is a second committed move; if someone moved the meeting in between, it is simply not
    opened (their move is shown instead). Returning to a scale question that was voted on
    before opens nothing: the regisseur can start a new round from the thread.
    """
    from bot.meeting_flow import Applied, Stale, apply_move

    posed = [e for e in applied.events if isinstance(e, QuestionPosed)]
    after = applied.after
    if not posed or posed[-1].step.kind is not StepKind.SCALE:
        return applied
    if after.scale_open or after.scale_round > 0:
        return applied
    try:
        opened = await apply_move(
            turn, applied.meeting.id, applied.meeting.version, machine.open_scale
        )
    except (Stale, MoveError):
        return applied
    return Applied(
        opened.meeting,
        opened.case,
        applied.before,
        opened.after,
        applied.events + opened.events,
        opened.present,
    )


# --- showing rounds ----------------------------------------------------------------------------


async def show_event(turn: Turn, applied: Applied, event: ScaleOpened | ScaleClosed) -> None:
    deps, meeting = turn.deps, applied.meeting
    async with deps.db.session() as session:
        scale_round = await round_by_number(session, meeting_id=meeting.id, number=event.round)
    if scale_round is None or scale_round.id is None:
        log.warning("no stored round %s for meeting %s", event.round, meeting.id)
        return
    if isinstance(event, ScaleOpened):
        await _post_ballot(turn, applied, scale_round.id, event)
    else:
        ballots(deps).touch(deps, turn.client, scale_round.id)
        await _post_results(turn, applied, scale_round.id, event)


async def show_back_at_scale(turn: Turn, applied: Applied) -> None:
    """The meeting went back to a scale question that already has rounds: offer a new one."""
    meeting, after = applied.meeting, applied.after
    await turn.client.chat_postMessage(
        channel=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        text=t(turn.channel_lang, "votes.back_at_scale"),
        blocks=back_at_scale(turn.channel_lang, meeting.id, after.scale_round),
    )


async def _post_ballot(turn: Turn, applied: Applied, round_id: int, event: ScaleOpened) -> None:
    deps, meeting, lang = turn.deps, applied.meeting, turn.channel_lang
    async with deps.db.session() as session:
        eligible = await eligible_voters(session, meeting_id=meeting.id, case_id=meeting.case_id)
    ballot = Ballot(event.step, meeting.id, event.round, voters=(), eligible=len(eligible))
    posted = await turn.client.chat_postMessage(
        channel=meeting.channel_id,
        thread_ts=meeting.thread_ts,
        text=t(lang, "votes.header", round=event.round),
        blocks=voting_message(lang, ballot),
    )
    async with deps.db.session() as session:
        await set_round_messages(session, round_id=round_id, message_ts=posted["ts"])
    # Votes that came in before the message's ts was stored are shown now.
    ballots(deps).touch(deps, turn.client, round_id)


async def _post_results(turn: Turn, applied: Applied, round_id: int, event: ScaleClosed) -> None:
    deps, meeting, lang = turn.deps, applied.meeting, turn.channel_lang
    async with deps.db.session() as session:
        scores = await votes(session, round_id=round_id)
        eligible = await eligible_voters(session, meeting_id=meeting.id, case_id=meeting.case_id)
    results = Results(
        step=event.step,
        meeting_id=meeting.id,
        round=event.round,
        votes=scores,
        eligible=len(eligible),
        spread_threshold=deps.settings.spread_threshold,
    )
    first_ts = None
    for blocks in results_messages(lang, results):
        posted = await turn.client.chat_postMessage(
            channel=meeting.channel_id,
            thread_ts=meeting.thread_ts,
            text=t(lang, "votes.results_header", round=event.round),
            blocks=blocks,
        )
        first_ts = first_ts or posted["ts"]
    async with deps.db.session() as session:
        await set_round_messages(session, round_id=round_id, results_ts=first_ts)


# --- the live voting message -------------------------------------------------------------------


class LiveBallots:
    """Keeps each round's voting message equal to what is stored, however many clicks arrive.

    One refresh loop per round (per process): it reads who voted from the database and then
    updates the message. A vote stored while a refresh is under way asks for one more pass, so
    the last update always reads after the last vote. Two hundred clicks cost a handful of
    chat.update calls instead of two hundred (Slack rate-limits chat.update).
    """

    def __init__(self) -> None:
        self._busy: set[int] = set()
        self._again: set[int] = set()

    def touch(self, deps: Deps, client: AsyncWebClient, round_id: int) -> None:
        if round_id in self._busy:
            self._again.add(round_id)
            return
        self._busy.add(round_id)
        deps.tasks.spawn(self._run(deps, client, round_id), name=f"ballot_{round_id}")

    async def _run(self, deps: Deps, client: AsyncWebClient, round_id: int) -> None:
        try:
            while True:
                self._again.discard(round_id)
                try:
                    await refresh_ballot(deps, client, round_id)
                except Exception:
                    log.exception("could not refresh the voting message of round %s", round_id)
                if round_id not in self._again:
                    return
        finally:
            self._busy.discard(round_id)


def ballots(deps: Deps) -> LiveBallots:
    found = deps.extras.get("ballots")
    if not isinstance(found, LiveBallots):
        found = deps.extras["ballots"] = LiveBallots()
    return found


async def refresh_ballot(deps: Deps, client: AsyncWebClient, round_id: int) -> None:
    async with deps.db.session() as session:
        scale_round = await round_by_id(session, round_id=round_id)
        meeting = (
            await meeting_by_id(session, meeting_id=scale_round.meeting_id)
            if scale_round is not None
            else None
        )
        if scale_round is None or meeting is None or not scale_round.message_ts:
            return
        who = await voters(session, round_id=round_id)
        eligible = await eligible_voters(session, meeting_id=meeting.id, case_id=meeting.case_id)
    step = scale_step(deps, meeting, scale_round.step_key)
    if step is None:
        return
    lang = deps.settings.language
    ballot = Ballot(
        step,
        meeting.id,
        scale_round.number,
        voters=who,
        eligible=len(eligible),
        open=scale_round.closed_at is None,
    )
    try:
        await client.chat_update(
            channel=meeting.channel_id,
            ts=scale_round.message_ts,
            text=t(lang, "votes.header", round=scale_round.number),
            blocks=voting_message(lang, ballot),
        )
    except SlackApiError as error:
        log.warning("could not update voting message: %s", error.response.get("error"))


# --- summary and trend -------------------------------------------------------------------------


async def case_scores(deps: Deps, case_id: int) -> tuple[list[RoundScores], list[TrendPoint]]:
    async with deps.db.session() as session:
        rows = await closed_rounds_of_case(session, case_id=case_id)
        families = await family_views_of_case(session, case_id=case_id)
    rounds = [
        RoundScores(
            meeting_id=meeting.id or 0,
            held_at=meeting.started_at or meeting.scheduled_at,
            phase=meeting.phase,
            round=scale_round.number,
            tally=Tally.from_counts(counts),
            family=families[meeting.id].value if meeting.id in families else None,
        )
        for meeting, scale_round, counts in rows
    ]
    return rounds, trend(rounds)


async def summary_part(turn: Turn, meeting: Meeting, case: Case) -> list[dict[str, Any]]:
    """The Schaalvraag's lines for the meeting summary: rounds, family view, the case's trend."""
    rounds, points = await case_scores(turn.deps, case.id or 0)
    mine = [RoundLine(r.round, r.tally) for r in rounds if r.meeting_id == meeting.id]
    family = next((r.family for r in rounds if r.meeting_id == meeting.id), None)
    if not mine and family is None and not _has_scale(turn.deps, meeting):
        return []
    return summary_blocks(turn.channel_lang, mine, family, points)


def _has_scale(deps: Deps, meeting: Meeting) -> bool:
    steps = phase_steps(deps.catalogue.phase(meeting.phase))
    return any(s.kind is StepKind.SCALE for s in steps)


def with_summary_part(
    messages: list[list[dict[str, Any]]], part: Sequence[dict[str, Any]], limit: int = 50
) -> list[list[dict[str, Any]]]:
    """Put the scale part before the summary's closing divider (decision and what next)."""
    if not part:
        return messages
    last = list(messages[-1])
    if len(last) + len(part) > limit:
        return [*messages, list(part)]
    dividers = [i for i, block in enumerate(last) if block.get("type") == "divider"]
    at = dividers[-1] if dividers else len(last)
    return [*messages[:-1], last[:at] + list(part) + last[at:]]


def reopened(applied: Applied) -> bool:
    """The move landed on a scale question that already had rounds (and none is open)."""
    posed = [e for e in applied.events if isinstance(e, QuestionPosed)]
    return bool(
        posed
        and posed[-1].step.kind is StepKind.SCALE
        and not applied.after.scale_open
        and applied.after.scale_round > 0
    )
