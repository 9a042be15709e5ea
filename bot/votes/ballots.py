"""The live voting message: kept equal to who voted (never what), however many clicks arrive.

Votes are not meeting moves: they are single upserts (storage.votes) that leave the meeting's
version alone, so the regisseur's buttons stay valid while people vote. Each stored vote asks
for a redraw; the redraws of a round are coalesced (bot.kit.runtime.Coalescer).
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.kit.slack import update_message
from bot.votes.blocks import Ballot, voting_message
from flows.steps import Step, StepKind, phase_steps
from storage.meetings import meeting_by_id
from storage.models import Meeting, row_id
from storage.votes import eligible_voters, round_by_id, voters


def touch(deps: Deps, client: AsyncWebClient, round_id: int) -> None:
    """Redraw the round's voting message soon (once more if a redraw is under way)."""
    deps.refreshes.touch(
        deps.tasks,
        ("ballot", round_id),
        lambda: refresh_ballot(deps, client, round_id),
        name=f"ballot_{round_id}",
    )


def scale_step(deps: Deps, meeting: Meeting, step_key: str) -> Step | None:
    steps = phase_steps(deps.catalogue.phase(meeting.phase))
    return next((s for s in steps if s.key == step_key and s.kind is StepKind.SCALE), None)


async def refresh_ballot(deps: Deps, client: AsyncWebClient, round_id: int) -> None:
    async with deps.db.session() as session:
        scale_round = await round_by_id(session, round_id=round_id)
        meeting = (
            await meeting_by_id(session, meeting_id=scale_round.meeting_id)
            if scale_round is not None
            else None
        )
        if scale_round is None or meeting is None or not scale_round.message_ts:
            return
        who = await voters(session, round_id=round_id)
        eligible = await eligible_voters(
            session, meeting_id=row_id(meeting), case_id=meeting.case_id
        )
    step = scale_step(deps, meeting, scale_round.step_key)
    if step is None or meeting.channel_id is None:
        return
    lang = deps.settings.language
    ballot = Ballot(
        step,
        row_id(meeting),
        scale_round.number,
        voters=who,
        eligible=len(eligible),
        open=scale_round.closed_at is None,
    )
    await update_message(
        client,
        channel=meeting.channel_id,
        ts=scale_round.message_ts,
        text=t(lang, "votes.header", round=scale_round.number),
        blocks=voting_message(lang, ballot),
        what="voting message",
    )
