"""A region's maatwerk: skip, reword or add questions, and relabel the scale, from a YAML file.

The file format is documented by example in maatwerk.example.yaml. Every problem is reported at
once, with the file, line and key, so an admin can fix the file in one go.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from dataclasses import replace
from enum import Enum, auto
from pathlib import Path

from flows.build import build_prompts, catalogue_problems
from flows.decisions import AGREEMENTS_SECTION
from flows.errors import CatalogueError, Problem
from flows.fields import (
    Invalid,
    check_fields,
    describe,
    is_name,
    mapping,
    sequence,
    string,
    text,
)
from flows.model import (
    OVERVIEW_GOAL_TITLE_KEY,
    OVERVIEW_HEADING_KEY,
    OVERVIEW_PHASE_QUESTION_KEY,
    Catalogue,
    Phase,
    Prompt,
    Question,
    Scale,
    Section,
    name_of,
    parent_key,
)
from flows.text import Text
from flows.yamlfile import LineDict, read_yaml

_FIELDS = ("version", "skip", "reword", "add")


class Kind(Enum):
    OVERVIEW = auto()
    PHASE = auto()
    PHASE_TEXT = auto()
    SECTION = auto()
    QUESTION = auto()
    SCALE = auto()
    SCALE_LABEL = auto()
    PROMPT = auto()
    DECISION = auto()  # a branch of a decision question


def apply_maatwerk(catalogue: Catalogue, path: Path) -> Catalogue:
    data = read_yaml(path)
    if data is None:
        return catalogue  # an empty file changes nothing
    try:
        root = mapping(data, what="the maatwerk file", key=None, line=1)
        check_fields(root, allowed=_FIELDS, key=None, what="the maatwerk file")
        if root.get("version", 1) != 1:
            raise Invalid(f"'version' must be 1, not {root['version']!r}", line=root.line)
        adds = _list_items(root, "add")
        rewords = _rewordings(root)
        skips = _list_items(root, "skip")
    except Invalid as error:
        raise CatalogueError(path, [error.problem]) from None

    problems: list[Problem] = []
    # Adds first, so that an addition may be placed after a question that is later skipped.
    for entry, line in adds:
        catalogue = _collect(problems, catalogue, functools.partial(_add, entry=entry, line=line))
    for key, change, line in rewords:
        catalogue = _collect(
            problems, catalogue, functools.partial(_reword, key=key, change=change, line=line)
        )
    catalogue = _skip_all(catalogue, skips, problems)
    if problems:
        # In file order, so the admin can work through them top to bottom.
        problems.sort(key=lambda problem: problem.line or 0)
        raise CatalogueError(path, problems)
    structural = catalogue_problems(catalogue)
    if structural:
        raise CatalogueError(path, structural)
    return catalogue


def _list_items(root: LineDict, field: str) -> list[tuple[object, int]]:
    """The entries of a list setting with their lines; a heading left empty means none."""
    if root.get(field) is None:
        return []
    items = sequence(root[field], what=f"'{field}'", key=None, line=root.line_of(field))
    # sequence() hands back the YAML loader's LineList, which knows each item's line.
    return list(zip(items, items.item_lines, strict=True))  # type: ignore[attr-defined]


def _rewordings(root: LineDict) -> list[tuple[object, object, int]]:
    if root.get("reword") is None:
        return []
    block = mapping(root["reword"], what="'reword'", key=None, line=root.line_of("reword"))
    return [(key, change, block.line_of(key)) for key, change in block.items()]


def _collect(
    problems: list[Problem], catalogue: Catalogue, change: Callable[[Catalogue], Catalogue]
) -> Catalogue:
    try:
        return change(catalogue)
    except Invalid as error:
        problems.append(error.problem)
        return catalogue


# --- finding keys ------------------------------------------------------------------------------


def index(catalogue: Catalogue) -> dict[str, Kind]:
    """Every key in the catalogue with what it names."""
    kinds = {
        OVERVIEW_HEADING_KEY: Kind.OVERVIEW,
        OVERVIEW_PHASE_QUESTION_KEY: Kind.OVERVIEW,
        OVERVIEW_GOAL_TITLE_KEY: Kind.OVERVIEW,
    }
    for phase in catalogue.phases:
        kinds[phase.key] = Kind.PHASE
        for suffix in ("titel", "subtitel", "doelstelling"):
            kinds[f"{phase.key}.{suffix}"] = Kind.PHASE_TEXT
        for section in phase.sections:
            kinds[section.key] = Kind.SECTION
            for question in section.questions:
                kinds[question.key] = Kind.QUESTION
                kinds.update((p.key, Kind.PROMPT) for p in question.prompts)
                kinds.update((d.key, Kind.DECISION) for d in question.options)
            if section.scale is not None:
                kinds[section.scale.key] = Kind.SCALE
                kinds.update((p.key, Kind.PROMPT) for p in section.scale.prompts)
                kinds[f"{section.scale.key}.label_1"] = Kind.SCALE_LABEL
                kinds[f"{section.scale.key}.label_10"] = Kind.SCALE_LABEL
    return kinds


def _kind(catalogue: Catalogue, key: object, line: int | None) -> Kind:
    kinds = index(catalogue)
    if not isinstance(key, str):
        raise Invalid(f"a key must be text, not {describe(key)}", line=line)
    if key not in kinds:
        close = difflib.get_close_matches(key, list(kinds), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise Invalid(f"there is no such key in the catalogue{hint}", key=key, line=line)
    return kinds[key]


# --- rewriting the tree ------------------------------------------------------------------------


def _in_phase(catalogue: Catalogue, key: str, change: Callable[[Phase], Phase]) -> Catalogue:
    phase_key = key.partition(".")[0]
    phases = tuple(change(p) if p.key == phase_key else p for p in catalogue.phases)
    return replace(catalogue, phases=phases)


def _in_section(
    catalogue: Catalogue, key: str, change: Callable[[Section], Section | None]
) -> Catalogue:
    """Apply `change` to the section `key`; returning None drops the section."""

    def on_phase(phase: Phase) -> Phase:
        changed = (change(s) if s.key == key else s for s in phase.sections)
        return replace(phase, sections=tuple(s for s in changed if s is not None))

    return _in_phase(catalogue, key, on_phase)


def _in_item(
    catalogue: Catalogue,
    key: str,
    change: Callable[[Question | Scale], Question | Scale | None],
) -> Catalogue:
    """Apply `change` to the question or scale `key` (None drops a question)."""

    def on_section(section: Section) -> Section | None:
        questions = []
        for question in section.questions:
            changed = change(question) if question.key == key else question
            if isinstance(changed, Question):
                questions.append(changed)
        scale = section.scale
        if scale is not None and scale.key == key:
            # The change keeps a scale a scale (its callers' keys name one).
            scale = change(scale)  # type: ignore[assignment]
        result = replace(section, questions=tuple(questions), scale=scale)
        # A section whose last question was skipped has nothing left to discuss.
        return result if (result.questions or result.scale) else None

    return _in_section(catalogue, parent_key(key), on_section)


# --- reword ------------------------------------------------------------------------------------


def _reword(catalogue: Catalogue, key: object, change: object, line: int) -> Catalogue:
    kind = _kind(catalogue, key, line)
    assert isinstance(key, str)
    if kind is Kind.PHASE:
        raise Invalid("a phase has no text of its own; reword its '.titel' instead", key=key)
    if isinstance(change, str):
        raise Invalid(
            "put the new text under 'nl:' and/or 'en:' on their own lines below the key",
            key=key,
            line=line,
        )
    block = mapping(change, what="a rewording", key=key, line=line)
    check_fields(block, allowed=("nl", "en"), key=key, what="the rewording")
    if not block:
        raise Invalid("give the new text as 'nl:' and/or 'en:'", key=key, line=block.line)
    what = "the rewording"
    nl = string(block, "nl", key=key, what=what) if "nl" in block else None
    en = string(block, "en", key=key, what=what) if "en" in block else None

    def new(old: Text) -> Text:
        return old.replace(nl=nl, en=en)

    return _replace_text(catalogue, key, kind, new)


def _replace_text(
    catalogue: Catalogue, key: str, kind: Kind, new: Callable[[Text], Text]
) -> Catalogue:
    if kind is Kind.OVERVIEW:
        field = {
            OVERVIEW_HEADING_KEY: "heading",
            OVERVIEW_PHASE_QUESTION_KEY: "phase_question",
            OVERVIEW_GOAL_TITLE_KEY: "goal_title",
        }[key]
        # The field is named at run time, so its type is not known statically.
        return replace(catalogue, **{field: new(getattr(catalogue, field))})  # type: ignore[arg-type]
    if kind is Kind.PHASE_TEXT:
        suffix = name_of(key)
        if suffix == "doelstelling":
            # The overview's shorter wording no longer matches a reworded goal.
            return _in_phase(
                catalogue, key, lambda p: replace(p, goal=new(p.goal), goal_overview=None)
            )
        field = {"titel": "title", "subtitel": "subtitle"}[suffix]
        # The field is named at run time, so its type is not known statically.
        return _in_phase(
            catalogue,
            key,
            lambda p: replace(p, **{field: new(getattr(p, field))}),  # type: ignore[arg-type]
        )
    if kind is Kind.SECTION:
        return _in_section(catalogue, key, lambda s: replace(s, title=new(s.title)))
    if kind is Kind.QUESTION:
        # _in_item hands over a question or a scale; this key names a question.
        return _in_item(
            catalogue,
            key,
            lambda q: replace(q, text=new(q.text), overview=None),  # type: ignore[arg-type]
        )
    if kind is Kind.SCALE:
        return _in_item(catalogue, key, lambda item: replace(item, text=new(item.text)))
    if kind is Kind.SCALE_LABEL:
        field = name_of(key)
        # The label is named at run time, so its type is not known statically.
        return _in_item(
            catalogue,
            parent_key(key),
            lambda s: replace(s, **{field: new(getattr(s, field))}),  # type: ignore[arg-type]
        )
    if kind is Kind.DECISION:

        def on_question(question: Question) -> Question:
            options = tuple(
                replace(d, text=new(d.text)) if d.key == key else d for d in question.options
            )
            return replace(question, options=options)

        # A branch's parent is a decision question, so on_question gets one.
        return _in_item(catalogue, parent_key(key), on_question)  # type: ignore[arg-type]
    # A prompt: its parent is a question or a scale.
    return _in_item(
        catalogue,
        parent_key(key),
        lambda item: replace(
            item,
            prompts=tuple(
                replace(p, text=new(p.text)) if p.key == key else p for p in item.prompts
            ),
        ),
    )


# --- add ---------------------------------------------------------------------------------------


def _add(catalogue: Catalogue, entry: object, line: int) -> Catalogue:
    block = mapping(entry, what="an addition", key=None, line=line)
    key = string(block, "key", key=None, what="an addition") if "key" in block else None
    check_fields(
        block,
        allowed=("key", "after", "nl", "en", "prompts"),
        required=("key", "after", "nl", "en"),
        key=key,
        what="the addition",
    )
    assert key is not None
    kinds = index(catalogue)
    if key in kinds:
        raise Invalid(
            "this key already exists; use 'reword' to change its text", key=key, line=block.line
        )
    parent = parent_key(key)
    if not parent or not is_name(name_of(key)):
        raise Invalid(
            "a new key is its section's key plus a name of lowercase letters, digits and "
            "underscores, e.g. 'directe_veiligheid.beeldvorming.kinderen'",
            key=key,
            line=block.line,
        )
    parent_kind = kinds.get(parent)
    if parent_kind is Kind.SECTION:
        return _add_question(catalogue, key, block)
    if parent_kind in (Kind.QUESTION, Kind.SCALE):
        if "prompts" in block:
            raise Invalid("a prompt cannot have prompts of its own", key=key, line=block.line)
        return _add_prompt(catalogue, key, block)
    raise Invalid(
        f"'{parent}' is not a section or a question: a new question's key starts with its "
        "section's key, a new prompt's key with its question's key",
        key=key,
        line=block.line,
    )


def _after(block: LineDict, key: str, siblings: list[str]) -> int:
    """Where to insert: 0 when `after` names the parent, else just after the named sibling."""
    after = string(block, "after", key=key, what="the addition")
    if after == parent_key(key):
        return 0
    if after not in siblings:
        where = f"'{parent_key(key)}'"
        raise Invalid(
            f"'after' must name an item in {where} ({', '.join(siblings) or 'none yet'}) or "
            f"{where} itself to come first",
            key=key,
            line=block.line,
        )
    return siblings.index(after) + 1


def _add_question(catalogue: Catalogue, key: str, block: LineDict) -> Catalogue:
    def on_section(section: Section) -> Section:
        if section.scale is not None:
            raise Invalid(
                "the Schaalvraag has exactly one question; add prompts to it instead",
                key=key,
                line=block.line,
            )
        position = _after(block, key, [q.key for q in section.questions])
        question = Question(
            key=key,
            text=text(block, key=key, what="the addition"),
            prompts=build_prompts(block, key),
        )
        questions = list(section.questions)
        questions.insert(position, question)
        return replace(section, questions=tuple(questions))

    return _in_section(catalogue, parent_key(key), on_section)


def _add_prompt(catalogue: Catalogue, key: str, block: LineDict) -> Catalogue:
    prompt = Prompt(key=key, text=text(block, key=key, what="the addition"))

    def on_item(item: Question | Scale) -> Question | Scale:
        assert isinstance(item, Question | Scale)
        prompts = list(item.prompts)
        prompts.insert(_after(block, key, [p.key for p in prompts]), prompt)
        return replace(item, prompts=tuple(prompts))

    return _in_item(catalogue, parent_key(key), on_item)


# --- skip --------------------------------------------------------------------------------------

_UNSKIPPABLE = {
    Kind.OVERVIEW: "is a title, not a question; reword it instead",
    Kind.PHASE: "is a phase; phases cannot be skipped",
    Kind.PHASE_TEXT: "is part of the phase's heading; reword it instead",
    Kind.SCALE: "is the Schaalvraag, the heart of the method; reword it or its labels instead",
    Kind.SCALE_LABEL: "is a scale label; reword it instead",
    Kind.DECISION: "is a branch of one of the guideline's decision points; branches cannot be "
    "skipped (reword it instead)",
}
_DECISION_QUESTION = (
    "is one of the guideline's decision points (the meeting decides the case's phase there); "
    "reword it instead"
)
_AGREEMENTS = (
    "holds the Afspraken over samenwerking, where a meeting goes after deciding on another "
    "phase; skip its bullets instead"
)


def _skip_all(
    catalogue: Catalogue, skips: list[tuple[object, int]], problems: list[Problem]
) -> Catalogue:
    # Check every key before skipping any, so that skipping a section and one of its questions
    # does not report the question as unknown.
    valid: list[tuple[str, Kind]] = []
    for key, line in skips:
        try:
            kind = _kind(catalogue, key, line)
        except Invalid as error:
            problems.append(error.problem)
            continue
        assert isinstance(key, str)
        reason = _UNSKIPPABLE.get(kind)
        if kind is Kind.SECTION:
            section = _section(catalogue, key)
            points = [q for q in section.questions if q.is_decision]
            if section.scale is not None:
                reason = _UNSKIPPABLE[Kind.SCALE]
            elif points:
                reason = (
                    f"holds a decision point of the guideline ({points[0].key}); skip its other "
                    "questions one by one instead"
                )
            elif section.name == AGREEMENTS_SECTION:
                reason = _AGREEMENTS
        if kind is Kind.QUESTION and _question(catalogue, key).is_decision:
            reason = _DECISION_QUESTION
        if reason is not None:
            problems.append(Problem(f"cannot be skipped: it {reason}", key=key, line=line))
            continue
        valid.append((key, kind))
    for key, kind in valid:
        if key in index(catalogue):
            catalogue = _skip(catalogue, key, kind)
    return catalogue


def _question(catalogue: Catalogue, key: str) -> Question:
    section = _section(catalogue, parent_key(key))
    return next(q for q in section.questions if q.key == key)


def _section(catalogue: Catalogue, key: str) -> Section:
    section = catalogue.phase(key.partition(".")[0]).section(key)
    assert section is not None
    return section


def _skip(catalogue: Catalogue, key: str, kind: Kind) -> Catalogue:
    if kind is Kind.SECTION:
        return _in_section(catalogue, key, lambda s: None)
    if kind is Kind.QUESTION:
        return _in_item(catalogue, key, lambda q: None)
    return _in_item(
        catalogue,
        parent_key(key),
        lambda item: replace(
            item,
            # A prompt's parent is a question or a scale.
            prompts=tuple(p for p in item.prompts if p.key != key),
        ),
    )
