"""`Sandbox`: the running stand-in — a workspace, its installed apps, and the HTTP server."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import events
from .activity import Activity
from .delivery import Delivery, DeliveryError
from .manifest import load_manifest
from .socket_mode import SocketHub
from .web_api import ApiCall, ApiError, RateLimiter
from .workspace import App, Channel, StoredFile, Workspace

if TYPE_CHECKING:
    from .users import SandboxUser

log = logging.getLogger(__name__)


class Sandbox:
    """A local Slack for one workspace. See sandbox/README.md for a tour."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        rate_limit: bool | dict[str, int] = False,
        ack_timeout: float = 3.0,
        retries: bool = False,
        retry_delays: tuple[float, ...] = (0.0, 0.2, 0.5),
        trigger_ttl: float = 3.0,
        quiet: float = 0.05,
        connect_timeout: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.ws = workspace or Workspace.demo()
        self.rate_limiter = (RateLimiter(rate_limit if isinstance(rate_limit, dict) else None)
                             if rate_limit else None)
        self.ack_timeout = ack_timeout
        self.retries = retries
        self.retry_delays = retry_delays
        self.trigger_ttl = trigger_ttl
        self.quiet = quiet
        self.connect_timeout = connect_timeout
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox binds to the loopback interface only")
        self.host, self.port = host, port
        self.activity = Activity()
        self.api_calls: list[ApiCall] = []
        self.delivery_errors: list[DeliveryError] = []
        self.response_log: list[dict[str, Any]] = []
        self.triggers: dict[str, tuple[str, str, float]] = {}  # id -> (app, user, issued)
        self.used_triggers: set[str] = set()
        self.delivery = Delivery(self)
        self.socket = SocketHub(self)
        from .responses import ResponseUrls  # late: responses needs the messaging helpers
        self.response_urls = ResponseUrls(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None

    # ----- lifecycle -----

    async def start(self) -> Sandbox:
        from .server import build_app
        self._runner = web.AppRunner(build_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.socket.close()
        await self.delivery.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.url}api/"

    # ----- apps -----

    def install_app(
        self, name: str | None = None, *, request_url: str | None = None,
        join: Iterable[str] = (), commands: Iterable[str] | None = None,
        events: Iterable[str] | None = None, handle: str | None = None,
        scopes: Iterable[str] | None = None, manifest: str | Path | dict[str, Any] | None = None,
    ) -> App:
        """Install an app with a bot user. Without `request_url` it is reached over Socket Mode.

        `manifest` (a path or dict) supplies the name, slash commands, bot events and bot
        scopes; explicit `commands`/`events`/`scopes` override it. Without either, the app
        owns every command, hears every event and holds every scope.
        """
        if manifest is not None:
            declared = load_manifest(manifest)
            name = name or declared.name
            commands = declared.commands if commands is None else commands
            events = declared.events if events is None else events
            scopes = declared.scopes if scopes is None else scopes
        name = name or "Casusbot"
        ws = self.ws
        app_id = ws.new_id("A")
        bot_id = ws.new_id("B")
        bot_handle = handle or re.sub(r"[^a-z0-9_-]", "", name.lower()) or "bot"
        user = ws.add_user(bot_handle, name, is_bot=True, bot_id=bot_id, app_id=app_id)
        app = App(
            app_id=app_id, name=name, bot_user_id=user.id, bot_id=bot_id,
            bot_token=f"xoxb-{ws.team_id}-{secrets.token_hex(12)}",
            app_token=f"xapp-1-{app_id}-{secrets.token_hex(12)}",
            signing_secret=secrets.token_hex(16), verification_token=secrets.token_hex(12),
            request_url=request_url, commands=tuple(commands) if commands is not None else None,
            events=frozenset(events) if events is not None else None,
            scopes=frozenset(scopes) if scopes is not None else None,
        )
        ws.apps[app_id] = app
        for key in join:
            self.channel(key).members.add(user.id)
        return app

    @property
    def app(self) -> App:
        """The installed app, when there is exactly one."""
        if len(self.ws.apps) != 1:
            raise LookupError(f"{len(self.ws.apps)} apps installed; pick one from sb.ws.apps")
        return next(iter(self.ws.apps.values()))

    # ----- people and places -----

    def user(self, key: str) -> SandboxUser:
        from .users import SandboxUser
        found = self.ws.find_user(key)
        if found is None:
            known = [u.handle for u in self.ws.users.values()]
            raise LookupError(f"no user {key!r}; known: {known}")
        return SandboxUser(self, found)

    def channel(self, key: str) -> Channel:
        found = self.ws.find_channel(key)
        if found is None:
            raise LookupError(f"no channel {key!r}")
        return found

    def create_channel(self, name: str, *, private: bool = True,
                       members: Iterable[str] = ()) -> Channel:
        return self.ws.add_channel(name, private=private, members=list(members))

    def invite(self, channel: str | Channel, user: str, *, by: str | None = None) -> None:
        """Add a member as a person would in the client (e.g. invite the bot), with events."""
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        found = self.ws.find_user(user)
        if found is None:
            raise LookupError(f"no user {user!r}")
        if found.id in ch.members:
            return
        ch.members.add(found.id)
        inviting = self.ws.find_user(by) if by else None
        inviter = inviting.id if inviting else None
        events.member_joined(self, ch, found.id, inviter)

    def messages(self, channel: str | Channel,
                 thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Top-level messages of a channel (oldest first), or the replies of one thread."""
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        return list(ch.replies(thread_ts) if thread_ts else ch.top_level())

    def message(self, channel: str | Channel, ts: str) -> dict[str, Any] | None:
        ch = channel if isinstance(channel, Channel) else self.channel(channel)
        return ch.messages.get(ts)

    def file(self, file_id: str) -> StoredFile:
        return self.ws.files[file_id]

    def mention(self, user: str) -> str:
        found = self.ws.find_user(user)
        if found is None:
            raise LookupError(f"no user {user!r}")
        return f"<@{found.id}>"

    def calls(self, method: str) -> list[ApiCall]:
        return [c for c in self.api_calls if c.method == method]

    async def verify_url(self, app: App | None = None) -> bool:
        """Slack's url_verification handshake against the app's request URL."""
        target = app or self.app
        challenge = secrets.token_urlsafe(24)
        ack = await self.delivery.send(target, "url_verification", {
            "token": target.verification_token, "challenge": challenge,
            "type": "url_verification"})
        return ack is not None and challenge in (ack.get("challenge"), ack.get("text"))

    # ----- waiting -----

    async def settle(self, max_wait: float = 5.0) -> None:
        """Wait until the bot is idle: nothing in flight and no call for `quiet` seconds."""
        await self.activity.settle(quiet=self.quiet, max_wait=max_wait)

    def spawn_delivery(self, app: App, kind: str, payload: dict[str, Any]) -> None:
        """Deliver in the background like Slack's event dispatch; failures are kept, not raised."""
        async def run() -> None:
            try:
                await self.delivery.send(app, kind, payload)
            except DeliveryError as exc:
                log.warning("event not delivered: %s", exc)
                self.delivery_errors.append(exc)
        # Counted as busy from now, not from when the task first runs, so settle() can't slip
        # between the API call that caused the event and the event's delivery.
        guard = self.activity.busy("event")
        guard.__enter__()
        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            guard.__exit__(None, None, None)
        task.add_done_callback(done)

    # ----- trigger ids -----

    def new_trigger(self, app: App, user_id: str) -> str:
        trigger = f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self.triggers[trigger] = (app.app_id, user_id, time.monotonic())
        return trigger

    def use_trigger(self, trigger_id: str | None, app: App) -> str:
        """Exchange a trigger for the user it belongs to; valid ~3 s and only once."""
        if not trigger_id:
            raise ApiError.invalid_arguments("missing required field: trigger_id")
        if trigger_id in self.used_triggers:
            raise ApiError("exchanged_trigger_id")
        found = self.triggers.get(trigger_id)
        if found is None or found[0] != app.app_id:
            raise ApiError("invalid_trigger_id")
        if time.monotonic() - found[2] > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        self.used_triggers.add(trigger_id)
        return found[1]
