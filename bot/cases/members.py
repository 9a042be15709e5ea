"""Who is in a case after registration (issue 16 point 6, issue 18 point 5): plain async
functions, no Bolt objects.

Regisseurs add and remove participants from the members form. Removal takes effect at once
(storage.membership: no votes, no case data, no reminders) and never leaves work unowned: what
the person carries is handed over first, in the same transaction. Whoever joins the case
channel is met by what they may see: a guest who has not confirmed gets the statement, a
participant a short welcome; someone not in the case sees no case data, and the regisseurs are
told privately, with buttons to register or remove them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.objects import want_statement
from bot.kit.ids import ObjectKind
from bot.kit.notices import want_notice
from bot.kit.objects import wanted
from bot.kit.runtime import Declined, Deps
from storage.agreements import Agreement
from storage.cases import open_case_in_channel, participant, participants, regisseurs
from storage.meetings import next_planned
from storage.membership import (
    Responsibilities,
    add_participant,
    hand_over,
    remove_participant,
    responsibilities,
    set_referring_partner,
)
from storage.models import Case, Participant, Role, row_id
from storage.types import utcnow


class Arrival(StrEnum):
    NOT_A_CASE = "not_a_case"  # the channel holds no open case (or the bot itself joined)
    STATEMENT = "statement"  # a guest who has not confirmed yet
    WELCOME = "welcome"  # a participant, or a guest who confirmed
    STRANGER = "stranger"  # not in the case: no case data; the regisseurs are told


@dataclass(frozen=True, slots=True)
class Joined:
    arrival: Arrival
    case: Case | None = None
    next_meeting: datetime | None = None
    actions: tuple[Agreement, ...] = ()
    rows: tuple[int, ...] = ()


class JoinOutcome(StrEnum):
    REGISTERED = "registered"
    REMOVED = "removed"


def joined_key(case_id: int, user_id: str, regisseur: str) -> str:
    return f"case:{case_id}:joined:{user_id}:{regisseur}"


async def _want_join_notices(
    session: AsyncSession,
    deps: Deps,
    case: Case,
    user_id: str,
    *,
    outcome: JoinOutcome | None = None,
    by: str | None = None,
) -> tuple[int, ...]:
    """Each regisseur's DM about `user_id` in the case channel; drawn again with the outcome
    once one of them acted."""
    case_id = row_id(case)
    return tuple(
        [
            await wanted(
                session,
                deps,
                key=joined_key(case_id, user_id, regisseur),
                kind=ObjectKind.CASE_JOINED,
                case_id=case_id,
                channel_id=regisseur,
                payload={
                    "case": case_id,
                    "user": user_id,
                    "outcome": outcome.value if outcome else None,
                    "by": by,
                },
            )
            for regisseur in await regisseurs(session, case_id=case_id)
        ]
    )


async def on_join(deps: Deps, *, channel_id: str, user_id: str, bot_user_id: str | None) -> Joined:
    """Someone joined `channel_id`: what they are shown, and for a stranger the regisseurs'
    notices (committed before the ack; an event Slack sends again finds the same rows)."""
    if user_id == bot_user_id:
        return Joined(Arrival.NOT_A_CASE)
    async with deps.db.session() as session:
        case = await open_case_in_channel(session, channel_id=channel_id)
        if case is None:
            return Joined(Arrival.NOT_A_CASE)
        case_id = row_id(case)
        member = await participant(session, case_id=case_id, user_id=user_id)
        if member is None:
            rows = await _want_join_notices(session, deps, case, user_id)
            return Joined(Arrival.STRANGER, case, rows=rows)
        if member.role == Role.GAST and member.confidentiality_confirmed_at is None:
            return Joined(Arrival.STATEMENT, case)
        planned = await next_planned(session, case_id=case_id)
        carried = await responsibilities(session, case_id=case_id, user_id=user_id)
    return Joined(
        Arrival.WELCOME,
        case,
        next_meeting=planned.scheduled_at if planned else None,
        actions=carried.actions,
    )


async def register_joined(
    deps: Deps, *, case: Case, user_id: str, organisation: str, by: str
) -> tuple[int, ...]:
    """A regisseur registers who joined as a deelnemer; every regisseur's notice shows it."""
    case_id = row_id(case)
    async with deps.db.session() as session:
        added = await add_participant(
            session,
            case_id=case_id,
            user_id=user_id,
            role=Role.DEELNEMER,
            organisation=organisation,
            by=by,
        )
        if not added:
            raise Declined("joined.already_member", user=user_id, code=case.code)
        return await _want_join_notices(
            session, deps, case, user_id, outcome=JoinOutcome.REGISTERED, by=by
        )


async def stranger_to_remove(deps: Deps, *, case: Case, user_id: str) -> None:
    """Only someone who is not in the case is removed from its channel by this button
    (participants leave through the members form, which hands their work over first)."""
    async with deps.db.session() as session:
        if await participant(session, case_id=row_id(case), user_id=user_id) is not None:
            raise Declined("joined.already_member", user=user_id, code=case.code)


async def removed_from_channel(deps: Deps, *, case: Case, user_id: str, by: str) -> tuple[int, ...]:
    """After the kick: every regisseur's notice shows who removed them."""
    async with deps.db.session() as session:
        return await _want_join_notices(
            session, deps, case, user_id, outcome=JoinOutcome.REMOVED, by=by
        )


# ----- the members form -----


@dataclass(frozen=True, slots=True)
class MembersChange:
    """What a regisseur asked for in the members form."""

    add: Sequence[str] = ()
    role: Role = Role.DEELNEMER
    remove: str | None = None
    hand_over_to: str | None = None
    referring_partner: str | None = None


@dataclass(frozen=True, slots=True)
class MembersChanged:
    case: Case
    added: tuple[str, ...] = ()
    removed: str | None = None
    handed_over: Responsibilities | None = None
    partner_set: bool = False
    rows: tuple[int, ...] = ()
    # Members added who are not guests: invited into the channel at once.
    to_invite: tuple[str, ...] = field(default_factory=tuple)


async def members_of(deps: Deps, *, case_id: int) -> list[Participant]:
    async with deps.db.session() as session:
        return await participants(session, case_id=case_id)


async def removal_problem(
    deps: Deps, *, case_id: int, change: MembersChange
) -> tuple[str, dict[str, object]] | None:
    """Why the form's removal cannot happen (a catalogue key and its values), or None. Read
    before the commit for field errors; `change_members` holds to the same rules."""
    remove = change.remove
    if remove is None:
        return None
    if remove in change.add:
        return "membership.remove_and_add", {}
    async with deps.db.session() as session:
        if await participant(session, case_id=case_id, user_id=remove) is None:
            return "membership.not_member", {"user": remove}
        if change.hand_over_to is not None:
            if change.hand_over_to == remove:
                return "membership.hand_over_self", {}
            if await participant(session, case_id=case_id, user_id=change.hand_over_to) is None:
                return "membership.hand_over_not_member", {}
        carried = await responsibilities(session, case_id=case_id, user_id=remove)
        if not carried.none and change.hand_over_to is None:
            return "membership.carries", {"user": remove, "work": carried}
        if (
            remove in await regisseurs(session, case_id=case_id)
            and len(await regisseurs(session, case_id=case_id)) == 1
        ):
            return "membership.last_regisseur", {"user": remove}
    return None


async def change_members(
    deps: Deps,
    *,
    case: Case,
    change: MembersChange,
    organisations: Mapping[str, str],
    by: str,
) -> MembersChanged:
    """One transaction: add, hand over, remove, record the aanbrengende partner; each audited
    by storage. The added and the removed are told by DM, new guests get the statement."""
    case_id = row_id(case)
    now = utcnow()
    settings = deps.settings
    rows: list[int] = []
    async with deps.db.session() as session:
        added = []
        for user in dict.fromkeys(change.add):
            if await add_participant(
                session,
                case_id=case_id,
                user_id=user,
                role=change.role,
                organisation=organisations.get(user, ""),
                by=by,
            ):
                added.append(user)
                if change.role is Role.GAST:
                    rows.append(await want_statement(session, deps, case, user))
                else:
                    rows.append(
                        await _note(session, deps, case, user, "added", by=by, role=change.role)
                    )
        handed = None
        removed = None
        if change.remove is not None:
            if change.hand_over_to is not None:
                handed = await responsibilities(session, case_id=case_id, user_id=change.remove)
                await hand_over(
                    session,
                    case_id=case_id,
                    from_user=change.remove,
                    to_user=change.hand_over_to,
                    by=by,
                    now=now,
                    hours=settings.working_hours,
                    tz=settings.timezone,
                )
            removal = await remove_participant(
                session, case_id=case_id, user_id=change.remove, by=by, now=now
            )
            if not removal.removed:
                key = (
                    "membership.last_regisseur" if removal.last_regisseur else "membership.carries"
                )
                raise Declined(key, user=change.remove, work="…")
            removed = change.remove
            rows.append(await _note(session, deps, case, removed, "removed", by=by))
        partner = (change.referring_partner or "").strip()
        if partner:
            await set_referring_partner(session, case_id=case_id, partner=partner, by=by)
    return MembersChanged(
        case=case,
        added=tuple(added),
        removed=removed,
        handed_over=handed,
        partner_set=bool(partner),
        rows=tuple(rows),
        to_invite=tuple(added) if change.role is not Role.GAST else (),
    )


async def _note(
    session: AsyncSession,
    deps: Deps,
    case: Case,
    user: str,
    what: str,
    *,
    by: str,
    role: Role | None = None,
) -> int:
    values: dict[str, str | int] = {"by": by}
    if role is not None:
        values["role"] = role.value
    return await want_notice(
        session,
        deps,
        key=f"case:{row_id(case)}:{what}:{user}:{utcnow():%Y%m%d%H%M%S%f}",
        case_id=row_id(case),
        to=user,
        text_key=f"membership.{what}_note",
        values=values,
    )
