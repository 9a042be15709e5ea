"""Scale votes: vote (participants), reveal and new round (regisseurs), `/casus trend`. The
view of the people involved is in bot.votes.involved_listeners.

Access is enforced at registration (bot/surface.py); what remains here is checking the values
themselves: a score is one of our ten buttons, or nothing changes.
"""

from __future__ import annotations

import time

from bot.kit.blocks import with_share_button
from bot.kit.i18n import t
from bot.kit.ids import ActionId, vote_action
from bot.kit.payloads import Ref
from bot.kit.runtime import CaseTurn, Declined, Followup, later
from bot.kit.scale_words import direction, score_words
from bot.kit.slack import tell_user
from bot.meetings.show import show_move
from bot.meetings.use_cases import Move, Stale, steer, step_of
from bot.votes.blocks import shown
from bot.votes.objects import want_trend
from bot.votes.render import trend_for
from bot.votes.use_cases import VoteOutcome, record_vote
from flows import meeting as machine
from flows.errors import MoveCode, MoveError
from flows.meeting import MeetingState, Transition
from flows.model import Catalogue
from flows.scale import action_ts_key, outliers, parse_score
from storage.models import row_id
from storage.votes import VoteRefusal, round_by_number, votes

REFUSALS = {
    VoteRefusal.CLOSED: "votes.round_closed",
    VoteRefusal.NO_ROUND: "votes.no_round",
    VoteRefusal.NOT_INVITED: "votes.not_invited",
    VoteRefusal.NOT_PRESENT: "votes.not_present",
}


# --- voting ------------------------------------------------------------------------------------


async def vote(turn: CaseTurn) -> Followup:
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
        raise Declined("votes.invalid_score")
    # Slack's time of the click decides which of two clicks is newer, not their arrival order.
    clicked = action_ts_key(action.get("action_ts")) or action_ts_key(f"{time.time():.6f}")
    if clicked is None:  # our own clock always gives a key; kept for the type checker
        raise Declined("votes.invalid_score")
    number = ref.scale_round
    if turn.meeting is None:  # the guard loaded the meeting the button names
        raise Declined("errors.forged")
    outcome = await record_vote(
        turn.deps,
        meeting=turn.meeting,
        number=number,
        user_id=turn.user_id,
        score=score,
        clicked=clicked,
    )
    return later(_told_vote, turn, outcome, number, score)


async def _told_vote(turn: CaseTurn, outcome: VoteOutcome, number: int, score: int) -> None:
    # The voter's answer does not wait for the ballot: it says what is stored already.
    turn.deps.render_soon(outcome.rows)
    if outcome.stored:
        await turn.tell(_your_vote(turn, number, score))
    elif outcome.refusal is not None:
        await turn.tell(turn.t(REFUSALS[outcome.refusal], round=number))
    else:  # a newer click of theirs is already stored (or this one arrived twice)
        await turn.tell(turn.t("votes.newer_kept", round=number, value=outcome.kept))


def _your_vote(turn: CaseTurn, number: int, score: int) -> str:
    """'Je gaf een 8 in ronde 1 — weinig zorgen', with the scale's direction in words."""
    step = step_of(turn.deps.catalogue, turn.meeting) if turn.meeting is not None else None
    seen = shown(turn.lang, turn.deps.settings.scores_named)
    if step is None or step.scale is None:  # moved on since: say the score alone
        return turn.t("votes.your_score", round=number, value=score, shown=seen)
    scale = step.scale
    return turn.t(
        "votes.your_vote",
        round=number,
        value=score,
        words=score_words(turn.lang, scale, score),
        direction=direction(turn.lang, scale),
        shown=seen,
    )


# --- reveal and new round (regisseurs) ---------------------------------------------------------


def _for_round(expected: int | None, move: Move) -> Move:
    """`move`, but only while `expected` is still the meeting's latest round: a button from an
    earlier round must not reveal or re-open a later one."""

    def guarded(catalogue: Catalogue, state: MeetingState) -> Transition:
        if expected is None or state.scale_round != expected:
            raise Stale
        return move(catalogue, state)

    return guarded


async def _round_move(turn: CaseTurn, move: Move, already: MoveCode, key: str) -> Followup:
    ref = turn.ref
    if ref is None or ref.meeting_id is None:
        raise Declined("errors.forged")
    try:
        # No version check: votes do not move the meeting, and the machine refuses a second
        # reveal or a second open round by itself.
        applied = await steer(
            turn.deps,
            meeting_id=ref.meeting_id,
            version=None,
            move=_for_round(ref.scale_round, move),
            actor=turn.user_id,
        )
    except Stale:
        raise Declined("errors.stale") from None
    except MoveError as error:
        raise Declined(key if error.code is already else f"moves.{error.code.value}") from None
    return later(show_move, turn, applied)


async def reveal(turn: CaseTurn) -> Followup:
    shown_move = await _round_move(
        turn, machine.close_scale, MoveCode.SCALE_NOT_OPEN, "votes.already_revealed"
    )
    if turn.deps.settings.scores_named or turn.ref is None or turn.ref.scale_round is None:
        return shown_move
    return later(_revealed_anonymously, turn, shown_move, turn.ref.scale_round)


async def _revealed_anonymously(turn: CaseTurn, shown_move: Followup, number: int) -> None:
    """Scores without names: the thread shows the distribution; the lowest and highest
    scorers are asked privately, in the thread, to give their onderbouwing first."""
    await shown_move()
    meeting = turn.meeting
    if meeting is None:
        return
    async with turn.deps.db.session() as session:
        scale_round = await round_by_number(session, meeting_id=row_id(meeting), number=number)
        scores = await votes(session, round_id=row_id(scale_round)) if scale_round else {}
    far = outliers(scores, turn.deps.settings.spread_threshold)
    if far is None:
        return
    for key, users in (("votes.outlier_low", far.lowest), ("votes.outlier_high", far.highest)):
        for user in users:
            lang = await turn.deps.users.language(turn.client, user)
            text = t(lang, key, round=number, value=scores[user])
            await tell_user(
                turn.client, user, meeting.channel_id, text, thread_ts=meeting.thread_ts
            )


async def new_round(turn: CaseTurn) -> Followup:
    return await _round_move(turn, machine.open_scale, MoveCode.SCALE_OPEN, "votes.already_open")


# --- /casus trend (participants) ---------------------------------------------------------------


async def show_trend(turn: CaseTurn) -> Followup:
    """The case's trend, privately in the asker's language, with a button to share it."""
    return later(_private_trend, turn)


async def _private_trend(turn: CaseTurn) -> None:
    await turn.settle_language()
    async with turn.deps.db.session() as session:
        parts = await trend_for(session, turn.deps, turn.case, lang=turn.lang)
    if not parts:
        await turn.answer(turn.t("trend.none", code=turn.case.code))
        return
    title = turn.t("trend.title", code=turn.case.code)
    share = turn.t("trend.share_button")
    for blocks in with_share_button(parts, share, ActionId.SHARE_TREND, Ref(case_id=turn.case_id)):
        await turn.answer(title, blocks=blocks)


async def share_trend(turn: CaseTurn) -> Followup:
    """The shared trend: new posts in the case channel (objects the purge finds again)."""
    async with turn.deps.db.session() as session:
        rows, chart = await want_trend(session, turn.deps, turn.case)
    if not rows:
        return later(_no_trend, turn)
    return later(turn.show, rows, quiet=chart)


async def _no_trend(turn: CaseTurn) -> None:
    await turn.answer(turn.t("trend.none", code=turn.case.code))
