"""The review's buttons and forms (issue 16): *blijft*, *aanpassen* (text, monitor, interval: a
new version) and *beëindigen* (a reason). Regisseurs only (Access.STEER at registration). From
the review question the button names the meeting (the decision belongs to it, and only while it
runs); from the home tab the case (a decision between meetings).
"""

from __future__ import annotations

from bot.agreements.review import (
    allowed_interval,
    bodemeis_in_force,
    change,
    change_modal,
    end,
    end_modal,
    keep,
)
from bot.home.use_cases import render_home
from bot.kit.forms import form_text, form_values, text_errors
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup
from storage.cases import participant
from storage.models import MeetingStatus, row_id


def _agreement_id(turn: CaseTurn) -> int:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        raise Declined("errors.forged")
    return int(choice)


def _meeting_id(turn: CaseTurn) -> int | None:
    """The meeting deciding, while it runs; None between meetings (the home tab)."""
    if turn.meeting is None:
        return None
    if turn.meeting.status != MeetingStatus.RUNNING:
        raise Declined("review.meeting_over")
    return row_id(turn.meeting)


def _ref(turn: CaseTurn, agreement_id: int) -> Ref:
    meeting_id = _meeting_id(turn)
    if meeting_id is not None:
        return Ref(meeting_id=meeting_id, choice=str(agreement_id))
    return Ref(case_id=turn.case_id, choice=str(agreement_id))


async def _after(turn: CaseTurn, rows: tuple[int, ...], said: str) -> None:
    """In a meeting the review question shows the decision; between meetings the home tab is
    redrawn and the regisseur told."""
    await turn.show(rows)
    if turn.meeting is None:
        await render_home(turn.deps, turn.client, turn.user_id)
        await turn.tell(said)


async def keep_it(turn: CaseTurn) -> Followup:
    meeting_id = _meeting_id(turn)
    if meeting_id is None:
        raise Declined("errors.forged")  # "blijft" is a meeting's decision
    agreement_id = _agreement_id(turn)
    await bodemeis_in_force(turn.deps, case=turn.case, agreement_id=agreement_id)
    rows = await keep(
        turn.deps,
        case=turn.case,
        agreement_id=agreement_id,
        meeting_id=meeting_id,
        by=turn.user_id,
    )

    async def shown() -> None:
        await turn.show(rows)

    return shown


async def open_change_form(turn: CaseTurn) -> Followup:
    agreement_id = _agreement_id(turn)
    bodemeis = await bodemeis_in_force(turn.deps, case=turn.case, agreement_id=agreement_id)
    ref = _ref(turn, agreement_id)

    async def open_form() -> None:
        view = change_modal(turn.lang, ref=ref, bodemeis=bodemeis)
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


async def validate_change(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    errors = text_errors(turn.lang, values, Field.AGREEMENT_TEXT)
    monitor = values.get(Field.MONITOR)
    if not monitor:
        errors[Field.MONITOR] = turn.t("case_form.required")
    else:
        async with turn.deps.db.session() as session:
            member = await participant(session, case_id=turn.case_id, user_id=monitor)
        if member is None:
            errors[Field.MONITOR] = turn.t("agreements.not_participant", code=turn.case.code)
    bodemeis = await bodemeis_in_force(turn.deps, case=turn.case, agreement_id=_agreement_id(turn))
    if allowed_interval(values.get(Field.INTERVAL), bodemeis) is None:
        errors[Field.INTERVAL] = turn.t("errors.forged")
    return errors or None


async def save_change(turn: CaseTurn) -> Followup:
    values = form_values(turn.view)
    agreement_id = _agreement_id(turn)
    bodemeis = await bodemeis_in_force(turn.deps, case=turn.case, agreement_id=agreement_id)
    interval = allowed_interval(values.get(Field.INTERVAL), bodemeis)
    if interval is None:
        raise Declined("errors.forged")
    rows = await change(
        turn.deps,
        case=turn.case,
        agreement_id=agreement_id,
        meeting_id=_meeting_id(turn),
        by=turn.user_id,
        text=form_text(values, Field.AGREEMENT_TEXT),
        monitor=str(values[Field.MONITOR]),
        interval_days=interval,
    )

    async def shown() -> None:
        await _after(turn, rows, turn.t("review.changed_you"))

    return shown


async def open_end_form(turn: CaseTurn) -> Followup:
    agreement_id = _agreement_id(turn)
    bodemeis = await bodemeis_in_force(turn.deps, case=turn.case, agreement_id=agreement_id)
    ref = _ref(turn, agreement_id)

    async def open_form() -> None:
        view = end_modal(turn.lang, ref=ref, bodemeis=bodemeis)
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


async def validate_end(turn: CaseTurn) -> dict[str, str] | None:
    return text_errors(turn.lang, form_values(turn.view), Field.REASON) or None


async def save_end(turn: CaseTurn) -> Followup:
    rows = await end(
        turn.deps,
        case=turn.case,
        agreement_id=_agreement_id(turn),
        meeting_id=_meeting_id(turn),
        by=turn.user_id,
        reason=form_text(form_values(turn.view), Field.REASON),
    )

    async def shown() -> None:
        await _after(turn, rows, turn.t("review.ended_you"))

    return shown
