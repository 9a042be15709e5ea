"""Every action_id and callback_id the bot uses, in one place (DESIGN §3).

Entity ids never go in these; they travel in a button's `value` or a view's
`private_metadata` and are validated on arrival.
"""

from enum import StrEnum


class Command(StrEnum):
    CASUS = "/casus"


class ActionId(StrEnum):
    HOME_NEW_CASE = "home_new_case"


class ViewId(StrEnum):
    HOME = "home"
