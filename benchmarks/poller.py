"""One reminder-poller process, as a bot process runs it: the bot's settings, Deps, Web API
client and registered senders, and `bot.poller.poll_once` round after round.

The rounds run back to back (the bot's interval job does up to 20 per tick, then sleeps) so
what is timed is how fast the poller drains a backlog, not the interval. It prints "ready"
once connected, starts on a line on stdin (so two processes start together), and ends with
one JSON line: what it did and when it finished.

    python -m benchmarks.poller     (settings from the environment, like python -m bot run)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bot.app import make_client, make_deps, shared_session
from bot.config import load_settings
from bot.poller import PollReport, poll_once
from bot.server import activate_encryption
from storage.db import Database, make_engine
from storage.types import utcnow

MAX_ROUNDS = 10_000  # far beyond any backlog we seed; the loop ends when nothing is claimed


async def main() -> None:
    settings = load_settings()
    activate_encryption(settings)
    db = Database(make_engine(settings.database_url, schema=settings.database_schema))
    deps = make_deps(settings, db)
    client = make_client(settings, session=shared_session(deps))  # as build_app makes it
    total = PollReport()
    rounds = errors = 0
    async with db.session():
        pass  # connect before saying ready, so the start signal starts work, not connecting
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.time()
    for _ in range(MAX_ROUNDS):
        try:
            report = await poll_once(deps, client, now=utcnow())
        except Exception as error:
            # SQLite under two writers may say "database is locked" after its busy timeout:
            # counted, and the next round tries again, as the bot's tick does.
            errors += 1
            print(f"round failed: {type(error).__name__}: {error}"[:300], file=sys.stderr)
            if errors > 50:
                break
            continue
        rounds += 1
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        if report.claimed == 0:
            break
    finished = time.time()
    for stop in deps.on_stop:
        await stop()
    await db.dispose()
    print(
        json.dumps(
            {
                "started": started,
                "finished": finished,
                "rounds": rounds,
                "errors": errors,
                **vars(total),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
