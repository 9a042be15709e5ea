"""Every catalogue key the meeting stores fits its column (SQLite would not notice; PostgreSQL
refuses, which would fail a decision in the middle of a meeting)."""

from __future__ import annotations

from pathlib import Path

from flows.catalogue import load_catalogue
from flows.steps import phase_steps
from storage.models import Contribution, Meeting

EXAMPLE_MAATWERK = Path(__file__).resolve().parents[2] / "flows" / "maatwerk.example.yaml"


def _limit(model: type, column: str) -> int:
    return model.__table__.c[column].type.length  # type: ignore[attr-defined]


def test_step_and_decision_keys_fit_their_columns() -> None:
    for catalogue in (load_catalogue(), load_catalogue(EXAMPLE_MAATWERK)):
        for phase in catalogue.phases:
            assert len(phase.key) <= _limit(Meeting, "phase")
            for step in phase_steps(phase):
                assert len(step.key) <= _limit(Contribution, "step_key"), step.key
            for decision in phase.decisions:
                assert len(decision.key) <= _limit(Meeting, "decision"), decision.key
