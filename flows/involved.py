"""The people involved in a case, by pseudonymous role (never a name), and whether they were
told a meeting's outcome. Pure data: the roles' words live in the locales (involved.role_*)."""

from __future__ import annotations

from enum import StrEnum

# In the order the view form shows them. "gezin" is the family as a whole: the one score the
# form used to ask for is kept under it.
ROLES: tuple[str, ...] = (
    "slachtoffer",
    "pleger",
    "ouder",
    "kind_1",
    "kind_2",
    "kind_3",
    "kind_4",
    "ander_gezinslid",
    "gezin",
)
TEXT_MAX = 500


class Informed(StrEnum):
    """Betrokkenen geïnformeerd over de uitkomst."""

    YES = "ja"
    NOT_YET = "nog_niet"
    NO = "nee"


def needs_reason(answer: Informed) -> bool:
    """Not (yet) informing the people involved is a decision that needs its reason on record
    (e.g. a zwaarwegend veiligheidsbelang)."""
    return answer is not Informed.YES
