"""A phase as the list of steps a meeting walks through."""

from __future__ import annotations

import pytest

from flows.catalogue import load_catalogue
from flows.steps import StepKind, phase_steps

PHASES = load_catalogue().phase_keys


@pytest.mark.parametrize("phase_key", PHASES)
def test_sections_come_in_the_guidelines_order(phase_key: str) -> None:
    steps = phase_steps(load_catalogue().phase(phase_key))
    sections = list(dict.fromkeys(step.section.name for step in steps))
    expected = ["vooraf", "beeldvorming", "schaalvraag", "oordeelsvorming", "besluitvorming"]
    expected.append("afspraken")
    if phase_key == "herstelgerichte_zorg":
        expected.append("afsluitingsplan")
    assert sections == expected


DECISION_QUESTIONS = {
    "directe_veiligheid": ["oordeelsvorming.zorgen_of_risicos"],
    "risicogestuurde_zorg": [
        "beeldvorming.stand_van_zaken",
        "oordeelsvorming.opnieuw_zorgen",
        "oordeelsvorming.zorgen_of_herstel",
    ],
    "herstelgerichte_zorg": [
        "beeldvorming.stand_van_zaken",
        "oordeelsvorming.opnieuw_zorgen",
        "oordeelsvorming.stappen",
    ],
}


@pytest.mark.parametrize("phase_key", PHASES)
def test_one_scale_step_and_the_decisions_at_the_guidelines_own_questions(phase_key: str) -> None:
    phase = load_catalogue().phase(phase_key)
    steps = phase_steps(phase)
    kinds = [step.kind for step in steps]
    assert kinds.count(StepKind.SCALE) == 1
    deciding = [s.key.partition(".")[2] for s in steps if s.is_decision]
    assert deciding == DECISION_QUESTIONS[phase_key]
    for step in steps:
        assert step.kind is StepKind.QUESTION or not step.is_decision
        question = next(
            (q for sec in phase.sections for q in sec.questions if q.key == step.key), None
        )
        assert step.options == (question.options if question else ())
    scale_step = steps[kinds.index(StepKind.SCALE)]
    assert scale_step.scale is phase.scale and scale_step.prompts == phase.scale.prompts


@pytest.mark.parametrize("phase_key", PHASES)
def test_positions_read_n_of_m_overall_and_within_the_section(phase_key: str) -> None:
    steps = phase_steps(load_catalogue().phase(phase_key))
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert {s.total for s in steps} == {len(steps)}
    for step in steps:
        siblings = [s for s in steps if s.section.key == step.section.key]
        assert step.section_total == len(siblings)
        assert siblings[step.index_in_section] is step
        assert step.number_in_section == step.index_in_section + 1


def test_phase_one_has_thirteen_steps_and_decides_at_the_eighth() -> None:
    steps = phase_steps(load_catalogue().phase("directe_veiligheid"))
    assert len(steps) == 13
    assert steps[7].key == "directe_veiligheid.oordeelsvorming.zorgen_of_risicos"
    assert steps[7].is_decision
    assert steps[6].key == "directe_veiligheid.schaalvraag.bezorgdheid"


def test_only_the_afsluitingsplan_waits_for_a_closing_decision() -> None:
    for phase in load_catalogue().phases:
        waiting = [s.key for s in phase_steps(phase) if s.only_if_closing]
        expected = ["herstelgerichte_zorg.afsluitingsplan.plan"]
        assert waiting == (expected if phase.key == "herstelgerichte_zorg" else [])
