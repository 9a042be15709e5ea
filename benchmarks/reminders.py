"""Reminder throughput: a backlog of due meeting reminders drained by one and by two poller
processes on one database, each DM posted through the sandbox; and the CPU an idle bot's
poller costs at the default 30 s interval and at 1 s.

Duplicates are counted where a person would notice them: DMs in the sandbox that carry the
same reminder id in their message metadata.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from benchmarks.database import Place, place
from benchmarks.procs import Worker, cpu_seconds, spawn_worker
from benchmarks.seed import People, add_people, count_by_status, reset_reminders, seed_cases
from benchmarks.stage import bot_env, install, new_sandbox, start_bot_process
from bot.kit.reminders import METADATA_EVENT_TYPE
from sandbox import App, Sandbox
from storage.types import utcnow

PEOPLE = 10  # invitees per case: 1,000 cases give 10,000 reminders
READY_TIMEOUT = 60.0
DRAIN_TIMEOUT = 600.0


async def run(*, reminders: int, idle_seconds: float, database_url: str | None) -> dict[str, Any]:
    async with (
        place(database_url, "reminders") as where,
        place(database_url, "idle") as idle_place,
    ):
        sb = new_sandbox()
        people = add_people(sb.ws, PEOPLE)
        await sb.start()
        try:
            # Subscribed to no events: the pollers serve no HTTP, so the sandbox must not try
            # to deliver the message.im event of every DM they post (a running bot would ack
            # and ignore those, its own messages).
            app = install(sb, events=())
            due = utcnow() - timedelta(minutes=1)
            # Idle bots on their own empty database (they would claim the backlog otherwise),
            # measured while the drains run: CPU time used does not depend on the wall clock.
            idle_task = asyncio.create_task(idle_cpu(sb, app, idle_place, seconds=idle_seconds))
            seeded, single, pair = await asyncio.gather(
                _seed(where, people, reminders, due),
                start_pollers(sb, app, where, 1),
                start_pollers(sb, app, where, 2),
            )
            one = await drain(sb, where, single, expected=seeded)
            await _reset(where, due)
            sb.api_calls.clear()
            two = await drain(sb, where, pair, expected=seeded)
            idle = await idle_task
        finally:
            await sb.stop()
    return {
        "reminders": seeded,
        "database": where.dialect,
        "one_process": one,
        "two_processes": two,
        "idle_cpu_percent": idle,
        "idle_seconds": idle_seconds,
    }


async def _seed(where: Place, people: People, reminders: int, due: Any) -> int:
    db = where.database()
    try:
        return await seed_cases(db, cases=max(1, reminders // PEOPLE), people=people, due_at=due)
    finally:
        await db.dispose()


async def _reset(where: Place, due: Any) -> None:
    db = where.database()
    try:
        await reset_reminders(db, due_at=due)
    finally:
        await db.dispose()


async def start_pollers(sb: Sandbox, app: App, where: Place, count: int) -> list[Worker]:
    """`count` poller processes, connected and waiting for the word to go."""
    env = bot_env(app, sb, where, port=3000)  # a poller serves no HTTP: the port is unused
    children = await asyncio.gather(
        *(
            spawn_worker(
                f"poller-{count}-{n}",
                ["-m", "benchmarks.poller"],
                env=env,
                log_dir=where.workdir,
            )
            for n in range(count)
        )
    )
    for child in children:
        if await child.read_line(READY_TIMEOUT) != "ready":
            raise RuntimeError(f"{child.name} did not start:\n{child.log_tail()}")
    return list(children)


async def drain(
    sb: Sandbox, where: Place, children: list[Worker], *, expected: int
) -> dict[str, Any]:
    """Let the pollers go at once; time until the last one has nothing left to claim."""
    try:
        go = time.time()
        for child in children:
            await child.send_line("go")
        results = [json.loads(await child.read_line(DRAIN_TIMEOUT)) for child in children]
    finally:
        for child in children:
            await child.stop()
    seconds = max(r["finished"] for r in results) - go
    posted = reminder_posts(sb)
    db = where.database()
    try:
        statuses = await count_by_status(db)
    finally:
        await db.dispose()
    logs = "\n".join(child.log_tail(10_000) for child in children)
    return {
        "seconds": round(seconds, 2),
        "per_second": round(expected / seconds, 1) if seconds else 0.0,
        "duplicates": sum(n - 1 for n in posted.values() if n > 1),
        "sent": statuses.get("sent", 0),
        "not_sent": expected - statuses.get("sent", 0),
        "claimed_per_process": [r["claimed"] for r in results],
        "failed_rounds": sum(r["errors"] for r in results),
        "locked_errors": logs.count("database is locked"),
    }


def reminder_posts(sb: Sandbox) -> Counter[int]:
    """How many DMs the sandbox received per reminder id (from the message metadata)."""
    counts: Counter[int] = Counter()
    for call in sb.calls("chat.postMessage"):
        if not call.ok:
            continue
        metadata = call.args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if isinstance(metadata, dict) and metadata.get("event_type") == METADATA_EVENT_TYPE:
            counts[int(metadata["event_payload"]["reminder_id"])] += 1
    return counts


async def idle_cpu(sb: Sandbox, app: App, where: Place, *, seconds: float) -> dict[str, float]:
    """CPU of a whole idle bot (HTTP server, poller, nothing due) over `seconds`, in percent
    of one core, with the default 30 s poll interval and with 1 s."""
    intervals = (30, 1)
    started = await asyncio.gather(
        *(
            start_bot_process(
                app, sb, where, name=f"idle-{i}s", CASUSBOT_REMINDER_POLL_SECONDS=str(i)
            )
            for i in intervals
        )
    )
    bots = dict(zip(intervals, started, strict=True))
    try:
        await asyncio.sleep(1.0)  # past start-up and the first (immediate) poll
        before = {interval: cpu_seconds(bot.pid) for interval, bot in bots.items()}
        await asyncio.sleep(seconds)
        used = {interval: cpu_seconds(bot.pid) - before[interval] for interval, bot in bots.items()}
    finally:
        for bot in bots.values():
            await bot.stop()
    return {
        f"interval_{interval}s": round(100 * cpu / seconds, 2) for interval, cpu in used.items()
    }
