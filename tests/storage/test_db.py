"""The engine, migrations and first tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.config import Settings
from storage.db import Database, make_engine
from storage.migrate import alembic_config, migrate
from storage.models import Case, Meeting, Participant, Role


async def test_migrations_create_the_first_tables(db: Database) -> None:
    async with db.session() as session:
        session.add(
            Case(code="ZVH-2026-001", phase="directe_veiligheid", channel_id="G1", created_by="U1")
        )
    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        session.add(Participant(case_id=case.id, user_id="U1", role=Role.PROCESREGISSEUR))
        session.add(Meeting(case_id=case.id, phase=case.phase, planned_by="U1"))
    async with db.session() as session:
        assert len((await session.exec(select(Participant))).all()) == 1
        assert (await session.exec(select(Meeting))).one().status == "planned"


async def test_case_codes_are_unique(db: Database) -> None:
    async with db.session() as session:
        session.add(
            Case(code="VT-0042", phase="directe_veiligheid", channel_id="G1", created_by="U1")
        )
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(
                Case(code="VT-0042", phase="directe_veiligheid", channel_id="G2", created_by="U2")
            )


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(Participant(case_id=999, user_id="U1", role=Role.DEELNEMER))


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    amsterdam_evening = datetime(2026, 3, 29, 21, 30, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as session:
        session.add(
            Case(
                code="ZVH-7",
                phase="directe_veiligheid",
                channel_id="G1",
                created_by="U1",
                created_at=amsterdam_evening,
            )
        )
    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
    assert case.created_at == amsterdam_evening
    assert case.created_at.tzinfo == UTC


async def test_migrating_twice_is_harmless(db: Database) -> None:
    await migrate(db.engine)
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings()
    engine = make_engine(settings.database_url)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
    await engine.dispose()


async def test_two_processes_migrating_one_postgresql_at_once(
    pg_schema_url: tuple[str, str],
) -> None:
    url, schema = pg_schema_url
    engines = [make_engine(url, schema=schema) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))
        async with engines[0].connect() as conn:
            rows = (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
        assert rows == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_closing_a_case_cancels_its_pending_reminders(db: Database) -> None:
    from flows.schedule import ReminderKind
    from storage.cases import close_case, create_case
    from storage.reminders import Reminder, schedule_reminder

    async with db.session() as session:
        case = await create_case(
            session,
            code="ZVH-9",
            phase="directe_veiligheid",
            channel_id="G1",
            created_by="U1",
            members=[],
        )
        await schedule_reminder(
            session,
            kind=ReminderKind.MEETING,
            due_at=datetime.now(UTC) + timedelta(days=1),
            dedupe_key="k1",
            user_id="U1",
            case_id=case.id,
        )
    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        await close_case(session, case=case)
    async with db.session() as session:
        reminder = (await session.exec(select(Reminder))).one()
    assert reminder.status == "cancelled"
