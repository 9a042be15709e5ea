"""Delivery over signed HTTP: bytes, headers and routing as Slack sends them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import DeliveryError, Sandbox

from .helpers import serve


class Receiver:
    """A stand-in app server that checks every signature and records what arrives."""

    def __init__(self) -> None:
        self.secret = ""
        self.requests: list[tuple[dict[str, str], Any]] = []
        self.reply: dict[str, Any] | None = None
        self.status = 200
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        verifier = SignatureVerifier(self.secret)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401, text="bad signature")
        if request.content_type == "application/json":
            data: Any = json.loads(body)
        else:
            form = {k: v[0] for k, v in parse_qs(body).items()}
            data = json.loads(form["payload"]) if "payload" in form else form
        self.requests.append((dict(request.headers), data))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status)
        return web.json_response(self.reply) if self.reply else web.Response()

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [
            d["event"]
            for _, d in self.requests
            if d.get("type") == "event_callback" and (kind is None or d["event"]["type"] == kind)
        ]


@pytest.fixture
async def receiver(sb: Sandbox) -> AsyncIterator[Receiver]:
    rec = Receiver()
    web_app = web.Application()
    web_app.router.add_post("/slack/events", rec.handle)
    async with serve(web_app) as url:
        installed = sb.install_app(name="Casusbot", request_url=url, join=["casus-demo"])
        rec.secret = installed.signing_secret
        yield rec


async def test_slash_command_is_signed_form_data_and_ack_is_shown(sb: Sandbox, receiver: Receiver):
    receiver.reply = {"text": "Casusbot helpt je door het overleg."}
    ack = await sb.user("petra").slash("/casus", "help", channel="casus-demo")
    assert ack == {"text": "Casusbot helpt je door het overleg."}
    headers, form = receiver.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (form["command"], form["text"], form["user_id"]) == ("/casus", "help", "U0PETRA")
    assert form["channel_id"] == "C0CASUSDEMO" and form["response_url"].startswith(sb.url)
    assert [m["text"] for m in sb.user("petra").ephemerals("casus-demo")] == [
        "Casusbot helpt je door het overleg."
    ]
    assert sb.user("karim").ephemerals() == []


async def test_events_go_only_where_the_bot_is(sb: Sandbox, receiver: Receiver):
    petra = sb.user("petra")
    ts = await petra.post("casus-demo", "Goedemorgen")
    await petra.post("casus-demo", "Reactie", thread_ts=ts)
    await petra.post("algemeen", "Niet voor de bot")  # the bot is not in #algemeen
    await petra.post_dm("Hallo bot")
    await petra.edit("casus-demo", ts, "Goedemiddag")
    await petra.delete("casus-demo", ts)
    await sb.settle()
    messages = receiver.events("message")
    plain = [e for e in messages if "subtype" not in e]
    assert [(e["text"], e["channel_type"]) for e in plain] == [
        ("Goedemorgen", "group"),
        ("Reactie", "group"),
        ("Hallo bot", "im"),
    ]
    assert plain[1]["thread_ts"] == ts and "thread_ts" not in plain[0]
    changed = next(e for e in messages if e.get("subtype") == "message_changed")
    assert changed["message"]["text"] == "Goedemiddag"
    assert changed["previous_message"]["text"] == "Goedemorgen"
    deleted = next(e for e in messages if e.get("subtype") == "message_deleted")
    assert deleted["deleted_ts"] == ts
    _, envelope = receiver.requests[0]
    assert envelope["event_id"].startswith("Ev") and envelope["event_time"] > 0
    assert envelope["authorizations"][0]["user_id"] == sb.app.bot_user_id


async def test_bot_messages_arrive_marked_as_the_bots(sb: Sandbox, receiver: Receiver):
    client = AsyncWebClient(token=sb.app.bot_token, base_url=sb.api_url)
    await client.chat_postMessage(channel="C0CASUSDEMO", text="Agenda")
    await sb.settle()
    [event] = receiver.events("message")
    assert event["bot_id"] == sb.app.bot_id and event["user"] == sb.app.bot_user_id


async def test_mentions_member_joined_and_home(sb: Sandbox, receiver: Receiver):
    petra = sb.user("petra")
    await petra.post("casus-demo", f"{sb.mention('casusbot')} start overleg")
    await petra.invite("algemeen", "casusbot")
    await petra.open_home()
    await sb.settle()
    [mention] = receiver.events("app_mention")
    assert mention["text"].endswith("start overleg")
    [joined] = receiver.events("member_joined_channel")
    assert (joined["user"], joined["channel"], joined["inviter"]) == (
        sb.app.bot_user_id,
        "C0ALGEMEEN",
        "U0PETRA",
    )
    [home] = receiver.events("app_home_opened")
    assert home["user"] == "U0PETRA" and home["tab"] == "home"


async def test_interaction_payload_is_form_field_payload(sb: Sandbox, receiver: Receiver):
    client = AsyncWebClient(token=sb.app.bot_token, base_url=sb.api_url)
    blocks = [
        {
            "type": "actions",
            "block_id": "stem",
            "elements": [
                {
                    "type": "button",
                    "action_id": "vote",
                    "value": str(n),
                    "text": {"type": "plain_text", "text": str(n)},
                }
                for n in (1, 5, 10)
            ],
        }
    ]
    posted = await client.chat_postMessage(channel="C0CASUSDEMO", text="Schaalvraag", blocks=blocks)
    await sb.settle()
    receiver.requests.clear()
    await sb.user("lotte").click("vote", message=("casus-demo", posted["ts"]), value="5")
    _, payload = receiver.requests[0]
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["value"] == "5"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0CASUSDEMO",
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == posted["ts"] and payload["user"]["id"] == "U0LOTTE"


async def test_slow_or_failing_app_is_reported(sb: Sandbox, receiver: Receiver):
    receiver.status = 500
    with pytest.raises(DeliveryError, match="HTTP 500"):
        await sb.user("petra").slash("/casus")
    receiver.status, receiver.delay = 200, 1.5  # the fixture's ack timeout is 1 s
    with pytest.raises(DeliveryError, match="within"):
        await sb.user("petra").slash("/casus")


async def test_event_retries_carry_retry_headers():
    async with Sandbox(retries=True, retry_delays=(0.0, 0.0, 0.0)) as sb:
        rec = Receiver()
        rec.status = 503
        web_app = web.Application()
        web_app.router.add_post("/slack/events", rec.handle)
        async with serve(web_app) as url:
            rec.secret = sb.install_app(request_url=url, join=["casus-demo"]).signing_secret
            await sb.user("karim").post("casus-demo", "Update")
            await sb.settle()
    assert [h.get("X-Slack-Retry-Num") for h, _ in rec.requests] == [None, "1", "2", "3"]
    assert rec.requests[1][0]["X-Slack-Retry-Reason"] == "http_error"
    assert len(sb.delivery_errors) == 1


async def test_bare_bolt_app_over_http_answers_a_slash_command(sb: Sandbox):
    installed = sb.install_app(
        name="Casusbot", request_url="http://placeholder", join=["casus-demo"]
    )
    bolt = AsyncApp(
        client=AsyncWebClient(token=installed.bot_token, base_url=sb.api_url),
        signing_secret=installed.signing_secret,
    )

    @bolt.command("/casus")
    async def casus(ack, respond, command):
        await ack()
        await respond(f"pong: {command['text']}")

    async with serve(bolt.web_app()) as url:
        installed.request_url = url
        ack = await sb.user("karim").slash("/casus", "ping", channel="casus-demo")
        await sb.settle()
    assert ack is None
    assert [m["text"] for m in sb.user("karim").ephemerals("casus-demo")] == ["pong: ping"]
    assert sb.calls("auth.test")  # Bolt checked its token against the sandbox
