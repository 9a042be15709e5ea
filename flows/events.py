"""What happened in a meeting move; the Slack layer turns each event into messages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.model import Decision
from flows.steps import Step


@dataclass(frozen=True, slots=True)
class MeetingStarted:
    phase: str


@dataclass(frozen=True, slots=True)
class QuestionPosed:
    """`step` is now the current step (a question or the scale)."""

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
    """The group decided at a decision question (`decision.question_key`)."""

    decision: Decision
    # The case's phase after this decision, or None when the case closes.
    next_phase: str | None
    closed: bool
    # The branch this one replaces at the same question, when the group changed its mind.
    replaced: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionWithdrawn:
    """`Vorige` went back over a decision: it no longer holds, the group decides again."""

    decision: Decision
    # Where the case stands once the move is done.
    next_phase: str | None
    closed: bool


class Entry(StrEnum):
    """How the meeting came into a phase."""

    BEELDVORMING = "beeldvorming"  # it goes on in the new phase, from its Beeldvorming
    AFSPRAKEN = "afspraken"  # straight to the new phase's Afspraken over samenwerking
    UNDONE = "undone"  # back into the phase it had left: the decision to leave was withdrawn


@dataclass(frozen=True, slots=True)
class PhaseEntered:
    """The meeting goes on in another phase (`left` is the phase it was in)."""

    phase: str
    left: str
    entry: Entry


@dataclass(frozen=True, slots=True)
class MeetingEnded:
    phase: str  # the phase the meeting is in when it ends
    decisions: tuple[str, ...]  # every decision that holds, in the order taken
    # The case's phase from now on, or None when it closes.
    next_phase: str | None
    closed: bool
    skipped: tuple[str, ...] = ()
    # False when it ended before a decision question still ahead (the case stays in its phase).
    decided: bool = True


Event = (
    MeetingStarted
    | QuestionPosed
    | StepSkipped
    | ScaleOpened
    | ScaleClosed
    | DecisionRecorded
    | DecisionWithdrawn
    | PhaseEntered
    | MeetingEnded
)
