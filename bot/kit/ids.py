"""Every action_id and callback_id the bot uses, in one place (DESIGN §3).

Entity ids never go in these; they travel in a button's `value` or a view's
`private_metadata` (bot.kit.payloads.Ref) and are validated on arrival.
"""

import re
from enum import StrEnum


class Command(StrEnum):
    CASUS = "/casus"


class ActionId(StrEnum):
    HOME_NEW_CASE = "home_new_case"
    HOME_PAGE = "home_page"
    HOME_CHECK_NOW = "home_check_now"
    MEETING_START = "meeting_start"
    MEETING_NEXT = "meeting_next"
    MEETING_PREVIOUS = "meeting_previous"
    MEETING_SKIP = "meeting_skip"
    MEETING_END = "meeting_end"
    MEETING_END_UNDECIDED = "meeting_end_undecided"
    MEETING_DECIDE = "meeting_decide"
    MEETING_TO_AGREEMENTS = "meeting_to_agreements"
    # The parent message's small button: draw the running meeting again (as /casus herstel).
    MEETING_REDRAW = "meeting_redraw"
    # Attendance (issue 15): an invitee checks in; the regisseurs keep the list.
    ATTENDANCE_CHECK_IN = "attendance_check_in"
    ATTENDANCE_OPEN = "attendance_open"
    CONFIRM_CONFIDENTIALITY = "confirm_confidentiality"
    # One action id per score: Slack wants action ids unique within a block. The score itself
    # travels (and is validated) in the button's value; see VOTE_PATTERN.
    VOTE_1 = "vote_1"
    VOTE_2 = "vote_2"
    VOTE_3 = "vote_3"
    VOTE_4 = "vote_4"
    VOTE_5 = "vote_5"
    VOTE_6 = "vote_6"
    VOTE_7 = "vote_7"
    VOTE_8 = "vote_8"
    VOTE_9 = "vote_9"
    VOTE_10 = "vote_10"
    VOTE_REVEAL = "vote_reveal"
    VOTE_NEW_ROUND = "vote_new_round"
    FAMILY_VIEW_OPEN = "family_view_open"
    PREP_OPEN = "prep_open"
    # Around the meeting (issue 15): the people involved informed of the outcome; the
    # regisseurs read the prep and summarise it; the trend and timeline shared from private.
    INFORMED_OPEN = "informed_open"
    PREP_REVIEW = "prep_review"
    PREP_SUMMARY_OPEN = "prep_summary_open"
    SHARE_TREND = "share_trend"
    SHARE_TIMELINE = "share_timeline"
    # Agreements (issue 6): record them in the thread; answer their reminders in a DM.
    AGREEMENT_ACTION_OPEN = "agreement_action_open"
    AGREEMENT_BODEMEIS_OPEN = "agreement_bodemeis_open"
    AGREEMENT_COLLABORATION_OPEN = "agreement_collaboration_open"
    AGREEMENT_CLOSURE_OPEN = "agreement_closure_open"
    ACTION_DONE = "action_done"
    ACTION_MORE_TIME = "action_more_time"
    ACTION_NOT_POSSIBLE = "action_not_possible"
    CHECK_MET = "check_met"
    CHECK_NOT_MET = "check_not_met"
    CHECK_UNKNOWN = "check_unknown"
    CHECK_NOTE_OPEN = "check_note_open"
    ESCALATION_PLAN_MEETING = "escalation_plan_meeting"
    # Who is in a case, guests, a safe close, aftercare, absence (issues 16 and 18).
    CONFIDENTIALITY_DECLINE = "confidentiality_decline"
    MEMBERS_OPEN = "members_open"
    JOIN_REGISTER = "join_register"
    JOIN_REMOVE = "join_remove"
    CLOSE_CASE_OPEN = "close_case_open"
    AFTERCARE_WELL = "aftercare_well"
    AFTERCARE_REOPEN = "aftercare_reopen"
    ABSENCE_OPEN = "absence_open"
    ABSENCE_END = "absence_end"
    # The case between meetings (issue 16): escalations with an owner, bodemeisen reviewed
    # (blijft / aanpassen / beëindigen), the agreements for the family.
    ESCALATION_PICK_UP = "escalation_pick_up"
    ESCALATION_RESOLVE_OPEN = "escalation_resolve_open"
    BODEMEIS_KEEP = "bodemeis_keep"
    BODEMEIS_CHANGE_OPEN = "bodemeis_change_open"
    BODEMEIS_END_OPEN = "bodemeis_end_open"


class ObjectKind(StrEnum):
    """Every kind of Slack object the outbox renders (bot/surface.py lists each renderer)."""

    MEETING_PLANNING = "meeting.planning"
    MEETING_MOVED = "meeting.moved"
    MEETING_PARENT = "meeting.parent"
    MEETING_OVERVIEW = "meeting.overview"
    MEETING_QUESTION = "meeting.question"
    MEETING_DECISION = "meeting.decision"
    MEETING_SUMMARY = "meeting.summary"
    BALLOT = "votes.ballot"
    RESULTS = "votes.results"
    BACK_AT_SCALE = "votes.back_at_scale"
    FAMILY_VIEW = "votes.family"
    TREND = "votes.trend"
    TREND_CHART = "votes.trend_chart"
    AGREEMENTS = "agreements.message"
    NOT_POSSIBLE = "agreements.not_possible"
    REPORT_FILE = "reports.file"
    TIMELINE = "reports.timeline"
    CASE_ANNOUNCEMENT = "case.announcement"
    CASE_STATEMENT = "case.statement"
    # The case between meetings (issue 16).
    ESCALATION = "escalation.post"
    ESCALATION_NEWS = "escalation.news"
    VEILIGHEIDSPLAN = "case.veiligheidsplan"
    POSTPONED_PAST_MEETING = "agreements.postponed"
    FAMILY_FILE = "family.file"
    PREP_SUMMARY = "prep.summary"
    # A note about a case to a DM or the channel (bot/kit/notices.py); to a regisseur: someone
    # not in the case joined its channel, with buttons to register or remove them.
    CASE_NOTICE = "case.notice"
    CASE_JOINED = "case.joined"
    # A safe close (issue 16): the channel is told the case closed or reopened; a regisseur
    # whose closing meeting could not close the case yet gets the form's button.
    CASE_CLOSING = "closing.announcement"
    CLOSE_PROMPT = "closing.prompt"


class ViewId(StrEnum):
    HOME = "home"
    NEW_CASE = "new_case"
    PLAN_MEETING = "plan_meeting"
    FAMILY_VIEW = "family_view"
    PREP = "prep"
    PREP_SUMMARY = "prep_summary"
    INFORMED = "informed"
    AGREEMENT_ACTION = "agreement_action"
    AGREEMENT_BODEMEIS = "agreement_bodemeis"
    AGREEMENT_COLLABORATION = "agreement_collaboration"
    AGREEMENT_CLOSURE = "agreement_closure"
    ACTION_NOT_POSSIBLE = "action_not_possible"
    CHECK_NOTE = "check_note"
    # Who is in a case, a safe close, absence (issue 16).
    MEMBERS = "members"
    CLOSE_CASE = "close_case"
    ABSENCE = "absence"
    # The case between meetings (issue 16).
    ESCALATION_RESOLVE = "escalation_resolve"
    BODEMEIS_CHANGE = "bodemeis_change"
    BODEMEIS_END = "bodemeis_end"
    ATTENDANCE = "attendance"


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
    INFORMED_ANSWER = "informed_answer"
    INFORMED_REASON = "informed_reason"
    PREP_SUMMARY_TEXT = "prep_summary_text"
    # The prep modal's text inputs use their question's catalogue key as block id.
    PREP_SCORE = "prep_score"
    AGREEMENT_TEXT = "agreement_text"
    OWNER_USER = "owner_user"
    OWNER_ORGANISATION = "owner_organisation"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    MONITOR = "monitor"
    INTERVAL = "interval"
    TIMELINE = "timeline"
    NEXT_DATE = "next_date"
    NEXT_TIME = "next_time"
    ESCALATION_PLAN = "escalation_plan"
    INFORMING = "informing"
    REASON = "reason"
    NOTE = "note"
    # Who is in a case, a safe close, absence (issue 16). A closing choice per agreement uses
    # the block id "settle:<agreement id>".
    REFERRING_PARTNER = "referring_partner"
    ADD_MEMBERS = "add_members"
    ADD_ROLE = "add_role"
    REMOVE_MEMBER = "remove_member"
    HAND_OVER_TO = "hand_over_to"
    UNTIL = "until"
    STAND_IN = "stand_in"
    RESOLUTION = "resolution"
    ATTENDANCE_PRESENT = "attendance_present"
    ATTENDANCE_EXCUSED = "attendance_excused"
    ATTENDANCE_ABSENT = "attendance_absent"


# Every vote button's action id (vote_1 .. vote_10), for one listener registration.
VOTE_PATTERN = re.compile(r"^vote_(?:10|[1-9])$")


def vote_action(score: int) -> ActionId:
    return ActionId(f"vote_{score}")
