"""Moving a meeting: load, apply a pure move from flows.meeting, store, then tell Slack.

The database is the truth: a move is committed first (one UPDATE guarded by the version the
button was drawn at), and only then are messages posted or updated, outside the transaction.
A click on a button from an older version is stale and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError

from bot.blocks.agreements import agreement_buttons
from bot.blocks.meeting import (
    MeetingView,
    Summary,
    SummaryItem,
    parent_message,
    passed_question,
    question_message,
    summary_messages,
)
from bot.i18n import t
from bot.payloads import Ref
from bot.report.publish import publish_report
from bot.runtime import Turn
from flows.errors import MoveError
from flows.events import (
    DecisionRecorded,
    Event,
    MeetingEnded,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from flows.meeting import MeetingState, Transition, current_step
from flows.model import Catalogue
from flows.steps import Step, phase_steps
from storage import audit
from storage.cases import case_by_id, close_case, set_phase
from storage.contributions import contributions
from storage.meetings import (
    dump_state,
    invitees,
    load_state,
    meeting_by_id,
    update_meeting,
)
from storage.models import Case, Meeting, MeetingStatus
from storage.types import utcnow
from storage.votes import close_round, open_round

log = logging.getLogger("casusbot")

Move = Callable[[Catalogue, MeetingState], Transition]


@dataclass
class Applied:
    """A committed move and what Slack needs to show it."""

    meeting: Meeting
    case: Case
    before: MeetingState
    after: MeetingState
    events: tuple[Event, ...]
    present: list[str] = field(default_factory=list)


class Stale(Exception):
    """The button was drawn at an older version of the meeting."""


async def apply_move(turn: Turn, meeting_id: int, version: int | None, move: Move) -> Applied:
    """Commit `move` if `version` is still current; raises Stale or MoveError otherwise."""
    catalogue = turn.deps.catalogue
    async with turn.deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        if meeting is None:
            raise Stale
        if version is not None and version != meeting.version:
            raise Stale
        before = load_state(meeting)
        transition = move(catalogue, before)
        values: dict[str, object] = {"state": dump_state(transition.state)}
        for event in transition.events:
            if isinstance(event, DecisionRecorded):
                values.update(
                    decision=event.decision.key, decided_by=turn.user_id, decided_at=utcnow()
                )
            if isinstance(event, MeetingEnded):
                values.update(status=MeetingStatus.ENDED, ended_at=utcnow())
        if transition.state.status == "running" and meeting.status == MeetingStatus.PLANNED:
            values.update(status=MeetingStatus.RUNNING, started_at=utcnow())
        if not await update_meeting(
            session, meeting_id=meeting.id, expected_version=meeting.version, **values
        ):
            raise Stale
        case = await case_by_id(session, case_id=meeting.case_id)
        assert case is not None  # meeting.case_id is a foreign key
        for event in transition.events:
            if isinstance(event, DecisionRecorded):
                await set_phase(
                    session, case=case, phase=event.next_phase or case.phase, actor=turn.user_id
                )
                await audit.record(
                    session,
                    actor=turn.user_id or "?",
                    action="decision",
                    case_id=case.id,
                    meeting_id=meeting.id,
                    detail=event.decision.key,
                )
            if isinstance(event, MeetingEnded):
                if event.closed:
                    await close_case(session, case=case, actor=turn.user_id)
                elif event.next_phase:
                    await set_phase(session, case=case, phase=event.next_phase, actor=turn.user_id)
                await audit.record(
                    session,
                    actor=turn.user_id or "?",
                    action="meeting_ended",
                    case_id=case.id,
                    meeting_id=meeting.id,
                )
            # The round's row changes with the meeting's state, in the same transaction.
            if isinstance(event, ScaleOpened):
                await open_round(
                    session,
                    meeting_id=meeting.id,
                    number=event.round,
                    step_key=event.step.key,
                    opened_by=turn.user_id or "?",
                )
            if isinstance(event, ScaleClosed):
                await close_round(
                    session,
                    meeting_id=meeting.id,
                    number=event.round,
                    closed_by=turn.user_id or "?",
                )
        present = await invitees(session, meeting_id=meeting.id)
        await session.refresh(meeting)
    return Applied(meeting, case, before, transition.state, transition.events, present)


def move_refusal(turn: Turn, error: MoveError) -> str:
    return turn.t(f"moves.{error.code.value}")


async def show(turn: Turn, applied: Applied) -> None:
    """Turn a committed move's events into messages in the meeting thread."""
    from bot import scale_rounds  # it builds on apply_move, so it imports this module

    applied = await scale_rounds.open_if_at_scale(turn, applied)
    lang = turn.channel_lang
    catalogue = turn.deps.catalogue
    meeting = applied.meeting
    steps = phase_steps(catalogue.phase(meeting.phase))
    previous = steps[applied.before.cursor] if applied.before.status == "running" else None
    skipped = {e.step.key for e in applied.events if isinstance(e, StepSkipped)}
    ref = Ref(meeting_id=meeting.id, version=meeting.version)
    for event in applied.events:
        if isinstance(event, QuestionPosed):
            if previous is not None and meeting.question_ts:
                await _update(
                    turn,
                    meeting,
                    meeting.question_ts,
                    passed_question(lang, previous, skipped=previous.key in skipped),
                )
            posted = await turn.client.chat_postMessage(
                channel=meeting.channel_id,
                thread_ts=meeting.thread_ts,
                text=event.step.text.get(lang),
                blocks=question_message(
                    lang, event.step, ref, decision_chosen=applied.after.decision
                )
                # Besluitvorming, Afspraken, Afsluitingsplan: the buttons to record agreements.
                + (agreement_buttons(lang, event.step, ref) or []),
            )
            await _remember_question(turn, meeting, posted["ts"])
            if scale_rounds.reopened(applied):
                await scale_rounds.show_back_at_scale(turn, applied)
        elif isinstance(event, ScaleOpened | ScaleClosed):
            posed = any(isinstance(e, QuestionPosed) for e in applied.events)
            if not posed and applied.after.status == "running" and meeting.question_ts:
                # The move bumped the version: redraw the regisseur's buttons with the new one.
                await _update(
                    turn,
                    meeting,
                    meeting.question_ts,
                    question_message(lang, event.step, ref, decision_chosen=applied.after.decision),
                )
            await scale_rounds.show_event(turn, applied, event)
        elif isinstance(event, DecisionRecorded):
            step = current_step(catalogue, applied.after)
            if step is not None and meeting.question_ts:
                await _update(
                    turn,
                    meeting,
                    meeting.question_ts,
                    question_message(lang, step, ref, decision_chosen=event.decision.key),
                )
            await turn.client.chat_postMessage(
                channel=meeting.channel_id,
                thread_ts=meeting.thread_ts,
                text=t(
                    lang,
                    "meeting.decision_recorded",
                    decision=event.decision.text.get(lang),
                    by=f"<@{turn.user_id}>",
                ),
            )
        elif isinstance(event, MeetingEnded):
            if previous is not None and meeting.question_ts:
                await _update(
                    turn,
                    meeting,
                    meeting.question_ts,
                    passed_question(lang, previous, skipped=False),
                )
            await post_summary(turn, applied, event)
            await publish_report(
                turn.deps, turn.client, meeting_id=meeting.id, actor=turn.user_id or "?"
            )
    await refresh_parent(turn, applied)


async def refresh_parent(turn: Turn, applied: Applied) -> None:
    meeting = applied.meeting
    if not meeting.thread_ts:
        return
    lang = turn.channel_lang
    view = MeetingView(
        code=applied.case.code,
        phase=turn.deps.catalogue.phase(meeting.phase),
        scheduled_at=meeting.scheduled_at or meeting.started_at,
        present=applied.present,
        step=current_step(turn.deps.catalogue, applied.after),
        ended=applied.after.status == "ended",
    )
    await _update(
        turn, meeting, meeting.thread_ts, parent_message(lang, view, turn.deps.settings.timezone)
    )


async def post_summary(turn: Turn, applied: Applied, ended: MeetingEnded) -> None:
    from bot import scale_rounds

    lang = turn.channel_lang
    catalogue = turn.deps.catalogue
    phase = catalogue.phase(applied.meeting.phase)
    steps = phase_steps(phase)
    async with turn.deps.db.session() as session:
        replies = await contributions(session, meeting_id=applied.meeting.id)
    by_step: dict[str, list[str]] = {}
    for reply in replies:
        condensed = " ".join((reply.text or "").split())
        by_step.setdefault(reply.step_key, []).append(f"<@{reply.user_id}>: {condensed}")
    items = [SummaryItem(step, by_step[step.key]) for step in steps if step.key in by_step]
    decision = phase.decision_point.option(ended.decision) if ended.decision else None
    summary = Summary(
        code=applied.case.code,
        phase=phase,
        items=items,
        decision=decision.text.get(lang) if decision else None,
        decided_by=applied.meeting.decided_by,
        next_phase=catalogue.phase(ended.next_phase) if ended.next_phase else None,
        closed=ended.closed,
        skipped=[s for s in steps if s.key in ended.skipped],
    )
    scale = await scale_rounds.summary_part(turn, applied.meeting, applied.case)
    for blocks in scale_rounds.with_summary_part(summary_messages(lang, summary), scale):
        await turn.client.chat_postMessage(
            channel=applied.meeting.channel_id,
            thread_ts=applied.meeting.thread_ts,
            text=t(lang, "summary.header", code=applied.case.code),
            blocks=blocks,
        )


async def _remember_question(turn: Turn, meeting: Meeting, ts: str) -> None:
    async with turn.deps.db.session() as session:
        stored = await meeting_by_id(session, meeting_id=meeting.id)
        if stored is not None:
            stored.question_ts = ts
            session.add(stored)
    meeting.question_ts = ts


async def _update(turn: Turn, meeting: Meeting, ts: str, blocks: list) -> None:
    try:
        await turn.client.chat_update(
            channel=meeting.channel_id,
            ts=ts,
            blocks=blocks,
            text=t(turn.channel_lang, "meeting.updated"),
        )
    except SlackApiError as error:
        # The message may have been deleted by someone; the meeting goes on without it.
        log.warning("could not update meeting message: %s", error.response.get("error"))


def step_of(catalogue: Catalogue, meeting: Meeting) -> Step | None:
    return current_step(catalogue, load_state(meeting))
