"""Every listener, registered in one place so the bot's surface fits on one screen.

Each line names the access it needs; bot.access enforces it before the handler runs.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import confidentiality, prep
from bot.access import Access
from bot.ids import VOTE_PATTERN, ActionId, Command, ViewId
from bot.listeners import cases, commands, home, meetings, thread, votes
from bot.listeners.wiring import acked, acked_view
from bot.runtime import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(Command.CASUS)(acked(deps, commands.casus_command, Access.ANYONE))
    app.event("app_home_opened")(acked(deps, home.publish_home, Access.ANYONE))
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
