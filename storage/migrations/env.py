"""Alembic environment: always run through storage.migrate, which hands us a connection."""

from __future__ import annotations

from alembic import context

from storage.case_rows import all_tables

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through storage.migrate.migrate(), not the alembic CLI.")

context.configure(
    connection=connection,
    # Every storage module's tables, registered by importing them all (autogenerate compares
    # against these; a table whose module nobody imported would look dropped).
    target_metadata=all_tables(),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
