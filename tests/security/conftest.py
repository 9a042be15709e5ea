"""Hostile input against the real bot's HTTP endpoint: raw, signed (or mis-signed) requests
sent with aiohttp, and a snapshot of the whole database to prove nothing changed."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import func, select

from sandbox import surfaces
from sandbox.delivery import sign
from sandbox.elements import action_entry
from sandbox.payloads import block_actions
from sandbox.responses import ResponseTarget
from storage.case_rows import all_tables
from storage.models import Case, Meeting
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.conftest import harness as harness

CASE_CHANNEL_ID = "C0CASUSDEMO"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class Response:
    status: int
    text: str


@dataclass
class Attacker:
    """Sends whatever it likes to /slack/events, signed with the app's secret unless told not."""

    h: Harness
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.h.bot.port}/slack/events"

    async def send(
        self,
        body: str | bytes,
        content_type: str | None = FORM,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        raw = body.encode() if isinstance(body, str) else body
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sent: dict[str, str] = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if signed:
            base = raw.decode("utf-8", errors="replace")
            sent["X-Slack-Request-Timestamp"] = stamp
            sent["X-Slack-Signature"] = sign(secret or self.h.app.signing_secret, stamp, base)
        sent.update(headers or {})
        async with self.session.post(self.url, data=raw, headers=sent) as response:
            return Response(response.status, await response.text())

    async def interaction(self, payload: dict[str, Any], **options: Any) -> Response:
        return await self.send(urlencode({"payload": json.dumps(payload)}), FORM, **options)

    async def event(self, payload: dict[str, Any], **options: Any) -> Response:
        return await self.send(json.dumps(payload), JSON, **options)

    def click_payload(
        self, who: str, action_id: str, message: dict[str, Any], value: Any = ...
    ) -> dict[str, Any]:
        """The block_actions payload Slack would send for a click on a real button; `value`
        replaces the button's value (any JSON type) when given."""
        sb = self.h.sb
        person = sb.user(who)
        found_in = surfaces.candidates(
            sb, person.user, message=(CASE_CHANNEL, message["ts"]), view=None, channel=None
        )
        surface, found = surfaces.locate(found_in, action_id, block_id=None, value=None)
        action = action_entry(found, None, sb.ws.new_ts())
        if value is not ...:
            action["value"] = value
        app = self.h.app
        target = ResponseTarget(app.app_id, person.id, CASE_CHANNEL_ID, surface.kind, message["ts"])
        url = sb.response_urls.new(target)
        trigger = sb.new_trigger(app, person.id)
        return block_actions(sb, app, person.user, surface, action, trigger, url)


@pytest.fixture
async def attacker(harness: Harness) -> AsyncIterator[Attacker]:
    async with aiohttp.ClientSession() as session:
        yield Attacker(harness, session)


def thread_reply_event(h: Harness, thread_ts: str, event_id: str) -> dict[str, Any]:
    """The Events API delivery of sanne's reply in the meeting thread, as Slack sends it."""
    reply_ts = h.sb.ws.new_ts()
    return {
        "token": h.app.verification_token,
        "team_id": h.sb.ws.team_id,
        "api_app_id": h.app.app_id,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": h.sb.ws.team_id, "user_id": h.app.bot_user_id, "is_bot": True}
        ],
        "event": {
            "type": "message",
            "channel": CASE_CHANNEL_ID,
            "channel_type": "group",
            "user": "U0SANNE",
            "text": "Vader heeft contact gezocht via school.",
            "ts": reply_ts,
            "thread_ts": thread_ts,
            "event_ts": reply_ts,
        },
    }


async def snapshot(h: Harness) -> dict[str, Any]:
    """Row counts of every table, plus what a move or a decision would change."""
    state: dict[str, Any] = {}
    async with h.db.session() as session:
        for table in all_tables().sorted_tables:
            query = select(func.count()).select_from(table)
            state[table.name] = (await session.exec(query)).scalar_one()  # type: ignore[call-overload]
        meetings = (await session.exec(select(Meeting))).scalars().all()  # type: ignore[call-overload]
        state["meetings"] = sorted(
            (m.id, m.version, m.status, m.state, m.decision, m.question_ts) for m in meetings
        )
        cases = (await session.exec(select(Case))).scalars().all()  # type: ignore[call-overload]
        state["cases"] = sorted((c.id, c.phase, c.status) for c in cases)
    return state
