"""Every listener, registered in one place so the bot's surface fits on one screen.

Each line names the access it needs; bot.access enforces it before the handler runs.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import confidentiality, prep
from bot.access import Access
from bot.ids import VOTE_PATTERN, ActionId, Command, ViewId
from bot.listeners import (
    agreement_answers,
    agreements,
    cases,
    commands,
    home,
    meetings,
    thread,
    votes,
)
from bot.listeners.wiring import acked, acked_view
from bot.runtime import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(Command.CASUS)(acked(deps, commands.casus_command, Access.ANYONE))
    app.event("app_home_opened")(acked(deps, home.publish_home, Access.ANYONE))
    app.action(ActionId.HOME_PAGE)(acked(deps, home.turn_page, Access.ANYONE))
    app.action(ActionId.HOME_NEW_CASE)(acked(deps, cases.open_new_case, Access.ANYONE))
    app.action(ActionId.HOME_CHECK_NOW)(acked(deps, home.check_now, Access.MEMBER))
    app.event("message")(acked(deps, thread.on_message, Access.ANYONE))

    app.view(ViewId.NEW_CASE)(
        acked_view(deps, cases.validate_new_case, cases.create_new_case, Access.ANYONE)
    )
    app.view(ViewId.PLAN_MEETING)(
        acked_view(deps, meetings.validate_plan, meetings.plan, Access.STEER)
    )
    app.view(ViewId.FAMILY_VIEW)(
        acked_view(deps, votes.validate_family, votes.record_family, Access.STEER)
    )

    steering = {
        ActionId.MEETING_START: meetings.start,
        ActionId.MEETING_NEXT: meetings.next_question,
        ActionId.MEETING_PREVIOUS: meetings.previous_question,
        ActionId.MEETING_SKIP: meetings.skip_question,
        ActionId.MEETING_END: meetings.end,
        ActionId.MEETING_END_UNDECIDED: meetings.end_undecided,
        ActionId.MEETING_DECIDE: meetings.decide,
    }
    for action_id, handler in steering.items():
        app.action(action_id)(acked(deps, handler, Access.STEER))

    # Scale votes: every participant votes (vote_1 .. vote_10); regisseurs reveal and re-open.
    app.action(VOTE_PATTERN)(acked(deps, votes.vote, Access.MEMBER))
    app.action(ActionId.VOTE_REVEAL)(acked(deps, votes.reveal, Access.STEER))
    app.action(ActionId.VOTE_NEW_ROUND)(acked(deps, votes.new_round, Access.STEER))
    app.action(ActionId.FAMILY_VIEW_OPEN)(acked(deps, votes.open_family_form, Access.STEER))

    # Guests confirm before the guard lets them in; the handler checks they are a guest.
    app.action(ActionId.CONFIRM_CONFIDENTIALITY)(
        acked(deps, confidentiality.confirm, Access.ANYONE)
    )

    # Prep before a meeting: invitees open the questions from their DM and save them.
    app.action(ActionId.PREP_OPEN)(acked(deps, prep.open_form, Access.MEMBER))
    app.view(ViewId.PREP)(acked_view(deps, prep.validate, prep.save, Access.MEMBER))

    # Agreements (issue 6): regisseurs record them in the thread; owners and monitors answer
    # their reminders from a DM; the escalation's button plans an extra meeting.
    recording = {
        ActionId.AGREEMENT_ACTION_OPEN: agreements.open_action_form,
        ActionId.AGREEMENT_BODEMEIS_OPEN: agreements.open_bodemeis_form,
        ActionId.AGREEMENT_COLLABORATION_OPEN: agreements.open_collaboration_form,
        ActionId.AGREEMENT_CLOSURE_OPEN: agreements.open_closure_form,
        ActionId.ESCALATION_PLAN_MEETING: agreements.open_extra_meeting_form,
    }
    for action_id, handler in recording.items():
        app.action(action_id)(acked(deps, handler, Access.STEER))
    forms = {
        ViewId.AGREEMENT_ACTION: (agreements.validate_action, agreements.record_action),
        ViewId.AGREEMENT_BODEMEIS: (agreements.validate_bodemeis, agreements.record_bodemeis),
        ViewId.AGREEMENT_COLLABORATION: (
            agreements.validate_collaboration,
            agreements.record_collaboration,
        ),
        ViewId.AGREEMENT_CLOSURE: (agreements.validate_closure, agreements.record_closure),
    }
    for view_id, (validate, record) in forms.items():
        app.view(view_id)(acked_view(deps, validate, record, Access.STEER))
    answers = {
        ActionId.ACTION_DONE: agreement_answers.action_done,
        ActionId.ACTION_MORE_TIME: agreement_answers.action_more_time,
        ActionId.ACTION_NOT_POSSIBLE: agreement_answers.open_not_possible_form,
        ActionId.CHECK_MET: agreement_answers.check_met,
        ActionId.CHECK_NOT_MET: agreement_answers.check_not_met,
        ActionId.CHECK_UNKNOWN: agreement_answers.check_unknown,
        ActionId.CHECK_NOTE_OPEN: agreement_answers.open_note_form,
    }
    for action_id, handler in answers.items():
        app.action(action_id)(acked(deps, handler, Access.MEMBER))
    reasons = (agreement_answers.validate_not_possible, agreement_answers.record_not_possible)
    app.view(ViewId.ACTION_NOT_POSSIBLE)(acked_view(deps, *reasons, Access.MEMBER))
    notes = (agreement_answers.validate_note, agreement_answers.record_note)
    app.view(ViewId.CHECK_NOTE)(acked_view(deps, *notes, Access.MEMBER))
