"""No sequence of moves, legal or not, brings a meeting into a state that makes no sense."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.catalogue import load_catalogue
from flows.errors import MoveCode, MoveError
from flows.events import DecisionRecorded, MeetingEnded, QuestionPosed
from flows.meeting import (
    MeetingState,
    Status,
    Transition,
    close_scale,
    end_meeting,
    jump_to_section,
    new_meeting,
    next_step,
    open_scale,
    previous_step,
    record_decision,
    skip_step,
    start,
)
from flows.model import Catalogue, Outcome
from flows.steps import StepKind, decision_index, phase_steps

EXAMPLE = Path(__file__).resolve().parents[2] / "flows" / "maatwerk.example.yaml"
CATALOGUES = (load_catalogue(), load_catalogue(EXAMPLE))

Move = Callable[[Catalogue, MeetingState], Transition]

SIMPLE: dict[str, Move] = {
    "start": start,
    "next": next_step,
    "previous": previous_step,
    "skip": skip_step,
    "open": open_scale,
    "close": close_scale,
}
SECTIONS = ["vooraf", "beeldvorming", "schaalvraag", "oordeelsvorming", "besluitvorming"]
SECTIONS += ["afspraken", "afsluitingsplan", "nergens"]
DECISIONS = ["blijven", "door_naar_risicogestuurde_zorg", "door_naar_herstelgerichte_zorg"]
DECISIONS += ["terug_naar_directe_veiligheid", "terug_naar_risicogestuurde_zorg", "afsluiten"]
DECISIONS += ["onbekend"]

# One flat list, so each entry is equally likely: "next" is listed more often so that runs get
# past the scale and the decision point, and "end" rarely so that runs last.
COMMANDS: list[tuple[str, object]] = [("next", None)] * 8 + [(name, None) for name in SIMPLE]
COMMANDS += [("previous", None), ("skip", None), ("open", None), ("close", None)]
COMMANDS += [("jump", section) for section in SECTIONS]
COMMANDS += [("decide", decision) for decision in DECISIONS]
COMMANDS += [("end", True), ("end", False)]
# A run of clicks on "next", as when the group moves briskly through a section.
COMMANDS += [("next_many", 3), ("next_many", 8)]
commands = st.lists(st.sampled_from(COMMANDS), max_size=60).map(
    lambda script: [
        single
        for name, argument in script
        for single in (
            [("next", None)] * int(argument)  # type: ignore[call-overload]
            if name == "next_many"
            else [(name, argument)]
        )
    ]
)


def apply(catalogue: Catalogue, state: MeetingState, command: tuple[str, object]) -> Transition:
    name, argument = command
    if name == "jump":
        return jump_to_section(catalogue, state, str(argument))
    if name == "decide":
        return record_decision(catalogue, state, str(argument))
    if name == "end":
        return end_meeting(catalogue, state, without_decision=bool(argument))
    return SIMPLE[name](catalogue, state)


def check_invariants(catalogue: Catalogue, state: MeetingState) -> None:
    phase = catalogue.phase(state.phase)
    steps = phase_steps(phase)
    assert 0 <= state.cursor < len(steps)
    here = steps[state.cursor]
    chosen = phase.decision_point.option(state.decision) if state.decision else None
    assert state.decision is None or chosen is not None
    if state.decision is None:
        assert state.cursor <= decision_index(steps)
    if here.only_if_closing:
        assert chosen is not None and chosen.outcome is Outcome.CLOSE
    if state.scale_open:
        assert state.status is Status.RUNNING and here.kind is StepKind.SCALE
        assert state.scale_round >= 1
    keys = [step.key for step in steps]
    assert len(set(state.skipped)) == len(state.skipped)
    assert all(key in keys for key in state.skipped)
    assert list(state.skipped) == sorted(state.skipped, key=keys.index)
    if state.status is Status.RUNNING:
        assert here.key not in state.skipped
    assert MeetingState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@settings(max_examples=300, deadline=None)
@given(
    catalogue=st.sampled_from(CATALOGUES),
    phase=st.sampled_from(CATALOGUES[0].phase_keys),
    started=st.sampled_from([True] * 9 + [False]),
    script=commands,
)
def test_no_sequence_of_moves_reaches_an_invalid_state(
    catalogue: Catalogue, phase: str, started: bool, script: list[tuple[str, object]]
) -> None:
    # Mostly from a started meeting: a planned one refuses everything but "start".
    state = new_meeting(catalogue, phase)
    if started:
        state = start(catalogue, state).state
    for command in script:
        try:
            moved = apply(catalogue, state, command)
        except MoveError as error:
            assert error.code in MoveCode
            if state.status is Status.ENDED:
                assert error.code is MoveCode.ENDED  # ended is terminal
            continue
        assert state.status is not Status.ENDED
        previous, state = state, moved.state
        check_invariants(catalogue, state)
        for event in moved.events:
            if isinstance(event, QuestionPosed):
                assert event.step.index == state.cursor
            if isinstance(event, DecisionRecorded):
                assert state.decision == event.decision.key
                assert previous.cursor >= decision_index(phase_steps(catalogue.phase(phase)))
            if isinstance(event, MeetingEnded):
                assert state.status is Status.ENDED
                assert event.decision == state.decision
                if event.decision is None:
                    assert (event.next_phase, event.closed) == (phase, False)
        if state.status is Status.ENDED:
            assert isinstance(moved.events[-1], MeetingEnded)


@settings(max_examples=100, deadline=None)
@given(
    phase=st.sampled_from(CATALOGUES[0].phase_keys),
    script=commands,
)
def test_every_refused_move_leaves_nothing_changed_and_names_a_stable_code(
    phase: str, script: list[tuple[str, object]]
) -> None:
    catalogue = CATALOGUES[0]
    state = start(catalogue, new_meeting(catalogue, phase)).state
    for command in script:
        before = state.to_dict()
        try:
            state = apply(catalogue, state, command).state
        except MoveError as error:
            assert state.to_dict() == before
            assert MoveCode(error.code.value) is error.code
            assert error.detail
