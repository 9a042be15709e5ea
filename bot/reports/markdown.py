"""The report as Markdown: every section a ZVH report holds, empty ones said plainly."""

from __future__ import annotations

from bot.kit.blocks import number
from bot.kit.i18n import t
from bot.reports.model import Report


def _or_none(lang: str, text: str | None) -> str:
    return text if text else f"_{t(lang, 'report.none')}_"


def render_markdown(lang: str, report: Report) -> str:
    def heading(key: str) -> str:
        return f"\n## {t(lang, key)}\n"

    lines = [
        f"# {t(lang, 'report.title', code=report.code)}",
        "",
        f"**{t(lang, 'report.date')}:** {report.date}  ",
        f"**{t(lang, 'report.phase')}:** {report.phase}  ",
        f"**{t(lang, 'report.goal')}:** {report.goal}",
        heading("report.attendees"),
    ]
    lines += [f"- {p.name} — {p.organisation or '—'}" for p in report.attendees] or [
        f"_{t(lang, 'report.none')}_"
    ]
    lines.append(heading("report.absent"))
    lines += [f"- {p.name} — {p.organisation or '—'}" for p in report.absent] or [
        f"_{t(lang, 'report.none')}_"
    ]
    lines.append(heading("report.confidentiality"))
    lines += [f"- {who}: {when}" for who, when in report.confidentiality] or [
        f"_{t(lang, 'report.no_guests')}_"
    ]
    lines.append(heading("report.minutes"))
    for item in report.minutes:
        lines.append(f"\n### {item.question}\n")
        lines += [f"- **{c.author}:** {c.text}" for c in item.contributions] or [
            f"_{t(lang, 'report.no_contributions')}_"
        ]
    lines.append(heading("report.scores"))
    lines.append(f"_{report.scale_question}_\n")
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
        lines += [f"  - {name}: {score}" for name, score in round_.scores]
    lines.append(f"\n**{t(lang, 'report.family_view')}:** {_or_none(lang, report.family_view)}")
    lines.append(heading("report.decision"))
    if report.decision:
        lines.append(
            t(lang, "report.decided", decision=report.decision, by=report.decided_by or "—")
        )
    else:
        lines.append(t(lang, "report.no_decision"))
    if report.closed:
        lines.append(t(lang, "report.closed"))
    elif report.next_phase:
        lines.append(t(lang, "report.next_phase", phase=report.next_phase))
    lines.append(heading("report.actions"))
    lines += [f"- {a.what} — {a.who} — {a.when}" for a in report.actions] or [
        f"_{t(lang, 'report.none')}_"
    ]
    lines.append(heading("report.bodemeisen"))
    lines += [
        f"- {b.text} — {t(lang, 'report.monitor')}: {b.monitor} — {b.interval}"
        for b in report.bodemeisen
    ] or [f"_{t(lang, 'report.none')}_"]
    lines.append(heading("report.collaboration"))
    lines.append(f"- **{t(lang, 'report.next_meeting')}:** {_or_none(lang, report.next_meeting)}")
    lines.append(f"- **{t(lang, 'report.timeline')}:** {_or_none(lang, report.timeline)}")
    lines.append(f"- **{t(lang, 'report.escalation')}:** {_or_none(lang, report.escalation_plan)}")
    lines.append(f"- **{t(lang, 'report.informing')}:** {_or_none(lang, report.informing)}")
    lines.append(heading("report.closure_plan"))
    lines.append(_or_none(lang, report.closure_plan))
    lines.append(heading("report.previous_actions"))
    lines += [f"- {a.what} — {a.who} — {a.status}" for a in report.previous_actions] or [
        f"_{t(lang, 'report.none')}_"
    ]
    return "\n".join(lines).strip() + "\n"
