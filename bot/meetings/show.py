"""What Slack must show for a committed meeting move: one place for every event of
flows.meeting, in the order the move produced them.

Runs in the move's own transaction (DESIGN §2): each event asks for the outbox rows that show
it — a new post in the meeting's thread, or a redraw of one already there — so the move and the
promise to show it commit together. The renderers (bot.meetings.render and the votes, reports
and agreements features) draw every row from the stored state when it goes out; this module
decides only WHICH objects a move touches. Every move redraws the question that was current
(its buttons carry the meeting's version, or it becomes a passed question) and the parent
message's progress line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.objects import bump
from bot.kit.runtime import Deps, Turn
from bot.meetings.applied import Applied, reached_scale
from bot.meetings.objects import (
    bump_case_plannings,
    bump_planning,
    current_question,
    lane,
    parent_key,
    want_in_thread,
    want_parent,
)
from bot.meetings.summary import want_summary
from bot.prep.summary import want_prep_summary
from bot.reports.objects import want_report
from bot.votes.objects import bump_ballot, want_back_at_scale, want_ballot, want_results
from flows.events import (
    DecisionRecorded,
    DecisionWithdrawn,
    MeetingEnded,
    MeetingStarted,
    PhaseEntered,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from storage.slack_objects import object_by_key


async def project(session: AsyncSession, deps: Deps, applied: Applied) -> Applied:
    """Want the rows that show `applied` (in its transaction); `applied` with their ids."""
    meeting, meeting_id = applied.meeting, applied.meeting_id
    version = meeting.version  # after the move: unique per move, so a key per post
    rows: list[int] = []
    quiet: list[int] = []
    was_current = await current_question(session, meeting_id)
    if was_current is not None:
        rows.append(await bump(session, deps, was_current))
    posed = [i for i, e in enumerate(applied.events) if isinstance(e, QuestionPosed)]
    for index, event in enumerate(applied.events):
        key = f"{lane(meeting_id)}:v{version}:{index}"
        match event:
            case MeetingStarted():
                channel = applied.case.channel_id
                rows.append(await want_parent(session, deps, meeting, channel))
                overview = f"{lane(meeting_id)}:overview"
                rows.append(
                    await want_in_thread(
                        session, deps, meeting, key=overview, kind=ObjectKind.MEETING_OVERVIEW
                    )
                )
                rows += await bump_planning(session, deps, meeting_id)
                # Other planned meetings lose their Start button while this one runs.
                case_id = meeting.case_id
                rows += await bump_case_plannings(session, deps, case_id, but=meeting_id)
            case QuestionPosed():
                # The Beeldvorming opens with the regisseurs' summary of the prep.
                rows += await want_prep_summary(session, deps, meeting, event.step)
                question = ObjectKind.MEETING_QUESTION
                # The phase too: a meeting can go on in another phase, whose steps these are.
                step = {"step": event.step.index, "phase": event.step.phase_key}
                rows.append(
                    await want_in_thread(
                        session, deps, meeting, key=key, kind=question, payload=step
                    )
                )
                after = applied.after
                last = index == posed[-1]
                voted = event.step.key in after.scales
                if last and reached_scale(applied) and not after.scale_open and voted:
                    # Back at a scale question that was voted on before: offer a new round.
                    rows.append(
                        await want_back_at_scale(
                            session, deps, meeting, key=f"{key}:back", last_round=after.scale_round
                        )
                    )
            case ScaleOpened():
                rows.append(await want_ballot(session, deps, meeting, number=event.round))
            case ScaleClosed():
                rows += await bump_ballot(session, deps, meeting_id, number=event.round)
                rows += await want_results(session, deps, meeting, number=event.round)
            case DecisionRecorded() | DecisionWithdrawn():
                # The thread says what was decided at which question, or withdrawn, and by whom.
                note = {
                    "note": "recorded" if isinstance(event, DecisionRecorded) else "withdrawn",
                    # Ids of at most 64 characters: the question's key and the branch's name.
                    "question": event.decision.question_key,
                    "option": event.decision.name,
                    "by": applied.actor,
                }
                rows.append(
                    await want_in_thread(
                        session,
                        deps,
                        meeting,
                        key=key,
                        kind=ObjectKind.MEETING_DECISION,
                        payload=note,
                    )
                )
            case PhaseEntered():
                note = {
                    "note": "entered",
                    "phase": event.phase,
                    "left": event.left,
                    "entry": event.entry.value,
                    "by": applied.actor,
                }
                rows.append(
                    await want_in_thread(
                        session,
                        deps,
                        meeting,
                        key=key,
                        kind=ObjectKind.MEETING_DECISION,
                        payload=note,
                    )
                )
            case MeetingEnded():
                rows += await want_summary(session, deps, applied)
                rows += await bump_case_plannings(session, deps, meeting.case_id)
                quiet += await want_report(session, deps, meeting, by=applied.actor)
            case StepSkipped():
                pass  # a skip shows on the passed question
            case _:
                assert_never(event)
    if not any(isinstance(e, MeetingStarted) for e in applied.events):
        rows += await _parent(session, deps, applied)
    return _with_rows(applied, rows, quiet)


async def _parent(session: AsyncSession, deps: Deps, applied: Applied) -> list[int]:
    """The parent message's progress line follows every move."""
    row = await object_by_key(session, key=parent_key(applied.meeting_id))
    return [await bump(session, deps, row)] if row is not None else []


def _with_rows(applied: Applied, rows: list[int], quiet: list[int]) -> Applied:
    return replace(
        applied,
        rows=tuple(dict.fromkeys([*applied.rows, *rows])),
        quiet=tuple(dict.fromkeys([*applied.quiet, *quiet])),
    )


async def show_move(turn: Turn, applied: Applied) -> None:
    """After the ack: the move's rows, the next question first (the outbox posts before it
    updates); the report's files follow on their own."""
    await turn.show(applied.rows, quiet=applied.quiet)
