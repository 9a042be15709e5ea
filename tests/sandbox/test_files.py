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
        channel="C0CASUSDEMO", thread_ts=parent["ts"], content=content,
        filename="verslag.md", title="Verslag", initial_comment="Het verslag")
    file_id = resp["file"]["id"]
    assert sb.file(file_id).content == content.encode()
    [reply] = sb.messages("casus-demo", thread_ts=parent["ts"])
    assert reply["text"] == "Het verslag" and reply["bot_id"] == sb.app.bot_id
    assert [(f["id"], f["title"]) for f in reply["files"]] == [(file_id, "Verslag")]
    info = await client.files_info(file=file_id)
    async with aiohttp.ClientSession() as http, http.get(
            info["file"]["url_private"],
            headers={"Authorization": f"Bearer {sb.app.bot_token}"}) as download:
        assert await download.read() == content.encode()


async def test_completion_without_upload_fails(client: AsyncWebClient):
    url = await client.files_getUploadURLExternal(filename="leeg.txt", length=3)
    with pytest.raises(SlackApiError) as info:
        await client.files_completeUploadExternal(files=[{"id": url["file_id"]}],
                                                  channel_id="C0CASUSDEMO")
    assert info.value.response["error"] == "file_upload_not_completed"


async def test_upload_to_channel_without_bot(client: AsyncWebClient):
    with pytest.raises(SlackApiError) as info:
        await client.files_upload_v2(channel="C0ALGEMEEN", content="x", filename="x.txt")
    assert info.value.response["error"] == "not_in_channel"
