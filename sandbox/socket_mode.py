"""Socket Mode: the WebSocket end of `apps.connections.open`.

Protocol (as slack_sdk.socket_mode expects it): the server greets with `{"type": "hello"}`,
then sends envelopes `{"envelope_id", "type", "payload", "accepts_response_payload"}`; the
client acks each with `{"envelope_id", "payload"?}`. Pings from the client ("sdk-ping-pong:<t>")
are answered with a pong carrying the same data, which aiohttp's autoping does for us.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from .delivery import DeliveryError
from .workspace import App

if TYPE_CHECKING:
    from .sandbox import Sandbox

log = logging.getLogger(__name__)


class SocketHub:
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.tickets: dict[str, str] = {}  # one-time ticket -> app id
        self.connections: dict[str, list[web.WebSocketResponse]] = {}
        self.pending: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self.connected: dict[str, asyncio.Event] = {}
        self._next = 0

    def open_url(self, app: App) -> str:
        ticket = secrets.token_urlsafe(16)
        self.tickets[ticket] = app.app_id
        return f"ws://{self.sb.host}:{self.sb.port}/link/?ticket={ticket}&app_id={app.app_id}"

    def is_connected(self, app: App) -> bool:
        return bool(self.connections.get(app.app_id))

    def _event(self, app_id: str) -> asyncio.Event:
        return self.connected.setdefault(app_id, asyncio.Event())

    async def handle(self, request: web.Request) -> web.StreamResponse:
        app_id = self.tickets.pop(request.query.get("ticket", ""), None)
        if app_id is None:
            raise web.HTTPUnauthorized(text="invalid or used ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conns = self.connections.setdefault(app_id, [])
        conns.append(ws)
        await ws.send_json({
            "type": "hello", "num_connections": len(conns),
            "debug_info": {"host": "applink-sandbox", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": app_id},
        })
        self._event(app_id).set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._ack(msg.data)
        finally:
            conns.remove(ws)
            if not conns:
                self._event(app_id).clear()
        return ws

    def _ack(self, raw: str) -> None:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("socket mode: ignoring non-JSON message %r", raw[:200])
            return
        future = self.pending.pop(str(data.get("envelope_id")), None)
        if future is not None and not future.done():
            future.set_result(data.get("payload"))

    async def send(self, app: App, kind: str, payload: dict[str, Any], attempt: int,
                   reason: str) -> dict[str, Any] | None:
        event = self._event(app.app_id)
        if not event.is_set():
            try:
                await asyncio.wait_for(event.wait(), self.sb.connect_timeout)
            except TimeoutError as exc:
                raise DeliveryError(f"{app.name} has no Socket Mode connection after "
                                    f"{self.sb.connect_timeout}s", "connection_missing") from exc
        conns = self.connections[app.app_id]
        self._next += 1
        ws = conns[self._next % len(conns)]  # Slack spreads envelopes over open connections
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(retry_attempt=attempt, retry_reason=reason)
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self.pending[envelope_id] = future
        try:
            await ws.send_json(envelope)
            return await asyncio.wait_for(future, self.sb.ack_timeout)
        except TimeoutError as exc:
            raise DeliveryError(f"{app.name} did not acknowledge {kind} within "
                                f"{self.sb.ack_timeout}s", "timeout") from exc
        except ConnectionError as exc:
            raise DeliveryError(f"socket closed while sending to {app.name}: {exc}") from exc
        finally:
            self.pending.pop(envelope_id, None)

    async def refresh(self, app: App, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect, as Slack does every few hours; return once it has."""
        old = list(self.connections.get(app.app_id, []))
        for ws in old:
            await ws.send_json({"type": "disconnect", "reason": reason,
                                "debug_info": {"host": "applink-sandbox"}})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.sb.connect_timeout
        while any(ws in old for ws in self.connections.get(app.app_id, [])) or not (
                self.is_connected(app)):
            if loop.time() > deadline:
                raise DeliveryError(f"{app.name} did not reconnect after '{reason}'")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for conns in list(self.connections.values()):
            for ws in list(conns):
                with contextlib.suppress(Exception):
                    await ws.close(code=WSCloseCode.GOING_AWAY)
