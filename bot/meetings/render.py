"""Drawing the meeting's Slack objects from stored state (the outbox's renderers, DESIGN §2).

Each renderer reads what it shows when it runs, so a retry or a redraw always shows the latest
truth: whether a question is the current one (with the regisseur's buttons, carrying the
meeting's version) or a passed one is decided here from the stored meeting, not remembered from
the move that posted it. Where another part of the bot still finds a message through the
meeting's own columns (the thread's ts for the minutes), the renderer keeps that column equal to
what Slack has.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import SectionBlock

from bot.agreements.blocks import agreement_buttons
from bot.agreements.review import is_review_step, question_review
from bot.kit.blocks import dicts, local_time, md, mention
from bot.kit.i18n import t
from bot.kit.objects import meeting_of, payload_int
from bot.kit.payloads import Ref
from bot.kit.runtime import Deps
from bot.meetings.blocks import (
    MeetingView,
    overview_message,
    parent_message,
    parent_text,
    passed_question,
    planning_message,
    question_message,
)
from bot.meetings.decisions import decision_view
from bot.meetings.objects import current_question
from bot.meetings.overview import gather
from bot.meetings.summary import summary_parts
from bot.outbox import RenderContext, Rendered, RenderFailed, post_or_update
from bot.prep.blocks import status_blocks
from flows.meeting import MeetingState, Status, current_step
from flows.steps import phase_steps, step_by_key
from storage.attendance import missing_organisations, seats
from storage.cases import participants
from storage.meetings import invitees, load_state, running_meeting, set_messages
from storage.models import Case, Meeting, MeetingStatus
from storage.prep import prep_status


@dataclass(frozen=True, slots=True)
class Stored:
    """The meeting an object shows, as stored now."""

    meeting: Meeting
    case: Case
    state: MeetingState

    @property
    def meeting_id(self) -> int:
        return self.meeting.id or 0


async def _stored(deps: Deps, ctx: RenderContext) -> Stored:
    meeting, case = await meeting_of(deps, ctx)
    return Stored(meeting, case, load_state(meeting))


async def _remember(meeting_id: int, deps: Deps, **where: str | None) -> None:
    """Keep the meeting's columns equal to where Slack has its messages."""
    async with deps.db.session() as session:
        await set_messages(session, meeting_id=meeting_id, **where)


async def render_planning(deps: Deps, ctx: RenderContext) -> Rendered:
    """The planning message: time, phase, invitees, who prepared and the Start button; once
    the meeting started (or ended), a note that points to its thread."""
    stored = await _stored(deps, ctx)
    meeting, case, lang = stored.meeting, stored.case, deps.settings.language
    if meeting.status != MeetingStatus.PLANNED:
        started = t(lang, "meeting.started_note", code=case.code)
        rendered = await post_or_update(
            ctx, text=started, blocks=dicts([SectionBlock(text=md(started))])
        )
    else:
        async with deps.db.session() as session:
            invited = await invitees(session, meeting_id=stored.meeting_id)
            status = await prep_status(session, meeting_id=stored.meeting_id)
            running = await running_meeting(session, case_id=meeting.case_id)
        blocks = planning_message(
            lang,
            code=case.code,
            phase=deps.catalogue.phase(meeting.phase),
            when=meeting.scheduled_at,
            invited=invited,
            tz=deps.settings.timezone,
            # No Start while another meeting of the case runs (it would run beside it).
            start=Ref(meeting_id=meeting.id, version=meeting.version) if running is None else None,
        ) + status_blocks(lang, status, review=Ref(meeting_id=meeting.id))
        text = t(lang, "meeting.planned_short", code=case.code)
        rendered = await post_or_update(ctx, text=text, blocks=blocks)
    if rendered.ts != meeting.planning_ts:
        await _remember(stored.meeting_id, deps, planning_ts=rendered.ts)
    return rendered


async def render_moved(deps: Deps, ctx: RenderContext) -> Rendered:
    """The channel's note that a planned meeting moved, with its (latest) time."""
    stored = await _stored(deps, ctx)
    lang, tz = deps.settings.language, deps.settings.timezone
    when = local_time(lang, stored.meeting.scheduled_at, tz)
    text = t(lang, "meeting.moved", code=stored.case.code, when=when)
    return await post_or_update(ctx, text=text)


async def render_parent(deps: Deps, ctx: RenderContext) -> Rendered:
    """The parent message (its thread is the meeting): phase, who is present, where it is."""
    stored = await _stored(deps, ctx)
    meeting, state, lang = stored.meeting, stored.state, deps.settings.language
    async with deps.db.session() as session:
        table = await seats(session, meeting_id=stored.meeting_id)
        members = await participants(session, case_id=meeting.case_id)
    running = state.status is Status.RUNNING
    here = Ref(meeting_id=meeting.id)
    view = MeetingView(
        code=stored.case.code,
        # The phase the meeting is in now: a decision can take it on to another.
        phase=deps.catalogue.phase(state.phase),
        held_at=meeting.started_at or meeting.scheduled_at,
        seats=table,
        step=current_step(deps.catalogue, state),
        ended=state.status is Status.ENDED,
        redraw=here if running else None,
        missing=missing_organisations(table, members),
        attendance=here if running else None,
    )
    text = parent_text(lang, view)
    rendered = await post_or_update(
        ctx, text=text, blocks=parent_message(lang, view, deps.settings.timezone)
    )
    if rendered.ts != meeting.thread_ts:
        await _remember(
            stored.meeting_id, deps, thread_ts=rendered.ts, channel_id=rendered.channel_id
        )
    return rendered


async def render_overview(deps: Deps, ctx: RenderContext) -> Rendered:
    """Vooraf: what is known before the meeting (prep, open actions, bodemeis checks)."""
    stored = await _stored(deps, ctx)
    lang = deps.settings.language
    overview = await gather(deps, stored.case, stored.meeting)
    return await post_or_update(
        ctx, text=t(lang, "overview.title"), blocks=overview_message(lang, overview)
    )


async def render_question(deps: Deps, ctx: RenderContext) -> Rendered:
    """A question of the meeting: the current one with the buttons (they carry the meeting's
    version, so a click on an older drawing is refused), or a passed one without them."""
    stored = await _stored(deps, ctx)
    meeting, state, lang = stored.meeting, stored.state, deps.settings.language
    # Rows from before a meeting could change phase name no phase: the meeting's own.
    phase = str(ctx.payload.get("phase") or meeting.phase)
    if phase not in deps.catalogue.phase_keys:
        raise RenderFailed("step_gone")
    steps = phase_steps(deps.catalogue.phase(phase))
    index = payload_int(ctx.payload, "step")
    if not 0 <= index < len(steps):
        raise RenderFailed("step_gone")
    step = steps[index]
    async with deps.db.session() as session:
        newest = await current_question(session, stored.meeting_id)
    now = current_step(deps.catalogue, state)
    current = newest is not None and newest.id == ctx.id and now is not None and now.key == step.key
    if current:
        ref = Ref(meeting_id=meeting.id, version=meeting.version)
        decision = decision_view(deps.catalogue, state, step)
        blocks = question_message(lang, step, ref, decision=decision)
        # Besluitvorming, Afspraken, Afsluitingsplan: the buttons to record agreements.
        blocks += agreement_buttons(lang, step, ref) or []
        if is_review_step(step):  # "Zijn hier nog aanpassingen in nodig?" (issue 16)
            blocks += await question_review(
                deps, case_id=meeting.case_id, meeting_id=stored.meeting_id
            )
        text = step.text.get(lang)
    else:
        skipped = step.key in state.skipped
        blocks = passed_question(lang, step, skipped=skipped)
        # What changed, for notifications and screen readers: the question, and that it passed.
        note = t(lang, "meeting.skipped_note" if skipped else "meeting.discussed_note")
        text = f"{note}: {step.text.get(lang)}"
    rendered = await post_or_update(ctx, text=text, blocks=blocks)
    if current and rendered.ts != meeting.question_ts:
        await _remember(stored.meeting_id, deps, question_ts=rendered.ts)
    return rendered


async def render_decision(deps: Deps, ctx: RenderContext) -> Rendered:
    """A note in the thread: a decision taken at its question, or withdrawn (Vorige), or the
    meeting going on in another phase; and by whom."""
    await _stored(deps, ctx)  # raises RenderFailed when the case or meeting is gone
    lang, catalogue = deps.settings.language, deps.catalogue
    by = str(ctx.payload.get("by") or "")
    who = mention(by) if by else "—"
    note = str(ctx.payload.get("note") or "recorded")
    if note == "entered":
        phase = str(ctx.payload.get("phase") or "")
        left = str(ctx.payload.get("left") or "")
        if phase not in catalogue.phase_keys or left not in catalogue.phase_keys:
            raise RenderFailed("phase_gone")
        entry = str(ctx.payload.get("entry") or "beeldvorming")
        if entry not in ("beeldvorming", "afspraken", "undone"):
            raise RenderFailed("phase_gone")
        text = t(
            lang,
            f"meeting.phase_entered_{entry}",
            phase=catalogue.phase(phase).title.get(lang),
            left=catalogue.phase(left).title.get(lang),
            by=who,
        )
        return await post_or_update(ctx, text=text)
    name = str(ctx.payload.get("option") or "")
    step = step_by_key(catalogue, str(ctx.payload.get("question") or ""))
    option = step.option(name) if step is not None else None
    if step is None or option is None:
        raise RenderFailed("decision_gone")
    text = t(
        lang,
        "meeting.decision_withdrawn" if note == "withdrawn" else "meeting.decision_recorded",
        question=step.text.get(lang),
        decision=option.text.get(lang),
        by=who,
    )
    return await post_or_update(ctx, text=text)


async def render_summary(deps: Deps, ctx: RenderContext) -> Rendered:
    """One message of the summary posted when the meeting ended."""
    stored = await _stored(deps, ctx)
    part = payload_int(ctx.payload, "part")
    async with deps.db.session() as session:
        parts = await summary_parts(session, deps, stored.meeting, stored.case)
    if part >= len(parts):
        return Rendered()  # the summary came out shorter than when it was asked for
    lang = deps.settings.language
    return await post_or_update(
        ctx, text=t(lang, "summary.header", code=stored.case.code), blocks=parts[part]
    )
