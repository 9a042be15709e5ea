"""`python -m benchmarks --check`: the targets of issue 19, each with its figure and ✓ or ✗.

A tool for whoever changes the click path and for reviewers, not a test and not part of CI:
the figures come from one run per database, and a loaded machine makes them meaningless (the
load average is printed, with a warning above LOADED). A target that was not measured, or
measured at smaller sizes than it names, counts as missed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
JUDGED = ("votes", "steps")  # the parts the targets are about
LOADED = 1.5  # the 1-minute load average above which figures come from a loaded machine
CPU_MS = 3.0
CPU_RATIO = 3.0
STORM_LEVEL = "concurrency_50"
STORM_RATIO = 1.0
STORM_P99_MS = 100.0
ISOLATED_RATIO = 0.5
STEP_LEVEL = "latency_100ms"
STEP_P50_MS = 150.0
STEPS = 50
VOTERS, CLICKS = 200, 3
# "SQLite no slower than PostgreSQL" with one run each: a 10 % difference is within the noise
# of two runs minutes apart, so only more than that counts as slower.
SQLITE_TOLERANCE = 1.10


@dataclass(frozen=True)
class Verdict:
    target: str
    where: str
    figure: str
    met: bool | None  # None: not measured (missed); see `informative`
    informative: bool = False  # a figure shown for context, no target of its own

    @property
    def mark(self) -> str:
        if self.informative:
            return "·"
        return "✓" if self.met else "✗"


@dataclass
class Runs:
    """The parts measured per database (later runs replace earlier ones), and every run as it
    was read (for its machine and load average)."""

    parts: dict[str, dict[str, Any]]
    runs: list[dict[str, Any]]

    @property
    def machines(self) -> list[dict[str, Any]]:
        return [run.get("machine", {}) for run in self.runs]


def collect(results: Iterable[dict[str, Any]]) -> Runs:
    """Runs from `python -m benchmarks ... --json` (one database each) or the combined file
    that a --check run writes ({"runs": [...]})."""
    runs = Runs({}, [])
    for result in results:
        for run in result.get("runs", [result]):
            machine = run.get("machine", {})
            runs.runs.append(run)
            dialect = machine.get("dialect") or (
                "postgresql"
                if str(machine.get("database", "")).startswith("PostgreSQL")
                else "sqlite"
            )
            parts = runs.parts.setdefault(dialect, {})
            parts.update({k: v for k, v in run.items() if k != "machine"})
    return runs


def verdicts(runs: Runs) -> list[Verdict]:
    found: list[Verdict] = []
    for dialect, name in DATABASES.items():
        parts = runs.parts.get(dialect, {})
        found += vote_targets(parts.get("votes"), name)
        found += step_targets(parts.get("steps"), name)
    found += comparisons(runs.parts.get("sqlite", {}), runs.parts.get("postgresql", {}))
    return found


def _missing(target: str, where: str, what: str = "not measured") -> Verdict:
    return Verdict(target, where, what, None)


def storm_levels(votes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in votes.items() if k.startswith("concurrency_")}


def worst_cpu(votes: dict[str, Any]) -> tuple[float, float | None, str]:
    """The highest CPU per click over the storm levels, its ratio to bare, and all of them."""
    cpu, ratios, shown = 0.0, [], []
    for key, level in storm_levels(votes).items():
        ours, bare = level["ours"]["cpu_ms_per_request"], level["bare"]["cpu_ms_per_request"]
        ratio = level.get("cpu_ratio") or (round(ours / bare, 2) if bare else None)
        cpu = max(cpu, ours)
        if ratio is not None:
            ratios.append(ratio)
        against = f"{ratio}× bare's {bare} ms" if ratio is not None else "bare under one tick"
        shown.append(f"c={key.removeprefix('concurrency_')}: {ours} ms, {against}")
    return cpu, max(ratios) if ratios else None, "; ".join(shown)


def vote_targets(votes: dict[str, Any] | None, where: str) -> list[Verdict]:
    cpu_target = f"CPU per vote click ≤ {CPU_MS:g} ms"
    ratio_target = f"CPU per vote click ≤ {CPU_RATIO:g}× bare Bolt"
    storm_target = f"concurrency 50: ratio_p50 ≤ {STORM_RATIO}"
    p99_target = f"concurrency 50: p99 < {STORM_P99_MS:g} ms"
    isolated_target = f"one click at a time: ratio_p50 ≤ {ISOLATED_RATIO:g}"
    lost_target = f"{VOTERS} voters × {CLICKS} clicks: 0 lost votes, tally shown = stored"
    if not votes:
        names = (cpu_target, ratio_target, storm_target, p99_target, isolated_target, lost_target)
        return [_missing(name, where) for name in names]
    found: list[Verdict] = []
    cpu, ratio, shown = worst_cpu(votes)
    if storm_levels(votes):
        found.append(Verdict(cpu_target, where, f"{cpu} ms ({shown})", cpu <= CPU_MS))
        found.append(
            Verdict(ratio_target, where, f"{ratio}×", ratio is not None and ratio <= CPU_RATIO)
        )
    else:
        found += [_missing(cpu_target, where), _missing(ratio_target, where)]
    storm = votes.get(STORM_LEVEL)
    if storm:
        ours, bare = storm["ours"], storm["bare"]
        found.append(
            Verdict(
                storm_target,
                where,
                f"{storm['ratio_p50']}× (p50 ours {ours['p50_ms']} ms, bare {bare['p50_ms']} ms)",
                storm["ratio_p50"] <= STORM_RATIO,
            )
        )
        found.append(
            Verdict(
                p99_target,
                where,
                f"ours {ours['p99_ms']} ms (bare {bare['p99_ms']} ms)",
                ours["p99_ms"] < STORM_P99_MS,
            )
        )
    else:
        found += [
            _missing(storm_target, where, "no concurrency-50 level (run with --concurrency 50)"),
            _missing(p99_target, where, "no concurrency-50 level (run with --concurrency 50)"),
        ]
    isolated = votes.get("isolated")
    if isolated:
        found.append(
            Verdict(
                isolated_target,
                where,
                f"{isolated['ratio_p50']}× (p50 ours {isolated['ours']['p50_ms']} ms,"
                f" bare {isolated['bare']['p50_ms']} ms)",
                isolated["ratio_p50"] <= ISOLATED_RATIO,
            )
        )
    else:
        found.append(_missing(isolated_target, where))
    voters, clicks = votes.get("voters", 0), votes.get("clicks_per_voter", 0)
    lost, tally = votes.get("lost_votes"), votes.get("tally_matches")
    sized = voters >= VOTERS and clicks >= CLICKS
    figure = f"{lost} lost, tally shown = stored: {'yes' if tally else 'no'}"
    if not sized:
        figure += f" (measured at {voters} × {clicks}: smaller than the target's)"
    found.append(Verdict(lost_target, where, figure, sized and lost == 0 and tally is True))
    return found


def step_targets(steps: dict[str, Any] | None, where: str) -> list[Verdict]:
    target = f"meeting step at 100 ms Slack latency: p50 < {STEP_P50_MS:g} ms"
    level = (steps or {}).get(STEP_LEVEL)
    if not level:
        return [_missing(target, where)]
    step = level["step"]
    figure = f"p50 {step['p50_ms']} ms, p99 {step['p99_ms']} ms over {step['n']} steps"
    if step["n"] < STEPS:
        figure += f" (fewer than {STEPS} steps)"
    found = [Verdict(target, where, figure, step["n"] >= STEPS and step["p50_ms"] < STEP_P50_MS)]
    levels = [v for k, v in (steps or {}).items() if k.startswith("latency_")]
    for latency in sorted(levels, key=lambda v: v["slack_latency_ms"]):
        for kind in ("step", "decision", "reveal"):
            shown = latency.get(kind)
            if shown and shown.get("n"):
                found.append(
                    Verdict(
                        f"{kind} at {latency['slack_latency_ms']} ms Slack latency",
                        where,
                        f"p50 {shown['p50_ms']} ms, p99 {shown['p99_ms']} ms (n={shown['n']})",
                        None,
                        informative=True,
                    )
                )
    return found


def comparisons(sqlite: dict[str, Any], postgresql: dict[str, Any]) -> list[Verdict]:
    """SQLite no slower than PostgreSQL on each figure that has a target."""
    where = "SQLite vs PostgreSQL"
    found = []
    for name, read in FIGURES.items():
        target = f"SQLite no slower than PostgreSQL (+{SQLITE_TOLERANCE - 1:.0%}): {name}"
        try:
            lite, pg = read(sqlite), read(postgresql)
        except KeyError:
            lite = pg = None
        if lite is None or pg is None:
            found.append(_missing(target, where, "not measured on both databases"))
            continue
        found.append(Verdict(target, where, f"{lite} vs {pg} ms", lite <= pg * SQLITE_TOLERANCE))
    return found


FIGURES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "CPU per vote click": lambda p: worst_cpu(p["votes"])[0] if storm_levels(p["votes"]) else None,
    "concurrency 50 p50": lambda p: p["votes"][STORM_LEVEL]["ours"]["p50_ms"],
    "concurrency 50 p99": lambda p: p["votes"][STORM_LEVEL]["ours"]["p99_ms"],
    "one click at a time p50": lambda p: p["votes"]["isolated"]["ours"]["p50_ms"],
    "meeting step p50 at 100 ms": lambda p: p["steps"][STEP_LEVEL]["step"]["p50_ms"],
}


def load_lines(runs: Runs) -> tuple[list[str], bool]:
    """The load average around each measured part, and whether the machine was loaded.

    The load before a part is what other work put on the machine (plus what is left of the
    previous part: the 1-minute average lags); after it, the benchmark's own processes count
    too. So only the 1-minute load before a part decides the warning.
    """
    lines, loaded = [], False
    for run in runs.runs:
        machine = run.get("machine", {})
        measured = {
            part: run[part]["load_average"]
            for part in JUDGED
            if "load_average" in run.get(part, {})
        }
        if not measured:  # a run from before loads were kept per part
            before = machine.get("load_average_before") or machine.get("load_average") or []
            measured = {"run": {"before": before, "after": machine.get("load_average_after")}}
        lines.append(
            f"  {machine.get('database', '?')} on {machine.get('cpu', '?')},"
            f" {machine.get('cores', '?')} cores; load average (1/5/15 min) before → after:"
        )
        for part, load in measured.items():
            before, after = load.get("before") or [], load.get("after") or []
            loaded = loaded or any(x > LOADED for x in before[:1])
            lines.append(f"    {part:<6} {_load(before)} → {_load(after)}")
    return lines, loaded


def _load(values: list[float]) -> str:
    return "/".join(str(x) for x in values) or "?"


def render(runs: Runs) -> tuple[str, bool]:
    """The check as text, and whether every target was met."""
    found = verdicts(runs)
    loads, loaded = load_lines(runs)
    lines = ["Issue 19 targets (one run per database; ratios within each run)", *loads]
    if loaded:
        lines.append(
            f"  ⚠ load average above {LOADED} before a part: figures from a loaded machine;"
            " measure again on a quiet one before trusting them"
        )
    if any(m.get("profiled") for m in runs.machines):
        lines.append("  ⚠ measured under the profiler: every figure is inflated")
    lines.append("")
    width = max(len(v.target) for v in found)
    for verdict in found:
        lines.append(
            f"{verdict.mark} {verdict.target:<{width}}  {verdict.where:<20}  {verdict.figure}"
        )
    missed = [v for v in found if not v.informative and not v.met]
    targets = [v for v in found if not v.informative]
    lines += ["", f"{len(targets) - len(missed)} of {len(targets)} targets met"]
    return "\n".join(lines), not missed
