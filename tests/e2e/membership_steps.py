"""Steps for the tests of who is in a case: someone new in the workspace, work they carry
(set up through storage, as a meeting would have recorded it), and the members form."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from storage.agreements import Agreement, Priority, add_action
from storage.bodemeisen import active_bodemeisen
from storage.models import Participant
from tests.e2e.conftest import CASE_CHANNEL, Harness
from tests.e2e.meeting_steps import stored_case, stored_meeting


def newcomer(h: Harness, handle: str = "mila") -> str:
    """A colleague in the workspace who is in no case (yet)."""
    user = h.sb.ws.add_user(
        handle, "Mila de Graaf", title="Jeugdbescherming Utrecht", role="jb", locale="nl-NL"
    )
    return user.id


def user_id(h: Harness, handle: str) -> str:
    return h.sb.user(handle).id


async def give_action(h: Harness, owner: str, *, due: date, wording: str = "Huisbezoek") -> int:
    case, meeting = await stored_case(h), await stored_meeting(h)
    assert case is not None and meeting is not None
    settings = h.settings
    async with h.db.session() as session:
        action = await add_action(
            session,
            case_id=case.id or 0,
            meeting_id=meeting.id or 0,
            text=wording,
            owner_user_id=user_id(h, owner),
            owner_organisation=None,
            due_date=due,
            priority=Priority.HIGH,
            created_by=user_id(h, "petra"),
            hours=settings.working_hours,
            tz=settings.timezone,
        )
        return action.id or 0


async def agreement(h: Harness, agreement_id: int) -> Agreement:
    async with h.db.session() as session:
        found = await session.get(Agreement, agreement_id)
        assert found is not None
        return found


async def bodemeisen(h: Harness) -> list[Agreement]:
    case = await stored_case(h)
    async with h.db.session() as session:
        return await active_bodemeisen(session, case_id=case.id or 0)  # type: ignore[union-attr]


async def member(h: Harness, handle: str) -> Participant | None:
    async with h.db.session() as session:
        query = select(Participant).where(Participant.user_id == user_id(h, handle))
        return (await session.exec(query)).first()


async def members_form(h: Harness, who: str = "petra") -> dict[str, Any]:
    person = h.sb.user(who)
    await person.slash("/casus", "leden", channel=CASE_CHANNEL)
    await h.settle()
    assert person.modal is not None, "the members form did not open"
    return person.modal


def in_channel(h: Harness, handle: str) -> bool:
    return user_id(h, handle) in h.sb.channel(CASE_CHANNEL).members
