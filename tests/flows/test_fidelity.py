"""The catalogue holds the guideline's text verbatim, complete and in order."""

from __future__ import annotations

import re

from flows.catalogue import load_catalogue
from flows.model import Catalogue, Outcome, Phase
from flows.overview import overview
from tests.flows.leidraad import (
    Section,
    guideline_lines,
    overview_paragraphs,
    parse_block,
    phase_blocks,
)


def catalogue_sections(catalogue: Catalogue, phase: Phase) -> list[Section]:
    """The phase as the guideline prints it: Doelstelling right after Vooraf."""
    result: list[Section] = []
    for section in phase.sections:
        items = [(q.text.nl, [p.text.nl for p in q.prompts]) for q in section.questions]
        if section.scale is not None:
            items.append((section.scale.text.nl, [p.text.nl for p in section.scale.prompts]))
        result.append((section.title.nl, items))
        if section.name == "vooraf":
            result.append((catalogue.goal_title.nl, [(phase.goal.nl, [])]))
    return result


def test_the_three_detailed_tables_are_the_three_phases_in_order() -> None:
    catalogue = load_catalogue()
    headers = [block.header for block in phase_blocks(guideline_lines())]
    assert headers == [f"{p.title.nl}: {p.subtitle.nl}" for p in catalogue.phases]


def test_every_question_prompt_and_goal_is_in_the_catalogue_verbatim_and_in_order() -> None:
    catalogue = load_catalogue()
    blocks = phase_blocks(guideline_lines())
    for phase, block in zip(catalogue.phases, blocks, strict=True):
        labels = {s.title.nl for s in phase.sections} | {catalogue.goal_title.nl}
        assert catalogue_sections(catalogue, phase) == parse_block(block, labels), phase.key


def test_the_guidelines_own_typos_are_kept() -> None:
    catalogue = load_catalogue()
    texts = {key: text.nl for key, text in catalogue.texts()}
    assert texts["directe_veiligheid.oordeelsvorming.nodig"] == (
        "Wat is nu nodig om direct veiligheid te creëren?"
    )
    assert texts["herstelgerichte_zorg.besluitvorming.prioriteit.2"] == (
        "Hoe kijken materiedeskundigen/ expertpoolleden hiernaar?"
    )


def test_the_overview_table_is_derived_from_the_catalogue() -> None:
    derived = overview(load_catalogue())
    paragraphs = overview_paragraphs(guideline_lines())
    vooraf, heading, phase_question, phase_titles, *rows = paragraphs

    first, *rest = derived.rows
    assert first.key == "vooraf"
    for cell in first.cells:
        questions = [text.nl for text in cell]
        assert vooraf == [f"{first.title.nl} {questions[0]}", *questions[1:]]
    assert " ".join(heading) == derived.heading.nl
    assert " ".join(phase_question) == derived.phase_question.nl
    assert " ".join(phase_titles) == " ".join(t.nl for t in derived.phase_titles)

    # The overview's columns run together: per row, phase 1's questions, then 2's, then 3's.
    expected = []
    for row in rest:
        texts = [text.nl for cell in row.cells for text in cell]
        expected.extend([f"{row.title.nl} {texts[0]}", *texts[1:]])
    assert [" ".join(p) for p in rows] == expected


def test_the_overview_keeps_its_own_shorter_wording_where_it_differs() -> None:
    rows = {row.key: row for row in overview(load_catalogue()).rows}
    phase_1_judgement = [t.nl for t in rows["oordeelsvorming"].cells[0]]
    assert "Wat is nodig om directe veiligheid te creëren?" in phase_1_judgement
    phase_2_goal = rows["doelstelling"].cells[1][0].nl
    assert "herhaling van geweld" in phase_2_goal


_MOVE = re.compile(r"ga (door|terug) naar de fase van ([^.]+)\.")


def test_decisions_sit_at_the_questions_whose_bullets_say_where_to_go() -> None:
    """Every question whose bullet says "ga door/terug naar de fase van ..." or "maak een
    afsluitingsplan" is a decision point with exactly those branches, plus going on below;
    no other question is one."""
    catalogue = load_catalogue()
    by_title = {p.title.nl.lower(): p.key for p in catalogue.phases}
    for phase in catalogue.phases:
        for section in phase.sections:
            for question in section.questions:
                text = " ".join(p.text.nl for p in question.prompts)
                expected = set()
                for direction, names in _MOVE.findall(text):
                    outcome = Outcome.FORWARD if direction == "door" else Outcome.BACK
                    expected |= {(outcome, by_title[name]) for name in names.split(" of ")}
                if "maak een afsluitingsplan" in text:
                    expected.add((Outcome.CLOSE, None))
                if expected:
                    expected.add((Outcome.STAY, None))
                actual = {(d.outcome, d.target) for d in question.options}
                assert actual == expected, question.key


def test_branch_buttons_use_the_guidelines_words_where_it_has_them() -> None:
    """The branches the guideline words itself ("Indien het laatste, ga door naar de fase van
    risicogestuurde zorg") carry exactly those words, cut at the sentence; "de fase van A of B"
    is one button per phase."""
    catalogue = load_catalogue()
    sentences = set()
    for phase in catalogue.phases:
        for question in phase.decision_questions:
            for prompt in question.prompts:
                for sentence in re.split(r"(?<=\.) ", prompt.text.nl):
                    head, found, names = sentence.strip().partition("de fase van ")
                    targets = names.rstrip(".").split(" of ") if found else [""]
                    sentences |= {f"{head}{found}{target}" for target in targets}
    worded = [
        d
        for phase in catalogue.phases
        for d in phase.decisions
        if d.target or d.outcome is Outcome.CLOSE
    ]
    for decision in worded:
        own = decision.text.nl.rstrip(".")
        assert any(own == s.rstrip(".") for s in sentences), decision.key
