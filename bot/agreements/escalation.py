"""Telling the procesregisseur in the case channel: a bodemeis broken (or its check left
unanswered), with the agreed plan and a button for an extra meeting; and an action that cannot
be done, with the reason given."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.web.async_client import AsyncWebClient

from bot.agreements.dms import Escalation, channel_note, escalation_message
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from storage.agreements import ESCALATION_WORKING_DAYS, Agreement, CheckAnswer, escalation_plan
from storage.bodemeis_checks import set_escalation_ts
from storage.cases import lead_of
from storage.meetings import meeting_by_id
from storage.models import Case, row_id

log = logging.getLogger("casusbot.agreements")


async def escalate(
    deps: Deps,
    client: AsyncWebClient,
    *,
    agreement: Agreement,
    case: Case,
    occurrence: str,
    answer: CheckAnswer,
) -> str:
    """Post the escalation and remember its ts on the check. Returns the message ts."""
    agreement_id, case_id = row_id(agreement), row_id(case)
    async with deps.db.session() as session:
        lead = await lead_of(session, case_id=case_id)
        plan = await escalation_plan(session, case_id=case_id)
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
        Ref(case_id=case_id),
    )
    posted = await client.chat_postMessage(
        channel=case.channel_id,
        text=t(lang, "escalation.short", code=case.code),
        blocks=blocks,
    )
    ts = str(posted["ts"])
    async with deps.db.session() as session:
        await set_escalation_ts(session, agreement_id=agreement_id, occurrence=occurrence, ts=ts)
    log.info("bodemeis %s escalated (%s) in case %s", agreement_id, answer.value, case_id)
    return ts


async def report_not_possible(
    deps: Deps, client: AsyncWebClient, *, agreement: Agreement, case: Case, by: str
) -> None:
    """An action that cannot be done is news for the procesregisseur. Said in the thread of
    the meeting that agreed it and broadcast to the channel: a purge of the case removes the
    thread, so the reason given does not outlive the case."""
    async with deps.db.session() as session:
        lead = await lead_of(session, case_id=row_id(case))
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
