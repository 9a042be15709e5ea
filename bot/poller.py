"""The reminder poller: the job that sends due reminders through their senders (DESIGN §5).

Each process runs one APScheduler interval job that calls `poll_once`: expire what is too late,
recover what a dead process left half-sent, claim a batch (committed), then post each claimed
reminder with no database transaction open, and record the outcome. The reminders themselves
live in our table (storage.reminders), never in APScheduler's job store.

Due times are put inside working hours when reminders are scheduled (flows.schedule); the
poller sends whatever is due. The senders, one per kind, are listed in bot/surface.py, so a
process that only polls sends every kind (bot.kit.reminders says what a sender is).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.reminders import Obsolete, PermanentFailure, Sender, find_earlier_post
from bot.kit.runtime import Deps
from bot.kit.slack import error_code
from bot.kit.standin import addressee
from bot.surface import SENDERS
from storage.absence import STAND_IN_KINDS
from storage.models import row_id
from storage.reminder_queue import (
    backoff,
    claim_due,
    expire_late,
    extend_lease,
    mark_failed,
    mark_obsolete,
    mark_sent,
    recover_stuck,
)
from storage.reminders import DEFAULT_LEASE_SECONDS, Reminder, ReminderStatus
from storage.types import utcnow

log = logging.getLogger("casusbot.reminders")

BATCH_SIZE = 50
# Slack posts are network-bound: a few at once drains a backlog without tripping rate limits.
SEND_CONCURRENCY = 5
# One tick drains at most this many batches, so a huge backlog cannot starve shutdown.
MAX_BATCHES_PER_TICK = 20
STOP_GRACE_SECONDS = 10.0

SERVER_ERROR = 500
# Slack errors that a retry cannot fix: the reminder fails at once instead of backing off.
PERMANENT_SLACK_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "invalid_auth",
        "is_archived",
        "messages_tab_disabled",
        "missing_scope",
        "not_authed",
        "not_in_channel",
        "token_revoked",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
        "users_not_found",
    }
)


# ----- the poller -----


class Outcome(StrEnum):
    # The values are PollReport's field names.
    SENT = "sent"
    RETRIED = "retried"
    FAILED = "failed"
    OBSOLETE = "obsolete"
    LOST = "lost"  # the row was taken over by another claim before we could record the result


@dataclass
class PollReport:
    expired: int = 0
    recovered: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    obsolete: int = 0
    lost: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


async def poll_once(
    deps: Deps,
    client: AsyncWebClient,
    *,
    now: datetime,
    senders: Mapping[str, Sender] | None = None,
    batch_size: int = BATCH_SIZE,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    concurrency: int = SEND_CONCURRENCY,
) -> PollReport:
    """One round: expire, recover, claim one batch, send it, record the outcomes."""
    registry: Mapping[str, Sender] = SENDERS if senders is None else senders
    report = PollReport()
    report.expired = await expire_late(deps.db, now)
    report.recovered = await recover_stuck(deps.db, now)
    claimed = await claim_due(deps.db, now=now, limit=batch_size, lease_seconds=lease_seconds)
    report.claimed = len(claimed)
    gate = asyncio.Semaphore(concurrency)

    async def deliver_one(reminder: Reminder) -> None:
        async with gate:
            report.count(await deliver(deps, client, reminder, registry, now=now))

    async with _leases_held(deps, claimed, now=now):
        await asyncio.gather(*(deliver_one(reminder) for reminder in claimed))
    if report.expired or report.recovered or report.claimed:
        log.info(
            "reminders: %d claimed, %d sent, %d retry, %d failed, %d obsolete, %d expired,"
            " %d recovered",
            report.claimed,
            report.sent,
            report.retried,
            report.failed,
            report.obsolete,
            report.expired,
            report.recovered,
        )
    return report


async def deliver(
    deps: Deps,
    client: AsyncWebClient,
    reminder: Reminder,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
) -> Outcome:
    """Send one claimed reminder and record what happened, exactly once: a reminder an
    earlier try may have posted (its process died, or Slack's answer was lost) is first looked
    for by its id in the message metadata, and marked sent when found. Only this claim may
    record the outcome (its token). Logs ids and codes, never text."""
    reminder_id = row_id(reminder)
    send = senders.get(reminder.kind)
    if send is None:
        log.error("reminder %d: no sender registered for kind %r", reminder_id, reminder.kind)
        return await _failed(deps, reminder, "no_sender", None)
    try:
        message_ts = (
            await find_earlier_post(client, reminder, await _stand_in(deps, reminder))
            if reminder.maybe_posted
            else None
        )
        if message_ts is not None:
            log.info("reminder %d (%s) was posted before; marked sent", reminder_id, reminder.kind)
        else:
            message_ts = await send(deps, client, reminder)
    except Obsolete as obsolete:
        log.info("reminder %d (%s) obsolete: %s", reminder_id, reminder.kind, obsolete.code)
        token = reminder.claim_token
        done = await mark_obsolete(deps.db, reminder_id, obsolete.code, claim_token=token)
        return Outcome.OBSOLETE if done else Outcome.LOST
    except PermanentFailure as failure:
        log.warning("reminder %d (%s) failed: %s", reminder_id, reminder.kind, failure.code)
        return await _failed(deps, reminder, failure.code, None)
    except SlackApiError as error:
        code = error_code(error)
        retry_at = None if code in PERMANENT_SLACK_ERRORS else backoff(reminder.attempts, now)
        log.warning("reminder %d (%s): Slack said %s", reminder_id, reminder.kind, code)
        unknown = _status(error) >= SERVER_ERROR  # Slack may have posted before it failed
        return await _failed(deps, reminder, code, retry_at, maybe_posted=unknown)
    except (aiohttp.ClientError, TimeoutError) as error:
        # The request may have reached Slack and its answer got lost: the next try looks first.
        code = f"exc_{type(error).__name__.lower()}"[:40]
        log.warning("reminder %d (%s): no answer from Slack: %s", reminder_id, reminder.kind, code)
        retry_at = backoff(reminder.attempts, now)
        connected = not isinstance(error, aiohttp.ClientConnectorError)
        return await _failed(deps, reminder, code, retry_at, maybe_posted=connected)
    except Exception as error:
        # A bug: keep the type for the log and the row, and try again.
        log.exception("reminder %d (%s): sender raised", reminder_id, reminder.kind)
        code = f"exc_{type(error).__name__.lower()}"[:40]
        return await _failed(deps, reminder, code, backoff(reminder.attempts, now))
    token = reminder.claim_token
    if await mark_sent(deps.db, reminder_id, message_ts, claim_token=token, now=now):
        return Outcome.SENT
    log.warning("reminder %d was sent but had been taken over (lease too short?)", reminder_id)
    return Outcome.LOST


def _status(error: SlackApiError) -> int:
    status = getattr(error.response, "status_code", 0)
    return status if isinstance(status, int) else 0


async def _failed(
    deps: Deps,
    reminder: Reminder,
    code: str,
    retry_at: datetime | None,
    *,
    maybe_posted: bool = False,
) -> Outcome:
    status = await mark_failed(
        deps.db,
        row_id(reminder),
        code,
        retry_at,
        attempt=reminder.attempts,
        claim_token=reminder.claim_token,
        maybe_posted=maybe_posted,
    )
    if status is None:
        return Outcome.LOST
    return Outcome.RETRIED if status == ReminderStatus.PENDING else Outcome.FAILED


@contextlib.asynccontextmanager
async def _leases_held(
    deps: Deps, claimed: list[Reminder], *, now: datetime
) -> AsyncIterator[None]:
    """While a batch is being sent, keep its lease from running out: a round slowed down by
    Slack's rate limits must not see its rows taken over (and sent twice) by another process.
    The lease is renewed for its own length each time half of it has passed."""
    tokens = {r.claim_token for r in claimed if r.claim_token}
    held = [r.lease_until for r in claimed if r.lease_until is not None]
    if not tokens or not held:
        yield
        return
    length = max((min(held) - now).total_seconds(), 1.0)
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def renew() -> None:
        while True:
            await asyncio.sleep(length / 2)
            until = now + timedelta(seconds=loop.time() - started + length)
            for token in tokens:
                try:
                    await extend_lease(deps.db, claim_token=token, until=until)
                except Exception:
                    log.exception("reminders: could not extend the lease of a batch")

    renewing = asyncio.create_task(renew(), name="reminder-lease")
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing


# ----- the scheduler job -----


class ReminderLoop:
    """The job body: drains due reminders in batches; `stop()` waits for a running round."""

    def __init__(
        self, deps: Deps, client: AsyncWebClient, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.deps = deps
        self.client = client
        self.clock = clock
        self._lock = asyncio.Lock()
        self._stopping = False

    async def tick(self) -> None:
        if self._stopping:
            return
        async with self._lock:
            try:
                for _ in range(MAX_BATCHES_PER_TICK):
                    report = await poll_once(self.deps, self.client, now=self.clock())
                    if report.claimed < BATCH_SIZE or self._stopping:
                        break
            except Exception:
                # The next tick tries again; a database outage must not kill the job.
                log.exception("reminder poll failed")

    @property
    def stopped(self) -> bool:
        return self._stopping

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Let a running round finish; rows still `sending` after the grace are recovered
        by the next process once their lease runs out."""
        self._stopping = True
        try:
            await asyncio.wait_for(self._lock.acquire(), grace_seconds)
        except TimeoutError:
            log.warning("reminder poll still running at shutdown; its lease will expire")
            return
        self._lock.release()


def start_scheduler(
    deps: Deps, client: AsyncWebClient, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIOScheduler:
    """Start the in-memory interval job for this process and register its shutdown."""
    loop = ReminderLoop(deps, client, clock=clock)
    # APScheduler logs every run at INFO (twice a minute, forever); poll_once logs what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
    scheduler.add_job(
        loop.tick,
        "interval",
        seconds=deps.settings.reminder_poll_seconds,
        id="casusbot-reminders",
        max_instances=1,  # a slow round is never overlapped by the next one
        coalesce=True,  # after a stall, run once, not once per missed interval
        next_run_time=utcnow(),  # pick up what is due right after a restart
    )
    scheduler.start()

    async def stop() -> None:
        if loop.stopped:
            return  # stopping twice (a test harness, a second signal) is harmless
        # Let a running round finish first: shutting APScheduler down cancels its job task.
        await loop.stop()
        scheduler.shutdown(wait=False)

    deps.on_stop.append(stop)
    deps.reminder_loop = loop
    return scheduler


async def _stand_in(deps: Deps, reminder: Reminder) -> str | None:
    """Whom an earlier try may have sent this reminder to instead (someone away)."""
    if reminder.user_id is None or reminder.kind not in STAND_IN_KINDS:
        return None
    return (await addressee(deps, reminder=reminder, user_id=reminder.user_id)).user_id
