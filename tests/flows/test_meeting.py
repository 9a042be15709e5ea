"""The meeting state machine, move by move, as the procesregisseur experiences it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from flows.catalogue import load_catalogue
from flows.errors import MoveCode, MoveError
from flows.events import (
    DecisionRecorded,
    MeetingEnded,
    MeetingStarted,
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
    previous_step,
    record_decision,
    skip_step,
    start,
)
from flows.model import Catalogue

CATALOGUE = load_catalogue()


def running(phase: str, catalogue: Catalogue = CATALOGUE) -> MeetingState:
    return start(catalogue, new_meeting(catalogue, phase)).state


def at_section(phase: str, section: str) -> MeetingState:
    return jump_to_section(CATALOGUE, running(phase), section).state


def at_decision(phase: str) -> MeetingState:
    state = at_section(phase, "oordeelsvorming")
    while current_step(CATALOGUE, state).decision is None:  # type: ignore[union-attr]
        state = next_step(CATALOGUE, state).state
    return state


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
    assert (first.step.number, first.step.total) == (1, 14)

    state = started.state
    for _ in range(6):
        state = next_step(CATALOGUE, state).state
    scale_step = current_step(CATALOGUE, state)
    assert scale_step is not None and scale_step.scale is not None

    opened = open_scale(CATALOGUE, state)
    assert opened.events == (ScaleOpened(scale_step, 1),)
    closed = close_scale(CATALOGUE, opened.state)
    assert closed.events == (ScaleClosed(scale_step, 1),)

    state = closed.state
    for _ in range(3):
        state = next_step(CATALOGUE, state).state
    decided = record_decision(CATALOGUE, state, "door_naar_risicogestuurde_zorg")
    (event,) = decided.events
    assert isinstance(event, DecisionRecorded)
    assert event.next_phase == "risicogestuurde_zorg" and not event.closed

    state = decided.state
    for _ in range(4):
        state = next_step(CATALOGUE, state).state
    assert current_step(CATALOGUE, state).key == "directe_veiligheid.afspraken.samenwerking"  # type: ignore[union-attr]
    refused(MoveCode.AT_LAST_QUESTION, next_step, state)

    ended = end_meeting(CATALOGUE, state)
    assert ended.state.status is Status.ENDED
    assert ended.events == (
        MeetingEnded(
            phase="directe_veiligheid",
            decision="directe_veiligheid.oordeelsvorming.uitkomst.door_naar_risicogestuurde_zorg",
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


def test_the_decision_point_cannot_be_passed_without_a_decision() -> None:
    state = at_decision("risicogestuurde_zorg")
    refused(MoveCode.DECISION_REQUIRED, next_step, state)
    refused(MoveCode.DECISION_REQUIRED, skip_step, state)
    refused(MoveCode.DECISION_REQUIRED, jump_to_section, state, "besluitvorming")
    refused(
        MoveCode.DECISION_REQUIRED, jump_to_section, running("risicogestuurde_zorg"), "afspraken"
    )


def test_a_decision_waits_for_the_decision_point() -> None:
    refused(
        MoveCode.DECISION_NOT_REACHED, record_decision, running("directe_veiligheid"), "blijven"
    )
    state = at_section("directe_veiligheid", "oordeelsvorming")
    refused(MoveCode.DECISION_NOT_REACHED, record_decision, state, "blijven")


def test_an_unknown_decision_is_refused() -> None:
    refused(
        MoveCode.UNKNOWN_DECISION, record_decision, at_decision("directe_veiligheid"), "afsluiten"
    )


@pytest.mark.parametrize(
    ("phase", "decision", "next_phase", "closed"),
    [
        ("directe_veiligheid", "blijven", "directe_veiligheid", False),
        ("risicogestuurde_zorg", "terug_naar_directe_veiligheid", "directe_veiligheid", False),
        ("risicogestuurde_zorg", "door_naar_herstelgerichte_zorg", "herstelgerichte_zorg", False),
        ("herstelgerichte_zorg", "terug_naar_risicogestuurde_zorg", "risicogestuurde_zorg", False),
        ("herstelgerichte_zorg", "afsluiten", None, True),
    ],
)
def test_a_recorded_decision_says_where_the_case_goes(
    phase: str, decision: str, next_phase: str | None, closed: bool
) -> None:
    decided = record_decision(CATALOGUE, at_decision(phase), decision)
    (event,) = decided.events
    assert isinstance(event, DecisionRecorded)
    assert (event.next_phase, event.closed) == (next_phase, closed)
    assert decided.state.decision == event.decision.key
    ended = end_meeting(CATALOGUE, decided.state).events[-1]
    assert isinstance(ended, MeetingEnded)
    assert (ended.next_phase, ended.closed, ended.decided) == (next_phase, closed, True)


def test_a_decision_can_be_given_by_its_full_key() -> None:
    key = "herstelgerichte_zorg.oordeelsvorming.uitkomst.afsluiten"
    assert (
        record_decision(CATALOGUE, at_decision("herstelgerichte_zorg"), key).state.decision == key
    )


def test_changing_the_decision_later_reports_what_it_replaces() -> None:
    state = record_decision(CATALOGUE, at_decision("risicogestuurde_zorg"), "blijven").state
    state = next_step(CATALOGUE, state).state
    changed = record_decision(CATALOGUE, state, "terug_naar_directe_veiligheid")
    (event,) = changed.events
    assert event.replaced == "risicogestuurde_zorg.oordeelsvorming.uitkomst.blijven"  # type: ignore[union-attr]


def test_recording_the_same_decision_twice_is_a_harmless_repeat() -> None:
    state = record_decision(CATALOGUE, at_decision("directe_veiligheid"), "blijven").state
    again = record_decision(CATALOGUE, state, "blijven")
    assert again.state == state and again.events == ()


def test_the_afsluitingsplan_is_asked_only_when_closing() -> None:
    staying = record_decision(CATALOGUE, at_decision("herstelgerichte_zorg"), "blijven").state
    staying = jump_to_section(CATALOGUE, staying, "afspraken").state
    refused(MoveCode.AT_LAST_QUESTION, next_step, staying)
    refused(MoveCode.ONLY_WHEN_CLOSING, jump_to_section, staying, "afsluitingsplan")

    closing = record_decision(CATALOGUE, staying, "afsluiten").state
    moved = next_step(CATALOGUE, closing)
    assert moved.events[-1].step.key == "herstelgerichte_zorg.afsluitingsplan.plan"  # type: ignore[union-attr]
    # On the Afsluitingsplan itself, first go back before deciding not to close after all.
    refused(MoveCode.ONLY_WHEN_CLOSING, record_decision, moved.state, "blijven")


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
    assert event == MeetingEnded("risicogestuurde_zorg", None, "risicogestuurde_zorg", False)
    assert not event.decided


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
    refused(MoveCode.ENDED, record_decision, ended, "blijven")
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
    stored = json.dumps(state.to_dict())
    restored = MeetingState.from_dict(json.loads(stored))
    assert restored == state
    assert next_step(CATALOGUE, restored) == next_step(CATALOGUE, state)


@pytest.mark.parametrize(
    "change",
    [
        {"format": 99},
        {"status": "paused"},
        {"cursor": -1},
        {"cursor": "3"},
        {"scale_round": True},
        {"skipped": "a.b"},
        {"decision": 3},
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
    wrong = MeetingState(phase="directe_veiligheid", status=Status.RUNNING, decision="x.y")
    refused(MoveCode.STATE_MISMATCH, next_step, wrong)
