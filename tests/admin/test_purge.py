"""Retention: closed cases past CASUSBOT_RETENTION_DAYS disappear — rows and the bot's Slack
messages — leaving one audit line; open and recently closed cases are untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select, text

from bot.admin.retention import run_retention, schedule_retention
from bot.app import make_deps
from bot.config import Settings
from sandbox import App, Sandbox, Workspace
from storage.case_rows import all_tables
from storage.db import Database
from storage.meetings import meeting_by_id
from storage.models import AuditEvent
from storage.votes import round_by_number, set_round_messages
from tests.admin.conftest import SECRET_REPLY, Admin, Seeded, case_exists, seed_case

OLD, RECENT, OPEN = "ZVH-2024-001", "ZVH-2025-002", "ZVH-2025-003"


async def three_cases(db: Database) -> dict[str, Seeded]:
    return {
        OLD: await seed_case(db, code=OLD, closed_days_ago=40),
        RECENT: await seed_case(db, code=RECENT, closed_days_ago=5),
        OPEN: await seed_case(db, code=OPEN),
    }


async def row_counts(db: Database) -> dict[str, int]:
    counts = {}
    async with db.engine.connect() as conn:
        for table in all_tables().sorted_tables:
            query = select(func.count()).select_from(table)
            counts[table.name] = (await conn.execute(query)).scalar_one()
    return counts


async def purge_lines(db: Database) -> list[AuditEvent]:
    async with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.action == "case_purged")
        return list((await session.exec(query)).scalars().all())  # type: ignore[call-overload]


def test_dry_run_shows_what_would_go_and_changes_nothing(admin: Admin) -> None:
    admin.db_call(three_cases)
    before = admin.db_call(row_counts)
    code, out, err = admin.run("purge", "--dry-run")
    assert code == 0, err
    assert OLD in out and RECENT not in out and OPEN not in out
    assert "contribution 1" in out and "vote 2" in out and "participant 3" in out
    assert "1 case(s) would be purged" in out
    assert SECRET_REPLY not in out
    assert admin.db_call(row_counts) == before


def test_purge_deletes_every_row_of_the_case_and_keeps_one_line(admin: Admin) -> None:
    admin.db_call(three_cases)
    before = admin.db_call(row_counts)
    code, out, err = admin.run("purge", "--database-only")
    assert code == 0, err
    assert "1 case(s) purged" in out

    assert not admin.db_call(lambda db: case_exists(db, OLD))
    assert admin.db_call(lambda db: case_exists(db, RECENT))
    assert admin.db_call(lambda db: case_exists(db, OPEN))
    after = admin.db_call(row_counts)
    # Exactly one case's share of every table is gone (its audit lines too), plus one line.
    for table in ("case", "participant", "meeting", "meeting_invitee", "contribution"):
        assert after[table] == before[table] * 2 // 3, table
    for table in ("scale_round", "vote", "family_view"):
        assert after[table] == before[table] * 2 // 3, table
    [line] = admin.db_call(purge_lines)
    assert line.case_id is None and line.detail.startswith(f"code={OLD} closed=")
    assert not line.actor.startswith("U")  # no professional's Slack id survives the case

    code, out, _ = admin.run("audit", "--case", OLD)
    assert code == 0 and "was purged" in out and "case_purged" in out
    # Running it again finds nothing more to do.
    code, out, _ = admin.run("purge", "--database-only")
    assert code == 0 and "0 case(s) purged" in out


def test_purge_without_slack_credentials_says_how_to_go_on(admin: Admin) -> None:
    admin.db_call(three_cases)
    code, _, err = admin.run("purge")
    assert code == 2 and err.count("\n") == 1
    assert "SLACK_BOT_TOKEN" in err and "--database-only" in err
    assert admin.db_call(lambda db: case_exists(db, OLD))


# ----- with Slack (the sandbox) -----


@pytest.fixture
async def slack() -> AsyncIterator[tuple[Sandbox, App, AsyncWebClient]]:
    sb = Sandbox(Workspace.demo())
    await sb.start()
    app = sb.install_app(name="Casusbot", join=["casus-demo"], events=[])
    try:
        yield sb, app, AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    finally:
        await sb.stop()


async def post_meeting_messages(
    sb: Sandbox, client: AsyncWebClient, db: Database, seeded: Seeded
) -> dict[str, str]:
    """What a meeting leaves in Slack: planning, parent, questions, a vote, someone's reply."""
    channel = "C0CASUSDEMO"
    planning = (await client.chat_postMessage(channel=channel, text="Overleg gepland"))["ts"]
    parent = (await client.chat_postMessage(channel=channel, text="Casusoverleg"))["ts"]
    earlier = await client.chat_postMessage(channel=channel, thread_ts=parent, text="Vraag 1")
    question = await client.chat_postMessage(channel=channel, thread_ts=parent, text="Vraag 2")
    vote = await client.chat_postMessage(channel=channel, thread_ts=parent, text="Schaalvraag")
    reply = await sb.user("sanne").post(channel, SECRET_REPLY, thread_ts=parent)
    other = (await client.chat_postMessage(channel=channel, text="Andere casus"))["ts"]
    async with db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=seeded.meeting_id)
        assert meeting is not None
        meeting.planning_ts, meeting.thread_ts = planning, parent
        meeting.question_ts = question["ts"]
        session.add(meeting)
        scale_round = await round_by_number(session, meeting_id=seeded.meeting_id, number=1)
        assert scale_round is not None and scale_round.id is not None
        await set_round_messages(session, round_id=scale_round.id, message_ts=vote["ts"])
    return {
        "planning": planning,
        "parent": parent,
        "earlier": earlier["ts"],
        "reply": reply,
        "other": other,
    }


async def test_the_bots_messages_of_a_purged_case_are_deleted_in_slack(
    db: Database, make_settings: Callable[..., Settings], slack: tuple[Sandbox, App, AsyncWebClient]
) -> None:
    sb, _app, client = slack
    seeded = await seed_case(db, code=OLD, closed_days_ago=40)
    ts = await post_meeting_messages(sb, client, db, seeded)
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")

    [outcome] = await run_retention(db, settings, client, now=datetime.now(UTC))

    assert outcome.rows is not None and not outcome.postponed
    channel = "C0CASUSDEMO"
    assert sb.message(channel, ts["planning"]) is None
    # The thread's bot messages are gone, including questions whose ts was never stored.
    remaining = sb.messages(channel, thread_ts=ts["parent"])
    assert [m["ts"] for m in remaining if m.get("bot_id")] in ([], [ts["parent"]])
    assert sb.message(channel, ts["earlier"]) is None
    # A person's own reply is theirs (Slack's retention governs it); other messages stay.
    assert sb.message(channel, ts["reply"]) is not None
    assert sb.message(channel, ts["other"]) is not None
    assert outcome.slack.deleted == 5 and not outcome.slack.refused
    assert not await case_exists(db, OLD)


async def test_the_daily_job_purges_from_the_bots_own_scheduler(
    db: Database, make_settings: Callable[..., Settings], slack: tuple[Sandbox, App, AsyncWebClient]
) -> None:
    _sb, _app, client = slack
    await seed_case(db, code=OLD, closed_days_ago=40)
    await seed_case(db, code=RECENT, closed_days_ago=5)
    deps = make_deps(make_settings(CASUSBOT_RETENTION_DAYS="30"), db)
    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
    schedule_retention(scheduler, deps, client, first_run=datetime.now(UTC))
    scheduler.start()
    try:
        for _ in range(200):
            if not await case_exists(db, OLD):
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
    assert not await case_exists(db, OLD)
    assert await case_exists(db, RECENT)
    job_line = (await purge_lines(db))[0]
    assert job_line.actor == "retention"


async def test_two_processes_purging_at_once_purge_once(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    await seed_case(db, code=OLD, closed_days_ago=40)
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")
    now = datetime.now(UTC)
    first, second = await asyncio.gather(
        run_retention(db, settings, None, now=now), run_retention(db, settings, None, now=now)
    )
    purged = [o for o in first + second if o.rows is not None]
    assert len(purged) == 1
    assert len(await purge_lines(db)) == 1


async def test_a_reopened_case_is_not_purged(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    seeded = await seed_case(db, code=OLD, closed_days_ago=40)
    async with db.engine.begin() as conn:
        reopen = text("UPDATE \"case\" SET status = 'open', closed_at = NULL WHERE id = :id")
        await conn.execute(reopen, {"id": seeded.case_id})
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")
    assert await run_retention(db, settings, None, now=datetime.now(UTC) + timedelta(days=1)) == []
    assert await case_exists(db, OLD)
