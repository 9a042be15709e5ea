"""No sequence of moves, legal or not, brings a meeting into a state that makes no sense; and
every way through the guideline's decision points, tried one by one, ends where it should."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.catalogue import load_catalogue
from flows.errors import MoveCode, MoveError
from flows.events import (
    DecisionRecorded,
    DecisionWithdrawn,
    MeetingEnded,
    PhaseEntered,
    QuestionPosed,
)
from flows.meeting import (
    MeetingState,
    Status,
    Transition,
    close_scale,
    course,
    current_step,
    decision_at,
    decisions_taken,
    end_meeting,
    jump_to_section,
    new_meeting,
    next_step,
    open_scale,
    options_at,
    previous_step,
    record_decision,
    skip_step,
    start,
    to_agreements,
    walk,
)
from flows.model import Catalogue, Outcome
from flows.steps import StepKind, phase_steps

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
    "agreements": to_agreements,
}
SECTIONS = ["vooraf", "beeldvorming", "schaalvraag", "oordeelsvorming", "besluitvorming"]
SECTIONS += ["afspraken", "afsluitingsplan", "nergens"]
DECISIONS = [*sorted({d.name for p in CATALOGUES[0].phases for d in p.decisions}), "onbekend"]
DECISIONS += ["directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen"]

# One flat list, so each entry is equally likely: "next" is listed more often so that runs get
# past the scale and the decision points, and "end" rarely so that runs last.
COMMANDS: list[tuple[str, object]] = [("next", None)] * 8 + [(name, None) for name in SIMPLE]
COMMANDS += [("previous", None), ("skip", None), ("open", None), ("close", None)]
COMMANDS += [("jump", section) for section in SECTIONS]
COMMANDS += [("decide", decision) for decision in DECISIONS]
COMMANDS += [("decide_here", n) for n in range(3)] * 3
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
    if name == "decide_here":
        # One of the branches at the current question, as a click on its button would.
        step = current_step(catalogue, state)
        options = step.options if step is not None else ()
        branch = options[int(argument) % len(options)].key if options else "onbekend"  # type: ignore[call-overload]
        return record_decision(catalogue, state, branch)
    if name == "end":
        return end_meeting(catalogue, state, without_decision=bool(argument))
    return SIMPLE[name](catalogue, state)


def check_invariants(catalogue: Catalogue, state: MeetingState) -> None:
    phase = catalogue.phase(state.phase)
    steps = phase_steps(phase)
    assert 0 <= state.start <= state.cursor < len(steps)
    route = state.route
    assert len(set(route)) == len(route)  # a phase is entered once per meeting
    taken = decisions_taken(catalogue, state)
    assert len(taken) == len(state.decisions)
    questions = [d.question_key for d in taken]
    assert len(set(questions)) == len(questions)  # one decision per question
    here = steps[state.cursor]
    walked = walk(catalogue, state)
    walked_keys = [s.key for s in walked]
    if state.status is Status.RUNNING:
        assert here.key in walked_keys  # the cursor is on the meeting's walk
    for left, following in itertools.pairwise(route):
        moves = [d for d in taken if d.phase_key == left and d.outcome.moves]
        assert [d.target for d in moves] == [following]  # each left phase, left once
    for decision in taken:
        assert decision.phase_key in route
        assert decision.question_key in walked_keys
        if decision.phase_key == state.phase:
            # No branch leads back into a phase this meeting left.
            assert decision.target not in state.left_phases
            # Only decisions at or before the cursor hold; leaving waits at its question.
            position = walked_keys.index(decision.question_key)
            assert position <= walked_keys.index(here.key)
            if decision.outcome.moves:
                assert decision.question_key == here.key
    if here.only_if_closing:
        assert any(d.outcome is Outcome.CLOSE for d in taken)
    if state.scale_open:
        assert state.status is Status.RUNNING and here.kind is StepKind.SCALE
        assert state.scale_round >= 1 and here.key in state.scales
    assert len(set(state.skipped)) == len(state.skipped)
    assert all(key.partition(".")[0] in route for key in state.skipped)
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
        left = set(state.left_phases)
        for event in moved.events:
            if isinstance(event, QuestionPosed):
                assert event.step.index == state.cursor
                assert event.step.phase_key == state.phase
                assert event.step.phase_key not in left  # never a question of a phase it left
            if isinstance(event, DecisionRecorded):
                assert state.decisions[-1] == event.decision.key
                assert event.decision.question_key == current_step(catalogue, previous).key  # type: ignore[union-attr]
            if isinstance(event, DecisionWithdrawn):
                assert event.decision.key in previous.decisions
                assert event.decision.key not in state.decisions
            if isinstance(event, MeetingEnded):
                assert state.status is Status.ENDED
                assert event.decisions == state.decisions
                if not event.decided:
                    assert (event.next_phase, event.closed) == (state.phase, False) or any(
                        d.outcome.moves for d in decisions_taken(catalogue, state)
                    )
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


# --- every way through the decision points, one by one ------------------------------------------


def _volgende(catalogue: Catalogue, state: MeetingState) -> Transition:
    """Volgende as the regisseur clicks it: at the Schaalvraag the round is revealed first."""
    step = current_step(catalogue, state)
    if step is not None and step.kind is StepKind.SCALE and state.scale_open is False:
        state = close_scale(catalogue, open_scale(catalogue, state).state).state
    return next_step(catalogue, state)


Choice = tuple[str, str]  # (branch key, how to go on: "next" or "agreements")


def _walks(catalogue: Catalogue, phase: str) -> Iterator[tuple[list[Choice], list[MeetingState]]]:
    """Every meeting that starts in `phase` and clicks Volgende until the last question, for
    every sequence of decisions (and, after a phase decision, both ways to go on): the choices
    and the states it passed."""

    def go(
        state: MeetingState, choices: list[Choice], states: list[MeetingState]
    ) -> Iterator[tuple[list[Choice], list[MeetingState]]]:
        while True:
            step = current_step(catalogue, state)
            assert step is not None
            if step.is_decision:
                for option in options_at(catalogue, state, step):
                    decided = record_decision(catalogue, state, option.key).state
                    ways = ("next", "agreements") if option.outcome.moves else ("next",)
                    for way in ways:
                        try:
                            onward = (
                                to_agreements(catalogue, decided)
                                if way == "agreements"
                                else _volgende(catalogue, decided)
                            )
                        except MoveError as error:
                            assert error.code is MoveCode.AT_LAST_QUESTION
                            yield [*choices, (option.key, way)], [*states, decided]
                            continue
                        yield from go(
                            onward.state,
                            [*choices, (option.key, way)],
                            [*states, decided, onward.state],
                        )
                return
            try:
                state = _volgende(catalogue, state).state
            except MoveError as error:
                assert error.code is MoveCode.AT_LAST_QUESTION
                yield choices, states
                return
            states = [*states, state]

    first = start(catalogue, new_meeting(catalogue, phase)).state
    yield from go(first, [], [first])


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=["guideline", "maatwerk"])
@pytest.mark.parametrize("phase", CATALOGUES[0].phase_keys)
def test_every_sequence_of_decisions_ends_at_the_afspraken_without_asking_a_left_phase(
    catalogue: Catalogue, phase: str
) -> None:
    walks = list(_walks(catalogue, phase))
    assert len(walks) >= 2
    for choices, states in walks:
        final = states[-1]
        last = current_step(catalogue, final)
        assert last is not None
        taken = decisions_taken(catalogue, final)
        closing = any(d.outcome is Outcome.CLOSE for d in taken)
        # The walk always reaches the Afspraken, or after closing the Afsluitingsplan.
        assert last.section.name == ("afsluitingsplan" if closing else "afspraken"), choices
        # Never a question of a phase it left: each phase's questions come in one stretch.
        asked = [current_step(catalogue, s).phase_key for s in states]  # type: ignore[union-attr]
        stretches = [p for n, p in enumerate(asked) if n == 0 or asked[n - 1] != p]
        assert len(stretches) == len(set(stretches)), choices
        assert stretches == list(final.route)
        # The case ends where the last decision leads.
        ended = end_meeting(catalogue, final).events[-1]
        assert isinstance(ended, MeetingEnded) and ended.decided
        assert (ended.next_phase, ended.closed) == (
            (None, True) if closing else (final.phase, False)
        )


@pytest.mark.parametrize("phase", CATALOGUES[0].phase_keys)
def test_previous_over_each_decision_undoes_it_visibly(phase: str) -> None:
    catalogue = CATALOGUES[0]
    checked = 0
    for choices, states in _walks(catalogue, phase):
        for state in states:
            here = current_step(catalogue, state)
            assert here is not None
            walked = [s.key for s in walk(catalogue, state)]
            position = walked.index(here.key)
            over = decision_at(catalogue, state, walked[position - 1]) if position else None
            if over is None:
                continue
            # Right after a decision: Vorige goes back to its question and withdraws it.
            back = previous_step(catalogue, state)
            withdrawn = [e.decision.key for e in back.events if isinstance(e, DecisionWithdrawn)]
            assert over.key in withdrawn, choices
            assert over.key not in back.state.decisions
            assert current_step(catalogue, back.state).key == over.question_key  # type: ignore[union-attr]
            assert course(catalogue, back.state).next_phase == back.state.phase == over.phase_key
            assert any(isinstance(e, PhaseEntered) for e in back.events) == over.outcome.moves
            with pytest.raises(MoveError) as caught:
                next_step(catalogue, back.state)
            assert caught.value.code is MoveCode.DECISION_REQUIRED
            checked += 1
    assert checked
