"""Retention: purge closed cases after `retention_days`, with every Slack object the bot made.

The protocol is storage.retention's: retire the case's outbox rows (committed), delete every
recorded object in Slack with no transaction open — messages with chat.delete (a pinned one
unpinned first), files with files.delete, canvases with canvases.delete — and only when all of
them are gone, delete the case's rows. Nothing is found by listing Slack's history.

An object already gone (`message_not_found`, `file_not_found`, `canvas_not_found`) counts as
deleted. Any other refusal leaves the case for the next run, which deletes again what is left;
Slack being unreachable or busy ends the run. Two refusals no retry can change do not hold the
case back, and are counted and logged instead: `cant_delete_message` (a recorded ts that is
not the bot's message) and a DM whose person's account is gone. Logs name cases by code and
objects by id and Slack's error code, never content.

When the rows are gone, the home tab of each of the case's people is published again (without
the case): a home view stays in Slack as last published. A refusal there is logged and counted,
and does not hold the purge back (the person's next visit to the tab draws it again).

Runs once a day in every bot process (`schedule_retention`) and on demand with
`python -m bot purge`; a lock in the database lets one run at a time.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import aiohttp
from apscheduler.schedulers.base import BaseScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.home.use_cases import render_home
from bot.kit.runtime import Deps
from bot.kit.slack import error_code, open_dm
from storage.absence import forget_past_absences
from storage.db import Database
from storage.retention import (
    ObjectKind,
    PurgePlan,
    SlackTarget,
    cutoff,
    due_for_purge,
    plan_purge,
    purge_case,
    purge_lock,
    start_purge,
)
from storage.types import utcnow

log = logging.getLogger("casusbot.retention")

RETENTION_JOB_ID = "casusbot-retention"
SYSTEM_ACTOR = "retention"
RUN_EVERY = timedelta(hours=24)
# Not at start-up itself: a restarting bot first serves its users.
FIRST_RUN_AFTER = timedelta(minutes=10)

# The object is not there (any more): nothing left to do.
GONE = {
    ObjectKind.MESSAGE: frozenset({"message_not_found"}),
    ObjectKind.FILE: frozenset({"file_not_found", "file_deleted"}),
    ObjectKind.CANVAS: frozenset({"canvas_not_found", "file_not_found", "file_deleted"}),
}
# No retry can change these: counted and logged, and the case is purged all the same.
LEFT_FOR_GOOD = frozenset({"cant_delete_message", "user_not_found", "user_disabled"})
# Unpinning first: the pin is gone already, or the message is (chat.delete says which).
UNPIN_DONE = frozenset({"no_pin", "message_not_found", "channel_not_found"})
# Slack is busy or down: the run ends, every case left waits for the next one.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


# Publishes one person's home tab again, from what is stored (bot.home.use_cases.render_home).
HomeRefresh = Callable[[str], Awaitable[None]]


class SlackUnavailable(Exception):
    """Slack could not be reached; the case is purged on a later run."""


class PurgeBusy(Exception):
    """Another process is purging right now."""


@dataclass
class SlackCleanup:
    deleted: Counter[str] = field(default_factory=Counter)  # per kind
    gone: Counter[str] = field(default_factory=Counter)  # per kind: deleted before
    unpinned: int = 0
    homes: int = 0  # home tabs published again without the case
    homes_failed: int = 0
    left: Counter[str] = field(default_factory=Counter)  # Slack error code -> count
    failed: list[tuple[str, str]] = field(default_factory=list)  # (where recorded, code)
    unavailable: str | None = None  # Slack could not be reached: the rest was not tried


@dataclass
class CaseOutcome:
    plan: PurgePlan
    rows: dict[str, int] | None = None  # None: not purged (dry run, postponed, or gone)
    slack: SlackCleanup = field(default_factory=SlackCleanup)
    postponed: str | None = None  # why the case waits for the next run


async def run_retention(
    db: Database,
    settings: Settings,
    client: AsyncWebClient | None,
    *,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    dry_run: bool = False,
    homes: HomeRefresh | None = None,
) -> list[CaseOutcome]:
    """Purge every case closed more than `retention_days` before `now`.

    `client` None purges the database only (the admin chose to; the objects stay in Slack).
    `homes` publishes a person's home tab again; it runs for the case's people once its rows
    are gone (not with `client` None).
    Raises PurgeBusy when another process holds the purge lock (not for a dry run).
    """
    before = cutoff(now, settings.retention_days)
    if dry_run:
        return [CaseOutcome(plan) for plan in await _plans(db, before)]
    async with purge_lock(db) as held:
        if not held:
            raise PurgeBusy("another process is purging now")
        outcomes = [CaseOutcome(plan) for plan in await _plans(db, before)]
        unavailable: str | None = None
        for outcome in outcomes:
            if unavailable is not None:
                outcome.postponed = f"Slack unavailable ({unavailable})"
                continue
            try:
                await _purge_one(
                    db, client, outcome, before=before, now=now, actor=actor, homes=homes
                )
            except SlackUnavailable as error:
                unavailable = str(error)
                outcome.postponed = f"Slack unavailable ({unavailable})"
                log.warning(
                    "retention: case %s postponed, Slack unavailable (%s)", outcome.plan.code, error
                )
    return outcomes


async def _plans(db: Database, before: datetime) -> list[PurgePlan]:
    async with db.session() as session:
        return [
            await plan_purge(session, case=c) for c in await due_for_purge(session, before=before)
        ]


async def _purge_one(
    db: Database,
    client: AsyncWebClient | None,
    outcome: CaseOutcome,
    *,
    before: datetime,
    now: datetime,
    actor: str,
    homes: HomeRefresh | None = None,
) -> None:
    plan = outcome.plan
    if client is not None:
        async with db.session() as session:
            targets = await start_purge(
                session, case_id=plan.case_id, closed_before=before, now=now
            )
        if targets is None:
            return  # reopened, or purged by another process meanwhile
        plan.targets = targets
        outcome.slack = await delete_in_slack(client, targets)
        if outcome.slack.unavailable is not None:
            raise SlackUnavailable(outcome.slack.unavailable)
        if outcome.slack.failed:
            codes = Counter(code for _, code in outcome.slack.failed)
            outcome.postponed = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
            log.warning(
                "retention: case %s postponed: %d object(s) not deleted (%s)",
                plan.code,
                len(outcome.slack.failed),
                outcome.postponed,
            )
            return
    async with db.session() as session:
        outcome.rows = await purge_case(
            session, case_id=plan.case_id, closed_before=before, actor=actor
        )
    if outcome.rows is None:
        if client is not None:
            # Between retiring its objects and now the case was reopened: its Slack objects
            # are deleted, its data stays. Reopening should refuse (storage.purge_started).
            log.error("retention: case %s was reopened during its purge", plan.code)
        return
    slack = outcome.slack
    if client is not None and homes is not None:
        await _refresh_homes(homes, plan, slack)
    log.info(
        "retention: purged case %s (%d rows; Slack: deleted %s, already gone %s, left %s)",
        plan.code,
        sum(outcome.rows.values()),
        dict(slack.deleted) or "none",
        dict(slack.gone) or "none",
        dict(slack.left) or "none",
    )


# ----- Slack -----


async def _refresh_homes(homes: HomeRefresh, plan: PurgePlan, cleanup: SlackCleanup) -> None:
    for user in plan.people:
        try:
            await homes(user)
            cleanup.homes += 1
        except Exception as error:  # the case is purged; the tab is drawn again on the next visit
            cleanup.homes_failed += 1
            code = error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("retention: home tab of %s not published again: %s", user, code)


async def delete_in_slack(client: AsyncWebClient, targets: list[SlackTarget]) -> SlackCleanup:
    """Delete every target; what failed is in `failed` (the case must wait). When Slack cannot
    be reached, the rest is not tried and `unavailable` says why."""
    cleanup = SlackCleanup()
    for target in targets:
        try:
            if target.kind == ObjectKind.MESSAGE:
                await _delete_message(client, target, cleanup)
            elif target.kind == ObjectKind.FILE:
                await _call(client.files_delete(file=target.id))
                cleanup.deleted[target.kind] += 1
            else:
                await _call(client.canvases_delete(canvas_id=target.id))
                cleanup.deleted[target.kind] += 1
        except SlackApiError as error:
            _refused(cleanup, target, error_code(error))
        except SlackUnavailable as error:
            cleanup.failed.append((target.source, str(error)))
            cleanup.unavailable = str(error)
            break
    return cleanup


async def _delete_message(
    client: AsyncWebClient, target: SlackTarget, cleanup: SlackCleanup
) -> None:
    channels = list(target.channels)
    if target.dm_user:
        channels.append(await _call(open_dm(client, target.dm_user)))
    codes: list[str] = []
    for channel in dict.fromkeys(channels):
        if target.pinned:
            try:
                await _call(client.pins_remove(channel=channel, timestamp=target.id))
                cleanup.unpinned += 1
            except SlackApiError as error:
                if error_code(error) not in UNPIN_DONE:
                    raise
        try:
            await _call(client.chat_delete(channel=channel, ts=target.id))
        except SlackApiError as error:
            code = error_code(error)
            if code in ("message_not_found", "channel_not_found"):
                codes.append(code)  # perhaps in the next candidate conversation
                continue
            raise
        cleanup.deleted[target.kind] += 1
        return
    # Not found anywhere it could be; a conversation the bot cannot see may still hold it.
    _refused(
        cleanup, target, next((c for c in codes if c != "message_not_found"), "message_not_found")
    )


def _refused(cleanup: SlackCleanup, target: SlackTarget, code: str) -> None:
    if code in GONE[target.kind]:
        cleanup.gone[target.kind] += 1
    elif code in LEFT_FOR_GOOD:
        cleanup.left[code] += 1
        log.warning(
            "retention: %s %s (%s) cannot be deleted: %s",
            target.kind,
            target.id,
            target.source,
            code,
        )
    else:
        cleanup.failed.append((target.source, code))
        log.warning(
            "retention: %s %s (%s) not deleted: %s", target.kind, target.id, target.source, code
        )


Result = TypeVar("Result")


async def _call(call: Awaitable[Result]) -> Result:
    """A Web API call; network failures and Slack's transient errors become SlackUnavailable."""
    try:
        return await call
    except SlackApiError as error:
        if error_code(error) in TRANSIENT or _status(error) >= 500 or _status(error) == 429:
            raise SlackUnavailable(error_code(error)) from None
        raise
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SlackUnavailable(type(error).__name__) from None


def _status(error: SlackApiError) -> int:
    status = getattr(error.response, "status_code", None)
    return status if isinstance(status, int) else 200


# ----- the daily job -----


def home_refresh(deps: Deps, client: AsyncWebClient) -> HomeRefresh:
    async def refresh(user_id: str) -> None:
        await render_home(deps, client, user_id)

    return refresh


def schedule_retention(
    scheduler: BaseScheduler,
    deps: Deps,
    client: AsyncWebClient,
    *,
    first_run: datetime | None = None,
) -> None:
    """Add the daily purge to the process's scheduler (bot.poller.start_scheduler's)."""

    async def job() -> None:
        try:
            await run_retention(
                deps.db, deps.settings, client, now=utcnow(), homes=home_refresh(deps, client)
            )
        except PurgeBusy:
            log.info("retention: another process is purging; this one skips today's run")
        except Exception:
            # Tomorrow's run tries again; the reason is in the log, the case data is not.
            log.exception("retention run failed")
        try:
            # An absence that ended steers nothing any more: who was away when is forgotten.
            async with deps.db.session() as session:
                today = utcnow().astimezone(deps.settings.timezone).date()
                await forget_past_absences(session, before=today)
        except Exception:
            log.exception("forgetting past absences failed")

    scheduler.add_job(
        job,
        "interval",
        seconds=RUN_EVERY.total_seconds(),
        id=RETENTION_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=first_run or utcnow() + FIRST_RUN_AFTER,
    )
