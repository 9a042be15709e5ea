"""Two bot processes on one PostgreSQL drain a backlog of due reminders; one is killed with
`kill -9` in the middle (issue 17, DESIGN §5).

Every reminder must reach its person exactly once (0 lost, 0 duplicates), and the dead
process's claimed rows must come back within their lease (seconds): a row it may have posted
comes back `maybe_posted`, and the poller looks for its DM (metadata reminder_id) before posting
again. DMs are counted in the sandbox by the reminder id in their message metadata.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import select

from flows.schedule import ReminderKind
from storage.cases import create_case
from storage.meetings import plan_meeting
from storage.models import Role
from storage.reminder_queue import lease_seconds_for
from storage.reminders import Reminder, ReminderStatus
from storage.types import utcnow
from tests.faults.conftest import LONG, Stage, figure

BACKLOG = 1_000 if LONG else 300
ROUNDS = 3 if LONG else 1
KILL_AT = 0.3  # share of the backlog delivered when one replica is killed
BATCH = 50  # bot.reminders.BATCH_SIZE: the most one replica holds at once
DRAIN_LIMIT = 240.0 if LONG else 120.0
PEOPLE = ["U0PETRA", "U0KARIM", "U0SANNE", "U0JOOST", "U0ILSE", "U0LOTTE"]


async def seed(stage: Stage, count: int, round_no: int) -> set[int]:
    """A planned meeting and `count` due meeting reminders for its invitees; their ids."""
    async with stage.db.session() as session:
        case = await create_case(
            session,
            code=f"ZVH-2026-9{round_no:02d}",
            phase="directe_veiligheid",
            channel_id="C0CASUSDEMO",
            created_by="U0PETRA",
            members=[(user, Role.DEELNEMER, "") for user in PEOPLE],
        )
        meeting = await plan_meeting(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            phase="directe_veiligheid",
            scheduled_at=utcnow() + timedelta(days=1),
            planned_by="U0PETRA",
            invitees=PEOPLE,
            state="{}",
        )
        now = utcnow()
        rows = [
            {
                "kind": ReminderKind.MEETING.value,
                "status": ReminderStatus.PENDING.value,
                "due_at": now - timedelta(minutes=1, seconds=count - n),
                "attempts": 0,
                "user_id": PEOPLE[n % len(PEOPLE)],
                "case_id": case.id,
                "meeting_id": meeting.id,
                "dedupe_key": f"fault:{round_no}:{n}",
                "payload": "{}",
                "created_at": now,
            }
            for n in range(count)
        ]
        ids = await session.exec(insert(Reminder).returning(Reminder.id), params=rows)  # type: ignore[call-overload]
        return {row[0] for row in ids}


def delivered(stage: Stage) -> Counter[int]:
    """DMs in the sandbox per reminder id (from their message metadata)."""
    counts: Counter[int] = Counter()
    for channel in stage.sb.ws.channels.values():
        if not channel.is_im:
            continue
        for message in stage.sb.messages(channel.id):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if isinstance(payload.get("reminder_id"), int):
                counts[payload["reminder_id"]] += 1
    return counts


async def rows(stage: Stage, ids: set[int]) -> list[Reminder]:
    async with stage.db.session() as session:
        found = await session.exec(select(Reminder).where(Reminder.id.in_(ids)))  # type: ignore[union-attr]
        return list(found.all())


async def one_round(stage: Stage, round_no: int) -> None:
    ids = await seed(stage, BACKLOG, round_no)
    started = time.monotonic()
    replicas = [await stage.start_bot(CASUSBOT_REMINDER_POLL_SECONDS="1") for _ in range(2)]
    stage.app.request_url = f"{replicas[0].base}/slack/events"
    # Mid-drain: kill -9 the replica that holds rows right now.
    while sum(delivered(stage)[i] > 0 for i in ids) < BACKLOG * KILL_AT:
        assert time.monotonic() - started < DRAIN_LIMIT, "the backlog does not move"
        await asyncio.sleep(0.02)
    host = socket.gethostname()
    holding = Counter(
        r.claimed_by for r in await rows(stage, ids) if r.status == ReminderStatus.SENDING
    )
    victim = max(replicas, key=lambda b: holding.get(f"{host}:{b.pid}", 0))
    survivor = next(b for b in replicas if b is not victim)
    victim.kill()
    killed = time.monotonic()
    held = {
        r.id
        for r in await rows(stage, ids)
        if r.status == ReminderStatus.SENDING and r.claimed_by == f"{host}:{victim.pid}"
    }
    # The survivor drains the rest, and takes over what the dead one held once its lease ends.
    recovered_after: float | None = None
    while True:
        current = await rows(stage, ids)
        open_rows = [
            r for r in current if r.status in (ReminderStatus.PENDING, ReminderStatus.SENDING)
        ]
        if recovered_after is None and all(
            r.status == ReminderStatus.SENT for r in current if r.id in held
        ):
            recovered_after = time.monotonic() - killed
        if not open_rows:
            break
        assert time.monotonic() - started < DRAIN_LIMIT, f"{len(open_rows)} reminders stuck"
        await asyncio.sleep(0.2)
    drained_after = time.monotonic() - killed
    counts = delivered(stage)
    final = {r.id: r for r in await rows(stage, ids)}
    lost = sorted(i for i in ids if counts[i] == 0)
    twice = sorted(i for i in ids if counts[i] > 1)
    figure(
        f"2 replicas x {BACKLOG} reminders, one killed (round {round_no + 1})",
        tried=BACKLOG,
        delivered_once=sum(counts[i] == 1 for i in ids),
        lost=len(lost),
        duplicates=len(twice),
        held_by_killed=len(held),
        recovered_s=recovered_after if recovered_after is not None else -1.0,
        drained_s=drained_after,
        total_s=time.monotonic() - started,
    )
    assert lost == [], f"never delivered: {lost[:10]}"
    assert twice == [], f"sent twice: {twice[:10]}"
    assert all(final[i].status == ReminderStatus.SENT for i in ids)
    assert recovered_after is not None
    # Its rows came back after their lease (a batch's: seconds), plus a poll or two.
    assert recovered_after < lease_seconds_for(BATCH) + 30
    assert await survivor.stop() == 0
    await victim.stop()  # reap the killed process
    stage.bots.clear()


async def test_two_replicas_drain_a_backlog_with_one_killed_mid_drain(stage: Stage) -> None:
    for round_no in range(ROUNDS):
        await one_round(stage, round_no)
