"""What a ZVH meeting report holds, as plain data ready to render (no Slack, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    organisation: str


@dataclass(frozen=True, slots=True)
class Contribution:
    author: str  # "Name (Organisation)"
    text: str


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision taken at a question of the guideline: its branch and who recorded it."""

    question: str
    decision: str
    by: str


@dataclass(frozen=True, slots=True)
class QuestionMinutes:
    question: str
    contributions: tuple[Contribution, ...]
    decided: Decided | None = None  # at a decision point: what the group decided there


@dataclass(frozen=True, slots=True)
class ScoreRound:
    number: int
    scores: tuple[tuple[str, int], ...]  # (name, score), revealed rounds only
    median: float | None
    low: int | None
    high: int | None
    counts: tuple[tuple[int, int], ...] = ()  # (score, how many gave it): the distribution


@dataclass(frozen=True, slots=True)
class ActionItem:
    what: str
    who: str
    when: str
    status: str = ""


@dataclass(frozen=True, slots=True)
class Bodemeis:
    text: str
    monitor: str
    interval: str


@dataclass(frozen=True, slots=True)
class Report:
    code: str
    phase: str
    goal: str
    date: str
    attendees: tuple[Person, ...]  # present: checked in, or marked so by a regisseur
    absent: tuple[Person, ...]  # marked absent, or never checked in
    confidentiality: tuple[tuple[str, str], ...]  # (guest, when confirmed)
    minutes: tuple[QuestionMinutes, ...]
    scale_question: str
    score_rounds: tuple[ScoreRound, ...] = ()
    # The view of the people involved, one (role, score, text) per role; and whether they
    # were informed of the outcome (one line: the answer, and the reason when not yes).
    involved: tuple[tuple[str, int | None, str], ...] = ()
    informed: str = ""
    decision: str | None = None  # the latest decision (the one that sets the course)
    decided_by: str | None = None
    decisions: tuple[Decided, ...] = ()  # every decision, each at its question, in order
    undecided: str | None = None  # the decision question the meeting ended before
    next_phase: str | None = None
    closed: bool = False
    actions: tuple[ActionItem, ...] = ()
    bodemeisen: tuple[Bodemeis, ...] = ()
    # Every bodemeis of the case that was changed or ended: one tuple of lines per bodemeis, its
    # versions oldest first, then its end (issue 16).
    bodemeis_history: tuple[tuple[str, ...], ...] = ()
    next_meeting: str | None = None
    timeline: str | None = None
    escalation_plan: str | None = None
    informing: str | None = None
    closure_plan: str | None = None
    previous_actions: tuple[ActionItem, ...] = field(default=())
    # The aanbrengende partner: the organisation that brought the case in (issue 16).
    referring_partner: str | None = None
    excused: tuple[Person, ...] = ()  # afgemeld
    missing_organisations: tuple[str, ...] = ()  # of the case, with nobody present
    invited_only: tuple[Person, ...] = ()  # held before attendance was kept: the invitees
