"""The figures as a plain-text table (the JSON is the same dict, printed whole)."""

from __future__ import annotations

from typing import Any


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    machine = results["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items())
    lines += [
        "Machine",
        f"  CPU        {machine['cpu']} ({machine['cores']} cores)",
        f"  Python     {machine['python']} on {machine['os']}",
        f"  Database   {machine['database']}",
        f"  Load avg   {_load(machine['load_average_before'])} before,"
        f" {_load(machine.get('load_average_after', []))} after (1/5/15 min)",
        f"  Versions   {versions}",
    ]
    if machine.get("profiled"):
        lines.append("  Profiled   yes: every figure is inflated (benchmarks/README.md)")
    if "votes" in results:
        lines += ["", *_votes(results["votes"])]
    if "steps" in results:
        lines += ["", *_steps(results["steps"])]
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
            f"   ours/bare CPU {level.get('cpu_ratio')}"
        )
    lines.append(
        f"  lost votes {votes['lost_votes']}   tally shown = stored: {votes['tally_matches']}"
    )
    return lines


def _steps(steps: dict[str, Any]) -> list[str]:
    lines = [
        f"Meeting clicks -> first result in the thread ({steps['database']}; sandbox ts minus"
        " click time)"
    ]
    labels = {
        "step": "'Volgende' -> next question",
        "decision": "decision -> first message",
        "reveal": "reveal -> results",
    }
    for key, level in steps.items():
        if not key.startswith("latency_"):
            continue
        lines.append(
            f"  Slack latency {level['slack_latency_ms']} ms ({level['meetings']} meetings)"
        )
        for kind, label in labels.items():
            f = level[kind]
            lines.append(
                f"    {label:<28} p50 {f['p50_ms']:>7.1f} ms   p99 {f['p99_ms']:>7.1f} ms"
                f"   max {f['max_ms']:>7.1f} ms   n={f['n']}"
            )
        if level["decision"]["moved_on"]:
            lines.append(f"    ({level['decision']['moved_on']} decisions moved the meeting on)")
    return lines


def _load(values: list[float]) -> str:
    return " ".join(str(x) for x in values) or "?"


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
