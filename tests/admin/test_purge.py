"""Retention: closed cases past CASUSBOT_RETENTION_DAYS disappear — every row, and every
message, file and canvas the bot recorded for them in Slack — leaving one audit line; open and
recently closed cases are untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select

from bot.admin.purge import describe, purge
from bot.admin.retention import CaseOutcome, PurgeBusy, run_retention, schedule_retention
from bot.app import make_deps
from bot.config import Settings
from bot.outbox import Outbox
from sandbox import Sandbox, Workspace
from storage.case_rows import all_tables
from storage.db import Database
from storage.models import AuditEvent, Case
from storage.retention import due_for_purge, plan_purge, purge_case, purge_lock, purge_started
from storage.slack_objects import objects_of_case
from tests.admin.conftest import SECRET_REPLY, Admin, Seeded, case_exists, seed_case
from tests.admin.slack_case import (
    MAKERS,
    RENDERERS,
    World,
    bot_messages_left,
    canvases_left,
    case_keys,
    files_left,
    pins_left,
    still_there,
)
from tests.admin.whole_case import (
    caught_up,
    database_leftovers,
    play_whole_case,
    slack_leftovers,
    slack_objects,
    table_counts,
)
from tests.e2e.conftest import Harness, running_harness

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
    assert "Slack: 1 message(s), 0 file(s), 0 canvas(es)" in out  # the meeting's thread
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
    for table in ("scale_round", "vote", "involved_view"):
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

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    """The case to purge (closed 40 days ago) and an open one, with objects of every kind in
    Slack; the app installed with the scopes manifest.yml asks for."""
    async with Sandbox(Workspace.demo()) as sb:
        app = sb.install_app(name="Casusbot", join=["casus-demo"], manifest=MANIFEST, events=())
        client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
        outbox = Outbox(db, client, RENDERERS)
        made = World(
            sb,
            client,
            db,
            outbox,
            await seed_case(db, code=OLD, closed_days_ago=40),
            await seed_case(db, code=OPEN),
        )
        for maker in MAKERS:
            await maker(made)
        await outbox.idle()
        yield made


def bot_user(world: World) -> str:
    return world.sb.app.bot_user_id


async def purge_now(world: World, make_settings: Callable[..., Settings]) -> CaseOutcome:
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")
    [outcome] = await run_retention(world.db, settings, world.client, now=datetime.now(UTC))
    return outcome


async def test_every_object_the_bot_recorded_for_the_case_is_deleted_and_every_row(
    world: World, make_settings: Callable[..., Settings]
) -> None:
    made = world.made
    assert bot_messages_left(world, bot_user(world)) and made.files and made.canvases
    keys = await case_keys(world.db, world.case.case_id)
    assert {"slack_object", "reminder", "agreement", "vote", "scale_round"} <= set(keys)
    other_before = await case_keys(world.db, world.other.case_id)

    outcome = await purge_now(world, make_settings)

    assert outcome.rows is not None and not outcome.postponed, outcome.postponed
    assert bot_messages_left(world, bot_user(world)) == []
    assert files_left(world) == [] and canvases_left(world) == [] and pins_left(world) == []
    for channel, ts in made.kept:  # people's own messages and the other case's stay
        assert world.sb.message(channel, ts) is not None
    assert await still_there(world.db, keys) == {}
    assert await still_there(world.db, other_before) == {
        name: len(rows) for name, rows in other_before.items()
    }
    [line] = await purge_lines(world.db)
    assert line.detail.startswith(f"code={OLD} ")
    slack = outcome.slack
    assert slack.deleted["message"] == len(made.messages)
    assert slack.deleted["file"] == 1 and slack.deleted["canvas"] == 1 and slack.unpinned == 1
    assert not slack.left and not slack.failed
    # From the bot's own record: nothing was looked up in Slack's history.
    assert not world.sb.calls("conversations.history")
    assert not world.sb.calls("conversations.replies")


async def test_a_dry_run_counts_what_would_go_per_kind_and_changes_nothing(
    world: World, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")
    [outcome] = await run_retention(
        world.db, settings, world.client, now=datetime.now(UTC), dry_run=True
    )
    line = describe(outcome, settings, dry_run=True)
    messages = len(world.made.messages)
    assert f"Slack: {messages} message(s), 1 file(s), 1 canvas(es)" in line
    assert "slack_object" in line and "reminder" in line and "agreement 1" in line
    assert bot_messages_left(world, bot_user(world))
    assert files_left(world) and canvases_left(world)
    assert await case_exists(world.db, OLD)
    assert not world.sb.calls("chat.delete")


async def test_objects_someone_deleted_already_count_as_deleted(
    world: World, make_settings: Callable[..., Settings]
) -> None:
    channel, ts = world.made.messages[-1]
    await world.client.chat_delete(channel=channel, ts=ts)
    await world.client.files_delete(file=world.made.files[0])

    outcome = await purge_now(world, make_settings)

    assert outcome.rows is not None
    assert outcome.slack.gone["message"] == 1 and outcome.slack.gone["file"] == 1
    assert bot_messages_left(world, bot_user(world)) == []


@pytest.mark.parametrize("failure", ["slack_down", "scope_revoked"])
async def test_a_slack_failure_mid_purge_leaves_the_case_for_the_next_run(
    world: World, make_settings: Callable[..., Settings], failure: str
) -> None:
    # Canvases and files go first, messages last: the failure comes mid-purge.
    if failure == "slack_down":
        world.sb.faults.add("http_503", method="chat.delete", times=1)
    else:
        world.sb.revoke_scopes("pins:write")

    first = await purge_now(world, make_settings)

    assert first.rows is None and first.postponed
    assert first.slack.deleted["canvas"] == 1 and first.slack.deleted["file"] == 1
    assert await case_exists(world.db, OLD)
    assert bot_messages_left(world, bot_user(world))  # what failed, and what came after
    assert not await purge_lines(world.db)
    async with world.db.session() as session:
        assert await purge_started(session, case_id=world.case.case_id)
    # Retired: the outbox never shows one of them again, even on a new change.
    async with world.db.session() as session:
        rows = await objects_of_case(session, case_id=world.case.case_id)
    assert rows and all(r.deleted_at is not None for r in rows)

    world.sb.grant_scopes("pins:write")
    second = await purge_now(world, make_settings)

    assert second.rows is not None and not second.postponed
    assert second.slack.gone["canvas"] == 1 and second.slack.gone["file"] == 1
    assert bot_messages_left(world, bot_user(world)) == []
    assert canvases_left(world) == [] and files_left(world) == [] and pins_left(world) == []
    assert not await case_exists(world.db, OLD)


async def test_the_daily_job_purges_from_the_bots_own_scheduler(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    await seed_case(db, code=OLD, closed_days_ago=40)
    await seed_case(db, code=RECENT, closed_days_ago=5)
    async with Sandbox(Workspace.demo()) as sb:
        app = sb.install_app(name="Casusbot", join=["casus-demo"], events=())
        client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
        deps = make_deps(make_settings(CASUSBOT_RETENTION_DAYS="30"), db)
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
        schedule_retention(scheduler, deps, client, first_run=datetime.now(UTC))
        scheduler.start()
        try:
            for _ in range(500):
                if not await case_exists(db, OLD):
                    break
                await asyncio.sleep(0.02)
        finally:
            scheduler.shutdown(wait=False)
    assert not await case_exists(db, OLD)
    assert await case_exists(db, RECENT)
    job_line = (await purge_lines(db))[0]
    assert job_line.actor == "retention"


async def test_one_purge_at_a_time(db: Database, make_settings: Callable[..., Settings]) -> None:
    await seed_case(db, code=OLD, closed_days_ago=40)
    settings = make_settings(CASUSBOT_RETENTION_DAYS="30")
    now = datetime.now(UTC)
    results = await asyncio.gather(
        run_retention(db, settings, None, now=now),
        run_retention(db, settings, None, now=now),
        return_exceptions=True,
    )
    purged = [o for r in results if isinstance(r, list) for o in r if o.rows is not None]
    assert len(purged) == 1
    busy = [r for r in results if isinstance(r, PurgeBusy)]
    # The second either found the lock taken, or (having started after) nothing left to do.
    assert len(busy) + sum(1 for r in results if r == []) == 1


async def test_while_one_process_holds_the_lock_another_cannot_take_it(db: Database) -> None:
    async with purge_lock(db) as first:
        async with purge_lock(db) as second:
            assert first and not second
    async with purge_lock(db) as again:
        assert again


# ----- tables added later -----


def later_schema() -> MetaData:
    """Today's tables plus three a later feature might add: one with a case_id, one pointing
    at a meeting by name only (no foreign key) with a message of its own, one below that."""
    metadata = MetaData()
    for table in all_tables().sorted_tables:
        table.to_metadata(metadata)
    Table(
        "handover_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("case.id")),
        Column("owner_user_id", String(32)),
    )
    Table(
        "welcome",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("meeting_id", Integer),
        Column("user_id", String(32)),
        Column("channel_id", String(32)),
        Column("welcome_ts", String(32)),
    )
    Table(
        "welcome_answer",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("welcome_id", Integer),
        Column("action_ts", String(32)),
    )
    return metadata


async def test_tables_added_later_are_purged_without_changes_to_the_purge(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    metadata = later_schema()
    new = [metadata.tables[n] for n in ("handover_note", "welcome", "welcome_answer")]
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.create_all(sync, tables=new))
    old = await seed_case(db, code=OLD, closed_days_ago=40)
    kept = await seed_case(db, code=OPEN)
    async with db.engine.begin() as conn:
        for n, seeded in enumerate((old, kept), start=1):
            await conn.execute(new[0].insert().values(id=n, case_id=seeded.case_id))
            await conn.execute(
                new[1]
                .insert()
                .values(
                    id=n,
                    meeting_id=seeded.meeting_id,
                    channel_id="C0CASUSDEMO",
                    welcome_ts=f"17.{n}",
                )
            )
            await conn.execute(new[2].insert().values(id=n, welcome_id=n, action_ts="1.2"))

    before = datetime.now(UTC) - timedelta(days=30)
    async with db.session() as session:
        [case] = await due_for_purge(session, before=before)
        plan = await plan_purge(session, case=case, metadata=metadata)
    assert {"handover_note": 1, "welcome": 1, "welcome_answer": 1}.items() <= plan.rows.items()
    welcome = [t for t in plan.targets if t.source.startswith("welcome.")]
    assert [(t.id, t.channels) for t in welcome] == [("17.1", ("C0CASUSDEMO",))]

    async with db.session() as session:
        deleted = await purge_case(
            session, case_id=old.case_id, closed_before=before, actor="test", metadata=metadata
        )
    assert deleted is not None
    assert {"handover_note": 1, "welcome": 1, "welcome_answer": 1}.items() <= deleted.items()
    async with db.engine.connect() as conn:
        for table in new:
            assert [r.id for r in (await conn.execute(select(table.c.id))).all()] == [2]


# ----- a whole case, played through the bot -----


@pytest.fixture
async def whole_case_bot(
    make_settings: Callable[..., Settings], migrated_env: dict[str, str]
) -> AsyncIterator[Harness]:
    """The real bot over signed HTTP on each backend, as tests/e2e's `harness`; its renders
    may take longer (a loaded machine lays out a PDF slowly; a render cut short is retried)."""

    def settings(**env: str) -> Settings:
        return make_settings(**env, CASUSBOT_OUTBOX_LEASE_SECONDS="120")

    async with running_harness(settings, migrated_env, socket_mode=False) as running:
        yield running


async def test_a_whole_case_played_through_the_bot_leaves_nothing_after_its_purge(
    whole_case_bot: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """Meetings, votes, agreements, reports, trend, timeline, reminders, an escalation, the
    home tab and the closing — then the purge `python -m bot purge` runs: 0 messages, files,
    canvases and pins of the bot left in Slack, 0 rows of the case in any table, one audit
    line. PURGE lines (run with -s) give the counts for the README."""
    h = whole_case_bot
    await play_whole_case(h)
    await caught_up(h)
    made = slack_objects(h.sb)
    assert made["messages"] and made["files"]
    rows_before = await table_counts(h.db)

    # Closed longer ago than the retention period; the admin runs the purge (the bot runs on).
    async with h.db.session() as session:
        case = (await session.exec(select(Case))).scalars().one()  # type: ignore[call-overload]
        assert case.status == "closed" and case.id is not None
        keys = await case_keys(h.db, case.id)
        case.closed_at = datetime.now(UTC) - timedelta(days=h.settings.retention_days + 1)
        session.add(case)
    calls_before = len(h.sb.api_calls)
    [outcome] = await purge(h.settings)
    await h.settle()
    purge_calls = {c.method for c in h.sb.api_calls[calls_before:]}
    printed = capsys.readouterr().out

    assert outcome.rows is not None and not outcome.postponed, printed
    left = slack_leftovers(h.sb)
    assert left.counts() == dict.fromkeys(left.counts(), 0), left.explain(h.sb)
    assert await still_there(h.db, keys) == {}
    assert await database_leftovers(h.db) == {}
    [line] = await purge_lines(h.db)
    assert line.detail.startswith("code=ZVH-2026-014 ")
    # From the bot's own record: nothing was looked up in Slack's history.
    assert not {"conversations.history", "conversations.replies"} & purge_calls

    slack = outcome.slack
    with capsys.disabled():
        print(
            f"\nPURGE whole case ({h.db.dialect}): in Slack before {made};"
            f" deleted messages={slack.deleted['message']} files={slack.deleted['file']}"
            f" canvases={slack.deleted['canvas']} unpinned={slack.unpinned}"
            f" home_tabs_redrawn={slack.homes}"
            f" already_gone={dict(slack.gone)} left={dict(slack.left)}"
        )
        print(
            f"PURGE whole case ({h.db.dialect}): rows deleted {sum(outcome.rows.values())}:"
            f" {dict(sorted(outcome.rows.items()))}; tables with rows before"
            f" {len([n for n, c in rows_before.items() if c])}"
        )
    # A file's share message without text goes with the file.
    assert slack.deleted["message"] + slack.deleted["file"] >= made["messages"]
