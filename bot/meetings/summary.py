"""The summary posted in the thread when a meeting ends: the minutes per question, the
Schaalvraag's rounds and trend, the decision and what happens next.

Drawn from stored state (the meeting's state, its contributions, the case's scores) when it is
wanted — to know how many messages it takes — and again whenever it is rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.blocks import MESSAGE_BLOCK_LIMIT, local_time
from bot.kit.ids import ObjectKind
from bot.kit.runtime import Deps
from bot.kit.scale_words import scale_title
from bot.meetings.applied import Applied
from bot.meetings.blocks import DecisionLine, Summary, SummaryItem, summary_messages
from bot.meetings.objects import lane, want_in_thread
from bot.votes.blocks import RoundLine, summary_blocks
from bot.votes.scores import scores_of_case
from flows import meeting as machine
from flows.errors import MoveError
from flows.steps import Step, StepKind, step_by_key
from storage.audit import deciders
from storage.contributions import contributions
from storage.meetings import load_state, next_planned
from storage.models import Case, CaseStatus, Meeting, row_id


async def want_summary(session: AsyncSession, deps: Deps, applied: Applied) -> list[int]:
    """The summary's messages, in the ended meeting's thread (in its transaction)."""
    meeting = applied.meeting
    parts = await summary_parts(session, deps, meeting, applied.case)
    key = f"{lane(applied.meeting_id)}:summary"
    return [
        await want_in_thread(
            session,
            deps,
            meeting,
            key=f"{key}:{part}",
            kind=ObjectKind.MEETING_SUMMARY,
            payload={"part": part},
        )
        for part in range(len(parts))
    ]


async def summary_parts(
    session: AsyncSession, deps: Deps, meeting: Meeting, case: Case
) -> list[list[dict[str, Any]]]:
    """The summary's messages, each within Slack's limits."""
    lang, catalogue = deps.settings.language, deps.catalogue
    meeting_id = row_id(meeting)
    state = load_state(meeting)
    phase = catalogue.phase(state.phase)
    # Every question the meeting went through, across the phases it decided to go to.
    steps = machine.walk(catalogue, state)
    replies = await contributions(session, meeting_id=meeting_id)
    by_step: dict[str, list[str]] = {}
    for reply in replies:
        condensed = " ".join((reply.text or "").split())
        by_step.setdefault(reply.step_key, []).append(f"<@{reply.user_id}>: {condensed}")
    outcome = machine.course(catalogue, state)
    # A decision to close closes only on an afsluitingsplan (issue 16): say what happened.
    closing_pending = outcome.closed and case.status != CaseStatus.CLOSED
    summary = Summary(
        code=case.code,
        phase=phase,
        items=[SummaryItem(step, by_step[step.key]) for step in steps if step.key in by_step],
        decisions=await decision_lines(session, deps, meeting),
        next_phase=catalogue.phase(outcome.next_phase) if outcome.next_phase else None,
        closed=outcome.closed and not closing_pending,
        closing_pending=closing_pending,
        skipped=[s for s in steps if s.key in state.skipped],
        phases=[catalogue.phase(key) for key in state.route],
        undecided=_undecided(deps, state),
        **await _next_meeting(session, deps, case),
    )
    scale = await scale_part(session, deps, meeting, steps)
    return with_summary_part(summary_messages(lang, summary), scale)


async def decision_lines(session: AsyncSession, deps: Deps, meeting: Meeting) -> list[DecisionLine]:
    """The meeting's decisions that hold, each at its question with who took it."""
    lang, catalogue = deps.settings.language, deps.catalogue
    state = load_state(meeting)
    by = await deciders(session, meeting_id=row_id(meeting))
    lines = []
    for decision in machine.decisions_taken(catalogue, state):
        step = step_by_key(catalogue, decision.question_key)
        question = step.text.get(lang) if step is not None else decision.question_key
        lines.append(DecisionLine(question, decision.text.get(lang), by.get(decision.key)))
    return lines


def _undecided(deps: Deps, state: machine.MeetingState) -> str | None:
    """The decision question an ended meeting had not decided yet (it ended before it)."""
    if state.status is not machine.Status.ENDED:
        return None
    try:
        waiting = machine.undecided(deps.catalogue, state)
    except MoveError:
        return None
    return waiting.text.get(deps.settings.language) if waiting is not None else None


async def _next_meeting(session: AsyncSession, deps: Deps, case: Case) -> dict[str, Any]:
    """The case's next planned meeting, for the summary's last line (no "plan it" when it is)."""
    planned = await next_planned(session, case_id=row_id(case))
    if planned is None or planned.scheduled_at is None:
        return {}
    lang, tz = deps.settings.language, deps.settings.timezone
    return {
        "next_meeting": local_time(lang, planned.scheduled_at, tz),
        "next_meeting_phase": deps.catalogue.phase(planned.phase),
    }


async def scale_part(
    session: AsyncSession, deps: Deps, meeting: Meeting, steps: Sequence[Step]
) -> list[dict[str, Any]]:
    """The Schaalvraag's lines for the summary: rounds, family view, the case's trend."""
    meeting_id = row_id(meeting)
    rounds, points = await scores_of_case(session, meeting.case_id)
    mine = [RoundLine(r.round, r.tally) for r in rounds if r.meeting_id == meeting_id]
    family = next((r.family for r in rounds if r.meeting_id == meeting_id), None)
    has_scale = any(s.kind is StepKind.SCALE for s in steps)
    if not mine and family is None and not has_scale:
        return []
    lang = deps.settings.language
    latest = next((r.scale for r in reversed(rounds) if r.meeting_id == meeting_id), None)
    scale = scale_title(lang, deps.catalogue, latest) if latest else None
    return summary_blocks(lang, mine, family, points, scale)


def with_summary_part(
    messages: list[list[dict[str, Any]]],
    part: Sequence[dict[str, Any]],
    limit: int = MESSAGE_BLOCK_LIMIT,
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
