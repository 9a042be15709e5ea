"""The Schaalvraag's rounds in the meeting thread: the ballot when a round opens, the results
when it is revealed, and the offer of a new round when the meeting returns to the question.
Called by bot.meetings.show, which renders every event of a meeting move."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.votes import ballots
from bot.votes.blocks import Ballot, Results, back_at_scale, results_messages, voting_message
from flows.steps import Step
from storage.models import Meeting, row_id, thread_of
from storage.votes import eligible_voters, round_by_number, set_round_messages, votes

log = logging.getLogger("casusbot")


async def _round_id(deps: Deps, meeting: Meeting, number: int) -> int | None:
    async with deps.db.session() as session:
        scale_round = await round_by_number(session, meeting_id=row_id(meeting), number=number)
    if scale_round is None or scale_round.id is None:
        log.warning("no stored round %s for meeting %s", number, meeting.id)
        return None
    return scale_round.id


async def post_ballot(
    deps: Deps, client: AsyncWebClient, *, meeting: Meeting, step: Step, number: int
) -> None:
    round_id = await _round_id(deps, meeting, number)
    if round_id is None:
        return
    lang, (channel, thread_ts) = deps.settings.language, thread_of(meeting)
    async with deps.db.session() as session:
        eligible = await eligible_voters(
            session, meeting_id=row_id(meeting), case_id=meeting.case_id
        )
    ballot = Ballot(step, row_id(meeting), number, voters=(), eligible=len(eligible))
    posted = await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=t(lang, "votes.header", round=number),
        blocks=voting_message(lang, ballot),
    )
    async with deps.db.session() as session:
        await set_round_messages(session, round_id=round_id, message_ts=posted["ts"])
    # Votes that came in before the message's ts was stored are shown now.
    ballots.touch(deps, client, round_id)


async def post_results(
    deps: Deps, client: AsyncWebClient, *, meeting: Meeting, step: Step, number: int
) -> None:
    round_id = await _round_id(deps, meeting, number)
    if round_id is None:
        return
    ballots.touch(deps, client, round_id)  # the voting message loses its buttons
    lang, (channel, thread_ts) = deps.settings.language, thread_of(meeting)
    async with deps.db.session() as session:
        scores = await votes(session, round_id=round_id)
        eligible = await eligible_voters(
            session, meeting_id=row_id(meeting), case_id=meeting.case_id
        )
    results = Results(
        step=step,
        meeting_id=row_id(meeting),
        round=number,
        votes=scores,
        eligible=len(eligible),
        spread_threshold=deps.settings.spread_threshold,
    )
    first_ts = None
    for blocks in results_messages(lang, results):
        posted = await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=t(lang, "votes.results_header", round=number),
            blocks=blocks,
        )
        first_ts = first_ts or posted["ts"]
    async with deps.db.session() as session:
        await set_round_messages(session, round_id=round_id, results_ts=first_ts)


async def post_back_at_scale(
    deps: Deps, client: AsyncWebClient, *, meeting: Meeting, last_round: int
) -> None:
    """The meeting went back to a scale question that already has rounds: offer a new one."""
    lang, (channel, thread_ts) = deps.settings.language, thread_of(meeting)
    await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=t(lang, "votes.back_at_scale"),
        blocks=back_at_scale(lang, row_id(meeting), last_round),
    )
