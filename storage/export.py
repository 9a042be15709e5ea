"""Read everything that belongs to one case, decrypted, for the case file export.

Rows are read through the table definitions (so EncryptedText decrypts) and found through the
foreign keys (storage.case_rows), so tables added later — votes, agreements, checks — are in
the export without changes here. Rendering is bot.admin.export's job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.case_rows import all_tables, case_conditions

Row = dict[str, Any]


async def case_rows(session: AsyncSession, *, case_id: int) -> dict[str, list[Row]]:
    """{table name: its rows of this case, in primary key order}, parents first."""
    found: dict[str, list[Row]] = {}
    for tbl, condition in case_conditions(all_tables(), case_id).items():
        query = select(tbl).where(condition).order_by(*tbl.primary_key.columns)
        # sqlmodel types exec() for its own select(); this one selects a Table's rows.
        rows = (await session.exec(query)).all()  # type: ignore[call-overload]
        if rows:
            found[tbl.name] = [dict(row._mapping) for row in rows]
    return found
