"""Channel canvases: created, edited, deleted and refused the way Slack does it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import App, Sandbox

PLAN = "# Veiligheidsplan\n\n## Bodemeisen\n- **Geen alcohol** in huis (Karim)\n"


def markdown(text: str) -> dict[str, str]:
    return {"type": "markdown", "markdown": text}


async def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        await call
    return dict(info.value.response.data)


async def test_a_channel_canvas_is_created_shown_edited_and_deleted(
    sb: Sandbox, client: AsyncWebClient
):
    created = await client.conversations_canvases_create(
        channel_id="C0CASUSDEMO", document_content=markdown(PLAN), title="Veiligheidsplan"
    )
    canvas_id = created["canvas_id"]
    assert canvas_id.startswith("F") and sb.canvas("casus-demo") == PLAN

    info = await client.conversations_info(channel="C0CASUSDEMO")
    assert info["channel"]["properties"]["canvas"]["file_id"] == canvas_id
    assert info["channel"]["properties"]["canvas"]["is_empty"] is False
    file = (await client.files_info(file=canvas_id))["file"]
    assert (file["title"], file["filetype"], file["pretty_type"]) == (
        "Veiligheidsplan",
        "quip",
        "Canvas",
    )

    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[
            {"operation": "replace", "document_content": markdown("# Veiligheidsplan\nversie 2\n")}
        ],
    )
    assert sb.canvas("casus-demo") == "# Veiligheidsplan\nversie 2\n"
    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[
            {"operation": "insert_at_end", "document_content": markdown("Bij acuut gevaar: 112.")}
        ],
    )
    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[
            {
                "operation": "insert_at_start",
                "document_content": markdown("> Niet met de hand bewerken"),
            }
        ],
    )
    assert sb.canvas("casus-demo") == (
        "> Niet met de hand bewerken\n# Veiligheidsplan\nversie 2\nBij acuut gevaar: 112."
    )
    await client.canvases_edit(
        canvas_id=canvas_id,
        changes=[
            {"operation": "rename", "title_content": markdown("Veiligheidsplan ZVH-2025-014")}
        ],
    )
    assert (await client.files_info(file=canvas_id))["file"]["title"] == (
        "Veiligheidsplan ZVH-2025-014"
    )

    await client.canvases_delete(canvas_id=canvas_id)
    assert sb.canvas("casus-demo") is None
    info = await client.conversations_info(channel="C0CASUSDEMO")
    assert "properties" not in info["channel"]
    assert (
        await error_of(
            client.canvases_edit(
                canvas_id=canvas_id,
                changes=[{"operation": "replace", "document_content": markdown("x")}],
            )
        )
    )["error"] == ("canvas_not_found")
    assert (await error_of(client.files_info(file=canvas_id)))["error"] == "file_deleted"


async def test_one_canvas_per_channel_and_only_where_the_bot_is(client: AsyncWebClient):
    await client.conversations_canvases_create(
        channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
    )
    again = await error_of(
        client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )
    assert again["error"] == "channel_canvas_already_exists"
    public = await error_of(
        client.conversations_canvases_create(
            channel_id="C0ALGEMEEN", document_content=markdown(PLAN)
        )
    )
    assert public["error"] == "not_in_channel"
    missing = await error_of(
        client.conversations_canvases_create(channel_id="C0NOSUCH", document_content=markdown(PLAN))
    )
    assert missing["error"] == "channel_not_found"


async def test_a_team_without_canvases_refuses_them(sb: Sandbox, client: AsyncWebClient):
    sb.settings(canvases="team_tier")
    refused = await error_of(
        client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )
    assert refused["error"] == "team_tier_cannot_create_channel_canvases"
    assert sb.canvas("casus-demo") is None

    sb.settings(canvases="on")
    canvas_id = (
        await client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )["canvas_id"]
    sb.settings(canvases="disabled")  # an admin turns canvases off afterwards
    edit = await error_of(
        client.canvases_edit(
            canvas_id=canvas_id,
            changes=[{"operation": "replace", "document_content": markdown("x")}],
        )
    )
    assert edit["error"] == "canvas_disabled_user_team"
    assert sb.canvas("casus-demo") == PLAN


async def test_canvas_methods_need_canvases_write(sb: Sandbox):
    app = sb.install_app(
        name="Zonder", join=["casus-demo"], events=(), scopes=["chat:write", "groups:read"]
    )
    client = AsyncWebClient(token=app.bot_token, base_url=sb.api_url)
    refused = await error_of(
        client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )
    assert (refused["error"], refused["needed"]) == ("missing_scope", "canvases:write")


async def test_bad_edits_change_nothing(sb: Sandbox, client: AsyncWebClient):
    canvas_id = (
        await client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )["canvas_id"]
    two = [{"operation": "insert_at_end", "document_content": markdown("a")}] * 2
    assert (await error_of(client.canvases_edit(canvas_id=canvas_id, changes=two)))[
        "error"
    ] == "invalid_arguments"
    wrong_type = [{"operation": "replace", "document_content": {"type": "html", "html": "x"}}]
    assert (await error_of(client.canvases_edit(canvas_id=canvas_id, changes=wrong_type)))[
        "error"
    ] == "invalid_arguments"
    by_section = [{"operation": "delete", "section_id": "temp:C:AAA"}]
    assert (await error_of(client.canvases_edit(canvas_id=canvas_id, changes=by_section)))[
        "error"
    ] == "not_supported"
    assert (
        await error_of(
            client.canvases_edit(
                canvas_id="F0NOSUCH",
                changes=[{"operation": "replace", "document_content": markdown("x")}],
            )
        )
    )["error"] == ("canvas_not_found")
    assert sb.canvas("casus-demo") == PLAN


async def test_files_delete_removes_a_canvas_and_the_bot_outside_loses_it(
    sb: Sandbox, app: App, client: AsyncWebClient
):
    canvas_id = (
        await client.conversations_canvases_create(
            channel_id="C0CASUSDEMO", document_content=markdown(PLAN)
        )
    )["canvas_id"]
    other = sb.install_app(name="Ander", events=())
    outsider = AsyncWebClient(token=other.bot_token, base_url=sb.api_url)
    assert (await error_of(outsider.canvases_delete(canvas_id=canvas_id)))["error"] == (
        "canvas_not_found"
    )
    await client.files_delete(file=canvas_id)
    assert sb.canvas("casus-demo") is None
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{sb.url}files/{canvas_id}/Canvas",
            headers={"Authorization": f"Bearer {app.bot_token}"},
        ) as download,
    ):
        assert download.status == 404
