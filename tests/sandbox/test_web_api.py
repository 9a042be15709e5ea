"""The Web API answers like Slack, through an unchanged slack_sdk AsyncWebClient."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import App, Sandbox

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Casus *ZVH-2025-014*"}}


async def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def test_auth_test_names_the_bot_and_team(client: AsyncWebClient, app: App):
    resp = await client.auth_test()
    assert resp["team"] == "ZVH Midden-Nederland"
    assert resp["team_id"].startswith("T0ZVH")
    assert (resp["user_id"], resp["bot_id"]) == (app.bot_user_id, app.bot_id)


async def test_post_message_stores_blocks_metadata_and_ids(client: AsyncWebClient, sb: Sandbox):
    resp = await client.chat_postMessage(
        channel="C0CASUSDEMO",
        text="Casus",
        blocks=[SECTION],
        unfurl_links=False,
        metadata={"event_type": "meeting", "event_payload": {"id": 7}},
    )
    [stored] = sb.messages("casus-demo")
    assert stored["ts"] == resp["ts"] and stored["bot_id"] == sb.app.bot_id
    assert stored["blocks"][0]["block_id"]  # Slack fills in missing block ids
    assert stored["metadata"]["event_payload"] == {"id": 7}


async def test_channel_names_work_like_ids(client: AsyncWebClient, sb: Sandbox):
    resp = await client.chat_postMessage(channel="#casus-demo", text="hoi")
    assert resp["channel"] == "C0CASUSDEMO"


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3000"),
        ([{"type": "section"}], "text or fields"),
        ([{"type": "no_such_block"}], "unsupported type"),
        ([{"type": "section", "text": "a plain string"}], "must provide an object"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "acton_id": "typo",
                            "text": {"type": "plain_text", "text": "Stem"},
                        }
                    ],
                }
            ],
            "acton_id",
        ),
        ([SECTION] * 51, "no more than 50 items"),
    ],
)
async def test_invalid_blocks_are_rejected(client: AsyncWebClient, sb: Sandbox, blocks, fragment):
    err = await error_of(client.chat_postMessage(channel="C0CASUSDEMO", text="x", blocks=blocks))
    assert err.response["error"] == "invalid_blocks"
    assert fragment in json.dumps(err.response["errors"])
    assert sb.messages("casus-demo") == []


async def test_fifty_blocks_are_fine(client: AsyncWebClient):
    resp = await client.chat_postMessage(channel="C0CASUSDEMO", text="x", blocks=[SECTION] * 50)
    assert resp["ok"]


async def test_missing_arguments(client: AsyncWebClient):
    err = await error_of(client.api_call("chat.postMessage", json={"channel": "C0CASUSDEMO"}))
    assert err.response["error"] == "no_text"
    assert (await error_of(client.api_call("chat.postMessage", json={"text": "x"}))).response[
        "error"
    ] == "channel_not_found"
    err = await error_of(client.api_call("users.info", params={}))
    assert err.response["error"] == "invalid_arguments"
    assert "user" in err.response["response_metadata"]["messages"][0]


async def test_unknown_method(client: AsyncWebClient):
    err = await error_of(client.api_call("chat.postMassage", json={"text": "x"}))
    assert err.response["error"] == "unknown_method"


async def test_bot_outside_channel(client: AsyncWebClient):
    # Public channel the bot has not joined: visible but not writable.
    err = await error_of(client.chat_postMessage(channel="C0ALGEMEEN", text="x"))
    assert err.response["error"] == "not_in_channel"
    info = await client.conversations_info(channel="C0ALGEMEEN")
    assert info["channel"]["is_member"] is False
    # A private channel the bot is not in does not exist for it.
    await client.conversations_kick(channel="C0CASUSDEMO", user="U0ILSE")
    err = await error_of(client.conversations_create(name="casus-demo"))
    assert err.response["error"] == "name_taken"


async def test_private_channel_without_bot_is_invisible(sb: Sandbox, client: AsyncWebClient):
    secret = sb.create_channel("casus-geheim", private=True, members=["petra"])
    err = await error_of(client.chat_postMessage(channel=secret.id, text="x"))
    assert err.response["error"] == "channel_not_found"


async def test_tokens_are_checked(sb: Sandbox, app: App):
    bad = AsyncWebClient(token="xoxb-nope", base_url=sb.api_url)
    assert (await error_of(bad.auth_test())).response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=sb.api_url)
    assert (await error_of(anonymous.auth_test())).response["error"] == "not_authed"
    # The token may also come in the form body, as older clients send it.
    async with (
        aiohttp.ClientSession() as http,
        http.post(sb.api_url + "auth.test", data={"token": app.bot_token}) as resp,
    ):
        assert (await resp.json())["ok"] is True
    app_level = AsyncWebClient(token=app.app_token, base_url=sb.api_url)
    err = await error_of(app_level.chat_postMessage(channel="C0CASUSDEMO", text="x"))
    assert err.response["error"] == "not_allowed_token_type"


async def test_threads_replies_and_broadcast(client: AsyncWebClient, sb: Sandbox):
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg 1")
    r1 = await client.chat_postMessage(
        channel="C0CASUSDEMO", text="Vraag 1", thread_ts=parent["ts"]
    )
    await client.chat_postMessage(
        channel="C0CASUSDEMO", text="Besluit", thread_ts=r1["ts"], reply_broadcast=True
    )
    thread = await client.conversations_replies(channel="C0CASUSDEMO", ts=parent["ts"])
    assert [m["text"] for m in thread["messages"]] == ["Overleg 1", "Vraag 1", "Besluit"]
    assert thread["messages"][0]["reply_count"] == 2
    history = await client.conversations_history(channel="C0CASUSDEMO")
    assert [m["text"] for m in history["messages"]] == ["Besluit", "Overleg 1"]  # newest first
    assert [m["text"] for m in sb.messages("casus-demo", thread_ts=parent["ts"])] == [
        "Vraag 1",
        "Besluit",
    ]
    err = await error_of(client.conversations_replies(channel="C0CASUSDEMO", ts="1.000001"))
    assert err.response["error"] == "thread_not_found"


async def test_history_pages_with_cursor(client: AsyncWebClient):
    for i in range(5):
        await client.chat_postMessage(channel="C0CASUSDEMO", text=f"m{i}")
    first = await client.conversations_history(channel="C0CASUSDEMO", limit=3)
    assert first["has_more"] and len(first["messages"]) == 3
    rest = await client.conversations_history(
        channel="C0CASUSDEMO", limit=3, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["m1", "m0"]
    assert rest["response_metadata"]["next_cursor"] == ""


async def test_update_and_delete(client: AsyncWebClient, sb: Sandbox):
    posted = await client.chat_postMessage(channel="C0CASUSDEMO", text="oud", blocks=[SECTION])
    await client.chat_update(channel="C0CASUSDEMO", ts=posted["ts"], text="nieuw")
    stored = sb.message("casus-demo", posted["ts"])
    assert stored["text"] == "nieuw" and stored["blocks"]  # blocks kept when not sent
    assert stored["edited"]["user"] == sb.app.bot_user_id
    await client.chat_delete(channel="C0CASUSDEMO", ts=posted["ts"])
    assert sb.messages("casus-demo") == []
    err = await error_of(client.chat_update(channel="C0CASUSDEMO", ts=posted["ts"], text="x"))
    assert err.response["error"] == "message_not_found"


async def test_bot_cannot_edit_a_person(client: AsyncWebClient, sb: Sandbox):
    ts = await sb.user("petra").post("casus-demo", "Mijn inbreng")
    err = await error_of(client.chat_update(channel="C0CASUSDEMO", ts=ts, text="x"))
    assert err.response["error"] == "cant_update_message"


async def test_ephemeral_is_only_for_its_user(client: AsyncWebClient, sb: Sandbox):
    resp = await client.chat_postEphemeral(channel="C0CASUSDEMO", user="U0KARIM", text="Alleen jij")
    assert resp["message_ts"]
    assert [m["text"] for m in sb.user("karim").ephemerals("casus-demo")] == ["Alleen jij"]
    assert sb.user("petra").ephemerals() == []
    assert sb.messages("casus-demo") == []
    err = await error_of(
        client.chat_postEphemeral(channel="C0CASUSDEMO", user="U0GASTBRAM", text="x")
    )
    assert err.response["error"] == "user_not_in_channel"


async def test_dm_by_user_id_and_conversations_open(client: AsyncWebClient, sb: Sandbox):
    opened = await client.conversations_open(users="U0SANNE")
    dm_id = opened["channel"]["id"]
    assert dm_id.startswith("D")
    await client.chat_postMessage(channel="U0SANNE", text="Voorbereiding klaarzetten?")
    await client.chat_postMessage(channel=dm_id, text="Tweede")
    assert [m["text"] for m in sb.user("sanne").dms()] == ["Voorbereiding klaarzetten?", "Tweede"]
    assert sb.user("petra").dms() == []
    again = await client.conversations_open(users="U0SANNE")
    assert again["channel"]["id"] == dm_id and again["already_open"]


async def test_conversations_create_invite_members_kick(client: AsyncWebClient, sb: Sandbox):
    created = await client.conversations_create(name="casus-zvh-2025-014", is_private=True)
    cid = created["channel"]["id"]
    assert created["channel"]["is_private"] is True
    await client.conversations_invite(channel=cid, users="U0PETRA,U0KARIM")
    members = await client.conversations_members(channel=cid)
    assert set(members["members"]) == {sb.app.bot_user_id, "U0PETRA", "U0KARIM"}
    err = await error_of(client.conversations_invite(channel=cid, users="U0PETRA"))
    assert err.response["error"] == "already_in_channel"
    await client.conversations_kick(channel=cid, user="U0KARIM")
    info = await client.conversations_info(channel=cid, include_num_members=True)
    assert info["channel"]["num_members"] == 2
    err = await error_of(client.conversations_create(name="Met Spaties"))
    assert err.response["error"] == "invalid_name_specials"


async def test_users_info_with_locale_and_timezone(client: AsyncWebClient):
    ilse = (await client.users_info(user="U0ILSE", include_locale=True))["user"]
    assert ilse["locale"] == "en-US" and ilse["tz"] == "Europe/Amsterdam"
    assert ilse["tz_offset"] in (3600, 7200)
    assert ilse["profile"]["title"] == "Politie Midden-Nederland"
    assert ilse["profile"]["real_name"] == "Ilse Jansen"
    petra = (await client.users_info(user="U0PETRA"))["user"]
    assert "locale" not in petra
    err = await error_of(client.users_info(user="U0NOBODY"))
    assert err.response["error"] == "user_not_found"
    listed = await client.users_list(include_locale=True)
    assert {"petra", "gast_bram", "casusbot"} <= {u["name"] for u in listed["members"]}
    bot = next(u for u in listed["members"] if u["name"] == "casusbot")
    assert bot["is_bot"] is True


async def test_permalink(client: AsyncWebClient):
    posted = await client.chat_postMessage(channel="C0CASUSDEMO", text="x")
    link = await client.chat_getPermalink(channel="C0CASUSDEMO", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/C0CASUSDEMO/p" + posted["ts"].replace(".", ""))


async def test_api_calls_are_logged(client: AsyncWebClient, sb: Sandbox):
    await client.auth_test()
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C0ALGEMEEN", text="x")
    assert [(c.method, c.ok, c.error) for c in sb.api_calls] == [
        ("auth.test", True, None),
        ("chat.postMessage", False, "not_in_channel"),
    ]
    assert sb.calls("chat.postMessage")[0].args["channel"] == "C0ALGEMEEN"


async def test_rate_limit_answers_429_with_retry_after(app: App):
    async with Sandbox(rate_limit={"auth.test": 2}) as limited:
        limited_app = limited.install_app(events=())
        web = AsyncWebClient(token=limited_app.bot_token, base_url=limited.api_url)
        web.retry_handlers.clear()  # see the 429 instead of waiting it out
        await web.auth_test()
        await web.auth_test()
        err = await error_of(web.auth_test())
        assert err.response.status_code == 429
        assert err.response["error"] == "ratelimited"
        assert int(err.response.headers["Retry-After"]) >= 1
    assert app  # the default sandbox is not rate limited


async def test_the_bot_deletes_its_dm_messages_and_thread_replies(
    client: AsyncWebClient, sb: Sandbox
):
    dm = await client.chat_postMessage(channel="U0SANNE", text="Herinnering")
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg")
    reply = await client.chat_postMessage(
        channel="C0CASUSDEMO", text="Vraag 1", thread_ts=parent["ts"]
    )
    await client.chat_delete(channel=dm["channel"], ts=dm["ts"])
    await client.chat_delete(channel="C0CASUSDEMO", ts=reply["ts"])
    assert sb.user("sanne").dms() == []
    assert sb.messages("casus-demo", thread_ts=parent["ts"]) == []
    assert sb.message("casus-demo", parent["ts"])["reply_count"] == 0
    await client.chat_delete(channel="C0CASUSDEMO", ts=parent["ts"])
    assert sb.messages("casus-demo") == []


async def test_an_ephemeral_answer_in_a_thread_stays_in_that_thread(
    client: AsyncWebClient, sb: Sandbox
):
    parent = await client.chat_postMessage(channel="C0CASUSDEMO", text="Overleg")
    reply = await client.chat_postMessage(
        channel="C0CASUSDEMO", text="Vraag 1", thread_ts=parent["ts"]
    )
    await client.chat_postEphemeral(
        channel="C0CASUSDEMO", user="U0KARIM", text="Alleen regisseurs", thread_ts=reply["ts"]
    )
    [private] = sb.user("karim").ephemerals("casus-demo")
    assert private["thread_ts"] == parent["ts"]  # a reply's ts means its thread
    assert sb.messages("casus-demo", thread_ts=parent["ts"]) == [
        sb.message("casus-demo", reply["ts"])
    ]
