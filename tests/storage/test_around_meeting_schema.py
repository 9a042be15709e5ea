"""Migration 0011 on SQLite and PostgreSQL: the one family score of a meeting becomes the view
of "the family together" (its encrypted text moved as it is), and the purge, export and key
rotation find the new tables by themselves."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from sqlalchemy import text

from bot.config import Settings
from storage.case_rows import all_tables, case_conditions, encrypted_columns
from storage.db import make_engine
from storage.migrate import alembic_config, migrate

NEW_TABLES = {"prep_summary", "involved_view", "outcome_informed"}


async def test_a_family_score_becomes_the_view_of_the_family_together(
    database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(**database_env)
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0009"))
            for statement in (
                'INSERT INTO "case" (id, code, phase, status, channel_id, created_by, created_at)'
                " VALUES (1, 'ZVH-1', 'directe_veiligheid', 'open', 'G1', 'U1',"
                " '2027-03-01 10:00:00+00')",
                "INSERT INTO meeting (id, case_id, phase, status, planned_by, state, version)"
                " VALUES (1, 1, 'directe_veiligheid', 'ended', 'U1', '{}', 3)",
                "INSERT INTO family_view (meeting_id, step_key, value, text, recorded_by,"
                " recorded_at) VALUES (1, 'directe_veiligheid.schaalvraag.x', 4, 'gAAAAcipher',"
                " 'U2', '2027-03-01 11:00:00+00')",
            ):
                await connection.execute(text(statement))
        await migrate(engine)
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT meeting_id, role, score, text, recorded_by FROM involved_view")
                )
            ).one()
            tables = await connection.run_sync(
                lambda c: set(c.dialect.get_table_names(c, schema=settings.database_schema))
            )
        assert tuple(row) == (1, "gezin", 4, "gAAAAcipher", "U2")
        assert "family_view" not in tables and NEW_TABLES <= tables
    finally:
        await engine.dispose()


def test_the_purge_and_export_find_the_new_tables_and_their_text_is_encrypted() -> None:
    assert NEW_TABLES <= {table.name for table in case_conditions(all_tables(), 1)}
    encrypted = {
        (table.name, column.name)
        for table, columns in encrypted_columns(all_tables()).items()
        for column in columns
    }
    assert {
        ("prep_summary", "text"),
        ("involved_view", "text"),
        ("outcome_informed", "reason"),
    } <= encrypted
