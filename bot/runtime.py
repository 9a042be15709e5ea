"""What a handler works with: the dependencies, the request as a `Turn`, background tasks.

Handlers are plain `async def handler(turn)` functions that tests can call; they get
everything they need on the `Turn`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.i18n import language_for, t
from flows.model import Catalogue
from storage.db import Database

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
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
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


@dataclass
class Deps:
    """What every handler may use; built once at start."""

    settings: Settings
    db: Database
    users: UserDirectory
    catalogue: Catalogue
    tasks: Tasks = field(default_factory=Tasks)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    """One request from a user, as a handler sees it."""

    deps: Deps
    client: AsyncWebClient
    body: Mapping[str, Any]
    user_id: str | None
    channel_id: str | None
    lang: str
    respond: Callable[..., Awaitable[Any]] | None
    # Filled in by the access guard (bot.access) before the handler runs.
    ref: Any = None
    case: Any = None
    meeting: Any = None
    member: Any = None

    def t(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

    @property
    def channel_lang(self) -> str:
        """Messages everyone in a channel sees are in the workspace's language."""
        return self.deps.settings.language

    async def tell(self, text: str, *, blocks: list[dict[str, Any]] | None = None) -> None:
        """A private answer to the user: in the channel they acted in, else as a DM."""
        await tell_user(self.client, self.user_id, self.channel_id, text, blocks=blocks)


Handler = Callable[[Turn], Awaitable[None]]


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


async def tell_user(
    client: AsyncWebClient,
    user_id: str | None,
    channel_id: str | None,
    text: str,
    *,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    if not user_id:
        return
    if channel_id and not channel_id.startswith("D"):
        try:
            await client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, blocks=blocks
            )
            return
        except SlackApiError as error:
            # Not a member of that channel (or it is gone): fall back to a DM.
            log.info(
                "ephemeral to %s in %s failed: %s", user_id, channel_id, error.response.get("error")
            )
    opened = await client.conversations_open(users=user_id)
    await client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=blocks)


async def build_turn(
    deps: Deps, client: AsyncWebClient, body: Mapping[str, Any], respond: Any
) -> Turn:
    user_id, channel_id = user_and_channel(body)
    lang = await deps.users.language(client, user_id)
    return Turn(deps, client, body, user_id, channel_id, lang, respond)


async def run_handler(handler: Handler, turn: Turn) -> None:
    """Run one handler; a failure is logged with context and the user is told, never dropped."""
    try:
        await handler(turn)
    except Exception:
        ref = secrets.token_hex(4)
        log.exception(
            "handler %s failed (ref=%s, user=%s, channel=%s, type=%s)",
            handler.__name__,
            ref,
            turn.user_id,
            turn.channel_id,
            turn.body.get("type"),
        )
        try:
            await turn.tell(turn.t("errors.generic", ref=ref))
        except Exception:
            log.exception("could not tell user %s about failure ref=%s", turn.user_id, ref)
