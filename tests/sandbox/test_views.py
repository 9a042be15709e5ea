"""Modals and home tabs: views.open/push/update/publish, submissions and their responses."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from sandbox import InputRejected, Sandbox


def text(t: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": t}


def opt(label: str, value: str) -> dict[str, Any]:
    return {"text": text(label), "value": value}


def field(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": text(block_id),
        "element": element,
        "optional": optional,
    }


AGREEMENT_MODAL = {
    "type": "modal",
    "callback_id": "afspraak",
    "title": text("Nieuwe afspraak"),
    "submit": text("Opslaan"),
    "close": text("Annuleren"),
    "notify_on_close": True,
    "private_metadata": json.dumps({"case": "ZVH-2025-014"}),
    "blocks": [
        field("wat", {"type": "plain_text_input", "action_id": "v", "max_length": 200}),
        field(
            "soort",
            {
                "type": "static_select",
                "action_id": "v",
                "options": [opt("Actie", "action"), opt("Bodemeis", "bodemeis")],
            },
        ),
        field("wie", {"type": "users_select", "action_id": "v"}),
        field("bewaken", {"type": "multi_users_select", "action_id": "v"}, optional=True),
        field("wanneer", {"type": "datepicker", "action_id": "v"}),
        field("tijd", {"type": "timepicker", "action_id": "v"}, optional=True),
        field(
            "checks",
            {
                "type": "checkboxes",
                "action_id": "v",
                "options": [opt("Wekelijks", "weekly"), opt("Escaleren", "escalate")],
            },
            optional=True,
        ),
        field(
            "fase",
            {
                "type": "radio_buttons",
                "action_id": "v",
                "options": [opt("1", "1"), opt("2", "2"), opt("3", "3")],
            },
            optional=True,
        ),
        field(
            "score",
            {
                "type": "number_input",
                "action_id": "v",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "10",
            },
            optional=True,
        ),
        {
            "type": "actions",
            "block_id": "extra",
            "elements": [{"type": "button", "action_id": "details", "text": text("Meer")}],
        },
    ],
}


@pytest.fixture
async def modal_bot(sb: Sandbox, bolt_app: AsyncApp) -> list[dict[str, Any]]:
    """Opens AGREEMENT_MODAL on /afspraak; answers submissions from a script of responses."""
    seen: list[dict[str, Any]] = []
    responses: list[dict[str, Any] | None] = []
    bolt_app.responses = responses  # type: ignore[attr-defined]

    @bolt_app.command("/afspraak")
    async def open_modal(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=AGREEMENT_MODAL)

    @bolt_app.view("afspraak")
    async def submitted(ack, body):
        seen.append(body)
        answer = responses.pop(0) if responses else None
        await (ack(**answer) if answer else ack())

    @bolt_app.view_closed("afspraak")
    async def closed(ack, body):
        seen.append(body)
        await ack()

    @bolt_app.action("details")
    async def details(ack, body, client):
        await ack()
        seen.append(body)
        await client.views_push(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "title": text("Details"),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Toelichting"}}],
            },
        )

    await bolt_app.connect()  # type: ignore[attr-defined]
    return seen


async def test_submission_state_values_in_slacks_shapes(sb: Sandbox, modal_bot):
    petra = sb.user("petra")
    await petra.slash("/afspraak", channel="casus-demo")
    await sb.settle()
    assert petra.modal["title"]["text"] == "Nieuwe afspraak"
    ack = await petra.submit(
        {
            "wat": {"v": "Huisbezoek plannen"},
            "soort": {"v": "bodemeis"},
            "wie": {"v": "karim"},
            "bewaken": {"v": ["sanne", "U0ILSE"]},
            "wanneer": {"v": "2025-03-14"},
            "tijd": {"v": "09:30"},
            "checks": {"v": ["weekly"]},
            "fase": {"v": "2"},
            "score": {"v": 7},
        }
    )
    assert ack is None and petra.modal is None
    view = modal_bot[0]["view"]
    values = {b: a["v"] for b, a in view["state"]["values"].items()}
    assert values["wat"] == {"type": "plain_text_input", "value": "Huisbezoek plannen"}
    assert values["soort"]["selected_option"] == opt("Bodemeis", "bodemeis")
    assert values["wie"] == {"type": "users_select", "selected_user": "U0KARIM"}
    assert values["bewaken"]["selected_users"] == ["U0SANNE", "U0ILSE"]
    assert values["wanneer"]["selected_date"] == "2025-03-14"
    assert values["tijd"]["selected_time"] == "09:30"
    assert values["checks"]["selected_options"] == [opt("Wekelijks", "weekly")]
    assert values["fase"]["selected_option"]["value"] == "2"
    assert values["score"] == {"type": "number_input", "value": "7"}
    assert json.loads(view["private_metadata"]) == {"case": "ZVH-2025-014"}
    assert view["callback_id"] == "afspraak"


async def test_errors_keep_the_modal_open(sb: Sandbox, bolt_app: AsyncApp, modal_bot):
    bolt_app.responses.append(  # type: ignore[attr-defined]
        {"response_action": "errors", "errors": {"wat": "Geen BSN in vrije tekst"}}
    )
    petra = sb.user("petra")
    await petra.slash("/afspraak", channel="casus-demo")
    await sb.settle()
    filled = {
        "wat": {"v": "123456782"},
        "soort": {"v": "action"},
        "wie": {"v": "petra"},
        "wanneer": {"v": "2025-03-14"},
    }
    ack = await petra.submit(filled)
    assert ack == {"response_action": "errors", "errors": {"wat": "Geen BSN in vrije tekst"}}
    assert petra.modal is not None
    # The typed values are kept, so a corrected submit only changes what changed.
    assert await petra.submit({"wat": {"v": "Huisbezoek"}}) is None
    assert modal_bot[-1]["view"]["state"]["values"]["soort"]["v"]["selected_option"]["value"] == (
        "action"
    )


async def test_client_side_checks(sb: Sandbox, modal_bot):
    petra = sb.user("petra")
    await petra.slash("/afspraak", channel="casus-demo")
    await sb.settle()
    with pytest.raises(InputRejected, match="soort: required"):
        await petra.submit({"wat": {"v": "x"}})
    with pytest.raises(LookupError, match="no option 'nope'"):
        await petra.submit({"soort": {"v": "nope"}})
    with pytest.raises(LookupError, match="YYYY-MM-DD"):
        await petra.submit({"wanneer": {"v": "14-03-2025"}})
    filled = {
        "wat": {"v": "x"},
        "soort": {"v": "action"},
        "wie": {"v": "petra"},
        "wanneer": {"v": "2025-03-14"},
    }
    with pytest.raises(InputRejected, match="score: above max_value"):
        await petra.submit({**filled, "score": {"v": 11}})
    await petra.submit({**filled, "score": {"v": None}, "bewaken": {"v": "sanne"}})
    assert modal_bot[-1]["view"]["state"]["values"]["bewaken"]["v"]["selected_users"] == ["U0SANNE"]


async def test_update_push_and_clear_responses(sb: Sandbox, bolt_app: AsyncApp, modal_bot):
    step2 = {
        "type": "modal",
        "callback_id": "afspraak",
        "title": text("Stap 2"),
        "submit": text("Klaar"),
        "blocks": [field("wat", {"type": "plain_text_input", "action_id": "v"})],
    }
    bolt_app.responses.extend(
        [  # type: ignore[attr-defined]
            {"response_action": "update", "view": step2},
            {"response_action": "push", "view": step2},
            {"response_action": "clear"},
        ]
    )
    petra = sb.user("petra")
    await petra.slash("/afspraak", channel="casus-demo")
    await sb.settle()
    first_id = petra.modal["id"]
    filled = {
        "wat": {"v": "a"},
        "soort": {"v": "action"},
        "wie": {"v": "petra"},
        "wanneer": {"v": "2025-03-14"},
    }
    await petra.submit(filled)
    assert petra.modal["title"]["text"] == "Stap 2" and petra.modal["id"] == first_id
    assert petra.modal["state"]["values"]["wat"]["v"]["value"] == "a"  # same ids: kept
    await petra.submit()
    assert len(petra.modal_stack) == 2
    await petra.submit({"wat": {"v": "b"}})  # the pushed view starts empty
    assert petra.modal is None


async def test_button_in_modal_pushes_and_close_notifies(sb: Sandbox, modal_bot):
    petra = sb.user("petra")
    await petra.slash("/afspraak", channel="casus-demo")
    await sb.settle()
    await petra.select("v", "Concept", view="modal", block_id="wat")
    await petra.click("details")
    await sb.settle()
    assert [v["title"]["text"] for v in petra.modal_stack] == ["Nieuwe afspraak", "Details"]
    action = modal_bot[0]
    assert action["container"]["type"] == "view"
    assert action["view"]["state"]["values"]["wat"]["v"]["value"] == "Concept"
    await petra.close_modal()  # closes "Details", back to the first
    await petra.close_modal()
    await sb.settle()
    assert petra.modal is None
    assert modal_bot[-1]["type"] == "view_closed"


async def test_triggers_expire_and_are_single_use(sb: Sandbox, bolt_app: AsyncApp):
    results: list[str] = []
    sb.trigger_ttl = 0.01
    simple = {
        "type": "modal",
        "title": text("Test"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }

    @bolt_app.command("/laat")
    async def late(ack, body, client):
        await ack()
        await asyncio.sleep(0.03)  # shorter than sb.quiet, so settle() still waits for us
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=simple)
        except SlackApiError as exc:
            results.append(exc.response["error"])

    @bolt_app.command("/dubbel")
    async def twice(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=simple)
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=simple)
        except SlackApiError as exc:
            results.append(exc.response["error"])

    await bolt_app.connect()  # type: ignore[attr-defined]
    await sb.user("karim").slash("/laat")
    await sb.settle()
    sb.trigger_ttl = 3.0
    await sb.user("karim").slash("/dubbel")
    await sb.settle()
    assert results == ["expired_trigger_id", "exchanged_trigger_id"]


async def test_invalid_views_are_rejected(sb: Sandbox, bolt_app: AsyncApp):
    errors: list[dict[str, Any]] = []

    @bolt_app.command("/fout")
    async def bad(ack, body, client):
        await ack()
        for view in (
            {**AGREEMENT_MODAL, "title": text("Een veel te lange titel voor Slack")},
            {**AGREEMENT_MODAL, "private_metadata": "x" * 3001},
            {**AGREEMENT_MODAL, "submit": None},
            {**AGREEMENT_MODAL, "blocks": [{"type": "divider"}] * 101},
        ):
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=view)
            except SlackApiError as exc:
                errors.append(exc.response.data)

    await bolt_app.connect()  # type: ignore[attr-defined]
    await sb.user("karim").slash("/fout")
    await sb.settle()
    assert [e["error"] for e in errors] == ["invalid_arguments"] * 4
    messages = [" ".join(e["response_metadata"]["messages"]) for e in errors]
    assert "/view/title/text" in messages[0] and "private_metadata" in messages[1]
    assert "submit is required" in messages[2] and "100" in messages[3]
    assert sb.user("karim").modal is None


async def test_home_tab_publish_update_and_click(sb: Sandbox, bolt_app: AsyncApp):
    clicks: list[dict[str, Any]] = []

    @bolt_app.event("app_home_opened")
    async def home(event, client):
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "external_id": f"home-{event['user']}",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*Mijn casussen*"}},
                    {
                        "type": "actions",
                        "elements": [
                            {"type": "button", "action_id": "refresh", "text": text("Vernieuwen")}
                        ],
                    },
                ],
            },
        )

    @bolt_app.action("refresh")
    async def refresh(ack, body, client):
        await ack()
        clicks.append(body)
        stale = await client.views_update(
            external_id=f"home-{body['user']['id']}",
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Bijgewerkt*"}}],
            },
            hash=body["view"]["hash"],
        )
        try:
            await client.views_update(
                view_id=stale["view"]["id"],
                hash=body["view"]["hash"],
                view={"type": "home", "blocks": []},
            )
        except SlackApiError as exc:
            clicks.append({"error": exc.response["error"]})

    await bolt_app.connect()  # type: ignore[attr-defined]
    joost = sb.user("joost")
    assert joost.home is None
    await joost.open_home()
    await sb.settle()
    assert joost.home["blocks"][0]["text"]["text"] == "*Mijn casussen*"
    await joost.click("refresh", view="home")
    await sb.settle()
    assert joost.home["blocks"][0]["text"]["text"] == "*Bijgewerkt*"
    assert clicks[0]["view"]["type"] == "home" and clicks[-1] == {"error": "hash_conflict"}
    assert sb.user("ilse").home is None
