"""Absence and stand-ins from the home tab (issue 16 point 7): "afwezig t/m <datum>, vervanger
@iemand". Meanwhile the reminders meant for the person go to the stand-in (bot.kit.standin);
it ends by itself after the last day, or earlier with "Ik ben terug"."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DatePickerElement,
    InputBlock,
    SectionBlock,
    UserSelectElement,
)

from bot.kit.blocks import button, local_day, md, modal
from bot.kit.clock import local_today
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from storage.absence import Absence, end_absence, set_absence
from storage.types import utcnow


def absence_blocks(lang: str, away: Absence | None) -> list[Block]:
    """The home tab's part: one's own absence, with the button to set or end it."""
    if away is None:
        text = t(lang, "absence.none")
        action = button(t(lang, "absence.set"), ActionId.ABSENCE_OPEN, Ref())
    else:
        text = t(
            lang, "absence.away", until=local_day(lang, away.until), stand_in=away.stand_in_user_id
        )
        action = button(t(lang, "absence.end"), ActionId.ABSENCE_END, Ref())
    return [
        SectionBlock(text=md(f"*{t(lang, 'absence.title')}*\n{text}")),
        ActionsBlock(elements=[action]),
    ]


def case_absences(lang: str, absences: list[Absence]) -> str:
    """The lines a regisseur sees on a case: who is away until when, and who stands in."""
    return "\n".join(
        t(
            lang,
            "absence.case_line",
            user=a.user_id,
            until=local_day(lang, a.until),
            stand_in=a.stand_in_user_id,
        )
        for a in absences
    )


def absence_modal(lang: str, *, today: date) -> dict[str, Any]:
    blocks: list[Block] = [
        InputBlock(
            block_id=Field.UNTIL,
            label=t(lang, "absence.until"),
            element=DatePickerElement(action_id=Field.UNTIL, initial_date=today.isoformat()),
        ),
        InputBlock(
            block_id=Field.STAND_IN,
            label=t(lang, "absence.stand_in"),
            hint=t(lang, "absence.stand_in_hint"),
            element=UserSelectElement(action_id=Field.STAND_IN),
        ),
    ]
    texts = ("absence.form_title", "absence.form_submit", "absence.form_cancel")
    return modal(lang, ViewId.ABSENCE, texts, ref=Ref(), blocks=blocks)


def absence_errors(
    lang: str, *, user_id: str, until: date | None, stand_in: str | None, today: date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if until is None:
        errors[Field.UNTIL] = t(lang, "case_form.required")
    elif until < today:
        errors[Field.UNTIL] = t(lang, "absence.in_past")
    if not stand_in:
        errors[Field.STAND_IN] = t(lang, "case_form.required")
    elif stand_in == user_id:
        errors[Field.STAND_IN] = t(lang, "absence.self")
    return errors


async def record_absence(deps: Deps, *, user_id: str, until: date, stand_in: str) -> Absence:
    today = local_today(deps.settings.timezone)
    async with deps.db.session() as session:
        return await set_absence(
            session,
            user_id=user_id,
            until=until,
            stand_in_user_id=stand_in,
            by=user_id,
            today=today,
            now=utcnow(),
        )


async def back_again(deps: Deps, *, user_id: str) -> bool:
    async with deps.db.session() as session:
        return await end_absence(session, user_id=user_id, by=user_id)
