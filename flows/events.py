"""What happened in a meeting move; the Slack layer turns each event into messages."""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Decision
from flows.steps import Step


@dataclass(frozen=True, slots=True)
class MeetingStarted:
    phase: str


@dataclass(frozen=True, slots=True)
class QuestionPosed:
    """`step` is now the current step (a question, the scale or the decision point)."""

    step: Step


@dataclass(frozen=True, slots=True)
class StepSkipped:
    """The meeting moved past `step` without discussing it."""

    step: Step


@dataclass(frozen=True, slots=True)
class ScaleOpened:
    step: Step
    round: int


@dataclass(frozen=True, slots=True)
class ScaleClosed:
    """Voting in `round` is over: time to reveal all scores at once."""

    step: Step
    round: int


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    decision: Decision
    # The phase of the case's next meeting, or None when the case closes.
    next_phase: str | None
    closed: bool
    # The decision this one replaces, when the group changed its mind.
    replaced: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingEnded:
    phase: str
    decision: str | None
    # Without a decision the case stays in `phase`: next_phase == phase, closed is False.
    next_phase: str | None
    closed: bool
    skipped: tuple[str, ...] = ()

    @property
    def decided(self) -> bool:
        return self.decision is not None


Event = (
    MeetingStarted
    | QuestionPosed
    | StepSkipped
    | ScaleOpened
    | ScaleClosed
    | DecisionRecorded
    | MeetingEnded
)
