"""The figures as a plain-text table (the JSON is the same dict, printed whole)."""

from __future__ import annotations

from typing import Any


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    machine = results["machine"]
    lines += [
        "Machine",
        f"  CPU        {machine['cpu']} ({machine['cores']} cores)",
        f"  Python     {machine['python']} on {machine['os']}",
        f"  Database   {machine['database']}",
        f"  Load avg   {' '.join(str(x) for x in machine['load_average'])} (at start)",
        f"  Versions   slack_bolt {machine['slack_bolt']}, aiohttp {machine['aiohttp']},"
        f" SQLAlchemy {machine['sqlalchemy']}",
    ]
    if "votes" in results:
        lines += ["", *_votes(results["votes"])]
    if "steps" in results:
        steps = results["steps"]
        lines += [
            "",
            f"Meeting steps ('Volgende' click -> next question posted; {steps['steps']} steps,"
            f" {steps['meetings']} meetings)",
            f"  p50 {steps['p50_ms']} ms   p99 {steps['p99_ms']} ms   max {steps['max_ms']} ms",
        ]
    if "reminders" in results:
        lines += ["", *_reminders(results["reminders"])]
    if "memory" in results:
        memory = results["memory"]
        lines += [
            "",
            "Memory (peak RSS, VmHWM)",
            f"  bot idle                                     {memory['idle_mb']:>7.1f} MB",
            f"  bot with {memory['loaded_cases']:,} cases, {memory['loaded_reminders']:,}"
            f" pending reminders".ljust(45)
            + f"{memory['loaded_mb']:>7.1f} MB",
            f"  bare Bolt app idle                           {memory['bare_idle_mb']:>7.1f} MB"
            f"   (bot/bare {memory['ratio_idle']})",
        ]
    return "\n".join(lines)


def _votes(votes: dict[str, Any]) -> list[str]:
    lines = [
        f"Vote storm ({votes['voters']} voters x {votes['clicks_per_voter']} clicks ="
        f" {votes['requests_per_level']} signed requests per level, {votes['database']})",
    ]
    iso = votes.get("isolated")
    if iso:
        lines.append(
            f"  one click at a time ({iso['clicks']} clicks, the bot idle before each): p50"
            f" ours {iso['ours']['p50_ms']} ms, bare {iso['bare']['p50_ms']} ms, floor"
            f" {iso['floor']['p50_ms']} ms; ours/bare {iso['ratio_p50']}"
        )
    lines.append("  level   server   p50 ms   p99 ms   max ms    req/s   non-200   CPU ms/req")
    for key, level in votes.items():
        if not key.startswith("concurrency_"):
            continue
        c = key.removeprefix("concurrency_")
        for name in ("ours", "bare", "floor"):
            f = level[name]
            lines.append(
                f"  c={c:<5} {name:<7} {f['p50_ms']:>7.2f}  {f['p99_ms']:>7.2f}"
                f"  {f['max_ms']:>7.2f}  {f['throughput']:>7.1f}  {f['non_200']:>8}"
                f"  {f['cpu_ms_per_request']:>11.2f}"
            )
        lines.append(
            f"          ours/bare p50 {level['ratio_p50']}"
            f"   ours/floor p50 {level['ratio_floor_p50']}"
        )
    lines.append(
        f"  lost votes {votes['lost_votes']}   tally shown = stored: {votes['tally_matches']}"
    )
    return lines


def _reminders(reminders: dict[str, Any]) -> list[str]:
    lines = [
        f"Reminders ({reminders['reminders']:,} due, {reminders['database']}, DMs via the sandbox)"
    ]
    for key, label in (("one_process", "1 process"), ("two_processes", "2 processes")):
        r = reminders[key]
        lines.append(
            f"  {label:<12} {r['seconds']:>7.2f} s  {r['per_second']:>7.1f}/s  duplicates"
            f" {r['duplicates']}  unsent {r['not_sent']}  claimed {r['claimed_per_process']}"
            f"  failed rounds {r['failed_rounds']}  'database is locked' {r['locked_errors']}"
        )
    idle = reminders["idle_cpu_percent"]
    lines.append(
        "  idle bot CPU  "
        + "   ".join(f"{k.removeprefix('interval_')} interval: {v}%" for k, v in idle.items())
        + f"  (over {reminders['idle_seconds']} s)"
    )
    return lines
