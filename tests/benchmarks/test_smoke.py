"""`python -m benchmarks <part> --quick --json` runs and reports what it promises.

A smoke test of the harness only: speed is never asserted here (DESIGN §8). What is checked
is what must hold at any speed: no vote lost, the tally people see equals the stored votes,
no reminder sent twice. The four parts run as four processes at once, to keep this short.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PARTS = ("votes", "steps", "reminders", "memory")
RUN_TIMEOUT = 300.0  # a loaded CI machine starts a dozen Python processes here
MACHINE_KEYS = {"cpu", "cores", "python", "database", "load_average"}
LATENCY_KEYS = {"p50_ms", "p99_ms", "max_ms", "throughput"}


async def run_part(part: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks",
        part,
        "--quick",
        "--json",
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    assert process.returncode == 0, f"{part} failed:\n{err.decode()[-3000:]}"
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    async def all_parts() -> list[dict[str, Any]]:
        return await asyncio.gather(*(run_part(part) for part in PARTS))

    return dict(zip(PARTS, asyncio.run(all_parts()), strict=True))


def test_every_part_describes_the_machine(results: dict[str, dict[str, Any]]) -> None:
    for part, result in results.items():
        assert MACHINE_KEYS <= set(result["machine"]), part
        assert set(result) == {"machine", part}


def test_the_vote_storm_loses_nothing_and_shows_what_is_stored(
    results: dict[str, dict[str, Any]],
) -> None:
    votes = results["votes"]["votes"]
    assert votes["lost_votes"] == 0
    assert votes["tally_matches"] is True
    assert {"ours", "bare", "floor", "ratio_p50"} <= set(votes["isolated"])
    for level in ("concurrency_1", "concurrency_4"):
        figures = votes[level]
        for server in ("ours", "bare", "floor"):
            assert LATENCY_KEYS <= set(figures[server])
            assert figures[server]["non_200"] == 0, (level, server)
        assert {"ratio_p50", "ratio_floor_p50"} <= set(figures)


def test_meeting_steps_are_timed(results: dict[str, dict[str, Any]]) -> None:
    steps = results["steps"]["steps"]
    assert {"p50_ms", "p99_ms"} <= set(steps)
    assert steps["steps"] == 3


def test_no_reminder_is_sent_twice_or_left_behind(results: dict[str, dict[str, Any]]) -> None:
    reminders = results["reminders"]["reminders"]
    for run in ("one_process", "two_processes"):
        assert reminders[run]["duplicates"] == 0
        assert reminders[run]["not_sent"] == 0
        assert "seconds" in reminders[run]
    assert set(reminders["idle_cpu_percent"]) == {"interval_30s", "interval_1s"}


def test_memory_is_measured_for_the_bot_and_the_bare_app(
    results: dict[str, dict[str, Any]],
) -> None:
    memory = results["memory"]["memory"]
    assert {"idle_mb", "loaded_mb", "bare_idle_mb"} <= set(memory)
    assert all(memory[key] > 0 for key in ("idle_mb", "loaded_mb", "bare_idle_mb"))
