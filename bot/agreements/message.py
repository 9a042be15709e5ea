"""The one agreements message per meeting, in its thread: an outbox object (DESIGN §2).

Every change to an agreement asks for it in its own transaction (posted on the first agreement,
updated in place after that, also after an agreement changed from a DM); the renderer draws it
from what is stored when it goes out. One row per meeting decides that there is one message,
whichever replica renders it: no lock, no "first post" race. The note in the channel that an
action cannot be done is an object too, so the purge finds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreements.blocks import agreements_message
from bot.agreements.dms import channel_note
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.ids import ObjectKind
from bot.kit.objects import bump, meeting_of, payload_int, wanted
from bot.kit.runtime import Deps
from bot.meetings.objects import want_in_thread
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from storage.agreements import Agreement, agreement_by_id, agreements_to_show
from storage.cases import case_by_id, lead_of
from storage.meetings import meeting_by_id, running_meeting
from storage.models import Case, row_id
from storage.postponements import postponements_of_case
from storage.slack_objects import object_by_key


def message_key(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:agreements"


async def want_message(session: AsyncSession, deps: Deps, *, meeting_id: int) -> list[int]:
    """The meeting's agreements message shows what is stored now (none for a meeting that
    never started: it has no thread)."""
    meeting = await meeting_by_id(session, meeting_id=meeting_id)
    if meeting is None or not meeting.channel_id:
        return []
    key = message_key(meeting_id)
    return [await want_in_thread(session, deps, meeting, key=key, kind=ObjectKind.AGREEMENTS)]


async def bump_for(session: AsyncSession, deps: Deps, agreement: Agreement) -> list[int]:
    """After an agreement changed outside its meeting (done from a DM): the message of the
    meeting that agreed it, and of the case's running meeting, which lists open actions — each
    only where it exists already."""
    meeting_ids = [agreement.meeting_id]
    running = await running_meeting(session, case_id=agreement.case_id)
    if running is not None and row_id(running) not in meeting_ids:
        meeting_ids.append(row_id(running))
    rows: list[int] = []
    for meeting_id in meeting_ids:
        row = await object_by_key(session, key=message_key(meeting_id))
        if row is not None:
            rows.append(await bump(session, deps, row))
    return rows


async def render_message(deps: Deps, ctx: RenderContext) -> Rendered:
    meeting, case = await meeting_of(deps, ctx)
    meeting_id = row_id(meeting)
    async with deps.db.session() as session:
        items = await agreements_to_show(session, case_id=row_id(case), meeting_id=meeting_id)
        postponed = await postponements_of_case(session, case_id=row_id(case))
        next_meetings: dict[int, datetime | None] = {}
        for other_id in [a.next_meeting_id for a in items if a.next_meeting_id is not None]:
            other = await meeting_by_id(session, meeting_id=other_id)
            next_meetings[other_id] = other.scheduled_at if other else None
    lang = deps.settings.language
    blocks = agreements_message(
        lang,
        code=case.code,
        meeting_id=meeting_id,
        items=items,
        today=local_today(deps.settings.timezone),
        next_meetings=next_meetings,
        tz=deps.settings.timezone,
        postponed=postponed,
    )
    return await post_or_update(
        ctx, text=t(lang, "agreements.message_short", code=case.code), blocks=blocks
    )


async def want_not_possible(
    session: AsyncSession, deps: Deps, *, agreement: Agreement, case: Case
) -> int:
    """News for the procesregisseur: an action cannot be done. Said in the thread of the
    meeting that agreed it and broadcast to the channel: a purge of the case removes it."""
    meeting = await meeting_by_id(session, meeting_id=agreement.meeting_id)
    agreement_id = row_id(agreement)
    return await wanted(
        session,
        deps,
        key=f"agreement:{agreement_id}:not_possible",
        kind=ObjectKind.NOT_POSSIBLE,
        case_id=row_id(case),
        channel_id=case.channel_id,
        thread_ts=meeting.thread_ts if meeting is not None else None,
        payload={"agreement": agreement_id},
    )


async def render_not_possible(deps: Deps, ctx: RenderContext) -> Rendered:
    agreement_id = payload_int(ctx.payload, "agreement")
    async with deps.db.session() as session:
        agreement = await agreement_by_id(session, agreement_id=agreement_id)
        case = await case_by_id(session, case_id=agreement.case_id) if agreement else None
        lead = await lead_of(session, case_id=row_id(case)) if case else None
    if agreement is None or case is None:
        raise RenderFailed("agreement_gone")
    lang = deps.settings.language
    text = t(
        lang,
        "agreements.not_possible_channel",
        code=case.code,
        lead=f"<@{lead}>" if lead else t(lang, "agreements.no_lead"),
        by=f"<@{agreement.finished_by}>" if agreement.finished_by else "—",
        what=(agreement.text or "").strip(),
        reason=(agreement.reason or "").strip(),
    )
    if ctx.ts is not None:
        return await post_or_update(ctx, text=text, blocks=channel_note(text))
    response = await ctx.client.chat_postMessage(
        channel=ctx.channel_id,
        text=text,
        blocks=channel_note(text),
        thread_ts=ctx.thread_ts,
        reply_broadcast=bool(ctx.thread_ts),
        metadata=ctx.metadata,
    )
    return Rendered.message(response)
