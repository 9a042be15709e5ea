"""The outbox engine against the sandbox over real HTTP: Slack ends up showing what the
database wants — coalesced, in order, once — through refusals, deletions and dead processes.

A toy renderer stands in for a feature: it posts or updates a message saying how many changes
its row has seen, read from the database at render time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.outbox import (
    METADATA_EVENT_TYPE,
    Outbox,
    RenderContext,
    Rendered,
    lays_out,
    post_or_update,
)
from sandbox import App, Sandbox, Workspace
from storage.db import Database, make_engine
from storage.slack_objects import (
    DEFAULT_LEASE_SECONDS,
    backlog,
    object_by_id,
    retire,
    want,
)
from storage.types import utcnow

CHANNEL = "C0CASUSDEMO"
POLL = 0.05  # seconds: a quick poller keeps these tests short


async def toy(ctx: RenderContext) -> Rendered:
    async with ctx.db.session() as session:
        row = await object_by_id(session, id=ctx.id)
    wanted = row.wanted if row is not None else ctx.row.wanted
    return await post_or_update(ctx, text=f"{ctx.key} wanted={wanted}")


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(Workspace.demo()) as sandbox:
        yield sandbox


def install(sb: Sandbox) -> tuple[App, AsyncWebClient]:
    # No retry handlers: the engine's own retries are what is tested.
    app = sb.install_app(name="Casusbot", join=["casus-demo"], events=())
    return app, AsyncWebClient(token=app.bot_token, base_url=sb.api_url)


@pytest.fixture
def client(sb: Sandbox) -> AsyncWebClient:
    return install(sb)[1]


async def add(
    db: Database, key: str, *, owner: str | None = None, now: datetime | None = None, **kw: Any
) -> int:
    kw.setdefault("kind", "toy")
    kw.setdefault("case_id", None)
    kw.setdefault("channel_id", CHANNEL)
    async with db.session() as session:
        return await want(session, key=key, owner=owner, now=now or utcnow(), **kw)


async def row_of(db: Database, row_id: int) -> Any:
    async with db.session() as session:
        return await object_by_id(session, id=row_id)


def keyed(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(key, text) of the outbox's messages among `messages`, in order."""
    found = []
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == METADATA_EVENT_TYPE:
            found.append((metadata["event_payload"]["key"], message.get("text", "")))
    return found


async def eventually(check: Callable[[], Awaitable[bool]], max_wait: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def caught_up(db: Database) -> bool:
    async with db.session() as session:
        report = await backlog(session)
    return report.due == 0


# ----- coalescing -----


async def test_a_burst_of_changes_shows_the_last_one_with_few_slack_calls(
    db: Database, sb: Sandbox, client: AsyncWebClient
) -> None:
    outbox = Outbox(db, client, {"toy": toy})

    async def vote() -> bool:
        row_id = await add(db, "round:9:ballot", owner=outbox.owner)
        return (await outbox.render_now([row_id], patience=60)).complete

    completed = await asyncio.gather(*(vote() for _ in range(100)))
    await outbox.idle()
    assert all(completed)
    assert keyed(sb.messages(CHANNEL)) == [("round:9:ballot", "round:9:ballot wanted=100")]
    chat_calls = [c for c in sb.api_calls if c.method.startswith("chat.")]
    assert len(chat_calls) <= 25, f"{len(chat_calls)} Slack calls for 100 changes"
    async with db.session() as session:
        assert (await backlog(session)).due == 0


# ----- lanes -----


async def test_posts_of_a_thread_wait_in_order_while_slack_refuses_the_first(
    db: Database,
) -> None:
    async with Sandbox(Workspace.demo(), rate_limit={"chat.postMessage": 2}) as sb:
        _, client = install(sb)
        offset = [timedelta(0)]
        outbox = Outbox(
            db, client, {"toy": toy}, clock=lambda: utcnow() + offset[0], poll_interval=POLL
        )
        for n in range(2):  # the channel's quota for this minute is used up
            await client.chat_postMessage(channel=CHANNEL, text=f"filler {n}")
        me = outbox.owner
        parent = await add(db, "meeting:1:parent", lane="meeting:1", owner=me)
        replies = [
            await add(
                db, f"meeting:1:post:{n}", lane="meeting:1", parent_key="meeting:1:parent", owner=me
            )
            for n in (1, 2, 3)
        ]
        first_try = await outbox.render_now([parent, *replies])
        assert not first_try.complete and first_try.behind == {parent, *replies}
        await outbox.start()
        try:
            # Still refused a minute later: the parent is tried again, the replies wait.
            offset[0] = timedelta(seconds=61)

            async def tried_twice() -> bool:
                return bool((await row_of(db, parent)).attempts >= 2)

            await eventually(tried_twice)
            assert keyed(sb.messages(CHANNEL)) == []
            assert [(await row_of(db, r)).attempts for r in replies] == [0, 0, 0]
            assert sb.rate_limiter is not None
            sb.rate_limiter.limits["chat.postMessage"] = 1000
            offset[0] = timedelta(seconds=122)
            await eventually(lambda: caught_up(db))
        finally:
            await outbox.stop()
        [(key, _)] = keyed(sb.messages(CHANNEL))
        parent_ts = (await row_of(db, parent)).ts
        assert key == "meeting:1:parent" and parent_ts is not None
        thread = keyed(sb.messages(CHANNEL, thread_ts=parent_ts))
        assert [k for k, _ in thread] == [
            "meeting:1:post:1",
            "meeting:1:post:2",
            "meeting:1:post:3",
        ]


# ----- nothing posted twice -----


@pytest.mark.parametrize("where", ["channel", "thread", "dm"])
async def test_a_post_whose_owner_died_before_recording_it_is_not_posted_again(
    db: Database, sb: Sandbox, client: AsyncWebClient, where: str
) -> None:
    posted = asyncio.Event()

    async def post_then_die(ctx: RenderContext) -> Rendered:
        rendered = await toy(ctx)
        posted.set()
        await asyncio.Event().wait()  # the process is killed before it records the ts
        return rendered

    first = Outbox(db, client, {"toy": toy, "dying": post_then_die}, poll_interval=POLL)
    place: dict[str, Any] = {"channel_id": "U0PETRA"} if where == "dm" else {}
    if where == "thread":
        parent = await add(db, "meeting:5:parent", owner=first.owner)
        assert (await first.render_now([parent])).complete
        place = {"parent_key": "meeting:5:parent"}
    row_id = await add(db, "reminder:77:dm", kind="dying", **place)
    await first.start()
    await asyncio.wait_for(posted.wait(), 30)
    await first.stop(grace=0)
    dead = await row_of(db, row_id)
    assert dead.ts is None and dead.lease_owner == first.owner

    # Another replica, once the dead one's lease has run out.
    later = timedelta(seconds=DEFAULT_LEASE_SECONDS + 1)
    second = Outbox(
        db, client, {"toy": toy, "dying": toy}, clock=lambda: utcnow() + later, poll_interval=POLL
    )
    await second.start()
    try:
        await eventually(lambda: caught_up(db))
    finally:
        await second.stop()
    row = await row_of(db, row_id)
    if where == "dm":
        messages = sb.messages(row.channel_id)
    elif where == "thread":
        messages = sb.messages(CHANNEL, thread_ts=row.thread_ts)
    else:
        messages = sb.messages(CHANNEL)
    mine = [m for m in messages if keyed([m]) and keyed([m])[0][0] == "reminder:77:dm"]
    assert len(mine) == 1 and mine[0]["ts"] == row.ts
    assert mine[0]["text"] == "reminder:77:dm wanted=1"
    assert row.shown == row.wanted and row.lease_owner is None
    lookups = sb.calls("conversations.replies" if where == "thread" else "conversations.history")
    assert lookups


async def test_two_replicas_render_a_backlog_with_each_object_posted_once(
    db: Database,
    sb: Sandbox,
    client: AsyncWebClient,
    database_env: dict[str, str],
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(**database_env)
    other_db = Database(make_engine(settings.database_url, schema=settings.database_schema))
    other_client = AsyncWebClient(token=client.token, base_url=sb.api_url)
    keys: list[str] = []
    async with db.session() as session:
        now = utcnow()

        async def backlog_row(key: str, lane: str | None = None, parent: str | None = None) -> None:
            keys.append(key)
            await want(
                session,
                key=key,
                kind="toy",
                case_id=None,
                channel_id=CHANNEL,
                lane=lane,
                parent_key=parent,
                now=now,
            )

        for meeting in range(3):  # three meetings: a parent and 39 replies in its thread
            lane = f"meeting:{meeting}"
            await backlog_row(f"{lane}:parent", lane=lane)
            for post in range(39):
                await backlog_row(f"{lane}:post:{post}", lane=lane, parent=f"{lane}:parent")
        for n in range(180):
            await backlog_row(f"action:{n}:due")
    one = Outbox(db, client, {"toy": toy}, poll_interval=POLL)
    two = Outbox(other_db, other_client, {"toy": toy}, poll_interval=POLL)
    try:
        await asyncio.gather(one.start(), two.start())
        await eventually(lambda: caught_up(db), max_wait=240)
    finally:
        await asyncio.gather(one.stop(), two.stop())
        await other_db.dispose()
    top = keyed(sb.messages(CHANNEL))
    threads = [
        keyed(sb.messages(CHANNEL, thread_ts=m["ts"]))
        for m in sb.messages(CHANNEL)
        if m.get("reply_count")
    ]
    posted = Counter(k for k, _ in top) + Counter(k for thread in threads for k, _ in thread)
    assert len(posted) == 300 and set(posted) == set(keys)
    assert max(posted.values()) == 1
    assert len([c for c in sb.calls("chat.postMessage") if c.ok]) == 300
    for thread in threads:  # each meeting's minutes read in order
        numbers = [int(k.rsplit(":", 1)[1]) for k, _ in thread]
        assert numbers == list(range(39))
    assert one.stats["shown"] > 0 and two.stats["shown"] > 0
    assert one.stats["shown"] + two.stats["shown"] == 300


# ----- Slack in trouble -----


class Troubled:
    """A faulty hop in front of the sandbox (a proxy in trouble): the first chat.postMessage
    gets a 503 without reaching Slack, or reaches Slack and its answer never comes back."""

    def __init__(self, sb: Sandbox, fault: str) -> None:
        self.sb, self.fault, self.faults_left = sb, fault, 1
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.forward)
        self.server = TestServer(app, host="127.0.0.1")

    async def forward(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        faulty = method == "chat.postMessage" and self.faults_left > 0
        if faulty:
            self.faults_left -= 1
            if self.fault == "503":
                return web.Response(status=503, text="upstream unavailable")
        headers = {k: v for k, v in request.headers.items() if k in ("Authorization",)}
        headers["Content-Type"] = request.headers.get("Content-Type", "application/json")
        upstream = (
            self.sb.api_url + method + (f"?{request.query_string}" if request.query_string else "")
        )
        async with (
            ClientSession() as session,
            session.request(
                request.method, upstream, data=await request.read(), headers=headers
            ) as r,
        ):
            body, status = await r.read(), r.status
        if faulty:
            await self.release.wait()  # posted in Slack; the answer is lost on the way back
        return web.Response(body=body, status=status, content_type="application/json")


@pytest.mark.parametrize("fault", ["503", "lost_answer"])
async def test_a_post_slack_failed_or_never_answered_is_retried_and_shown_once(
    db: Database, sb: Sandbox, client: AsyncWebClient, fault: str
) -> None:
    troubled = Troubled(sb, fault)
    await troubled.server.start_server()
    proxied = AsyncWebClient(token=client.token, base_url=str(troubled.server.make_url("/api/")))
    offset = [timedelta(0)]
    outbox = Outbox(
        db,
        proxied,
        {"toy": toy},
        render_timeout=1.0,
        clock=lambda: utcnow() + offset[0],
        poll_interval=POLL,
    )
    try:
        row_id = await add(db, "meeting:3:parent", owner=outbox.owner)
        assert not (await outbox.render_now([row_id])).complete
        failed = await row_of(db, row_id)
        assert (failed.last_error, failed.attempts) == (
            "http_503" if fault == "503" else "timeout",
            1,
        )
        offset[0] = timedelta(seconds=2)  # past the first backoff (1 s)
        await outbox.start()
        await eventually(lambda: caught_up(db))
    finally:
        troubled.release.set()
        await outbox.stop()
        await troubled.server.close()
    row = await row_of(db, row_id)
    assert keyed(sb.messages(CHANNEL)) == [("meeting:3:parent", "meeting:3:parent wanted=1")]
    assert sb.messages(CHANNEL)[0]["ts"] == row.ts
    # Slack saw one post either way: the 503 never reached it, the lost answer was found again.
    assert len(sb.calls("chat.postMessage")) == 1
    assert sb.calls("conversations.history")


# ----- Slack's own view changes -----


async def test_a_message_someone_deleted_is_posted_again_on_the_next_change(
    db: Database, sb: Sandbox, client: AsyncWebClient
) -> None:
    outbox = Outbox(db, client, {"toy": toy})
    row_id = await add(db, "meeting:1:agreements", owner=outbox.owner)
    assert (await outbox.render_now([row_id])).complete
    first_ts = (await row_of(db, row_id)).ts
    await client.chat_delete(channel=CHANNEL, ts=first_ts)

    await add(db, "meeting:1:agreements", owner=outbox.owner)
    assert (await outbox.render_now([row_id])).complete
    row = await row_of(db, row_id)
    assert row.ts != first_ts and row.shown == 2
    assert keyed(sb.messages(CHANNEL)) == [
        ("meeting:1:agreements", "meeting:1:agreements wanted=2")
    ]
    assert sb.message(CHANNEL, row.ts) is not None


async def test_a_channel_the_bot_is_not_in_fails_for_good_and_tells_the_caller(
    db: Database, sb: Sandbox, client: AsyncWebClient
) -> None:
    elsewhere = sb.create_channel("casus-elders", private=True, members=("petra",)).id
    outbox = Outbox(db, client, {"toy": toy}, poll_interval=POLL)
    row_id = await add(db, "case:4:plan", channel_id=elsewhere, owner=outbox.owner)
    result = await outbox.render_now([row_id])
    assert not result.complete and result.behind == {row_id}
    await outbox.start()
    try:
        await asyncio.sleep(0.3)  # several poll rounds: a permanent failure is not retried
        row = await row_of(db, row_id)
        assert (row.last_error, row.attempts, row.ts) == ("channel_not_found", 1, None)
        assert len(sb.calls("chat.postMessage")) == 1
        async with db.session() as session:
            assert (await backlog(session)).failed_by_error == {"channel_not_found": 1}
        # The admin invites the bot; the next change shows it.
        sb.invite(elsewhere, sb.app.bot_user_id)
        await add(db, "case:4:plan", channel_id=elsewhere, owner=outbox.owner)
        assert (await outbox.render_now([row_id])).complete
    finally:
        await outbox.stop()
    assert keyed(sb.messages(elsewhere)) == [("case:4:plan", "case:4:plan wanted=2")]


async def test_a_post_made_while_the_purge_retired_its_row_is_deleted_again(
    db: Database, sb: Sandbox, client: AsyncWebClient
) -> None:
    async def purged_meanwhile(ctx: RenderContext) -> Rendered:
        rendered = await toy(ctx)
        async with ctx.db.session() as session:  # the purge commits while we post
            await retire(session, ids=[ctx.id], now=utcnow())
        return rendered

    outbox = Outbox(db, client, {"toy": purged_meanwhile})
    row_id = await add(db, "case:3:trend", owner=outbox.owner)
    assert not (await outbox.render_now([row_id])).complete
    assert keyed(sb.messages(CHANNEL)) == []
    assert [c.method for c in sb.api_calls] == ["chat.postMessage", "chat.delete"]


# ----- renders that lay out a file -----


async def test_a_render_that_lays_out_a_file_gets_half_the_lease_others_a_quarter(
    db: Database, sb: Sandbox, client: AsyncWebClient
) -> None:
    """A PDF laid out on a busy machine may take longer than a Slack call may: it is not cut
    off (and uploaded again), while a plain render that hangs as long is."""
    lease = 4.0  # a quarter is 1 s, half 2 s
    pause = 1.2
    calls: Counter[str] = Counter()

    async def slow(ctx: RenderContext) -> Rendered:
        calls[ctx.key] += 1
        await asyncio.sleep(pause)  # the layout
        return await post_or_update(ctx, text=ctx.key)

    async def file_layout(ctx: RenderContext) -> Rendered:
        return await slow(ctx)

    outbox = Outbox(
        db,
        client,
        {"plain": slow, "file": lays_out(file_layout)},
        lease_seconds=lease,
        poll_interval=POLL,
    )
    plain = await add(db, "report:plain", kind="plain", owner=outbox.owner)
    laid_out = await add(db, "report:file", kind="file", owner=outbox.owner)
    await outbox.render_now([plain, laid_out], patience=5)
    assert keyed(sb.messages(CHANNEL)) == [("report:file", "report:file")]
    assert calls["report:file"] == 1
    assert (await row_of(db, plain)).ts is None  # cut off after a quarter, to be retried
