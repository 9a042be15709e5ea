"""Sending reminders: a registry of senders per kind and the poller that drives them (DESIGN §5).

Each process runs one APScheduler interval job that calls `poll_once`: expire what is too late,
recover what a dead process left half-sent, claim a batch (committed), then post each claimed
reminder with no database transaction open, and record the outcome. The reminders themselves
live in our table (storage.reminders), never in APScheduler's job store.

Due times are put inside working hours when reminders are scheduled (flows.schedule); the
poller sends whatever is due. A sender for a new kind plugs in with `@sender(kind)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import local_time
from bot.i18n import t
from bot.runtime import Deps
from flows.schedule import ReminderKind
from storage.models import Case, CaseStatus, Meeting, MeetingStatus
from storage.reminder_queue import (
    backoff,
    claim_due,
    expire_late,
    mark_failed,
    mark_obsolete,
    mark_sent,
    recover_stuck,
)
from storage.reminders import DEFAULT_LEASE_SECONDS, Reminder, ReminderStatus

log = logging.getLogger("casusbot.reminders")

Sender = Callable[[Deps, AsyncWebClient, Reminder], Awaitable[str | None]]
"""Posts one reminder; returns the message ts (None: handled without posting anything)."""

SENDERS: dict[ReminderKind, Sender] = {}

METADATA_EVENT_TYPE = "casusbot_reminder"
BATCH_SIZE = 50
# Slack posts are network-bound: a few at once drains a backlog without tripping rate limits.
SEND_CONCURRENCY = 5
# One tick drains at most this many batches, so a huge backlog cannot starve shutdown.
MAX_BATCHES_PER_TICK = 20
STOP_GRACE_SECONDS = 10.0

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


class Obsolete(Exception):
    """Raised by a sender when its reminder no longer applies (the meeting was cancelled)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PermanentFailure(Exception):
    """Raised by a sender for a failure no retry can fix; `code` is stored, never content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sender(kind: ReminderKind) -> Callable[[Sender], Sender]:
    """Register the sender for `kind` (one per kind; a second registration is a bug)."""

    def register(send: Sender) -> Sender:
        if kind in SENDERS and SENDERS[kind] is not send:
            raise ValueError(f"a sender for {kind} is already registered")
        SENDERS[kind] = send
        return send

    return register


def reminder_metadata(reminder: Reminder) -> dict[str, Any]:
    """Message metadata that ties a posted reminder back to its row (for buttons, audits)."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"reminder_id": reminder.id}}


async def open_dm(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


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
    """Send one claimed reminder and record what happened. Logs ids and codes, never text."""
    assert reminder.id is not None
    send = senders.get(reminder.kind)
    if send is None:
        log.error("reminder %d: no sender registered for kind %r", reminder.id, reminder.kind)
        return await _failed(deps, reminder, "no_sender", None)
    try:
        message_ts = await send(deps, client, reminder)
    except Obsolete as obsolete:
        log.info("reminder %d (%s) obsolete: %s", reminder.id, reminder.kind, obsolete.code)
        done = await mark_obsolete(deps.db, reminder.id, obsolete.code)
        return Outcome.OBSOLETE if done else Outcome.LOST
    except PermanentFailure as failure:
        log.warning("reminder %d (%s) failed: %s", reminder.id, reminder.kind, failure.code)
        return await _failed(deps, reminder, failure.code, None)
    except SlackApiError as error:
        code = _slack_code(error)
        retry_at = None if code in PERMANENT_SLACK_ERRORS else backoff(reminder.attempts, now)
        log.warning("reminder %d (%s): Slack said %s", reminder.id, reminder.kind, code)
        return await _failed(deps, reminder, code, retry_at)
    except Exception as error:
        # A bug or a network failure: keep the type for the log and the row, and try again.
        log.exception("reminder %d (%s): sender raised", reminder.id, reminder.kind)
        code = f"exc_{type(error).__name__.lower()}"[:40]
        return await _failed(deps, reminder, code, backoff(reminder.attempts, now))
    if await mark_sent(deps.db, reminder.id, message_ts, now=now):
        return Outcome.SENT
    log.warning("reminder %d was sent but had been taken over (lease too short?)", reminder.id)
    return Outcome.LOST


async def _failed(deps: Deps, reminder: Reminder, code: str, retry_at: datetime | None) -> Outcome:
    assert reminder.id is not None
    status = await mark_failed(deps.db, reminder.id, code, retry_at, attempt=reminder.attempts)
    if status is None:
        return Outcome.LOST
    return Outcome.RETRIED if status == ReminderStatus.PENDING else Outcome.FAILED


def _slack_code(error: SlackApiError) -> str:
    code = str((error.response or {}).get("error") or "slack_error")
    # Slack's codes are short snake_case; anything else is not stored as is.
    return code if code.replace("_", "").isalnum() and len(code) <= 40 else "slack_error"


# ----- the scheduler job -----


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        next_run_time=datetime.now(UTC),  # pick up what is due right after a restart
    )
    scheduler.start()

    async def stop() -> None:
        if loop.stopped:
            return  # stopping twice (a test harness, a second signal) is harmless
        # Let a running round finish first: shutting APScheduler down cancels its job task.
        await loop.stop()
        scheduler.shutdown(wait=False)

    deps.extras.setdefault("on_stop", []).append(stop)
    deps.extras["reminder_loop"] = loop
    return scheduler


# ----- senders -----


@sender(ReminderKind.MEETING)
async def send_meeting_reminder(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    """A DM to an invitee: which case, when (in the meeting's zone), which phase, where."""
    if reminder.user_id is None or reminder.meeting_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        meeting = await session.get(Meeting, reminder.meeting_id)
        case = await session.get(Case, meeting.case_id) if meeting else None
    # The session is closed here: nothing below holds a transaction while Slack is called.
    if meeting is None or case is None:
        raise PermanentFailure("meeting_gone")
    if meeting.status != MeetingStatus.PLANNED or case.status != CaseStatus.OPEN:
        raise Obsolete("meeting_not_planned")
    lang = await deps.users.language(client, reminder.user_id)
    text = t(
        lang,
        "reminders.meeting",
        code=case.code,
        when=local_time(lang, meeting.scheduled_at, deps.settings.timezone),
        phase=_phase_title(deps, meeting.phase, lang),
        channel=f"<#{case.channel_id}>",
    )
    response = await client.chat_postMessage(
        channel=await open_dm(client, reminder.user_id),
        text=text,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text)).to_dict()],
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


def _phase_title(deps: Deps, phase_key: str, lang: str) -> str:
    try:
        return deps.catalogue.phase(phase_key).title.get(lang)
    except KeyError:
        # A phase removed by maatwerk after the meeting was planned: show its key.
        return phase_key
