"""Migration 0009 on SQLite and PostgreSQL: it creates exactly what the models describe, it
upgrades a database that already holds cases, agreements and checks (SQLite cannot rebuild a
table others point at), and the purge, export and key rotation find the new tables by
themselves."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.config import Settings
from storage.case_rows import all_tables, case_conditions, encrypted_columns
from storage.db import Database, make_engine
from storage.migrate import alembic_config, migrate

NEW_TABLES = {"absence", "case_closure", "bodemeis_review", "escalation", "postponement"}


async def test_the_migration_creates_exactly_what_the_models_describe(db: Database) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, all_tables())

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    # The whole schema, not only the tables 0009 touches: an index or constraint diff names its
    # table in ways a filter misses.
    assert diff == []


async def test_a_database_with_cases_agreements_and_checks_upgrades_in_place(
    database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(**database_env)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0008"))
            for statement in (
                'INSERT INTO "case" (id, code, phase, status, channel_id, created_by, created_at)'
                " VALUES (1, 'ZVH-1', 'directe_veiligheid', 'open', 'G1', 'U1',"
                " '2027-03-01 10:00:00+00')",
                "INSERT INTO meeting (id, case_id, phase, status, planned_by, state, version)"
                " VALUES (1, 1, 'directe_veiligheid', 'ended', 'U1', '{}', 3)",
                "INSERT INTO agreement (id, case_id, meeting_id, kind, status, monitor_user_id,"
                " interval_days, created_by, created_at) VALUES (1, 1, 1, 'bodemeis', 'open',"
                " 'U2', 7, 'U1', '2027-03-01 11:00:00+00')",
                "INSERT INTO bodemeis_check (agreement_id, occurrence, answer, answered_at)"
                " VALUES (1, '2027-03-08', 'nageleefd', '2027-03-08 10:00:00+00')",
                "INSERT INTO reminder (kind, status, due_at, attempts, user_id, case_id,"
                " agreement_id, dedupe_key, payload, created_at) VALUES ('bodemeis_check',"
                " 'pending', '2027-03-15 08:00:00+00', 0, 'U2', 1, 1, 'bodemeis:1:2027-03-15',"
                " '{}', '2027-03-08 10:00:00+00')",
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with engine.connect() as connection:
            agreement = (
                await connection.execute(
                    text("SELECT version, previous_id, status FROM agreement WHERE id = 1")
                )
            ).one()
            reminder = (
                await connection.execute(text("SELECT escalation_id, status FROM reminder"))
            ).one()
            checks = (await connection.execute(text("SELECT count(*) FROM bodemeis_check"))).one()
        assert tuple(agreement) == (1, None, "open")
        assert tuple(reminder) == (None, "pending")
        assert tuple(checks) == (1,)
    finally:
        await engine.dispose()


def test_the_purge_and_export_find_every_new_table_of_a_case() -> None:
    tables = {table.name for table in case_conditions(all_tables(), 1)}
    # Absences are a person's, not a case's: they hold no case data and are not purged with it.
    assert NEW_TABLES - {"absence"} <= tables
    assert "absence" not in tables


def test_every_new_free_text_column_is_encrypted() -> None:
    encrypted = {
        (table.name, column.name)
        for table, columns in encrypted_columns(all_tables()).items()
        for column in columns
    }
    assert {
        ("case", "referring_partner"),
        ("agreement", "end_reason"),
        ("escalation", "note"),
        ("case_closure", "override_reason"),
    } <= encrypted
