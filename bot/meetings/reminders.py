"""The meeting reminder DM, sent by the poller (DESIGN §5; listed in bot/surface.py)."""

from __future__ import annotations

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.blocks import dicts, local_time, md
from bot.kit.i18n import t
from bot.kit.reminders import Obsolete, PermanentFailure, reminder_metadata
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from storage.cases import case_by_id
from storage.meetings import meeting_by_id
from storage.models import CaseStatus, MeetingStatus
from storage.reminders import Reminder


async def send_meeting_reminder(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    """A DM to an invitee: which case, when (in the meeting's zone), which phase, where."""
    if reminder.user_id is None or reminder.meeting_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=reminder.meeting_id)
        case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
    # The session is closed here: nothing below holds a transaction while Slack is called.
    if meeting is None or case is None:
        raise PermanentFailure("meeting_gone")
    if meeting.status != MeetingStatus.PLANNED or case.status != CaseStatus.OPEN:
        raise Obsolete("meeting_not_planned")
    lang = await deps.users.language(client, reminder.user_id)
    text = t(
        lang,
        "reminders.meeting",
        code=case.code,
        when=local_time(lang, meeting.scheduled_at, deps.settings.timezone),
        phase=_phase_title(deps, meeting.phase, lang),
        channel=f"<#{case.channel_id}>",
    )
    response = await client.chat_postMessage(
        channel=await open_dm(client, reminder.user_id),
        text=text,
        blocks=dicts([SectionBlock(text=md(text))]),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


def _phase_title(deps: Deps, phase_key: str, lang: str) -> str:
    try:
        return deps.catalogue.phase(phase_key).title.get(lang)
    except KeyError:
        # A phase removed by maatwerk after the meeting was planned: show its key.
        return phase_key
