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


@pytest.mark.parametrize("phase_key", PHASES)
def test_one_scale_step_and_the_decision_right_after_the_oordeelsvorming(phase_key: str) -> None:
    phase = load_catalogue().phase(phase_key)
    steps = phase_steps(phase)
    kinds = [step.kind for step in steps]
    assert kinds.count(StepKind.SCALE) == 1 and kinds.count(StepKind.DECISION) == 1
    judgement = [s for s in steps if s.section.name == "oordeelsvorming"]
    assert [s.kind for s in judgement][-1] is StepKind.DECISION
    assert all(s.kind is StepKind.QUESTION for s in judgement[:-1])
    assert steps[judgement[-1].index + 1].section.name == "besluitvorming"
    decision_step = judgement[-1]
    assert decision_step.decision is phase.decision_point
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


def test_phase_one_has_fourteen_steps_and_the_decision_is_tenth() -> None:
    steps = phase_steps(load_catalogue().phase("directe_veiligheid"))
    assert len(steps) == 14
    assert steps[9].key == "directe_veiligheid.oordeelsvorming.uitkomst"
    assert steps[6].key == "directe_veiligheid.schaalvraag.bezorgdheid"


def test_only_the_afsluitingsplan_waits_for_a_closing_decision() -> None:
    for phase in load_catalogue().phases:
        waiting = [s.key for s in phase_steps(phase) if s.only_if_closing]
        expected = ["herstelgerichte_zorg.afsluitingsplan.plan"]
        assert waiting == (expected if phase.key == "herstelgerichte_zorg" else [])
