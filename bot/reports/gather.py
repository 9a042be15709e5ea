"""Collect one meeting's report from the database and Slack profiles (names, organisations).

Database reads happen in one session; Slack is asked for names afterwards, never while a
transaction is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.blocks import local_day, local_time
from bot.kit.i18n import t
from bot.kit.runtime import Deps
from bot.kit.slack import display_names
from bot.reports.model import (
    ActionItem,
    Bodemeis,
    Contribution,
    Decided,
    Person,
    QuestionMinutes,
    Report,
    ScoreRound,
)
from bot.votes.involved import informed_line, role_name
from flows import meeting as machine
from flows.errors import MoveError
from flows.meeting import MeetingState
from flows.model import Catalogue
from flows.scale import Tally
from flows.steps import StepKind, step_by_key
from storage.agreements import Agreement, AgreementKind, AgreementStatus, agreements_of_meeting
from storage.attendance import Seat, missing_organisations, seats
from storage.audit import deciders
from storage.bodemeisen import BodemeisSeries, bodemeis_history
from storage.cases import case_by_id, participants
from storage.contributions import contributions
from storage.involved import informed_of, views_of_meeting
from storage.meetings import load_state, meeting_by_id, meetings_of_case
from storage.models import Attendance, Meeting, Participant, Role, row_id
from storage.votes import rounds_of_meeting, votes


async def gather_report(
    deps: Deps, client: AsyncWebClient, *, meeting_id: int, lang: str
) -> Report:
    catalogue, tz = deps.catalogue, deps.settings.timezone
    async with deps.db.session() as session:
        meeting = await meeting_by_id(session, meeting_id=meeting_id)
        case = await case_by_id(session, case_id=meeting.case_id) if meeting else None
        if meeting is None or case is None:
            raise LookupError(f"no meeting {meeting_id}")
        case_id = row_id(case)
        members = await participants(session, case_id=case_id)
        table = await seats(session, meeting_id=meeting_id)
        replies = await contributions(session, meeting_id=meeting_id)
        rounds = await rounds_of_meeting(session, meeting_id=meeting_id)
        round_votes = {
            row_id(r): await votes(session, round_id=row_id(r)) for r in rounds if r.closed_at
        }
        series = [
            s
            for s in await bodemeis_history(session, case_id=case_id)
            if len(s.versions) > 1 or not s.active
        ]
        by_decision = await deciders(session, meeting_id=meeting_id)
        views = await views_of_meeting(session, meeting_id=meeting_id)
        informed = await informed_of(session, meeting_id=meeting_id)
        agreed = await agreements_of_meeting(session, meeting_id=meeting_id)
        earlier = [
            m for m in await meetings_of_case(session, case_id=case_id) if row_id(m) < meeting_id
        ]
        previous = (
            await agreements_of_meeting(session, meeting_id=row_id(earlier[-1])) if earlier else []
        )
        next_meeting_ids = [a.next_meeting_id for a in agreed if a.next_meeting_id]
        next_meeting = (
            await meeting_by_id(session, meeting_id=next_meeting_ids[-1])
            if next_meeting_ids
            else None
        )
    people = [m.user_id for m in members] + [s.user_id for s in table]
    people += [r.user_id for r in replies]
    people += list(by_decision.values())
    people += [a.owner_user_id or "" for a in agreed + previous if a.owner_user_id]
    people += [a.monitor_user_id or "" for a in agreed if a.monitor_user_id]
    people += [v.monitor_user_id or "" for s in series for v in s.versions if v.monitor_user_id]
    people += [s.current.ended_by or "" for s in series if s.current.ended_by]
    names = await display_names(client, people)
    organisation = {m.user_id: m.organisation for m in members}

    def label(user: str) -> str:
        org = organisation.get(user)
        return f"{names.get(user, user)} ({org})" if org else names.get(user, user)

    state = load_state(meeting)
    phases = [catalogue.phase(key) for key in state.route]
    # The questions of every phase the meeting went through, never those a decision passed by.
    steps = machine.walk(catalogue, state)
    by_step: dict[str, list[Contribution]] = {}
    for reply in replies:
        by_step.setdefault(reply.step_key, []).append(
            Contribution(label(reply.user_id), reply.text or "")
        )
    taken = machine.decisions_taken(catalogue, state)

    def decided(option_key: str) -> str:
        by = by_decision.get(option_key)
        return names.get(by, by) if by else "—"

    decisions = tuple(
        Decided(_question_text(catalogue, d.question_key, lang), d.text.get(lang), decided(d.key))
        for d in taken
    )
    at_question = {d.question_key: item for d, item in zip(taken, decisions, strict=True)}
    minutes = tuple(
        QuestionMinutes(
            step.text.get(lang), tuple(by_step.get(step.key, ())), at_question.get(step.key)
        )
        for step in steps
        if step.kind is StepKind.QUESTION
        and not (step.only_if_closing and not by_step.get(step.key))
    )
    named = deps.settings.scores_named
    score_rounds = tuple(
        _score_round(r.number, round_votes[row_id(r)], names, named=named)
        for r in rounds
        if row_id(r) in round_votes
    )
    outcome = machine.course(catalogue, state)
    # Attendance as people checked in and the regisseurs marked it; nobody marked is absent.
    status = {seat.user_id: seat.attendance for seat in table}
    added = {seat.user_id for seat in table if seat.added}

    def person(user: str) -> Person:
        suffix = f" ({t(lang, 'report.added')})" if user in added else ""
        return Person(names.get(user, user) + suffix, organisation.get(user, ""))

    def having(*wanted: Attendance | None) -> tuple[Person, ...]:
        return tuple(person(seat.user_id) for seat in table if status[seat.user_id] in wanted)

    return Report(
        code=case.code,
        referring_partner=case.referring_partner,
        phase=" → ".join(p.title.get(lang) for p in phases),
        goal=phases[0].goal.get(lang),
        date=local_time(lang, meeting.started_at or meeting.scheduled_at, tz),
        **_attendance(table, having, members),
        confidentiality=tuple(
            (names.get(m.user_id, m.user_id), local_time(lang, m.confidentiality_confirmed_at, tz))
            for m in members
            if m.role == Role.GAST
        ),
        minutes=minutes,
        scale_question=" / ".join(p.scale.text.get(lang) for p in phases),
        score_rounds=score_rounds,
        involved=tuple((role_name(lang, v.role), v.score, v.text or "") for v in views),
        informed=informed_line(
            lang, informed.answer if informed else None, informed.reason if informed else None
        ),
        decision=decisions[-1].decision if decisions else None,
        decided_by=decisions[-1].by if decisions else None,
        decisions=decisions,
        undecided=_undecided(catalogue, state, lang),
        next_phase=_next_phase(catalogue, outcome.next_phase, decided=bool(decisions), lang=lang),
        closed=outcome.closed,
        **_agreements(lang, agreed, previous, next_meeting, names, tz),
        bodemeis_history=tuple(_history(lang, one, names, tz) for one in series),
    )


def _interval(lang: str, days: int | None) -> str:
    if days in (7, 14, 28):
        return t(lang, f"agreements.interval_{days}")
    return t(lang, "report.every_days", n=days)


def _history(
    lang: str, series: BodemeisSeries, names: dict[str, str], tz: ZoneInfo
) -> tuple[str, ...]:
    """A bodemeis's versions, oldest first, then how it ended: what was agreed when."""
    lines = [" ".join((series.versions[0].text or "").split())]
    for v in series.versions:
        lines.append(
            t(
                lang,
                "report.version",
                version=v.version,
                since=local_time(lang, v.created_at, tz),
                text=" ".join((v.text or "").split()),
                monitor=names.get(v.monitor_user_id or "", v.monitor_user_id or "—"),
                interval=_interval(lang, v.interval_days),
            )
        )
    last = series.current
    if last.status == AgreementStatus.ENDED:
        lines.append(
            t(
                lang,
                "report.ended",
                when=local_time(lang, last.ended_at, tz),
                by=names.get(last.ended_by or "", last.ended_by or "—"),
                reason=" ".join((last.end_reason or "").split()),
            )
        )
    return tuple(lines)


def _attendance(
    table: list[Seat],
    having: Callable[..., tuple[Person, ...]],
    members: list[Participant],
) -> dict[str, Any]:
    """Who was present, afgemeld, absent; a meeting held before attendance was kept (nobody
    marked at all) lists its invitees as such, not as absent."""
    if table and all(seat.attendance is None for seat in table):
        return {"attendees": (), "absent": (), "invited_only": having(None)}
    return {
        "attendees": having(Attendance.PRESENT),
        "excused": having(Attendance.EXCUSED),
        "absent": having(Attendance.ABSENT, None),
        "missing_organisations": tuple(missing_organisations(table, members)),
    }


def _agreements(
    lang: str,
    agreed: list[Agreement],
    previous: list[Agreement],
    next_meeting: Meeting | None,
    names: dict[str, str],
    tz: ZoneInfo,
) -> dict[str, Any]:
    """The Besluitvorming and samenwerking parts of the report, from the stored agreements."""

    def who(agreement: Agreement) -> str:
        if agreement.owner_user_id:
            return names.get(agreement.owner_user_id, agreement.owner_user_id)
        return agreement.owner_organisation or "—"

    def action(agreement: Agreement) -> ActionItem:
        when = local_day(lang, agreement.due_date) if agreement.due_date else "—"
        status = t(lang, f"report.status_{agreement.status}")
        if agreement.status == AgreementStatus.NOT_POSSIBLE and agreement.reason:
            status = f"{status}: {agreement.reason}"
        return ActionItem(agreement.text or "", who(agreement), when, status)

    collaboration = next((a for a in agreed if a.kind == AgreementKind.COLLABORATION), None)
    closure = next((a for a in agreed if a.kind == AgreementKind.CLOSURE), None)
    return {
        "actions": tuple(action(a) for a in agreed if a.kind == AgreementKind.ACTION),
        "bodemeisen": tuple(
            Bodemeis(
                a.text or "",
                names.get(a.monitor_user_id or "", a.monitor_user_id or "—"),
                t(lang, f"agreements.interval_{a.interval_days}")
                if a.interval_days in (7, 14, 28)
                else t(lang, "report.every_days", n=a.interval_days),
            )
            for a in agreed
            if a.kind == AgreementKind.BODEMEIS
        ),
        "next_meeting": local_time(lang, next_meeting.scheduled_at, tz) if next_meeting else None,
        "timeline": collaboration.text if collaboration else None,
        "escalation_plan": collaboration.escalation_plan if collaboration else None,
        "informing": collaboration.informing if collaboration else None,
        "closure_plan": closure.text if closure else None,
        "previous_actions": tuple(action(a) for a in previous if a.kind == AgreementKind.ACTION),
    }


def _score_round(
    number: int, scores: dict[str, int], names: dict[str, str], *, named: bool
) -> ScoreRound:
    """A revealed round: every score by name when scores are named (CASUSBOT_SCORES_NAMED),
    else only how many gave each score."""
    tally = Tally.of(scores.values())
    ranked = sorted(((names.get(u, u), v) for u, v in scores.items()), key=lambda pair: pair[1])
    return ScoreRound(
        number=number,
        scores=tuple(ranked) if named else (),
        median=tally.median,
        low=tally.minimum,
        high=tally.maximum,
        counts=tuple((score, n) for score, n in tally.counts.items() if n),
    )


def _question_text(catalogue: Catalogue, key: str, lang: str) -> str:
    step = step_by_key(catalogue, key)
    return step.text.get(lang) if step is not None else key


def _undecided(catalogue: Catalogue, state: MeetingState, lang: str) -> str | None:
    """The decision question the meeting ended before, if it did."""
    try:
        waiting = machine.undecided(catalogue, state)
    except MoveError:
        return None
    return waiting.text.get(lang) if waiting is not None else None


def _next_phase(
    catalogue: Catalogue, next_phase: str | None, *, decided: bool, lang: str
) -> str | None:
    """The phase of the next meeting, once the meeting decided something."""
    if not decided or next_phase is None:
        return None
    return catalogue.phase(next_phase).title.get(lang)
