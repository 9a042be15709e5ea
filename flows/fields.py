"""Typed readers for YAML data that explain, in an admin's words, what is wrong and where."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from flows.errors import Problem
from flows.text import Text, normalise_space
from flows.yamlfile import LineDict

_NAME = re.compile(r"^[a-z0-9_]+$")


class Invalid(Exception):
    """Raised while reading a file; collected into a CatalogueError that names the file."""

    def __init__(self, message: str, *, key: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(message, key=key, line=line)


def line_of(value: object, default: int | None = None) -> int | None:
    return getattr(value, "line", default)


def describe(value: object) -> str:
    """What the admin wrote, named the way a non-programmer would."""
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block of settings"
    return type(value).__name__


def mapping(value: object, *, what: str, key: str | None, line: int | None) -> LineDict:
    if not isinstance(value, LineDict):
        raise Invalid(
            f"{what} must be a block of 'name: value' lines, but it is {describe(value)}",
            key=key,
            line=line_of(value, line),
        )
    return value


def sequence(value: object, *, what: str, key: str | None, line: int | None) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(
            f"{what} must be a list (lines starting with '- '), but it is {describe(value)}",
            key=key,
            line=line_of(value, line),
        )
    return value


def check_fields(
    data: LineDict,
    *,
    allowed: Collection[str],
    required: Collection[str] = (),
    key: str | None,
    what: str,
) -> None:
    for field in data:
        if field not in allowed:
            raise Invalid(
                f"{what} has an unknown setting '{field}'; "
                f"allowed here: {', '.join(sorted(allowed))}",
                key=key,
                line=data.line,
            )
    for field in required:
        if field not in data:
            raise Invalid(f"{what} is missing '{field}'", key=key, line=data.line)


def string(data: LineDict, field: str, *, key: str | None, what: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise Invalid(
            f"'{field}' of {what} must be text, but it is {describe(value)} "
            "(put the text in quotes if it starts with a number or a special character)",
            key=key,
            line=data.line,
        )
    value = normalise_space(value)
    if not value:
        raise Invalid(f"'{field}' of {what} is empty", key=key, line=data.line)
    return value


def is_name(value: str) -> bool:
    return bool(_NAME.fullmatch(value))


def name(data: LineDict, field: str, *, key: str | None, what: str) -> str:
    value = data.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise Invalid(
            f"'{field}' of {what} must be a name of lowercase letters, digits and underscores, "
            f"but it is {describe(value)}",
            key=key,
            line=data.line,
        )
    return value


def text(data: LineDict, *, key: str | None, what: str) -> Text:
    """A Text from the `nl` and `en` fields of `data`; both are required."""
    return Text(
        nl=string(data, "nl", key=key, what=what),
        en=string(data, "en", key=key, what=what),
    )


def text_block(data: LineDict, field: str, *, key: str | None, what: str) -> Text:
    """A Text written as `field: {nl: ..., en: ...}`."""
    block = mapping(data.get(field), what=f"'{field}' of {what}", key=key, line=data.line)
    check_fields(block, allowed=("nl", "en"), required=("nl", "en"), key=key, what=f"'{field}'")
    return text(block, key=key, what=f"'{field}' of {what}")


def flag(data: LineDict, field: str, *, key: str | None, what: str) -> bool:
    value: Any = data.get(field, False)
    if not isinstance(value, bool):
        raise Invalid(
            f"'{field}' of {what} must be true or false, but it is {describe(value)}",
            key=key,
            line=data.line,
        )
    return value
