"""What the figures were measured on: they mean little without the machine and its load."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy
from slack_bolt.version import __version__ as bolt_version

from benchmarks.database import describe


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def describe_machine(database_url: str | None) -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "database": describe(database_url),
        # Other work on the machine slows every figure; the load at the start says how much.
        "load_average": load_average(),
        "slack_bolt": bolt_version,
        "aiohttp": aiohttp.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }
