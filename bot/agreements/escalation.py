"""Telling the procesregisseur in the case channel: a bodemeis broken (or its check left
unanswered), with the agreed plan and a button for an extra meeting. Sent by the reminder poller
(exactly once: the post carries its reminder's id, bot.kit.reminders). An action that cannot be
done is told through the outbox (bot.agreements.message)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.agreements.dms import Escalation, escalation_message
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from storage.agreements import ESCALATION_WORKING_DAYS, Agreement, CheckAnswer, escalation_plan
from storage.bodemeis_checks import set_escalation_ts
from storage.cases import lead_of
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
    metadata: dict[str, Any],
) -> str:
    """Post the escalation (with its reminder's `metadata`) and remember its ts on the check.
    Returns the message ts."""
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
        metadata=metadata,
    )
    ts = str(posted["ts"])
    async with deps.db.session() as session:
        await set_escalation_ts(session, agreement_id=agreement_id, occurrence=occurrence, ts=ts)
    log.info("bodemeis %s escalated (%s) in case %s", agreement_id, answer.value, case_id)
    return ts
