"""A safe close: `/casus afsluiten` (or the button after a closing meeting) opens the form; its
submission closes the case. The aftercare DM's answers."""

from __future__ import annotations

from bot.closing.blocks import OUTCOMES, SETTLE_PREFIX, close_modal
from bot.closing.use_cases import answer_aftercare, blockers_of, close
from bot.kit.blocks import context, dicts, local_time
from bot.kit.forms import bsn_errors, form_text, form_values
from bot.kit.ids import Field
from bot.kit.runtime import CaseTurn, Declined, Followup
from bot.kit.slack import update_message
from storage.agreements import AgreementStatus
from storage.closing import AftercareAnswer, ClosingChoice, closing_meeting
from storage.models import row_id

ALL_OUTCOMES = {o.value for outcomes in OUTCOMES.values() for o in outcomes}


async def open_close_form(turn: CaseTurn) -> Followup:
    """The form shows what is open now; the meeting is the one the button names, else the one
    running or ended last (its afsluitingsplan counts)."""
    meeting_id = row_id(turn.meeting) if turn.meeting is not None else None
    if meeting_id is None:
        async with turn.deps.db.session() as session:
            found = await closing_meeting(session, case_id=turn.case_id)
        meeting_id = row_id(found) if found is not None else None
    blockers = await blockers_of(turn.deps, case_id=turn.case_id, meeting_id=meeting_id)
    view = close_modal(
        turn.lang,
        case_id=turn.case_id,
        meeting_id=meeting_id,
        code=turn.case.code,
        blockers=blockers,
    )

    async def opened() -> None:
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return opened


def _choices(turn: CaseTurn) -> tuple[list[ClosingChoice], list[str]]:
    """The form's choices, and the block ids whose value is not one it offers."""
    choices, bad = [], []
    for block_id, value in form_values(turn.view).items():
        if not block_id.startswith(SETTLE_PREFIX):
            continue
        raw_id = block_id.removeprefix(SETTLE_PREFIX)
        if not raw_id.isdigit() or value not in ALL_OUTCOMES:
            bad.append(block_id)
            continue
        choices.append(ClosingChoice(int(raw_id), AgreementStatus(value)))
    return choices, bad


async def validate_close(turn: CaseTurn) -> dict[str, str] | None:
    _, bad = _choices(turn)
    errors = {block_id: turn.t("errors.forged") for block_id in bad}
    errors.update(bsn_errors(turn.lang, form_values(turn.view), Field.REASON))
    return errors or None


async def save_close(turn: CaseTurn) -> Followup:
    choices, _ = _choices(turn)
    meeting_id = turn.ref.meeting_id if turn.ref else None
    closing = await close(
        turn.deps,
        case=turn.case,
        meeting_id=meeting_id,
        choices=choices,
        override_reason=form_text(form_values(turn.view), Field.REASON) or None,
        by=turn.user_id,
    )

    async def shown() -> None:
        await turn.show(closing.rows)

    return shown


# ----- aftercare -----


def _closure_id(turn: CaseTurn) -> int:
    choice = turn.ref.choice if turn.ref else None
    if not choice or not choice.isdigit():
        raise Declined("errors.forged")
    return int(choice)


async def aftercare_well(turn: CaseTurn) -> Followup:
    await answer_aftercare(
        turn.deps,
        case_id=turn.case_id,
        closure_id=_closure_id(turn),
        answer=AftercareAnswer.WELL,
        by=turn.user_id,
    )
    return _answered(turn, turn.t("aftercare.answered_well", code=turn.case.code), ())


async def aftercare_reopen(turn: CaseTurn) -> Followup:
    done = await answer_aftercare(
        turn.deps,
        case_id=turn.case_id,
        closure_id=_closure_id(turn),
        answer=AftercareAnswer.REOPEN,
        by=turn.user_id,
    )
    phase = turn.deps.catalogue.phase(done.case.phase).title.get(turn.lang)
    text = turn.t(
        "aftercare.reopened",
        code=done.case.code,
        phase=phase,
        when=local_time(turn.lang, done.meeting_at, turn.deps.settings.timezone),
        channel=f"<#{done.case.channel_id}>",
    )
    return _answered(turn, text, done.rows)


def _answered(turn: CaseTurn, text: str, rows: tuple[int, ...]) -> Followup:
    """The DM's buttons give way to the answer, so a second click has nothing to hit."""

    async def shown() -> None:
        container = turn.body.get("container") or {}
        ts, channel = container.get("message_ts"), container.get("channel_id")
        if ts and channel:
            await update_message(
                turn.client,
                channel=channel,
                ts=ts,
                text=text,
                blocks=dicts([context(text)]),
                what="aftercare DM",
            )
        else:
            await turn.tell(text)
        await turn.show(rows)

    return shown
