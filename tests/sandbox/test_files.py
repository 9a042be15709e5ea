"""File upload v2 through slack_sdk's files_upload_v2: URL, upload POST, completion, sharing."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import Sandbox


async def test_upload_v2_round_trip_into_a_thread(sb: Sandbox, client: AsyncWebClient):
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg 14 maart")
    content = "Afspraken\n- Huisbezoek (Karim)\n"
    resp = await client.files_upload_v2(
        channel="C0CASUSDEMO",
        thread_ts=parent["ts"],
        content=content,
        filename="verslag.md",
        title="Verslag",
        initial_comment="Het verslag",
    )
    file_id = resp["file"]["id"]
    assert sb.file(file_id).content == content.encode()
    [reply] = sb.messages("casus-demo", thread_ts=parent["ts"])
    assert reply["text"] == "Het verslag" and reply["bot_id"] == sb.app.bot_id
    assert [(f["id"], f["title"]) for f in reply["files"]] == [(file_id, "Verslag")]
    info = await client.files_info(file=file_id)
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            info["file"]["url_private"], headers={"Authorization": f"Bearer {sb.app.bot_token}"}
        ) as download,
    ):
        assert await download.read() == content.encode()


async def test_completion_without_upload_fails(client: AsyncWebClient):
    url = await client.files_getUploadURLExternal(filename="leeg.txt", length=3)
    with pytest.raises(SlackApiError) as info:
        await client.files_completeUploadExternal(
            files=[{"id": url["file_id"]}], channel_id="C0CASUSDEMO"
        )
    assert info.value.response["error"] == "file_upload_not_completed"


async def test_upload_to_channel_without_bot(client: AsyncWebClient):
    with pytest.raises(SlackApiError) as info:
        await client.files_upload_v2(channel="C0ALGEMEEN", content="x", filename="x.txt")
    assert info.value.response["error"] == "not_in_channel"


async def download_status(sb: Sandbox, url: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(url, headers={"Authorization": f"Bearer {sb.app.bot_token}"}) as response,
    ):
        return response.status


async def test_files_delete_removes_the_file_everywhere(sb: Sandbox, client: AsyncWebClient):
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg 14 maart")
    report = await client.files_upload_v2(
        channel="C0CASUSDEMO", thread_ts=parent["ts"], content="verslag", filename="v.md"
    )
    chart = await client.files_upload_v2(
        channel="C0CASUSDEMO", content=b"png", filename="trend.png", initial_comment="Trend"
    )
    report_id, chart_id = report["file"]["id"], chart["file"]["id"]
    # files.info says where each was shared, so a purge can find the messages to delete.
    shares = (await client.files_info(file=chart_id))["file"]["shares"]["private"]
    chart_ts = shares["C0CASUSDEMO"][0]["ts"]
    url = (await client.files_info(file=report_id))["file"]["url_private"]

    await client.files_delete(file=report_id)
    await client.files_delete(file=chart_id)
    # A file-only reply disappears; a message with a comment keeps the comment.
    assert sb.messages("casus-demo", thread_ts=parent["ts"]) == []
    assert sb.message("casus-demo", chart_ts)["files"] == [{"id": chart_id, "mode": "tombstone"}]
    assert sb.message("casus-demo", chart_ts)["text"] == "Trend"
    assert await download_status(sb, url) == 404
    for file_id in (report_id, chart_id):
        with pytest.raises(SlackApiError) as info:
            await client.files_info(file=file_id)
        assert info.value.response["error"] == "file_deleted"
    with pytest.raises(SlackApiError) as info:
        await client.files_delete(file=report_id)
    assert info.value.response["error"] == "file_deleted"
    with pytest.raises(SlackApiError) as info:
        await client.files_delete(file="F0NOSUCH")
    assert info.value.response["error"] == "file_not_found"


async def test_the_bot_cannot_delete_a_persons_file(sb: Sandbox, client: AsyncWebClient):
    file_id = await sb.user("karim").upload("casus-demo", "eigen notitie", "notitie.txt")
    with pytest.raises(SlackApiError) as info:
        await client.files_delete(file=file_id)
    assert info.value.response["error"] == "cant_delete_file"
    assert sb.file(file_id).content == b"eigen notitie"
    [shared] = sb.messages("casus-demo")
    assert shared["user"] == "U0KARIM" and shared["files"][0]["id"] == file_id
