"""The meeting state machine, move by move, as the procesregisseur experiences it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from flows.catalogue import load_catalogue
from flows.errors import MoveCode, MoveError
from flows.events import (
    DecisionRecorded,
    DecisionWithdrawn,
    Entry,
    MeetingEnded,
    MeetingStarted,
    PhaseEntered,
    QuestionPosed,
    ScaleClosed,
    ScaleOpened,
    StepSkipped,
)
from flows.meeting import (
    MeetingState,
    Status,
    Transition,
    close_scale,
    current_step,
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
)
from flows.model import Catalogue, Outcome

CATALOGUE = load_catalogue()


def running(phase: str, catalogue: Catalogue = CATALOGUE) -> MeetingState:
    return start(catalogue, new_meeting(catalogue, phase)).state


def at_section(phase: str, section: str) -> MeetingState:
    """Jumped to `section`; every decision question on the way goes on below."""
    state = running(phase)
    while True:
        try:
            return jump_to_section(CATALOGUE, state, section).state
        except MoveError as error:
            if error.code is not MoveCode.DECISION_REQUIRED:
                raise
        step = current_step(CATALOGUE, state)
        assert step is not None
        if step.is_decision:
            stay = next(d for d in step.options if d.outcome is Outcome.STAY)
            state = record_decision(CATALOGUE, state, stay.key).state
            state = next_step(CATALOGUE, state).state
        else:
            wall = next(d for d in CATALOGUE.phase(phase).decision_questions)
            state = jump_to_section(CATALOGUE, state, wall.key.rpartition(".")[0]).state
            while key_of(state) != wall.key:
                state = next_step(CATALOGUE, state).state


def at_decision(phase: str, question: str | None = None) -> MeetingState:
    """At the phase's decision `question` (its local key, e.g. 'oordeelsvorming.stappen'),
    by default the last one; every decision question before it goes on below."""
    state = running(phase)
    target = f"{phase}.{question}" if question else None
    while True:
        step = current_step(CATALOGUE, state)
        assert step is not None
        if step.is_decision and (target is None or step.key == target):
            if target is not None or step.key == CATALOGUE.phase(phase).decision_questions[-1].key:
                return state
        if step.is_decision:
            stay = next(d for d in step.options if d.outcome is Outcome.STAY)
            state = record_decision(CATALOGUE, state, stay.key).state
        if step.scale is not None:
            state = close_scale(CATALOGUE, open_scale(CATALOGUE, state).state).state
        state = next_step(CATALOGUE, state).state


def key_of(state: MeetingState) -> str:
    step = current_step(CATALOGUE, state)
    assert step is not None
    return step.key


def refused(
    code: MoveCode, move: Callable[..., Transition], *args: object, **kwargs: object
) -> None:
    with pytest.raises(MoveError) as caught:
        move(CATALOGUE, *args, **kwargs)
    assert caught.value.code is code


def test_walking_phase_one_from_start_to_end() -> None:
    state = new_meeting(CATALOGUE, "directe_veiligheid")
    assert state.status is Status.PLANNED and current_step(CATALOGUE, state) is None

    started = start(CATALOGUE, state)
    assert isinstance(started.events[0], MeetingStarted)
    first = started.events[1]
    assert isinstance(first, QuestionPosed)
    assert first.step.text.nl == "Beeld van het gezin"
    assert (first.step.number, first.step.total) == (1, 13)

    state = started.state
    for _ in range(6):
        state = next_step(CATALOGUE, state).state
    scale_step = current_step(CATALOGUE, state)
    assert scale_step is not None and scale_step.scale is not None

    opened = open_scale(CATALOGUE, state)
    assert opened.events == (ScaleOpened(scale_step, 1),)
    closed = close_scale(CATALOGUE, opened.state)
    assert closed.events == (ScaleClosed(scale_step, 1),)

    state = next_step(CATALOGUE, closed.state).state
    assert key_of(state) == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos"
    decided = record_decision(CATALOGUE, state, "door_naar_risicogestuurde_zorg")
    (event,) = decided.events
    assert isinstance(event, DecisionRecorded)
    assert event.next_phase == "risicogestuurde_zorg" and not event.closed

    # The meeting goes on in risicogestuurde zorg, from its Beeldvorming.
    moved = next_step(CATALOGUE, decided.state)
    assert moved.events[0] == PhaseEntered(
        "risicogestuurde_zorg", "directe_veiligheid", Entry.BEELDVORMING
    )
    state = moved.state
    assert key_of(state) == "risicogestuurde_zorg.beeldvorming.stand_van_zaken"
    assert state.left_phases == ("directe_veiligheid",)

    ended = end_meeting(CATALOGUE, to_agreements(CATALOGUE, decided.state).state)
    assert ended.state.status is Status.ENDED
    assert ended.events == (
        MeetingEnded(
            phase="risicogestuurde_zorg",
            decisions=(
                "directe_veiligheid.oordeelsvorming.zorgen_of_risicos.door_naar_risicogestuurde_zorg",
            ),
            next_phase="risicogestuurde_zorg",
            closed=False,
        ),
    )


def test_a_planned_meeting_must_start_first_and_only_once() -> None:
    planned = new_meeting(CATALOGUE, "risicogestuurde_zorg")
    refused(MoveCode.NOT_RUNNING, next_step, planned)
    refused(MoveCode.NOT_RUNNING, end_meeting, planned, without_decision=True)
    refused(MoveCode.ALREADY_RUNNING, start, start(CATALOGUE, planned).state)


def test_an_unknown_phase_is_refused_when_planning() -> None:
    with pytest.raises(MoveError) as caught:
        new_meeting(CATALOGUE, "fase_4")
    assert caught.value.code is MoveCode.UNKNOWN_PHASE


def test_previous_at_the_first_question_is_refused() -> None:
    refused(MoveCode.AT_FIRST_QUESTION, previous_step, running("directe_veiligheid"))


def test_a_decision_question_cannot_be_passed_without_a_decision() -> None:
    state = at_decision("risicogestuurde_zorg", "beeldvorming.stand_van_zaken")
    assert state.cursor == 2  # the Beeldvorming's first question
    refused(MoveCode.DECISION_REQUIRED, next_step, state)
    refused(MoveCode.DECISION_REQUIRED, skip_step, state)
    refused(MoveCode.DECISION_REQUIRED, jump_to_section, state, "besluitvorming")
    refused(
        MoveCode.DECISION_REQUIRED, jump_to_section, running("risicogestuurde_zorg"), "afspraken"
    )


def test_a_decision_is_taken_at_its_own_question_only() -> None:
    refused(
        MoveCode.DECISION_NOT_REACHED,
        record_decision,
        running("directe_veiligheid"),
        "directe_veiligheid.oordeelsvorming.zorgen_of_risicos.nog_zorgen",
    )
    state = at_decision("risicogestuurde_zorg", "oordeelsvorming.opnieuw_zorgen")
    refused(
        MoveCode.DECISION_NOT_REACHED,
        record_decision,
        state,
        "risicogestuurde_zorg.oordeelsvorming.zorgen_of_herstel.door_naar_herstelgerichte_zorg",
    )


def test_going_back_is_decided_at_the_beeldvorming_too() -> None:
    state = at_decision("risicogestuurde_zorg", "beeldvorming.stand_van_zaken")
    decided = record_decision(CATALOGUE, state, "terug_naar_directe_veiligheid")
    (event,) = decided.events
    assert (event.next_phase, event.closed) == ("directe_veiligheid", False)  # type: ignore[union-attr]
    moved = next_step(CATALOGUE, decided.state).state
    assert key_of(moved) == "directe_veiligheid.beeldvorming.zorgen"


def test_an_unknown_decision_is_refused() -> None:
    refused(
        MoveCode.UNKNOWN_DECISION, record_decision, at_decision("directe_veiligheid"), "afsluiten"
    )


@pytest.mark.parametrize(
    ("phase", "question", "decision", "next_phase", "closed"),
    [
        ("directe_veiligheid", None, "nog_zorgen", "directe_veiligheid", False),
        (
            "risicogestuurde_zorg",
            "oordeelsvorming.opnieuw_zorgen",
            "terug_naar_directe_veiligheid",
            "directe_veiligheid",
            False,
        ),
        (
            "risicogestuurde_zorg",
            None,
            "door_naar_herstelgerichte_zorg",
            "herstelgerichte_zorg",
            False,
        ),
        (
            "herstelgerichte_zorg",
            "beeldvorming.stand_van_zaken",
            "terug_naar_risicogestuurde_zorg",
            "risicogestuurde_zorg",
            False,
        ),
        ("herstelgerichte_zorg", None, "afsluiten", None, True),
    ],
)
def test_a_recorded_decision_says_where_the_case_goes(
    phase: str, question: str | None, decision: str, next_phase: str | None, closed: bool
) -> None:
    decided = record_decision(CATALOGUE, at_decision(phase, question), decision)
    (event,) = decided.events
    assert isinstance(event, DecisionRecorded)
    assert (event.next_phase, event.closed) == (next_phase, closed)
    assert decided.state.decisions[-1] == event.decision.key
    ended = end_meeting(CATALOGUE, decided.state).events[-1]
    assert isinstance(ended, MeetingEnded)
    assert (ended.next_phase, ended.closed, ended.decided) == (next_phase, closed, True)


def test_a_decision_can_be_given_by_its_full_key() -> None:
    key = "herstelgerichte_zorg.oordeelsvorming.stappen.afsluiten"
    state = record_decision(CATALOGUE, at_decision("herstelgerichte_zorg"), key).state
    assert state.decisions[-1] == key


def test_changing_the_decision_at_the_question_reports_what_it_replaces() -> None:
    state = record_decision(CATALOGUE, at_decision("risicogestuurde_zorg"), "nog_zorgen").state
    changed = record_decision(CATALOGUE, state, "door_naar_herstelgerichte_zorg")
    (event,) = changed.events
    assert event.replaced == "risicogestuurde_zorg.oordeelsvorming.zorgen_of_herstel.nog_zorgen"  # type: ignore[union-attr]
    assert changed.state.decisions.count(event.decision.key) == 1  # type: ignore[union-attr]
    assert "risicogestuurde_zorg.oordeelsvorming.zorgen_of_herstel.nog_zorgen" not in (
        changed.state.decisions
    )


def test_recording_the_same_decision_twice_is_a_harmless_repeat() -> None:
    state = record_decision(CATALOGUE, at_decision("directe_veiligheid"), "nog_zorgen").state
    again = record_decision(CATALOGUE, state, "nog_zorgen")
    assert again.state == state and again.events == ()


def test_closing_goes_on_at_the_besluitvorming_and_adds_the_afsluitingsplan() -> None:
    state = at_decision("herstelgerichte_zorg")
    staying = record_decision(CATALOGUE, state, "nog_stappen").state
    assert (
        key_of(next_step(CATALOGUE, staying).state) == "herstelgerichte_zorg.oordeelsvorming.nodig"
    )
    staying = jump_to_section(CATALOGUE, staying, "afspraken").state
    refused(MoveCode.AT_LAST_QUESTION, next_step, staying)
    refused(MoveCode.ONLY_WHEN_CLOSING, jump_to_section, staying, "afsluitingsplan")

    closing = record_decision(CATALOGUE, state, "afsluiten").state
    state = next_step(CATALOGUE, closing).state
    # "Indien nee, ga door naar besluitvorming": the rest of the Oordeelsvorming is passed by.
    assert key_of(state) == "herstelgerichte_zorg.besluitvorming.brainstorm"
    for _ in range(4):
        state = next_step(CATALOGUE, state).state
    assert key_of(state) == "herstelgerichte_zorg.afsluitingsplan.plan"
    refused(MoveCode.AT_LAST_QUESTION, next_step, state)


def test_a_phase_left_in_this_meeting_is_not_offered_again() -> None:
    state = record_decision(
        CATALOGUE, at_decision("directe_veiligheid"), "door_naar_risicogestuurde_zorg"
    ).state
    state = next_step(CATALOGUE, state).state
    step = current_step(CATALOGUE, state)
    assert step is not None and [d.name for d in options_at(CATALOGUE, state, step)] == [
        "geen_zorgen"
    ]
    refused(MoveCode.PHASE_LEFT, record_decision, state, "terug_naar_directe_veiligheid")


def test_going_straight_to_the_agreements_of_the_new_phase() -> None:
    state = at_decision("directe_veiligheid")
    refused(MoveCode.NO_PHASE_CHANGE, to_agreements, state)
    stay = record_decision(CATALOGUE, state, "nog_zorgen").state
    refused(MoveCode.NO_PHASE_CHANGE, to_agreements, stay)
    leaving = record_decision(CATALOGUE, stay, "door_naar_risicogestuurde_zorg").state
    moved = to_agreements(CATALOGUE, leaving)
    assert moved.events[0] == PhaseEntered(
        "risicogestuurde_zorg", "directe_veiligheid", Entry.AFSPRAKEN
    )
    assert key_of(moved.state) == "risicogestuurde_zorg.afspraken.samenwerking"
    refused(MoveCode.AT_LAST_QUESTION, next_step, moved.state)
    # Vorige goes back to the question where it was decided, and withdraws the decision.
    back = previous_step(CATALOGUE, moved.state)
    assert key_of(back.state) == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos"
    assert isinstance(back.events[0], DecisionWithdrawn)
    assert back.events[0].next_phase == "directe_veiligheid"
    assert back.state.decisions == () and back.state.left == ()


def test_previous_over_a_decision_withdraws_it() -> None:
    state = record_decision(CATALOGUE, at_decision("directe_veiligheid"), "nog_zorgen").state
    state = next_step(CATALOGUE, state).state
    back = previous_step(CATALOGUE, state)
    assert [type(e) for e in back.events] == [DecisionWithdrawn, QuestionPosed]
    assert back.state.decisions == ()
    refused(MoveCode.DECISION_REQUIRED, next_step, back.state)


def test_no_moving_on_while_a_scale_round_is_open() -> None:
    state = open_scale(CATALOGUE, at_section("directe_veiligheid", "schaalvraag")).state
    for move in (next_step, previous_step, skip_step):
        refused(MoveCode.SCALE_OPEN, move, state)
    refused(MoveCode.SCALE_OPEN, jump_to_section, state, "vooraf")
    refused(MoveCode.SCALE_OPEN, open_scale, state)


def test_scale_rounds_only_on_the_scale_question_and_each_revote_is_a_new_round() -> None:
    refused(MoveCode.NOT_AT_SCALE, open_scale, running("directe_veiligheid"))
    state = at_section("herstelgerichte_zorg", "schaalvraag")
    refused(MoveCode.SCALE_NOT_OPEN, close_scale, state)
    state = close_scale(CATALOGUE, open_scale(CATALOGUE, state).state).state
    reopened = open_scale(CATALOGUE, state)
    assert reopened.state.scale_round == 2
    assert reopened.events[0].round == 2  # type: ignore[union-attr]


def test_ending_without_a_decision_must_be_explicit_and_keeps_the_case_in_its_phase() -> None:
    state = running("risicogestuurde_zorg")
    refused(MoveCode.DECISION_REQUIRED, end_meeting, state)
    ended = end_meeting(CATALOGUE, state, without_decision=True)
    (event,) = ended.events
    assert event == MeetingEnded(
        "risicogestuurde_zorg", (), "risicogestuurde_zorg", False, decided=False
    )


def test_ending_during_a_vote_closes_the_round_first() -> None:
    state = open_scale(CATALOGUE, at_section("directe_veiligheid", "schaalvraag")).state
    ended = end_meeting(CATALOGUE, state, without_decision=True)
    assert [type(e) for e in ended.events] == [ScaleClosed, MeetingEnded]
    assert not ended.state.scale_open


def test_an_ended_meeting_accepts_no_more_moves() -> None:
    ended = end_meeting(CATALOGUE, running("directe_veiligheid"), without_decision=True).state
    for move in (start, next_step, previous_step, skip_step, open_scale, close_scale):
        refused(MoveCode.ENDED, move, ended)
    refused(MoveCode.ENDED, jump_to_section, ended, "vooraf")
    refused(MoveCode.ENDED, record_decision, ended, "nog_zorgen")
    refused(MoveCode.ENDED, end_meeting, ended, without_decision=True)


def test_skipped_steps_are_listed_until_the_group_returns_to_them() -> None:
    state = running("directe_veiligheid")
    skipped = skip_step(CATALOGUE, state)
    assert isinstance(skipped.events[0], StepSkipped)
    assert skipped.state.skipped == ("directe_veiligheid.vooraf.beeld_van_het_gezin",)
    back = previous_step(CATALOGUE, skipped.state)
    assert back.state.skipped == ()


def test_jumping_ahead_skips_what_lies_between_and_jumping_back_skips_nothing() -> None:
    state = jump_to_section(CATALOGUE, running("directe_veiligheid"), "schaalvraag").state
    assert state.skipped == (
        "directe_veiligheid.vooraf.hulpverlening",
        "directe_veiligheid.beeldvorming.zorgen",
        "directe_veiligheid.beeldvorming.patronen",
        "directe_veiligheid.beeldvorming.krachten",
        "directe_veiligheid.beeldvorming.onbekend",
    )
    back = jump_to_section(CATALOGUE, state, "directe_veiligheid.beeldvorming")
    assert back.state.skipped == state.skipped[:1] + state.skipped[2:]
    assert [type(e) for e in back.events] == [QuestionPosed]


def test_jumping_to_an_unknown_section_is_refused() -> None:
    refused(
        MoveCode.UNKNOWN_SECTION, jump_to_section, running("directe_veiligheid"), "afsluitingsplan"
    )


def test_meeting_end_lists_what_was_skipped() -> None:
    state = skip_step(CATALOGUE, running("directe_veiligheid")).state
    (event,) = end_meeting(CATALOGUE, state, without_decision=True).events
    assert event.skipped == ("directe_veiligheid.vooraf.beeld_van_het_gezin",)  # type: ignore[union-attr]


def test_state_survives_a_round_trip_through_json() -> None:
    state = open_scale(CATALOGUE, at_section("directe_veiligheid", "schaalvraag")).state
    state = skip_step(CATALOGUE, close_scale(CATALOGUE, state).state).state
    state = record_decision(CATALOGUE, state, "door_naar_risicogestuurde_zorg").state
    state = next_step(CATALOGUE, state).state
    stored = json.dumps(state.to_dict())
    restored = MeetingState.from_dict(json.loads(stored))
    assert restored == state
    assert previous_step(CATALOGUE, restored) == previous_step(CATALOGUE, state)


@pytest.mark.parametrize(
    "change",
    [
        {"format": 99},
        {"status": "paused"},
        {"cursor": -1},
        {"cursor": "3"},
        {"scale_round": True},
        {"skipped": "a.b"},
        {"decisions": [3]},
        {"left": [["directe_veiligheid"]]},
        {"start": 2, "cursor": 1},
        {"left": [["directe_veiligheid", 0]]},
        {"status": "ended", "scale_open": True},
    ],
)
def test_stored_state_that_this_version_did_not_write_is_refused(change: dict) -> None:
    data = running("directe_veiligheid").to_dict() | change
    with pytest.raises(ValueError, match=r"^meeting state"):
        MeetingState.from_dict(data)


def test_a_stored_state_that_no_longer_fits_the_catalogue_is_refused() -> None:
    beyond = MeetingState(phase="directe_veiligheid", status=Status.RUNNING, cursor=99)
    refused(MoveCode.STATE_MISMATCH, next_step, beyond)
    wrong = MeetingState(phase="directe_veiligheid", status=Status.RUNNING, decisions=("x.y",))
    refused(MoveCode.STATE_MISMATCH, next_step, wrong)
