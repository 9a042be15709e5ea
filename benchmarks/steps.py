"""Meeting steps: from the procesregisseur's "Volgende" click until the next question is in
the thread, as the people in the meeting experience it.

The time is read from the sandbox, not from polling: a message's ts is the sandbox's clock
when the bot's chat.postMessage arrived, and the click is stamped with the same clock.
Meetings are walked from the first question to the decision; new cases (each in its own
channel) are started until enough steps were timed.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from benchmarks.database import place
from benchmarks.load import percentile
from benchmarks.meeting import (
    action_ids,
    case_channel,
    click,
    newest_with,
    register_case,
    start_meeting,
    stored_case,
    wait_for,
)
from benchmarks.stage import Stage, stage

MAX_STEPS_PER_MEETING = 40  # a phase has about fifteen; the walk stops at the decision anyway
MAX_MEETINGS = 50


async def run(*, steps: int, database_url: str | None) -> dict[str, Any]:
    timings: list[float] = []
    async with place(database_url, "steps") as where, stage(where) as st:
        meetings = 0
        while len(timings) < steps and meetings < MAX_MEETINGS:
            meetings += 1
            await walk_one_meeting(st, meetings, timings, steps)
    return {
        "p50_ms": round(percentile(timings, 50), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "max_ms": round(max(timings, default=0.0), 1),
        "steps": len(timings),
        "meetings": meetings,
    }


async def walk_one_meeting(st: Stage, number: int, timings: list[float], wanted: int) -> None:
    channel = case_channel(st, f"casus-bench-{number}")
    code = f"ZVH-BENCH-{number:03d}"
    await register_case(st, channel, code)
    case = await stored_case(st, code)
    meeting = await start_meeting(st, channel, case.id or 0)
    thread_ts = meeting.thread_ts or ""
    for _ in range(MAX_STEPS_PER_MEETING):
        if len(timings) >= wanted:
            return
        question = newest_with(st, channel, thread_ts, "meeting_next")
        if question is None or "meeting_decide" in action_ids(question):
            return  # the decision needs a choice, not "Volgende": this meeting is walked
        await reveal_open_round(st, channel, thread_ts)
        clicked = time.time()
        await click(st, "petra", "meeting_next", channel, question)
        posted = await wait_for(
            "the next question",
            functools.partial(newest_with, st, channel, thread_ts, "meeting_next", after=clicked),
        )
        timings.append((float(posted["ts"]) - clicked) * 1000)
        # Let the step's remaining work (the old question's buttons removed) finish, so each
        # step is timed on its own.
        await st.settle()


async def reveal_open_round(st: Stage, channel: str, thread_ts: str) -> None:
    """At the Schaalvraag the meeting waits for the reveal; the reveal itself is not timed."""
    ballot = newest_with(st, channel, thread_ts, "vote_reveal")
    if ballot is not None:
        await click(st, "petra", "vote_reveal", channel, ballot)
        await st.settle()
