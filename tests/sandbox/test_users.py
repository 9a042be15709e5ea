"""The test-user API: what each person sees after the bot answers through response_url."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from sandbox import ElementError, Sandbox, SettleTimeout


def button(action_id: str, label: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }


CONFIRM = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Bevestig geheimhouding"}},
    {
        "type": "actions",
        "block_id": "keuze",
        "elements": [
            button("confirm", "Akkoord", "ja"),
            button("dismiss", "Weg", "x"),
            button("everyone", "Deel", "x"),
            {"type": "datepicker", "action_id": "datum"},
            {"type": "users_select", "action_id": "wie"},
        ],
    },
]


@pytest.fixture
async def responder(sb: Sandbox, bolt_app: AsyncApp) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    @bolt_app.command("/casus")
    async def casus(ack, command):
        if command["text"] == "publiek":
            await ack(response_type="in_channel", text="Overleg gestart")
        else:
            await ack(text="Bevestig eerst", blocks=CONFIRM)

    @bolt_app.action("confirm")
    async def confirm(ack, respond, body):
        await ack()
        seen.append(body)
        await respond(text="Bevestigd", replace_original=True)

    @bolt_app.action("dismiss")
    async def dismiss(ack, respond):
        await ack()
        await respond(delete_original=True)

    @bolt_app.action("everyone")
    async def everyone(ack, respond):
        await ack()
        await respond(text="Voor iedereen", response_type="in_channel")

    @bolt_app.action("datum")
    @bolt_app.action("wie")
    async def picked(ack, body):
        await ack()
        seen.append(body)

    await bolt_app.connect()  # type: ignore[attr-defined]
    return seen


async def test_ack_with_blocks_is_an_ephemeral_that_can_be_replaced(sb: Sandbox, responder):
    bram = sb.user("gast_bram")
    await bram.slash("/casus", channel="algemeen")
    [prompt] = bram.ephemerals("algemeen")
    assert prompt["text"] == "Bevestig eerst" and prompt["blocks"][1]["block_id"] == "keuze"
    await bram.click("confirm", channel="algemeen")
    await sb.settle()
    [replaced] = bram.ephemerals("algemeen")
    assert replaced["text"] == "Bevestigd" and "blocks" not in replaced
    body = responder[0]
    assert body["container"]["is_ephemeral"] is True and "message" not in body
    assert sb.messages("algemeen") == []


async def test_delete_original_and_in_channel(sb: Sandbox, responder):
    bram = sb.user("gast_bram")
    await bram.slash("/casus", channel="algemeen")
    await bram.click("dismiss", channel="algemeen")
    await sb.settle()
    assert bram.ephemerals() == []
    await bram.slash("/casus", channel="algemeen")
    await bram.click("everyone", channel="algemeen")
    await sb.settle()
    assert [m["text"] for m in sb.messages("algemeen")] == ["Voor iedereen"]
    await sb.user("petra").slash("/casus", "publiek", channel="casus-demo")
    assert sb.messages("casus-demo")[-1]["text"] == "Overleg gestart"


async def test_pickers_send_their_values(sb: Sandbox, responder):
    karim = sb.user("karim")
    await karim.slash("/casus", channel="casus-demo")
    await karim.select("datum", "2025-04-01", channel="casus-demo")
    await karim.select("wie", "lotte", channel="casus-demo")
    await sb.settle()
    date_body, user_body = responder
    assert date_body["actions"][0]["selected_date"] == "2025-04-01"
    assert user_body["actions"][0]["selected_user"] == "U0LOTTE"
    assert user_body["state"]["values"]["keuze"]["datum"] == {
        "type": "datepicker",
        "selected_date": "2025-04-01",
    }


async def test_missing_elements_and_foreign_messages_are_clear_errors(sb: Sandbox, responder):
    petra = sb.user("petra")
    await petra.slash("/casus", channel="casus-demo")
    with pytest.raises(ElementError, match=r"no element with action_id 'stem'.*keuze/confirm"):
        await petra.click("stem", channel="casus-demo")
    with pytest.raises(ElementError, match="use select"):
        await petra.click("datum", channel="casus-demo")
    # petra's ephemeral is not karim's to click
    with pytest.raises(ElementError):
        await sb.user("karim").click("confirm", channel="casus-demo")
    with pytest.raises(ElementError, match="not in #casus-demo"):
        await sb.user("gast_bram").click("confirm", channel="casus-demo")


async def test_people_post_in_threads_and_dms(sb: Sandbox):
    sb.install_app(events=())
    petra, karim = sb.user("petra"), sb.user("karim")
    parent = await petra.post("casus-demo", "Vraag over de planning")
    reply = await karim.post("casus-demo", "Donderdag kan ik", thread_ts=parent)
    await petra.post("casus-demo", "Prima", thread_ts=reply)  # lands in the same thread
    assert [m["text"] for m in sb.messages("casus-demo", thread_ts=parent)] == [
        "Donderdag kan ik",
        "Prima",
    ]
    assert sb.message("casus-demo", parent)["reply_count"] == 2
    await karim.post_dm("Vraagje")
    assert [m["text"] for m in karim.dms()] == ["Vraagje"]
    with pytest.raises(PermissionError):
        await sb.user("gast_bram").post("casus-demo", "Mag ik erbij?")
    with pytest.raises(PermissionError):
        await karim.edit("casus-demo", parent, "niet van mij")


async def test_settle_gives_up_on_a_bot_that_never_acks(sb: Sandbox):
    sb.install_app(join=["casus-demo"])  # Socket Mode, but nobody connects
    await sb.user("petra").post("casus-demo", "Hallo?")
    with pytest.raises(SettleTimeout, match="event"):
        await sb.settle(max_wait=0.2)


async def test_tampered_click_sends_a_forged_value(sb: Sandbox, responder):
    petra = sb.user("petra")
    await petra.slash("/casus", channel="casus-demo")
    await petra.click("confirm", channel="casus-demo", tamper={"value": "nee"})
    await sb.settle()
    assert responder[0]["actions"][0]["value"] == "nee"
