"""`python -m bot retry-reminders [--dismiss]`: send failed reminders again, once the cause is
fixed (the doctor names it), or stop listing them. Counts only, never content."""

from __future__ import annotations

from bot.admin import admin_database, cli_actor
from bot.config import Settings
from storage import audit
from storage.reminder_queue import retry_failed
from storage.types import utcnow


async def retry_reminders(settings: Settings, *, dismiss: bool = False) -> int:
    async with admin_database(settings) as db:
        count = await retry_failed(db, now=utcnow(), dismiss=dismiss)
        if count:
            async with db.session() as session:
                await audit.record(
                    session,
                    actor=cli_actor(),
                    action="reminders_dismissed" if dismiss else "reminders_retried",
                    detail=f"count={count}",
                )
    if dismiss:
        print(f"{count} failed reminder(s) dismissed: they will not be sent.")
    else:
        print(
            f"{count} failed reminder(s) are due again: the running bot sends them within its"
            " next poll (those past their expiry are dropped)."
        )
    return count
