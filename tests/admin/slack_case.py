"""A case that left objects of every kind in Slack, recorded as the bot records them.

Each maker in `MAKERS` puts one kind of object in the sandbox through the Web API and records
it as the bot does: outbox objects through the real outbox engine (`Outbox.render_now` with a
renderer per kind), older records in the `*_ts` columns of their tables. Add a maker when a
feature creates a new kind of object; the purge tests then check it is deleted. (The
end-to-end test that plays a whole case through the bot joins these once every feature
records its objects in the outbox.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Table, select

from bot.config import WorkingHours
from bot.outbox import Outbox, RenderContext, Rendered, post_or_update
from flows.schedule import ReminderKind
from sandbox import Sandbox
from storage.agreements import Priority, add_action
from storage.case_rows import all_tables, case_conditions
from storage.db import Database
from storage.meetings import meeting_by_id
from storage.models import SlackObject
from storage.reminders import Reminder, ReminderStatus, schedule_reminder
from storage.slack_objects import object_by_id, want
from storage.types import utcnow
from storage.votes import round_by_number, set_round_messages
from tests.admin.conftest import Seeded

CHANNEL = "C0CASUSDEMO"
HOURS = WorkingHours(frozenset(range(7)), time(0), time(23))


# ----- renderers, as features will have them -----


async def message(ctx: RenderContext) -> Rendered:
    return await post_or_update(ctx, text=f"bericht {ctx.key}")


async def pinned(ctx: RenderContext) -> Rendered:
    """The veiligheidsplan's fallback: one message, pinned in the case channel."""
    shown = await post_or_update(ctx, text="Veiligheidsplan")
    if ctx.ts is None and shown.ts and shown.channel_id:
        await ctx.client.pins_add(channel=shown.channel_id, timestamp=shown.ts)
    return shown


async def upload(ctx: RenderContext) -> Rendered:
    response = await ctx.client.files_upload_v2(
        channel=ctx.channel_id, content=b"# Verslag\n", filename="verslag.md", title="Verslag"
    )
    return Rendered(file_id=str(response["file"]["id"]))


async def canvas(ctx: RenderContext) -> Rendered:
    if ctx.canvas_id is not None:
        return Rendered(canvas_id=ctx.canvas_id)
    response = await ctx.client.conversations_canvases_create(
        channel_id=ctx.channel_id,
        title="Veiligheidsplan",
        document_content={"type": "markdown", "markdown": "# Veiligheidsplan\n"},
    )
    return Rendered(canvas_id=str(response["canvas_id"]))


RENDERERS = {
    "test.message": message,
    "test.pinned": pinned,
    "test.file": upload,
    "test.canvas": canvas,
}


# ----- the world a maker works in -----


@dataclass
class Made:
    """What the makers left in Slack: all of it must go, except `kept`."""

    messages: list[tuple[str, str]] = field(default_factory=list)  # (conversation, ts)
    files: list[str] = field(default_factory=list)
    canvases: list[str] = field(default_factory=list)  # channels with the case's canvas
    pins: list[str] = field(default_factory=list)  # channels with a pinned message
    kept: list[tuple[str, str]] = field(default_factory=list)  # people's own, other cases'


@dataclass
class World:
    sb: Sandbox
    client: AsyncWebClient
    db: Database
    outbox: Outbox
    case: Seeded
    other: Seeded  # another case, whose objects must stay
    made: Made = field(default_factory=Made)

    async def show(self, key: str, kind: str, *, case_id: int | None = None, **kw: Any) -> int:
        """Want an outbox object and render it now, as a use case does after its commit."""
        async with self.db.session() as session:
            row_id = await want(
                session,
                key=key,
                kind=kind,
                case_id=self.case.case_id if case_id is None else case_id,
                owner=self.outbox.owner,
                now=utcnow(),
                **{"channel_id": CHANNEL, **kw},
            )
        done = await self.outbox.render_now([row_id], patience=30)
        if not done.complete:
            raise AssertionError(f"outbox row {key} was not shown")
        return row_id

    async def row(self, row_id: int) -> SlackObject:
        async with self.db.session() as session:
            found = await object_by_id(session, id=row_id)
        if found is None or not found.posted:
            raise AssertionError(f"outbox row {row_id} recorded nothing")
        return found

    async def shown_message(self, key: str, kind: str = "test.message", **kw: Any) -> str:
        row = await self.row(await self.show(key, kind, **kw))
        self.made.messages.append((row.channel_id, str(row.ts)))
        return str(row.ts)


Maker = Callable[[World], Awaitable[None]]


async def meeting_thread(world: World) -> None:
    """The meeting's parent, questions in its thread (a lane), a person's own reply."""
    meeting = world.case.meeting_id
    lane = {"lane": f"meeting:{meeting}"}
    parent = await world.shown_message(f"meeting:{meeting}:parent", **lane)
    async with world.db.session() as session:  # the meeting remembers its thread too
        stored = await meeting_by_id(session, meeting_id=meeting)
        if stored is None:
            raise AssertionError("no meeting")
        stored.thread_ts = parent
        session.add(stored)
    for n in (1, 2):
        await world.shown_message(
            f"meeting:{meeting}:post:{n}", parent_key=f"meeting:{meeting}:parent", **lane
        )
    reply = await world.sb.user("sanne").post(CHANNEL, "Mijn eigen bijdrage", thread_ts=parent)
    world.made.kept.append((CHANNEL, reply))


async def top_level_posts(world: World) -> None:
    """Trend and timeline: top-level posts in the case channel."""
    await world.shown_message(f"case:{world.case.case_id}:trend")
    await world.shown_message(f"case:{world.case.case_id}:timeline")


async def direct_message(world: World) -> None:
    """A DM about the case: the row names the user until Slack gives the DM's id."""
    await world.shown_message(f"meeting:{world.case.meeting_id}:prep:U0SANNE", channel_id="U0SANNE")


async def report_file(world: World) -> None:
    row = await world.row(await world.show(f"meeting:{world.case.meeting_id}:report", "test.file"))
    world.made.files.append(str(row.file_id))


async def plan_canvas(world: World) -> None:
    await world.row(await world.show(f"case:{world.case.case_id}:plan", "test.canvas"))
    world.made.canvases.append(CHANNEL)


async def pinned_plan(world: World) -> None:
    await world.shown_message(
        f"case:{world.case.case_id}:plan-pinned", "test.pinned", payload={"pinned": True}
    )
    world.made.pins.append(CHANNEL)


async def recorded_in_tables(world: World) -> None:
    """Messages older code remembers in `*_ts` columns: the meeting's planning post and
    current question, a vote's messages, an action's due-date DM (its reminder has only the
    agreement's id, no case id)."""
    client, case = world.client, world.case

    async def post(channel: str = CHANNEL) -> str:
        response = await client.chat_postMessage(channel=channel, text="bericht")
        world.made.messages.append((str(response["channel"]), str(response["ts"])))
        return str(response["ts"])

    async with world.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=case.meeting_id)
        if meeting is None:
            raise AssertionError("no meeting")
        meeting.planning_ts, meeting.question_ts = await post(), await post()
        session.add(meeting)
        scale_round = await round_by_number(session, meeting_id=case.meeting_id, number=1)
        if scale_round is None or scale_round.id is None:
            raise AssertionError("no round")
        await set_round_messages(
            session, round_id=scale_round.id, message_ts=await post(), results_ts=await post()
        )
        action = await add_action(
            session,
            case_id=case.case_id,
            meeting_id=case.meeting_id,
            text="Huisbezoek",
            owner_user_id="U0KARIM",
            owner_organisation=None,
            due_date=date.today(),
            priority=Priority.NORMAL,
            created_by="U0PETRA",
            hours=HOURS,
            tz=ZoneInfo("Europe/Amsterdam"),
        )
        reminder_id = await schedule_reminder(
            session,
            kind=ReminderKind.ACTION_DUE,
            due_at=utcnow(),
            dedupe_key=f"test:action:{action.id}",
            user_id="U0KARIM",
            agreement_id=action.id,
        )
        reminder = await session.get(Reminder, reminder_id)
        if reminder is None:
            raise AssertionError("no reminder")
        reminder.status, reminder.message_ts = ReminderStatus.SENT, await post("U0KARIM")
        session.add(reminder)


async def not_the_cases(world: World) -> None:
    """What must stay: someone's own message, and another case's object."""
    own = await world.sb.user("petra").post(CHANNEL, "Iets anders")
    world.made.kept.append((CHANNEL, own))
    row = await world.row(
        await world.show(
            f"case:{world.other.case_id}:trend", "test.message", case_id=world.other.case_id
        )
    )
    world.made.kept.append((row.channel_id, str(row.ts)))


MAKERS: list[Maker] = [
    meeting_thread,
    top_level_posts,
    direct_message,
    report_file,
    plan_canvas,
    pinned_plan,
    recorded_in_tables,
    not_the_cases,
]


# ----- what is left -----


def bot_messages_left(world: World, bot_user_id: str) -> list[tuple[str, str]]:
    """Every message of the bot anywhere in the workspace, but those that must stay."""
    found = []
    for channel in world.sb.ws.channels.values():
        for ts, msg in channel.messages.items():
            if msg.get("user") == bot_user_id and msg.get("subtype") != "tombstone":
                found.append((channel.id, ts))
    return sorted(set(found) - set(world.made.kept))


def files_left(world: World) -> list[str]:
    return [f for f in world.made.files if f in world.sb.ws.files]


def canvases_left(world: World) -> list[str]:
    return [c for c in world.made.canvases if world.sb.canvas(c) is not None]


def pins_left(world: World) -> list[str]:
    return [
        c
        for c in world.made.pins
        if any(c in m.get("pinned_to", []) for m in world.sb.channel(c).messages.values())
    ]


async def case_keys(db: Database, case_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """{table: its rows of the case, whole}: looked up again after the purge. Whole rows, not
    primary keys: SQLite gives a new row the id of a deleted one (the purge's audit line)."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for tbl, condition in case_conditions(all_tables(), case_id).items():
            rows = (await conn.execute(select(tbl).where(condition))).all()
            if rows:
                found[tbl.name] = {tuple(r) for r in rows}
    return found


async def still_there(db: Database, keys: dict[str, set[tuple[Any, ...]]]) -> dict[str, int]:
    """How many of these rows still exist, per table."""
    tables: dict[str, Table] = dict(all_tables().tables)
    left: dict[str, int] = {}
    async with db.engine.connect() as conn:
        for name, wanted in keys.items():
            tbl = tables[name]
            rows = (await conn.execute(select(tbl))).all()
            count = len(wanted & {tuple(r) for r in rows})
            if count:
                left[name] = count
    return left
