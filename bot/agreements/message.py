"""The one agreements message per meeting, in its thread: posted on the first agreement,
updated in place after that (and after an agreement changed from a DM).

The agreements are stored before this runs, and nothing here holds a transaction open while
Slack is called; a Slack failure is logged, and the next change shows everything again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.agreements.blocks import agreements_message
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.kit.slack import error_code
from storage.agreements import (
    Agreement,
    agreements_to_show,
    claim_message,
    message_of,
    set_message_ts,
)
from storage.cases import case_by_id
from storage.meetings import meeting_by_id, running_meeting
from storage.models import row_id

log = logging.getLogger("casusbot.agreements")


async def refresh_message(deps: Deps, client: AsyncWebClient, *, meeting_id: int) -> None:
    """Post the meeting's agreements message in its thread, or update it in place."""
    try:
        await _refresh(deps, client, meeting_id)
    except SlackApiError as error:
        log.warning("agreements message of meeting %s: %s", meeting_id, error_code(error))


async def _refresh(deps: Deps, client: AsyncWebClient, meeting_id: int) -> None:
    # One writer per meeting message in this process: two quick recordings must not both post
    # a first message, and an older rendering must not overwrite a newer one.
    async with deps.locks(("agreements_message", meeting_id)):
        async with deps.db.session() as session:
            meeting = await meeting_by_id(session, meeting_id=meeting_id)
            case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
            if meeting is None or case is None or not meeting.thread_ts or not meeting.channel_id:
                return  # no thread to show it in (the meeting never started)
            items = await agreements_to_show(session, case_id=row_id(case), meeting_id=meeting_id)
            next_meetings: dict[int, datetime | None] = {}
            for other_id in [a.next_meeting_id for a in items if a.next_meeting_id is not None]:
                other = await meeting_by_id(session, meeting_id=other_id)
                next_meetings[other_id] = other.scheduled_at if other else None
            stored = await message_of(session, meeting_id=meeting_id)
            claimed = stored is None and await claim_message(
                session, meeting_id=meeting_id, channel_id=meeting.channel_id
            )
        lang = deps.settings.language
        blocks = agreements_message(
            lang,
            code=case.code,
            meeting_id=meeting_id,
            items=items,
            today=local_today(deps.settings.timezone),
            next_meetings=next_meetings,
            tz=deps.settings.timezone,
        )
        text = t(lang, "agreements.message_short", code=case.code)
        if stored is not None and stored.message_ts:
            try:
                await client.chat_update(
                    channel=stored.channel_id, ts=stored.message_ts, text=text, blocks=blocks
                )
                return
            except SlackApiError as error:
                if error_code(error) != "message_not_found":
                    raise
                # Someone deleted it: post a new one below and remember that instead.
        elif stored is None and not claimed:
            return  # another process claimed it a moment ago and is posting it
        posted = await client.chat_postMessage(
            channel=meeting.channel_id, thread_ts=meeting.thread_ts, text=text, blocks=blocks
        )
        async with deps.db.session() as session:
            await set_message_ts(session, meeting_id=meeting_id, ts=str(posted["ts"]))


async def refresh_for(deps: Deps, client: AsyncWebClient, agreement: Agreement) -> None:
    """After an agreement changed outside its meeting (done from a DM): the message of the
    meeting that agreed it, and of the case's running meeting, which lists open actions."""
    meeting_ids = [agreement.meeting_id]
    async with deps.db.session() as session:
        running = await running_meeting(session, case_id=agreement.case_id)
        if running is not None and row_id(running) not in meeting_ids:
            meeting_ids.append(row_id(running))
        existing = {m for m in meeting_ids if await message_of(session, meeting_id=m)}
    for meeting_id in meeting_ids:
        if meeting_id in existing:
            await refresh_message(deps, client, meeting_id=meeting_id)
