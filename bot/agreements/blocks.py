"""Agreements in Slack: the record buttons under a question, the modals, the one agreements
message per meeting, and the reminder DMs and escalation that follow.

Pure functions of data. Messages in the case channel are built in the workspace's language,
DMs and modals in the reader's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)

from bot.kit.blocks import (
    MESSAGE_BLOCK_LIMIT,
    button,
    context,
    dicts,
    local_date,
    local_time,
    md,
    mention,
    modal,
    split_text,
)
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from flows.steps import Step
from storage.agreements import (
    INTERVALS,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Priority,
)
from storage.postponements import Postponement

TEXT_MAX = 1000
PLAN_MAX = 2000
ORGANISATION_MAX = 80
DEFAULT_NEXT_TIME = time(10, 0)

# Which record buttons a section of the meeting shows, by the section's name in the catalogue.
SECTION_BUTTONS: Mapping[str, tuple[AgreementKind, ...]] = {
    "besluitvorming": (AgreementKind.ACTION, AgreementKind.BODEMEIS),
    "afspraken": (AgreementKind.COLLABORATION, AgreementKind.ACTION, AgreementKind.BODEMEIS),
    "afsluitingsplan": (AgreementKind.CLOSURE,),
}
_OPEN_ACTION = {
    AgreementKind.ACTION: (ActionId.AGREEMENT_ACTION_OPEN, "agreements.action_button"),
    AgreementKind.BODEMEIS: (ActionId.AGREEMENT_BODEMEIS_OPEN, "agreements.bodemeis_button"),
    AgreementKind.COLLABORATION: (
        ActionId.AGREEMENT_COLLABORATION_OPEN,
        "agreements.collaboration_button",
    ),
    AgreementKind.CLOSURE: (ActionId.AGREEMENT_CLOSURE_OPEN, "agreements.closure_button"),
}


# ----- the token that ties a DM's buttons to one agreement at one moment -----

_TOKEN = re.compile(r"^([1-9][0-9]{0,9}):([0-9]{4}-[0-9]{2}-[0-9]{2})$")


def token(agreement_id: int, day: date | str) -> str:
    """`{agreement}:{date}` in a Ref's choice: the action's due date or the check's
    occurrence. A click carrying another date than the stored one is out of date."""
    return f"{agreement_id}:{day if isinstance(day, str) else day.isoformat()}"


def parse_token(choice: str | None) -> tuple[int, date] | None:
    """The (agreement id, date) of a token, or None for anything we did not produce."""
    match = _TOKEN.match(choice or "")
    if match is None:
        return None
    try:
        return int(match.group(1)), date.fromisoformat(match.group(2))
    except ValueError:
        return None


# ----- under the question -----


def agreement_buttons(lang: str, step: Step, ref: Ref) -> list[dict[str, Any]] | None:
    """The record buttons for the sections where agreements are made; None elsewhere."""
    kinds = SECTION_BUTTONS.get(step.section.name)
    if not kinds or ref.meeting_id is None:
        return None
    # Only the meeting: these buttons open a form and stay valid while the question is shown.
    target = Ref(meeting_id=ref.meeting_id)
    blocks: list[Block] = [
        context(t(lang, "agreements.buttons_hint")),
        ActionsBlock(
            block_id="agreements",
            elements=[
                button(t(lang, _OPEN_ACTION[k][1]), _OPEN_ACTION[k][0], target) for k in kinds
            ],
        ),
    ]
    return dicts(blocks)


# ----- modals -----


def _modal(
    lang: str, callback_id: str, title_key: str, ref: Ref, blocks: Sequence[Block]
) -> dict[str, Any]:
    texts = (title_key, "agreements.save", "agreements.cancel")
    return modal(lang, callback_id, texts, ref=ref, blocks=blocks)


def _text_input(
    lang: str,
    field: Field,
    label_key: str,
    *,
    hint_key: str | None = "agreements.text_hint",
    optional: bool = False,
    initial: str | None = None,
    max_length: int = TEXT_MAX,
    multiline: bool = True,
) -> InputBlock:
    return InputBlock(
        block_id=field,
        label=t(lang, label_key),
        hint=t(lang, hint_key) if hint_key else None,
        optional=optional,
        element=PlainTextInputElement(
            action_id=field,
            multiline=multiline,
            max_length=max_length,
            initial_value=initial or None,
        ),
    )


def action_modal(lang: str, *, ref: Ref, code: str, due: date) -> dict[str, Any]:
    priorities = [
        Option(value=p.value, text=t(lang, f"agreements.priority_{p.value}")) for p in Priority
    ]
    normal = next(o for o in priorities if o.value == Priority.NORMAL)
    blocks: list[Block] = [
        context(t(lang, "agreements.case", code=code)),
        _text_input(
            lang,
            Field.AGREEMENT_TEXT,
            "agreements.action_what",
            hint_key="agreements.action_what_hint",
        ),
        InputBlock(
            block_id=Field.OWNER_USER,
            label=t(lang, "agreements.owner_user"),
            optional=True,
            element=UserSelectElement(action_id=Field.OWNER_USER),
        ),
        _text_input(
            lang,
            Field.OWNER_ORGANISATION,
            "agreements.owner_organisation",
            hint_key="agreements.owner_hint",
            optional=True,
            max_length=ORGANISATION_MAX,
            multiline=False,
        ),
        InputBlock(
            block_id=Field.DUE_DATE,
            label=t(lang, "agreements.due_date"),
            element=DatePickerElement(action_id=Field.DUE_DATE, initial_date=due.isoformat()),
        ),
        InputBlock(
            block_id=Field.PRIORITY,
            label=t(lang, "agreements.priority"),
            element=StaticSelectElement(
                action_id=Field.PRIORITY, options=priorities, initial_option=normal
            ),
        ),
    ]
    return _modal(lang, ViewId.AGREEMENT_ACTION, "agreements.action_title", ref, blocks)


def interval_options(lang: str) -> list[Option]:
    return [
        Option(value=str(days), text=t(lang, f"agreements.interval_{days}")) for days in INTERVALS
    ]


def bodemeis_modal(lang: str, *, ref: Ref, code: str, phase: str = "") -> dict[str, Any]:
    options = interval_options(lang)
    # Herstel asks what must minimally be realised in welzijn, the other phases in veiligheid.
    herstel = phase.startswith("herstel")
    blocks: list[Block] = [
        context(t(lang, "agreements.case", code=code)),
        _text_input(
            lang,
            Field.AGREEMENT_TEXT,
            "agreements.bodemeis_text",
            hint_key="agreements.bodemeis_hint_herstel" if herstel else "agreements.bodemeis_hint",
        ),
        InputBlock(
            block_id=Field.MONITOR,
            label=t(lang, "agreements.monitor"),
            element=UserSelectElement(action_id=Field.MONITOR),
        ),
        InputBlock(
            block_id=Field.INTERVAL,
            label=t(lang, "agreements.interval"),
            hint=t(lang, "agreements.interval_hint"),
            element=StaticSelectElement(
                action_id=Field.INTERVAL, options=options, initial_option=options[0]
            ),
        ),
    ]
    return _modal(lang, ViewId.AGREEMENT_BODEMEIS, "agreements.bodemeis_title", ref, blocks)


@dataclass(frozen=True, slots=True)
class CollaborationForm:
    """What the collaboration modal shows: the case, the phase a next meeting would have, and
    what was recorded before in this meeting (re-recording replaces it)."""

    code: str
    phase_title: str
    planned: str | None = None  # the next meeting's time, when one is already linked
    timeline: str | None = None
    escalation_plan: str | None = None
    informing: str | None = None


def collaboration_modal(lang: str, *, ref: Ref, form: CollaborationForm) -> dict[str, Any]:
    blocks: list[Block] = [
        context(t(lang, "agreements.case", code=form.code)),
        _text_input(
            lang,
            Field.TIMELINE,
            "agreements.timeline",
            optional=True,
            initial=form.timeline,
            max_length=PLAN_MAX,
        ),
    ]
    if form.planned:
        blocks.append(context(t(lang, "agreements.next_planned", when=form.planned)))
    else:
        blocks += [
            InputBlock(
                block_id=Field.NEXT_DATE,
                label=t(lang, "agreements.next_date"),
                hint=t(lang, "agreements.next_hint", phase=form.phase_title),
                optional=True,
                element=DatePickerElement(action_id=Field.NEXT_DATE),
            ),
            InputBlock(
                block_id=Field.NEXT_TIME,
                label=t(lang, "agreements.next_time"),
                optional=True,
                element=TimePickerElement(
                    action_id=Field.NEXT_TIME, initial_time=f"{DEFAULT_NEXT_TIME:%H:%M}"
                ),
            ),
        ]
    blocks += [
        _text_input(
            lang,
            Field.ESCALATION_PLAN,
            "agreements.escalation_plan",
            hint_key="agreements.escalation_hint",
            optional=True,
            initial=form.escalation_plan,
            max_length=PLAN_MAX,
        ),
        _text_input(
            lang,
            Field.INFORMING,
            "agreements.informing",
            optional=True,
            initial=form.informing,
            max_length=PLAN_MAX,
        ),
    ]
    return _modal(
        lang, ViewId.AGREEMENT_COLLABORATION, "agreements.collaboration_title", ref, blocks
    )


def closure_modal(lang: str, *, ref: Ref, code: str, current: str | None) -> dict[str, Any]:
    blocks: list[Block] = [
        context(t(lang, "agreements.case", code=code)),
        _text_input(
            lang,
            Field.AGREEMENT_TEXT,
            "agreements.closure_text",
            initial=current,
            max_length=PLAN_MAX,
        ),
    ]
    return _modal(lang, ViewId.AGREEMENT_CLOSURE, "agreements.closure_title", ref, blocks)


def not_possible_modal(lang: str, *, ref: Ref, what: str) -> dict[str, Any]:
    blocks: list[Block] = [
        *(SectionBlock(text=md(chunk)) for chunk in split_text(f"*{what}*")),
        _text_input(lang, Field.REASON, "agreements.reason", hint_key="agreements.reason_hint"),
    ]
    return _modal(lang, ViewId.ACTION_NOT_POSSIBLE, "agreements.not_possible_title", ref, blocks)


def note_modal(lang: str, *, ref: Ref, text: str) -> dict[str, Any]:
    blocks: list[Block] = [
        *(SectionBlock(text=md(chunk)) for chunk in split_text(f"*{text}*")),
        _text_input(lang, Field.NOTE, "checks.note", hint_key="checks.note_hint"),
    ]
    return _modal(lang, ViewId.CHECK_NOTE, "checks.note_title", ref, blocks)


# ----- the agreements message in the thread -----


def owner_text(lang: str, agreement: Agreement) -> str:
    if agreement.owner_user_id:
        return mention(agreement.owner_user_id)
    return t(
        lang, "agreements.organisation_owner", organisation=agreement.owner_organisation or "—"
    )


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split()) or "—"


def interval_text(lang: str, days: int | None) -> str:
    key = f"agreements.interval_{days}"
    try:
        return t(lang, key)
    except KeyError:  # an interval no longer offered: say it in days
        return f"{days} d"


def postponed_text(lang: str, moves: Sequence[Postponement]) -> str:
    """ " · uitgesteld van 3 mrt naar 10 mrt (met toestemming)": every move of a due date, in
    the open (issue 16)."""
    if not moves:
        return ""
    shown = [
        t(
            lang,
            "postpone.move_consented" if m.consent_by else "postpone.move",
            old=local_date(lang, m.from_due),
            new=local_date(lang, m.to_due),
        )
        for m in moves
    ]
    return t(lang, "postpone.line", moves="; ".join(shown))


def _action_line(
    lang: str,
    a: Agreement,
    meeting_id: int,
    today: date,
    moves: Sequence[Postponement] = (),
) -> str:
    if a.status == AgreementStatus.DONE:
        status = t(lang, "agreements.status_done")
    elif a.status == AgreementStatus.NOT_POSSIBLE:
        status = t(lang, "agreements.status_not_possible")
    elif a.due_date is not None and a.due_date < today:
        status = t(lang, "agreements.status_overdue")
    else:
        status = ""
    status += postponed_text(lang, moves)
    if a.meeting_id != meeting_id:
        status += t(lang, "agreements.earlier")
    return t(
        lang,
        "agreements.action_line",
        what=_one_line(a.text),
        owner=owner_text(lang, a),
        due=local_date(lang, a.due_date) if a.due_date else "—",
        priority=t(lang, f"agreements.priority_{a.priority or Priority.NORMAL}"),
        status=status,
    )


def _bodemeis_line(lang: str, a: Agreement, meeting_id: int) -> str:
    line = t(
        lang,
        "agreements.bodemeis_line",
        text=_one_line(a.text),
        monitor=mention(a.monitor_user_id) if a.monitor_user_id else "—",
        interval=interval_text(lang, a.interval_days),
    )
    return line + (t(lang, "agreements.earlier") if a.meeting_id != meeting_id else "")


def agreements_message(
    lang: str,
    *,
    code: str,
    meeting_id: int,
    items: Sequence[Agreement],
    today: date,
    next_meetings: Mapping[int, datetime | None],
    tz: ZoneInfo,
    postponed: Mapping[int, Sequence[Postponement]] | None = None,
) -> list[dict[str, Any]]:
    """One message with every current agreement, grouped by kind; long parts are split over
    sections, never cut. An action's postponements are shown with it."""
    moves = postponed or {}
    by_kind: dict[str, list[Agreement]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    parts: list[str] = []
    if by_kind.get(AgreementKind.ACTION):
        lines = [
            _action_line(lang, a, meeting_id, today, moves.get(a.id or 0, ()))
            for a in by_kind[AgreementKind.ACTION]
        ]
        parts.append("\n".join([t(lang, "agreements.actions"), *lines]))
    if by_kind.get(AgreementKind.BODEMEIS):
        lines = [_bodemeis_line(lang, a, meeting_id) for a in by_kind[AgreementKind.BODEMEIS]]
        parts.append("\n".join([t(lang, "agreements.bodemeisen"), *lines]))
    for a in by_kind.get(AgreementKind.COLLABORATION, []):
        lines = [t(lang, "agreements.collaboration")]
        if a.text:
            lines.append(t(lang, "agreements.timeline_line", text=a.text.strip()))
        if a.next_meeting_id is not None:
            when = local_time(lang, next_meetings.get(a.next_meeting_id), tz)
            lines.append(t(lang, "agreements.next_line", when=when))
        if a.escalation_plan:
            lines.append(t(lang, "agreements.escalation_line", text=a.escalation_plan.strip()))
        if a.informing:
            lines.append(t(lang, "agreements.informing_line", text=a.informing.strip()))
        parts.append("\n".join(lines))
    for a in by_kind.get(AgreementKind.CLOSURE, []):
        parts.append(f"{t(lang, 'agreements.closure')}\n{(a.text or '').strip()}")
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{t(lang, 'agreements.message_title', code=code)}*"))
    ]
    if not parts:
        blocks.append(SectionBlock(text=md(t(lang, "agreements.message_empty"))))
    sections: list[Block] = [
        SectionBlock(text=md(chunk)) for part in parts for chunk in split_text(part)
    ]
    room = MESSAGE_BLOCK_LIMIT - len(blocks)
    if len(sections) > room:
        # Fifty blocks of 3,000 characters is far beyond a real meeting; say so rather than drop.
        hidden = len(sections) - room + 1
        sections = [
            *sections[: room - 1],
            context(t(lang, "agreements.message_more", count=hidden)),
        ]
    return dicts(blocks + sections)
