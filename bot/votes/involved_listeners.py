"""The view of the people involved per role (regisseurs, at the scale question) and whether
they were informed of the outcome (regisseurs, once the meeting was held): the buttons, the
modals and `/casus geinformeerd`."""

from __future__ import annotations

from bot.kit.forms import bsn_errors, form_text, form_values
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.meetings.use_cases import step_of
from bot.votes.involved import (
    ROLES,
    bad_scores,
    informed_modal,
    submitted_views,
    text_field,
    views_modal,
)
from bot.votes.involved_use_cases import (
    current_views,
    informed_now,
    record_involved,
    record_outcome_informed,
)
from flows.involved import Informed, needs_reason
from flows.steps import StepKind
from storage.meetings import meetings_of_case
from storage.models import Meeting, MeetingStatus, row_id

# --- the views per role ------------------------------------------------------------------------


async def open_views_form(turn: CaseTurn) -> Followup:
    meeting = turn.meeting
    step = step_of(turn.deps.catalogue, meeting) if meeting is not None else None
    if meeting is None or meeting.status != MeetingStatus.RUNNING or step is None:
        raise Declined("votes.family_not_running")
    if step.kind is not StepKind.SCALE:
        raise Declined("moves.not_at_scale")
    ref = Ref(meeting_id=row_id(meeting))

    async def open_form() -> None:
        current = await current_views(turn.deps, meeting)
        view = views_modal(turn.lang, step, ref, current)
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


async def validate_views(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    errors = bsn_errors(turn.lang, values, *(text_field(role) for role in ROLES))
    for field in bad_scores(values):
        errors[field] = turn.t("votes.family_bad_score")
    if not errors and not submitted_views(values):
        errors[text_field(ROLES[0])] = turn.t("votes.family_empty")
    return errors or None


async def save_views(turn: CaseTurn) -> Followup:
    views = submitted_views(form_values(turn.view))
    if not views or turn.meeting is None:  # validated before the ack
        raise Declined("errors.forged")
    rows = await record_involved(
        turn.deps, meeting_id=row_id(turn.meeting), views=views, actor=turn.user_id
    )
    return later(turn.show, rows)


# --- informed of the outcome -------------------------------------------------------------------


async def _held(turn: CaseTurn) -> Meeting:
    """The meeting the button names, or (from the command) the case's latest held one."""
    if turn.meeting is not None:
        if turn.meeting.status == MeetingStatus.PLANNED:
            raise Declined("involved.informed_not_held")
        return turn.meeting
    async with turn.deps.db.session() as session:
        meetings = await meetings_of_case(session, case_id=turn.case_id)
    held = [m for m in meetings if m.status != MeetingStatus.PLANNED and m.started_at]
    if not held:
        raise Declined("involved.informed_not_held")
    return max(held, key=lambda m: (m.started_at, m.id or 0))


async def open_informed_form(turn: CaseTurn) -> Followup:
    meeting = await _held(turn)

    async def open_form() -> None:
        answer, reason = await informed_now(turn.deps, row_id(meeting))
        view = informed_modal(
            turn.lang,
            turn.case.code,
            Ref(meeting_id=row_id(meeting)),
            answer=answer,
            reason=reason,
        )
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


def _answer(values: dict[str, object]) -> Informed | None:
    raw = values.get(Field.INFORMED_ANSWER)
    try:
        return Informed(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


async def validate_informed(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    answer = _answer(values)
    if answer is None:
        return {Field.INFORMED_ANSWER: turn.t("errors.forged")}
    errors = bsn_errors(turn.lang, values, Field.INFORMED_REASON)
    if needs_reason(answer) and not form_text(values, Field.INFORMED_REASON):
        errors[Field.INFORMED_REASON] = turn.t("involved.reason_required")
    return errors or None


async def save_informed(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    answer = _answer(values)
    if answer is None or turn.meeting is None:  # validated before the ack
        raise Declined("errors.forged")
    await record_outcome_informed(
        turn.deps,
        meeting_id=row_id(turn.meeting),
        answer=answer,
        reason=form_text(values, Field.INFORMED_REASON),
        actor=turn.user_id,
    )
    told = turn.t("involved.informed_saved", answer=turn.t(f"involved.informed_{answer.value}"))
    return later(turn.tell, told)
