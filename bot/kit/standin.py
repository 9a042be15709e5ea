"""Absence and stand-ins at send time (issue 16 point 7): a reminder meant for someone who is
away goes to their stand-in (storage.absence.recipient_for), marked as such. The senders of
action due dates, bodemeis checks and prep ask `addressee`; the answer buttons accept the
stand-in (`may_answer_for`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from bot.kit.blocks import context
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from storage.absence import Recipient, recipient_for, stands_in_for
from storage.reminders import Reminder
from storage.types import utcnow


async def addressee(deps: Deps, *, reminder: Reminder, user_id: str) -> Recipient:
    """Who gets `reminder`, meant for `user_id`: judged at its due time, or now when that is
    later (the poller does not hand senders its clock; tests drive it with chosen times)."""
    at = max(reminder.due_at, utcnow())
    async with deps.db.session() as session:
        return await recipient_for(
            session, user_id=user_id, at=at, tz=deps.settings.timezone, case_id=reminder.case_id
        )


def marked(
    lang: str, recipient: Recipient, blocks: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The reminder's blocks, with "namens <@…> (afwezig)" on top when it reaches a stand-in."""
    if recipient.stand_in_for is None:
        return list(blocks)
    key = "absence.marked_lead" if recipient.via_lead else "absence.marked"
    return [context(t(lang, key, user=recipient.stand_in_for)).to_dict(), *blocks]


async def may_answer_for(deps: Deps, *, user_id: str, for_users: Collection[str]) -> bool:
    """`user_id` stands in today for one of `for_users`."""
    return await standing_in_for(deps, user_id=user_id, for_users=for_users) is not None


async def standing_in_for(deps: Deps, *, user_id: str, for_users: Collection[str]) -> str | None:
    """Whom of `for_users` `user_id` stands in for today, if anyone."""
    today = utcnow().astimezone(deps.settings.timezone).date()
    async with deps.db.session() as session:
        return await stands_in_for(session, stand_in=user_id, users=for_users, on=today)
