"""Every action_id and callback_id the bot uses, in one place (DESIGN §3).

Entity ids never go in these; they travel in a button's `value` or a view's
`private_metadata` (bot.payloads.Ref) and are validated on arrival.
"""

from enum import StrEnum


class Command(StrEnum):
    CASUS = "/casus"


class ActionId(StrEnum):
    HOME_NEW_CASE = "home_new_case"
    MEETING_START = "meeting_start"
    MEETING_NEXT = "meeting_next"
    MEETING_PREVIOUS = "meeting_previous"
    MEETING_SKIP = "meeting_skip"
    MEETING_END = "meeting_end"
    MEETING_END_UNDECIDED = "meeting_end_undecided"
    MEETING_DECIDE = "meeting_decide"


class ViewId(StrEnum):
    HOME = "home"
    NEW_CASE = "new_case"
    PLAN_MEETING = "plan_meeting"


class Field(StrEnum):
    """Block ids (= action ids) of modal inputs."""

    CODE = "code"
    PHASE = "phase"
    PROCESREGISSEUR = "procesregisseur"
    CASUSREGISSEUR = "casusregisseur"
    PARTICIPANTS = "participants"
    GUESTS = "guests"
    CHANNEL = "channel"
    DATE = "date"
    TIME = "time"
    INVITED = "invited"
