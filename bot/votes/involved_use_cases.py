"""The view of the people involved per role, and whether they were informed of the outcome:
stored (audited) and shown in the meeting's thread. Plain functions, no Bolt objects."""

from __future__ import annotations

from collections.abc import Mapping

from bot.kit.i18n import t
from bot.kit.objects import meeting_of
from bot.kit.payloads import Ref
from bot.kit.runtime import Declined, Deps
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from bot.votes.involved import View, views_message
from bot.votes.objects import want_family
from flows.involved import Informed
from flows.meeting import current_step
from flows.steps import StepKind
from storage import audit
from storage.involved import informed_of, record_informed, record_views, views_of_meeting
from storage.meetings import load_state, meeting_by_id
from storage.models import Meeting, MeetingStatus, row_id


async def current_views(deps: Deps, meeting: Meeting) -> dict[str, View]:
    async with deps.db.session() as session:
        stored = await views_of_meeting(session, meeting_id=row_id(meeting))
    return {v.role: (v.score, v.text or "") for v in stored}


async def record_involved(
    deps: Deps, *, meeting_id: int, views: Mapping[str, View], actor: str
) -> tuple[int, ...]:
    """The views per role at the scale question the meeting is at (they replace what was
    recorded before at this meeting); the rows that show them in the thread."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        step = current_step(deps.catalogue, load_state(meeting)) if meeting is not None else None
        if meeting is None or step is None or step.kind is not StepKind.SCALE:
            raise Declined("votes.family_not_running")  # moved on while the form was open
        await record_views(
            session, meeting_id=meeting_id, step_key=step.key, views=dict(views), by=actor
        )
        await audit.record(
            session,
            actor=actor,
            action="family_view_recorded",
            case_id=meeting.case_id,
            meeting_id=meeting_id,
            # Which roles, never what was said.
            detail=",".join(sorted(views)),
        )
        return (await want_family(session, deps, meeting),)


async def record_outcome_informed(
    deps: Deps, *, meeting_id: int, answer: Informed, reason: str, actor: str
) -> None:
    """Whether the people involved were informed of the meeting's outcome: a regisseur's
    decision, audited (the answer, never the reason's text)."""
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        if meeting is None or meeting.status == MeetingStatus.PLANNED:
            raise Declined("involved.informed_not_held")
        await record_informed(
            session, meeting_id=meeting_id, answer=answer.value, reason=reason or None, by=actor
        )
        await audit.record(
            session,
            actor=actor,
            action="outcome_informed",
            case_id=meeting.case_id,
            meeting_id=meeting_id,
            detail=answer.value,
        )


async def informed_now(deps: Deps, meeting_id: int) -> tuple[str | None, str | None]:
    async with deps.db.session() as session:
        row = await informed_of(session, meeting_id=meeting_id)
    return (row.answer, row.reason) if row else (None, None)


async def render_views(deps: Deps, ctx: RenderContext) -> Rendered:
    """The view of the people involved in the thread, as last recorded."""
    meeting, _ = await meeting_of(deps, ctx)
    async with deps.db.session() as session:
        stored = await views_of_meeting(session, meeting_id=row_id(meeting))
    if not stored:
        raise RenderFailed("family_view_gone")
    lang = deps.settings.language
    blocks = views_message(
        lang,
        [(v.role, v.score, v.text or "") for v in stored],
        by=stored[-1].recorded_by,
        ref=Ref(meeting_id=meeting.id),
    )
    return await post_or_update(ctx, text=t(lang, "votes.family_title"), blocks=blocks)
