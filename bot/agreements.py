"""Agreements between the database and Slack: the one agreements message per meeting, and the
messages to the procesregisseur when a bodemeis is broken or an action cannot be done.

Used by the listeners (bot/listeners/agreements.py) and the reminder senders
(bot/agreement_reminders.py). Nothing here holds a transaction open while Slack is called.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks.agreement_dms import Escalation, channel_note, escalation_message
from bot.blocks.agreements import agreements_message, local_date, owner_text
from bot.i18n import t
from bot.payloads import Ref
from bot.runtime import Deps
from storage.agreements import (
    ESCALATION_WORKING_DAYS,
    Agreement,
    CheckAnswer,
    agreements_to_show,
    claim_message,
    escalation_plan,
    message_of,
    open_actions,
    set_message_ts,
)
from storage.bodemeis_checks import checks_since, set_escalation_ts
from storage.cases import case_by_id
from storage.meetings import meeting_by_id, meetings_of_case, running_meeting
from storage.models import Case, Meeting, Participant, Role

log = logging.getLogger("casusbot.agreements")


def _lock(deps: Deps, meeting_id: int) -> asyncio.Lock:
    # One writer per meeting message in this process: two quick recordings must not both post
    # a first message, and an older rendering must not overwrite a newer one.
    locks: dict[int, asyncio.Lock] = deps.extras.setdefault("agreement_message_locks", {})
    return locks.setdefault(meeting_id, asyncio.Lock())


async def lead_of(session: AsyncSession, *, case_id: int) -> str | None:
    """The case's procesregisseur (else its casusregisseur): who hears about broken bottom lines."""
    query = (
        select(Participant)
        .where(
            Participant.case_id == case_id,
            col(Participant.removed_at).is_(None),
            col(Participant.role).in_([Role.PROCESREGISSEUR, Role.CASUSREGISSEUR]),
        )
        .order_by(col(Participant.id))
    )
    members = list((await session.exec(query)).all())
    members.sort(key=lambda m: m.role != Role.PROCESREGISSEUR)
    return members[0].user_id if members else None


def today(deps: Deps) -> date:
    return datetime.now(deps.settings.timezone).date()


async def refresh_message(deps: Deps, client: AsyncWebClient, *, meeting_id: int) -> None:
    """Post the meeting's agreements message in its thread, or update it in place.

    The agreements are stored before this runs; a Slack failure here is logged, and the next
    change shows everything again.
    """
    try:
        await _refresh(deps, client, meeting_id)
    except SlackApiError as error:
        log.warning("agreements message of meeting %s: %s", meeting_id, error.response.get("error"))


async def _refresh(deps: Deps, client: AsyncWebClient, meeting_id: int) -> None:
    async with _lock(deps, meeting_id):
        async with deps.db.session() as session:
            meeting = await meeting_by_id(session, meeting_id=meeting_id)
            case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
            if meeting is None or case is None or not meeting.thread_ts or not meeting.channel_id:
                return  # no thread to show it in (the meeting never started)
            items = await agreements_to_show(session, case_id=case.id, meeting_id=meeting.id)
            linked = [a.next_meeting_id for a in items if a.next_meeting_id is not None]
            next_meetings = {}
            for other_id in linked:
                other = await meeting_by_id(session, meeting_id=other_id)
                next_meetings[other_id] = other.scheduled_at if other else None
            stored = await message_of(session, meeting_id=meeting.id)
            claimed = stored is None and await claim_message(
                session, meeting_id=meeting.id, channel_id=meeting.channel_id
            )
        lang = deps.settings.language
        blocks = agreements_message(
            lang,
            code=case.code,
            meeting_id=meeting.id,
            items=items,
            today=today(deps),
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
                if error.response.get("error") != "message_not_found":
                    raise
                # Someone deleted it: post a new one below and remember that instead.
        elif stored is None and not claimed:
            return  # another process claimed it a moment ago and is posting it
        posted = await client.chat_postMessage(
            channel=meeting.channel_id, thread_ts=meeting.thread_ts, text=text, blocks=blocks
        )
        async with deps.db.session() as session:
            await set_message_ts(session, meeting_id=meeting.id, ts=str(posted["ts"]))


async def refresh_for(deps: Deps, client: AsyncWebClient, agreement: Agreement) -> None:
    """After an agreement changed outside its meeting (done from a DM): the message of the
    meeting that agreed it, and of the case's running meeting, which lists open actions."""
    meeting_ids = [agreement.meeting_id]
    async with deps.db.session() as session:
        running = await running_meeting(session, case_id=agreement.case_id)
        if running is not None and running.id not in meeting_ids:
            meeting_ids.append(running.id)  # type: ignore[arg-type]
        existing = {m for m in meeting_ids if await message_of(session, meeting_id=m)}
    for meeting_id in meeting_ids:
        if meeting_id in existing:
            await refresh_message(deps, client, meeting_id=meeting_id)


async def escalate(
    deps: Deps,
    client: AsyncWebClient,
    *,
    agreement: Agreement,
    case: Case,
    occurrence: str,
    answer: CheckAnswer,
) -> str:
    """Tell the procesregisseur in the case channel that a bodemeis is broken (or unchecked),
    with the agreed plan and a button for an extra meeting. Returns the message ts."""
    assert agreement.id is not None and case.id is not None
    async with deps.db.session() as session:
        lead = await lead_of(session, case_id=case.id)
        plan = await escalation_plan(session, case_id=case.id)
    lang = deps.settings.language
    blocks = escalation_message(
        lang,
        Escalation(
            code=case.code,
            text=agreement.text or "",
            occurrence=date.fromisoformat(occurrence),
            answer=answer,
            monitor=agreement.monitor_user_id,
            lead=lead,
            plan=plan,
            days=ESCALATION_WORKING_DAYS,
        ),
        Ref(case_id=case.id),
    )
    posted = await client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "escalation.short", code=case.code),
        blocks=blocks,
    )
    ts = str(posted["ts"])
    async with deps.db.session() as session:
        await set_escalation_ts(session, agreement_id=agreement.id, occurrence=occurrence, ts=ts)
    log.info("bodemeis %s escalated (%s) in case %s", agreement.id, answer.value, case.id)
    return ts


async def report_not_possible(
    deps: Deps, client: AsyncWebClient, *, agreement: Agreement, case: Case, by: str
) -> None:
    """An action that cannot be done is news for the procesregisseur. Said in the thread of
    the meeting that agreed it and broadcast to the channel: a purge of the case removes the
    thread, so the reason given does not outlive the case."""
    assert case.id is not None
    async with deps.db.session() as session:
        lead = await lead_of(session, case_id=case.id)
        meeting = await meeting_by_id(session, meeting_id=agreement.meeting_id)
    lang = deps.settings.language
    text = t(
        lang,
        "agreements.not_possible_channel",
        code=case.code,
        lead=f"<@{lead}>" if lead else t(lang, "agreements.no_lead"),
        by=f"<@{by}>",
        what=(agreement.text or "").strip(),
        reason=(agreement.reason or "").strip(),
    )
    thread_ts = meeting.thread_ts if meeting is not None else None
    await client.chat_postMessage(
        channel=case.channel_id,
        text=text,
        blocks=channel_note(text),
        thread_ts=thread_ts,
        reply_broadcast=bool(thread_ts),
    )


async def meeting_and_case(
    session: AsyncSession, *, meeting_id: int
) -> tuple[Meeting | None, Case | None]:
    meeting = await meeting_by_id(session, meeting_id=meeting_id)
    case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
    return meeting, case


# ----- the Vooraf overview at the start of a meeting -----


async def overview_action_lines(deps: Deps, case: Case, lang: str) -> list[str]:
    assert case.id is not None
    async with deps.db.session() as session:
        actions = await open_actions(session, case_id=case.id)
    current = today(deps)
    return [
        t(
            lang,
            "agreements.overview_action",
            what=" ".join((a.text or "").split()),
            owner=owner_text(lang, a),
            due=local_date(lang, a.due_date) if a.due_date else "—",
            overdue=t(lang, "agreements.status_overdue")
            if a.due_date is not None and a.due_date < current
            else "",
        )
        for a in actions
    ]


async def overview_check_lines(deps: Deps, case: Case, meeting: Meeting, lang: str) -> list[str]:
    """Per bodemeis, its answers since the case's previous meeting ended (all, for a first)."""
    assert case.id is not None
    async with deps.db.session() as session:
        earlier = [
            m.ended_at
            for m in await meetings_of_case(session, case_id=case.id)
            if m.id != meeting.id and m.ended_at is not None
        ]
        found = await checks_since(session, case_id=case.id, since=max(earlier, default=None))
    answers: dict[int, list[str]] = {}
    bodemeisen: dict[int, Agreement] = {}
    for check, agreement in found:
        assert agreement.id is not None
        bodemeisen[agreement.id] = agreement
        answers.setdefault(agreement.id, []).append(
            t(
                lang,
                "agreements.overview_answer",
                date=local_date(lang, date.fromisoformat(check.occurrence)),
                answer=t(lang, f"checks.answer_{check.answer}"),
            )
        )
    return [
        t(
            lang,
            "agreements.overview_check",
            text=" ".join((bodemeisen[key].text or "").split()),
            monitor=f"<@{bodemeisen[key].monitor_user_id}>",
            answers=", ".join(lines),
        )
        for key, lines in answers.items()
    ]
