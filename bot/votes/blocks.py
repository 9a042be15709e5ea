"""The Schaalvraag in the thread: the voting message, the results, the family's view, the trend.

Pure functions of data. Everything here is seen by the whole channel (workspace language),
except the family-view modal (the regisseur's language). Votes stay blind: the voting message
names who voted, never what.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
    HeaderBlock,
    SectionBlock,
)

from bot.kit.blocks import (
    HEADER_LIMIT,
    button,
    context,
    dicts,
    local_time,
    md,
    mention,
    messages,
    split_text,
)
from bot.kit.i18n import t
from bot.kit.ids import ActionId, vote_action
from bot.kit.payloads import Ref
from bot.kit.scale_words import direction
from flows.model import Phase, Scale
from flows.scale import SCORES, Tally, TrendPoint, by_score, outliers, per_scale
from flows.steps import Step

BAR_WIDTH = 20  # blocks in the longest bar: fits a phone screen in a code span
# Leave room under Slack's 3000 characters per section for the line's own markup.
NAMES_PER_SECTION_CHARS = 2800
# The voting message never needs more than this many sections to name who voted.
MAX_VOTER_SECTIONS = 10


def number(lang: str, value: float | None) -> str:
    """6 or 6,5 (nl) / 6.5 (en); a dash when there is nothing to show."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", t(lang, "votes.decimal_mark"))


def name_lines(users: Sequence[str], limit: int = NAMES_PER_SECTION_CHARS) -> list[str]:
    """Mentions joined by ", ", cut into pieces of at most `limit` characters — never inside a
    mention, so a long list stays readable and every name stays a working mention."""
    pieces: list[str] = []
    current = ""
    for user in users:
        item = mention(user)
        candidate = f"{current}, {item}" if current else item
        if len(candidate) > limit and current:
            pieces.append(current)
            current = item
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _scale_text(lang: str, scale: Scale) -> str:
    labels = t(lang, "votes.labels", low=scale.label_1.get(lang), high=scale.label_10.get(lang))
    return f"{labels}\n*{direction(lang, scale)}*"


# --- the voting message ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ballot:
    """What the voting message shows: the round, who voted (not what), and how many may vote."""

    step: Step
    meeting_id: int
    round: int
    voters: Sequence[str]
    eligible: int
    open: bool = True
    named: bool = False  # CASUSBOT_SCORES_NAMED: the reveal names who gave which score


def voting_message(lang: str, ballot: Ballot) -> list[dict[str, Any]]:
    step = ballot.step
    if step.scale is None:
        raise ValueError("a ballot belongs to the scale question")
    head = (
        f"{t(lang, 'votes.header', round=ballot.round)}\n*{step.text.get(lang)}*\n"
        f"{_scale_text(lang, step.scale)}"
    )
    blocks: list[Block] = [SectionBlock(text=md(head))]
    if ballot.open:
        blocks.append(
            ActionsBlock(
                block_id="scores",
                elements=[
                    button(
                        str(score),
                        vote_action(score),
                        Ref(
                            meeting_id=ballot.meeting_id,
                            scale_round=ballot.round,
                            choice=str(score),
                        ),
                    )
                    for score in SCORES
                ],
            )
        )
        blocks.append(context(t(lang, "votes.how", shown=shown(lang, ballot.named))))
    n, m = len(ballot.voters), ballot.eligible
    if ballot.open:
        blocks.append(SectionBlock(text=md(t(lang, "votes.voted", n=n, m=m))))
    else:
        blocks.append(SectionBlock(text=md(t(lang, "votes.closed", round=ballot.round, n=n, m=m))))
    blocks += _voter_sections(lang, ballot.voters)
    if ballot.open:
        reveal = Ref(meeting_id=ballot.meeting_id, scale_round=ballot.round)
        blocks.append(
            ActionsBlock(
                block_id="reveal",
                elements=[
                    button(
                        t(lang, "votes.reveal"),
                        ActionId.VOTE_REVEAL,
                        reveal,
                        style="primary",
                        confirm=ConfirmObject(
                            title=t(lang, "votes.reveal_confirm_title"),
                            text=t(lang, "votes.reveal_confirm_text"),
                            confirm=t(lang, "votes.reveal"),
                            deny=t(lang, "votes.cancel"),
                        ),
                    )
                ],
            )
        )
        blocks.append(context(t(lang, "votes.reveal_regisseurs")))
    return dicts(blocks)


def _voter_sections(lang: str, voters: Sequence[str]) -> list[Block]:
    if not voters:
        return [context(t(lang, "votes.nobody_yet"))]
    pieces = name_lines(voters)
    shown = pieces[:MAX_VOTER_SECTIONS]
    blocks: list[Block] = [SectionBlock(text=md(piece)) for piece in shown]
    if len(pieces) > len(shown):
        # Said, not hidden: the count above is exact, only the names run out of room.
        named = sum(piece.count("<@") for piece in shown)
        blocks.append(context(t(lang, "votes.more", count=len(voters) - named)))
    return blocks


# --- the results -------------------------------------------------------------------------------


def bar_chart(tally: Tally, width: int = BAR_WIDTH) -> str:
    """One line per score, longest bar `width` blocks, in a code span so the bars line up:
    ` 7 │ ██████████        5`. A score nobody gave has no bar; any other at least one block."""
    most = tally.most
    lines = []
    for score in reversed(SCORES):  # 10 on top, like a scale drawn upright
        count = tally.counts[score]
        length = math.ceil(count * width / most) if most else 0
        lines.append(f"{score:>2} │ {'█' * length}{' ' * (width - length)} {count:>3}")
    return "```\n" + "\n".join(lines) + "\n```"


@dataclass(frozen=True, slots=True)
class Results:
    step: Step
    meeting_id: int
    round: int
    votes: Mapping[str, int]  # user -> score
    eligible: int
    spread_threshold: int
    named: bool = False  # CASUSBOT_SCORES_NAMED


def shown(lang: str, named: bool) -> str:
    """What everyone sees of a score once revealed: the promise every text about scores makes."""
    return t(lang, "votes.shown_named" if named else "votes.shown_anonymous")


def results_messages(lang: str, results: Results) -> list[list[dict[str, Any]]]:
    """The distribution, median and range, every score by name when scores are named; the
    spread question when the scores lie far apart (naming the lowest and highest scorers only
    when scores are named); then the onderbouwing prompts. Split over messages if need be."""
    tally = Tally.of(results.votes.values())
    blocks: list[Block] = [
        HeaderBlock(text=t(lang, "votes.results_header", round=results.round)[:HEADER_LIMIT])
    ]
    if results.step.scale is not None:
        blocks.append(context(direction(lang, results.step.scale)))
    if not tally.total:
        blocks.append(SectionBlock(text=md(t(lang, "votes.no_votes"))))
    else:
        blocks.append(SectionBlock(text=md(f"{t(lang, 'votes.distribution')}\n{bar_chart(tally)}")))
        blocks.append(
            SectionBlock(
                text=md(
                    t(
                        lang,
                        "votes.stats",
                        median=number(lang, tally.median),
                        low=tally.minimum,
                        high=tally.maximum,
                        n=tally.total,
                        m=results.eligible,
                    )
                )
            )
        )
        far = outliers(results.votes, results.spread_threshold)
        if not results.named:
            # Only the distribution; the lowest and highest scorers are asked privately.
            if far is not None:
                ask = t(
                    lang,
                    "votes.spread_ask_anonymous",
                    spread=tally.spread,
                    low=tally.minimum,
                    high=tally.maximum,
                )
                blocks.append(SectionBlock(text=md(ask)))
            far = None
        else:
            blocks += _per_person(lang, results.votes)
        if far is not None:
            ask = t(
                lang,
                "votes.spread_ask",
                spread=tally.spread,
                lowest=", ".join(mention(u) for u in far.lowest),
                highest=", ".join(mention(u) for u in far.highest),
            )
            blocks += [SectionBlock(text=md(piece)) for piece in _fit(ask)]
    prompts = results.step.prompts
    if prompts:
        lines = [t(lang, "votes.discuss"), *(f"• {p.text.get(lang)}" for p in prompts)]
        blocks.append(SectionBlock(text=md("\n".join(lines))))
    ref = Ref(meeting_id=results.meeting_id, scale_round=results.round)
    blocks += [
        ActionsBlock(
            block_id="after_reveal",
            elements=[
                button(t(lang, "votes.new_round"), ActionId.VOTE_NEW_ROUND, ref),
                button(t(lang, "votes.family_button"), ActionId.FAMILY_VIEW_OPEN, ref),
            ],
        ),
        context(t(lang, "meeting.regisseurs_only")),
    ]
    return messages(blocks)


def _per_person(lang: str, votes: Mapping[str, int]) -> list[Block]:
    lines = [t(lang, "votes.per_person")]
    for score, users in reversed(by_score(votes).items()):
        for piece in name_lines(users, NAMES_PER_SECTION_CHARS - 10):
            lines.append(f"*{score}* — {piece}")
    return [SectionBlock(text=md(chunk)) for chunk in _join_lines(lines)]


def _join_lines(lines: Sequence[str], limit: int = NAMES_PER_SECTION_CHARS) -> list[str]:
    """Whole lines per section, as many as fit (each names its people in full)."""
    return split_text("\n".join(lines), limit)


def _fit(text: str) -> list[str]:
    """A sentence full of mentions, split at commas when it would not fit one section."""
    if len(text) <= NAMES_PER_SECTION_CHARS:
        return [text]
    return _join_lines(text.replace(", ", ",\n").split("\n"))


def back_at_scale(lang: str, meeting_id: int, last_round: int) -> list[dict[str, Any]]:
    """Shown when the meeting returns to a scale question that was voted on before."""
    ref = Ref(meeting_id=meeting_id, scale_round=last_round)
    blocks: list[Block] = [
        SectionBlock(
            text=md(t(lang, "votes.back_at_scale")),
            accessory=button(t(lang, "votes.new_round"), ActionId.VOTE_NEW_ROUND, ref),
        ),
        context(t(lang, "meeting.regisseurs_only")),
    ]
    return dicts(blocks)


# --- summary and trend -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundLine:
    round: int
    tally: Tally


def summary_blocks(
    lang: str,
    rounds: Sequence[RoundLine],
    family: int | None,
    trend: Sequence[TrendPoint],
    scale: str | None = None,
) -> list[dict[str, Any]]:
    """The Schaalvraag's part of the meeting summary. `scale` names the scale of the latest
    score (its title); the case's trend is drawn on that scale only."""
    lines = [t(lang, "votes.summary_title")]
    if scale:
        lines.append(t(lang, "votes.summary_scale", scale=scale))
    if not rounds:
        lines.append(t(lang, "votes.summary_none"))
    for line in rounds:
        tally = line.tally
        if tally.total:
            lines.append(
                t(
                    lang,
                    "votes.summary_round",
                    round=line.round,
                    median=number(lang, tally.median),
                    low=tally.minimum,
                    high=tally.maximum,
                    n=tally.total,
                )
            )
        else:
            lines.append(t(lang, "votes.summary_round_empty", round=line.round))
    if family is not None:
        lines.append(t(lang, "votes.summary_family", value=family))
    same_scale = per_scale(trend).get(trend[-1].scale, []) if trend else []
    medians = [number(lang, p.median) for p in same_scale if p.median is not None]
    if len(medians) > 1:
        lines.append(t(lang, "votes.summary_trend", points=" → ".join(medians)))
    return dicts([SectionBlock(text=md(chunk)) for chunk in _join_lines(lines)])


def trend_lines(
    lang: str, points: Sequence[TrendPoint], phases: Mapping[str, Phase], tz: ZoneInfo
) -> list[str]:
    lines = []
    for point in points:
        phase = phases.get(point.phase)
        parts = [
            t(
                lang,
                "trend.line",
                when=local_time(lang, point.held_at, tz),
                phase=phase.title.get(lang) if phase else point.phase,
                median=number(lang, point.median),
            )
        ]
        if len(point.rounds) > 1:
            medians = ", ".join(number(lang, m) for _, m in point.rounds)
            parts.append(t(lang, "trend.rounds", medians=medians))
        if point.family is not None:
            parts.append(t(lang, "trend.family", value=point.family))
        lines.append("• " + " · ".join(parts))
    return lines


def trend_message(
    lang: str,
    *,
    code: str,
    points: Sequence[TrendPoint],
    phases: Mapping[str, Phase],
    tz: ZoneInfo,
    titles: Mapping[str, str] | None = None,
) -> list[list[dict[str, Any]]]:
    """The trend, one part per scale under its own title: scores on different scales are
    never read as one line."""
    lines = [f"*{t(lang, 'trend.title', code=code)}*"]
    for scale, scale_points in per_scale(points).items():
        title = (titles or {}).get(scale) or scale
        lines.append(t(lang, "trend.scale", scale=title))
        lines += trend_lines(lang, scale_points, phases, tz)
    blocks: list[Block] = [SectionBlock(text=md(chunk)) for chunk in _join_lines(lines)]
    return messages(blocks)


def chart_labels(lang: str, code: str) -> dict[str, str]:
    return {
        "title": t(lang, "trend.chart_title", code=code),
        "median": t(lang, "trend.chart_median"),
        "family": t(lang, "trend.chart_family"),
        "axis": t(lang, "trend.chart_axis"),
    }


def short_date(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d-%m-%Y") if moment else "?"
