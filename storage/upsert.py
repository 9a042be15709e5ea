"""INSERT … ON CONFLICT for the dialect in use (SQLite and PostgreSQL share the syntax,
SQLAlchemy keeps them in separate modules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_for(session: AsyncSession) -> Any:
    """The dialect's `insert` construct, which has on_conflict_do_nothing/do_update."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
