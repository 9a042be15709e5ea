"""Replies in a meeting thread are the minutes; edits and deletions follow (DESIGN §3).

A reply is stored against the question that is current when it arrives. A reply with a BSN is
not stored and its author is warned privately; phone numbers, e-mail addresses and IBANs are
stored (they can be relevant) but the author gets a private reminder to keep data minimal.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.kit.access import Access, Refused, guard
from bot.kit.runtime import CaseTurn, Turn
from bot.kit.wiring import explain_refusal
from bot.meetings.use_cases import step_of
from flows.personal_data import scan
from flows.steps import Step
from storage.contributions import add_contribution, delete_contribution, edit_contribution
from storage.deliveries import first_delivery
from storage.meetings import meeting_by_thread
from storage.models import MeetingStatus, row_id

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


async def on_message(turn: Turn) -> None:
    event: dict[str, Any] = dict(turn.body.get("event") or {})
    subtype = event.get("subtype")
    if event.get("bot_id") or subtype not in (
        None,
        "message_changed",
        "message_deleted",
        "file_share",
    ):
        return  # our own messages, joins, topic changes: not minutes
    thread_ts, ts, author = _thread_of(event)
    channel = event.get("channel")
    if not thread_ts or not ts or thread_ts == ts or not channel or not author:
        return  # top-level chat in the channel is not part of a meeting
    async with turn.deps.db.session() as session:
        meeting = await meeting_by_thread(session, channel_id=channel, thread_ts=thread_ts)
    if meeting is None:
        return
    meeting_id = row_id(meeting)
    if meeting.status != MeetingStatus.RUNNING:
        log.info("reply in meeting %s thread after it %s: not stored", meeting.id, meeting.status)
        return
    turn.user_id = author
    try:
        member_turn = await guard(turn, Access.MEMBER)
    except Refused as refusal:
        await turn.tell(turn.t("thread.not_stored"))
        await explain_refusal(turn, refusal)
        return
    if subtype == "message_deleted":
        async with turn.deps.db.session() as session:
            await delete_contribution(session, meeting_id=meeting_id, message_ts=ts)
        return
    text = (
        (event.get("message") or {}).get("text")
        if subtype == "message_changed"
        else event.get("text")
    )
    await _store(
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
) -> None:
    findings = scan(text)
    if findings.bsn:
        async with turn.deps.db.session() as session:
            # An edit that adds a BSN erases what was stored before.
            await delete_contribution(session, meeting_id=meeting_id, message_ts=ts)
        await turn.tell(turn.t("thread.bsn_refused"))
        return
    async with turn.deps.db.session() as session:
        if event_id and not await first_delivery(session, key=f"event:{event_id}"):
            return  # Slack retried an event we already handled
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
        kinds = ", ".join(turn.t(f"thread.kind_{kind}") for kind in findings.warnings)
        await turn.tell(turn.t("thread.pii_warning", kinds=kinds))
