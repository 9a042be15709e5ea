"""The scores of a case: every revealed round with the family's view, and their trend."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from flows.scale import RoundScores, Tally, TrendPoint, trend
from storage.models import row_id
from storage.votes import FamilyView, closed_rounds_of_case, family_views_of_case


async def scores_of_case(
    session: AsyncSession, case_id: int
) -> tuple[list[RoundScores], list[TrendPoint]]:
    """Every revealed round of the case with the family's view, and the trend they make."""
    rows = await closed_rounds_of_case(session, case_id=case_id)
    families = await family_views_of_case(session, case_id=case_id)
    rounds = [
        RoundScores(
            meeting_id=row_id(meeting),
            held_at=meeting.started_at or meeting.scheduled_at,
            phase=meeting.phase,
            round=scale_round.number,
            tally=Tally.from_counts(counts),
            family=_family(families, row_id(meeting), scale_round.step_key),
            scale=scale_round.step_key,
        )
        for meeting, scale_round, counts in rows
    ]
    return rounds, trend(rounds)


def _family(families: dict[int, FamilyView], meeting_id: int, scale: str) -> int | None:
    """The family's view of that meeting, on that scale."""
    view = families.get(meeting_id)
    return view.value if view is not None and view.step_key in (scale, "") else None
