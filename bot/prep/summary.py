"""The regisseurs' summary of the prep in the meeting's thread: wanted when the meeting
reaches its first Beeldvorming question (the guideline: "samenvatten aan het begin van de
beeldvorming"). One post per meeting, whatever the walk; drawn in render.py."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kit.ids import ObjectKind
from bot.kit.runtime import Deps
from bot.meetings.objects import lane, want_in_thread
from flows.steps import Step
from storage.models import Meeting, row_id
from storage.prep import summary_of


def opens_beeldvorming(step: Step) -> bool:
    return step.section.name == "beeldvorming" and step.index_in_section == 0


async def want_prep_summary(
    session: AsyncSession, deps: Deps, meeting: Meeting, step: Step
) -> list[int]:
    """The summary's post, before `step`'s question, when `step` opens the Beeldvorming and
    the regisseurs wrote one."""
    if not opens_beeldvorming(step):
        return []
    if await summary_of(session, meeting_id=row_id(meeting)) is None:
        return []
    key = f"{lane(row_id(meeting))}:prep_summary"
    return [await want_in_thread(session, deps, meeting, key=key, kind=ObjectKind.PREP_SUMMARY)]
