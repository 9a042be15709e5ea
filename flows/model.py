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
    """Where a branch of a decision question leads: on below, to another phase, or to closing."""

    STAY = "stay"  # "ga door hieronder": the next question of this phase
    FORWARD = "forward"  # "ga door naar de fase van ...": a later phase
    BACK = "back"  # "ga terug naar de fase van ...": an earlier phase
    CLOSE = "close"  # "ga door naar besluitvorming en maak een afsluitingsplan"

    @property
    def moves(self) -> bool:
        """The branch takes the meeting (and the case) to another phase."""
        return self in (Outcome.FORWARD, Outcome.BACK)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A sub-prompt (a bullet in the guideline) under a main question."""

    key: str
    text: Text


@dataclass(frozen=True, slots=True)
class Decision:
    """One branch of a decision question; its key is the question's key plus its name."""

    key: str
    outcome: Outcome
    text: Text  # the button, in the guideline's words
    # The phase the case moves to for FORWARD and BACK; None for STAY and CLOSE.
    target: str | None = None

    # A branch is a button: Slack cuts nothing, the catalogue's rules keep it within this.
    TEXT_LIMIT: ClassVar[int] = 75

    @property
    def name(self) -> str:
        return name_of(self.key)

    @property
    def question_key(self) -> str:
        return parent_key(self.key)

    @property
    def phase_key(self) -> str:
        return self.key.partition(".")[0]


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: Text
    prompts: tuple[Prompt, ...] = ()
    # The overview table at the top of the guideline sometimes words a question more briefly.
    overview: Text | None = None
    # A decision point of the guideline: the branches the group chooses between at this question.
    options: tuple[Decision, ...] = ()

    @property
    def is_decision(self) -> bool:
        return bool(self.options)

    def option(self, key_or_name: str) -> Decision | None:
        for decision in self.options:
            if key_or_name in (decision.key, decision.name):
                return decision
        return None


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
class Section:
    key: str
    title: Text
    questions: tuple[Question, ...] = ()
    scale: Scale | None = None
    # Which row of the guideline's overview table lists this section (None: its own row).
    overview_row: str | None = None
    # Asked only when the meeting decided to close the case (the Afsluitingsplan).
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
    def decision_questions(self) -> tuple[Question, ...]:
        """The guideline's decision points in this phase, in order."""
        return tuple(q for s in self.sections for q in s.questions if q.is_decision)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Every branch of every decision question of the phase."""
        return tuple(d for q in self.decision_questions for d in q.options)

    def option(self, key: str) -> Decision | None:
        """The branch with this full key, in this phase."""
        return next((d for d in self.decisions if d.key == key), None)


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

    def option(self, key: str) -> Decision | None:
        """The branch with this full key (it starts with its phase's key), in any phase."""
        phase = key.partition(".")[0]
        return self.phase(phase).option(key) if phase in self.phase_keys else None

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
                    yield from ((d.key, d.text) for d in question.options)
                if section.scale is not None:
                    scale = section.scale
                    yield scale.key, scale.text
                    yield f"{scale.key}.label_1", scale.label_1
                    yield f"{scale.key}.label_10", scale.label_10
                    yield from ((p.key, p.text) for p in scale.prompts)


OVERVIEW_HEADING_KEY = "overzicht.gefaseerde_ketenzorg"
OVERVIEW_PHASE_QUESTION_KEY = "overzicht.fasevraag"
OVERVIEW_GOAL_TITLE_KEY = "overzicht.doelstelling"
