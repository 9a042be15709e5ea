"""The view of the people involved per pseudonymous role (visie van betrokkenen), and whether
they were informed of the outcome: the regisseur's modals (their language) and the thread's
message (the workspace's language). Pure functions of data.

Roles are words from the locales (involved.role_*), never names: the form asks per role, each
optional, a score on the meeting's scale and a short text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)

from bot.kit.blocks import button, context, dicts, md, mention, modal, split_text
from bot.kit.forms import form_text
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from flows.involved import ROLES, TEXT_MAX, Informed
from flows.steps import Step

SCORE_PREFIX = "involved_score:"
TEXT_PREFIX = "involved_text:"

View = tuple[int | None, str]  # (score, text) of one role


def role_name(lang: str, role: str) -> str:
    return t(lang, f"involved.role_{role}") if role in ROLES else role


def score_field(role: str) -> str:
    return f"{SCORE_PREFIX}{role}"


def text_field(role: str) -> str:
    return f"{TEXT_PREFIX}{role}"


def views_modal(
    lang: str, step: Step, ref: Ref, current: Mapping[str, View] | None = None
) -> dict[str, Any]:
    """Per role a score (1–10, the step's scale) and a short text, all optional; filled in with
    what was recorded at this meeting before."""
    if step.scale is None:
        raise ValueError("the view of the people involved belongs to the scale question")
    current = current or {}
    scale = step.scale
    blocks: list[Block] = [
        SectionBlock(text=md(t(lang, "votes.family_intro", question=step.text.get(lang)))),
        context(
            t(
                lang,
                "votes.family_score_hint",
                low=scale.label_1.get(lang),
                high=scale.label_10.get(lang),
            )[:2000]
        ),
    ]
    for role in ROLES:
        score, text = current.get(role, (None, ""))
        name = role_name(lang, role)
        blocks.append(
            InputBlock(
                block_id=score_field(role),
                label=t(lang, "votes.family_score", role=name),
                optional=True,
                element=NumberInputElement(
                    action_id=score_field(role),
                    is_decimal_allowed=False,
                    min_value=1,
                    max_value=10,
                    initial_value=score,
                ),
            )
        )
        blocks.append(
            InputBlock(
                block_id=text_field(role),
                label=t(lang, "votes.family_text", role=name),
                optional=True,
                element=PlainTextInputElement(
                    action_id=text_field(role),
                    max_length=TEXT_MAX,
                    initial_value=text or None,
                ),
            )
        )
    blocks.append(context(t(lang, "votes.family_text_hint")))
    texts = ("votes.family_title", "votes.family_submit", "votes.cancel")
    return modal(lang, ViewId.FAMILY_VIEW, texts, ref=ref, blocks=blocks)


def parse_score(raw: object) -> int | None:
    if not isinstance(raw, str) or not raw.strip().isdigit():
        return None
    value = int(raw.strip())
    return value if 1 <= value <= 10 else None


def submitted_views(values: Mapping[str, Any]) -> dict[str, View]:
    """{role: (score, text)} of the roles something was filled in for."""
    found: dict[str, View] = {}
    for role in ROLES:
        score = parse_score(values.get(score_field(role)))
        text = form_text(values, text_field(role))
        if score is not None or text:
            found[role] = (score, text)
    return found


def bad_scores(values: Mapping[str, Any]) -> list[str]:
    """The score fields holding something that is not a whole number from 1 to 10."""
    fields = [score_field(role) for role in ROLES]
    return [f for f in fields if form_text(values, f) and parse_score(values.get(f)) is None]


def views_message(
    lang: str, views: Sequence[tuple[str, int | None, str]], by: str, ref: Ref
) -> list[dict[str, Any]]:
    """The thread's message: each role's view, who recorded it, and the button to record
    whether the people involved were informed of the outcome."""
    lines = [t(lang, "votes.family_recorded", by=mention(by))]
    for role, score, text in views:
        parts = [f"*{role_name(lang, role)}*"]
        if score is not None:
            parts.append(t(lang, "involved.score", score=score))
        line = " · ".join(parts)
        lines.append(f"• {line}" + (f" — {escape(text)}" if text else ""))
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text("\n".join(lines))]
    blocks.append(
        ActionsBlock(
            block_id="involved",
            elements=[
                button(t(lang, "votes.family_button"), ActionId.FAMILY_VIEW_OPEN, ref),
                button(t(lang, "involved.informed_button"), ActionId.INFORMED_OPEN, ref),
            ],
        )
    )
    return dicts(blocks)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- informed of the outcome -------------------------------------------------------------------


def informed_modal(
    lang: str, code: str, ref: Ref, *, answer: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    options = [
        Option(value=a.value, text=t(lang, f"involved.informed_{a.value}")) for a in Informed
    ]
    initial = next((o for o in options if o.value == answer), None)
    blocks: list[Block] = [
        SectionBlock(text=md(t(lang, "involved.informed_intro", code=code))),
        InputBlock(
            block_id=Field.INFORMED_ANSWER,
            label=t(lang, "involved.informed_label"),
            element=RadioButtonsElement(
                action_id=Field.INFORMED_ANSWER, options=options, initial_option=initial
            ),
        ),
        InputBlock(
            block_id=Field.INFORMED_REASON,
            label=t(lang, "involved.reason_label"),
            hint=t(lang, "involved.reason_hint"),
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.INFORMED_REASON,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=reason or None,
            ),
        ),
    ]
    texts = ("involved.informed_title", "votes.family_submit", "votes.cancel")
    return modal(lang, ViewId.INFORMED, texts, ref=ref, blocks=blocks)


def informed_line(lang: str, answer: str | None, reason: str | None) -> str:
    """For the report: the answer and, when not yes, its reason."""
    if answer is None:
        return t(lang, "involved.informed_unknown")
    text = t(lang, f"involved.informed_{answer}")
    return f"{text} — {reason}" if reason else text
