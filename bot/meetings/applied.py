"""A committed meeting move and what Slack needs to show it, worked out once per move."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.events import Event, QuestionPosed
from flows.meeting import MeetingState, current_step
from flows.model import Catalogue, Phase
from flows.steps import Step, StepKind, phase_steps
from storage.models import Case, Meeting, row_id


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed move and what Slack needs to show it, worked out once per move."""

    meeting: Meeting
    case: Case
    before: MeetingState
    after: MeetingState
    events: tuple[Event, ...]
    present: Sequence[str]
    phase: Phase
    steps: tuple[Step, ...]
    previous: Step | None  # the step under discussion before the move
    step: Step | None  # the step under discussion after it
    actor: str
    # The outbox rows the move wanted (committed with it): shown by the followup at once;
    # `quiet` ones (the report's files) are left to render without anyone waiting on them.
    rows: tuple[int, ...] = ()
    quiet: tuple[int, ...] = field(default=())

    @property
    def meeting_id(self) -> int:
        return row_id(self.meeting)


def applied_move(
    catalogue: Catalogue,
    *,
    meeting: Meeting,
    case: Case,
    before: MeetingState,
    after: MeetingState,
    events: tuple[Event, ...],
    present: Sequence[str],
    actor: str,
) -> Applied:
    return Applied(
        meeting=meeting,
        case=case,
        before=before,
        after=after,
        events=events,
        present=present,
        # The phase the meeting is in after the move (a decision can take it to another).
        phase=catalogue.phase(after.phase),
        steps=phase_steps(catalogue.phase(after.phase)),
        previous=current_step(catalogue, before),
        step=current_step(catalogue, after),
        actor=actor,
    )


def reached_scale(applied: Applied) -> bool:
    """The move posed the Schaalvraag (as its last question)."""
    posed = [e for e in applied.events if isinstance(e, QuestionPosed)]
    return bool(posed) and posed[-1].step.kind is StepKind.SCALE
