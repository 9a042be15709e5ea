"""The method as typed, immutable objects: catalogue → phases → sections → questions → prompts.

Every item has a stable dotted key that starts with its parent's key, e.g.
`directe_veiligheid.beeldvorming.zorgen.1`. Storage keeps these keys (contributions, votes,
meeting cursors), so they must not change when wording does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from flows.text import Text


def parent_key(key: str) -> str:
    return key.rpartition(".")[0]


def name_of(key: str) -> str:
    """The last segment of a key: `directe_veiligheid.beeldvorming` → `beeldvorming`."""
    return key.rpartition(".")[2]


class Outcome(StrEnum):
    """What the Oordeelsvorming can conclude about the phase the case is in."""

    STAY = "stay"
    FORWARD = "forward"
    BACK = "back"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A sub-prompt (a bullet in the guideline) under a main question."""

    key: str
    text: Text


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: Text
    prompts: tuple[Prompt, ...] = ()
    # The overview table at the top of the guideline sometimes words a question more briefly.
    overview: Text | None = None


@dataclass(frozen=True, slots=True)
class Scale:
    """The Schaalvraag: a 1–10 vote with explicit labels for both ends."""

    key: str
    text: Text
    label_1: Text
    label_10: Text
    prompts: tuple[Prompt, ...] = ()

    MINIMUM: ClassVar[int] = 1
    MAXIMUM: ClassVar[int] = 10

    def label(self, value: int) -> Text | None:
        """The label shown next to `value`; only the ends are labelled."""
        if value == self.MINIMUM:
            return self.label_1
        if value == self.MAXIMUM:
            return self.label_10
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    """One possible outcome of the Oordeelsvorming."""

    key: str
    outcome: Outcome
    text: Text
    # The phase the case moves to for FORWARD and BACK; None for STAY and CLOSE.
    target: str | None = None

    @property
    def name(self) -> str:
        return name_of(self.key)


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """Where the group records the outcome of the Oordeelsvorming, with its options."""

    key: str
    text: Text
    options: tuple[Decision, ...]

    def option(self, key_or_name: str) -> Decision | None:
        for decision in self.options:
            if key_or_name in (decision.key, decision.name):
                return decision
        return None


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: Text
    questions: tuple[Question, ...] = ()
    scale: Scale | None = None
    decision: DecisionPoint | None = None
    # Which row of the guideline's overview table lists this section (None: its own row).
    overview_row: str | None = None
    # Asked only when the Oordeelsvorming decided to close the case (the Afsluitingsplan).
    only_if_closing: bool = False

    @property
    def name(self) -> str:
        return name_of(self.key)


@dataclass(frozen=True, slots=True)
class Phase:
    key: str
    title: Text
    subtitle: Text
    goal: Text
    sections: tuple[Section, ...]
    goal_overview: Text | None = None

    def section(self, key_or_name: str) -> Section | None:
        for section in self.sections:
            if key_or_name in (section.key, section.name):
                return section
        return None

    @property
    def scale(self) -> Scale:
        # The loader guarantees exactly one scale per phase.
        return next(s.scale for s in self.sections if s.scale is not None)

    @property
    def decision_point(self) -> DecisionPoint:
        # The loader guarantees exactly one decision point per phase.
        return next(s.decision for s in self.sections if s.decision is not None)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.decision_point.options


@dataclass(frozen=True, slots=True)
class Catalogue:
    phases: tuple[Phase, ...]
    heading: Text
    phase_question: Text
    goal_title: Text

    @property
    def phase_keys(self) -> tuple[str, ...]:
        return tuple(phase.key for phase in self.phases)

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(f"unknown phase {key!r}; known phases: {', '.join(self.phase_keys)}")

    def texts(self) -> Iterator[tuple[str, Text]]:
        """Every text a region may reword, with its key, in the guideline's order."""
        yield OVERVIEW_HEADING_KEY, self.heading
        yield OVERVIEW_PHASE_QUESTION_KEY, self.phase_question
        yield OVERVIEW_GOAL_TITLE_KEY, self.goal_title
        for phase in self.phases:
            yield f"{phase.key}.titel", phase.title
            yield f"{phase.key}.subtitel", phase.subtitle
            yield f"{phase.key}.doelstelling", phase.goal
            for section in phase.sections:
                yield section.key, section.title
                for question in section.questions:
                    yield question.key, question.text
                    yield from ((p.key, p.text) for p in question.prompts)
                if section.scale is not None:
                    scale = section.scale
                    yield scale.key, scale.text
                    yield f"{scale.key}.label_1", scale.label_1
                    yield f"{scale.key}.label_10", scale.label_10
                    yield from ((p.key, p.text) for p in scale.prompts)
                if section.decision is not None:
                    yield section.decision.key, section.decision.text
                    yield from ((d.key, d.text) for d in section.decision.options)


OVERVIEW_HEADING_KEY = "overzicht.gefaseerde_ketenzorg"
OVERVIEW_PHASE_QUESTION_KEY = "overzicht.fasevraag"
OVERVIEW_GOAL_TITLE_KEY = "overzicht.doelstelling"
