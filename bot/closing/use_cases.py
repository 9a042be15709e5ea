"""A safe close, aftercare and reopening (issue 16 point 4): plain async functions, no Bolt
objects. The rules live in storage.closing; this says what Slack must show.

A case closes only on an afsluitingsplan recorded in the closing meeting, or on a regisseur's
reason to close without one (audited); every open action and bodemeis gets the regisseur's
choice first. Months later the casusregisseur is asked "Gaat het nog goed met dit gezin?";
"nee" reopens the case in directe veiligheid and plans its next meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.closing.rows import close_and_show, want_announcement
from bot.kit.runtime import Declined, Deps
from bot.meetings.use_cases import plan_meeting
from flows.schedule import add_working_days, local_moment
from storage.cases import STEERING_ROLES, case_by_id, participant
from storage.closing import (
    AftercareAnswer,
    Closed,
    ClosingBlockers,
    ClosingChoice,
    ClosingRefused,
    closing_blockers,
    closure_by_id,
    record_aftercare,
    reopen_case,
)
from storage.models import Case, Role
from storage.types import utcnow

# The reopened case's first meeting: after the prep lead time, at this local time.
REOPENED_MEETING_AT = time(10, 0)


@dataclass(frozen=True, slots=True)
class Closing:
    case: Case
    closed: Closed
    rows: tuple[int, ...]


async def blockers_of(deps: Deps, *, case_id: int, meeting_id: int | None) -> ClosingBlockers:
    async with deps.db.session() as session:
        return await closing_blockers(session, case_id=case_id, meeting_id=meeting_id)


async def close(
    deps: Deps,
    *,
    case: Case,
    meeting_id: int | None,
    choices: Sequence[ClosingChoice],
    override_reason: str | None,
    by: str,
) -> Closing:
    """Close the case (one transaction) or say why not (Declined, nothing changed)."""
    try:
        async with deps.db.session() as session:
            closed, rows = await close_and_show(
                session,
                deps,
                case,
                meeting_id=meeting_id,
                by=by,
                choices=choices,
                override_reason=override_reason,
            )
    except ClosingRefused as refused:
        raise Declined(f"closing.refused_{refused.code}", code=case.code) from None
    return Closing(closed.case, closed, rows)


@dataclass(frozen=True, slots=True)
class Aftercare:
    case: Case
    answer: AftercareAnswer
    rows: tuple[int, ...] = ()
    meeting_at: datetime | None = None


async def _regisseur_of_closed(session: AsyncSession, *, case_id: int, user_id: str) -> Case:
    case = await case_by_id(session, case_id=case_id)
    if case is None:
        raise Declined("errors.forged")
    member = await participant(session, case_id=case_id, user_id=user_id)
    if member is None or Role(member.role) not in STEERING_ROLES:
        raise Declined("aftercare.not_yours", code=case.code)
    return case


async def answer_aftercare(
    deps: Deps, *, case_id: int, closure_id: int, answer: AftercareAnswer, by: str
) -> Aftercare:
    """The first answer counts. "Heropenen" reopens the case in directe veiligheid (until the
    purge it can); its next meeting is planned right after, in its own transaction — until
    then the regisseurs' "no meeting planned" reminders stand (storage.closing.reopen_case)."""
    settings = deps.settings
    now = utcnow()
    async with deps.db.session() as session:
        case = await _regisseur_of_closed(session, case_id=case_id, user_id=by)
        closure = await closure_by_id(session, closure_id=closure_id)
        if closure is None or closure.case_id != case_id:
            raise Declined("errors.forged")
        if not await record_aftercare(
            session, closure_id=closure_id, answer=answer, by=by, now=now
        ):
            raise Declined("aftercare.already")
        if answer is AftercareAnswer.WELL:
            return Aftercare(case, answer)
        reopened = await reopen_case(
            session,
            case_id=case_id,
            by=by,
            now=now,
            hours=settings.working_hours,
            tz=settings.timezone,
            no_next_meeting_days=settings.no_next_meeting_days,
        )
        if reopened is None:
            raise Declined("aftercare.already")
        case = reopened.case
    day = add_working_days(
        now, settings.prep_lead_days + 1, settings.working_hours, settings.timezone
    )
    when = local_moment(
        day.astimezone(settings.timezone).date(), REOPENED_MEETING_AT, settings.timezone
    )
    planned = await plan_meeting(
        deps,
        case=case,
        when=when,
        phase=reopened.phase,
        invited=list(reopened.participants),
        newcomers={},
        actor=by,
    )
    async with deps.db.session() as session:
        row = await want_announcement(session, deps, case, closure_id=closure_id, event="reopened")
    return Aftercare(case, answer, rows=(*planned.rows, row), meeting_at=when)
