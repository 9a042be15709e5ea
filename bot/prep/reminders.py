"""The prep DM and its one nudge, sent by the poller (DESIGN §5; listed in bot/surface.py).

Senders decide at send time, not at planning time, whether a reminder still makes sense: the
invitee may have left the case, answered already, or the meeting may have started.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.blocks import local_time
from bot.kit.i18n import t
from bot.kit.payloads import Ref
from bot.kit.reminders import Obsolete, PermanentFailure, reminder_metadata
from bot.kit.runtime import Deps
from bot.kit.slack import open_dm
from bot.kit.standin import addressee, marked
from bot.prep.blocks import prep_dm
from bot.prep.use_cases import meeting_info
from flows.model import Phase
from storage.cases import case_by_id, participant
from storage.meetings import invitees, meeting_by_id
from storage.models import CaseStatus, MeetingStatus, row_id
from storage.prep import has_prepared
from storage.reminders import Reminder


def _phase(deps: Deps, key: str) -> Phase:
    try:
        return deps.catalogue.phase(key)
    except KeyError:
        # A phase a region removed after the meeting was planned: nothing sensible to ask.
        raise PermanentFailure("unknown_phase") from None


async def _send(deps: Deps, client: AsyncWebClient, reminder: Reminder, *, nudge: bool) -> str:
    user_id, meeting_id = reminder.user_id, reminder.meeting_id
    if user_id is None or meeting_id is None:
        raise PermanentFailure("bad_reminder")
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
        if meeting is None or case is None:
            raise PermanentFailure("meeting_gone")
        # Checked now, not when planned: people leave cases and answer early.
        member = await participant(session, case_id=row_id(case), user_id=user_id)
        invited = user_id in await invitees(session, meeting_id=meeting_id)
        answered = await has_prepared(session, meeting_id=meeting_id, user_id=user_id)
    # The session is closed: nothing below holds a transaction while Slack is called.
    if meeting.status != MeetingStatus.PLANNED or case.status != CaseStatus.OPEN:
        raise Obsolete("meeting_not_planned")
    if member is None or not invited:
        raise Obsolete("not_participant")
    if answered:
        raise Obsolete("answered")
    phase = _phase(deps, meeting.phase)
    # Someone away: their stand-in prepares, marked as such (issue 16).
    to = await addressee(deps, reminder=reminder, user_id=user_id)
    lang = await deps.users.language(client, to.user_id)
    text = t(
        lang,
        "prep.nudge" if nudge else "prep.dm",
        code=case.code,
        when=local_time(lang, meeting.scheduled_at, deps.settings.timezone),
        phase=phase.title.get(lang),
    )
    response = await client.chat_postMessage(
        channel=await open_dm(client, to.user_id),
        text=text,
        blocks=marked(
            lang,
            to,
            prep_dm(
                lang,
                meeting_info(deps, case, meeting, phase),
                # A stand-in's button names whom they prepare for.
                Ref(meeting_id=meeting_id, choice=None if to.via_lead else to.stand_in_for),
                nudge=nudge,
            ),
        ),
        metadata=reminder_metadata(reminder),
        unfurl_links=False,
    )
    return str(response["ts"])


async def send_prep(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    return await _send(deps, client, reminder, nudge=False)


async def send_nudge(deps: Deps, client: AsyncWebClient, reminder: Reminder) -> str:
    return await _send(deps, client, reminder, nudge=True)
