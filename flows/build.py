"""Turning catalogue YAML data into model objects, and the rules every catalogue must keep."""

from __future__ import annotations

from flows.decisions import decision_problems
from flows.errors import Problem
from flows.fields import (
    Invalid,
    check_fields,
    flag,
    line_of,
    mapping,
    name,
    sequence,
    text,
    text_block,
)
from flows.model import (
    Catalogue,
    Decision,
    Outcome,
    Phase,
    Prompt,
    Question,
    Scale,
    Section,
)
from flows.text import Text
from flows.yamlfile import LineDict


def build_catalogue(data: object) -> Catalogue:
    root = mapping(data, what="the catalogue", key=None, line=1)
    # `shared` only holds YAML anchors (the Vooraf section) that the phases reuse.
    check_fields(
        root,
        allowed=("version", "overview", "shared", "phases"),
        required=("version", "overview", "phases"),
        key=None,
        what="the catalogue",
    )
    overview = mapping(root["overview"], what="'overview'", key=None, line=root.line)
    check_fields(
        overview,
        allowed=("heading", "phase_question", "goal_title"),
        required=("heading", "phase_question", "goal_title"),
        key=None,
        what="'overview'",
    )
    phases = sequence(root["phases"], what="'phases'", key=None, line=root.line)
    return Catalogue(
        phases=tuple(build_phase(item) for item in phases),
        heading=text_block(overview, "heading", key=None, what="'overview'"),
        phase_question=text_block(overview, "phase_question", key=None, what="'overview'"),
        goal_title=text_block(overview, "goal_title", key=None, what="'overview'"),
    )


def build_phase(data: object) -> Phase:
    block = mapping(data, what="a phase", key=None, line=None)
    key = name(block, "key", key=None, what="a phase")
    fields = ("key", "title", "subtitle", "goal", "sections")
    check_fields(block, allowed=fields, required=fields, key=key, what="the phase")
    goal = mapping(block["goal"], what="the goal", key=f"{key}.doelstelling", line=block.line)
    check_fields(
        goal, allowed=("nl", "en", "overview"), required=("nl", "en"), key=key, what="the goal"
    )
    sections = sequence(block["sections"], what="'sections'", key=key, line=block.line)
    return Phase(
        key=key,
        title=text_block(block, "title", key=key, what="the phase"),
        subtitle=text_block(block, "subtitle", key=key, what="the phase"),
        goal=text(goal, key=f"{key}.doelstelling", what="the goal"),
        goal_overview=optional_text_block(goal, "overview", key=f"{key}.doelstelling"),
        sections=tuple(build_section(item, key) for item in sections),
    )


def build_section(data: object, phase_key: str) -> Section:
    block = mapping(data, what="a section", key=phase_key, line=None)
    key = f"{phase_key}.{name(block, 'key', key=phase_key, what='a section')}"
    check_fields(
        block,
        allowed=(
            "key",
            "title",
            "questions",
            "scale",
            "overview_row",
            "only_if_closing",
        ),
        required=("key", "title"),
        key=key,
        what="the section",
    )
    questions = sequence(block.get("questions", []), what="'questions'", key=key, line=block.line)
    overview_row = None
    if "overview_row" in block:
        overview_row = name(block, "overview_row", key=key, what="the section")
    section = Section(
        key=key,
        title=text_block(block, "title", key=key, what="the section"),
        questions=tuple(build_question(item, key) for item in questions),
        scale=build_scale(block["scale"], key) if "scale" in block else None,
        overview_row=overview_row,
        only_if_closing=flag(block, "only_if_closing", key=key, what="the section"),
    )
    if not (section.questions or section.scale):
        raise Invalid("the section has no questions", key=key, line=block.line)
    return section


def build_question(data: object, section_key: str) -> Question:
    block = mapping(data, what="a question", key=section_key, line=None)
    key = f"{section_key}.{name(block, 'key', key=section_key, what='a question')}"
    check_fields(
        block,
        allowed=("key", "nl", "en", "overview", "prompts", "decision"),
        required=("key", "nl", "en"),
        key=key,
        what="the question",
    )
    branches = sequence(block.get("decision", []), what="'decision'", key=key, line=block.line)
    return Question(
        key=key,
        text=text(block, key=key, what="the question"),
        prompts=build_prompts(block, key),
        overview=optional_text_block(block, "overview", key=key),
        options=tuple(build_decision(item, key) for item in branches),
    )


def build_prompts(block: LineDict, parent: str) -> tuple[Prompt, ...]:
    """The `prompts` list of a question; unnamed prompts are numbered from 1 in order."""
    items = sequence(block.get("prompts", []), what="'prompts'", key=parent, line=block.line)
    prompts = []
    for number, item in enumerate(items, start=1):
        prompt = mapping(item, what="a prompt", key=parent, line=line_of(items, block.line))
        local = name(prompt, "key", key=parent, what="a prompt") if "key" in prompt else str(number)
        key = f"{parent}.{local}"
        check_fields(
            prompt, allowed=("key", "nl", "en"), required=("nl", "en"), key=key, what="the prompt"
        )
        prompts.append(Prompt(key=key, text=text(prompt, key=key, what="the prompt")))
    return tuple(prompts)


def build_scale(data: object, section_key: str) -> Scale:
    block = mapping(data, what="the scale", key=section_key, line=None)
    key = f"{section_key}.{name(block, 'key', key=section_key, what='the scale')}"
    check_fields(
        block,
        allowed=("key", "nl", "en", "label_1", "label_10", "prompts"),
        required=("key", "nl", "en", "label_1", "label_10"),
        key=key,
        what="the scale",
    )
    return Scale(
        key=key,
        text=text(block, key=key, what="the scale"),
        label_1=text_block(block, "label_1", key=f"{key}.label_1", what="the scale"),
        label_10=text_block(block, "label_10", key=f"{key}.label_10", what="the scale"),
        prompts=build_prompts(block, key),
    )


def build_decision(data: object, question_key: str) -> Decision:
    """One branch of a decision question."""
    block = mapping(data, what="a branch", key=question_key, line=None)
    key = f"{question_key}.{name(block, 'key', key=question_key, what='a branch')}"
    check_fields(
        block,
        allowed=("key", "outcome", "target", "nl", "en"),
        required=("key", "outcome", "nl", "en"),
        key=key,
        what="the branch",
    )
    outcome = block["outcome"]
    if outcome not in tuple(Outcome):
        raise Invalid(
            f"'outcome' must be one of {', '.join(Outcome)}, not {outcome!r}",
            key=key,
            line=block.line,
        )
    target = name(block, "target", key=key, what="the branch") if "target" in block else None
    return Decision(
        key=key,
        outcome=Outcome(outcome),
        text=text(block, key=key, what="the branch"),
        target=target,
    )


def optional_text_block(block: LineDict, field: str, *, key: str) -> Text | None:
    if field not in block:
        return None
    return text_block(block, field, key=key, what=f"'{field}'")


def catalogue_problems(catalogue: Catalogue) -> list[Problem]:
    """Structural rules every catalogue must keep, whether shipped or adapted by maatwerk."""
    problems: list[Problem] = []
    if not catalogue.phases:
        return [Problem("the catalogue has no phases")]
    seen: set[str] = set()
    for key, _ in catalogue.texts():
        if key in seen:
            problems.append(Problem("this key is used twice", key=key))
        seen.add(key)
    for phase in catalogue.phases:
        scales = sum(section.scale is not None for section in phase.sections)
        if scales != 1:
            problems.append(Problem(f"needs exactly one scale question, has {scales}", phase.key))
        if not phase.decision_questions:
            problems.append(Problem("needs at least one decision point", phase.key))
        problems.extend(decision_problems(phase, catalogue.phase_keys))
    return problems
