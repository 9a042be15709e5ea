"""A phase as the ordered list of steps a meeting walks through, one main question at a time."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from flows.model import Catalogue, Decision, Phase, Prompt, Scale, Section
from flows.text import Text


class StepKind(StrEnum):
    QUESTION = "question"
    SCALE = "scale"


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
    # At one of the guideline's decision points: its branches (the group decides here).
    options: tuple[Decision, ...] = ()

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

    @property
    def is_decision(self) -> bool:
        return bool(self.options)

    @property
    def phase_key(self) -> str:
        return self.key.partition(".")[0]

    def option(self, key_or_name: str) -> Decision | None:
        return next((d for d in self.options if key_or_name in (d.key, d.name)), None)


_Item = tuple[StepKind, str, Text, tuple[Prompt, ...], Scale | None, tuple[Decision, ...]]


def _section_items(section: Section) -> list[_Item]:
    # Main questions first, then the scale.
    items: list[_Item] = [
        (StepKind.QUESTION, q.key, q.text, q.prompts, None, q.options) for q in section.questions
    ]
    if section.scale is not None:
        scale = section.scale
        items.append((StepKind.SCALE, scale.key, scale.text, scale.prompts, scale, ()))
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
        for in_section, (kind, key, text, prompts, scale, options) in enumerate(items):
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
                    options=options,
                )
            )
    return tuple(steps)


def step_by_key(catalogue: Catalogue, key: str) -> Step | None:
    """The step with this key, in whichever phase it is (keys start with their phase's key)."""
    phase = key.partition(".")[0]
    if phase not in catalogue.phase_keys:
        return None
    return next((s for s in phase_steps(catalogue.phase(phase)) if s.key == key), None)


def entry_index(steps: tuple[Step, ...]) -> int:
    """Where a meeting that moves to this phase goes on: after the Vooraf (just discussed), at
    the Beeldvorming."""
    return next((s.index for s in steps if s.section.name != "vooraf"), 0)


def section_index(steps: tuple[Step, ...], name: str) -> int | None:
    """The first step of the section called `name`, if the phase has it."""
    return next((s.index for s in steps if s.section.name == name), None)
