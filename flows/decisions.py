"""The rules for Oordeelsvorming outcomes: which phase a case moves to, and what is allowed.

The guideline's instructions are "ga door naar de fase van ..." (forward), "ga terug naar de fase
van ..." (back), staying in the phase, and in herstel "maak een afsluitingsplan" (close).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.errors import Problem
from flows.model import Decision, Outcome, Phase


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
    """Why the decision options of `phase` contradict the phase order, if they do."""
    problems: list[Problem] = []
    here = phase_keys.index(phase.key)
    options = phase.decisions
    if sum(d.outcome is Outcome.STAY for d in options) != 1:
        problems.append(Problem("needs exactly one 'stay' outcome", key=phase.decision_point.key))
    seen: set[tuple[Outcome, str | None]] = set()
    for decision in options:
        moves = decision.outcome in (Outcome.FORWARD, Outcome.BACK)
        if (decision.outcome, decision.target) in seen:
            problems.append(Problem("repeats another outcome of this phase", key=decision.key))
        seen.add((decision.outcome, decision.target))
        if not moves:
            if decision.target is not None:
                problems.append(
                    Problem(f"a '{decision.outcome}' outcome takes no target", key=decision.key)
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
    closing = any(d.outcome is Outcome.CLOSE for d in options)
    for section in phase.sections:
        if section.only_if_closing and not closing:
            problems.append(
                Problem("is only asked when closing, but this phase cannot close", key=section.key)
            )
    return problems
