"""A database that refuses or hangs, in front of the real bot process (issue 17).

The bot runs as `python -m bot run` in HTTP mode with PostgreSQL behind a TCP proxy. With the
database refused or hung, `/readyz` must answer 503 within 2 s and `/healthz` must answer at
once; when the database is back, the bot must be ready again and store a vote within seconds.
Figures are printed as FAULTS lines; CASUSBOT_LONG_FAULTS=1 holds the outages longer than
every timeout and repeats them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.e2e.conftest import CASE_CHANNEL
from tests.e2e.meeting_steps import register_case, start_meeting, text_of
from tests.e2e.test_votes import stored_votes, vote, walk_to_scale
from tests.faults.conftest import LONG, BotProcess, Stage, figure
from tests.faults.tcp_proxy import Mode, TcpProxy

READY_LIMIT = 2.0  # what /readyz promises (the README says so)
HEALTH_LIMIT = 1.0  # "at once", with room for a loaded machine
RECOVERY_LIMIT = 30.0  # what a test may wait for recovery; the figure is the measurement
OUTAGE_SECONDS = 25.0 if LONG else 3.0  # long: past the connect, pool and statement timeouts
CYCLES = 3 if LONG else 1

# Where the scale question's ballot is: one meeting walked there once, then voted on by the
# people in turn, one per outage.
VOTERS = ["sanne", "joost", "ilse", "lotte", "karim", "petra"]


@pytest.fixture
async def proxy() -> Any:
    async with TcpProxy("127.0.0.1", 5432) as running:
        yield running


async def at_the_ballot(stage: Stage, bot: BotProcess) -> dict[str, Any]:
    stage.app.request_url = f"{bot.base}/slack/events"
    h: Any = stage  # sb, app, db and settle(): what the e2e steps use
    await register_case(h)
    thread_ts = await start_meeting(h)
    return await walk_to_scale(h, thread_ts)


async def vote_stored(stage: Stage, who: str, score: int, within: float) -> float | None:
    """Seconds until `who`'s vote is stored, or None when it is not stored within `within`."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if (await stored_votes(stage)).get(who) == score:  # type: ignore[arg-type]
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    return None


async def outage(
    stage: Stage, bot: BotProcess, proxy: TcpProxy, mode: Mode, ballot: dict[str, Any], turn: int
) -> None:
    during, after = VOTERS[(2 * turn) % len(VOTERS)], VOTERS[(2 * turn + 1) % len(VOTERS)]
    score = 3 + turn % 7
    await proxy.set_mode(mode)
    # Readiness tells the truth, quickly; liveness does not depend on the database.
    ready_status, ready_took, ready_body = await bot.get("/readyz")
    health_status, health_took, _ = await bot.get("/healthz")
    assert ready_status == 503 and "database" in ready_body, ready_body
    assert ready_took < READY_LIMIT
    assert health_status == 200 and health_took < HEALTH_LIMIT
    # Someone votes while the database is away (the bot acks; the outcome is measured).
    await vote(stage, during, score, ballot)  # type: ignore[arg-type]
    await asyncio.sleep(OUTAGE_SECONDS)
    still_status, still_took, _ = await bot.get("/readyz")
    assert still_status == 503 and still_took < READY_LIMIT
    # The database is back.
    await proxy.set_mode(Mode.PASS)
    back = time.monotonic()
    ready_after = await bot.wait_for("/readyz", 200, RECOVERY_LIMIT)
    clicked = time.monotonic()
    await vote(stage, after, score, ballot)  # type: ignore[arg-type]
    stored_after = await vote_stored(stage, after, score, RECOVERY_LIMIT)
    assert stored_after is not None, f"{after}'s vote after the outage was not stored"
    stored_during = await vote_stored(stage, during, score, 1.0)
    # A click the database could not take was acked all the same, and its voter told so.
    told = stored_during is None and await told_not_stored(stage, during, RECOVERY_LIMIT)
    assert stored_during is not None or told, f"{during}'s vote was neither stored nor refused"
    figure(
        f"database {mode.value}",
        outage_s=OUTAGE_SECONDS,
        readyz_503_s=ready_took,
        healthz_s=health_took,
        ready_again_s=ready_after,
        vote_stored_s=clicked - back + stored_after,
        vote_during_outage="stored" if stored_during is not None else "not stored, told",
    )


async def told_not_stored(stage: Stage, who: str, within: float) -> bool:
    """Whether `who` was told privately that their click was not stored."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        said = [text_of(m) for m in stage.sb.user(who).ephemerals(CASE_CHANNEL)]
        if any("Niet opgeslagen" in text for text in said):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_database_refused_or_hung_readiness_tells_and_work_resumes(
    stage: Stage, proxy: TcpProxy
) -> None:
    bot = await stage.start_bot(db_port=proxy.port)
    assert (await bot.get("/readyz"))[0] == 200
    ballot = await at_the_ballot(stage, bot)
    turn = 0
    for _ in range(CYCLES):
        for mode in (Mode.REFUSE, Mode.HANG):
            await outage(stage, bot, proxy, mode, ballot, turn)
            turn += 1
    # After all that, the bot stops cleanly.
    assert await bot.stop() == 0
    assert "Traceback" not in bot.log().split("Stopping Casusbot")[-1]
