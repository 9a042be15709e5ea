"""Pins: the veiligheidsplan's fallback where canvases are not allowed is one pinned message."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        await call
    return str(info.value.response["error"])


async def test_a_pinned_message_says_so_and_is_listed(sb: Sandbox, client: AsyncWebClient):
    plan = await client.chat_postMessage(channel="C0CASUSDEMO", text="Veiligheidsplan")
    await client.chat_postMessage(channel="C0CASUSDEMO", text="Iets anders")
    await client.pins_add(channel="C0CASUSDEMO", timestamp=plan["ts"])

    stored = sb.message("casus-demo", plan["ts"])
    assert stored["pinned_to"] == ["C0CASUSDEMO"]
    assert stored["pinned_info"]["C0CASUSDEMO"]["pinned_by"] == sb.app.bot_user_id
    history = await client.conversations_history(channel="C0CASUSDEMO")
    assert [m.get("pinned_to") for m in history["messages"]] == [None, ["C0CASUSDEMO"]]
    [item] = (await client.pins_list(channel="C0CASUSDEMO"))["items"]
    assert (item["type"], item["channel"], item["message"]["ts"]) == (
        "message",
        "C0CASUSDEMO",
        plan["ts"],
    )

    # Updated in place, it stays pinned.
    await client.chat_update(channel="C0CASUSDEMO", ts=plan["ts"], text="Veiligheidsplan v2")
    assert sb.message("casus-demo", plan["ts"])["pinned_to"] == ["C0CASUSDEMO"]

    await client.pins_remove(channel="C0CASUSDEMO", timestamp=plan["ts"])
    assert "pinned_to" not in sb.message("casus-demo", plan["ts"])
    assert (await client.pins_list(channel="C0CASUSDEMO"))["items"] == []


async def test_pin_errors(sb: Sandbox, client: AsyncWebClient):
    plan = await client.chat_postMessage(channel="C0CASUSDEMO", text="Veiligheidsplan")
    await client.pins_add(channel="C0CASUSDEMO", timestamp=plan["ts"])
    assert await error_of(client.pins_add(channel="C0CASUSDEMO", timestamp=plan["ts"])) == (
        "already_pinned"
    )
    assert await error_of(client.pins_add(channel="C0CASUSDEMO", timestamp="1.000001")) == (
        "message_not_found"
    )
    assert await error_of(client.pins_add(channel="C0CASUSDEMO", timestamp="gisteren")) == (
        "bad_timestamp"
    )
    assert await error_of(client.pins_add(channel="C0CASUSDEMO")) == "no_item_specified"
    assert await error_of(client.pins_add(channel="C0NOSUCH", timestamp=plan["ts"])) == (
        "channel_not_found"
    )
    other = await client.chat_postMessage(channel="C0CASUSDEMO", text="niet vastgemaakt")
    assert await error_of(client.pins_remove(channel="C0CASUSDEMO", timestamp=other["ts"])) == (
        "no_pin"
    )

    # A thread parent deleted under its replies is a tombstone: nothing to pin.
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg")
    await client.chat_postMessage(channel="C0CASUSDEMO", text="r", thread_ts=parent["ts"])
    await client.chat_delete(channel="C0CASUSDEMO", ts=parent["ts"])
    assert await error_of(client.pins_add(channel="C0CASUSDEMO", timestamp=parent["ts"])) == (
        "not_pinnable"
    )


async def test_pins_need_their_scopes(sb: Sandbox):
    app = sb.install_app(
        name="Lezer", join=["casus-demo"], events=(), scopes=["chat:write", "pins:read"]
    )
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    posted = await client.chat_postMessage(channel="C0CASUSDEMO", text="plan")
    with pytest.raises(SlackApiError) as info:
        await client.pins_add(channel="C0CASUSDEMO", timestamp=posted["ts"])
    assert (info.value.response["error"], info.value.response["needed"]) == (
        "missing_scope",
        "pins:write",
    )
    assert (await client.pins_list(channel="C0CASUSDEMO"))["items"] == []
