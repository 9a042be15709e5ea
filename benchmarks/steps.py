"""Meeting steps: from the procesregisseur's click until the thread shows its result, as the
people in the meeting experience it, with an instant Slack and with Slack's usual latency.

- step: "Volgende" -> the next question posted in the thread;
- decision: a decision button -> the first message it posts (the recorded outcome, or the next
  question where taking a branch moves the meeting on);
- reveal: "Onthullen" on an open voting round (one score in it) -> the results posted.

The time is read from the sandbox, not from polling and not from the bot's logs: a message's
ts is the sandbox's clock when the bot's chat.postMessage took effect, and the click is stamped
with the same clock. The sandbox answers every Web API call after `latency` seconds
(`Sandbox.settings(latency=...)`), so a step that makes three Slack calls in a row before the
next question is posted shows it. Meetings are walked from the first question to where the bot
refuses "Volgende" (the last question), in new cases (each its own channel), until enough of
each kind were timed; whatever the catalogue, decisions are read from the posted buttons
(benchmarks.walk).
"""

from __future__ import annotations

from typing import Any

from benchmarks.database import place
from benchmarks.load import percentile
from benchmarks.meeting import case_channel, register_case, start_meeting, stored_case
from benchmarks.profiler import window
from benchmarks.stage import Stage, stage
from benchmarks.walk import MeetingWalk, Timings, Wanted

LATENCIES = (0.0, 0.1)  # an instant sandbox; real Slack's usual round trip
MAX_MEETINGS = 50
MAX_FRUITLESS_MEETINGS = 3  # walks that timed nothing still missing: something is wrong


def level_key(latency: float) -> str:
    return f"latency_{round(latency * 1000)}ms"


async def run(
    *, steps: int, decisions: int, reveals: int, database_url: str | None
) -> dict[str, Any]:
    wanted = Wanted(steps=steps, decisions=decisions, reveals=reveals)
    result: dict[str, Any] = {}
    async with place(database_url, "steps") as where, stage(where) as st:
        result["database"] = where.dialect
        meetings = 0
        for latency in LATENCIES:
            st.sb.settings(latency=latency)
            timings = Timings()
            walked, fruitless, ended_by = 0, 0, ""
            while not wanted.met_by(timings):
                if walked >= MAX_MEETINGS or fruitless >= MAX_FRUITLESS_MEETINGS:
                    raise RuntimeError(
                        f"{walked} meetings gave {len(timings.step)} steps,"
                        f" {len(timings.decision)} decisions and {len(timings.reveal)}"
                        f" reveals; wanted {wanted}. The last walk ended at: {ended_by}"
                    )
                meetings += 1
                walked += 1
                short = wanted.short_of(timings)
                walk = await open_meeting(st, meetings)
                async with window(st.bot, f"steps-{level_key(latency)}"):
                    await walk.walk(timings, wanted)
                ended_by = walk.ended_by
                # A walk that times nothing still missing (say, it never gets past a decision it
                # cannot take) will not do better in the next meeting.
                fruitless = fruitless + 1 if wanted.short_of(timings) == short else 0
            result[level_key(latency)] = summary(timings, latency, walked)
    return result


async def open_meeting(st: Stage, number: int) -> MeetingWalk:
    channel = case_channel(st, f"casus-bench-{number}")
    code = f"ZVH-BENCH-{number:03d}"
    await register_case(st, channel, code)
    case = await stored_case(st, code)
    meeting = await start_meeting(st, channel, case.id or 0)
    return MeetingWalk(st, channel, meeting.thread_ts or "")


def figures(values: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values, default=0.0), 1),
        "n": len(values),
    }


def summary(timings: Timings, latency: float, meetings: int) -> dict[str, Any]:
    return {
        "slack_latency_ms": round(latency * 1000),
        "step": figures(timings.step),
        "decision": {**figures(timings.decision), "moved_on": timings.moved_on},
        "reveal": figures(timings.reveal),
        "meetings": meetings,
    }
