"""Delivering requests to the app: signed HTTP POSTs to its request URL, or Socket Mode.

The bytes on the wire follow Slack: slash commands as form fields, interactivity as a form
field `payload` holding JSON, events as a JSON body; each signed with the signing secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from .workspace import App

if TYPE_CHECKING:
    from .sandbox import Sandbox

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """The app did not acknowledge a request the way Slack requires (HTTP 200 within 3 s)."""

    def __init__(self, message: str, reason: str = "http_error"):
        super().__init__(message)
        self.reason = reason  # Slack's X-Slack-Retry-Reason for the next attempt


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def encode(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    if kind in ("events_api", "url_verification"):
        return json.dumps(payload), "application/json"
    if kind == "slash_commands":
        return urlencode(payload), "application/x-www-form-urlencoded"
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def parse_ack(text: str, content_type: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    if content_type.startswith("application/json") or text.lstrip().startswith("{"):
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            return {"text": text}
        return body if isinstance(body, dict) else {"text": text}
    return {"text": text}


class Delivery:
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def send(self, app: App, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Deliver and return the acknowledgement's body; retry events when Slack would."""
        attempts = 1 + (len(self.sb.retry_delays) if self.sb.retries and kind == "events_api"
                        else 0)
        reason = ""
        failure = DeliveryError("not delivered")
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self.sb.retry_delays[attempt - 1])
            try:
                with self.sb.activity.busy(kind):
                    if app.request_url:
                        return await self._http(app, kind, payload, attempt, reason)
                    if kind == "url_verification":
                        raise DeliveryError(f"{app.name} has no request URL to verify")
                    return await self.sb.socket.send(app, kind, payload, attempt, reason)
            except DeliveryError as exc:
                reason, failure = exc.reason, exc
        raise failure

    async def _http(self, app: App, kind: str, payload: dict[str, Any], attempt: int,
                    reason: str) -> dict[str, Any] | None:
        assert app.request_url
        if self.session is None:
            self.session = aiohttp.ClientSession()
        body, content_type = encode(kind, payload)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(app.signing_secret, timestamp, body),
        }
        if attempt:
            headers.update({"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": reason})
        timeout = aiohttp.ClientTimeout(total=self.sb.ack_timeout)
        try:
            async with self.session.post(app.request_url, data=body.encode(), headers=headers,
                                         timeout=timeout) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise DeliveryError(f"{app.name} answered {kind} with HTTP {resp.status}: "
                                        f"{text[:300]}")
                return parse_ack(text, resp.content_type)
        except TimeoutError as exc:
            raise DeliveryError(f"{app.name} did not acknowledge {kind} within "
                                f"{self.sb.ack_timeout}s", "http_timeout") from exc
        except aiohttp.ClientError as exc:
            raise DeliveryError(f"{app.name} unreachable at {app.request_url}: {exc}") from exc
