"""Modals: register a case, plan a meeting. Pure builders; values come back by Field id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
    TimePickerElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.i18n import t
from bot.ids import Field, ViewId
from bot.payloads import Ref
from flows.model import Catalogue

CHANNEL_HERE = "here"
CHANNEL_NEW = "new"


def _phase_select(lang: str, catalogue: Catalogue, initial: str) -> StaticSelectElement:
    options = [Option(value=p.key, text=p.title.get(lang)[:75]) for p in catalogue.phases]
    chosen = next((o for o in options if o.value == initial), options[0])
    return StaticSelectElement(action_id=Field.PHASE, options=options, initial_option=chosen)


def new_case_modal(
    lang: str, catalogue: Catalogue, *, requester: str, origin: Ref, channel_usable: bool
) -> dict[str, Any]:
    """`channel_usable`: the command came from a private channel the bot is in."""
    channel_options = [Option(value=CHANNEL_NEW, text=t(lang, "case_form.channel_new"))]
    if channel_usable:
        channel_options.insert(
            0, Option(value=CHANNEL_HERE, text=t(lang, "case_form.channel_here"))
        )
    blocks = [
        InputBlock(
            block_id=Field.CODE,
            label=t(lang, "case_form.code"),
            hint=t(lang, "case_form.code_hint"),
            element=PlainTextInputElement(action_id=Field.CODE, max_length=32, min_length=3),
        ),
        InputBlock(
            block_id=Field.PHASE,
            label=t(lang, "case_form.phase"),
            element=_phase_select(lang, catalogue, catalogue.phases[0].key),
        ),
        InputBlock(
            block_id=Field.PROCESREGISSEUR,
            label=t(lang, "roles.procesregisseur"),
            element=UserSelectElement(action_id=Field.PROCESREGISSEUR, initial_user=requester),
        ),
        InputBlock(
            block_id=Field.CASUSREGISSEUR,
            label=t(lang, "roles.casusregisseur"),
            element=UserSelectElement(action_id=Field.CASUSREGISSEUR),
        ),
        InputBlock(
            block_id=Field.PARTICIPANTS,
            label=t(lang, "case_form.participants"),
            hint=t(lang, "case_form.participants_hint"),
            optional=True,
            element=UserMultiSelectElement(action_id=Field.PARTICIPANTS),
        ),
        InputBlock(
            block_id=Field.GUESTS,
            label=t(lang, "case_form.guests"),
            hint=t(lang, "case_form.guests_hint"),
            optional=True,
            element=UserMultiSelectElement(action_id=Field.GUESTS),
        ),
        InputBlock(
            block_id=Field.CHANNEL,
            label=t(lang, "case_form.channel"),
            element=RadioButtonsElement(
                action_id=Field.CHANNEL,
                options=channel_options,
                initial_option=channel_options[0],
            ),
        ),
        ContextBlock(elements=[MarkdownTextObject(text=t(lang, "help.privacy"))]),
    ]
    view = View(
        type="modal",
        callback_id=ViewId.NEW_CASE,
        title=t(lang, "case_form.title")[:24],
        submit=t(lang, "case_form.submit")[:24],
        close=t(lang, "case_form.cancel")[:24],
        private_metadata=origin.encode(),
        blocks=blocks,
    )
    return view.to_dict()


def plan_meeting_modal(
    lang: str,
    catalogue: Catalogue,
    *,
    case_ref: Ref,
    code: str,
    phase: str,
    invited: Sequence[str],
    day: date,
    at: time,
    moving: str | None = None,
) -> dict[str, Any]:
    blocks = [
        ContextBlock(elements=[MarkdownTextObject(text=t(lang, "plan_form.case", code=code))]),
        *(
            [
                ContextBlock(
                    elements=[MarkdownTextObject(text=t(lang, "plan_form.moving", when=moving))]
                )
            ]
            if moving
            else []
        ),
        InputBlock(
            block_id=Field.DATE,
            label=t(lang, "plan_form.date"),
            element=DatePickerElement(action_id=Field.DATE, initial_date=day.isoformat()),
        ),
        InputBlock(
            block_id=Field.TIME,
            label=t(lang, "plan_form.time"),
            element=TimePickerElement(action_id=Field.TIME, initial_time=f"{at:%H:%M}"),
        ),
        InputBlock(
            block_id=Field.PHASE,
            label=t(lang, "case_form.phase"),
            element=_phase_select(lang, catalogue, phase),
        ),
        InputBlock(
            block_id=Field.INVITED,
            label=t(lang, "plan_form.invited"),
            element=UserMultiSelectElement(action_id=Field.INVITED, initial_users=list(invited)),
        ),
    ]
    view = View(
        type="modal",
        callback_id=ViewId.PLAN_MEETING,
        title=t(lang, "plan_form.title")[:24],
        submit=t(lang, "plan_form.submit")[:24],
        close=t(lang, "case_form.cancel")[:24],
        private_metadata=case_ref.encode(),
        blocks=blocks,
    )
    return view.to_dict()


def _submitted(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{block_id: element state} of a submitted view, skipping what is not shaped like state."""
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for block_id, actions in (blocks if isinstance(blocks, dict) else {}).items():
        for element in actions.values() if isinstance(actions, dict) else ():
            if isinstance(element, dict):
                found[block_id] = element
    return found


def _value(element: dict[str, Any]) -> tuple[bool, Any]:
    """(well formed, value) of one element's state, by the types Slack's client sends."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        option = element.get("selected_option")
        if option is None:
            return True, None
        value = option.get("value") if isinstance(option, dict) else None
        return isinstance(value, str), value if isinstance(value, str) else None
    if kind == "multi_users_select":
        users = element.get("selected_users")
        if users is None:
            return True, []
        ok = isinstance(users, list) and all(isinstance(u, str) for u in users)
        return ok, list(users) if ok else []
    key = {
        "users_select": "selected_user",
        "datepicker": "selected_date",
        "timepicker": "selected_time",
    }.get(str(kind), "value")
    value = element.get(key)
    return value is None or isinstance(value, str), value if isinstance(value, str) else None


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """Flatten a submitted view's state into {field: value} (str, list, or None).

    A value of the wrong type (a forged client's) comes out as None (or [] for lists), so no
    handler meets a number where it expects text; `malformed_fields` names them.
    """
    return {block_id: _value(element)[1] for block_id, element in _submitted(view).items()}


def malformed_fields(view: dict[str, Any]) -> list[str]:
    """Block ids whose submitted value has a type Slack's client never sends."""
    return [block_id for block_id, element in _submitted(view).items() if not _value(element)[0]]
