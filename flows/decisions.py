"""The rules for the guideline's decision points: where a branch leads, and what a catalogue
must keep.

The guideline branches at specific questions: "Indien het eerste, ga door hieronder. Indien het
laatste, ga door naar de fase van ..." (stay / forward), "Zo ja, ga terug naar de fase van ..."
(back), and in herstel "Indien nee, ga door naar besluitvorming en maak een afsluitingsplan"
(close).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.errors import Problem
from flows.model import Decision, Outcome, Phase

# The section a meeting goes to when it moves to another phase without discussing it further;
# every phase keeps one (a maatwerk file cannot skip it).
AGREEMENTS_SECTION = "afspraken"


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where the case stands after a decision: its next phase, or closed."""

    next_phase: str | None
    closed: bool


def resolve(phase: Phase, decision: Decision) -> Resolution:
    if decision.outcome is Outcome.CLOSE:
        return Resolution(next_phase=None, closed=True)
    if decision.outcome is Outcome.STAY:
        return Resolution(next_phase=phase.key, closed=False)
    return Resolution(next_phase=decision.target, closed=False)


def decision_problems(phase: Phase, phase_keys: Sequence[str]) -> list[Problem]:
    """Why the decision points of `phase` contradict the phase order, if they do."""
    problems: list[Problem] = []
    here = phase_keys.index(phase.key)
    for question in phase.decision_questions:
        problems += _question_problems(question.key, question.options, here, phase_keys)
    problems += _section_problems(phase)
    options = phase.decisions
    if here + 1 < len(phase_keys) and not any(d.outcome is Outcome.FORWARD for d in options):
        problems.append(Problem("needs a decision point that moves on to a later phase", phase.key))
    if here > 0 and not any(d.outcome is Outcome.BACK for d in options):
        problems.append(
            Problem("needs a decision point that goes back to an earlier phase", phase.key)
        )
    closing = any(d.outcome is Outcome.CLOSE for d in options)
    for section in phase.sections:
        if section.only_if_closing and not closing:
            problems.append(
                Problem("is only asked when closing, but this phase cannot close", key=section.key)
            )
    return problems


def _question_problems(
    key: str, options: Sequence[Decision], here: int, phase_keys: Sequence[str]
) -> list[Problem]:
    problems: list[Problem] = []
    if sum(d.outcome is Outcome.STAY for d in options) != 1:
        problems.append(Problem("needs exactly one 'stay' branch (go on below)", key=key))
    if len(options) < 2:
        problems.append(Problem("a decision point needs at least two branches", key=key))
    seen: set[tuple[Outcome, str | None]] = set()
    for decision in options:
        for lang, text in (("nl", decision.text.nl), ("en", decision.text.en)):
            if len(text) > Decision.TEXT_LIMIT:
                problems.append(
                    Problem(
                        f"the {lang} text is a button: at most {Decision.TEXT_LIMIT} "
                        f"characters, not {len(text)}",
                        key=decision.key,
                    )
                )
        if (decision.outcome, decision.target) in seen:
            problems.append(Problem("repeats another branch of this question", key=decision.key))
        seen.add((decision.outcome, decision.target))
        if not decision.outcome.moves:
            if decision.target is not None:
                problems.append(
                    Problem(f"a '{decision.outcome}' branch takes no target", key=decision.key)
                )
            continue
        if decision.target not in phase_keys:
            problems.append(
                Problem(
                    f"target '{decision.target}' is not a phase; "
                    f"known phases: {', '.join(phase_keys)}",
                    key=decision.key,
                )
            )
            continue
        there = phase_keys.index(decision.target)
        if decision.outcome is Outcome.FORWARD and there <= here:
            problems.append(Problem("'forward' must name a later phase", key=decision.key))
        if decision.outcome is Outcome.BACK and there >= here:
            problems.append(Problem("'back' must name an earlier phase", key=decision.key))
    return problems


def _section_problems(phase: Phase) -> list[Problem]:
    """A meeting that moves to this phase can go straight to its Afspraken; decisions come
    before them."""
    names = [section.name for section in phase.sections]
    if AGREEMENTS_SECTION not in names:
        return [Problem(f"needs its '{AGREEMENTS_SECTION}' section", phase.key)]
    agreements = names.index(AGREEMENTS_SECTION)
    return [
        Problem("a decision point must come before the Afspraken over samenwerking", question.key)
        for section in phase.sections[agreements:]
        for question in section.questions
        if question.is_decision
    ]
