"""A phase as the ordered list of steps a meeting walks through, one main question at a time."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from flows.model import DecisionPoint, Phase, Prompt, Scale, Section
from flows.text import Text


class StepKind(StrEnum):
    QUESTION = "question"
    SCALE = "scale"
    DECISION = "decision"


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    kind: StepKind
    section: Section
    text: Text
    prompts: tuple[Prompt, ...]
    index: int  # 0-based place in the phase's steps: what a meeting's cursor points at
    total: int
    index_in_section: int
    section_total: int
    scale: Scale | None = None
    decision: DecisionPoint | None = None

    @property
    def number(self) -> int:
        """1-based, for "question 3 of 17"."""
        return self.index + 1

    @property
    def number_in_section(self) -> int:
        return self.index_in_section + 1

    @property
    def only_if_closing(self) -> bool:
        return self.section.only_if_closing


_Item = tuple[StepKind, str, Text, tuple[Prompt, ...], Scale | None, DecisionPoint | None]


def _section_items(section: Section) -> list[_Item]:
    # Main questions first, then the scale, then the decision point: so the decision comes right
    # after the Oordeelsvorming's questions.
    items: list[_Item] = [
        (StepKind.QUESTION, q.key, q.text, q.prompts, None, None) for q in section.questions
    ]
    if section.scale is not None:
        scale = section.scale
        items.append((StepKind.SCALE, scale.key, scale.text, scale.prompts, scale, None))
    if section.decision is not None:
        point = section.decision
        items.append((StepKind.DECISION, point.key, point.text, (), None, point))
    return items


@functools.lru_cache(maxsize=64)
def phase_steps(phase: Phase) -> tuple[Step, ...]:
    """The steps of `phase` in meeting order.

    Doelstelling is not a step: it is shown with the phase, not discussed as a question.
    """
    per_section = [(section, _section_items(section)) for section in phase.sections]
    total = sum(len(items) for _, items in per_section)
    steps: list[Step] = []
    for section, items in per_section:
        for in_section, (kind, key, text, prompts, scale, decision) in enumerate(items):
            steps.append(
                Step(
                    key=key,
                    kind=kind,
                    section=section,
                    text=text,
                    prompts=prompts,
                    index=len(steps),
                    total=total,
                    index_in_section=in_section,
                    section_total=len(items),
                    scale=scale,
                    decision=decision,
                )
            )
    return tuple(steps)


def decision_index(steps: tuple[Step, ...]) -> int:
    return next(step.index for step in steps if step.kind is StepKind.DECISION)
