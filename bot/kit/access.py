"""Who may do what: one guard, applied to every interaction before its handler runs.

Each listener is registered with the access it needs (bot/surface.py). The guard finds the
case the interaction is about — from the button value or modal metadata we signed off on,
else from the channel — and checks the user's role in that case. A refusal is told privately
and audited; nothing else happens. What the guard found travels on as a typed `CaseTurn`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from bot.kit.ids import ActionId
from bot.kit.payloads import ForgedValue, Ref, decode
from bot.kit.runtime import CaseTurn, Turn
from storage import audit
from storage.access import by_case, by_channel, by_meeting
from storage.cases import STEERING_ROLES
from storage.models import CaseStatus, Role, row_id


class Access(StrEnum):
    ANYONE = "anyone"  # help, the home tab, registering a new case
    MEMBER = "member"  # participants of the case; guests once they confirmed confidentiality
    READ = "read"  # like MEMBER, also for a closed case: reading its record changes nothing
    STEER = "steer"  # the procesregisseur or casusregisseur of the case


# A guest opens no form but their own confirmation (issue 18): these buttons open one for a
# member, and a guest's submission of any case form is refused.
GUEST_REFUSED_ACTIONS = frozenset(
    {ActionId.PREP_OPEN, ActionId.ACTION_NOT_POSSIBLE, ActionId.CHECK_NOTE_OPEN}
)

# The accesses that need a case: their handlers receive a CaseTurn.
CaseAccess = Literal[Access.MEMBER, Access.READ, Access.STEER]


class Refused(Exception):
    """The guard said no; `key` is the catalogue text to show the user."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def reference(turn: Turn) -> Ref | None:
    """The Ref carried by a button or a modal, if any; forged ones raise."""
    actions = turn.body.get("actions")
    if isinstance(actions, list) and actions:
        value = actions[0].get("value")
        # Selects carry no ref in their option: nothing to decode.
        return decode(value) if value is not None else None
    view = turn.body.get("view")
    if isinstance(view, dict) and view.get("private_metadata"):
        return decode(view["private_metadata"])
    return None


def read_ref(turn: Turn) -> Ref | None:
    """Decode the turn's Ref onto it; a value we did not produce is refused."""
    try:
        turn.ref = reference(turn)
    except ForgedValue:
        raise Refused("errors.forged") from None
    return turn.ref


async def guard(turn: Turn, access: CaseAccess) -> CaseTurn:
    """Load the case, the meeting and the member (one statement), and enforce `access`."""
    ref = read_ref(turn)
    user_id = turn.user_id or ""
    async with turn.deps.db.session() as session:
        if ref is not None and ref.meeting_id is not None:
            meeting, case, member = await by_meeting(
                session, meeting_id=ref.meeting_id, user_id=user_id
            )
            if meeting is None:
                raise Refused("errors.forged")
        elif ref is not None and ref.case_id is not None:
            meeting, case, member = await by_case(session, case_id=ref.case_id, user_id=user_id)
            if case is None:
                raise Refused("errors.forged")
        elif turn.channel_id:
            meeting, case, member = await by_channel(
                session,
                channel_id=turn.channel_id,
                user_id=user_id,
                closed_too=access is Access.READ,
            )
        else:
            meeting, case, member = None, None, None
        if case is None:
            raise Refused("access.no_case")
        case_id = row_id(case)
        if case.status != CaseStatus.OPEN and access is not Access.READ:
            raise Refused("access.case_closed", code=case.code)
        if (
            member is not None
            and member.role == Role.GAST
            and not member.confidentiality_confirmed_at
        ):
            reason = "access.confirm_first"
        elif member is not None and member.role == Role.GAST and _opens_a_form(turn):
            reason = "guests.no_forms"
        elif member is None or not user_id:
            reason = "access.not_participant"
        elif access is Access.STEER and Role(member.role) not in STEERING_ROLES:
            reason = "access.not_regisseur"
        else:
            return CaseTurn.of(
                turn, user_id=user_id, case=case, case_id=case_id, member=member, meeting=meeting
            )
        # Kept when the refusal ends the request: the wiring commits a refused request's work.
        await audit.record(
            session,
            actor=user_id or "?",
            action="refused",
            case_id=case_id,
            detail=f"{access.value}: {turn.body.get('type')}",
        )
    raise Refused(reason, code=case.code, case_id=case_id)


def _opens_a_form(turn: Turn) -> bool:
    if turn.body.get("type") == "view_submission":
        return True
    actions = turn.body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    return isinstance(first, dict) and first.get("action_id") in GUEST_REFUSED_ACTIONS
