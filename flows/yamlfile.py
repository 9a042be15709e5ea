"""Reading YAML so that every mapping remembers its line: admins get "line 12: ..." in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from flows.errors import CatalogueError, Problem

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineDict(dict[str, Any]):
    """A YAML mapping plus the (1-based) line it starts on and the line of each key."""

    __slots__ = ("key_lines", "line")
    line: int
    key_lines: dict[Any, int]

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line) if isinstance(key, str | int) else self.line


class LineList(list[Any]):
    """A YAML sequence plus the (1-based) line it starts on and the line of each item."""

    __slots__ = ("item_lines", "line")
    line: int
    item_lines: list[int]


# PyYAML's stubs declare the C loader as a variable, which mypy will not subclass.
class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _refuse_duplicate_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    # PyYAML silently keeps the last of two equal keys; in a maatwerk file that means a rewording
    # the admin wrote is ignored without a word, so we refuse instead.
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool | None):
            continue  # unhashable keys are reported by PyYAML itself
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"'{key}' appears twice in the same block (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    _refuse_duplicate_keys(loader, node)
    # Keys are YAML scalars; the fields read by name are strings (numbers are reported there).
    result = LineDict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            result.key_lines.setdefault(key_node.value, key_node.start_mark.line + 1)
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_sequence(node, deep=True))
    result.line = node.start_mark.line + 1
    result.item_lines = [item.start_mark.line + 1 for item in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def read_yaml(path: Path) -> Any:
    """Parse `path`; any reason it cannot be read becomes a CatalogueError naming the file."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(path, [Problem("the file does not exist")]) from None
    except UnicodeDecodeError:
        raise CatalogueError(path, [Problem("the file is not UTF-8 text")]) from None
    except OSError as error:
        problem = Problem(f"the file cannot be read ({error.strerror})")
        raise CatalogueError(path, [problem]) from None
    try:
        return yaml.load(source, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        detail = " ".join(part for part in (error.context, error.problem) if part)
        line = mark.line + 1 if mark is not None else None
        hint = "; check the indentation and quotes on or just before this line"
        problem = Problem(f"this is not valid YAML: {detail}{hint}", line=line)
        raise CatalogueError(path, [problem]) from None
    except yaml.YAMLError as error:
        raise CatalogueError(path, [Problem(f"this is not valid YAML: {error}")]) from None
