"""A whole case played through the sandbox by the real bot, as its people would, and what of it
is left afterwards in Slack and in the database.

`play_whole_case` registers a case with a guest, plans a meeting (prep DMs, the nudge, the
meeting reminder, a prep answer), holds it (a reply, a blind vote, the family's view,
an action, a bodemeis, the escalation plan, the decision to move on), sends the due-date DM and
the bodemeis check, answers it "niet nageleefd" (the escalation), asks for the trend, the
timeline and the report, opens the home tab, and closes the case in a second meeting with an
afsluitingsplan. A feature that makes new Slack objects or rows for a case adds its step here:
the purge test then proves they go.

`slack_leftovers` and `database_leftovers` look everywhere rather than where we expect things:
every conversation, file, canvas, pin and home tab in the sandbox, every table in the metadata.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from flows.schedule import ReminderKind
from sandbox import Sandbox
from storage.case_rows import all_tables
from storage.db import Database
from storage.models import AuditEvent, SlackObject
from storage.slack_objects import backlog
from tests.e2e.agreement_steps import (
    AMS,
    click_dm,
    in_days,
    last_dm,
    open_form,
    poll,
    stored_agreements,
    submit,
    walk_to,
)
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    CODE,
    action_ids,
    click,
    confirm_early_start,
    current_question,
    decided_here,
    go_on_below,
    register_case,
    start_meeting,
    stored_meeting,
    thread,
)

# What people typed into the bot: none of it may survive in anything the bot made.
ACTION = "Huisbezoek door het wijkteam"
BODEMEIS = "Vader komt niet in de woning"
ESCALATION_PLAN = "Direct Veilig Thuis bellen; die beoordeelt een huisverbod"
FAMILY_VIEW = "Moeder vindt het thuis nog spannend"
PREP_ANSWER = "Moeder en twee kinderen, vader elders"
CLOSURE_PLAN = "Bij nieuwe zorgen meldt de school het direct bij Veilig Thuis"
OWN_REPLY = "Wijkteam ziet het gezin wekelijks"  # a person's own message: it stays
MARKERS = (CODE, ACTION, BODEMEIS, ESCALATION_PLAN, FAMILY_VIEW, PREP_ANSWER, CLOSURE_PLAN)

BEELD = "risicogestuurde_zorg.vooraf.beeld_van_het_gezin"

# Tables whose rows belong to no case: what stays after the purge, and why.
NOT_CASE_TABLES = {
    "processed_delivery": "ids of Slack deliveries already handled (dedupe), no content",
    "absence": "a person's absence and stand-in, across all their cases",
}


# ----- the play -----


def meeting_day() -> datetime:
    """A Thursday 10:00 three weeks ahead: the bot's own poller finds nothing due meanwhile."""
    day = datetime.now(AMS).date() + timedelta(days=21)
    day += timedelta(days=(3 - day.weekday()) % 7)
    return datetime.combine(day, datetime.min.time().replace(hour=10), AMS)


async def plan_meeting(h: Harness, phase: str) -> None:
    petra = h.sb.user("petra")
    await petra.slash("/casus", "plan", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is not None, "the planning modal did not open"
    day = meeting_day()
    ack = await petra.submit(
        {
            "date": {"date": day.date().isoformat()},
            "time": {"time": "10:00"},
            "phase": {"phase": phase},
        }
    )
    assert ack is None, ack
    await h.settle()


async def send_due(h: Harness, kind: ReminderKind) -> None:
    """Run the poller at the moment the first pending reminder of `kind` is due."""
    reminder = await pending_first(h, kind)
    assert (await poll(h, reminder.due_at)).sent >= 1, kind


async def pending_first(h: Harness, kind: ReminderKind) -> Any:
    from tests.e2e.agreement_steps import stored_reminders

    waiting = [r for r in await stored_reminders(h, kind) if r.status == "pending"]
    assert waiting, f"no pending {kind} reminder"
    return min(waiting, key=lambda r: r.due_at)


async def answer_prep(h: Harness, who: str) -> None:
    person = h.sb.user(who)
    dm = next(m for m in person.dms() if "prep_open" in action_ids(m))
    await person.click("prep_open", message=(person.dm_channel().id, dm["ts"]))
    await h.settle()
    assert person.modal is not None, "no prep modal"
    ack = await person.submit({BEELD: {BEELD: PREP_ANSWER}, "prep_score": {"prep_score": "4"}})
    assert ack is None, ack
    await h.settle()


async def start_planned(h: Harness) -> str:
    planning = next(m for m in h.sb.messages(CASE_CHANNEL) if "meeting_start" in action_ids(m))
    await click(h, "petra", "meeting_start", planning)
    await confirm_early_start(h)  # planned for later: "start it now already?"
    meeting = await stored_meeting(h)
    assert meeting is not None and meeting.thread_ts
    return meeting.thread_ts


async def vote_blind(h: Harness, thread_ts: str) -> None:
    """Walk to the Schaalvraag, three people vote, the reveal, the family's view."""
    for _ in range(20):
        ballot = next((m for m in thread(h, thread_ts) if "vote_reveal" in action_ids(m)), None)
        if ballot is not None:
            break
        if not await decided_here(h):  # a decision question: "go on below" first
            await go_on_below(h, thread_ts)
        await click(h, "petra", "meeting_next", current_question(h, thread_ts))
    else:
        raise AssertionError("never reached the Schaalvraag")
    for who, score in (("sanne", 4), ("joost", 6), ("karim", 5)):
        await h.sb.user(who).click(f"vote_{score}", message=(CASE_CHANNEL, ballot["ts"]))
    await h.settle()
    await click(h, "petra", "vote_reveal", ballot)
    results = next(m for m in reversed(thread(h, thread_ts)) if "family_view_open" in action_ids(m))
    await click(h, "karim", "family_view_open", results)
    assert h.sb.user("karim").modal is not None
    views = {"involved_score:gezin": "5", "involved_text:gezin": FAMILY_VIEW}
    assert await submit(h, "karim", views) is None


async def record_agreements(h: Harness, thread_ts: str) -> None:
    question = await walk_to(
        h, thread_ts, "besluitvorming", decide="door_naar_herstelgerichte_zorg"
    )
    assert await open_form(h, "petra", "agreement_action_open", question) is not None
    assert (
        await submit(
            h,
            "petra",
            {
                "agreement_text": ACTION,
                "owner_user": "sanne",
                "due_date": in_days(10).isoformat(),
                "priority": "hoog",
            },
        )
        is None
    )
    question = current_question(h, thread_ts)
    assert await open_form(h, "petra", "agreement_bodemeis_open", question) is not None
    assert await submit(h, "petra", {"agreement_text": BODEMEIS, "monitor": "sanne"}) is None
    question = await walk_to(h, thread_ts, "afspraken")
    assert await open_form(h, "petra", "agreement_collaboration_open", question) is not None
    assert await submit(h, "petra", {"escalation_plan": ESCALATION_PLAN}) is None


async def end_meeting(h: Harness, thread_ts: str) -> None:
    for _ in range(40):
        before = current_question(h, thread_ts)["ts"]
        await click(h, "petra", "meeting_next", current_question(h, thread_ts))
        if current_question(h, thread_ts)["ts"] == before:
            break
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))


async def play_whole_case(h: Harness) -> None:
    await register_case(h, phase="risicogestuurde_zorg", guests=("gast_bram",))
    bram = h.sb.user("gast_bram")
    await bram.click("confirm_confidentiality", message=bram.dms()[-1])
    await h.settle()

    # Before the first meeting: prep DMs, an answer, the nudge, the meeting reminder.
    await plan_meeting(h, "risicogestuurde_zorg")
    await send_due(h, ReminderKind.PREP)
    await answer_prep(h, "sanne")
    await send_due(h, ReminderKind.PREP_NUDGE)
    await send_due(h, ReminderKind.MEETING)

    # The first meeting.
    thread_ts = await start_planned(h)
    await h.sb.user("sanne").post(CASE_CHANNEL, OWN_REPLY, thread_ts=thread_ts)
    await h.settle()
    await vote_blind(h, thread_ts)
    await record_agreements(h, thread_ts)
    await end_meeting(h, thread_ts)

    # Between meetings: the due-date DM, the bodemeis check answered "niet nageleefd" (the
    # escalation to the procesregisseur), the trend, the timeline, the report, the home tab.
    await send_due(h, ReminderKind.ACTION_DUE)
    await send_due(h, ReminderKind.BODEMEIS_CHECK)
    check = next(m for m in h.sb.user("sanne").dms() if "check_not_met" in action_ids(m))
    await click_dm(h, "sanne", "check_not_met", check)
    for command in ("trend", "tijdlijn", "verslag"):
        await h.sb.user("sanne").slash("/casus", command, channel=CASE_CHANNEL)
        await h.settle()
    for who in ("petra", "sanne"):
        await h.sb.user(who).open_home()
    await h.settle()

    # The closing meeting in herstel: an afsluitingsplan closes the case.
    thread_ts = await start_meeting(h)
    await walk_to(h, thread_ts, "besluitvorming", decide="afsluiten")
    question = await walk_to(h, thread_ts, "afsluitingsplan")
    assert await open_form(h, "petra", "agreement_closure_open", question) is not None
    assert await submit(h, "petra", {"agreement_text": CLOSURE_PLAN}) is None
    await click(h, "petra", "meeting_end", current_question(h, thread_ts))
    await h.settle()
    # A safe close: the open action and bodemeis are each settled in the close form first.
    petra = h.sb.user("petra")
    await petra.slash("/casus", "afsluiten", channel=CASE_CHANNEL)
    await h.settle()
    assert petra.modal is not None
    kinds = ("action", "bodemeis")
    still_open = [a for a in await stored_agreements(h) if a.status == "open" and a.kind in kinds]
    assert still_open, "the first meeting's action and bodemeis"
    choices = {f"settle:{a.id}": {f"settle:{a.id}": "handed_over"} for a in still_open}
    ack = await petra.submit(choices)
    assert ack is None or not ack.get("errors"), ack
    await h.settle()
    assert last_dm(h, "sanne")  # the DMs above did arrive


async def caught_up(h: Harness, within: float = 120.0) -> None:
    """Wait until Slack shows everything the database wants shown: no outbox row behind (a
    render that failed under load is retried after its backoff, which settling cannot see)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        await h.settle()
        async with h.db.session() as session:
            behind = await backlog(session)
        if behind.due == 0 and behind.failed == 0:
            return
        if loop.time() > deadline:
            async with h.db.session() as session:
                rows = (await session.exec(select(SlackObject))).scalars().all()  # type: ignore[call-overload]
            waiting = [
                (r.key, r.kind, r.attempts, r.last_error, r.next_try_at)
                for r in rows
                if r.deleted_at is None and r.wanted > r.shown
            ]
            raise AssertionError(f"Slack still behind the database: {behind}: {waiting}")
        await asyncio.sleep(0.2)


# ----- what is left -----


@dataclasses.dataclass
class SlackLeft:
    """Everything of the bot's still in the sandbox, per kind; `texts` are strings anywhere in
    the workspace outside people's own messages that hold one of the markers."""

    messages: list[tuple[str, str]]
    files: list[str]
    canvases: list[str]
    pins: list[tuple[str, str]]
    homes: list[str]
    texts: list[str]

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def explain(self, sb: Sandbox) -> str:
        """What is left, readably: a failing test says which feature forgot to record what."""
        lines = [f"left in the sandbox: {self.counts()}"]
        for channel, ts in self.messages:
            message = sb.ws.channels[channel].messages[ts]
            thread = f" in thread {message['thread_ts']}" if message.get("thread_ts") else ""
            lines.append(f"  message {channel} {ts}{thread}: {(message.get('text') or '')[:70]!r}")
        for file_id in self.files:
            stored = sb.ws.files[file_id]
            lines.append(f"  file {file_id} {stored.name!r} shared in {stored.shares}")
        lines += [f"  canvas {c}" for c in self.canvases]
        lines += [f"  pin {channel} {ts}" for channel, ts in self.pins]
        lines += [f"  home tab of {user} shows the case" for user in self.homes]
        lines += [f"  text at {where}" for where in self.texts]
        return "\n".join(lines)


def slack_objects(sb: Sandbox) -> dict[str, int]:
    """How many messages, files, canvases and pins of the bot the sandbox holds now."""
    left = slack_leftovers(sb, markers=())
    return {
        k: v for k, v in left.counts().items() if k in ("messages", "files", "canvases", "pins")
    }


def slack_leftovers(sb: Sandbox, *, markers: tuple[str, ...] = MARKERS) -> SlackLeft:
    bot = sb.app.bot_user_id
    ws = sb.ws
    messages, pins = [], []
    for channel in ws.channels.values():
        for ts, message in channel.messages.items():
            if message.get("subtype") == "tombstone":
                continue  # a deleted parent whose replies (people's own) stay
            if message.get("user") == bot or message.get("bot_id"):
                messages.append((channel.id, ts))
            if message.get("pinned_to"):
                pins.append((channel.id, ts))
    files = [f.id for f in ws.files.values() if not f.is_canvas]
    canvases = [c.id for c in ws.channels.values() if c.canvas is not None]
    canvases += [f.id for f in ws.files.values() if f.is_canvas and f.id not in canvases]
    homes = [
        user
        for (user, _app), view_id in ws.homes.items()
        if view_id in ws.views and any(m in repr(ws.views[view_id].view) for m in markers)
    ]
    texts = [
        where
        for where, value in _strings(ws, "ws", set())
        if any(m in value for m in markers)
        and not _persons_own(where, ws, bot)
        and not where.startswith(_IGNORED)
    ]
    return SlackLeft(messages, files, canvases, pins, homes, texts)


# Places in the sandbox that are not Slack objects the bot could delete: ephemeral answers
# (Slack keeps them on one screen until reload), modals (gone when closed; the sandbox keeps a
# record of every view it ever showed), and the record of what users selected in inputs.
_IGNORED = ("ws|ephemerals", "ws|views", "ws|modal_stacks", "ws|message_state")


def _persons_own(where: str, ws: Any, bot: str) -> bool:
    """Is `where` inside a message a person wrote (those stay: README, Privacy)?"""
    parts = where.split("|")
    if len(parts) < 4 or parts[0] != "ws.channels" or parts[2] != "messages":
        return False
    message = ws.channels[parts[1]].messages.get(parts[3]) or {}
    return message.get("user") not in (None, bot) and not message.get("bot_id")


def _strings(value: Any, where: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    """Every string reachable from `value`, with a path to it (`|` between the steps)."""
    if isinstance(value, str):
        yield where, value
        return
    if isinstance(value, bytes):
        yield where, value.decode("utf-8", errors="replace")
        return
    if id(value) in seen or isinstance(value, int | float | bool | type(None)):
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}|{key}", seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for n, item in enumerate(value):
            yield from _strings(item, f"{where}|{n}", seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name), f"{where}|{f.name}", seen)
    elif hasattr(value, "__dict__") and type(value).__module__.startswith("sandbox"):
        for name, item in vars(value).items():
            if not name.startswith("_"):
                yield from _strings(item, f"{where}|{name}", seen)


async def table_counts(db: Database) -> dict[str, int]:
    """Rows per table, for every table in the metadata."""
    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:
        for table in all_tables().sorted_tables:
            counts[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


async def database_leftovers(db: Database) -> dict[str, int]:
    """Rows still there in any table but those that hold no case (and one audit line)."""
    left = {
        name: count
        for name, count in (await table_counts(db)).items()
        if count and name not in NOT_CASE_TABLES
    }
    async with db.engine.connect() as conn:
        lines = (await conn.execute(select(AuditEvent.__table__.c.action))).scalars().all()  # type: ignore[attr-defined]
    if list(lines) == ["case_purged"]:
        left.pop("audit_event", None)
    else:
        left["audit_event (not only the purge's line)"] = len(lines)
    return left
