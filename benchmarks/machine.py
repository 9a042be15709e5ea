"""What the figures were measured on: they mean little without the machine and its load."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.database import describe, dialect
from benchmarks.profiler import profile_dir

LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "sqlalchemy", "sqlmodel", "aiosqlite", "asyncpg")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def describe_machine(database_url: str | None) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "database": describe(database_url),
        "dialect": dialect(database_url),
        # Other work on the machine slows every figure: the load before and after the run
        # (each part has its own too) says how much.
        "load_average_before": load_average(),
        "versions": versions(),
        # Under the profiler every figure is inflated; the profile says where, not how much.
        "profiled": profile_dir() is not None,
    }
