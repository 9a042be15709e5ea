"""`kill -9` the real bot at random moments of a vote storm and of a meeting walk (issue 17).

Durable when acked: every click that got an ack is stored, whenever the process dies — the
handler commits before it acks. After a restart the meeting goes on from the database and Slack
catches up from the outbox: every question in the thread exactly once, the current one with its
buttons (0 duplicate posts, 0 stranded meetings). Figures are printed as FAULTS lines;
CASUSBOT_LONG_FAULTS=1 runs more voters, more kills and a longer walk.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from sqlmodel import select

from sandbox.delivery import DeliveryError
from storage.models import Participant, Role
from storage.slack_objects import backlog
from tests.e2e.conftest import CASE_CHANNEL
from tests.e2e.meeting_steps import register_case, start_meeting, stored_case, text_of
from tests.e2e.test_votes import stored_votes, walk_to_scale
from tests.faults.conftest import LONG, Stage, figure
from tests.faults.meeting_faults import (
    click_on,
    converged,
    duplicates,
    open_meeting,
    posed,
    restart,
    start,
    stored_meeting,
    stranded,
)

VOTERS = 200 if LONG else 60
STORM_ROUNDS = 3 if LONG else 1
WALK_STEPS = 14 if LONG else 7
WALK_KILLS = 4 if LONG else 2
SEED = 17
STORM_SECONDS = 2.0  # the storm's clicks spread over this long


async def objects_behind(stage: Stage) -> int:
    """Slack objects the database wants that Slack does not show yet (at the kill)."""
    async with stage.db.session() as session:
        return (await backlog(session)).due


async def crowd(stage: Stage, count: int) -> list[str]:
    """`count` more participants of the case, in its channel: the storm's voters."""
    case = await stored_case(stage)  # type: ignore[arg-type]
    assert case is not None
    channel = stage.sb.channel(CASE_CHANNEL)
    handles = []
    async with stage.db.session() as session:
        for i in range(count):
            person = stage.sb.ws.add_user(f"v{i:03d}", f"Deelnemer {i:03d}", title="Wijkteam")
            channel.members.add(person.id)
            session.add(Participant(case_id=case.id, user_id=person.id, role=Role.DEELNEMER))
            handles.append(person.handle)
    return handles


async def click_vote(
    stage: Stage, who: str, score: int, ballot: dict[str, Any], *, after: float = 0.0
) -> bool:
    """Whether the bot acked the click (a dead bot acks nothing: Slack shows it failed)."""
    await asyncio.sleep(after)
    try:
        await stage.sb.user(who).click(f"vote_{score}", message=(CASE_CHANNEL, ballot["ts"]))
    except DeliveryError:
        return False
    return True


async def test_kill_9_in_a_vote_storm_loses_no_acked_vote(stage: Stage) -> None:
    rng = random.Random(SEED)
    bot = await start(stage)
    h: Any = stage
    await register_case(h)
    voters = await crowd(stage, VOTERS)  # they join before the meeting, so they are invited
    thread_ts = await start_meeting(h)
    ballot = await walk_to_scale(h, thread_ts)
    stage.sb.ack_timeout = 10.0
    tried = acked_total = lost_total = behind_total = 0
    converge_times: list[float] = []
    for storm in range(STORM_ROUNDS):
        scores = {who: 1 + (i + storm) % 10 for i, who in enumerate(voters)}
        # People click within a couple of seconds of each other; the process dies in between.
        clicks = [
            asyncio.create_task(
                click_vote(stage, who, score, ballot, after=rng.uniform(0, STORM_SECONDS))
            )
            for who, score in scores.items()
        ]
        await asyncio.sleep(rng.uniform(0.2, 0.8) * STORM_SECONDS)
        bot.kill()
        behind = await objects_behind(stage)
        results = dict(zip(scores, await asyncio.gather(*clicks), strict=True))
        bot = await restart(stage, bot)
        converge_times.append(await converged(stage))
        stored = await stored_votes(h)
        acked = [who for who, ok in results.items() if ok]
        lost = [who for who in acked if stored.get(who) != scores[who]]
        tried, acked_total = tried + len(scores), acked_total + len(acked)
        lost_total, behind_total = lost_total + len(lost), behind_total + behind
        assert lost == [], f"acked but not stored: {lost[:10]}"
        # Whoever saw their click fail clicks again: now every vote is in, and the ballot shows it.
        for who, ok in results.items():
            if not ok:
                assert await click_vote(stage, who, scores[who], ballot)
        await converged(stage)
        stored = await stored_votes(h)
        assert all(stored.get(who) == score for who, score in scores.items())
        live = text_of(stage.sb.message(CASE_CHANNEL, ballot["ts"]) or {})
        assert f"Gestemd: {len(stored)} van" in live, live[:200]
    figure(
        f"kill -9 mid vote storm ({VOTERS} voters x {STORM_ROUNDS})",
        tried=tried,
        acked=acked_total,
        not_acked=tried - acked_total,
        behind_at_kill=behind_total,
        survived=acked_total - lost_total,
        lost=lost_total,
        converge_s=max(converge_times),
    )


async def test_kill_9_in_a_meeting_walk_the_meeting_goes_on_posted_once(stage: Stage) -> None:
    rng = random.Random(SEED)
    bot = await start(stage)
    thread_ts = await open_meeting(stage)
    # Both moments at least once: mid click (maybe committed, maybe not; not acked) and just
    # after the ack (committed; the next question not yet in Slack).
    moments = ["mid_click", "after_ack"] + [
        rng.choice(["mid_click", "after_ack"]) for _ in range(WALK_KILLS - 2)
    ]
    kills = dict(zip(sorted(rng.sample(range(1, WALK_STEPS), WALK_KILLS)), moments, strict=True))
    # Slack's usual round trip: the posts after an ack take a moment, as they do for real.
    stage.sb.settings(latency=0.05)
    converge_times: list[float] = []
    behind_total = 0
    started = time.monotonic()
    for step in range(WALK_STEPS):
        click = asyncio.create_task(click_on(stage, "petra", thread_ts))
        how = kills.get(step)
        if how == "mid_click":
            await asyncio.sleep(rng.uniform(0.0, 0.05))
            bot.kill()
        try:
            await click
        except DeliveryError:
            pass  # not acked: Slack shows the regisseur it failed; she clicks again next round
        if how == "after_ack":
            bot.kill()  # the move is stored; its posts may or may not have gone out
        if how is not None:
            behind_total += await objects_behind(stage)
            bot = await restart(stage, bot)
        converge_times.append(await converged(stage))
        assert not await stranded(stage, thread_ts), f"stranded after step {step} ({how})"
    twice = duplicates(stage, thread_ts)
    repeated = {q: n for q, n in posed(stage, thread_ts).items() if n > 1}
    meeting = await stored_meeting(stage)
    figure(
        f"kill -9 mid meeting walk ({WALK_STEPS} steps, {WALK_KILLS} kills)",
        tried=WALK_STEPS,
        kills=",".join(f"{s}:{k}" for s, k in sorted(kills.items())),
        version=meeting.version,
        behind_at_kill=behind_total,
        duplicates=twice,
        posed_twice=len(repeated),
        stranded=0,
        converge_s=max(converge_times),
        total_s=time.monotonic() - started,
    )
    assert twice == 0 and repeated == {}
    # The last process stops cleanly and leaves nothing behind.
    assert await bot.stop() == 0
    async with stage.db.session() as session:
        assert (await session.exec(select(Participant))).first() is not None
