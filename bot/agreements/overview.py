"""The agreements' part of the Vooraf overview at the start of a meeting: the case's open
actions and the bodemeis checks since its previous meeting ended."""

from __future__ import annotations

from datetime import date

from bot.agreements.blocks import owner_text
from bot.kit.blocks import local_date
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from storage.agreements import Agreement, open_actions
from storage.bodemeis_checks import checks_since
from storage.meetings import meetings_of_case
from storage.models import Case, Meeting, row_id


async def open_action_lines(deps: Deps, case: Case, lang: str) -> list[str]:
    """Actions of this case that are still open, soonest due first; overdue ones marked."""
    async with deps.db.session() as session:
        actions = await open_actions(session, case_id=row_id(case))
    today = local_today(deps.settings.timezone)
    return [
        t(
            lang,
            "agreements.overview_action",
            what=" ".join((a.text or "").split()),
            owner=owner_text(lang, a),
            due=local_date(lang, a.due_date) if a.due_date else "—",
            overdue=t(lang, "agreements.status_overdue")
            if a.due_date is not None and a.due_date < today
            else "",
        )
        for a in actions
    ]


async def check_lines(deps: Deps, case: Case, meeting: Meeting, lang: str) -> list[str]:
    """Per bodemeis, its answers since the case's previous meeting ended (all, for a first)."""
    case_id = row_id(case)
    async with deps.db.session() as session:
        earlier = [
            m.ended_at
            for m in await meetings_of_case(session, case_id=case_id)
            if m.id != meeting.id and m.ended_at is not None
        ]
        found = await checks_since(session, case_id=case_id, since=max(earlier, default=None))
    answers: dict[int, list[str]] = {}
    bodemeisen: dict[int, Agreement] = {}
    for check, agreement in found:
        key = row_id(agreement)
        bodemeisen[key] = agreement
        answers.setdefault(key, []).append(
            t(
                lang,
                "agreements.overview_answer",
                date=local_date(lang, date.fromisoformat(check.occurrence)),
                answer=t(lang, f"checks.answer_{check.answer}"),
            )
        )
    return [
        t(
            lang,
            "agreements.overview_check",
            text=" ".join((bodemeisen[key].text or "").split()),
            monitor=f"<@{bodemeisen[key].monitor_user_id}>",
            answers=", ".join(lines),
        )
        for key, lines in answers.items()
    ]
