"""Memory: peak RSS (VmHWM) of the real bot process idle on an empty database, idle on a
database with 1,000 cases and 10,000 pending reminders, and of the bare Bolt app idle.

Peak, not current, RSS: start-up (imports, migrations, the first reminder poll) is usually
the high-water mark, and it is what a container's memory limit has to allow for.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.database import place
from benchmarks.procs import free_port, peak_rss_mb, rss_mb, spawn
from benchmarks.seed import add_people, seed_cases
from benchmarks.stage import stage
from sandbox import Workspace
from storage.types import utcnow

PEOPLE = 10
SETTLE_SECONDS = 2.0  # after /healthz answers: the first poll and any lazy set-up are done


async def run(
    *, cases: int, database_url: str | None, settle_seconds: float = SETTLE_SECONDS
) -> dict[str, Any]:
    # Three separate processes: started together, each one's own peak is what is read.
    idle, loaded, bare = await asyncio.gather(
        bot_memory(cases=0, database_url=database_url, settle_seconds=settle_seconds),
        bot_memory(cases=cases, database_url=database_url, settle_seconds=settle_seconds),
        bare_memory(settle_seconds),
    )
    return {
        "idle_mb": idle["peak_mb"],
        "loaded_mb": loaded["peak_mb"],
        "bare_idle_mb": bare["peak_mb"],
        "ratio_idle": round(idle["peak_mb"] / bare["peak_mb"], 2),
        "loaded_cases": cases,
        "loaded_reminders": loaded["reminders"],
        "idle_rss_mb": idle["rss_mb"],
        "loaded_rss_mb": loaded["rss_mb"],
    }


async def bot_memory(
    *, cases: int, database_url: str | None, settle_seconds: float
) -> dict[str, Any]:
    label = "memload" if cases else "memidle"
    async with place(database_url, label) as where:
        workspace = Workspace.demo()
        people = add_people(workspace, PEOPLE)
        reminders = 0
        if cases:
            db = where.database()
            try:
                # Pending and due next week: in the database, not yet the poller's work.
                reminders = await seed_cases(
                    db, cases=cases, people=people, due_at=utcnow() + timedelta(days=7)
                )
            finally:
                await db.dispose()
        async with stage(where, workspace) as st:
            await asyncio.sleep(settle_seconds)
            return {
                "peak_mb": round(peak_rss_mb(st.bot.pid), 1),
                "rss_mb": round(rss_mb(st.bot.pid), 1),
                "reminders": reminders,
            }


async def bare_memory(settle_seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="casusbot-bench-bare-") as workdir:
        port = free_port()
        bare = spawn(
            "bare",
            [
                "-m",
                "benchmarks.references",
                "bare",
                "--port",
                str(port),
                "--secret",
                secrets.token_hex(16),
            ],
            env={},
            log_dir=Path(workdir),
            port=port,
        )
        try:
            await bare.wait_ready()
            await asyncio.sleep(settle_seconds)
            return {
                "peak_mb": round(peak_rss_mb(bare.pid), 1),
                "rss_mb": round(rss_mb(bare.pid), 1),
            }
        finally:
            await bare.stop()
