"""The aftercare DM, months after a close (issue 16 point 4), sent by the poller (DESIGN §5;
listed in bot/surface.py): "Gaat het nog goed met dit gezin?" with ja / nee — heropenen."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.closing.blocks import aftercare_dm
from bot.kit.blocks import local_time
from bot.kit.i18n import t
from bot.kit.objects import payload_int
from bot.kit.reminders import Obsolete, PermanentFailure, reminder_metadata
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from storage.cases import case_by_id
from storage.closing import closure_by_id
from storage.models import CaseStatus, row_id
from storage.reminders import Reminder


async def send_aftercare(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    if reminder.case_id is None or reminder.user_id is None:
        raise PermanentFailure("bad_reminder")
    try:
        closure_id = payload_int(reminder.data, "closure")
    except ValueError:
        raise PermanentFailure("bad_reminder") from None
    async with deps.db.session() as session:
        case = await case_by_id(session, case_id=reminder.case_id)
        closure = await closure_by_id(session, closure_id=closure_id)
    if case is None or closure is None:
        raise Obsolete("case_purged")
    if case.status != CaseStatus.CLOSED or closure.aftercare_answer is not None:
        raise Obsolete("reopened_or_answered")
    lang = await deps.users.language(client, reminder.user_id)
    closed_on = local_time(lang, closure.closed_at, deps.settings.timezone)
    response = await client.chat_postMessage(
        channel=await open_dm(client, reminder.user_id),
        text=t(lang, "aftercare.short", code=case.code),
        blocks=aftercare_dm(
            lang,
            case_id=row_id(case),
            closure_id=closure_id,
            code=case.code,
            closed_on=closed_on,
        ),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])
