"""Steps for the agreement tests: walk a meeting to a section, record agreements through their
modals, find the agreements message, run the reminder poller at a chosen time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import col, select

from bot.poller import PollReport, poll_once
from flows.schedule import ReminderKind
from storage.agreements import Agreement, BodemeisCheck
from storage.reminders import Reminder, ReminderStatus
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import (
    action_ids,
    click,
    current_question,
    decided_here,
    decision_options,
    decision_value,
    go_on_below,
    move_on,
    text_of,
    thread,
)

AMS = ZoneInfo("Europe/Amsterdam")
SECTION_TITLES = {
    "besluitvorming": "Besluitvorming",
    "afspraken": "Afspraken over samenwerking",
    "afsluitingsplan": "Afsluitingsplan",
}


def today() -> date:
    return datetime.now(AMS).date()


def in_days(days: int) -> date:
    return today() + timedelta(days=days)


async def walk_to(h: Harness, thread_ts: str, section: str, *, decide: str | None = None) -> dict:
    """Move on until the current question belongs to `section`; at a decision question that
    offers the branch named `decide`, choose it; at the others, go on below."""
    marker = f"_{SECTION_TITLES[section]} ·"
    for _ in range(40):
        question = current_question(h, thread_ts)
        if marker in text_of(question):
            return question
        if "meeting_decide" in action_ids(question) and not await decided_here(h):
            names = {key.rpartition(".")[2] for key in decision_options(question)}
            if decide in names:
                value = decision_value(question, decide)
                await click(h, "petra", "meeting_decide", question, value=value)
            else:
                await go_on_below(h, thread_ts, who="petra")
            continue
        await move_on(h, thread_ts)
    raise AssertionError(f"never reached {section}")


async def open_form(h: Harness, who: str, action_id: str, message: dict) -> dict | None:
    await click(h, who, action_id, message)
    return h.sb.user(who).modal


async def submit(h: Harness, who: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """Fill in and submit the open modal; `values` maps block ids to values."""
    ack = await h.sb.user(who).submit({block: {block: value} for block, value in values.items()})
    await h.settle()
    return ack


def agreement_messages(h: Harness, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in thread(h, thread_ts) if "Afspraken — casus" in text_of(m)]


def agreements_text(h: Harness, thread_ts: str) -> str:
    [message] = agreement_messages(h, thread_ts)
    return text_of(message)


async def stored_agreements(h: Harness) -> list[Agreement]:
    async with h.db.session() as session:
        return list((await session.exec(select(Agreement).order_by(col(Agreement.id)))).all())


async def stored_checks(h: Harness) -> list[BodemeisCheck]:
    async with h.db.session() as session:
        query = select(BodemeisCheck).order_by(col(BodemeisCheck.id))
        return list((await session.exec(query)).all())


async def raw_column(h: Harness, table: str, column: str) -> list[str | None]:
    """What the database itself holds, before decryption."""
    async with h.db.session() as session:
        rows = await session.exec(text(f"SELECT {column} FROM {table} ORDER BY id"))  # type: ignore[call-overload]
        return [row[0] for row in rows.all()]


async def stored_reminders(h: Harness, kind: ReminderKind | None = None) -> list[Reminder]:
    async with h.db.session() as session:
        query = select(Reminder).order_by(col(Reminder.id))
        if kind is not None:
            query = query.where(Reminder.kind == kind)
        return list((await session.exec(query)).all())


async def pending(h: Harness, kind: ReminderKind) -> Reminder:
    [reminder] = [r for r in await stored_reminders(h, kind) if r.status == ReminderStatus.PENDING]
    return reminder


async def poll(h: Harness, now: datetime) -> PollReport:
    """One round of the reminder poller at a chosen time, as the bot's own job would run it."""
    report = await poll_once(h.bot.deps, h.bot.app.client, now=now)
    await h.settle()
    return report


def last_dm(h: Harness, who: str) -> dict[str, Any]:
    return h.sb.user(who).dms()[-1]


async def click_dm(h: Harness, who: str, action_id: str, message: dict[str, Any]) -> None:
    person = h.sb.user(who)
    await person.click(action_id, message=(person.dm_channel(), message["ts"]))
    await h.settle()


def fresh(h: Harness, who: str, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it is now (after updates)."""
    found = h.sb.message(h.sb.user(who).dm_channel(), message["ts"]) or h.sb.message(
        CASE_CHANNEL, message["ts"]
    )
    assert found is not None
    return found
