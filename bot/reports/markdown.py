"""The report as Markdown: every section a ZVH report holds, empty ones said plainly.

The report is the official record, so what people wrote appears exactly as they wrote it:
every value from the meeting goes through `escape`, which makes Markdown show it literally
(underscores, asterisks, `<@U1>`, a line starting with `#`) instead of reading it as markup.
The PDF is laid out from this Markdown and undoes the escapes (bot/reports/pdf.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.kit.blocks import number
from bot.kit.i18n import t
from bot.reports.model import Decided, Person, Report

# Characters Markdown may read as markup anywhere in a line (CommonMark and GFM: emphasis,
# code, links, HTML, entities, strikethrough, tables, headings).
_INLINE = frozenset("\\`*_[]<>&~|#")
# What makes a block of a line's start: a list item, a setext underline, an ordered item.
_LINE_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")
# A backslash at the end of a line is a hard line break: the value's own line breaks.
HARD_BREAK = "\\\n"


def escape(value: object) -> str:
    """`value` as Markdown that shows exactly its text, line breaks included."""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return HARD_BREAK.join(_escape_line(line) for line in lines)


def _escape_line(line: str) -> str:
    text = "".join(f"\\{c}" if c in _INLINE else c for c in line)
    return _LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text, 1
    )


def _or_none(lang: str, text: str | None) -> str:
    return escape(text) if text else f"_{t(lang, 'report.none')}_"


def render_markdown(lang: str, report: Report) -> str:
    e = escape

    def heading(key: str) -> str:
        return f"\n## {t(lang, key)}\n"

    def none() -> list[str]:
        return [f"_{t(lang, 'report.none')}_"]

    lines = [
        f"# {t(lang, 'report.title', code=e(report.code))}",
        "",
        f"**{t(lang, 'report.date')}:** {e(report.date)}  ",
        f"**{t(lang, 'report.phase')}:** {e(report.phase)}  ",
        f"**{t(lang, 'report.goal')}:** {e(report.goal)}  ",
        f"**{t(lang, 'membership.referring_partner')}:** "
        + (e(report.referring_partner) if report.referring_partner else "—"),
    ]
    lines += _attendance(lang, report, heading, none)
    lines.append(heading("report.confidentiality"))
    lines += [f"- {e(who)}: {e(when)}" for who, when in report.confidentiality] or [
        f"_{t(lang, 'report.no_guests')}_"
    ]
    lines.append(heading("report.minutes"))
    for item in report.minutes:
        lines.append(f"\n### {e(item.question)}\n")
        lines += [f"- **{e(c.author)}:** {e(c.text)}" for c in item.contributions] or [
            f"_{t(lang, 'report.no_contributions')}_"
        ]
        if item.decided is not None:
            decided = t(
                lang, "report.decided", decision=e(item.decided.decision), by=e(item.decided.by)
            )
            lines.append(f"\n**{t(lang, 'report.decision_here')}:** {decided}")
    lines.append(heading("report.scores"))
    lines.append(f"_{e(report.scale_question)}_\n")
    if not report.score_rounds:
        lines.append(f"_{t(lang, 'report.no_scores')}_")
    for round_ in report.score_rounds:
        summary = t(
            lang,
            "report.round",
            n=round_.number,
            median="—" if round_.median is None else number(lang, round_.median),
            low="—" if round_.low is None else round_.low,
            high="—" if round_.high is None else round_.high,
        )
        lines.append(f"- {summary}")
        lines += [f"  - {e(name)}: {score}" for name, score in round_.scores]
        if not round_.scores and round_.counts:
            counts = ", ".join(f"{score} ({n}×)" for score, n in round_.counts)
            lines.append(f"  - {t(lang, 'report.distribution', counts=counts)}")
    lines.append(f"\n**{t(lang, 'report.family_view')}:**")
    if not report.involved:
        lines.append(f"- {t(lang, 'report.none')}")
    for role, score, said in report.involved:
        parts = [e(role)] + ([t(lang, "involved.score", score=score)] if score else [])
        lines.append(f"- {' · '.join(parts)}" + (f" — {e(said)}" if said else ""))
    lines.append(f"\n**{t(lang, 'report.informed')}:** {e(report.informed)}")
    lines.append(heading("report.decision"))
    decisions = report.decisions or (
        (Decided("", report.decision, report.decided_by or "—"),) if report.decision else ()
    )
    for taken in decisions:
        decided = t(lang, "report.decided", decision=e(taken.decision), by=e(taken.by))
        lines.append(f"- _{e(taken.question)}_ — {decided}" if taken.question else f"- {decided}")
    if report.undecided:
        lines.append(f"- {t(lang, 'report.undecided', question=e(report.undecided))}")
    if not decisions and not report.undecided:
        lines.append(t(lang, "report.no_decision"))
    if report.closed:
        lines.append(t(lang, "report.closed"))
    elif report.next_phase:
        lines.append(t(lang, "report.next_phase", phase=e(report.next_phase)))
    lines.append(heading("report.actions"))
    lines += [f"- {e(a.what)} — {e(a.who)} — {e(a.when)}" for a in report.actions] or none()
    lines.append(heading("report.bodemeisen"))
    lines += [
        f"- {e(b.text)} — {t(lang, 'report.monitor')}: {e(b.monitor)} — {e(b.interval)}"
        for b in report.bodemeisen
    ] or none()
    if report.bodemeis_history:
        lines.append(heading("report.bodemeis_history"))
        for first, *rest in report.bodemeis_history:
            lines.append(f"- {e(first)}")
            lines += [f"  - {e(line)}" for line in rest]
    lines.append(heading("report.collaboration"))
    lines.append(f"- **{t(lang, 'report.next_meeting')}:** {_or_none(lang, report.next_meeting)}")
    lines.append(f"- **{t(lang, 'report.timeline')}:** {_or_none(lang, report.timeline)}")
    lines.append(f"- **{t(lang, 'report.escalation')}:** {_or_none(lang, report.escalation_plan)}")
    lines.append(f"- **{t(lang, 'report.informing')}:** {_or_none(lang, report.informing)}")
    lines.append(heading("report.closure_plan"))
    lines.append(_or_none(lang, report.closure_plan))
    lines.append(heading("report.previous_actions"))
    lines += [
        f"- {e(a.what)} — {e(a.who)} — {e(a.status)}" for a in report.previous_actions
    ] or none()
    return "\n".join(lines).strip() + "\n"


def _attendance(
    lang: str, report: Report, heading: Callable[[str], str], none: Callable[[], list[str]]
) -> list[str]:
    """Present, afgemeld, absent and the organisations missing from the table; for a meeting
    held before attendance was kept, its invitees as such."""

    def people(persons: tuple[Person, ...]) -> list[str]:
        return [f"- {escape(p.name)} — {escape(p.organisation or '—')}" for p in persons] or none()

    if report.invited_only:
        return [heading("report.invited_only"), *people(report.invited_only)]
    missing = [f"- {escape(org)}" for org in report.missing_organisations]
    return [
        heading("report.attendees"),
        *people(report.attendees),
        heading("report.excused"),
        *people(report.excused),
        heading("report.absent"),
        *people(report.absent),
        heading("report.missing"),
        *(missing or [f"_{t(lang, 'report.all_at_table')}_"]),
    ]
