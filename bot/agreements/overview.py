"""The agreements' part of the Vooraf overview at the start of a meeting: the case's open
actions, and the bodemeisen in force with the checks since its previous meeting ended."""

from __future__ import annotations

from datetime import date

from bot.agreements.blocks import owner_text
from bot.kit.blocks import local_date
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from storage.agreements import Agreement, BodemeisCheck, open_actions
from storage.bodemeis_checks import checks_since
from storage.bodemeisen import active_with_checks
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
    """Every bodemeis in force, with its answers since the case's previous meeting ended (all,
    for a first) or else its latest check; and a bodemeis checked since but no longer in force
    (changed or ended) with those answers."""
    case_id = row_id(case)
    async with deps.db.session() as session:
        earlier = [
            m.ended_at
            for m in await meetings_of_case(session, case_id=case_id)
            if m.id != meeting.id and m.ended_at is not None
        ]
        found = await checks_since(session, case_id=case_id, since=max(earlier, default=None))
        in_force = await active_with_checks(session, case_id=case_id)

    def answer(check: BodemeisCheck) -> str:
        return t(
            lang,
            "agreements.overview_answer",
            date=local_date(lang, date.fromisoformat(check.occurrence)),
            answer=t(lang, f"checks.answer_{check.answer}"),
        )

    answers: dict[int, list[str]] = {}
    bodemeisen: dict[int, Agreement] = {}
    for bodemeis, _ in in_force:
        bodemeisen[row_id(bodemeis)] = bodemeis
        answers[row_id(bodemeis)] = []
    for check, agreement in found:
        key = row_id(agreement)
        bodemeisen.setdefault(key, agreement)
        answers.setdefault(key, []).append(answer(check))
    latest_of = {row_id(b): c for b, c in in_force}
    lines = []
    for key, said in answers.items():
        if not said:
            latest = latest_of.get(key)
            said = [
                t(lang, "review.latest", answer=answer(latest))
                if latest is not None
                else t(lang, "home.never_checked")
            ]
        lines.append(
            t(
                lang,
                "agreements.overview_check",
                text=" ".join((bodemeisen[key].text or "").split()),
                monitor=f"<@{bodemeisen[key].monitor_user_id}>",
                answers=", ".join(said),
            )
        )
    return lines
