"""The meeting as a pure state machine: each move returns a new state and what happened.

Rules a user will notice:
- One step at a time. The guideline's decision points are questions ("Zijn er nog zorgen om de
  directe veiligheid of kunnen we gaan werken aan de risico's?"): the group decides AT that
  question, one branch per button, and cannot move past it (next, skip, jump) undecided.
- "Ga door hieronder" goes on with the next question; "ga door/terug naar de fase van ..." leaves
  this phase: the meeting goes on in the new phase from its Beeldvorming (`next_step`) or straight
  to its Afspraken over samenwerking (`to_agreements`). A phase the meeting left is never asked
  again in that meeting, and no branch leads back into it. "Indien nee, ga door naar
  besluitvorming en maak een afsluitingsplan" goes on at the next section and adds the
  Afsluitingsplan, which is asked only then.
- `previous_step` over a decision withdraws it (back at the decision question, the group decides
  again); from the first question of a phase the meeting moved to, it goes back to the question
  where it decided to move, and that decision is withdrawn too.
- No moving on while a scale round is open: close it (and reveal the scores) first. Each phase
  has its own Schaalvraag; `scales` lists the ones voted on in this meeting.
- A meeting can end before a decision question still ahead of it (time ran out), but only when
  asked explicitly (`without_decision=True`); the case then stays where it is.
- An ended meeting is final: every further move is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar, TypeGuard

from flows.decisions import AGREEMENTS_SECTION, Resolution
from flows.errors import MoveCode, MoveError
from flows.events import (
    DecisionRecorded,
    DecisionWithdrawn,
    Entry,
    Event,
    MeetingEnded,
    MeetingStarted,
    PhaseEntered,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from flows.model import Catalogue, Decision, Outcome, Phase
from flows.steps import Step, StepKind, entry_index, phase_steps, section_index


class Status(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class MeetingState:
    """Everything needed to resume a meeting after a restart; stored as JSON via `to_dict`."""

    phase: str  # the phase the meeting is in now
    status: Status = Status.PLANNED
    cursor: int = 0  # index into phase_steps(phase)
    start: int = 0  # where the meeting's walk of `phase` began: 0, its Beeldvorming or Afspraken
    # The phases the meeting moved out of, in order, each with where its walk began.
    left: tuple[tuple[str, int], ...] = ()
    skipped: tuple[str, ...] = ()  # step keys passed over without discussion, in walk order
    scale_round: int = 0  # rounds opened so far; the open or last round's number
    scale_open: bool = False
    scales: tuple[str, ...] = ()  # the scale questions a round was opened on
    decisions: tuple[str, ...] = ()  # keys of the branches decided, in the order taken

    FORMAT: ClassVar[int] = 2

    @property
    def left_phases(self) -> tuple[str, ...]:
        return tuple(phase for phase, _ in self.left)

    @property
    def first_phase(self) -> str:
        """The phase the meeting began in."""
        return self.left[0][0] if self.left else self.phase

    @property
    def route(self) -> tuple[str, ...]:
        return (*self.left_phases, self.phase)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT,
            "phase": self.phase,
            "status": self.status.value,
            "cursor": self.cursor,
            "start": self.start,
            "left": [[phase, start] for phase, start in self.left],
            "skipped": list(self.skipped),
            "scale_round": self.scale_round,
            "scale_open": self.scale_open,
            "scales": list(self.scales),
            "decisions": list(self.decisions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeetingState:
        """Rebuild a stored state; raises ValueError on anything this version did not write."""
        if data.get("format") != cls.FORMAT:
            raise ValueError(f"meeting state format {data.get('format')!r} is not supported")
        phase, status, cursor = data.get("phase"), data.get("status"), data.get("cursor")
        start, left = data.get("start"), data.get("left")
        skipped, scale_round = data.get("skipped"), data.get("scale_round")
        scale_open, scales = data.get("scale_open"), data.get("scales")
        decisions = data.get("decisions")
        if not isinstance(phase, str) or status not in tuple(Status):
            raise ValueError("meeting state needs a phase and a known status")
        if not _is_count(cursor) or not _is_count(scale_round) or not _is_count(start):
            raise ValueError("meeting state cursor, start and scale_round must be whole numbers")
        if start > cursor:
            raise ValueError("meeting state starts its walk after its cursor")
        if not isinstance(left, list) or not all(_is_leg(leg) for leg in left):
            raise ValueError("meeting state left must be a list of [phase, start] pairs")
        for name, keys in (("skipped", skipped), ("scales", scales), ("decisions", decisions)):
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise ValueError(f"meeting state {name} must be a list of keys")
        if not isinstance(scale_open, bool):
            raise ValueError("meeting state scale_open must be a boolean")
        if scale_open and status != Status.RUNNING:
            raise ValueError("meeting state has a scale round open, but the meeting is not running")
        route = [leg[0] for leg in left] + [phase]
        if len(set(route)) != len(route):
            raise ValueError("meeting state enters a phase twice")
        return cls(
            phase=phase,
            status=Status(status),
            cursor=cursor,
            start=start,
            left=tuple((leg[0], leg[1]) for leg in left),
            skipped=tuple(skipped),  # type: ignore[arg-type]  # checked above
            scale_round=scale_round,
            scale_open=scale_open,
            scales=tuple(scales),  # type: ignore[arg-type]  # checked above
            decisions=tuple(decisions),  # type: ignore[arg-type]  # checked above
        )


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_leg(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and _is_count(value[1])
    )


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


# --- what a state means (for the Slack layer and the record) -------------------------------------


def decisions_taken(catalogue: Catalogue, state: MeetingState) -> tuple[Decision, ...]:
    """The decisions that hold, in the order they were taken."""
    found = (catalogue.option(key) for key in state.decisions)
    return tuple(d for d in found if d is not None)


def decision_at(catalogue: Catalogue, state: MeetingState, question_key: str) -> Decision | None:
    return next(
        (d for d in decisions_taken(catalogue, state) if d.question_key == question_key), None
    )


def options_at(catalogue: Catalogue, state: MeetingState, step: Step) -> tuple[Decision, ...]:
    """The branches the group can choose at `step`: none that lead back into a phase this
    meeting already left."""
    left = set(state.left_phases)
    return tuple(d for d in step.options if d.target not in left)


def moving_to(catalogue: Catalogue, state: MeetingState) -> Decision | None:
    """The decision at the current question to leave this phase, before the meeting follows it."""
    step = current_step(catalogue, state)
    chosen = decision_at(catalogue, state, step.key) if step is not None else None
    return chosen if chosen is not None and chosen.outcome.moves else None


def course(catalogue: Catalogue, state: MeetingState) -> Resolution:
    """Where the case stands by this meeting's decisions: its phase, or closed."""
    mine = [d for d in decisions_taken(catalogue, state) if d.phase_key == state.phase]
    if any(d.outcome is Outcome.CLOSE for d in mine):
        return Resolution(next_phase=None, closed=True)
    if state.status is Status.RUNNING:
        leaving = moving_to(catalogue, state)
        if leaving is not None:
            return Resolution(next_phase=leaving.target, closed=False)
    elif mine and mine[-1].outcome.moves:
        return Resolution(next_phase=mine[-1].target, closed=False)
    return Resolution(next_phase=state.phase, closed=False)


def walk(catalogue: Catalogue, state: MeetingState) -> tuple[Step, ...]:
    """The meeting's questions in order across its phases: what it asked and, in its current
    phase, what lies ahead; never the questions a decision passed by."""
    steps: list[Step] = []
    for phase_key, start in (*state.left, (state.phase, state.start)):
        phase = catalogue.phase(phase_key)
        all_steps = phase_steps(phase)
        path, _ = _path(all_steps, start, _decided_in(catalogue, state, phase))
        steps += [all_steps[i] for i in path]
    return tuple(steps)


def undecided(catalogue: Catalogue, state: MeetingState) -> Step | None:
    """The decision question this phase's walk still waits for, if any."""
    phase, steps = catalogue.phase(state.phase), _steps(catalogue, state)
    path, end = _path(steps, state.start, _decided_in(catalogue, state, phase))
    return steps[path[-1]] if end is _End.WALL else None


# --- moves -------------------------------------------------------------------------------------


def start(catalogue: Catalogue, state: MeetingState) -> Transition:
    if state.status is Status.RUNNING:
        raise MoveError(MoveCode.ALREADY_RUNNING, "the meeting is already running")
    if state.status is Status.ENDED:
        raise MoveError(MoveCode.ENDED, "the meeting has ended")
    steps = _steps(catalogue, replace(state, cursor=0))
    running = replace(state, status=Status.RUNNING, cursor=0, start=0)
    return Transition(running, (MeetingStarted(state.phase), QuestionPosed(steps[0])))


def next_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Volgende: the next question; after a decision to leave the phase, the new phase's
    Beeldvorming."""
    return _onward(catalogue, state, skipping=False)


def skip_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Move on without discussing the current step; it is listed in `skipped`. A decision
    question is never skipped: it is decided first."""
    return _onward(catalogue, state, skipping=True)


def to_agreements(catalogue: Catalogue, state: MeetingState) -> Transition:
    """After a decision to leave the phase: straight to the new phase's Afspraken over
    samenwerking (the next meeting is planned in it)."""
    _running(catalogue, state)
    _refuse_open_scale(state)
    leaving = moving_to(catalogue, state)
    if leaving is None or leaving.target is None:
        raise MoveError(MoveCode.NO_PHASE_CHANGE, "no decision to leave this phase here")
    return _enter(catalogue, state, leaving.target, Entry.AFSPRAKEN)


def previous_step(catalogue: Catalogue, state: MeetingState) -> Transition:
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    path, _ = _path(steps, state.start, _decided_in(catalogue, state, phase))
    position = path.index(state.cursor)
    if position > 0:
        return _back_to(catalogue, state, steps, path[position - 1], path)
    if not state.left:
        raise MoveError(MoveCode.AT_FIRST_QUESTION, "this is the first question")
    return _undo_leaving(catalogue, state)


def jump_to_section(catalogue: Catalogue, state: MeetingState, section: str) -> Transition:
    """Go to the first step of `section` (its key or name) on this phase's walk. Steps jumped
    over count as skipped; going back withdraws the decisions jumped back over."""
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    target = next((s for s in steps if section in (s.section.key, s.section.name)), None)
    if target is None:
        names = ", ".join(dict.fromkeys(s.section.name for s in steps))
        raise MoveError(MoveCode.UNKNOWN_SECTION, f"no section {section!r}; sections: {names}")
    decided = _decided_in(catalogue, state, phase)
    if target.only_if_closing and not _closing(decided):
        raise MoveError(MoveCode.ONLY_WHEN_CLOSING, f"{target.section.key} is only for closing")
    path, end = _path(steps, state.start, decided)
    if target.index not in path:
        if end is _End.WALL and target.index > path[-1]:
            raise MoveError(MoveCode.DECISION_REQUIRED, "decide at the decision question first")
        raise MoveError(
            MoveCode.PASSED_BY_DECISION, f"{target.section.key} is not on this meeting's walk"
        )
    if target.index <= state.cursor:
        return _back_to(catalogue, state, steps, target.index, path)
    between = [steps[i] for i in path if state.cursor < i < target.index]
    # The current step was discussed; decision questions in between were decided.
    passed = [s for s in between if not s.is_decision]
    return _move(catalogue, state, steps, target.index, passed=passed)


def open_scale(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Open a new voting round on the scale question (a re-vote opens round 2, 3, ...)."""
    _, steps = _running(catalogue, state)
    here = steps[state.cursor]
    if here.kind is not StepKind.SCALE:
        raise MoveError(MoveCode.NOT_AT_SCALE, "the current step is not the scale question")
    _refuse_open_scale(state)
    scales = state.scales if here.key in state.scales else (*state.scales, here.key)
    opened = replace(state, scale_round=state.scale_round + 1, scale_open=True, scales=scales)
    return Transition(opened, (ScaleOpened(here, opened.scale_round),))


def close_scale(catalogue: Catalogue, state: MeetingState) -> Transition:
    _, steps = _running(catalogue, state)
    if not state.scale_open:
        raise MoveError(MoveCode.SCALE_NOT_OPEN, "no scale round is open")
    closed = replace(state, scale_open=False)
    return Transition(closed, (ScaleClosed(steps[state.cursor], state.scale_round),))


def record_decision(catalogue: Catalogue, state: MeetingState, decision: str) -> Transition:
    """Decide at the current question: `decision` is one of its branches (key or name).
    Deciding again at the same question changes the decision."""
    _, steps = _running(catalogue, state)
    here = steps[state.cursor]
    chosen = here.option(decision)
    if chosen is None:
        if catalogue.option(decision) is not None:
            raise MoveError(
                MoveCode.DECISION_NOT_REACHED, "that decision is taken at another question"
            )
        names = ", ".join(d.name for d in here.options) or "none here"
        raise MoveError(MoveCode.UNKNOWN_DECISION, f"no branch {decision!r}; branches: {names}")
    if chosen.target in state.left_phases:
        raise MoveError(MoveCode.PHASE_LEFT, f"this meeting already left {chosen.target}")
    earlier = decision_at(catalogue, state, here.key)
    if earlier == chosen:
        return Transition(state, ())  # a double click, not a change of mind
    kept = tuple(k for k in state.decisions if earlier is None or k != earlier.key)
    decided = replace(state, decisions=(*kept, chosen.key))
    outcome = course(catalogue, decided)
    recorded = DecisionRecorded(
        chosen, outcome.next_phase, outcome.closed, replaced=earlier.key if earlier else None
    )
    return Transition(decided, (recorded,))


def end_meeting(
    catalogue: Catalogue, state: MeetingState, *, without_decision: bool = False
) -> Transition:
    """End the meeting. Before a decision question still ahead this needs
    `without_decision=True`, and the case then stays where it is. An open scale round is
    closed first."""
    _, steps = _running(catalogue, state)
    waiting = undecided(catalogue, state)
    if waiting is not None and not without_decision:
        raise MoveError(
            MoveCode.DECISION_REQUIRED,
            f"no decision at {waiting.key} yet; end with without_decision=True to end anyway",
        )
    events: list[Event] = []
    if state.scale_open:
        events.append(ScaleClosed(steps[state.cursor], state.scale_round))
    outcome = course(catalogue, state)
    events.append(
        MeetingEnded(
            state.phase,
            state.decisions,
            outcome.next_phase,
            outcome.closed,
            state.skipped,
            decided=waiting is None,
        )
    )
    ended = replace(state, status=Status.ENDED, scale_open=False)
    return Transition(ended, tuple(events))


# --- helpers -----------------------------------------------------------------------------------


class _End(StrEnum):
    END = "end"  # the phase's last question
    WALL = "wall"  # a decision question not decided yet
    LEAVES = "leaves"  # a decision to leave the phase


def _path(
    steps: tuple[Step, ...], start: int, decided: Mapping[str, Decision]
) -> tuple[list[int], _End]:
    """The step indexes a walk of the phase from `start` passes, given its decisions, and how
    it ends. A decision to close goes on at the next section ("ga door naar besluitvorming")."""
    closing = _closing(decided)
    path: list[int] = []
    index = start
    while index < len(steps):
        step = steps[index]
        if step.only_if_closing and not closing:
            index += 1
            continue
        path.append(index)
        if step.is_decision:
            chosen = decided.get(step.key)
            if chosen is None:
                return path, _End.WALL
            if chosen.outcome.moves:
                return path, _End.LEAVES
            if chosen.outcome is Outcome.CLOSE:
                index = next(
                    (s.index for s in steps[index:] if s.section.key != step.section.key),
                    len(steps),
                )
                continue
        index += 1
    return path, _End.END


def _decided_in(catalogue: Catalogue, state: MeetingState, phase: Phase) -> dict[str, Decision]:
    """The decisions in `phase`, by question key."""
    return {
        d.question_key: d for d in decisions_taken(catalogue, state) if d.phase_key == phase.key
    }


def _closing(decided: Mapping[str, Decision]) -> bool:
    return any(d.outcome is Outcome.CLOSE for d in decided.values())


def _phase(catalogue: Catalogue, key: str) -> Phase:
    try:
        return catalogue.phase(key)
    except KeyError:
        raise MoveError(MoveCode.UNKNOWN_PHASE, f"no phase {key!r} in the catalogue") from None


def _steps(catalogue: Catalogue, state: MeetingState) -> tuple[Step, ...]:
    steps = phase_steps(_phase(catalogue, state.phase))
    # A stored state read back against a catalogue whose maatwerk changed since.
    if not 0 <= state.start <= state.cursor < len(steps):
        raise MoveError(MoveCode.STATE_MISMATCH, "the stored cursor does not fit this catalogue")
    route = state.route
    if any(phase not in catalogue.phase_keys for phase in route):
        raise MoveError(MoveCode.STATE_MISMATCH, "the stored phases do not fit this catalogue")
    for key in state.decisions:
        option = catalogue.option(key)
        if option is None or option.phase_key not in route:
            raise MoveError(
                MoveCode.STATE_MISMATCH, "a stored decision does not fit this catalogue"
            )
    return steps


def _running(catalogue: Catalogue, state: MeetingState) -> tuple[Phase, tuple[Step, ...]]:
    if state.status is Status.PLANNED:
        raise MoveError(MoveCode.NOT_RUNNING, "the meeting has not started")
    if state.status is Status.ENDED:
        raise MoveError(MoveCode.ENDED, "the meeting has ended")
    steps = _steps(catalogue, state)
    return catalogue.phase(state.phase), steps


def _refuse_open_scale(state: MeetingState) -> None:
    if state.scale_open:
        raise MoveError(MoveCode.SCALE_OPEN, "close the scale round first")


def _onward(catalogue: Catalogue, state: MeetingState, *, skipping: bool) -> Transition:
    phase, steps = _running(catalogue, state)
    _refuse_open_scale(state)
    here = steps[state.cursor]
    decided = _decided_in(catalogue, state, phase)
    if here.is_decision:
        chosen = decided.get(here.key)
        if chosen is None:
            raise MoveError(MoveCode.DECISION_REQUIRED, f"decide at {here.key} first")
        if chosen.outcome.moves and chosen.target is not None:
            return _enter(catalogue, state, chosen.target, Entry.BEELDVORMING)
    path, _ = _path(steps, state.start, decided)
    position = path.index(state.cursor)
    if position + 1 >= len(path):
        raise MoveError(MoveCode.AT_LAST_QUESTION, "this is the last question")
    # A decision question was discussed, whatever button was pressed to move on.
    passed = (here,) if skipping and not here.is_decision else ()
    return _move(catalogue, state, steps, path[position + 1], passed=passed)


def _enter(catalogue: Catalogue, state: MeetingState, target: str, entry: Entry) -> Transition:
    steps = phase_steps(_phase(catalogue, target))
    if entry is Entry.AFSPRAKEN:
        at = section_index(steps, AGREEMENTS_SECTION)
        if at is None:  # the catalogue's rules keep an Afspraken section in every phase
            raise MoveError(MoveCode.UNKNOWN_SECTION, f"{target} has no {AGREEMENTS_SECTION}")
    else:
        at = entry_index(steps)
    entered = replace(
        state,
        phase=target,
        cursor=at,
        start=at,
        left=(*state.left, (state.phase, state.start)),
        skipped=tuple(k for k in state.skipped if k != steps[at].key),
    )
    events: tuple[Event, ...] = (PhaseEntered(target, state.phase, entry), QuestionPosed(steps[at]))
    return Transition(entered, events)


def _back_to(
    catalogue: Catalogue,
    state: MeetingState,
    steps: tuple[Step, ...],
    target: int,
    path: list[int],
) -> Transition:
    """Back to `target` on this phase's walk: the decisions from there on are withdrawn."""
    later = {steps[i].key for i in path if i >= target}
    taken = decisions_taken(catalogue, state)
    gone = [d for d in taken if d.phase_key == state.phase and d.question_key in later]
    kept = tuple(d.key for d in taken if d not in gone)
    back = replace(state, decisions=kept)
    moved = _move(catalogue, back, steps, target, passed=())
    return Transition(moved.state, (*_withdrawn(catalogue, moved.state, gone), *moved.events))


def _undo_leaving(catalogue: Catalogue, state: MeetingState) -> Transition:
    """From the first question of a phase the meeting moved to, back to the question where it
    decided to move: that decision, and any taken since, are withdrawn."""
    (phase_key, start), left = state.left[-1], state.left[:-1]
    steps = phase_steps(catalogue.phase(phase_key))
    taken = decisions_taken(catalogue, state)
    leaving = next(d for d in reversed(taken) if d.phase_key == phase_key and d.outcome.moves)
    # Latest first: the new phase's decisions, then the decision to move there.
    gone = [d for d in reversed(taken) if d.phase_key == state.phase] + [leaving]
    at = next(s.index for s in steps if s.key == leaving.question_key)
    back = replace(
        state,
        phase=phase_key,
        cursor=at,
        start=start,
        left=left,
        decisions=tuple(d.key for d in taken if d not in gone),
        skipped=tuple(k for k in state.skipped if not k.startswith(f"{state.phase}.")),
    )
    events: tuple[Event, ...] = (
        *_withdrawn(catalogue, back, gone),
        PhaseEntered(phase_key, state.phase, Entry.UNDONE),
        QuestionPosed(steps[at]),
    )
    return Transition(back, events)


def _withdrawn(
    catalogue: Catalogue, state: MeetingState, gone: Iterable[Decision]
) -> list[DecisionWithdrawn]:
    outcome = course(catalogue, state)
    return [DecisionWithdrawn(d, outcome.next_phase, outcome.closed) for d in gone]


def _move(
    catalogue: Catalogue,
    state: MeetingState,
    steps: tuple[Step, ...],
    target: int,
    *,
    passed: Iterable[Step],
) -> Transition:
    passed = tuple(passed)
    # Posing a step again takes it off the skipped list: it is being discussed after all.
    skipped = (set(state.skipped) | {s.key for s in passed}) - {steps[target].key}
    order = {phase: n for n, phase in enumerate(state.route)}
    index = {s.key: s.index for phase in state.route for s in phase_steps(catalogue.phase(phase))}

    def place(key: str) -> tuple[int, int, str]:
        return (order.get(key.partition(".")[0], 0), index.get(key, -1), key)

    moved = replace(state, cursor=target, skipped=tuple(sorted(skipped, key=place)))
    events: list[Event] = [StepSkipped(s) for s in passed]
    events.append(QuestionPosed(steps[target]))
    return Transition(moved, tuple(events))
