"""Every table and row the database holds, found from SQLModel.metadata instead of by hand.

Key rotation, export and purge must also cover the tables colleagues add later (votes,
agreements, bottom-line checks), so none of them lists tables: encrypted columns are found by
their type, and a row belongs to a case when a chain of references — foreign keys, or columns
named `<table>_id` — leads from it to that case's row.
"""

from __future__ import annotations

import importlib
import pkgutil
from graphlib import CycleError, TopologicalSorter
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, MetaData, Table, or_, select
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


def references(metadata: MetaData) -> dict[Table, list[tuple[Column[Any], Column[Any]]]]:
    """{table: [(its column, the column of another table it points at)]}.

    A foreign key is a reference; so is a column named after a table, `<table>_id`, that holds
    that table's integer `id` without a foreign key (`reminder.agreement_id` was added before
    the agreement table existed). Self-references are left out: a row's case is its parent's.
    """
    found: dict[Table, list[tuple[Column[Any], Column[Any]]]] = {}
    for table in metadata.sorted_tables:
        pairs = [
            (fk.parent, fk.column) for fk in table.foreign_keys if fk.column.table is not table
        ]
        keyed = {fk.parent.name for fk in table.foreign_keys}
        for column in table.columns:
            target = metadata.tables.get(column.name.removesuffix("_id"))
            if (
                column.name.endswith("_id")
                and column.name not in keyed
                and target is not None
                and target is not table
                and "id" in target.c
                # Ids only: a `user_id` holds a Slack id, never a row of a `user` table.
                and isinstance(column.type, Integer)
                and isinstance(target.c.id.type, Integer)
            ):
                pairs.append((column, target.c.id))
        found[table] = pairs
    return found


def parents_first(metadata: MetaData) -> list[Table]:
    """Every table after the tables it references (by foreign key or by name)."""
    graph = {
        table: {target.table for _, target in pairs}
        for table, pairs in references(metadata).items()
    }
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        names = " -> ".join(t.name for t in error.args[1])
        raise ValueError(f"tables reference each other in a cycle: {names}") from None


def case_conditions(metadata: MetaData, case_id: int) -> dict[Table, ColumnElement[bool]]:
    """{table: WHERE clause selecting the rows that belong to case `case_id`}.

    Tables come parents first, so a child's clause can use its parents' (and a purge deletes
    in reverse order). A row with several references (an audit line names a case and a
    meeting) belongs to the case when any of them leads there.
    """
    case_table = metadata.tables[CASE_TABLE]
    refs = references(metadata)
    conditions: dict[Table, ColumnElement[bool]] = {case_table: case_table.c.id == case_id}
    for table in parents_first(metadata):
        if table is case_table:
            continue
        clauses = [
            column.in_(select(target).where(conditions[target.table]))
            for column, target in refs[table]
            if target.table in conditions
        ]
        if clauses:
            conditions[table] = or_(*clauses)
    return conditions
