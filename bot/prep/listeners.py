"""The prep DM's button and its modal (participants, Access.MEMBER at registration): the
Vooraf questions, the phase's first Beeldvorming question and an optional pre-score."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.home.use_cases import render_home
from bot.kit.forms import bsn_errors, form_text, form_values, text_errors
from bot.kit.ids import Field
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.kit.standin import standing_in_for
from bot.prep.blocks import (
    closed_dm,
    parse_pre_score,
    prep_modal,
    prep_questions,
    summary_modal,
)
from bot.prep.use_cases import (
    mark_dms_answered,
    meeting_info,
    save_answers,
    stored_summary,
    write_summary,
)
from bot.prep.use_cases import review as review_of
from flows.model import Phase
from flows.personal_data import scan
from storage.meetings import invitees, next_planned
from storage.models import Case, Meeting, MeetingStatus, row_id
from storage.prep import prep_of

log = logging.getLogger("casusbot.prep")


def _phase(turn: CaseTurn, meeting: Meeting) -> Phase:
    try:
        return turn.deps.catalogue.phase(meeting.phase)
    except KeyError:
        raise Declined("errors.forged") from None


async def open_form(turn: CaseTurn) -> Followup:
    """The DM's button: the prep modal, with what they stored before (after the ack: opening
    a form changes nothing)."""
    return later(_open_form, turn)


async def _open_form(turn: CaseTurn) -> None:
    case, meeting = turn.case, turn.meeting
    if meeting is None:
        raise Declined("errors.forged")
    if meeting.status != MeetingStatus.PLANNED:
        await _closed(turn, case, meeting)
        return
    # A stand-in prepares for the invitee who is away (issue 16): the DM names them.
    whose = await _preparing_for(turn, meeting)
    async with turn.deps.db.session() as session:
        invited = whose in await invitees(session, meeting_id=row_id(meeting))
        stored = await prep_of(session, meeting_id=row_id(meeting), user_id=whose)
    if not invited:
        raise Declined("prep.not_invited", code=case.code)
    view = prep_modal(
        turn.lang,
        meeting_info(turn.deps, case, meeting, _phase(turn, meeting)),
        Ref(meeting_id=meeting.id, choice=whose if whose != turn.user_id else None),
        answers=stored.texts if stored else None,
        pre_score=stored.pre_score if stored else None,
        scores_named=turn.deps.settings.scores_named,
    )
    await turn.client.views_open(trigger_id=turn.trigger_id, view=view)


async def _closed(turn: CaseTurn, case: Case, meeting: Meeting) -> None:
    """A click after the start: say so kindly, and take the button off the DM it came from."""
    await turn.tell(turn.t("prep.closed", code=case.code, channel=f"<#{case.channel_id}>"))
    container = turn.body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if not channel or not ts:
        return
    try:
        phase = turn.deps.catalogue.phase(meeting.phase)
        await turn.client.chat_update(
            channel=channel,
            ts=ts,
            text=turn.t("prep.closed_note"),
            blocks=closed_dm(turn.lang, meeting_info(turn.deps, case, meeting, phase)),
        )
    except (KeyError, SlackApiError) as error:
        log.info("could not close prep DM for meeting %s: %s", meeting.id, type(error).__name__)


def _answers(turn: CaseTurn, phase: Phase) -> tuple[dict[str, str], object]:
    values = form_values(turn.view)
    texts = {q.key: (values.get(q.key) or "").strip() for q in prep_questions(phase)}
    return texts, values.get(Field.PREP_SCORE)


async def validate(turn: CaseTurn) -> dict[str, str] | None:
    meeting = turn.meeting
    if meeting is None:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    try:
        phase = turn.deps.catalogue.phase(meeting.phase)
    except KeyError:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    texts, raw_score = _answers(turn, phase)
    first = next(iter(texts), Field.PREP_SCORE)
    if meeting.status != MeetingStatus.PLANNED:
        # In the ack, so the modal stays open and its text can still be copied to the thread.
        return {first: turn.t("prep.started")}
    errors = bsn_errors(turn.lang, texts, *texts)
    if errors:
        return errors
    score = parse_pre_score(raw_score)
    if raw_score is not None and score is None:
        return {Field.PREP_SCORE: turn.t("errors.forged")}
    if score is None and not any(texts.values()):
        return {first: turn.t("prep.empty")}
    return None


async def save(turn: CaseTurn) -> Followup:
    meeting = turn.meeting
    if meeting is None:  # validated before the ack
        raise Declined("errors.forged")
    phase = _phase(turn, meeting)
    texts, raw_score = _answers(turn, phase)
    rows = await save_answers(
        turn.deps,
        case=turn.case,
        meeting=meeting,
        user_id=await _preparing_for(turn, meeting),
        texts=texts,
        pre_score=parse_pre_score(raw_score),
    )

    async def saved() -> None:
        await mark_dms_answered(
            turn.deps,
            turn.client,
            case=turn.case,
            meeting=meeting,
            phase=phase,
            user_id=turn.user_id,
        )
        await turn.show(rows)
        # The home tab's "waiting for you" line goes, wherever the form was opened from.
        await render_home(turn.deps, turn.client, turn.user_id)
        warnings = sorted({k for text in texts.values() if text for k in scan(text).warnings})
        if warnings:
            kinds = ", ".join(turn.t(f"thread.kind_{kind}") for kind in warnings)
            await turn.tell(turn.t("prep.pii_warning", kinds=kinds))

    return saved


# --- the regisseurs: read the prep as it arrives, and summarise it ------------------------------


async def _next_meeting(turn: CaseTurn) -> Meeting:
    """The meeting the button names, or (from `/casus voorbereiding`) the next planned one."""
    if turn.meeting is not None:
        return turn.meeting
    async with turn.deps.db.session() as session:
        meeting = await next_planned(session, case_id=turn.case_id)
    if meeting is None:
        raise Declined("prep.review_none", code=turn.case.code)
    return meeting


async def review(turn: CaseTurn) -> Followup:
    """`/casus voorbereiding` and the planning message's button (regisseurs): the prep so far,
    privately, in the regisseur's language."""
    meeting = await _next_meeting(turn)
    phase = _phase(turn, meeting)

    async def show() -> None:
        await turn.settle_language()
        parts = await review_of(
            turn.deps, case=turn.case, meeting=meeting, phase=phase, lang=turn.lang
        )
        for blocks in parts:
            await turn.answer(turn.t("prep.review_fallback", code=turn.case.code), blocks=blocks)

    return show


async def open_summary_form(turn: CaseTurn) -> Followup:
    meeting = turn.meeting
    if meeting is None:
        raise Declined("errors.forged")
    if meeting.status != MeetingStatus.PLANNED:
        raise Declined("prep.summary_closed", code=turn.case.code)
    phase = _phase(turn, meeting)

    async def open_form() -> None:
        text = await stored_summary(turn.deps, meeting)
        info = meeting_info(turn.deps, turn.case, meeting, phase)
        view = summary_modal(turn.lang, info, Ref(meeting_id=meeting.id), text=text)
        await turn.client.views_open(trigger_id=turn.trigger_id, view=view)

    return open_form


async def validate_summary(turn: CaseTurn) -> dict[str, str] | None:
    values = form_values(turn.view)
    meeting = turn.meeting
    if meeting is None:
        return {Field.PREP_SUMMARY_TEXT: turn.t("errors.forged")}
    if meeting.status != MeetingStatus.PLANNED:
        return {Field.PREP_SUMMARY_TEXT: turn.t("prep.summary_closed", code=turn.case.code)}
    return text_errors(turn.lang, values, Field.PREP_SUMMARY_TEXT) or None


async def save_summary(turn: CaseTurn) -> Followup:
    text = form_text(form_values(turn.view), Field.PREP_SUMMARY_TEXT)
    if turn.meeting is None or not text:  # validated before the ack
        raise Declined("errors.forged")
    await write_summary(turn.deps, case=turn.case, meeting=turn.meeting, text=text, by=turn.user_id)
    return later(turn.tell, turn.t("prep.summary_saved", code=turn.case.code))


async def _preparing_for(turn: CaseTurn, meeting: Meeting) -> str:
    """Whose prep this is: one's own, or — when the DM or form names an invitee one stands in
    for while they are away — theirs (issue 16). A name one does not stand in for is ignored."""
    named = turn.ref.choice if turn.ref else None
    if not named or named == turn.user_id:
        return turn.user_id
    async with turn.deps.db.session() as session:
        invited_users = await invitees(session, meeting_id=row_id(meeting))
    if named not in invited_users:
        return turn.user_id
    absent = await standing_in_for(turn.deps, user_id=turn.user_id, for_users=[named])
    return absent or turn.user_id
