"""Every table and row the database holds, found from SQLModel.metadata instead of by hand.

Key rotation, export and purge must also cover the tables colleagues add later (votes,
agreements, bottom-line checks), so none of them lists tables: encrypted columns are found by
their type, and a row belongs to a case when a chain of foreign keys leads from it to that
case's row.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import Column, ColumnElement, MetaData, Table, or_, select
from sqlmodel import SQLModel

import storage
from storage.crypto import EncryptedText

CASE_TABLE = "case"
# Modules under storage/ that hold no tables and are heavy or side-effectful to import.
_NOT_TABLE_MODULES = frozenset({"migrations", "migrate"})


def all_tables() -> MetaData:
    """The metadata with every table of every storage module registered on it.

    A table is registered when its module is imported; the bot imports them as it needs them,
    an admin command may not have, so import every module in the package first.
    """
    for module in pkgutil.iter_modules(storage.__path__):
        if module.ispkg or module.name.startswith("_") or module.name in _NOT_TABLE_MODULES:
            continue
        importlib.import_module(f"storage.{module.name}")
    return SQLModel.metadata


def encrypted_columns(metadata: MetaData) -> dict[Table, list[Column[str]]]:
    """{table: its EncryptedText columns}, parents before children."""
    found: dict[Table, list[Column[str]]] = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            found[table] = columns
    return found


def case_conditions(metadata: MetaData, case_id: int) -> dict[Table, ColumnElement[bool]]:
    """{table: WHERE clause selecting the rows that belong to case `case_id`}.

    Tables come parents first (`sorted_tables`), so a child's clause can use its parents'.
    A row with several foreign keys (an audit line names a case and a meeting) belongs to the
    case when any of them leads there.
    """
    case_table = metadata.tables[CASE_TABLE]
    conditions: dict[Table, ColumnElement[bool]] = {case_table: case_table.c.id == case_id}
    for table in metadata.sorted_tables:
        if table is case_table:
            continue
        clauses = [
            fk.parent.in_(select(fk.column).where(conditions[fk.column.table]))
            for fk in table.foreign_keys
            if fk.column.table in conditions and fk.column.table is not table
        ]
        if clauses:
            conditions[table] = or_(*clauses)
    return conditions
