"""The meeting in the case channel: the plan form, planning message, parent message,
questions, summary.

Everything here is seen by the whole channel, so it is built in the workspace's language.
Pure functions of data: the listeners fetch, these build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    SectionBlock,
    TimePickerElement,
    UserMultiSelectElement,
)

from bot.kit.blocks import (
    HEADER_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    button,
    context,
    dicts,
    local_time,
    md,
    mention,
    messages,
    modal,
    phase_select,
    split_text,
)
from bot.kit.i18n import t
from bot.kit.ids import ActionId, Field, ViewId
from bot.kit.payloads import Ref
from bot.kit.scale_words import direction
from flows.model import Catalogue, Decision, Phase
from flows.steps import Step
from storage.attendance import Seat
from storage.models import Attendance

DEFAULT_MEETING_TIME = time(10, 0)  # the plan form's time when nothing else is known


@dataclass(frozen=True, slots=True)
class MeetingView:
    """What the parent message shows."""

    code: str
    phase: Phase
    held_at: datetime | None  # when it started (the planned time until then)
    seats: Sequence[Seat]
    step: Step | None
    ended: bool = False
    # While the meeting runs: the button that draws it again (when Slack lost a message).
    redraw: Ref | None = None
    # Organisations of the case with nobody present ("Zitten alle relevante personen aan tafel?")
    missing: Sequence[str] = ()
    # While the meeting runs: the check-in button and the regisseurs' attendance form.
    attendance: Ref | None = None


def plan_meeting_modal(
    lang: str,
    catalogue: Catalogue,
    *,
    case_ref: Ref,
    code: str,
    phase: str,
    invited: Sequence[str],
    day: date,
    at: time,
    moving: str | None = None,
) -> dict[str, Any]:
    """Plan a meeting; with `moving` (the planned time), the form moves that meeting."""
    blocks: list[Block] = [
        context(t(lang, "plan_form.case", code=code)),
        *([context(t(lang, "plan_form.moving", when=moving))] if moving else []),
        InputBlock(
            block_id=Field.DATE,
            label=t(lang, "plan_form.date"),
            element=DatePickerElement(action_id=Field.DATE, initial_date=day.isoformat()),
        ),
        InputBlock(
            block_id=Field.TIME,
            label=t(lang, "plan_form.time"),
            element=TimePickerElement(action_id=Field.TIME, initial_time=f"{at:%H:%M}"),
        ),
        InputBlock(
            block_id=Field.PHASE,
            label=t(lang, "case_form.phase"),
            element=phase_select(lang, catalogue, phase, Field.PHASE),
        ),
        InputBlock(
            block_id=Field.INVITED,
            label=t(lang, "plan_form.invited"),
            element=UserMultiSelectElement(action_id=Field.INVITED, initial_users=list(invited)),
        ),
    ]
    texts = ("plan_form.title", "plan_form.submit", "case_form.cancel")
    return modal(lang, ViewId.PLAN_MEETING, texts, ref=case_ref, blocks=blocks)


def planning_message(
    lang: str,
    *,
    code: str,
    phase: Phase,
    when: datetime | None,
    invited: Sequence[str],
    tz: ZoneInfo,
    start: Ref | None,
) -> list[dict[str, Any]]:
    """The planned meeting with its Start button (regisseurs only); without one (`start` None)
    while another meeting of the case runs."""
    body = t(
        lang,
        "meeting.planned",
        code=code,
        phase=phase.title.get(lang),
        when=local_time(lang, when, tz),
        invited=", ".join(mention(u) for u in invited) or "—",
    )
    blocks: list[Block] = [SectionBlock(text=md(body))]
    if start is None:
        blocks.append(context(t(lang, "meeting.start_after_running")))
    else:
        blocks += [
            ActionsBlock(
                elements=[
                    button(
                        t(lang, "meeting.start_button"),
                        ActionId.MEETING_START,
                        start,
                        style="primary",
                    )
                ]
            ),
            context(t(lang, "meeting.regisseurs_only")),
        ]
    return dicts(blocks)


def attendance_text(
    lang: str, seats: Sequence[Seat], missing: Sequence[str], *, ended: bool
) -> str:
    """Present / afgemeld / absent (and, while it runs, not checked in yet), and which
    organisations of the case have nobody at the table. Someone nobody marked counts as absent
    once the meeting ended."""
    if ended and seats and all(seat.attendance is None for seat in seats):
        # Held before attendance was kept: who was invited, not who was there.
        names = ", ".join(mention(seat.user_id) for seat in seats)
        return t(lang, "attendance.not_recorded", names=names)
    groups: dict[str, list[str]] = {"present": [], "afgemeld": [], "absent": [], "unknown": []}
    for seat in seats:
        name = mention(seat.user_id) + (f" {t(lang, 'attendance.added')}" if seat.added else "")
        if seat.attendance is None:
            groups["absent" if ended else "unknown"].append(name)
        else:
            groups[seat.attendance.value].append(name)
    present = groups["present"]
    lines = [t(lang, "attendance.present", n=len(present), names=", ".join(present) or "—")]
    for key in ("afgemeld", "absent", "unknown"):
        if groups[key]:
            lines.append(t(lang, f"attendance.{key}", names=", ".join(groups[key])))
    if missing:
        lines.append(t(lang, "attendance.missing", organisations=", ".join(missing)))
    elif present:
        lines.append(t(lang, "attendance.all_at_table"))
    return "\n".join(lines)


def attendance_modal(lang: str, ref: Ref, seats: Sequence[Seat]) -> dict[str, Any]:
    """The regisseurs' attendance list: who is present, afgemeld or absent. Someone chosen who
    was not invited is added at the table."""

    def users(field: str, attendance: Attendance) -> InputBlock:
        chosen = [s.user_id for s in seats if s.attendance is attendance]
        return InputBlock(
            block_id=field,
            label=t(lang, f"attendance.form_{attendance.value}"),
            optional=True,
            element=UserMultiSelectElement(action_id=field, initial_users=chosen),
        )

    blocks: list[Block] = [
        context(t(lang, "attendance.form_intro")),
        users(Field.ATTENDANCE_PRESENT, Attendance.PRESENT),
        users(Field.ATTENDANCE_EXCUSED, Attendance.EXCUSED),
        users(Field.ATTENDANCE_ABSENT, Attendance.ABSENT),
    ]
    texts = ("attendance.form_title", "attendance.form_submit", "case_form.cancel")
    return modal(lang, ViewId.ATTENDANCE, texts, ref=ref, blocks=blocks)


def early_start(lang: str, text: str, ref: Ref) -> list[dict[str, Any]]:
    """Asked privately when a meeting is started well before its planned time."""
    blocks: list[Block] = [
        SectionBlock(text=md(text)),
        ActionsBlock(elements=[button(t(lang, "meeting.start_now"), ActionId.MEETING_START, ref)]),
    ]
    return dicts(blocks)


def _progress(lang: str, view: MeetingView) -> str:
    if view.ended:
        return t(lang, "meeting.progress_ended")
    if view.step is None:
        return t(lang, "meeting.progress_not_started")
    return t(
        lang,
        "meeting.progress",
        section=view.step.section.title.get(lang),
        n=view.step.number,
        m=view.step.total,
    )


def parent_text(lang: str, view: MeetingView) -> str:
    """The parent message's fallback text (notifications, search, screen readers): the meeting
    and where it is now — the question under discussion — or that it ended."""
    head = t(lang, "meeting.header", code=view.code)
    if view.ended:
        return f"{head}: {t(lang, 'meeting.ended_text')}"
    if view.step is None:
        return head
    return f"{head} · {view.step.section.title.get(lang)}: {view.step.text.get(lang)}"


def parent_message(lang: str, view: MeetingView, tz: ZoneInfo) -> list[dict[str, Any]]:
    phase = view.phase
    progress = _progress(lang, view)
    blocks: list[Block] = [
        HeaderBlock(text=t(lang, "meeting.header", code=view.code)[:HEADER_LIMIT]),
        SectionBlock(
            text=md(
                f"*{phase.title.get(lang)}* — {phase.subtitle.get(lang)}\n"
                f"*{t(lang, 'meeting.goal')}:* {phase.goal.get(lang)}"
            )
        ),
        context(t(lang, "meeting.held_at", when=local_time(lang, view.held_at, tz))),
        *(
            SectionBlock(text=md(chunk))
            for chunk in split_text(
                attendance_text(lang, view.seats, view.missing, ended=view.ended)
            )
        ),
    ]
    if view.attendance is not None:
        blocks.append(
            ActionsBlock(
                block_id="attendance",
                elements=[
                    button(
                        t(lang, "attendance.check_in"),
                        ActionId.ATTENDANCE_CHECK_IN,
                        view.attendance,
                        style="primary",
                    ),
                    button(t(lang, "attendance.manage"), ActionId.ATTENDANCE_OPEN, view.attendance),
                ],
            )
        )
    blocks.append(SectionBlock(text=md(progress)))
    if view.redraw is not None:
        blocks.append(
            ActionsBlock(
                block_id="redraw",
                elements=[button(t(lang, "meeting.redraw"), ActionId.MEETING_REDRAW, view.redraw)],
            )
        )
    return dicts(blocks)


@dataclass(frozen=True, slots=True)
class Overview:
    """The Vooraf overview: what is known before the meeting. Lines are ready-made mrkdwn."""

    prep: Sequence[str] = ()
    open_actions: Sequence[str] = ()
    bodemeis_checks: Sequence[str] = ()


def overview_message(lang: str, overview: Overview) -> list[dict[str, Any]]:
    def part(title_key: str, lines: Sequence[str], empty_key: str) -> list[Block]:
        body = "\n".join(lines) if lines else f"_{t(lang, empty_key)}_"
        return [
            SectionBlock(text=md(chunk)) for chunk in split_text(f"*{t(lang, title_key)}*\n{body}")
        ]

    blocks: list[Block] = [
        SectionBlock(text=md(f"*{t(lang, 'overview.title')}*\n{t(lang, 'overview.intro')}")),
        *part("overview.prep", overview.prep, "overview.no_prep"),
        *part("overview.actions", overview.open_actions, "overview.no_actions"),
        *part("overview.checks", overview.bodemeis_checks, "overview.no_checks"),
    ]
    return dicts(blocks[:MESSAGE_BLOCK_LIMIT])


def _question_text(lang: str, step: Step) -> str:
    head = t(
        lang,
        "meeting.question_head",
        section=step.section.title.get(lang),
        n=step.number_in_section,
        m=step.section_total,
    )
    lines = [head, f"*{step.text.get(lang)}*"]
    lines += [f"• {prompt.text.get(lang)}" for prompt in step.prompts]
    if step.scale is not None:
        lines.append(
            t(
                lang,
                "meeting.scale_labels",
                low=step.scale.label_1.get(lang),
                high=step.scale.label_10.get(lang),
            )
        )
        lines.append(f"*{direction(lang, step.scale)}*")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision question as the meeting stands: the branches it offers, the one chosen."""

    options: Sequence[Decision]
    chosen: Decision | None = None
    # When the chosen branch leaves the phase: the phase it goes to.
    target: Phase | None = None
    # Phases this meeting left, which no branch leads back to (named in a note).
    left: Sequence[Phase] = ()


def decision_buttons(lang: str, view: DecisionView, ref: Ref) -> list[Block]:
    """One button per branch, in the guideline's words; the chosen one stands out. One block
    each, so every button keeps the same action id."""
    blocks: list[Block] = []
    for option in view.options:
        chosen = view.chosen is not None and option.key == view.chosen.key
        blocks.append(
            ActionsBlock(
                block_id=f"decision:{option.name}",
                elements=[
                    button(
                        option.text.get(lang),
                        ActionId.MEETING_DECIDE,
                        Ref(meeting_id=ref.meeting_id, version=ref.version, choice=option.key),
                        style="primary" if chosen else None,
                    )
                ],
            )
        )
    return blocks


def _decision_blocks(lang: str, view: DecisionView, ref: Ref) -> list[Block]:
    blocks = decision_buttons(lang, view, ref)
    if view.left:
        titles = ", ".join(phase.title.get(lang) for phase in view.left)
        blocks.append(context(t(lang, "meeting.phase_left_note", phases=titles)))
    if view.chosen is None:
        blocks.append(context(t(lang, "meeting.decide_hint")))
        return blocks
    blocks.append(context(t(lang, "meeting.decision_now", decision=view.chosen.text.get(lang))))
    if view.target is not None:
        # How the meeting goes on in the new phase: "Volgende" takes the first.
        blocks.append(
            SectionBlock(text=md(t(lang, "meeting.onward", phase=view.target.title.get(lang))))
        )
        blocks.append(
            ActionsBlock(
                block_id="onward",
                elements=[
                    button(
                        t(lang, "meeting.onward_beeldvorming"),
                        ActionId.MEETING_NEXT,
                        ref,
                        style="primary",
                    ),
                    button(
                        t(lang, "meeting.onward_afspraken"), ActionId.MEETING_TO_AGREEMENTS, ref
                    ),
                ],
            )
        )
    return blocks


def question_message(
    lang: str, step: Step, ref: Ref, *, decision: DecisionView | None = None
) -> list[dict[str, Any]]:
    """The current question with the regisseur's buttons under it; at a decision point the
    branches to choose from."""
    blocks: list[Block] = [
        SectionBlock(text=md(chunk)) for chunk in split_text(_question_text(lang, step))
    ]
    if decision is not None:
        blocks += _decision_blocks(lang, decision, ref)
    blocks.append(context(t(lang, "meeting.reply_hint")))
    blocks.append(
        ActionsBlock(
            block_id="navigation",
            elements=[
                button(t(lang, "meeting.previous"), ActionId.MEETING_PREVIOUS, ref),
                button(t(lang, "meeting.next"), ActionId.MEETING_NEXT, ref, style="primary"),
                button(t(lang, "meeting.skip"), ActionId.MEETING_SKIP, ref),
                button(
                    t(lang, "meeting.end"),
                    ActionId.MEETING_END,
                    ref,
                    style="danger",
                    confirm=ConfirmObject(
                        title=t(lang, "meeting.end_confirm_title"),
                        text=t(lang, "meeting.end_confirm_text"),
                        confirm=t(lang, "meeting.end"),
                        deny=t(lang, "meeting.cancel"),
                    ),
                ),
            ],
        )
    )
    blocks.append(context(t(lang, "meeting.regisseurs_only")))
    return dicts(blocks)


def decision_required(lang: str, step: Step, view: DecisionView, ref: Ref) -> list[dict[str, Any]]:
    """Told privately when Volgende is clicked before the decision at this question: the
    question and its branches, at hand."""
    blocks: list[Block] = [
        SectionBlock(text=md(f"{t(lang, 'moves.decision_required')}\n*{step.text.get(lang)}*")),
        *decision_buttons(lang, view, ref),
    ]
    return dicts(blocks)


def passed_question(
    lang: str, step: Step, *, skipped: bool, decided: Decision | None = None
) -> list[dict[str, Any]]:
    """A question the meeting moved on from: same text, no buttons (old clicks do nothing);
    at a decision point, what was decided there."""
    note = t(lang, "meeting.skipped_note" if skipped else "meeting.discussed_note")
    if decided is not None:
        note = f"{note} · {t(lang, 'meeting.decided_note', decision=decided.text.get(lang))}"
    blocks: list[Block] = [
        SectionBlock(text=md(chunk)) for chunk in split_text(_question_text(lang, step))
    ]
    blocks.append(context(note))
    return dicts(blocks)


def end_without_decision(lang: str, ref: Ref, *, question: str, phase: str) -> list[dict[str, Any]]:
    """Asked privately when the regisseur ends before a decision question still ahead: the
    only place that offers to end without a decision."""
    blocks: list[Block] = [
        SectionBlock(text=md(t(lang, "meeting.no_decision_yet", question=question, phase=phase))),
        ActionsBlock(
            elements=[
                button(
                    t(lang, "meeting.end_without_decision"),
                    ActionId.MEETING_END_UNDECIDED,
                    ref,
                    style="danger",
                )
            ]
        ),
    ]
    return dicts(blocks)


@dataclass(frozen=True, slots=True)
class SummaryItem:
    step: Step
    lines: Sequence[str]  # "<@U1>: text", already condensed


@dataclass(frozen=True, slots=True)
class DecisionLine:
    """A decision as the record shows it: at its question, with who took it."""

    question: str  # texts already in the right language
    decision: str
    by: str | None


@dataclass(frozen=True, slots=True)
class Summary:
    code: str
    phase: Phase
    items: Sequence[SummaryItem]
    decisions: Sequence[DecisionLine]
    next_phase: Phase | None
    closed: bool
    skipped: Sequence[Step] = ()
    # The phases the meeting went through, when it moved on to another one.
    phases: Sequence[Phase] = ()
    # The decision question the meeting ended before, if any (its text).
    undecided: str | None = None
    closing_pending: bool = False  # decided to close; a regisseur finishes it (/casus afsluiten)
    # The next meeting when one is planned already: when (local, formatted) and its phase.
    next_meeting: str | None = None
    next_meeting_phase: Phase | None = None


def summary_messages(lang: str, summary: Summary) -> list[list[dict[str, Any]]]:
    """The end-of-meeting summary, split over as many messages as Slack's limits need."""
    blocks: list[Block] = [
        HeaderBlock(text=t(lang, "summary.header", code=summary.code)[:HEADER_LIMIT]),
        SectionBlock(
            text=md(
                t(
                    lang,
                    "summary.phase",
                    phase=" → ".join(p.title.get(lang) for p in summary.phases or [summary.phase]),
                )
            )
        ),
        DividerBlock(),
    ]
    if not summary.items:
        blocks.append(SectionBlock(text=md(f"_{t(lang, 'summary.no_contributions')}_")))
    for item in summary.items:
        text = f"*{item.step.text.get(lang)}*\n" + "\n".join(f"• {line}" for line in item.lines)
        blocks += [SectionBlock(text=md(chunk)) for chunk in split_text(text)]
    if summary.skipped:
        names = ", ".join(step.text.get(lang) for step in summary.skipped)
        blocks.append(context(t(lang, "summary.skipped", steps=names)[:SECTION_TEXT_LIMIT]))
    blocks.append(DividerBlock())
    lines = [
        t(
            lang,
            "summary.decision",
            question=line.question,
            decision=line.decision,
            by=mention(line.by) if line.by else "—",
        )
        for line in summary.decisions
    ]
    if summary.undecided is not None:
        lines.append(t(lang, "summary.undecided", question=summary.undecided))
    if not lines:
        lines.append(t(lang, "summary.no_decision"))
    blocks += [SectionBlock(text=md(chunk)) for chunk in split_text("\n".join(lines))]
    if summary.closed:
        after = t(lang, "summary.closed")
    elif summary.closing_pending:
        after = t(lang, "closing.pending_summary")
    elif summary.next_meeting is not None:
        phase = summary.next_meeting_phase or summary.next_phase or summary.phase
        after = t(
            lang, "summary.next_planned", when=summary.next_meeting, phase=phase.title.get(lang)
        )
    else:
        phase = summary.next_phase or summary.phase
        after = t(lang, "summary.next", phase=phase.title.get(lang))
    blocks.append(SectionBlock(text=md(after)))
    return messages(blocks)
