"""Re-encrypt every encrypted value with the newest key (DESIGN §6, key rotation).

The stored tokens are read and written raw (as Text, past `EncryptedText`): a rotation never
holds plaintext longer than one `KeyRing.rotate` call, and never writes it anywhere.

Batches are committed one by one, so a rotation of a large database does not hold locks for
long and can be interrupted and run again: values already under the newest key are skipped.
Each value is written with `WHERE column = <the token we read>`: a value the bot changed in the
meantime (written with the newest key already) is left alone instead of being overwritten with
an older one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Integer, Table, Text, column, select, table, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.case_rows import all_tables, encrypted_columns
from storage.crypto import DecryptionError, KeyRing

DEFAULT_BATCH_SIZE = 500


@dataclass
class TableRotation:
    """What happened in one table; counts only, never content."""

    table: str
    values: int = 0  # non-empty encrypted values seen
    rotated: int = 0  # re-encrypted with the newest key (or, in a dry run, would be)
    current: int = 0  # already under the newest key
    unreadable: int = 0  # no configured key decrypts them: an old key was removed too early
    changed_meanwhile: int = 0  # edited by the bot during the run; the edit used the newest key


class UnsupportedTable(Exception):
    """A table with encrypted columns but no single integer primary key to batch on."""


async def rotate_all(
    engine: AsyncEngine,
    ring: KeyRing,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[TableRotation]:
    """Rotate every EncryptedText column of every table; one report per table."""
    return [
        await rotate_table(engine, ring, tbl, cols, dry_run=dry_run, batch_size=batch_size)
        for tbl, cols in encrypted_columns(all_tables()).items()
    ]


async def rotate_table(
    engine: AsyncEngine,
    ring: KeyRing,
    source: Table,
    columns: list[Column[str]],
    *,
    dry_run: bool,
    batch_size: int,
) -> TableRotation:
    keys = list(source.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        raise UnsupportedTable(f"table {source.name} has no single integer primary key")
    key = keys[0].name
    # A plain Text view of the same table: no EncryptedText processing on the way in or out.
    raw = table(source.name, column(key, Integer), *(column(c.name, Text) for c in columns))
    report = TableRotation(source.name)
    last = None
    while True:
        async with engine.begin() as conn:
            query = select(raw).order_by(raw.c[key]).limit(batch_size)
            if last is not None:
                query = query.where(raw.c[key] > last)
            rows = (await conn.execute(query)).all()
            for row in rows:
                for col in columns:
                    token = row._mapping[col.name]
                    if token is None:
                        continue
                    report.values += 1
                    try:
                        if not ring.needs_rotation(token):
                            report.current += 1
                            continue
                        fresh = ring.rotate(token)
                    except DecryptionError:
                        report.unreadable += 1
                        continue
                    if dry_run:
                        report.rotated += 1
                        continue
                    statement = (
                        update(raw)
                        .where(raw.c[key] == row._mapping[key], raw.c[col.name] == token)
                        .values({col.name: fresh})
                    )
                    if (await conn.execute(statement)).rowcount:
                        report.rotated += 1
                    else:
                        report.changed_meanwhile += 1
        if len(rows) < batch_size:
            return report
        last = rows[-1]._mapping[key]
