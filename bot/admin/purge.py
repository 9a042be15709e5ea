"""`python -m bot purge [--dry-run] [--database-only]`: run the retention purge once.

Shows codes, dates, ids and counts; never content. Without --dry-run it deletes, like the daily
job: first every Slack object the bot recorded for the case, then its rows.
"""

from __future__ import annotations

from bot.admin import AdminError, admin_database, cli_actor
from bot.admin.retention import (
    CaseOutcome,
    PurgeBusy,
    SlackCleanup,
    home_refresh,
    run_retention,
)
from bot.config import Settings, SettingsError
from storage.retention import ObjectKind, cutoff
from storage.types import utcnow

KINDS = (
    (ObjectKind.MESSAGE, "message(s)"),
    (ObjectKind.FILE, "file(s)"),
    (ObjectKind.CANVAS, "canvas(es)"),
)


async def purge(
    settings: Settings, *, dry_run: bool = False, database_only: bool = False
) -> list[CaseOutcome]:
    client = None
    if not dry_run and not database_only:
        try:
            settings.require_slack()
        except SettingsError as error:
            raise AdminError(
                f"{error} — the purge also deletes the bot's Slack messages, files and canvases;"
                " to purge only the database, add --database-only"
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
        homes = None
        if client is not None:
            from bot.app import make_deps

            deps = make_deps(settings, db)  # the home tabs are drawn as the bot draws them
            homes = home_refresh(deps, client)
        try:
            outcomes = await run_retention(
                db, settings, client, now=now, actor=cli_actor(), dry_run=dry_run, homes=homes
            )
        except PurgeBusy:
            raise AdminError(
                "another process (the bot's daily job?) is purging right now; try again later"
            ) from None
        finally:
            if homes is not None:
                for stop in deps.on_stop:
                    await stop()
    for outcome in outcomes:
        print(describe(outcome, settings, dry_run=dry_run))
    if dry_run:
        print(f"Dry run: {len(outcomes)} case(s) would be purged; nothing was changed.")
    else:
        done = sum(1 for o in outcomes if o.rows is not None)
        waiting = sum(1 for o in outcomes if o.postponed)
        print(f"{done} case(s) purged, {waiting} postponed.")
        if waiting:
            print(
                "A postponed case is tried again by the next run. For channel_not_found, invite"
                " the bot back into the case channel; for missing_scope, reinstall the app from"
                " manifest.yml. When the channel itself was deleted, `python -m bot purge"
                " --database-only` purges the database only."
            )
    return outcomes


def describe(outcome: CaseOutcome, settings: Settings, *, dry_run: bool) -> str:
    plan = outcome.plan
    closed = f"{plan.closed_at.astimezone(settings.timezone):%Y-%m-%d}" if plan.closed_at else "?"
    head = f"{plan.code}  closed {closed}"
    if dry_run:
        objects = ", ".join(f"{plan.count(kind)} {name}" for kind, name in KINDS)
        tables = ", ".join(f"{name} {count}" for name, count in sorted(plan.rows.items()))
        return f"{head}  Slack: {objects};  {plan.total_rows} rows ({tables})"
    if outcome.postponed:
        return f"{head}  postponed: {outcome.postponed}; {_slack(outcome.slack)}"
    if outcome.rows is None:
        return f"{head}  skipped: purged by another process or reopened meanwhile"
    return f"{head}  purged {sum(outcome.rows.values())} rows; {_slack(outcome.slack)}"


def _slack(cleanup: SlackCleanup) -> str:
    def counts(counter: dict[str, int]) -> str:
        return ", ".join(f"{counter.get(kind, 0)} {name}" for kind, name in KINDS)

    text = f"Slack deleted: {counts(cleanup.deleted)}; already gone: {counts(cleanup.gone)}"
    if cleanup.homes or cleanup.homes_failed:
        text += f"; home tabs drawn again: {cleanup.homes}"
        if cleanup.homes_failed:
            text += f" ({cleanup.homes_failed} could not be, they are on the next visit)"
    if cleanup.left:
        text += "; could not be deleted: " + ", ".join(
            f"{code} {n}" for code, n in sorted(cleanup.left.items())
        )
    return text
