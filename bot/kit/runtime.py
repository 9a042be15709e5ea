"""What a handler works with: the dependencies, the request as a `Turn`, background tasks.

Handlers are plain `async def handler(turn)` functions that tests can call; they get
everything they need on the turn. A handler registered for anyone gets a `Turn`; one
registered for a case (Access.MEMBER, READ or STEER) gets a `CaseTurn`, on which the guard
(bot.kit.access) has already loaded the case, the member and the meeting.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.kit.i18n import language_for, t
from bot.kit.payloads import Ref
from bot.kit.slack import error_code, tell_user
from flows.model import Catalogue
from storage.db import Database
from storage.models import Case, Meeting, Participant

log = logging.getLogger("casusbot")

LOCALE_CACHE_SECONDS = 3600


class UserDirectory:
    """Slack locale per user, cached: one users.info call per user per hour."""

    def __init__(self, default_language: str) -> None:
        self._default = default_language
        self._cache: dict[str, tuple[float, str]] = {}

    async def language(self, client: AsyncWebClient, user_id: str | None) -> str:
        if not user_id:
            return self._default
        hit = self._cache.get(user_id)
        now = time.monotonic()
        if hit and now - hit[0] < LOCALE_CACHE_SECONDS:
            return hit[1]
        try:
            info = await client.users_info(user=user_id, include_locale=True)
            lang = language_for(info["user"].get("locale"), self._default)
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error_code(error))
            lang = self._default
        self._cache[user_id] = (now, lang)
        return lang


class Tasks:
    """Background work started after an ack; kept referenced and drained on shutdown.

    At most `limit` handlers run at once: in a storm of clicks the acks (which never wait for
    a slot) keep being answered promptly, and the work behind them queues instead of every
    handler fighting for the event loop at the same time.
    """

    def __init__(self, limit: int = 8) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(limit)

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._in_slot(work), name=name)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def _in_slot(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            await work

    @property
    def busy(self) -> int:
        return len(self._running)

    async def drain(self, grace_seconds: float = 10.0) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)


class KeyedLocks:
    """One lock per key in this process: e.g. one writer per meeting's agreements message, so
    two quick recordings do not both post a first message and an older rendering does not
    overwrite a newer one."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def __call__(self, key: Hashable) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class Coalescer:
    """Keeps a live message equal to what is stored, however many changes arrive.

    One refresh loop per key (per process): a touch while a refresh is under way asks for one
    more pass, so the last redraw always reads after the last change. Two hundred votes cost a
    handful of chat.update calls instead of two hundred (Slack rate-limits chat.update).
    """

    def __init__(self) -> None:
        self._busy: set[Hashable] = set()
        self._again: set[Hashable] = set()

    def touch(
        self, tasks: Tasks, key: Hashable, refresh: Callable[[], Awaitable[None]], *, name: str
    ) -> None:
        if key in self._busy:
            self._again.add(key)
            return
        self._busy.add(key)
        tasks.spawn(self._run(key, refresh, name), name=name)

    async def _run(self, key: Hashable, refresh: Callable[[], Awaitable[None]], name: str) -> None:
        try:
            while True:
                self._again.discard(key)
                try:
                    await refresh()
                except Exception:
                    log.exception("refresh %s failed", name)
                if key not in self._again:
                    return
        finally:
            self._busy.discard(key)


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
    tasks: Tasks = field(default_factory=Tasks)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    refreshes: Coalescer = field(default_factory=Coalescer)
    # Run in order when the bot stops (after the tasks drained): sessions, the scheduler.
    on_stop: list[Stop] = field(default_factory=list)
    reminder_loop: Ticking | None = None


Respond = Callable[..., Awaitable[Any]]


@dataclass
class Turn:
    """One request from a user, as a handler sees it."""

    deps: Deps
    client: AsyncWebClient
    body: Mapping[str, Any]
    user_id: str | None
    channel_id: str | None
    lang: str
    respond: Respond | None
    # What the button or modal refers to, decoded and checked (bot.kit.access.read_ref).
    ref: Ref | None = None

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

    async def tell(self, text: str, *, blocks: Sequence[dict[str, Any]] | None = None) -> None:
        """A private answer to the user: in the channel they acted in, else as a DM."""
        await tell_user(self.client, self.user_id, self.channel_id, text, blocks=blocks)

    async def answer(self, text: str, *, blocks: Sequence[dict[str, Any]] | None = None) -> None:
        """A private answer to a slash command: through its response_url, which works even
        where the bot is no member; other requests are told as `tell` does."""
        if self.respond is not None:
            await self.respond(text=text, blocks=blocks, response_type="ephemeral")
        else:
            await self.tell(text, blocks=blocks)


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


TurnT = TypeVar("TurnT", bound=Turn)
Handler = Callable[[Turn], Awaitable[None]]
CaseHandler = Callable[[CaseTurn], Awaitable[None]]


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


async def build_turn(
    deps: Deps, client: AsyncWebClient, body: Mapping[str, Any], respond: Respond | None
) -> Turn:
    user_id, channel_id = user_and_channel(body)
    lang = await deps.users.language(client, user_id)
    return Turn(deps, client, body, user_id, channel_id, lang, respond)


async def run_handler(
    handler: Callable[[TurnT], Awaitable[None]], turn: TurnT, *, name: str | None = None
) -> None:
    """Run one handler; a failure is logged with context and the user is told, never dropped."""
    try:
        try:
            await handler(turn)
        except Declined as declined:
            await turn.tell(turn.t(declined.key, **declined.values))
    except Exception:
        ref = secrets.token_hex(4)
        log.exception(
            "handler %s failed (ref=%s, user=%s, channel=%s, type=%s)",
            name or handler.__name__,
            ref,
            turn.user_id,
            turn.channel_id,
            turn.body.get("type"),
        )
        try:
            await turn.tell(turn.t("errors.generic", ref=ref))
        except Exception:
            log.exception("could not tell user %s about failure ref=%s", turn.user_id, ref)
