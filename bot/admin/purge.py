"""`python -m bot purge [--dry-run] [--database-only]`: run the retention purge once.

Shows codes, dates and counts; never content. Without --dry-run it deletes, like the daily job.
"""

from __future__ import annotations

from bot.admin import AdminError, admin_database, cli_actor
from bot.admin.retention import CaseOutcome, run_retention
from bot.config import Settings, SettingsError
from storage.retention import cutoff
from storage.types import utcnow


async def purge(
    settings: Settings, *, dry_run: bool = False, database_only: bool = False
) -> list[CaseOutcome]:
    client = None
    if not dry_run and not database_only:
        try:
            settings.require_slack()
        except SettingsError as error:
            raise AdminError(
                f"{error} — the purge also deletes the bot's Slack messages; to purge only the"
                " database, add --database-only"
            ) from None
        from bot.app import make_client

        client = make_client(settings)
    now = utcnow()
    before = cutoff(now, settings.retention_days)
    print(
        f"Retention {settings.retention_days} days: cases closed before"
        f" {before.astimezone(settings.timezone):%Y-%m-%d %H:%M %Z} are purged."
    )
    async with admin_database(settings) as db:
        outcomes = await run_retention(
            db, settings, client, now=now, actor=cli_actor(), dry_run=dry_run
        )
    for outcome in outcomes:
        print(describe(outcome, settings, dry_run=dry_run))
    if dry_run:
        print(f"Dry run: {len(outcomes)} case(s) would be purged; nothing was changed.")
    else:
        done = sum(1 for o in outcomes if o.rows is not None)
        print(f"{done} case(s) purged, {sum(o.postponed for o in outcomes)} postponed.")
    return outcomes


def describe(outcome: CaseOutcome, settings: Settings, *, dry_run: bool) -> str:
    plan = outcome.plan
    closed = f"{plan.closed_at.astimezone(settings.timezone):%Y-%m-%d}" if plan.closed_at else "?"
    head = f"{plan.code}  closed {closed}"
    if dry_run:
        tables = ", ".join(f"{name} {count}" for name, count in sorted(plan.rows.items()))
        threads = sum(m.is_thread for m in plan.messages)
        return (
            f"{head}  {plan.total_rows} rows ({tables});"
            f" {len(plan.messages)} stored Slack message(s), with the bot's replies in"
            f" {threads} thread(s)"
        )
    if outcome.postponed:
        return f"{head}  postponed: Slack unavailable, tried again on the next run"
    if outcome.rows is None:
        return f"{head}  skipped: purged by another process or reopened meanwhile"
    slack = outcome.slack
    refused = ", ".join(f"{code} {n}" for code, n in sorted(slack.refused.items()))
    return (
        f"{head}  purged {sum(outcome.rows.values())} rows; Slack: {slack.deleted} deleted,"
        f" {slack.gone} already gone" + (f", not deleted: {refused}" if refused else "")
    )
