"""Fixtures shared by the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.config import Settings
from storage.db import Database, make_engine


@pytest.fixture
async def second_db(
    database_env: dict[str, str], make_settings: Callable[..., Settings]
) -> AsyncIterator[Database]:
    """Another engine on the same database: what a second replica (or a restart) sees."""
    settings = make_settings(**database_env)
    other = Database(make_engine(settings.database_url, schema=settings.database_schema))
    yield other
    await other.dispose()
