"""`python -m benchmarks [votes|steps|reminders|memory|all] [--json [FILE]] [...]`

Prints a table, or with --json one JSON object, so figures can be compared over time;
`--check` prints issue 19's targets with their figures and exits 1 when one is missed. Not a
test: nothing here asserts a speed in CI. Everything runs on 127.0.0.1; the bot and the
references run as their own processes. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import memory, reminders, steps, votes
from benchmarks.check import JUDGED, collect, render
from benchmarks.database import dialect
from benchmarks.machine import describe_machine, load_average
from benchmarks.report import table

PARTS = ("votes", "steps", "reminders", "memory")
POSTGRES_ENV = "CASUSBOT_TEST_POSTGRES_URL"
STDOUT = "-"


@dataclass(frozen=True)
class Sizes:
    voters: int
    concurrency: int
    clicks: int
    steps: int
    decisions: int
    reveals: int
    reminders: int
    cases: int
    idle_seconds: float
    memory_settle: float


FULL = Sizes(
    voters=200,
    concurrency=50,
    clicks=3,
    steps=50,
    decisions=50,
    reveals=20,
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
    decisions=2,
    reveals=2,
    reminders=40,
    cases=10,
    idle_seconds=0.5,
    memory_settle=0.2,  # only the JSON's shape matters in a smoke run
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("part", nargs="?", default="all", choices=(*PARTS, "all"))
    p.add_argument(
        "--json",
        action="append",
        nargs="?",
        const=STDOUT,
        metavar="FILE",
        help="print one JSON object instead of a table; with FILE, write it there (and print"
        " the table). With --check: read FILE (a run's JSON, '-' for stdin; repeatable) instead"
        " of running",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="issue 19's targets, each with its figure, ✓ or ✗; exit 1 when one is missed."
        " Runs votes and steps on SQLite and on PostgreSQL (--database-url or"
        f" {POSTGRES_ENV}), or reads --json FILEs",
    )
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
        "--decisions", type=_positive, help=f"decision clicks to time ({FULL.decisions})"
    )
    p.add_argument("--reveals", type=_positive, help=f"vote reveals to time ({FULL.reveals})")
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
        print(
            f"benchmarks: running {part} on {dialect(database_url)}…", file=sys.stderr, flush=True
        )
        before = load_average()
        results[part] = await run_part(part, size, database_url)
        results[part]["load_average"] = {"before": before, "after": load_average()}
    results["machine"]["load_average_after"] = load_average()
    return results


async def run_part(part: str, size: Sizes, database_url: str | None) -> dict[str, Any]:
    if part == "votes":
        return await votes.run(
            voters=size.voters,
            concurrency=size.concurrency,
            clicks=size.clicks,
            database_url=database_url,
        )
    if part == "steps":
        return await steps.run(
            steps=size.steps,
            decisions=size.decisions,
            reveals=size.reveals,
            database_url=database_url,
        )
    if part == "reminders":
        return await reminders.run(
            reminders=size.reminders, idle_seconds=size.idle_seconds, database_url=database_url
        )
    return await memory.run(
        cases=size.cases, settle_seconds=size.memory_settle, database_url=database_url
    )


def check_databases(database_url: str | None) -> list[str | None]:
    """SQLite (a temporary file unless --database-url names one) and PostgreSQL (from
    --database-url or the test suite's variable), when known."""
    sqlite: str | None = None
    postgresql = os.environ.get(POSTGRES_ENV) or None
    if database_url and dialect(database_url) == "postgresql":
        postgresql = database_url
    elif database_url:
        sqlite = database_url
    if postgresql is None:
        print(
            f"benchmarks: no PostgreSQL (give --database-url or set {POSTGRES_ENV}):"
            " its targets count as missed",
            file=sys.stderr,
        )
        return [sqlite]
    return [sqlite, postgresql]


async def run_check(parts: Sequence[str], size: Sizes, database_url: str | None) -> dict[str, Any]:
    return {"runs": [await run(parts, size, url) for url in check_databases(database_url)]}


def check(args: argparse.Namespace) -> int:
    inputs = args.json or []
    if inputs:
        results = [
            json.load(sys.stdin) if name == STDOUT else json.loads(Path(name).read_text())
            for name in inputs
        ]
    else:
        parts = JUDGED if args.part == "all" else (args.part,)
        results = [asyncio.run(run_check(parts, sizes(args), args.database_url))]
        saved = Path(tempfile.gettempdir()) / time.strftime(
            "casusbot-benchmarks-%Y%m%d-%H%M%S.json"
        )
        saved.write_text(json.dumps(results[0], indent=2) + "\n")
        print(
            f"benchmarks: figures saved in {saved}; check them again with"
            f" python -m benchmarks --check --json {saved}",
            file=sys.stderr,
        )
    text, met = render(collect(results))
    print(text)
    return 0 if met else 1


def main(argv: Sequence[str] | None = None) -> int:
    parsing = parser()
    args = parsing.parse_args(argv)
    for name in args.json or []:
        if name in (*PARTS, "all"):
            # `--json votes` reads as "write the JSON to a file named votes".
            parsing.error(
                f"--json {name}: name the part first (python -m benchmarks {name} --json)"
            )
    # The sandbox and SQLAlchemy talk at INFO; only problems belong on stderr here.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.check:
        return check(args)
    parts = PARTS if args.part == "all" else (args.part,)
    results = asyncio.run(run(parts, sizes(args), args.database_url))
    outputs = args.json or []
    print(json.dumps(results, indent=2) if STDOUT in outputs else table(results))
    for name in outputs:
        if name != STDOUT:
            Path(name).write_text(json.dumps(results, indent=2) + "\n")
    return 0
