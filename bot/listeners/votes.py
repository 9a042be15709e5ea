"""Scale votes: vote (participants), reveal and new round (regisseurs), the family's view, trend.

Access is enforced at registration (bot/listeners/__init__.py); what remains here is checking
the values themselves: a score is one of our ten buttons, or nothing changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.blocks.forms import form_values
from bot.blocks.votes import (
    chart_labels,
    family_view_modal,
    family_view_recorded,
    short_date,
    trend_message,
)
from bot.i18n import t
from bot.ids import Field, vote_action
from bot.meeting_flow import Stale, apply_move, move_refusal, show, step_of
from bot.runtime import Turn
from bot.scale_rounds import ballots, case_scores
from flows import meeting as machine
from flows.errors import MoveCode, MoveError
from flows.meeting import MeetingState, Transition
from flows.model import Catalogue
from flows.personal_data import scan
from flows.scale import action_ts_key, parse_score
from flows.steps import StepKind
from storage import audit
from storage.meetings import meeting_by_id
from storage.models import MeetingStatus
from storage.votes import (
    VoteRefusal,
    cast_vote,
    record_family_view,
    round_by_number,
    vote_of,
    why_not_stored,
)

REFUSALS = {
    VoteRefusal.CLOSED: "votes.round_closed",
    VoteRefusal.NO_ROUND: "votes.no_round",
    VoteRefusal.NOT_INVITED: "votes.not_invited",
}


# --- voting ------------------------------------------------------------------------------------


async def vote(turn: Turn) -> None:
    ref = turn.ref
    action = (turn.body.get("actions") or [{}])[0]
    score = parse_score(ref.choice if ref else None)
    if (
        ref is None
        or ref.meeting_id is None
        or ref.scale_round is None
        or score is None
        or action.get("action_id") != vote_action(score)
    ):
        await turn.tell(turn.t("votes.invalid_score"))
        return
    # Slack's time of the click decides which of two clicks is newer, not their arrival order.
    clicked = action_ts_key(action.get("action_ts")) or action_ts_key(f"{time.time():.6f}")
    assert clicked is not None
    user, meeting_id, number = turn.user_id or "", ref.meeting_id, ref.scale_round
    async with turn.deps.db.session() as session:
        round_id = await cast_vote(
            session,
            meeting_id=meeting_id,
            round_number=number,
            user_id=user,
            value=score,
            action_ts=clicked,
        )
    if round_id is not None:
        ballots(turn.deps).touch(turn.deps, turn.client, round_id)
        await turn.tell(turn.t("votes.your_vote", round=number, value=score))
        return
    async with turn.deps.db.session() as session:
        why = await why_not_stored(
            session, meeting_id=meeting_id, round_number=number, user_id=user
        )
        scale_round = await round_by_number(session, meeting_id=meeting_id, number=number)
        current = (
            await vote_of(session, round_id=scale_round.id, user_id=user)
            if why is None and scale_round is not None and scale_round.id is not None
            else None
        )
    if why is not None:
        await turn.tell(turn.t(REFUSALS[why], round=number))
    else:  # a newer click of theirs is already stored (or this one arrived twice)
        await turn.tell(turn.t("votes.newer_kept", round=number, value=current))


# --- reveal and new round (regisseurs) ---------------------------------------------------------


def _for_round(
    expected: int | None, move: Callable[[Catalogue, MeetingState], Transition]
) -> Callable[[Catalogue, MeetingState], Transition]:
    """`move`, but only while `expected` is still the meeting's latest round: a button from an
    earlier round must not reveal or re-open a later one."""

    def guarded(catalogue: Catalogue, state: MeetingState) -> Transition:
        if expected is None or state.scale_round != expected:
            raise Stale
        return move(catalogue, state)

    return guarded


async def _round_move(
    turn: Turn, move: Callable[[Catalogue, MeetingState], Transition], already: MoveCode, key: str
) -> None:
    ref = turn.ref
    if ref is None or ref.meeting_id is None:
        await turn.tell(turn.t("errors.forged"))
        return
    try:
        # No version check: votes do not move the meeting, and the machine refuses a second
        # reveal or a second open round by itself.
        applied = await apply_move(turn, ref.meeting_id, None, _for_round(ref.scale_round, move))
    except Stale:
        await turn.tell(turn.t("errors.stale"))
        return
    except MoveError as error:
        await turn.tell(turn.t(key) if error.code is already else move_refusal(turn, error))
        return
    await show(turn, applied)


async def reveal(turn: Turn) -> None:
    await _round_move(turn, machine.close_scale, MoveCode.SCALE_NOT_OPEN, "votes.already_revealed")


async def new_round(turn: Turn) -> None:
    await _round_move(turn, machine.open_scale, MoveCode.SCALE_OPEN, "votes.already_open")


# --- the family's view (regisseurs) ------------------------------------------------------------


async def open_family_form(turn: Turn) -> None:
    meeting = turn.meeting
    step = step_of(turn.deps.catalogue, meeting) if meeting is not None else None
    if meeting is None or meeting.status != MeetingStatus.RUNNING or step is None:
        await turn.tell(turn.t("votes.family_not_running"))
        return
    if step.kind is not StepKind.SCALE:
        await turn.tell(turn.t("moves.not_at_scale"))
        return
    view = family_view_modal(turn.lang, step, turn.ref)
    await turn.client.views_open(trigger_id=turn.body["trigger_id"], view=view)


async def validate_family(turn: Turn) -> dict[str, str] | None:
    values = form_values(turn.body["view"])
    errors: dict[str, str] = {}
    if parse_score(values.get(Field.FAMILY_SCORE)) is None:
        errors[Field.FAMILY_SCORE] = turn.t("votes.family_bad_score")
    text = (values.get(Field.FAMILY_TEXT) or "").strip()
    if not text:
        errors[Field.FAMILY_TEXT] = turn.t("case_form.required")
    elif scan(text).bsn:
        errors[Field.FAMILY_TEXT] = turn.t("votes.family_bsn")
    return errors or None


async def record_family(turn: Turn) -> None:
    values = form_values(turn.body["view"])
    score = parse_score(values.get(Field.FAMILY_SCORE))
    text = (values.get(Field.FAMILY_TEXT) or "").strip()
    assert score is not None and text  # validated before the ack
    async with turn.deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=turn.meeting.id)
        step = step_of(turn.deps.catalogue, meeting) if meeting is not None else None
        if meeting is None or step is None or step.kind is not StepKind.SCALE:
            meeting = None  # moved on or ended while the form was open
        else:
            await record_family_view(
                session,
                meeting_id=meeting.id,
                step_key=step.key,
                value=score,
                text=text,
                by=turn.user_id or "",
            )
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="family_view_recorded",
                case_id=meeting.case_id,
                meeting_id=meeting.id,
            )
    if meeting is None:
        await turn.tell(turn.t("votes.family_not_running"))
        return
    lang = turn.channel_lang
    for blocks in family_view_recorded(lang, value=score, text=text, by=turn.user_id or ""):
        await turn.client.chat_postMessage(
            channel=meeting.channel_id,
            thread_ts=meeting.thread_ts,
            text=t(lang, "votes.family_title"),
            blocks=blocks,
        )


# --- /casus trend (participants) ---------------------------------------------------------------


async def post_trend(turn: Turn) -> None:
    case, deps = turn.case, turn.deps
    _, points = await case_scores(deps, case.id)
    if not points:
        text = turn.t("trend.none", code=case.code)
        if turn.respond is not None:  # a slash command: answer through its response_url
            await turn.respond(text=text, response_type="ephemeral")
        else:
            await turn.tell(text)
        return
    lang, tz = turn.channel_lang, deps.settings.timezone
    phases = {phase.key: phase for phase in deps.catalogue.phases}
    first_ts = None
    for blocks in trend_message(lang, code=case.code, points=points, phases=phases, tz=tz):
        posted = await turn.client.chat_postMessage(
            channel=case.channel_id,
            text=t(lang, "trend.title", code=case.code),
            blocks=blocks,
        )
        first_ts = first_ts or posted["ts"]
    from bot.trend_chart import render_png  # matplotlib loads only when a chart is asked for

    # Drawing takes a moment of CPU: off the event loop, so clicks keep being answered.
    png = await asyncio.to_thread(render_png, points, chart_labels(lang, case.code), tz)
    last = short_date(points[-1].held_at, tz)
    await turn.client.files_upload_v2(
        channel=case.channel_id,
        thread_ts=first_ts,
        file=png,
        alt_txt=t(lang, "trend.chart_title", code=case.code),
        filename=f"trend-{case.code}-{last}.png",
        title=t(lang, "trend.chart_title", code=case.code),
        initial_comment=t(lang, "trend.chart_note"),
    )
