"""The bot's whole surface on one screen: every command, action, view and event with the access
it needs, the reminder sender for every kind, and the renderer for every kind of Slack object.

bot.kit.access enforces each line's access before its handler runs; a handler for a case gets
the guarded turn (the type checker holds each line to that). Features are reached only from
here: no feature imports another's listeners (tests/test_imports.py).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.agreements import answers, family, family_listeners, postponed
from bot.agreements import escalation as escalation_posts
from bot.agreements import escalation_answers as escalations
from bot.agreements import listeners as agreements
from bot.agreements import message as agreements_message
from bot.agreements import plan_render as veiligheidsplan
from bot.agreements import reminders as agreement_reminders
from bot.agreements import review_answers as review
from bot.cases import listeners as cases
from bot.cases import member_listeners as members
from bot.cases import objects as case_objects
from bot.closing import listeners as closing
from bot.closing import objects as closing_objects
from bot.closing import reminders as closing_reminders
from bot.home import listeners as home
from bot.kit.access import Access
from bot.kit.ids import VOTE_PATTERN, ActionId, Command, ObjectKind, ViewId
from bot.kit.notices import render_notice
from bot.kit.objects import FeatureRenderer
from bot.kit.reminders import Sender
from bot.kit.runtime import Deps
from bot.kit.wiring import Route, acked, acked_view, route, subcommands
from bot.meetings import listeners as meetings
from bot.meetings import minutes, rhythm
from bot.meetings import reminders as meeting_reminders
from bot.meetings import render as meeting_render
from bot.prep import listeners as prep
from bot.prep import reminders as prep_reminders
from bot.prep import render as prep_render
from bot.reports import listeners as reports
from bot.reports import publish, timeline
from bot.votes import involved_listeners as involved
from bot.votes import involved_use_cases as involved_cases
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
    # The agreements for the family (issue 16): the casusregisseur's, checked by the handler.
    "gezin": route(family_listeners.make_family_version, Access.STEER),
    "family": route(family_listeners.make_family_version, Access.STEER),
    # Around the meeting (issue 15): the regisseurs read and summarise the prep; whether the
    # people involved were told the outcome.
    "voorbereiding": route(prep.review, Access.STEER),
    "prep": route(prep.review, Access.STEER),
    "geinformeerd": route(involved.open_informed_form, Access.STEER),
    "geïnformeerd": route(involved.open_informed_form, Access.STEER),
    "informed": route(involved.open_informed_form, Access.STEER),
    "leden": route(members.open_members_form, Access.STEER),
    "members": route(members.open_members_form, Access.STEER),
    "afsluiten": route(closing.open_close_form, Access.STEER),
    "close": route(closing.open_close_form, Access.STEER),
}

# The poller's senders, one per reminder kind. A dict the tests may add a kind to.
SENDERS: dict[str, Sender] = {
    ReminderKind.PREP: prep_reminders.send_prep,
    ReminderKind.PREP_NUDGE: prep_reminders.send_nudge,
    ReminderKind.MEETING: meeting_reminders.send_meeting_reminder,
    ReminderKind.ACTION_DUE: agreement_reminders.send_action_due,
    ReminderKind.BODEMEIS_CHECK: agreement_reminders.send_bodemeis_check,
    ReminderKind.BODEMEIS_ESCALATION: agreement_reminders.send_escalation,
    ReminderKind.NO_NEXT_MEETING: rhythm.send_no_next_meeting,
    ReminderKind.AFTERCARE: closing_reminders.send_aftercare,
    ReminderKind.ESCALATION_PICKUP: agreement_reminders.send_pickup,
    ReminderKind.ESCALATION_PICKUP_AGAIN: agreement_reminders.send_pickup,
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
    ObjectKind.FAMILY_VIEW: involved_cases.render_views,
    ObjectKind.TREND: vote_render.render_trend,
    ObjectKind.TREND_CHART: vote_render.render_trend_chart,
    ObjectKind.AGREEMENTS: agreements_message.render_message,
    ObjectKind.NOT_POSSIBLE: agreements_message.render_not_possible,
    ObjectKind.REPORT_FILE: publish.render_report_file,
    ObjectKind.TIMELINE: timeline.render_timeline,
    ObjectKind.CASE_ANNOUNCEMENT: case_objects.render_announcement,
    ObjectKind.CASE_STATEMENT: case_objects.render_statement,
    ObjectKind.PREP_SUMMARY: prep_render.render_prep_summary,
    ObjectKind.CASE_NOTICE: render_notice,
    ObjectKind.CASE_JOINED: case_objects.render_joined,
    ObjectKind.CASE_CLOSING: closing_objects.render_announcement,
    ObjectKind.CLOSE_PROMPT: closing_objects.render_prompt,
    ObjectKind.ESCALATION: escalation_posts.render_escalation,
    ObjectKind.ESCALATION_NEWS: escalation_posts.render_news,
    ObjectKind.VEILIGHEIDSPLAN: veiligheidsplan.render_plan,
    ObjectKind.POSTPONED_PAST_MEETING: postponed.render_past_meeting_note,
    ObjectKind.FAMILY_FILE: family.render_family_file,
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
    # Absence and stand-ins: anyone, for themselves, from the home tab.
    app.action(ActionId.ABSENCE_OPEN)(acked(deps, home.open_absence_form, Access.ANYONE))
    app.action(ActionId.ABSENCE_END)(acked(deps, home.end_absence_now, Access.ANYONE))
    app.view(ViewId.ABSENCE)(
        acked_view(deps, home.validate_absence, home.save_absence, Access.ANYONE)
    )
    # Thread replies are the minutes; the handler guards the reply's author itself.
    app.event("message")(acked(deps, minutes.on_message, Access.ANYONE))

    app.view(ViewId.NEW_CASE)(
        acked_view(deps, cases.validate_new_case, cases.create_new_case, Access.ANYONE)
    )
    app.view(ViewId.PLAN_MEETING)(
        acked_view(deps, meetings.validate_plan, meetings.plan, Access.STEER)
    )
    # Attendance (issue 15): participants check in; the regisseurs keep the list.
    app.action(ActionId.ATTENDANCE_CHECK_IN)(acked(deps, meetings.check_in, Access.MEMBER))
    app.action(ActionId.ATTENDANCE_OPEN)(acked(deps, meetings.open_attendance_form, Access.STEER))
    app.view(ViewId.ATTENDANCE)(
        acked_view(deps, meetings.validate_attendance, meetings.save_attendance, Access.STEER)
    )
    app.view(ViewId.FAMILY_VIEW)(
        acked_view(deps, involved.validate_views, involved.save_views, Access.STEER)
    )
    app.view(ViewId.INFORMED)(
        acked_view(deps, involved.validate_informed, involved.save_informed, Access.STEER)
    )

    steering = {
        ActionId.MEETING_START: meetings.start,
        ActionId.MEETING_NEXT: meetings.next_question,
        ActionId.MEETING_PREVIOUS: meetings.previous_question,
        ActionId.MEETING_SKIP: meetings.skip_question,
        ActionId.MEETING_END: meetings.end,
        ActionId.MEETING_END_UNDECIDED: meetings.end_undecided,
        ActionId.MEETING_DECIDE: meetings.decide,
        ActionId.MEETING_TO_AGREEMENTS: meetings.to_agreements,
        ActionId.MEETING_REDRAW: meetings.redraw,
    }
    for action_id, handler in steering.items():
        app.action(action_id)(acked(deps, handler, Access.STEER))

    # Scale votes: every participant votes (vote_1 .. vote_10, registered first, above);
    # regisseurs reveal and re-open.
    app.action(ActionId.VOTE_REVEAL)(acked(deps, votes.reveal, Access.STEER))
    app.action(ActionId.VOTE_NEW_ROUND)(acked(deps, votes.new_round, Access.STEER))
    app.action(ActionId.FAMILY_VIEW_OPEN)(acked(deps, involved.open_views_form, Access.STEER))
    app.action(ActionId.INFORMED_OPEN)(acked(deps, involved.open_informed_form, Access.STEER))
    # `/casus trend` and `/casus tijdlijn` answer privately; these buttons share them.
    app.action(ActionId.SHARE_TREND)(acked(deps, votes.share_trend, Access.READ))
    app.action(ActionId.SHARE_TIMELINE)(acked(deps, reports.share_timeline, Access.READ))

    # Guests confirm before the guard lets them in; the handler checks they are a guest.
    app.action(ActionId.CONFIRM_CONFIDENTIALITY)(
        acked(deps, cases.confirm_confidentiality, Access.ANYONE)
    )
    app.action(ActionId.CONFIDENTIALITY_DECLINE)(
        acked(deps, cases.decline_confidentiality, Access.ANYONE)
    )

    # Who is in a case: regisseurs add and remove participants; whoever joins a case channel
    # is met by what they may see, and a stranger is reported to the regisseurs.
    app.event("member_joined_channel")(acked(deps, members.member_joined, Access.ANYONE))
    app.action(ActionId.MEMBERS_OPEN)(acked(deps, members.open_members_form, Access.STEER))
    app.view(ViewId.MEMBERS)(
        acked_view(deps, members.validate_members, members.save_members, Access.STEER)
    )
    app.action(ActionId.JOIN_REGISTER)(acked(deps, members.register_joiner, Access.STEER))
    app.action(ActionId.JOIN_REMOVE)(acked(deps, members.remove_joiner, Access.STEER))

    # A safe close: the form lists what is open; without an afsluitingsplan a reason is asked.
    # The aftercare question comes to a closed case: its answers read (READ) and the use case
    # checks the regisseur.
    app.action(ActionId.CLOSE_CASE_OPEN)(acked(deps, closing.open_close_form, Access.STEER))
    app.view(ViewId.CLOSE_CASE)(
        acked_view(deps, closing.validate_close, closing.save_close, Access.STEER)
    )
    app.action(ActionId.AFTERCARE_WELL)(acked(deps, closing.aftercare_well, Access.READ))
    app.action(ActionId.AFTERCARE_REOPEN)(acked(deps, closing.aftercare_reopen, Access.READ))

    # Prep before a meeting: invitees open the questions from their DM and save them.
    app.action(ActionId.PREP_OPEN)(acked(deps, prep.open_form, Access.MEMBER))
    app.view(ViewId.PREP)(acked_view(deps, prep.validate, prep.save, Access.MEMBER))
    # The regisseurs read the prep as it arrives and write their summary until the start.
    app.action(ActionId.PREP_REVIEW)(acked(deps, prep.review, Access.STEER))
    app.action(ActionId.PREP_SUMMARY_OPEN)(acked(deps, prep.open_summary_form, Access.STEER))
    app.view(ViewId.PREP_SUMMARY)(
        acked_view(deps, prep.validate_summary, prep.save_summary, Access.STEER)
    )

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

    # The case between meetings (issue 16): every escalation has an owner ("Ik pak dit op",
    # any participant; resolving: the owner or a regisseur).
    app.action(ActionId.ESCALATION_PICK_UP)(acked(deps, escalations.pick_up, Access.MEMBER))
    app.action(ActionId.ESCALATION_RESOLVE_OPEN)(
        acked(deps, escalations.open_resolve_form, Access.MEMBER)
    )
    app.view(ViewId.ESCALATION_RESOLVE)(
        acked_view(deps, escalations.validate_resolve, escalations.save_resolve, Access.MEMBER)
    )
    # Bodemeisen reviewed at "Zijn hier nog aanpassingen in nodig?" or from the home tab.
    app.action(ActionId.BODEMEIS_KEEP)(acked(deps, review.keep_it, Access.STEER))
    app.action(ActionId.BODEMEIS_CHANGE_OPEN)(acked(deps, review.open_change_form, Access.STEER))
    app.action(ActionId.BODEMEIS_END_OPEN)(acked(deps, review.open_end_form, Access.STEER))
    app.view(ViewId.BODEMEIS_CHANGE)(
        acked_view(deps, review.validate_change, review.save_change, Access.STEER)
    )
    app.view(ViewId.BODEMEIS_END)(
        acked_view(deps, review.validate_end, review.save_end, Access.STEER)
    )
