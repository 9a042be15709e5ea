"""Reading a submitted modal: its values by field, the values no Slack client would send, and
the checks every free-text field gets (a BSN is refused; required text must be there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from bot.kit.i18n import t
from bot.kit.runtime import Turn
from flows.personal_data import scan


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


def form_text(values: Mapping[str, Any], field: str) -> str:
    """A text field's value, stripped ('' when empty or not text)."""
    value = values.get(field)
    return value.strip() if isinstance(value, str) else ""


def parse_date(raw: object) -> date | None:
    """A datepicker's value, or None for nothing or anything that is not a date."""
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def bsn_errors(lang: str, values: Mapping[str, Any], *fields: str) -> dict[str, str]:
    """A field error for each of `fields` whose text holds a BSN: it is never stored."""
    return {f: t(lang, "forms.bsn") for f in fields if scan(form_text(values, f)).bsn}


def text_errors(
    lang: str, values: Mapping[str, Any], required: str, *optional: str
) -> dict[str, str]:
    """Field errors for free text: a BSN anywhere is refused, and `required` must be filled."""
    errors = bsn_errors(lang, values, required, *optional)
    if not form_text(values, required):
        errors[required] = t(lang, "case_form.required")
    return errors


def required_text(field: str) -> Callable[[Turn], Awaitable[dict[str, str] | None]]:
    """The validator of a modal whose one free-text field must be filled, without a BSN."""

    async def validate(turn: Turn) -> dict[str, str] | None:
        return text_errors(turn.lang, form_values(turn.view), field) or None

    return validate
