"""The meeting as a pure state machine: each move returns a new state and what happened.

Rules a user will notice:
- One step at a time. `next_step` and `skip_step` cannot pass the decision point until the
  Oordeelsvorming's outcome is recorded, and `jump_to_section` cannot land beyond it either: the
  Besluitvorming builds on that outcome.
- A decision can be recorded from the decision step on, and changed later in the meeting.
- The Afsluitingsplan is only asked when the decision is to close the case; otherwise the
  meeting passes over it.
- No moving on while a scale round is open: close it (and reveal the scores) first.
- A meeting can end without a decision (time ran out), but only when asked explicitly
  (`without_decision=True`); the case then stays in its phase.
- An ended meeting is final: every further move is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar, TypeGuard

from flows.decisions import resolve
from flows.errors import MoveCode, MoveError
from flows.events import (
    DecisionRecorded,
    Event,
    MeetingEnded,
    MeetingStarted,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from flows.model import Catalogue, Decision, Outcome, Phase
from flows.steps import Step, StepKind, decision_index, phase_steps


class Status(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class MeetingState:
    """Everything needed to resume a meeting after a restart; stored as JSON via `to_dict`."""

    phase: str
    status: Status = Status.PLANNED
    cursor: int = 0  # index into phase_steps(phase)
    skipped: tuple[str, ...] = ()  # step keys passed over without discussion, in step order
    scale_round: int = 0  # rounds opened so far; the open or last round's number
    scale_open: bool = False
    decision: str | None = None  # key of the recorded Decision

    FORMAT: ClassVar[int] = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT,
            "phase": self.phase,
            "status": self.status.value,
            "cursor": self.cursor,
            "skipped": list(self.skipped),
            "scale_round": self.scale_round,
            "scale_open": self.scale_open,
            "decision": self.decision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeetingState:
        """Rebuild a stored state; raises ValueError on anything this version did not write."""
        if data.get("format") != cls.FORMAT:
            raise ValueError(f"meeting state format {data.get('format')!r} is not supported")
        phase, status, cursor = data.get("phase"), data.get("status"), data.get("cursor")
        skipped, scale_round = data.get("skipped"), data.get("scale_round")
        scale_open, decision = data.get("scale_open"), data.get("decision")
        if not isinstance(phase, str) or status not in tuple(Status):
            raise ValueError("meeting state needs a phase and a known status")
        if not _is_count(cursor) or not _is_count(scale_round):
            raise ValueError("meeting state cursor and scale_round must be whole numbers >= 0")
        if not isinstance(skipped, list) or not all(isinstance(k, str) for k in skipped):
            raise ValueError("meeting state skipped must be a list of step keys")
        if not isinstance(scale_open, bool) or not (decision is None or isinstance(decision, str)):
            raise ValueError("meeting state scale_open must be a boolean, decision a key or null")
        if scale_open and status != Status.RUNNING:
            raise ValueError("meeting state has a scale round open, but the meeting is not running")
        return cls(
            phase=phase,
            status=Status(status),
            cursor=cursor,
            skipped=tuple(skipped),
            scale_round=scale_round,
            scale_open=scale_open,
            decision=decision,
        )


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True, slots=True)
class Transition:
    state: MeetingState
    events: tuple[Event, ...]


def new_meeting(catalogue: Catalogue, phase: str) -> MeetingState:
    """A planned meeting in `phase`."""
    _phase(catalogue, phase)
    return MeetingState(phase=phase)


def current_step(catalogue: Catalogue, state: MeetingState) -> Step | None:
    """The step under discussion, or None when the meeting is not running."""
    if state.status is not Status.RUNNING:
        return None
    return _steps(catalogue, state)[state.cursor]


def start(catalogue: Catalogue, state: MeetingState) -> Transition:
    if state.status is Status.RUNNING:
        raise MoveError(MoveCode.ALREADY_RUNNING, "the meeting is already running")
    if state.status is Status.ENDED:
        raise MoveError(MoveCode.ENDED, "the meeting has ended")
    steps = _steps(catalogue, replace(state, cursor=0))
    running = replace(state, status=Status.RUNNING, cursor=0)
    return Transition(running, (MeetingStarted(state.phase), QuestionPosed(steps[0])))


def next_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    _refuse_undecided_decision(state, steps)
    return _move(state, steps, _following(phase, state, steps), passed=())


def skip_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Move on without discussing the current step; it is listed in `skipped`."""
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    _refuse_undecided_decision(state, steps)
    here = steps[state.cursor]
    # A recorded decision was discussed, whatever button was pressed to move on.
    passed = () if here.kind is StepKind.DECISION else (here,)
    return _move(state, steps, _following(phase, state, steps), passed=passed)


def previous_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    closing = _closing(phase, state.decision)
    earlier = [s for s in steps[: state.cursor] if _applies(s, closing)]
    if not earlier:
        raise MoveError(MoveCode.AT_FIRST_QUESTION, "this is the first question")
    return _move(state, steps, earlier[-1].index, passed=())


def jump_to_section(catalogue: Catalogue, state: MeetingState, section: str) -> Transition:
    """Go to the first step of `section` (its key or name). Steps jumped over count as skipped."""
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    target = next((s for s in steps if section in (s.section.key, s.section.name)), None)
    if target is None:
        names = ", ".join(dict.fromkeys(s.section.name for s in steps))
        raise MoveError(MoveCode.UNKNOWN_SECTION, f"no section {section!r}; sections: {names}")
    closing = _closing(phase, state.decision)
    if not _applies(target, closing):
        raise MoveError(MoveCode.ONLY_WHEN_CLOSING, f"{target.section.key} is only for closing")
    if state.decision is None and target.index > decision_index(steps):
        raise MoveError(MoveCode.DECISION_REQUIRED, "record the Oordeelsvorming's outcome first")
    between = steps[state.cursor + 1 : target.index]
    return _move(state, steps, target.index, passed=[s for s in between if _applies(s, closing)])


def open_scale(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Open a new voting round on the scale question (a re-vote opens round 2, 3, ...)."""
    _, steps = _running(catalogue, state)
    here = steps[state.cursor]
    if here.kind is not StepKind.SCALE:
        raise MoveError(MoveCode.NOT_AT_SCALE, "the current step is not the scale question")
    _refuse_open_scale(state)
    opened = replace(state, scale_round=state.scale_round + 1, scale_open=True)
    return Transition(opened, (ScaleOpened(here, opened.scale_round),))


def close_scale(catalogue: Catalogue, state: MeetingState) -> Transition:
    _, steps = _running(catalogue, state)
    if not state.scale_open:
        raise MoveError(MoveCode.SCALE_NOT_OPEN, "no scale round is open")
    closed = replace(state, scale_open=False)
    return Transition(closed, (ScaleClosed(steps[state.cursor], state.scale_round),))


def record_decision(catalogue: Catalogue, state: MeetingState, decision: str) -> Transition:
    """Record the Oordeelsvorming's outcome (its key or name); recording again changes it."""
    phase, steps = _running(catalogue, state)
    if state.cursor < decision_index(steps):
        raise MoveError(MoveCode.DECISION_NOT_REACHED, "finish the Oordeelsvorming questions first")
    chosen = phase.decision_point.option(decision)
    if chosen is None:
        names = ", ".join(d.name for d in phase.decisions)
        raise MoveError(MoveCode.UNKNOWN_DECISION, f"no outcome {decision!r}; outcomes: {names}")
    if chosen.key == state.decision:
        return Transition(state, ())  # a double click, not a change of mind
    if not _applies(steps[state.cursor], chosen.outcome is Outcome.CLOSE):
        raise MoveError(
            MoveCode.ONLY_WHEN_CLOSING,
            "the current step is only for closing; go back before choosing another outcome",
        )
    outcome = resolve(phase, chosen)
    recorded = DecisionRecorded(chosen, outcome.next_phase, outcome.closed, replaced=state.decision)
    return Transition(replace(state, decision=chosen.key), (recorded,))


def end_meeting(
    catalogue: Catalogue, state: MeetingState, *, without_decision: bool = False
) -> Transition:
    """End the meeting. Without a recorded decision this needs `without_decision=True`, and the
    case then stays in its phase. An open scale round is closed first."""
    phase, steps = _running(catalogue, state)
    if state.decision is None and not without_decision:
        raise MoveError(
            MoveCode.DECISION_REQUIRED,
            "no outcome recorded; end with without_decision=True to keep the case in its phase",
        )
    events: list[Event] = []
    if state.scale_open:
        events.append(ScaleClosed(steps[state.cursor], state.scale_round))
    chosen = _decision(phase, state.decision)
    next_phase: str | None
    if chosen is None:
        next_phase, closed = phase.key, False
    else:
        outcome = resolve(phase, chosen)
        next_phase, closed = outcome.next_phase, outcome.closed
    events.append(MeetingEnded(phase.key, state.decision, next_phase, closed, state.skipped))
    ended = replace(state, status=Status.ENDED, scale_open=False)
    return Transition(ended, tuple(events))


# --- helpers -----------------------------------------------------------------------------------


def _phase(catalogue: Catalogue, key: str) -> Phase:
    try:
        return catalogue.phase(key)
    except KeyError:
        raise MoveError(MoveCode.UNKNOWN_PHASE, f"no phase {key!r} in the catalogue") from None


def _steps(catalogue: Catalogue, state: MeetingState) -> tuple[Step, ...]:
    steps = phase_steps(_phase(catalogue, state.phase))
    # A stored state read back against a catalogue whose maatwerk changed since.
    if not 0 <= state.cursor < len(steps):
        raise MoveError(MoveCode.STATE_MISMATCH, "the stored cursor does not fit this catalogue")
    phase = catalogue.phase(state.phase)
    if state.decision is not None and _decision(phase, state.decision) is None:
        raise MoveError(MoveCode.STATE_MISMATCH, "the stored decision does not fit this catalogue")
    return steps


def _running(catalogue: Catalogue, state: MeetingState) -> tuple[Phase, tuple[Step, ...]]:
    if state.status is Status.PLANNED:
        raise MoveError(MoveCode.NOT_RUNNING, "the meeting has not started")
    if state.status is Status.ENDED:
        raise MoveError(MoveCode.ENDED, "the meeting has ended")
    steps = _steps(catalogue, state)
    return catalogue.phase(state.phase), steps


def _decision(phase: Phase, key: str | None) -> Decision | None:
    return None if key is None else phase.decision_point.option(key)


def _closing(phase: Phase, decision: str | None) -> bool:
    chosen = _decision(phase, decision)
    return chosen is not None and chosen.outcome is Outcome.CLOSE


def _applies(step: Step, closing: bool) -> bool:
    return closing or not step.only_if_closing


def _refuse_open_scale(state: MeetingState) -> None:
    if state.scale_open:
        raise MoveError(MoveCode.SCALE_OPEN, "close the scale round first")


def _refuse_undecided_decision(state: MeetingState, steps: tuple[Step, ...]) -> None:
    if steps[state.cursor].kind is StepKind.DECISION and state.decision is None:
        raise MoveError(MoveCode.DECISION_REQUIRED, "record the Oordeelsvorming's outcome first")


def _following(phase: Phase, state: MeetingState, steps: tuple[Step, ...]) -> int:
    closing = _closing(phase, state.decision)
    later = (s for s in steps[state.cursor + 1 :] if _applies(s, closing))
    step = next(later, None)
    if step is None:
        raise MoveError(MoveCode.AT_LAST_QUESTION, "this is the last question")
    return step.index


def _move(
    state: MeetingState, steps: tuple[Step, ...], target: int, *, passed: Iterable[Step]
) -> Transition:
    passed = tuple(passed)
    # Posing a step again takes it off the skipped list: it is being discussed after all.
    skipped = (set(state.skipped) | {s.key for s in passed}) - {steps[target].key}
    ordered = tuple(s.key for s in steps if s.key in skipped)
    moved = replace(state, cursor=target, skipped=ordered)
    events: list[Event] = [StepSkipped(s) for s in passed]
    events.append(QuestionPosed(steps[target]))
    return Transition(moved, tuple(events))
