"""The reminder poller: every due reminder reaches its recipient once, across restarts and
processes; late, failing and stuck reminders behave as the people waiting for them expect.

Time is injected (`now=`): no test waits for a due time. Senders for our own registry are
plain functions here; the meeting sender talks to the sandbox Slack over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select

from bot.config import Settings
from bot.kit.reminders import Obsolete, Sender, reminder_metadata
from bot.kit.runtime import Deps, UserDirectory
from bot.outbox import Outbox
from bot.poller import MAX_BATCHES_PER_TICK, poll_once, start_scheduler
from bot.surface import SENDERS
from flows.catalogue import load_catalogue
from flows.schedule import DEFAULT_HOURS, ReminderKind
from sandbox import Sandbox, Workspace
from storage.db import Database, make_engine
from storage.models import Case, Meeting, MeetingStatus
from storage.reminder_queue import lease_seconds_for
from storage.reminders import (
    MAX_ATTEMPTS,
    Reminder,
    ReminderStatus,
    schedule_meeting_reminders,
    schedule_reminder,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIND = ReminderKind.ACTION_DUE  # the kind our fake senders handle in these tests
REPO = Path(__file__).resolve().parents[2]


def ams(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)  # type: ignore[misc]


def make_deps(settings: Settings, db: Database) -> Deps:
    # Built from bot.runtime alone: the poller needs no listeners (and renders no objects).
    return Deps(
        settings=settings,
        db=db,
        users=UserDirectory(settings.language),
        catalogue=load_catalogue(settings.maatwerk_file),
        outbox=Outbox(db, AsyncWebClient(token="xoxb-unused"), {}),
    )


class CountingSender:
    """Our sender stand-in: counts posts per reminder, like a user counting DMs."""

    def __init__(self, label: str = "main", *, fail_with: Exception | None = None) -> None:
        self.label = label
        self.sends: Counter[int] = Counter()
        self.fail_with = fail_with

    async def __call__(self, deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
        assert reminder.id is not None and reminder.status == ReminderStatus.SENDING
        self.sends[reminder.id] += 1
        await asyncio.sleep(0.001)  # a network round trip, so concurrent pollers interleave
        if self.fail_with is not None:
            raise self.fail_with
        return f"{self.label}.{reminder.id}"

    def registry(self) -> dict[str, Sender]:
        return {KIND: self}


@pytest.fixture
def offline_client() -> AsyncWebClient:
    # Fake senders never call Slack; a closed port makes any accidental call fail loudly.
    return AsyncWebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_env: dict[str, str]) -> Settings:
    return make_settings(**database_env)


@pytest.fixture
def deps(settings: Settings, db: Database) -> Deps:
    return make_deps(settings, db)


@pytest.fixture
async def other_deps(settings: Settings) -> AsyncIterator[Deps]:
    """A second bot process's view: its own engine and pool on the same database."""
    other = Database(make_engine(settings.database_url, schema=settings.database_schema))
    yield make_deps(settings, other)
    await other.dispose()


async def add_many(db: Database, count: int, *, due: datetime = NOW) -> list[int]:
    async with db.session() as session:
        rows = [
            Reminder(kind=KIND, due_at=due, user_id=f"U{n:05d}", dedupe_key=f"bulk:{n}")
            for n in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows if row.id is not None]


async def add(db: Database, key: str, *, due: datetime = NOW, **values: Any) -> int:
    values.setdefault("kind", KIND)
    values.setdefault("user_id", "U1")
    async with db.session() as session:
        new_id = await schedule_reminder(session, due_at=due, dedupe_key=key, **values)
    assert new_id is not None
    return new_id


async def rows(db: Database) -> list[Reminder]:
    async with db.session() as session:
        return list((await session.exec(select(Reminder).order_by(col(Reminder.id)))).all())


async def drain(deps: Deps, client: AsyncWebClient, senders: dict[str, Sender]) -> None:
    while (await poll_once(deps, client, now=NOW, senders=senders, batch_size=20)).claimed:
        pass


# ----- once, and only once -----


async def test_a_reminder_scheduled_before_a_restart_is_sent_once_after_it(
    deps: Deps, settings: Settings, offline_client: AsyncWebClient
) -> None:
    reminder_id = await add(deps.db, "k", due=NOW + timedelta(hours=2))
    await deps.db.dispose()  # the bot stops before the reminder is due
    restarted = make_deps(
        settings, Database(make_engine(settings.database_url, schema=settings.database_schema))
    )
    sender = CountingSender()
    try:
        for minutes in range(0, 240, 30):  # the new process polls every half hour
            await poll_once(
                restarted,
                offline_client,
                now=NOW + timedelta(minutes=minutes),
                senders=sender.registry(),
            )
    finally:
        await restarted.db.dispose()
    assert sender.sends == {reminder_id: 1}


async def test_two_pollers_on_one_database_send_1000_reminders_exactly_once(
    deps: Deps, other_deps: Deps, offline_client: AsyncWebClient
) -> None:
    ids = await add_many(deps.db, 1000)
    one, two = CountingSender("one"), CountingSender("two")
    started = time.perf_counter()
    await asyncio.gather(
        drain(deps, offline_client, one.registry()),
        drain(other_deps, offline_client, two.registry()),
    )
    took = time.perf_counter() - started
    print(f"\n{deps.db.dialect}: 1000 reminders drained by 2 engines in {took:.2f}s")
    total = one.sends + two.sends
    assert set(total) == set(ids) and set(total.values()) == {1}
    assert one.sends and two.sends, "both pollers should have done part of the work"
    stored = await rows(deps.db)
    assert {r.status for r in stored} == {ReminderStatus.SENT}
    # Each row records the message of the poller that sent it.
    assert all(r.message_ts and r.message_ts.split(".")[0] in ("one", "two") for r in stored)


CHILD_POLLER = """
import asyncio, json, sys
from datetime import datetime
from slack_sdk.web.async_client import AsyncWebClient
from bot.config import load_settings
from bot.poller import poll_once
from bot.kit.runtime import Deps, UserDirectory
from bot.outbox import Outbox
from flows.catalogue import load_catalogue
from storage.db import Database, make_engine

async def main():
    settings = load_settings(json.loads(sys.argv[1]))
    now = datetime.fromisoformat(sys.argv[2])
    db = Database(make_engine(settings.database_url, schema=settings.database_schema))
    client = AsyncWebClient(token="xoxb-unused")
    deps = Deps(settings, db, UserDirectory("nl"), load_catalogue(), Outbox(db, client, {}))
    sent = []

    async def send(deps, client, reminder):
        sent.append(reminder.id)
        await asyncio.sleep(0.001)
        return f"child.{reminder.id}"

    client = AsyncWebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")
    async with db.session():
        pass  # connect before saying ready, so both processes start polling together
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    senders = {sys.argv[3]: send}
    while (await poll_once(deps, client, now=now, senders=senders, batch_size=20)).claimed:
        pass
    await db.dispose()
    print(json.dumps(sent), flush=True)

asyncio.run(main())
"""


async def test_a_second_os_process_and_this_one_share_1000_reminders_exactly_once(
    deps: Deps,
    database_env: dict[str, str],
    tmp_path: Path,
    offline_client: AsyncWebClient,
) -> None:
    ids = await add_many(deps.db, 1000)
    env = {
        **database_env,
        "CASUSBOT_DATA_DIR": str(tmp_path / "data"),
        "CASUSBOT_ENV": "development",
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD_POLLER,
        json.dumps(env),
        NOW.isoformat(),
        KIND.value,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdin is not None and child.stdout is not None
    assert (await asyncio.wait_for(child.stdout.readline(), 60)).strip() == b"ready"
    here = CountingSender("parent")
    started = time.perf_counter()
    child.stdin.write(b"go\n")
    await child.stdin.drain()
    await drain(deps, offline_client, here.registry())
    output, _ = await asyncio.wait_for(child.communicate(), 60)
    took = time.perf_counter() - started
    print(f"\n{deps.db.dialect}: 1000 reminders drained by 2 OS processes in {took:.2f}s")
    assert child.returncode == 0
    in_child = Counter(json.loads(output.decode().strip().splitlines()[-1]))
    total = here.sends + in_child
    assert set(total) == set(ids) and set(total.values()) == {1}
    assert here.sends and in_child, "both processes should have done part of the work"
    stored = {r.id: r for r in await rows(deps.db)}
    assert all(stored[i].message_ts == f"child.{i}" for i in in_child)
    assert {r.status for r in stored.values()} == {ReminderStatus.SENT}


# ----- late, failing, stuck -----


async def test_a_prep_dm_whose_meeting_already_started_is_never_sent(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    meeting_start = NOW + timedelta(minutes=30)
    await add(deps.db, "prep", kind=ReminderKind.PREP, expires_at=meeting_start)
    sender = CountingSender()
    report = await poll_once(
        deps,
        offline_client,
        now=meeting_start + timedelta(minutes=1),  # the bot was down until after the start
        senders={ReminderKind.PREP: sender},
    )
    assert (report.expired, report.claimed) == (1, 0)
    assert not sender.sends
    assert [r.status for r in await rows(deps.db)] == [ReminderStatus.EXPIRED]


async def test_an_overdue_action_reminder_is_still_sent_once_late(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    await add(deps.db, "action", due=NOW - timedelta(days=3))
    sender = CountingSender()
    for _ in range(3):
        await poll_once(deps, offline_client, now=NOW, senders=sender.registry())
    assert list(sender.sends.values()) == [1]


async def test_a_failing_slack_call_is_retried_with_backoff_then_given_up(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    reminder_id = await add(deps.db, "k")
    flaky = CountingSender(
        fail_with=SlackApiError("internal_error", {"ok": False, "error": "internal_error"})
    )
    now = NOW
    tries = []
    for _ in range(30):  # poll every minute for half an hour
        report = await poll_once(deps, offline_client, now=now, senders=flaky.registry())
        if report.claimed:
            tries.append(now - NOW)
        now += timedelta(minutes=1)
    # 1, 2, 4, 8 minutes between attempts, then it stops.
    assert tries == [timedelta(minutes=m) for m in (0, 1, 3, 7, 15)]
    assert flaky.sends[reminder_id] == MAX_ATTEMPTS
    [row] = await rows(deps.db)
    assert (row.status, row.last_error) == (ReminderStatus.FAILED, "internal_error")


async def test_a_permanent_slack_error_fails_at_once(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    await add(deps.db, "k")
    gone = CountingSender(
        fail_with=SlackApiError("user_not_found", {"ok": False, "error": "user_not_found"})
    )
    report = await poll_once(deps, offline_client, now=NOW, senders=gone.registry())
    assert report.failed == 1
    [row] = await rows(deps.db)
    assert (row.status, row.last_error, row.attempts) == ("failed", "user_not_found", 1)


async def test_a_crashing_sender_is_retried_and_its_text_never_stored(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    await add(deps.db, "k")
    crashing = CountingSender(fail_with=RuntimeError("Jan Jansen, Dorpsstraat 1"))
    report = await poll_once(deps, offline_client, now=NOW, senders=crashing.registry())
    assert report.retried == 1
    [row] = await rows(deps.db)
    assert (row.status, row.last_error) == (ReminderStatus.PENDING, "exc_runtimeerror")


async def test_a_kind_without_a_sender_fails_loudly_instead_of_vanishing(
    deps: Deps, offline_client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    reminder_id = await add(deps.db, "k", kind=ReminderKind.BODEMEIS_CHECK)
    with caplog.at_level(logging.ERROR, logger="casusbot.reminders"):
        report = await poll_once(deps, offline_client, now=NOW, senders={})
    assert report.failed == 1
    [row] = await rows(deps.db)
    assert (row.status, row.last_error) == (ReminderStatus.FAILED, "no_sender")
    assert f"reminder {reminder_id}: no sender" in caplog.text


class DmSender:
    """A sender as the features write them: a DM carrying the reminder's id in its metadata.
    With `die_after_post`, the process is killed after Slack took the DM, before it was marked
    sent; with `die_before_post`, before Slack got anything."""

    def __init__(self, *, die_after_post: bool = False, die_before_post: bool = False) -> None:
        self.die_after_post, self.die_before_post = die_after_post, die_before_post
        self.sends: Counter[int] = Counter()

    async def __call__(self, deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
        assert reminder.id is not None and reminder.user_id is not None
        if self.die_before_post:
            raise asyncio.CancelledError
        self.sends[reminder.id] += 1
        channel = (await client.conversations_open(users=reminder.user_id))["channel"]["id"]
        posted = await client.chat_postMessage(
            channel=channel, text="Herinnering", metadata=reminder_metadata(reminder)
        )
        if self.die_after_post:
            raise asyncio.CancelledError
        return str(posted["ts"])

    def registry(self) -> dict[str, Sender]:
        return {KIND: self}


@pytest.mark.parametrize("died", ["before_post", "after_post"])
async def test_a_reminder_stuck_in_sending_after_a_crash_reaches_its_person_once(
    deps: Deps, other_deps: Deps, sandbox: Sandbox, slack: AsyncWebClient, died: str
) -> None:
    await add(deps.db, "k", user_id="U0SANNE")
    dying = DmSender(die_after_post=died == "after_post", die_before_post=died == "before_post")
    with pytest.raises(asyncio.CancelledError):
        await poll_once(deps, slack, now=NOW, senders=dying.registry(), lease_seconds=300)
    [row] = await rows(deps.db)
    assert row.status == ReminderStatus.SENDING
    survivor = DmSender()
    report = await poll_once(
        other_deps, slack, now=NOW + timedelta(seconds=5), senders=survivor.registry()
    )
    assert (report.recovered, report.claimed) == (0, 0)  # the lease still holds
    report = await poll_once(
        other_deps,
        slack,
        # The lease is sized to the batch (one row here): seconds, not the 300 s asked at most.
        now=NOW + timedelta(seconds=lease_seconds_for(1) + 1),
        senders=survivor.registry(),
    )
    assert (report.recovered, report.sent) == (1, 1)
    [dm] = sandbox.user("sanne").dms()  # once, whoever posted it
    [row] = await rows(deps.db)
    assert (row.status, row.message_ts) == (ReminderStatus.SENT, dm["ts"])
    # The survivor looked for the DM first; it posted only when the dead process had not.
    assert sum(survivor.sends.values()) == (1 if died == "before_post" else 0)
    assert sandbox.calls("conversations.history")


async def test_a_send_whose_answer_was_lost_is_found_instead_of_sent_again(
    deps: Deps, sandbox: Sandbox, slack: AsyncWebClient
) -> None:
    await add(deps.db, "k", user_id="U0SANNE")
    # Slack posts the DM, but its answer never comes back in time.
    sandbox.faults.add("timeout", method="chat.postMessage", hold=0.5, after_effect=True)
    impatient = AsyncWebClient(token=slack.token, base_url=sandbox.api_url, timeout=0.2)
    report = await poll_once(deps, impatient, now=NOW, senders=DmSender().registry())
    assert report.retried == 1
    [row] = await rows(deps.db)
    assert row.status == ReminderStatus.PENDING and row.maybe_posted
    report = await poll_once(
        deps, slack, now=NOW + timedelta(hours=1), senders=DmSender().registry()
    )
    assert report.sent == 1
    [dm] = sandbox.user("sanne").dms()
    [row] = await rows(deps.db)
    assert (row.status, row.message_ts) == (ReminderStatus.SENT, dm["ts"])


async def test_a_slow_round_keeps_its_lease_so_no_other_process_takes_its_rows(
    deps: Deps, other_deps: Deps, offline_client: AsyncWebClient
) -> None:
    await add(deps.db, "k")
    release = asyncio.Event()
    slow = CountingSender()

    async def stuck_behind_rate_limits(d: Deps, c: AsyncWebClient, r: Reminder) -> str:
        await release.wait()
        return await slow(d, c, r)

    lease = 2.0  # short, so the test is: the same holds for a batch's lease of seconds
    first = asyncio.create_task(
        poll_once(
            deps,
            offline_client,
            now=NOW,
            senders={KIND: stuck_behind_rate_limits},
            lease_seconds=lease,
        )
    )
    await asyncio.sleep(lease + 0.5)  # past the first lease: renewed meanwhile
    other = CountingSender()
    # Later than the first lease, earlier than the renewed one: nothing to take over.
    report = await poll_once(
        other_deps,
        offline_client,
        now=NOW + timedelta(seconds=lease + 0.5),
        senders=other.registry(),
    )
    release.set()
    assert (report.recovered, report.claimed) == (0, 0)
    assert (await first).sent == 1
    assert sum(slow.sends.values()) == 1 and not other.sends


async def test_an_obsolete_reminder_is_cancelled_not_retried(
    deps: Deps, offline_client: AsyncWebClient
) -> None:
    await add(deps.db, "k")

    async def obsolete(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
        raise Obsolete("action_done")

    report = await poll_once(deps, offline_client, now=NOW, senders={KIND: obsolete})
    assert report.obsolete == 1
    [row] = await rows(deps.db)
    assert (row.status, row.last_error) == (ReminderStatus.CANCELLED, "action_done")


# ----- the scheduler job -----


async def test_the_scheduler_polls_right_away_and_stops_with_the_bot(
    deps: Deps, offline_client: AsyncWebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add(deps.db, "k", due=NOW - timedelta(minutes=5))
    delivered = asyncio.Event()

    async def send(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
        delivered.set()
        return "1.0"

    # The job uses the global registry; this kind has no sender of its own yet.
    monkeypatch.setitem(SENDERS, KIND, send)
    scheduler = start_scheduler(deps, offline_client, clock=lambda: NOW)
    try:
        job = scheduler.get_job("casusbot-reminders")
        assert job is not None and job.max_instances == 1 and job.coalesce
        assert job.trigger.interval == timedelta(seconds=deps.settings.reminder_poll_seconds)
        # Not waiting for a due time: the first round runs as soon as the scheduler starts.
        await asyncio.wait_for(delivered.wait(), 10)
    finally:
        for stop in deps.on_stop:
            await stop()
    await asyncio.sleep(0)
    assert not scheduler.running
    [row] = await rows(deps.db)
    assert row.status == ReminderStatus.SENT


async def test_one_tick_drains_a_backlog_of_several_batches(
    deps: Deps, offline_client: AsyncWebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await add_many(deps.db, 120)
    sender = CountingSender()
    monkeypatch.setitem(SENDERS, KIND, sender)
    start_scheduler(deps, offline_client, clock=lambda: NOW)
    loop = deps.reminder_loop
    try:
        await loop.tick()
    finally:
        for stop in deps.on_stop:
            await stop()
    assert MAX_BATCHES_PER_TICK >= 3
    assert set(sender.sends) == set(ids) and set(sender.sends.values()) == {1}


# ----- the meeting reminder, in Slack -----


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(Workspace.demo()) as sb:
        yield sb


@pytest.fixture
def slack(sandbox: Sandbox) -> Iterator[AsyncWebClient]:
    app = sandbox.install_app(name="Casusbot", join=["casus-demo"])
    yield AsyncWebClient(token=app.bot_token, base_url=sandbox.api_url)


async def plan(db: Database, *, at: datetime, invitees: list[str]) -> Meeting:
    async with db.session() as session:
        case = Case(
            code="ZVH-2026-014",
            phase="directe_veiligheid",
            channel_id="C0CASUSDEMO",
            created_by="U0PETRA",
        )
        session.add(case)
        await session.flush()
        meeting = Meeting(
            case_id=case.id, phase="directe_veiligheid", scheduled_at=at, planned_by="U0PETRA"
        )
        session.add(meeting)
        await session.flush()
        await schedule_meeting_reminders(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            meeting_id=meeting.id,  # type: ignore[arg-type]
            meeting_at=at,
            invitees=invitees,
            now=NOW,
            hours=DEFAULT_HOURS,
            tz=AMS,
        )
        return meeting


async def test_invitees_get_a_meeting_reminder_dm_in_their_language(
    deps: Deps, sandbox: Sandbox, slack: AsyncWebClient
) -> None:
    meeting = await plan(deps.db, at=ams(2026, 3, 12, 14, 0), invitees=["U0KARIM", "U0ILSE"])
    karim, ilse = sandbox.user("karim"), sandbox.user("ilse")

    # Before the reminder is due (an hour before the meeting), nobody hears anything.
    report = await poll_once(deps, slack, now=ams(2026, 3, 12, 12, 59))
    assert report.claimed == 0 and not karim.dms()

    for _ in range(2):  # a second round must not repeat the DM
        await poll_once(deps, slack, now=ams(2026, 3, 12, 13, 0))
    [dutch] = karim.dms()
    [english] = ilse.dms()
    assert "ZVH-2026-014" in dutch["text"] and "do 12 mrt 2026 14:00" in dutch["text"]
    assert "Herinnering" in dutch["text"] and "Directe veiligheid" in dutch["text"]
    assert "<#C0CASUSDEMO>" in dutch["text"]
    assert "Reminder" in english["text"] and "Thu 12 Mar 2026 14:00" in english["text"]

    stored = {r.user_id: r for r in await rows(deps.db)}
    assert stored["U0KARIM"].status == ReminderStatus.SENT
    assert stored["U0KARIM"].message_ts == dutch["ts"]
    assert dutch["metadata"] == {
        "event_type": "casusbot_reminder",
        "event_payload": {"reminder_id": stored["U0KARIM"].id},
    }
    assert meeting.id == stored["U0KARIM"].meeting_id


async def test_the_dm_shows_the_meeting_in_local_time_after_the_clock_change(
    deps: Deps, sandbox: Sandbox, slack: AsyncWebClient
) -> None:
    # Planned in winter time for the Monday after the March change: 10:00 local is 08:00 UTC.
    await plan(deps.db, at=ams(2026, 3, 30, 10, 0), invitees=["U0SANNE"])
    await poll_once(deps, slack, now=datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    [dm] = sandbox.user("sanne").dms()
    assert "ma 30 mrt 2026 10:00" in dm["text"]


async def test_no_reminder_for_a_meeting_that_was_cancelled(
    deps: Deps, sandbox: Sandbox, slack: AsyncWebClient
) -> None:
    meeting = await plan(deps.db, at=ams(2026, 3, 12, 14, 0), invitees=["U0KARIM"])
    async with deps.db.session() as session:
        stored = await session.get(Meeting, meeting.id)
        assert stored is not None
        stored.status = MeetingStatus.CANCELLED
    report = await poll_once(deps, slack, now=ams(2026, 3, 12, 13, 0))
    assert report.obsolete == 1
    assert not sandbox.user("karim").dms()


async def test_an_unknown_slack_user_fails_the_reminder_without_retries(
    deps: Deps, slack: AsyncWebClient
) -> None:
    await plan(deps.db, at=ams(2026, 3, 12, 14, 0), invitees=["U0NOBODY"])
    report = await poll_once(deps, slack, now=ams(2026, 3, 12, 13, 0))
    assert report.failed == 1
    [row] = await rows(deps.db)
    assert row.status == ReminderStatus.FAILED and row.last_error


async def test_stopping_twice_is_harmless(deps: Deps, offline_client: AsyncWebClient) -> None:
    scheduler = start_scheduler(deps, offline_client, clock=lambda: NOW)
    for _ in range(2):
        for stop in deps.on_stop:
            await stop()
    await asyncio.sleep(0)
    assert not scheduler.running
