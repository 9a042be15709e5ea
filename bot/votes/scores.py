"""The scores of a case: every revealed round, and their trend. The view of the people
involved is per role (storage.involved): it has no place on the professionals' scale line."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.scale import RoundScores, Tally, TrendPoint, trend
from storage.models import row_id
from storage.votes import closed_rounds_of_case


async def scores_of_case(
    session: AsyncSession, case_id: int
) -> tuple[list[RoundScores], list[TrendPoint]]:
    """Every revealed round of the case, and the trend they make."""
    rows = await closed_rounds_of_case(session, case_id=case_id)
    rounds = [
        RoundScores(
            meeting_id=row_id(meeting),
            held_at=meeting.started_at or meeting.scheduled_at,
            # The round's own scale says its phase (a meeting can go on in another phase).
            phase=scale_round.step_key.partition(".")[0] or meeting.phase,
            round=scale_round.number,
            tally=Tally.from_counts(counts),
            scale=scale_round.step_key,
        )
        for meeting, scale_round, counts in rows
    ]
    return rounds, trend(rounds)

