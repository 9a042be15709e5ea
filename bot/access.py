"""Who may do what: one guard, applied to every interaction before its handler runs.

Each listener is registered with the access it needs (bot/listeners/__init__.py). The guard
finds the case the interaction is about — from the button value or modal metadata we signed
off on, else from the channel — and checks the user's role in that case. A refusal is told
privately and audited; nothing else happens.
"""

from __future__ import annotations

from enum import StrEnum

from bot.payloads import ForgedValue, Ref, decode
from bot.runtime import Turn
from storage import audit
from storage.cases import (
    STEERING_ROLES,
    case_by_id,
    latest_case_in_channel,
    open_case_in_channel,
    participant,
)
from storage.meetings import meeting_by_id
from storage.models import CaseStatus, Role


class Access(StrEnum):
    ANYONE = "anyone"  # help, the home tab, registering a new case
    MEMBER = "member"  # participants of the case; guests once they confirmed confidentiality
    READ = "read"  # like MEMBER, also for a closed case: reading its record changes nothing
    STEER = "steer"  # the procesregisseur or casusregisseur of the case


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
        if value is None and isinstance(actions[0].get("selected_option"), dict):
            value = None  # selects carry their ref in the block's message, not the option
        return decode(value) if value is not None else None
    view = turn.body.get("view")
    if isinstance(view, dict) and view.get("private_metadata"):
        return decode(view["private_metadata"])
    return None


async def guard(turn: Turn, access: Access) -> None:
    """Load turn.case / turn.meeting / turn.participant and enforce `access`."""
    try:
        ref = reference(turn)
    except ForgedValue:
        raise Refused("errors.forged") from None
    turn.ref = ref
    if access is Access.ANYONE:
        return
    async with turn.deps.db.session() as session:
        meeting = None
        if ref is not None and ref.meeting_id is not None:
            meeting = await meeting_by_id(session, meeting_id=ref.meeting_id)
            if meeting is None:
                raise Refused("errors.forged")
            case = await case_by_id(session, case_id=meeting.case_id)
        elif ref is not None and ref.case_id is not None:
            case = await case_by_id(session, case_id=ref.case_id)
            if case is None:
                raise Refused("errors.forged")
        elif turn.channel_id and access is Access.READ:
            case = await latest_case_in_channel(session, channel_id=turn.channel_id)
        elif turn.channel_id:
            case = await open_case_in_channel(session, channel_id=turn.channel_id)
        else:
            case = None
        if case is None:
            raise Refused("access.no_case")
        if case.status != CaseStatus.OPEN and access is not Access.READ:
            raise Refused("access.case_closed", code=case.code)
        member = await participant(session, case_id=case.id, user_id=turn.user_id or "")
        allowed = member is not None and (
            access in (Access.MEMBER, Access.READ) or Role(member.role) in STEERING_ROLES
        )
        if (
            member is not None
            and member.role == Role.GAST
            and member.confidentiality_confirmed_at is None
        ):
            allowed = False
            reason = "access.confirm_first"
        elif member is None:
            reason = "access.not_participant"
        else:
            reason = "access.not_regisseur"
        refused_case = None if allowed else case
    if refused_case is not None:
        # Recorded in its own transaction: the refusal must stay on record.
        async with turn.deps.db.session() as session:
            await audit.record(
                session,
                actor=turn.user_id or "?",
                action="refused",
                case_id=refused_case.id,
                detail=f"{access.value}: {turn.body.get('type')}",
            )
        raise Refused(reason, code=refused_case.code, case_id=refused_case.id)
    turn.case, turn.meeting, turn.member = case, meeting, member
