"""What a handler works with: the dependencies, the request as a `Turn`, background tasks.

Handlers are plain `async def handler(turn)` functions that tests can call; they get
everything they need on the turn. A handler registered for anyone gets a `Turn`; one
registered for a case (Access.MEMBER, READ or STEER) gets a `CaseTurn`, on which the guard
(bot.kit.access) has already loaded the case, the member and the meeting.

A handler runs BEFORE the ack and does the guarded, committing work there (DESIGN §2, durable
when acked); what must happen in Slack after the ack it returns as a `Followup`, which the
wiring (bot.kit.wiring) runs as a task once Slack has its answer. No Slack call happens before
the ack: the user's language comes from a cache, and is looked up after the ack when needed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.kit.i18n import language_for, t
from bot.kit.payloads import Ref
from bot.kit.slack import error_code, tell_user
from bot.outbox import FastPath, Outbox
from flows.model import Catalogue
from storage.db import Database, checkpoint
from storage.models import Case, Meeting, Participant

log = logging.getLogger("casusbot")

LOCALE_CACHE_SECONDS = 3600
RATE_LIMITED = 429
SERVER_ERROR = 500


class UserDirectory:
    """Slack locale and profile title per user, cached: one users.info per user per hour."""

    def __init__(self, default_language: str) -> None:
        self._default = default_language
        # user -> (when looked up, language, organisation from the profile title)
        self._cache: dict[str, tuple[float, str, str]] = {}

    def _hit(self, user_id: str) -> tuple[float, str, str] | None:
        hit = self._cache.get(user_id)
        if hit and time.monotonic() - hit[0] < LOCALE_CACHE_SECONDS:
            return hit
        return None

    def cached(self, user_id: str | None) -> str | None:
        """The user's language if known now, without asking Slack (before an ack)."""
        if not user_id:
            return self._default
        hit = self._hit(user_id)
        return hit[1] if hit else None

    async def language(self, client: AsyncWebClient, user_id: str | None) -> str:
        if not user_id:
            return self._default
        return (await self._lookup(client, user_id))[1]

    async def organisation(self, client: AsyncWebClient, user_id: str) -> str:
        """The organisation is the user's Slack profile title (e.g. 'Veilig Thuis')."""
        return (await self._lookup(client, user_id))[2]

    async def _lookup(self, client: AsyncWebClient, user_id: str) -> tuple[float, str, str]:
        hit = self._hit(user_id)
        if hit is not None:
            return hit
        now = time.monotonic()
        await checkpoint()  # a request's work waits for Slack outside its transaction
        try:
            user = (await client.users_info(user=user_id, include_locale=True))["user"]
            lang = language_for(user.get("locale"), self._default)
            title = str((user.get("profile") or {}).get("title") or "")[:80]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error_code(error))
            status = getattr(error.response, "status_code", 0)
            if status == RATE_LIMITED or (isinstance(status, int) and status >= SERVER_ERROR):
                return (now, self._default, "")  # Slack in trouble: ask again next time
            lang, title = self._default, ""
        except (aiohttp.ClientError, TimeoutError) as error:
            # Slack out of reach: the default for now, and ask again next time.
            log.warning("users.info failed for %s: %s", user_id, type(error).__name__)
            return (now, self._default, "")
        entry = (now, lang, title)
        self._cache[user_id] = entry
        return entry


class Tasks:
    """Background work started after an ack; kept referenced and drained on shutdown.

    At most `limit` handlers run at once: in a storm of clicks the acks (which never wait for
    a slot) keep being answered promptly, and the work behind them queues instead of every
    handler fighting for the event loop at the same time.
    """

    def __init__(self, limit: int = 8) -> None:
        self._running: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(limit)

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._in_slot(work), name=name)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def adopt(self, task: asyncio.Task[Any]) -> None:
        """Keep a task that runs already (outside the slots) referenced and drained."""
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _in_slot(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            await work

    @property
    def busy(self) -> int:
        return len(self._running)

    async def drain(self, grace_seconds: float = 10.0) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)


class Declined(Exception):
    """A use case that changed nothing, and why: `key` is the text the user is told privately
    (with `values` for its placeholders). Raised before anything is stored or posted."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


Stop = Callable[[], Awaitable[None]]


class Ticking(Protocol):
    """A job body the process's scheduler runs (the reminder poller's)."""

    async def tick(self) -> None: ...

    @property
    def stopped(self) -> bool: ...

    async def stop(self, grace_seconds: float = ...) -> None: ...


@dataclass
class Deps:
    """What every handler may use; built once at start."""

    settings: Settings
    db: Database
    users: UserDirectory
    catalogue: Catalogue
    # Makes Slack show what the database says (DESIGN §2): use cases `want` rows in their
    # transaction, followups render them at once, its poller retries what is left.
    outbox: Outbox
    tasks: Tasks = field(default_factory=Tasks)
    # Run in order when the bot stops (after the tasks drained and the outbox stopped).
    on_stop: list[Stop] = field(default_factory=list)
    reminder_loop: Ticking | None = None

    @property
    def busy(self) -> int:
        """Work running in this process now: followups and renders."""
        return self.tasks.busy + self.outbox.busy

    async def render(self, ids: Iterable[int]) -> FastPath:
        """Show committed rows now (the fast path); what is left the outbox retries."""
        return await self.outbox.render_now(ids)

    def render_soon(self, ids: Iterable[int]) -> None:
        """Show committed rows without waiting for them (nobody is told about a delay)."""
        wanted = list(ids)
        if wanted:
            self.tasks.spawn(_render_quietly(self.outbox, wanted), name="render")


async def _render_quietly(outbox: Outbox, ids: list[int]) -> None:
    await outbox.render_now(ids)


Respond = Callable[..., Awaitable[Any]]


@dataclass
class Speech:
    """The user's language, shared by a turn and the guarded turn made from it: looked up
    once, after the ack, it serves both. `known` is False while the default stands in."""

    lang: str
    known: bool = True


@dataclass
class Turn:
    """One request from a user, as a handler sees it."""

    deps: Deps
    client: AsyncWebClient
    body: Mapping[str, Any]
    user_id: str | None
    channel_id: str | None
    speech: Speech
    respond: Respond | None
    # What the button or modal refers to, decoded and checked (bot.kit.access.read_ref).
    ref: Ref | None = None

    @property
    def lang(self) -> str:
        return self.speech.lang

    @property
    def lang_known(self) -> bool:
        return self.speech.known

    async def settle_language(self, within: float | None = None) -> None:
        """Look the user's language up (one cached users.info) unless it is known; within
        `within` seconds, else keep the default for now."""
        if self.speech.known:
            return
        try:
            lang = await asyncio.wait_for(
                self.deps.users.language(self.client, self.user_id), within
            )
        except TimeoutError:
            return
        self.speech.lang, self.speech.known = lang, True

    def t(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

    @property
    def channel_lang(self) -> str:
        """Messages everyone in a channel sees are in the workspace's language."""
        return self.deps.settings.language

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id") or "")

    @property
    def view(self) -> dict[str, Any]:
        """The submitted modal (view submissions only)."""
        view = self.body.get("view")
        return view if isinstance(view, dict) else {}

    @property
    def thread_ts(self) -> str | None:
        """The thread the user acted in (a click on a message in a thread, a thread reply)."""
        return thread_of_body(self.body)

    async def tell(self, text: str, *, blocks: Sequence[dict[str, Any]] | None = None) -> None:
        """A private answer to the user: in the channel (and thread) they acted in, else as a
        DM."""
        await tell_user(
            self.client,
            self.user_id,
            self.channel_id,
            text,
            blocks=blocks,
            thread_ts=self.thread_ts,
        )

    async def answer(self, text: str, *, blocks: Sequence[dict[str, Any]] | None = None) -> None:
        """A private answer to a slash command: through its response_url, which works even
        where the bot is no member; other requests are told as `tell` does."""
        # A click on the home tab carries no response_url: told as `tell` does.
        if self.respond is not None and self.body.get("response_url"):
            await self.respond(text=text, blocks=blocks, response_type="ephemeral")
        else:
            await self.tell(text, blocks=blocks)

    async def show(self, ids: Iterable[int], *, quiet: Iterable[int] = ()) -> FastPath:
        """Render what this turn committed; when Slack is too slow to show it now, say that it
        is stored and the message follows (never that nothing changed). `quiet` rows (files)
        follow without anyone waiting on them."""
        shown = await self.deps.render(ids)
        self.deps.render_soon(quiet)
        if not shown.complete:
            await self.tell(self.t("outbox.slow"))
        return shown


@dataclass(kw_only=True)
class CaseTurn(Turn):
    """A turn the guard let through: the user is a member of `case` with enough rights."""

    user_id: str
    case: Case
    case_id: int
    member: Participant
    # The meeting a button or modal named, when it named one.
    meeting: Meeting | None = None

    @classmethod
    def of(
        cls,
        turn: Turn,
        *,
        user_id: str,
        case: Case,
        case_id: int,
        member: Participant,
        meeting: Meeting | None,
    ) -> CaseTurn:
        base = {f.name: getattr(turn, f.name) for f in fields(Turn) if f.name != "user_id"}
        return cls(
            **base, user_id=user_id, case=case, case_id=case_id, member=member, meeting=meeting
        )


Followup = Callable[[], Awaitable[object]]
"""What a handler leaves for after the ack: the Slack side of what it committed."""

Handler = Callable[[Turn], Awaitable[Followup | None]]
CaseHandler = Callable[[CaseTurn], Awaitable[Followup | None]]
TurnT = TypeVar("TurnT", bound=Turn)


def later(work: Callable[..., Awaitable[object]], /, *args: Any, **kwargs: Any) -> Followup:
    """`work(*args, **kwargs)` as a followup."""
    return functools.partial(work, *args, **kwargs)


def user_and_channel(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Who acted and where, for commands, interactions and events alike."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    event = body.get("event")
    if isinstance(event, Mapping):
        user = user or event.get("user")
        channel = channel or event.get("channel")
    if not channel and isinstance(body.get("container"), Mapping):
        channel = body["container"].get("channel_id")
    return user, channel


def thread_of_body(body: Mapping[str, Any]) -> str | None:
    """The thread a request happened in: the clicked message's thread, or a reply's."""
    for holder in (body.get("container"), body.get("message"), body.get("event")):
        if isinstance(holder, Mapping) and holder.get("thread_ts"):
            return str(holder["thread_ts"])
    return None


def build_turn(
    deps: Deps, client: AsyncWebClient, body: Mapping[str, Any], respond: Respond | None
) -> Turn:
    """The turn of a request, without calling Slack: the language is the cached one, or the
    default until `settle_language` looks it up (after the ack)."""
    user_id, channel_id = user_and_channel(body)
    lang = deps.users.cached(user_id)
    speech = Speech(lang or deps.settings.language, known=lang is not None)
    return Turn(deps, client, body, user_id, channel_id, speech, respond)
