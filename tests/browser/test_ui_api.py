"""The page's HTTP side without a browser: what it serves, who it answers, and that acting
through it is acting as that person (the same SandboxUser path the tests use)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox, Workspace
from sandbox.blockkit import check_view


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(Workspace.demo()) as running:
        running.install_app(name="Casusbot", join=["casus-demo"])
        yield running


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=sb.url) as session:
        yield session


async def act(http: aiohttp.ClientSession, user: str, action: str, **args: object) -> dict:
    async with http.post("/ui/api/act", json={"user": user, "action": action, "args": args}) as r:
        return await r.json()


async def test_the_page_says_nothing_leaves_the_machine(http: aiohttp.ClientSession) -> None:
    async with http.get("/ui/") as response:
        page = await response.text()
        assert response.status == 200
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "niets verlaat deze computer" in page and "127.0.0.1" in page
    async with http.get("/", headers={"Accept": "text/html"}, allow_redirects=False) as root:
        assert root.status == 302 and root.headers["Location"] == "/ui/"


async def test_a_message_posted_on_the_page_is_a_message_from_that_person(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    answer = await act(
        http, "sanne", "post", channel="casus-demo", text="Oma vangt de kinderen op."
    )
    assert answer["ok"] is True
    stored = sb.messages("casus-demo")[-1]
    assert stored["user"] == "U0SANNE" and stored["text"] == "Oma vangt de kinderen op."

    async with http.get("/ui/api/state", params={"user": "karim", "channel": "casus-demo"}) as r:
        seen = await r.json()
    assert [m["text"] for m in seen["conversation"]["messages"]] == ["Oma vangt de kinderen op."]
    assert seen["me"]["name"] == "Karim El Amrani"


async def test_a_guest_does_not_see_the_case_channel(http: aiohttp.ClientSession) -> None:
    async with http.get(
        "/ui/api/state", params={"user": "gast_bram", "channel": "casus-demo"}
    ) as response:
        seen = await response.json()
    assert seen["conversation"] is None
    assert [c["name"] for c in seen["channels"] if c["is_member"]] == ["algemeen"]
    answer = await act(http, "gast_bram", "post", channel="casus-demo", text="hallo")
    assert answer["ok"] is False and "not a member" in answer["error"]


async def test_only_local_json_requests_can_act(http: aiohttp.ClientSession) -> None:
    # A web page elsewhere can send a form, not JSON without a preflight: refused.
    body = '{"user": "petra", "action": "post", "args": {"channel": "casus-demo", "text": "x"}}'
    async with http.post(
        "/ui/api/act", data=body, headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    # A name that resolves to us from elsewhere (DNS rebinding) is refused.
    async with http.get("/ui/", headers={"Host": "evil.example:80"}) as response:
        assert response.status == 403
    async with http.get("/ui/api/state", params={"user": "nobody"}) as response:
        assert response.status == 404
    answer = await act(http, "petra", "shutdown")
    assert answer["ok"] is False and "unknown action" in answer["error"]


async def test_the_event_stream_announces_changes(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    async with http.get("/ui/api/events") as stream:
        first = await asyncio.wait_for(stream.content.readline(), 5)
        assert first.startswith(b"data: ")
        await stream.content.readline()  # the blank line that ends the event
        await sb.user("petra").post("casus-demo", "Nieuw bericht")
        second = await asyncio.wait_for(stream.content.readline(), 5)
        assert second.startswith(b"data: ") and second != first


# A form with what Slack's client checks itself: a bounded number and a required text.
SCORE_MODAL = {
    "type": "modal",
    "callback_id": "prep",
    "title": {"type": "plain_text", "text": "Voorbereiding"},
    "submit": {"type": "plain_text", "text": "Opslaan"},
    "blocks": [
        {
            "type": "input",
            "block_id": "score",
            "label": {"type": "plain_text", "text": "Score"},
            "element": {
                "type": "number_input",
                "action_id": "v",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "10",
            },
        },
        {
            "type": "input",
            "block_id": "why",
            "label": {"type": "plain_text", "text": "Waarom"},
            "element": {"type": "plain_text_input", "action_id": "v", "max_length": 20},
        },
    ],
}


@pytest.mark.parametrize(
    ("person", "score", "why"),
    [
        ("petra", "Kies een getal van 1 tot en met 10.", "Vul dit veld in."),
        ("ilse", "Choose a number from 1 to 10.", "Please fill in this field."),
    ],
)
async def test_a_refused_form_is_explained_in_the_persons_language(
    sb: Sandbox, http: aiohttp.ClientSession, person: str, score: str, why: str
) -> None:
    from sandbox import modals

    modals.open_modal(sb, sb.app, sb.user(person).id, check_view(SCORE_MODAL))
    answer = await act(http, person, "submit", values={"score": {"v": "11"}})
    assert answer["ok"] is False
    assert answer["field_errors"] == {"score": score, "why": why}
    assert sb.user(person).modal is not None  # nothing was sent; the form stays open
    answer = await act(
        http, person, "submit", values={"score": {"v": "7.5"}, "why": {"v": "x" * 25}}
    )
    assert answer["field_errors"]["score"] in (
        "Vul een heel getal in, zonder komma. Kies een getal van 1 tot en met 10.",
        "Please enter a whole number. Choose a number from 1 to 10.",
    )
    assert "25" in answer["field_errors"]["why"]


async def test_the_page_gets_the_channel_canvas_and_pins(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    client = AsyncWebClient(token=sb.app.bot_token, base_url=sb.api_url)
    await client.conversations_canvases_create(
        channel_id="C0CASUSDEMO",
        title="Veiligheidsplan",
        document_content={"type": "markdown", "markdown": "# Veiligheidsplan\n- **112**"},
    )
    plan = await client.chat_postMessage(channel="C0CASUSDEMO", text="Plan")
    await client.pins_add(channel="C0CASUSDEMO", timestamp=plan["ts"])
    async with http.get("/ui/api/state", params={"user": "karim", "channel": "casus-demo"}) as r:
        seen = await r.json()
    canvas = seen["conversation"]["canvas"]
    assert (canvas["title"], canvas["markdown"]) == (
        "Veiligheidsplan",
        "# Veiligheidsplan\n- **112**",
    )
    assert seen["conversation"]["messages"][0]["pinned_to"] == ["C0CASUSDEMO"]


async def test_a_private_answer_in_a_thread_shows_in_that_thread_only(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    client = AsyncWebClient(token=sb.app.bot_token, base_url=sb.api_url)
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg")
    question = await client.chat_postMessage(
        channel="C0CASUSDEMO", text="Vraag 1", thread_ts=parent["ts"]
    )
    await client.chat_postEphemeral(
        channel="C0CASUSDEMO", user="U0SANNE", text="Alleen regisseurs", thread_ts=question["ts"]
    )
    params = {"user": "sanne", "channel": "casus-demo", "thread": parent["ts"]}
    async with http.get("/ui/api/state", params=params) as r:
        seen = await r.json()
    assert seen["conversation"]["ephemerals"] == []
    assert [e["text"] for e in seen["thread"]["ephemerals"]] == ["Alleen regisseurs"]
