"""Nothing falls between meetings (issue 16 point 5): the reminder to the regisseurs when a
meeting ended without a next one, weekly until one is planned or the case closes, with
"overleg te lang geleden" when the phase's longest interval has passed. Sent by the poller
(DESIGN §5; listed in bot/surface.py); the series lives in storage.rhythm.

The next week's reminder is scheduled before this one is posted (idempotent under its dedupe
key), so neither a failed post nor a restart loses the series.
"""

from __future__ import annotations

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.blocks import dicts, local_time, md
from bot.kit.i18n import t
from bot.kit.reminders import Obsolete, PermanentFailure, reminder_metadata
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from storage.cases import case_by_id, regisseurs
from storage.reminders import Reminder
from storage.rhythm import (
    last_meeting_end,
    overdue_cases,
    schedule_next_no_meeting_reminder,
    still_without_next_meeting,
)
from storage.types import utcnow


async def send_no_next_meeting(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    if reminder.case_id is None or reminder.user_id is None:
        raise PermanentFailure("bad_reminder")
    settings = deps.settings
    # The poller does not hand us its clock; the due time stands in when it lies ahead.
    now = max(reminder.due_at, utcnow())
    async with deps.db.session() as session:
        case = await case_by_id(session, case_id=reminder.case_id)
        if case is None:
            raise PermanentFailure("case_gone")
        if not await still_without_next_meeting(session, case_id=reminder.case_id):
            raise Obsolete("meeting_planned_or_case_closed")
        if reminder.user_id not in await regisseurs(session, case_id=reminder.case_id):
            raise Obsolete("no_longer_regisseur")
        await schedule_next_no_meeting_reminder(
            session,
            reminder=reminder,
            now=now,
            hours=settings.working_hours,
            tz=settings.timezone,
        )
        since = await last_meeting_end(session, case_id=reminder.case_id)
        overdue = await overdue_cases(
            session, now=now, limits=settings.max_meeting_interval, case_ids=[reminder.case_id]
        )
    lang = await deps.users.language(client, reminder.user_id)
    text = t(
        lang,
        "rhythm.no_meeting",
        code=case.code,
        since=local_time(lang, since or case.created_at, settings.timezone),
        channel=f"<#{case.channel_id}>",
    )
    for late in overdue:
        phase = (
            deps.catalogue.phase(late.phase).title.get(lang)
            if late.phase in deps.catalogue.phase_keys
            else late.phase
        )
        text += "\n" + t(
            lang, "rhythm.too_long", days=late.days, limit=late.limit_days, phase=phase
        )
    response = await client.chat_postMessage(
        channel=await open_dm(client, reminder.user_id),
        text=t(lang, "rhythm.no_meeting_short", code=case.code),
        blocks=dicts([SectionBlock(text=md(text))]),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])
