"""The Schaalvraag's arithmetic: strict scores, tallies, spread and trend. Standard library only.

Good practice in the guideline: everyone scores independently, all scores are revealed at
once, then the spread is discussed — the lowest and highest scorers explain their
onderbouwing first when the scores lie far apart.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

MINIMUM = 1
MAXIMUM = 10
SCORES = tuple(range(MINIMUM, MAXIMUM + 1))
DEFAULT_SPREAD_THRESHOLD = 3

_SCORE = re.compile(r"(?:10|[1-9])")
# Slack's action_ts: seconds since the epoch with microseconds, e.g. "1712345678.123456".
_ACTION_TS = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,6})?")
ACTION_TS_WIDTH = 17  # 10 digits, a dot, 6 digits: "1712345678.123456"


def parse_score(raw: object) -> int | None:
    """A score exactly as our buttons send it ("1" .. "10"), else None. Nothing is coerced:
    " 7", "07", "7.0", 7.0 and True are all refused, because our buttons never send them."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if MINIMUM <= raw <= MAXIMUM else None
    if isinstance(raw, str) and _SCORE.fullmatch(raw):
        return int(raw)
    return None


def action_ts_key(raw: object) -> str | None:
    """Slack's action_ts as a fixed-width string that sorts like the number it is.

    Stored this way, "is this click newer?" is a plain string comparison inside the database's
    upsert, identical on SQLite and PostgreSQL ("9.5" < "10.1" as numbers, not as text).
    """
    if not isinstance(raw, str) or not _ACTION_TS.fullmatch(raw):
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        return None
    return f"{number:0{ACTION_TS_WIDTH}.6f}"


@dataclass(frozen=True, slots=True)
class Tally:
    """A round's scores at the reveal: `counts` has every score 1..10, zero where unused."""

    counts: Mapping[int, int]

    @classmethod
    def of(cls, scores: Iterable[int]) -> Tally:
        counts = dict.fromkeys(SCORES, 0)
        for score in scores:
            if score not in counts:
                raise ValueError(f"score {score!r} is outside {MINIMUM}..{MAXIMUM}")
            counts[score] += 1
        return cls(counts)

    @classmethod
    def from_counts(cls, grouped: Mapping[int, int]) -> Tally:
        """From a GROUP BY value, COUNT(*) result."""
        counts = dict.fromkeys(SCORES, 0)
        for score, count in grouped.items():
            if score not in counts or count < 0:
                raise ValueError(f"bad count {count!r} for score {score!r}")
            counts[score] = count
        return cls(counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def most(self) -> int:
        """The highest count of any score: the length of the longest bar."""
        return max(self.counts.values())

    def _expanded(self) -> list[int]:
        return [score for score in SCORES for _ in range(self.counts[score])]

    @property
    def median(self) -> float | None:
        """The middle score (the mean of the two middle ones for an even count); None when empty."""
        return statistics.median(self._expanded()) if self.total else None

    @property
    def minimum(self) -> int | None:
        return next((s for s in SCORES if self.counts[s]), None)

    @property
    def maximum(self) -> int | None:
        return next((s for s in reversed(SCORES) if self.counts[s]), None)

    @property
    def spread(self) -> int:
        if self.minimum is None or self.maximum is None:
            return 0
        return self.maximum - self.minimum

    def far_apart(self, threshold: int = DEFAULT_SPREAD_THRESHOLD) -> bool:
        """Scores far enough apart that the lowest and highest scorers explain first."""
        return self.total >= 2 and self.spread >= threshold


@dataclass(frozen=True, slots=True)
class Outliers:
    lowest: tuple[str, ...]
    highest: tuple[str, ...]


def outliers(
    votes: Mapping[str, int], threshold: int = DEFAULT_SPREAD_THRESHOLD
) -> Outliers | None:
    """Who gave the lowest and who the highest score, when the spread reaches `threshold`."""
    tally = Tally.of(votes.values())
    if not tally.far_apart(threshold):
        return None
    return Outliers(
        lowest=tuple(sorted(u for u, v in votes.items() if v == tally.minimum)),
        highest=tuple(sorted(u for u, v in votes.items() if v == tally.maximum)),
    )


def by_score(votes: Mapping[str, int]) -> dict[int, tuple[str, ...]]:
    """Voters per score, lowest score first; only scores somebody gave."""
    grouped: dict[int, list[str]] = {}
    for user, score in votes.items():
        grouped.setdefault(score, []).append(user)
    return {score: tuple(sorted(grouped[score])) for score in sorted(grouped)}


@dataclass(frozen=True, slots=True)
class RoundScores:
    """One revealed round of one meeting, as the trend needs it."""

    meeting_id: int
    held_at: datetime | None
    phase: str
    round: int
    tally: Tally
    family: int | None = None  # the visie van betrokkenen recorded at that meeting
    # The scale it was given on (the scale question's key): scores on different scales
    # (directe veiligheid, stabiele veiligheid, kwaliteit van leven) never share a line.
    scale: str = ""


@dataclass(frozen=True, slots=True)
class TrendPoint:
    meeting_id: int
    held_at: datetime | None
    phase: str
    rounds: tuple[tuple[int, float], ...]  # (round, median) of every round with votes
    family: int | None
    scale: str = ""

    @property
    def median(self) -> float | None:
        """The meeting's score: the median of its last round (earlier rounds were re-voted)."""
        return self.rounds[-1][1] if self.rounds else None


def trend(rounds: Sequence[RoundScores]) -> list[TrendPoint]:
    """Per meeting and scale, in the order given: each round's median and the family's view.
    A meeting that voted on two scales (it changed phase) is a point on each."""
    points: dict[tuple[int, str], TrendPoint] = {}
    for scores in rounds:
        at = (scores.meeting_id, scores.scale)
        known = points.get(at)
        medians = known.rounds if known else ()
        if scores.tally.median is not None:
            medians = (*medians, (scores.round, scores.tally.median))
        family = scores.family if scores.family is not None else (known.family if known else None)
        points[at] = TrendPoint(
            scores.meeting_id, scores.held_at, scores.phase, medians, family, scores.scale
        )
    return list(points.values())


def per_scale(points: Sequence[TrendPoint]) -> dict[str, list[TrendPoint]]:
    """The points of each scale, scales in the order they were first used."""
    lines: dict[str, list[TrendPoint]] = {}
    for point in points:
        lines.setdefault(point.scale, []).append(point)
    return lines
