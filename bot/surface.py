"""The bot's whole surface on one screen: every command, action, view and event with the access
it needs, the reminder sender for every kind, and the renderer for every kind of Slack object.

bot.kit.access enforces each line's access before its handler runs; a handler for a case gets
the guarded turn (the type checker holds each line to that). Features are reached only from
here: no feature imports another's listeners (tests/test_imports.py).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.agreements import answers
from bot.agreements import listeners as agreements
from bot.agreements import message as agreements_message
from bot.agreements import reminders as agreement_reminders
from bot.cases import listeners as cases
from bot.cases import objects as case_objects
from bot.home import listeners as home
from bot.kit.access import Access
from bot.kit.ids import VOTE_PATTERN, ActionId, Command, ObjectKind, ViewId
from bot.kit.objects import FeatureRenderer
from bot.kit.reminders import Sender
from bot.kit.runtime import Deps
from bot.kit.wiring import Route, acked, acked_view, route, subcommands
from bot.meetings import listeners as meetings
from bot.meetings import minutes
from bot.meetings import reminders as meeting_reminders
from bot.meetings import render as meeting_render
from bot.prep import listeners as prep
from bot.prep import reminders as prep_reminders
from bot.reports import listeners as reports
from bot.reports import publish, timeline
from bot.votes import listeners as votes
from bot.votes import render as vote_render
from flows.schedule import ReminderKind

# `/casus <subcommand>`: each with the access it needs.
SUBCOMMANDS: dict[str, Route] = {
    "help": route(home.show_help, Access.ANYONE),
    "hulp": route(home.show_help, Access.ANYONE),
    "nieuw": route(cases.open_new_case, Access.ANYONE),
    "new": route(cases.open_new_case, Access.ANYONE),
    "overleg": route(meetings.open_plan_form, Access.STEER),
    "plan": route(meetings.open_plan_form, Access.STEER),
    "start": route(meetings.start, Access.STEER),
    "trend": route(votes.show_trend, Access.READ),
    "verslag": route(reports.report, Access.READ),
    "report": route(reports.report, Access.READ),
    "tijdlijn": route(reports.timeline, Access.READ),
    "timeline": route(reports.timeline, Access.READ),
    "herstel": route(meetings.redraw, Access.STEER),
    "redraw": route(meetings.redraw, Access.STEER),
}

# The poller's senders, one per reminder kind. A dict the tests may add a kind to.
SENDERS: dict[str, Sender] = {
    ReminderKind.PREP: prep_reminders.send_prep,
    ReminderKind.PREP_NUDGE: prep_reminders.send_nudge,
    ReminderKind.MEETING: meeting_reminders.send_meeting_reminder,
    ReminderKind.ACTION_DUE: agreement_reminders.send_action_due,
    ReminderKind.BODEMEIS_CHECK: agreement_reminders.send_bodemeis_check,
    ReminderKind.BODEMEIS_ESCALATION: agreement_reminders.send_escalation,
}

# The outbox's renderers, one per kind of Slack object (DESIGN §2): each draws its object from
# stored state. A dict the tests may add a kind to.
RENDERERS: dict[str, FeatureRenderer] = {
    ObjectKind.MEETING_PLANNING: meeting_render.render_planning,
    ObjectKind.MEETING_MOVED: meeting_render.render_moved,
    ObjectKind.MEETING_PARENT: meeting_render.render_parent,
    ObjectKind.MEETING_OVERVIEW: meeting_render.render_overview,
    ObjectKind.MEETING_QUESTION: meeting_render.render_question,
    ObjectKind.MEETING_DECISION: meeting_render.render_decision,
    ObjectKind.MEETING_SUMMARY: meeting_render.render_summary,
    ObjectKind.BALLOT: vote_render.render_ballot,
    ObjectKind.RESULTS: vote_render.render_results,
    ObjectKind.BACK_AT_SCALE: vote_render.render_back_at_scale,
    ObjectKind.FAMILY_VIEW: vote_render.render_family,
    ObjectKind.TREND: vote_render.render_trend,
    ObjectKind.TREND_CHART: vote_render.render_trend_chart,
    ObjectKind.AGREEMENTS: agreements_message.render_message,
    ObjectKind.NOT_POSSIBLE: agreements_message.render_not_possible,
    ObjectKind.REPORT_FILE: publish.render_report_file,
    ObjectKind.TIMELINE: timeline.render_timeline,
    ObjectKind.CASE_ANNOUNCEMENT: case_objects.render_announcement,
    ObjectKind.CASE_STATEMENT: case_objects.render_statement,
}


def register(app: AsyncApp, deps: Deps) -> None:
    # The most frequent request first: Bolt tries its listeners in order, each at a cost, and a
    # vote storm is the bot's heaviest load (issue 19).
    app.action(VOTE_PATTERN)(acked(deps, votes.vote, Access.MEMBER))
    app.command(Command.CASUS)(acked(deps, subcommands(SUBCOMMANDS), Access.ANYONE))
    app.event("app_home_opened")(acked(deps, home.publish_home, Access.ANYONE))
    app.action(ActionId.HOME_PAGE)(acked(deps, home.turn_page, Access.ANYONE))
    app.action(ActionId.HOME_NEW_CASE)(acked(deps, cases.open_new_case, Access.ANYONE))
    app.action(ActionId.HOME_CHECK_NOW)(acked(deps, home.check_now, Access.MEMBER))
    # Thread replies are the minutes; the handler guards the reply's author itself.
    app.event("message")(acked(deps, minutes.on_message, Access.ANYONE))

    app.view(ViewId.NEW_CASE)(
        acked_view(deps, cases.validate_new_case, cases.create_new_case, Access.ANYONE)
    )
    app.view(ViewId.PLAN_MEETING)(
        acked_view(deps, meetings.validate_plan, meetings.plan, Access.STEER)
    )
    app.view(ViewId.FAMILY_VIEW)(
        acked_view(deps, votes.validate_family, votes.save_family, Access.STEER)
    )

    steering = {
        ActionId.MEETING_START: meetings.start,
        ActionId.MEETING_NEXT: meetings.next_question,
        ActionId.MEETING_PREVIOUS: meetings.previous_question,
        ActionId.MEETING_SKIP: meetings.skip_question,
        ActionId.MEETING_END: meetings.end,
        ActionId.MEETING_END_UNDECIDED: meetings.end_undecided,
        ActionId.MEETING_DECIDE: meetings.decide,
        ActionId.MEETING_REDRAW: meetings.redraw,
    }
    for action_id, handler in steering.items():
        app.action(action_id)(acked(deps, handler, Access.STEER))

    # Scale votes: every participant votes (vote_1 .. vote_10, registered first, above);
    # regisseurs reveal and re-open.
    app.action(ActionId.VOTE_REVEAL)(acked(deps, votes.reveal, Access.STEER))
    app.action(ActionId.VOTE_NEW_ROUND)(acked(deps, votes.new_round, Access.STEER))
    app.action(ActionId.FAMILY_VIEW_OPEN)(acked(deps, votes.open_family_form, Access.STEER))

    # Guests confirm before the guard lets them in; the handler checks they are a guest.
    app.action(ActionId.CONFIRM_CONFIDENTIALITY)(
        acked(deps, cases.confirm_confidentiality, Access.ANYONE)
    )

    # Prep before a meeting: invitees open the questions from their DM and save them.
    app.action(ActionId.PREP_OPEN)(acked(deps, prep.open_form, Access.MEMBER))
    app.view(ViewId.PREP)(acked_view(deps, prep.validate, prep.save, Access.MEMBER))

    # Agreements: regisseurs record them in the thread; owners and monitors answer their
    # reminders from a DM; the escalation's button plans an extra meeting.
    recording = {
        ActionId.AGREEMENT_ACTION_OPEN: agreements.open_action_form,
        ActionId.AGREEMENT_BODEMEIS_OPEN: agreements.open_bodemeis_form,
        ActionId.AGREEMENT_COLLABORATION_OPEN: agreements.open_collaboration_form,
        ActionId.AGREEMENT_CLOSURE_OPEN: agreements.open_closure_form,
        ActionId.ESCALATION_PLAN_MEETING: agreements.open_extra_meeting_form,
    }
    for action_id, opener in recording.items():
        app.action(action_id)(acked(deps, opener, Access.STEER))
    forms = {
        ViewId.AGREEMENT_ACTION: (agreements.validate_action, agreements.save_action),
        ViewId.AGREEMENT_BODEMEIS: (agreements.validate_bodemeis, agreements.save_bodemeis),
        ViewId.AGREEMENT_COLLABORATION: (
            agreements.validate_collaboration,
            agreements.save_collaboration,
        ),
        ViewId.AGREEMENT_CLOSURE: (agreements.validate_closure, agreements.save_closure),
    }
    for view_id, (validate, save) in forms.items():
        app.view(view_id)(acked_view(deps, validate, save, Access.STEER))
    replies = {
        ActionId.ACTION_DONE: answers.done,
        ActionId.ACTION_MORE_TIME: answers.later_due,
        ActionId.ACTION_NOT_POSSIBLE: answers.open_not_possible_form,
        ActionId.CHECK_MET: answers.check_met,
        ActionId.CHECK_NOT_MET: answers.check_not_met,
        ActionId.CHECK_UNKNOWN: answers.check_unknown,
        ActionId.CHECK_NOTE_OPEN: answers.open_note_form,
    }
    for action_id, answer in replies.items():
        app.action(action_id)(acked(deps, answer, Access.MEMBER))
    app.view(ViewId.ACTION_NOT_POSSIBLE)(
        acked_view(deps, answers.validate_not_possible, answers.save_not_possible, Access.MEMBER)
    )
    app.view(ViewId.CHECK_NOTE)(
        acked_view(deps, answers.validate_note, answers.save_check_note, Access.MEMBER)
    )
