"""`python -m bot rotate-keys [--dry-run]`: re-encrypt all free text with the newest key.

The procedure (also in the README): put the new key in front of CASUSBOT_ENCRYPTION_KEYS
(new,old) and restart the bot, so new writes use it; run this; only then drop the old key.
"""

from __future__ import annotations

from bot.admin import AdminError, admin_database, cli_actor
from bot.config import Settings
from storage import audit
from storage.crypto import SETTING_NAME, active_key_ring
from storage.rotation import DEFAULT_BATCH_SIZE, TableRotation, rotate_all

HEADER = ("table", "values", "rotated", "current", "unreadable", "changed")


async def rotate_keys(
    settings: Settings, *, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[TableRotation]:
    ring = active_key_ring()
    if ring.key_count == 1:
        print(
            f"Only one key is configured: nothing to rotate to. To rotate, put a new key in"
            f" front of {SETTING_NAME} (new,old), restart the bot, and run this again."
            " Checking that every value is readable."
        )
    else:
        print(f"{ring.key_count} keys configured; re-encrypting with the first (newest).")
    async with admin_database(settings) as db:
        reports = await rotate_all(db.engine, ring, dry_run=dry_run, batch_size=batch_size)
        rotated = sum(r.rotated for r in reports)
        unreadable = sum(r.unreadable for r in reports)
        if not dry_run and rotated:
            async with db.session() as session:
                await audit.record(
                    session,
                    actor=cli_actor(),
                    action="keys_rotated",
                    detail=f"values={rotated} unreadable={unreadable}",
                )
    print(_table(reports))
    verb = "would be re-encrypted" if dry_run else "re-encrypted"
    print(f"{rotated} value(s) {verb}; {sum(r.current for r in reports)} already current.")
    if unreadable:
        raise AdminError(
            f"{unreadable} value(s) cannot be decrypted with any configured key; keep every old"
            f" key in {SETTING_NAME} (or put back the one that was removed) and run again."
        )
    if ring.key_count > 1 and not rotated:
        print(f"Every value is under the newest key: the older key(s) may leave {SETTING_NAME}.")
    elif ring.key_count > 1 and not dry_run:
        # A bot still running with the old key first may have written with it meanwhile.
        print("Run this once more; when it re-encrypts 0 values, remove the older key(s).")
    return reports


def _table(reports: list[TableRotation]) -> str:
    rows = [HEADER] + [
        (
            r.table,
            str(r.values),
            str(r.rotated),
            str(r.current),
            str(r.unreadable),
            str(r.changed_meanwhile),
        )
        for r in reports
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
