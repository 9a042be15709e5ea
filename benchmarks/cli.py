"""`python -m benchmarks [votes|steps|reminders|memory|all] [--json] [...]`

Prints a table, or with --json one JSON object, so figures can be compared over time. Not a
test: nothing here asserts a speed. Everything runs on 127.0.0.1; the bot and the references
run as their own processes. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import memory, reminders, steps, votes
from benchmarks.machine import describe_machine
from benchmarks.report import table

PARTS = ("votes", "steps", "reminders", "memory")


@dataclass(frozen=True)
class Sizes:
    voters: int
    concurrency: int
    clicks: int
    steps: int
    reminders: int
    cases: int
    idle_seconds: float
    memory_settle: float


FULL = Sizes(
    voters=200,
    concurrency=50,
    clicks=3,
    steps=50,
    reminders=10_000,
    cases=1_000,
    idle_seconds=10.0,
    memory_settle=2.0,
)
QUICK = Sizes(
    voters=8,
    concurrency=4,
    clicks=2,
    steps=3,
    reminders=40,
    cases=10,
    idle_seconds=0.5,
    memory_settle=0.2,  # only the JSON's shape matters in a smoke run
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("part", nargs="?", default="all", choices=(*PARTS, "all"))
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL (a fresh schema is made and dropped) or SQLite; default: a"
        " temporary SQLite file",
    )
    p.add_argument("--quick", action="store_true", help="small numbers: a smoke test")
    p.add_argument("--voters", type=_positive, help=f"voters in the storm ({FULL.voters})")
    p.add_argument(
        "--concurrency",
        type=_positive,
        help=f"requests in flight in the storm ({FULL.concurrency}; 1 is always run too)",
    )
    p.add_argument("--clicks", type=_positive, help=f"clicks per voter ({FULL.clicks})")
    p.add_argument("--steps", type=_positive, help=f"meeting steps to time ({FULL.steps})")
    p.add_argument(
        "--reminders", type=_positive, help=f"due reminders to drain ({FULL.reminders:,})"
    )
    p.add_argument(
        "--cases",
        type=_positive,
        help=f"cases in the loaded-memory database ({FULL.cases:,}, 10 reminders each)",
    )
    p.add_argument("--idle-seconds", type=float, help=f"idle CPU window ({FULL.idle_seconds:g})")
    return p


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def sizes(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else FULL
    picked = {
        name: getattr(args, name) if getattr(args, name) is not None else getattr(base, name)
        for name in Sizes.__dataclass_fields__
        if name != "memory_settle"
    }
    picked["memory_settle"] = base.memory_settle
    return Sizes(**picked)


async def run(parts: Sequence[str], size: Sizes, database_url: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": describe_machine(database_url)}
    for part in parts:
        print(f"benchmarks: running {part}…", file=sys.stderr, flush=True)
        if part == "votes":
            results["votes"] = await votes.run(
                voters=size.voters,
                concurrency=size.concurrency,
                clicks=size.clicks,
                database_url=database_url,
            )
        elif part == "steps":
            results["steps"] = await steps.run(steps=size.steps, database_url=database_url)
        elif part == "reminders":
            results["reminders"] = await reminders.run(
                reminders=size.reminders,
                idle_seconds=size.idle_seconds,
                database_url=database_url,
            )
        elif part == "memory":
            results["memory"] = await memory.run(
                cases=size.cases, settle_seconds=size.memory_settle, database_url=database_url
            )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # The sandbox and SQLAlchemy talk at INFO; only problems belong on stderr here.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parts = PARTS if args.part == "all" else (args.part,)
    results = asyncio.run(run(parts, sizes(args), args.database_url))
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0
