"""Replies in a meeting thread are the minutes; edits and deletions follow (DESIGN §3).

A reply is stored against the question that is current when it arrives. A reply with a BSN is
not stored and its author is warned privately; phone numbers, e-mail addresses and IBANs are
stored (they can be relevant) but the author gets a private reminder to keep data minimal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.kit.access import Access, Refused, guard
from bot.kit.runtime import CaseTurn, Followup, Turn, later
from bot.kit.slack import permalink
from bot.kit.wiring import explain_refusal
from bot.meetings.use_cases import step_of
from flows.personal_data import scan
from flows.steps import Step
from storage.cases import open_case_in_channel
from storage.contributions import add_contribution, delete_contribution, edit_contribution
from storage.deliveries import first_delivery
from storage.meetings import meeting_by_thread, running_meeting
from storage.models import Meeting, MeetingStatus, row_id

log = logging.getLogger("casusbot")


def _thread_of(event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(thread_ts, message ts, author) of a new, edited or deleted thread reply."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message") or {}
        return message.get("thread_ts"), message.get("ts"), message.get("user")
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        return previous.get("thread_ts"), event.get("deleted_ts"), previous.get("user")
    return event.get("thread_ts"), event.get("ts"), event.get("user")


async def on_message(turn: Turn) -> Followup | None:
    """Stored (or deleted) before the ack, deduped on the event and the reply's ts; what the
    author is told follows after it."""
    event: dict[str, Any] = dict(turn.body.get("event") or {})
    subtype = event.get("subtype")
    if event.get("bot_id") or subtype not in (
        None,
        "message_changed",
        "message_deleted",
        "file_share",
    ):
        return None  # our own messages, joins, topic changes: not minutes
    thread_ts, ts, author = _thread_of(event)
    channel = event.get("channel")
    new = subtype in (None, "file_share")
    if not ts or not channel or not author:
        return None
    if not thread_ts or thread_ts == ts:
        # Top-level chat in the channel is not part of a meeting; while one runs, its author
        # is told where the minutes are.
        return await _beside_the_thread(turn, channel) if new else None
    async with turn.deps.db.session() as session:
        meeting = await meeting_by_thread(session, channel_id=channel, thread_ts=thread_ts)
    if meeting is None:
        return None
    meeting_id = row_id(meeting)
    if meeting.status != MeetingStatus.RUNNING:
        log.info("reply in meeting %s thread after it %s: not stored", meeting.id, meeting.status)
        return await _after_the_meeting(turn, meeting) if new else None
    turn.user_id = author
    try:
        member_turn = await guard(turn, Access.MEMBER)
    except Refused as refusal:
        return later(_not_stored, turn, refusal)
    if subtype == "message_deleted":
        async with turn.deps.db.session() as session:
            await delete_contribution(session, meeting_id=meeting_id, message_ts=ts)
        return None
    text = (
        (event.get("message") or {}).get("text")
        if subtype == "message_changed"
        else event.get("text")
    )
    return await _store(
        member_turn,
        meeting_id,
        step_of(turn.deps.catalogue, meeting),
        ts,
        text or "",
        edited=subtype == "message_changed",
        event_id=turn.body.get("event_id"),
    )


async def _store(
    turn: CaseTurn,
    meeting_id: int,
    step: Step | None,
    ts: str,
    text: str,
    *,
    edited: bool,
    event_id: str | None,
) -> Followup | None:
    findings = scan(text)
    if findings.bsn:
        async with turn.deps.db.session() as session:
            # An edit that adds a BSN erases what was stored before.
            await delete_contribution(session, meeting_id=meeting_id, message_ts=ts)
        return later(_tell_key, turn, "thread.bsn_refused")
    async with turn.deps.db.session() as session:
        if event_id and not await first_delivery(session, key=f"event:{event_id}"):
            return None  # Slack retried an event we already handled
        if edited:
            await edit_contribution(session, meeting_id=meeting_id, message_ts=ts, text=text)
        elif step is not None:
            await add_contribution(
                session,
                meeting_id=meeting_id,
                step_key=step.key,
                user_id=turn.user_id,
                message_ts=ts,
                text=text,
            )
    if findings.warnings:
        return later(_warn, turn, findings.warnings)
    return None


async def _first(turn: Turn) -> bool:
    """This event for the first time (Slack retries events): a note is told once."""
    event_id = turn.body.get("event_id")
    if not event_id:
        return True
    async with turn.deps.db.session() as session:
        return await first_delivery(session, key=f"event:{event_id}")


async def _beside_the_thread(turn: Turn, channel: str) -> Followup | None:
    """A message in the channel while a meeting of its case runs: not in the minutes."""
    async with turn.deps.db.session() as session:
        case = await open_case_in_channel(session, channel_id=channel)
        running = await running_meeting(session, case_id=row_id(case)) if case else None
    if running is None or not running.thread_ts or not await _first(turn):
        return None
    return later(_tell_where, turn, running, "thread.in_channel")


async def _after_the_meeting(turn: Turn, meeting: Meeting) -> Followup | None:
    """A reply in the thread of a meeting that ended: not in its minutes any more."""
    if meeting.status != MeetingStatus.ENDED or not await _first(turn):
        return None
    async with turn.deps.db.session() as session:
        running = await running_meeting(session, case_id=meeting.case_id)
    return later(_tell_where, turn, running, "thread.after_end")


async def _tell_where(turn: Turn, running: Meeting | None, key: str) -> None:
    """The note, with a link to the running meeting's thread where there is one."""
    await turn.settle_language()
    link = await permalink(turn.client, running.channel_id, running.thread_ts) if running else None
    where = turn.t("thread.where_running", link=link) if link else turn.t("thread.where_later")
    await turn.tell(turn.t(key, where=where))


async def _not_stored(turn: Turn, refusal: Refused) -> None:
    await turn.tell(turn.t("thread.not_stored"))
    await explain_refusal(turn, refusal)


async def _tell_key(turn: Turn, key: str) -> None:
    await turn.tell(turn.t(key))


async def _warn(turn: Turn, warnings: Sequence[str]) -> None:
    """Stored, with a private reminder to keep data minimal."""
    kinds = ", ".join(turn.t(f"thread.kind_{kind}") for kind in warnings)
    await turn.tell(turn.t("thread.pii_warning", kinds=kinds))
