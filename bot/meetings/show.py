"""Showing a committed meeting move in the case channel: one place for every event of
flows.meeting, in the order the move produced them, then the parent message's progress.

What a move means is worked out once (bot.meetings.use_cases.Applied: the phase, its steps,
the step before and after); each event below is drawn from that. Nothing here writes the
meeting's state: it remembers where messages are, so they can be redrawn later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, assert_never

from slack_sdk.web.async_client import AsyncWebClient

from bot.agreements.blocks import agreement_buttons
from bot.kit.blocks import mention
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from bot.kit.slack import update_message
from bot.meetings.blocks import MeetingView, parent_message, passed_question, question_message
from bot.meetings.summary import post_summary
from bot.meetings.use_cases import Applied, reached_scale
from bot.reports.publish import publish_report
from bot.votes import rounds
from flows.events import (
    DecisionRecorded,
    MeetingEnded,
    MeetingStarted,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from flows.meeting import Status
from storage.meetings import set_messages
from storage.models import Meeting, thread_of


async def show(deps: Deps, client: AsyncWebClient, applied: Applied) -> None:
    """Turn a committed move's events into messages in the meeting thread."""
    for event in applied.events:
        match event:
            case QuestionPosed():
                await _question_posed(deps, client, applied, event)
            case ScaleOpened() | ScaleClosed():
                await _scale_round(deps, client, applied, event)
            case DecisionRecorded():
                await _decision_recorded(deps, client, applied, event)
            case MeetingEnded():
                await _meeting_ended(deps, client, applied, event)
            case MeetingStarted() | StepSkipped():
                pass  # the parent message shows the start; a skip shows on the passed question
            case _:
                assert_never(event)
    await refresh_parent(deps, client, applied)


def _ref(applied: Applied) -> Ref:
    """The buttons drawn now carry the version the move left the meeting at."""
    return Ref(meeting_id=applied.meeting_id, version=applied.meeting.version)


async def _question_posed(
    deps: Deps, client: AsyncWebClient, applied: Applied, event: QuestionPosed
) -> None:
    lang, meeting = deps.settings.language, applied.meeting
    channel, thread_ts = thread_of(meeting)
    previous = applied.previous
    if previous is not None:
        skipped = any(
            isinstance(e, StepSkipped) and e.step.key == previous.key for e in applied.events
        )
        await _redraw_question(
            deps, client, meeting, passed_question(lang, previous, skipped=skipped)
        )
    ref = _ref(applied)
    posted = await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=event.step.text.get(lang),
        blocks=question_message(lang, event.step, ref, decision_chosen=applied.after.decision)
        # Besluitvorming, Afspraken, Afsluitingsplan: the buttons to record agreements.
        + (agreement_buttons(lang, event.step, ref) or []),
    )
    question_ts = str(posted["ts"])
    async with deps.db.session() as session:
        await set_messages(session, meeting_id=applied.meeting_id, question_ts=question_ts)
    meeting.question_ts = question_ts
    after = applied.after
    if reached_scale(applied) and not after.scale_open and after.scale_round > 0:
        # Back at a scale question that was voted on before: offer a new round.
        await rounds.post_back_at_scale(deps, client, meeting=meeting, last_round=after.scale_round)


async def _scale_round(
    deps: Deps, client: AsyncWebClient, applied: Applied, event: ScaleOpened | ScaleClosed
) -> None:
    posed = any(isinstance(e, QuestionPosed) for e in applied.events)
    if not posed and applied.after.status is Status.RUNNING:
        # The move bumped the version: redraw the regisseur's buttons with the new one.
        blocks = question_message(
            deps.settings.language,
            event.step,
            _ref(applied),
            decision_chosen=applied.after.decision,
        )
        await _redraw_question(deps, client, applied.meeting, blocks)
    meeting = applied.meeting
    if isinstance(event, ScaleOpened):
        await rounds.post_ballot(deps, client, meeting=meeting, step=event.step, number=event.round)
    else:
        await rounds.post_results(
            deps, client, meeting=meeting, step=event.step, number=event.round
        )


async def _decision_recorded(
    deps: Deps, client: AsyncWebClient, applied: Applied, event: DecisionRecorded
) -> None:
    lang = deps.settings.language
    if applied.step is not None:
        blocks = question_message(
            lang, applied.step, _ref(applied), decision_chosen=event.decision.key
        )
        await _redraw_question(deps, client, applied.meeting, blocks)
    channel, thread_ts = thread_of(applied.meeting)
    await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=t(
            lang,
            "meeting.decision_recorded",
            decision=event.decision.text.get(lang),
            by=mention(applied.actor),
        ),
    )


async def _meeting_ended(
    deps: Deps, client: AsyncWebClient, applied: Applied, event: MeetingEnded
) -> None:
    if applied.previous is not None:
        blocks = passed_question(deps.settings.language, applied.previous, skipped=False)
        await _redraw_question(deps, client, applied.meeting, blocks)
    await post_summary(deps, client, applied, event)
    await publish_report(deps, client, meeting_id=applied.meeting_id, actor=applied.actor)


async def refresh_parent(deps: Deps, client: AsyncWebClient, applied: Applied) -> None:
    """The parent message's progress line: which section and question, or ended."""
    meeting = applied.meeting
    if not meeting.thread_ts or not meeting.channel_id:
        return
    lang = deps.settings.language
    view = MeetingView(
        code=applied.case.code,
        phase=applied.phase,
        scheduled_at=meeting.scheduled_at or meeting.started_at,
        present=applied.present,
        step=applied.step,
        ended=applied.after.status is Status.ENDED,
    )
    await update_message(
        client,
        channel=meeting.channel_id,
        ts=meeting.thread_ts,
        text=t(lang, "meeting.updated"),
        blocks=parent_message(lang, view, deps.settings.timezone),
        what="meeting message",
    )


async def _redraw_question(
    deps: Deps, client: AsyncWebClient, meeting: Meeting, blocks: Sequence[dict[str, Any]]
) -> None:
    """Redraw the current question's message (the message may have been deleted by someone;
    the meeting goes on without it)."""
    if not meeting.question_ts or not meeting.channel_id:
        return
    await update_message(
        client,
        channel=meeting.channel_id,
        ts=meeting.question_ts,
        text=t(deps.settings.language, "meeting.updated"),
        blocks=blocks,
        what="meeting message",
    )
