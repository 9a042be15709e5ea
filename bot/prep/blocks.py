"""Prep before a meeting: the DM with its button, the modal, the status and overview lines.

Pure functions of data. The DM and the modal are the invitee's own, in their language; the
status (planning message) and the overview lines (meeting thread) are seen by the case channel.
The questions' wording comes from the catalogue, so the guideline's Dutch stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

from bot.kit.blocks import (
    OPTION_TEXT_LIMIT,
    button,
    context,
    dicts,
    local_time,
    md,
    mention,
    messages,
    modal,
    split_text,
)
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from flows.model import Phase, Question, Scale
from storage.prep import SCORE_MAX, SCORE_MIN, PrepStatus

ANSWER_MAX_CHARS = 3000  # Slack's limit for a plain-text input
LABEL_LIMIT = 2000
HINT_LIMIT = 2000


# Fewer pre-scores than this are not shown: a distribution of one is a person's score.
MIN_SCORES_SHOWN = 2


def prep_questions(phase: Phase) -> tuple[Question, ...]:
    """What invitees are asked beforehand: the Vooraf questions and the phase's first
    Beeldvorming question (the current state of affairs, which the guideline advises
    collecting before the meeting). A section a region removed is simply not asked."""
    questions: list[Question] = []
    vooraf = phase.section("vooraf")
    if vooraf is not None:
        questions += vooraf.questions
    beeldvorming = phase.section("beeldvorming")
    if beeldvorming is not None and beeldvorming.questions:
        questions.append(beeldvorming.questions[0])
    return tuple(questions)


def escape(text: str) -> str:
    """User text made inert in mrkdwn: no mentions, channel pings or links can be smuggled in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    """What names a meeting in a DM or modal."""

    code: str
    phase: Phase
    when: datetime | None
    tz: ZoneInfo


# --- the DM -----------------------------------------------------------------------------------


def prep_dm(lang: str, info: MeetingInfo, ref: Ref, *, nudge: bool = False) -> list[dict[str, Any]]:
    """The invitation to prepare (or, with `nudge`, the one reminder), with its button."""
    values = {
        "code": info.code,
        "when": local_time(lang, info.when, info.tz),
        "phase": info.phase.title.get(lang),
    }
    body = t(lang, "prep.nudge" if nudge else "prep.dm", **values)
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{t(lang, 'prep.dm_title', code=info.code)}*\n{body}")),
        context(t(lang, "prep.dm_privacy")),
        ActionsBlock(
            block_id="prep",
            elements=[
                button(t(lang, "prep.answer_button"), ActionId.PREP_OPEN, ref, style="primary")
            ],
        ),
    ]
    return dicts(blocks)


def answered_dm(
    lang: str, info: MeetingInfo, ref: Ref, *, saved_at: datetime
) -> list[dict[str, Any]]:
    """The DM once answered: when it was saved, and a button to review or change it."""
    text = t(
        lang,
        "prep.answered",
        code=info.code,
        saved=local_time(lang, saved_at, info.tz),
        when=local_time(lang, info.when, info.tz),
    )
    blocks: list[Block] = [
        SectionBlock(text=md(text)),
        ActionsBlock(
            block_id="prep",
            elements=[button(t(lang, "prep.edit_button"), ActionId.PREP_OPEN, ref)],
        ),
    ]
    return dicts(blocks)


def closed_dm(lang: str, info: MeetingInfo) -> list[dict[str, Any]]:
    """The DM after the meeting started: the same heading, no button."""
    when = local_time(lang, info.when, info.tz)
    title = t(lang, "prep.dm_title", code=info.code)
    blocks: list[Block] = [
        SectionBlock(text=md(f"*{title}*\n{when} · {info.phase.title.get(lang)}")),
        context(t(lang, "prep.closed_note")),
    ]
    return dicts(blocks)


# --- the modal --------------------------------------------------------------------------------


def _prompts_hint(question: Question, lang: str) -> str | None:
    if not question.prompts:
        return None
    return "\n".join(f"• {p.text.get(lang)}" for p in question.prompts)[:HINT_LIMIT]


def _score_option(lang: str, scale: Scale, value: int) -> Option:
    label = scale.label(value)
    if label is None:
        text = str(value)
    else:
        text = t(lang, "prep.score_option_end", value=value, label=label.get(lang))
        if len(text) > OPTION_TEXT_LIMIT:
            # The hint carries the full labels; the option shows as much as fits.
            text = text[: OPTION_TEXT_LIMIT - 1] + "…"
    return Option(value=str(value), text=text)


def prep_modal(
    lang: str,
    info: MeetingInfo,
    ref: Ref,
    *,
    answers: Mapping[str, str] | None = None,
    pre_score: int | None = None,
    scores_named: bool = False,
) -> dict[str, Any]:
    """The prep questions, filled in with what the invitee stored before (if anything). The
    score's hint promises what the meeting will show (`scores_named`, a setting)."""
    answers = answers or {}
    when = local_time(lang, info.when, info.tz)
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                t(
                    lang,
                    "prep.modal_intro",
                    code=info.code,
                    when=when,
                    phase=info.phase.title.get(lang),
                )
            )
        ),
        context(t(lang, "prep.modal_note")),
    ]
    for question in prep_questions(info.phase):
        blocks.append(
            InputBlock(
                block_id=question.key,
                label=question.text.get(lang)[:LABEL_LIMIT],
                hint=_prompts_hint(question, lang),
                optional=True,
                element=PlainTextInputElement(
                    action_id=question.key,
                    multiline=True,
                    max_length=ANSWER_MAX_CHARS,
                    initial_value=answers.get(question.key) or None,
                    placeholder=t(lang, "prep.answer_placeholder"),
                ),
            )
        )
    scale = info.phase.scale
    options = [_score_option(lang, scale, v) for v in range(SCORE_MIN, SCORE_MAX + 1)]
    initial = next((o for o in options if o.value == str(pre_score)), None)
    blocks.append(
        InputBlock(
            block_id=Field.PREP_SCORE,
            label=scale.text.get(lang)[:LABEL_LIMIT],
            hint=t(
                lang,
                "prep.score_hint",
                low=scale.label_1.get(lang),
                high=scale.label_10.get(lang),
                shown=t(lang, "votes.shown_named" if scores_named else "votes.shown_anonymous"),
            )[:HINT_LIMIT],
            optional=True,
            element=StaticSelectElement(
                action_id=Field.PREP_SCORE,
                placeholder=t(lang, "prep.score_placeholder"),
                options=options,
                initial_option=initial,
            ),
        )
    )
    texts = ("prep.modal_title", "prep.modal_submit", "prep.modal_close")
    return modal(lang, ViewId.PREP, texts, ref=ref, blocks=blocks)


def parse_pre_score(raw: object) -> int | None:
    """The chosen pre-score, or None for none chosen or anything we did not offer."""
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    value = int(raw)
    return value if SCORE_MIN <= value <= SCORE_MAX else None


# --- for the regisseurs: who prepared (planning message) ---------------------------------------


def _organisation(lang: str, organisation: str) -> str:
    return escape(organisation) if organisation else t(lang, "prep.no_organisation")


def status_blocks(
    lang: str, status: PrepStatus, *, review: Ref | None = None
) -> list[dict[str, Any]]:
    """Who answered, per organisation, for under the planning message. Names, no content; with
    `review`, the button for the regisseurs to read the answers so far (privately)."""
    if not status.entries:
        return []
    lines = [t(lang, "prep.status_title", answered=len(status.answered), total=len(status.entries))]
    for organisation, entries in status.by_organisation().items():
        people = ", ".join(
            t(
                lang,
                "prep.status_answered" if e.answered else "prep.status_pending",
                user=mention(e.user_id),
            )
            for e in entries
        )
        lines.append(
            t(
                lang,
                "prep.status_line",
                organisation=_organisation(lang, organisation),
                people=people,
            )
        )
    # Split, never cut: a long invitation list still fits Slack's text limit.
    blocks: list[Block] = [context(chunk) for chunk in split_text("\n".join(lines))]
    return dicts(blocks) + ([review_button(lang, review)] if review is not None else [])


# --- at the meeting: the Vooraf overview ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrepContent:
    """One invitee's stored prep as the overview needs it: organisation, never the name."""

    organisation: str
    texts: Mapping[str, str]


def overview_lines(
    lang: str,
    phase: Phase,
    *,
    preps: Sequence[PrepContent],
    missing: Sequence[str],
    distribution: Mapping[int, int],
) -> list[str]:
    """Answers grouped per question and attributed by organisation; who did not answer (by
    organisation); pre-scores only as a distribution, so nobody's score anchors the vote."""
    lines: list[str] = []
    for question in prep_questions(phase):
        answers = [(p.organisation, p.texts.get(question.key, "").strip()) for p in preps]
        answers = [(organisation, text) for organisation, text in answers if text]
        if not answers:
            continue
        lines.append(f"*{question.text.get(lang)}*")
        for organisation, text in answers:
            lines.append(
                t(
                    lang,
                    "prep.overview_answer",
                    organisation=_organisation(lang, organisation),
                    text=escape(text),
                )
            )
    if 0 < sum(distribution.values()) < MIN_SCORES_SHOWN:
        # One pre-score "as a distribution" is that person's score: keep it to ourselves.
        lines.append(t(lang, "prep.overview_scores_hidden", n=sum(distribution.values())))
    elif distribution:
        scale = phase.scale
        items = " · ".join(
            t(lang, "prep.overview_score_item", value=value, count=distribution[value])
            for value in sorted(distribution)
        )
        lines.append(
            t(lang, "prep.overview_scores", n=sum(distribution.values()), distribution=items)
        )
        lines.append(
            t(
                lang,
                "prep.overview_scores_note",
                low=scale.label_1.get(lang),
                high=scale.label_10.get(lang),
            )
        )
    if missing:
        organisations = ", ".join(dict.fromkeys(_organisation(lang, m) for m in missing))
        if not lines:
            lines.append(f"_{t(lang, 'overview.no_prep')}_")
        lines.append(t(lang, "prep.overview_missing", organisations=organisations))
    return lines


# --- for the regisseurs: the prep as it arrives, and their summary -----------------------------


def review_messages(
    lang: str,
    info: MeetingInfo,
    *,
    overview: Sequence[str],
    status: PrepStatus,
    summary: str | None,
    summary_ref: Ref | None,
) -> list[list[dict[str, Any]]]:
    """The regisseur's private read of the prep so far: answers by organisation (pre-scores
    only as a distribution), who has not answered, their summary and the button to write it
    (None once the meeting started). As many messages as the text needs: split, never cut."""
    when = local_time(lang, info.when, info.tz)
    lines = [
        t(lang, "prep.review_title", code=info.code, when=when, phase=info.phase.title.get(lang)),
        t(lang, "prep.status_title", answered=len(status.answered), total=len(status.entries)),
        *(overview or [f"_{t(lang, 'overview.no_prep')}_"]),
        "",
        f"*{t(lang, 'prep.summary_title')}*",
        escape(summary) if summary else f"_{t(lang, 'prep.summary_none')}_",
    ]
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text("\n".join(lines))]
    if summary_ref is not None:
        label = "prep.summary_edit" if summary else "prep.summary_write"
        blocks.append(context(t(lang, "prep.summary_note")))
        blocks.append(
            ActionsBlock(
                block_id="prep_summary",
                elements=[
                    button(t(lang, label), ActionId.PREP_SUMMARY_OPEN, summary_ref, style="primary")
                ],
            )
        )
    return messages(blocks)


def summary_modal(lang: str, info: MeetingInfo, ref: Ref, *, text: str | None) -> dict[str, Any]:
    when = local_time(lang, info.when, info.tz)
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                t(
                    lang,
                    "prep.modal_intro",
                    code=info.code,
                    when=when,
                    phase=info.phase.title.get(lang),
                )
            )
        ),
        context(t(lang, "prep.summary_note")),
        InputBlock(
            block_id=Field.PREP_SUMMARY_TEXT,
            label=t(lang, "prep.summary_title"),
            hint=t(lang, "prep.summary_hint"),
            element=PlainTextInputElement(
                action_id=Field.PREP_SUMMARY_TEXT,
                multiline=True,
                max_length=ANSWER_MAX_CHARS,
                initial_value=text or None,
            ),
        ),
    ]
    texts = ("prep.summary_modal_title", "prep.modal_submit", "prep.modal_close")
    return modal(lang, ViewId.PREP_SUMMARY, texts, ref=ref, blocks=blocks)


def summary_post(lang: str, *, text: str, by: str) -> list[dict[str, Any]]:
    """The summary in the meeting's thread, opening the Beeldvorming."""
    body = f"{t(lang, 'prep.summary_posted', by=mention(by))}\n{escape(text)}"
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in split_text(body)]
    return dicts(blocks)


def review_button(lang: str, ref: Ref) -> dict[str, Any]:
    """Under the planning message: the regisseurs read the prep so far (privately)."""
    block = ActionsBlock(
        block_id="prep_review",
        elements=[button(t(lang, "prep.review_button"), ActionId.PREP_REVIEW, ref)],
    )
    return block.to_dict()
