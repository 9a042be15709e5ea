"""Retention: purge closed cases after `retention_days`, with the bot's own Slack messages.

Order matters. The bot's messages are deleted first, with no transaction open (DESIGN §3),
because the database is the only place their ts is remembered: purging rows first would make
them undeletable. Then the rows go, in one transaction (storage.retention.purge_case).

When Slack cannot be reached (network, rate limit, Slack's own errors) the case waits for the
next run, so no message is orphaned. Any other refusal (a message someone else already
deleted, an archived channel, a revoked token) is counted and logged by its code, and the
database purge goes ahead: keeping case data past its retention is the worse failure, and
Slack's own retention settings cover what is left there (README, Privacy).

Runs once a day in every bot process (`schedule_retention`) and on demand with
`python -m bot purge`. Two processes purging at once are safe: the second finds the case gone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import aiohttp
from apscheduler.schedulers.base import BaseScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.kit.runtime import Deps
from bot.kit.slack import error_code, open_dm
from storage.db import Database
from storage.retention import (
    PurgePlan,
    StoredMessage,
    cutoff,
    due_for_purge,
    plan_purge,
    purge_case,
)
from storage.types import utcnow

log = logging.getLogger("casusbot.retention")

RETENTION_JOB_ID = "casusbot-retention"
SYSTEM_ACTOR = "retention"
RUN_EVERY = timedelta(hours=24)
# Not at start-up itself: a restarting bot first serves its users.
FIRST_RUN_AFTER = timedelta(minutes=10)

# The message is not (or no longer) there, or is not ours to delete: nothing left to do.
GONE = frozenset({"message_not_found", "thread_not_found", "channel_not_found"})
# Worth another try tomorrow: the case waits.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackUnavailable(Exception):
    """Slack could not be reached; the case is purged on a later run."""


@dataclass
class SlackCleanup:
    deleted: int = 0
    gone: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # Slack error code -> count


@dataclass
class CaseOutcome:
    plan: PurgePlan
    rows: dict[str, int] | None = None  # None: not purged (dry run, postponed, or gone)
    slack: SlackCleanup = field(default_factory=SlackCleanup)
    postponed: bool = False


async def run_retention(
    db: Database,
    settings: Settings,
    client: AsyncWebClient | None,
    *,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    dry_run: bool = False,
) -> list[CaseOutcome]:
    """Purge every case closed more than `retention_days` before `now`.

    `client` None purges the database only (the admin chose to; the messages stay in Slack).
    """
    before = cutoff(now, settings.retention_days)
    async with db.session() as session:
        plans = [
            await plan_purge(session, case=case)
            for case in await due_for_purge(session, before=before)
        ]
    outcomes = [CaseOutcome(plan) for plan in plans]
    if dry_run or not plans:
        return outcomes
    identity = await _bot_identity(client) if client is not None else None
    for outcome in outcomes:
        plan = outcome.plan
        if client is not None and identity is not None:
            try:
                outcome.slack = await delete_messages(client, plan.messages, identity)
            except SlackUnavailable as error:
                log.warning(
                    "retention: case %s postponed, Slack unavailable (%s)", plan.code, error
                )
                outcome.postponed = True
                continue
        async with db.session() as session:
            outcome.rows = await purge_case(
                session, case_id=plan.case_id, closed_before=before, actor=actor
            )
        if outcome.rows is not None:
            log.info(
                "retention: purged case %s (%d rows; Slack: %d deleted, %d gone, refused %s)",
                plan.code,
                sum(outcome.rows.values()),
                outcome.slack.deleted,
                outcome.slack.gone,
                outcome.slack.refused or "none",
            )
    return outcomes


@dataclass(frozen=True, slots=True)
class BotIdentity:
    user_id: str | None
    bot_id: str | None

    def wrote(self, message: dict[str, object]) -> bool:
        return bool(
            (self.bot_id and message.get("bot_id") == self.bot_id)
            or (self.user_id and message.get("user") == self.user_id)
        )


async def _bot_identity(client: AsyncWebClient) -> BotIdentity | None:
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        code = error_code(error)
        if code in TRANSIENT:
            raise SlackUnavailable(code) from None
        log.error("retention: auth.test failed (%s): Slack messages are left to Slack", code)
        return None
    except (aiohttp.ClientError, TimeoutError) as error:
        # Nothing can be deleted now; every case waits for the next run.
        log.warning("retention: Slack unreachable (%s)", type(error).__name__)
        return BotIdentity(None, None)
    return BotIdentity(auth.get("user_id"), auth.get("bot_id"))


async def delete_messages(
    client: AsyncWebClient, messages: list[StoredMessage], identity: BotIdentity
) -> SlackCleanup:
    """Delete the stored messages, and the bot's replies in the threads among them."""
    if identity.user_id is None and identity.bot_id is None:
        raise SlackUnavailable("no connection")
    cleanup = SlackCleanup()
    for message in messages:
        if message.is_thread:
            for channel in message.channels:
                for reply_ts in await _bot_replies(client, channel, message.ts, identity):
                    await _delete(client, cleanup, [channel], reply_ts)
        channels = list(message.channels)
        if message.dm_user:
            try:
                channels.append(await _call(open_dm(client, message.dm_user)))
            except SlackApiError as error:
                log.info("retention: no DM with a reminder's recipient (%s)", error_code(error))
        await _delete(client, cleanup, channels, message.ts)
    return cleanup


async def _bot_replies(
    client: AsyncWebClient, channel: str, thread_ts: str, identity: BotIdentity
) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        try:
            page = await _call(
                client.conversations_replies(
                    channel=channel, ts=thread_ts, cursor=cursor, limit=200
                )
            )
        except SlackApiError:
            return found  # no such thread here (or no access): only the parent is tried
        for reply in page.get("messages") or []:
            if reply.get("ts") != thread_ts and identity.wrote(reply):
                found.append(str(reply["ts"]))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return found


async def _delete(
    client: AsyncWebClient, cleanup: SlackCleanup, channels: list[str], ts: str
) -> None:
    code = "channel_not_found"
    for channel in dict.fromkeys(channels):
        try:
            await _call(client.chat_delete(channel=channel, ts=ts))
        except SlackApiError as error:
            code = error_code(error)
            if code in GONE:
                continue  # perhaps in the next candidate channel
            cleanup.refused[code] = cleanup.refused.get(code, 0) + 1
            return
        cleanup.deleted += 1
        return
    cleanup.gone += 1


Result = TypeVar("Result")


async def _call(call: Awaitable[Result]) -> Result:
    """A Web API call; network failures and Slack's transient errors become SlackUnavailable."""
    try:
        return await call
    except SlackApiError as error:
        if error_code(error) in TRANSIENT:
            raise SlackUnavailable(error_code(error)) from None
        raise
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SlackUnavailable(type(error).__name__) from None


# ----- the daily job -----


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
            await run_retention(deps.db, deps.settings, client, now=utcnow())
        except Exception:
            # Tomorrow's run tries again; the reason is in the log, the case data is not.
            log.exception("retention run failed")

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
