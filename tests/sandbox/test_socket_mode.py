"""Socket Mode with a real Bolt AsyncApp and AsyncSocketModeHandler (slack_sdk's aiohttp client)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox

VOTE_BLOCKS = [
    {
        "type": "section",
        "block_id": "vraag",
        "text": {"type": "mrkdwn", "text": "*Schaalvraag* — hoe bezorgd ben je?"},
    },
    {
        "type": "actions",
        "block_id": "stem",
        "elements": [
            {
                "type": "static_select",
                "action_id": "fase",
                "placeholder": {"type": "plain_text", "text": "Fase"},
                "options": [
                    {"text": {"type": "plain_text", "text": t}, "value": v}
                    for t, v in (("Directe veiligheid", "1"), ("Risicogestuurde zorg", "2"))
                ],
            },
            *(
                {
                    "type": "button",
                    "action_id": "vote",
                    "value": str(n),
                    "text": {"type": "plain_text", "text": str(n)},
                }
                for n in (1, 5, 10)
            ),
        ],
    },
]


@pytest.fixture
async def bolt(sb: Sandbox) -> AsyncIterator[tuple[AsyncApp, list[dict[str, Any]]]]:
    installed = sb.install_app(name="Casusbot", join=["casus-demo"])
    app = AsyncApp(client=AsyncWebClient(token=installed.bot_token, base_url=sb.api_url))
    seen: list[dict[str, Any]] = []

    @app.command("/casus")
    async def casus(ack, respond, command, client):
        await ack()
        if command["text"] == "stem":
            await client.chat_postMessage(
                channel=command["channel_id"], text="Stem", blocks=VOTE_BLOCKS
            )
        else:
            await respond("pong")

    @app.action("vote")
    async def vote(ack, body, respond):
        await ack()
        seen.append(body)
        await respond(text=f"Je stem: {body['actions'][0]['value']}", replace_original=False)

    @app.action("fase")
    async def fase(ack, body):
        await ack()
        seen.append(body)

    @app.event("message")
    async def message(event):
        seen.append(event)

    handler = AsyncSocketModeHandler(app, installed.app_token)
    await handler.connect_async()
    yield app, seen
    await handler.close_async()


async def test_slash_command_answered_with_respond(sb: Sandbox, bolt):
    ack = await sb.user("petra").slash("/casus", channel="casus-demo")
    await sb.settle()
    assert ack is None
    assert [m["text"] for m in sb.user("petra").ephemerals("casus-demo")] == ["pong"]
    assert sb.calls("apps.connections.open")[0].ok


async def test_block_actions_carry_message_state(sb: Sandbox, bolt):
    _, seen = bolt
    lotte = sb.user("lotte")
    await lotte.slash("/casus", "stem", channel="casus-demo")
    await sb.settle()
    [message] = sb.messages("casus-demo")
    await lotte.select("fase", "2", message=message)
    await lotte.click("vote", channel="casus-demo", value="5")
    await sb.settle()
    select_body, click_body = (b for b in seen if b.get("type") == "block_actions")
    assert select_body["actions"][0]["selected_option"]["value"] == "2"
    state = click_body["state"]["values"]["stem"]["fase"]
    assert state == {
        "type": "static_select",
        "selected_option": {
            "text": {"type": "plain_text", "text": "Risicogestuurde zorg"},
            "value": "2",
        },
    }
    assert [m["text"] for m in lotte.ephemerals("casus-demo")] == ["Je stem: 5"]
    assert sb.user("petra").ephemerals("casus-demo") == []


async def test_user_messages_reach_the_bot_over_the_socket(sb: Sandbox, bolt):
    _, seen = bolt
    await sb.user("sanne").post("casus-demo", "Nieuwe zorg over de situatie thuis")
    await sb.settle()
    assert [e["text"] for e in seen if e.get("type") == "message"] == [
        "Nieuwe zorg over de situatie thuis"
    ]


async def test_deliveries_continue_after_a_refresh_disconnect(sb: Sandbox, bolt):
    await sb.socket.refresh(sb.app)
    assert len(sb.calls("apps.connections.open")) == 2
    ack = await sb.user("petra").slash("/casus", channel="casus-demo")
    await sb.settle()
    assert ack is None and sb.user("petra").ephemerals("casus-demo")[-1]["text"] == "pong"
