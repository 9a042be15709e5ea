"""The two ways `flows` says no: a bad catalogue or maatwerk file, and an illegal meeting move."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file, phrased for the regional admin who has to fix it."""

    message: str
    key: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"'{self.key}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class CatalogueError(Exception):
    """A catalogue or maatwerk file cannot be used. The message names the file and each problem."""

    def __init__(self, path: Path | str, problems: Sequence[Problem]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            text = f"{self.path}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            text = f"{self.path}: {len(self.problems)} problems:\n{lines}"
        super().__init__(text)


class MoveCode(StrEnum):
    """Stable codes for refused meeting moves; the Slack layer translates each into a message."""

    NOT_RUNNING = "not_running"
    ALREADY_RUNNING = "already_running"
    ENDED = "ended"
    AT_FIRST_QUESTION = "at_first_question"
    AT_LAST_QUESTION = "at_last_question"
    UNKNOWN_SECTION = "unknown_section"
    UNKNOWN_PHASE = "unknown_phase"
    NOT_AT_SCALE = "not_at_scale"
    SCALE_OPEN = "scale_open"
    SCALE_NOT_OPEN = "scale_not_open"
    DECISION_REQUIRED = "decision_required"
    DECISION_NOT_REACHED = "decision_not_reached"
    UNKNOWN_DECISION = "unknown_decision"
    ONLY_WHEN_CLOSING = "only_when_closing"
    PHASE_LEFT = "phase_left"
    NO_PHASE_CHANGE = "no_phase_change"
    PASSED_BY_DECISION = "passed_by_decision"
    STATE_MISMATCH = "state_mismatch"


class MoveError(Exception):
    """A meeting move that the method does not allow right now; the state is left unchanged."""

    def __init__(self, code: MoveCode, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code.value}: {detail}")
