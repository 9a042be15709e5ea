"""The standalone runner and its control API (people acting over HTTP)."""

from __future__ import annotations

import aiohttp
from slack_bolt.async_app import AsyncApp

from sandbox import Sandbox
from sandbox.__main__ import parse_args


def test_runner_arguments():
    args = parse_args(["--port", "8765", "--join", "algemeen"])
    assert (args.port, args.join, args.request_url) == (8765, ["algemeen"], None)


async def test_control_api_drives_a_user(sb: Sandbox, bolt_app: AsyncApp):
    @bolt_app.command("/casus")
    async def casus(ack, respond):
        await ack()
        await respond("pong")

    await bolt_app.connect()  # type: ignore[attr-defined]
    async with aiohttp.ClientSession(base_url=sb.url) as http:
        async with http.get("/_sandbox/") as resp:
            overview = await resp.json()
        assert overview["team"]["name"] == "ZVH Midden-Nederland"
        assert overview["apps"][0]["socket_connected"] is True
        async with http.post(
            "/_sandbox/users/petra/slash", json={"command": "/casus", "channel": "casus-demo"}
        ) as resp:
            assert (await resp.json())["ok"] is True
        async with http.post("/_sandbox/settle") as resp:
            assert resp.status == 200
        async with http.get("/_sandbox/users/petra") as resp:
            seen = await resp.json()
        assert [m["text"] for m in seen["ephemerals"]] == ["pong"]
        async with http.post("/_sandbox/users/petra/click", json={"action_id": "x"}) as resp:
            assert resp.status == 400 and "no modal or home" in (await resp.json())["error"]


async def test_the_control_api_refuses_cross_site_form_posts() -> None:
    import aiohttp

    from sandbox import Sandbox, Workspace

    async with Sandbox(Workspace.demo()) as sb:
        sb.install_app(name="Casusbot", join=["casus-demo"], events=())
        async with aiohttp.ClientSession() as http:
            url = f"{sb.url}_sandbox/users/petra/post"
            async with http.post(url, data={"channel": "casus-demo", "text": "x"}) as response:
                assert response.status == 415
        assert sb.messages("casus-demo") == []
