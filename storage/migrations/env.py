"""Alembic environment: always run through storage.migrate, which hands us a connection."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

# Imported for their side effect: they register the tables on SQLModel.metadata.
import storage.agreements
import storage.models
import storage.prep
import storage.reminders
import storage.votes  # noqa: F401

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through storage.migrate.migrate(), not the alembic CLI.")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
