"""The agreements for the family: a plain-language version of the current agreements, for the
casusregisseur to share with the people involved (Dutch at B1 level, English too).

Only what was agreed: what will happen, which organisation does it and when, what must in any
case be true (the bodemeisen), the next meeting, and where to go in an emergency. Never scores,
minutes, opinions or professionals' names — an organisation stands for whoever does the work.
The wording of each agreement is the professionals' own, so the casusregisseur reads it before
sharing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.document import inline, long_date, moment
from flows.text import Text

T = {
    "title": Text("Onze afspraken", "Our agreements"),
    "intro": Text(
        "Dit zijn de afspraken uit het overleg over uw gezin. Hier leest u wat er gaat "
        "gebeuren, wie wat doet en wanneer.",
        "These are the agreements from the meeting about your family. They say what will "
        "happen, who does what, and when.",
    ),
    "happen": Text("Wat gaat er gebeuren?", "What will happen?"),
    "action": Text("**{who}**: {what}", "**{who}**: {what}"),
    "when": Text("uiterlijk {date}", "by {date}"),
    "no_actions": Text("Er staan nu geen acties open.", "There are no open actions right now."),
    "must": Text("Wat in ieder geval moet gebeuren", "What must happen in any case"),
    "must_intro": Text(
        "Deze afspraken zijn het belangrijkst voor de veiligheid. Ze moeten altijd waar zijn.",
        "These agreements matter most for safety. They must always be true.",
    ),
    "checked_by": Text("{who} let hierop.", "{who} keeps an eye on this."),
    "no_must": Text("Er zijn nu geen bodemeisen.", "There are no bottom lines right now."),
    "next": Text("Wanneer praten we weer?", "When do we talk again?"),
    "next_at": Text("Het volgende overleg is op {when}.", "The next meeting is on {when}."),
    "next_unknown": Text(
        "De datum van het volgende overleg is nog niet bekend.",
        "The date of the next meeting is not known yet.",
    ),
    "emergency": Text("Bij nood", "In an emergency"),
    "footer": Text(
        "Gemaakt op {date}. Heeft u vragen? Bel of mail uw contactpersoon.",
        "Made on {date}. Any questions? Call or email your contact person.",
    ),
    "someone": Text("Een hulpverlener", "A professional"),
}


@dataclass(frozen=True, slots=True)
class FamilyAction:
    organisation: str  # "" when unknown: shown as "a professional", never a name
    what: str
    due: date | None


@dataclass(frozen=True, slots=True)
class FamilyBodemeis:
    text: str
    checked_by: str  # the monitor's organisation, "" when unknown


@dataclass(frozen=True, slots=True)
class FamilyData:
    actions: tuple[FamilyAction, ...]
    bodemeisen: tuple[FamilyBodemeis, ...]
    next_meeting: datetime | None
    emergency_text: str
    made_at: datetime


def render(data: FamilyData, lang: str, tz: ZoneInfo) -> str:
    """The document as Markdown (also the source of the PDF)."""

    def t(key: str, **values: str) -> str:
        return T[key].get(lang).format(**values)

    def who(organisation: str) -> str:
        return inline(organisation) if organisation.strip() else t("someone")

    lines = [f"# {t('title')}", "", t("intro"), "", f"## {t('happen')}", ""]
    if data.actions:
        for action in data.actions:
            line = t("action", who=who(action.organisation), what=inline(action.what))
            if action.due is not None:
                line += " — " + t("when", date=long_date(action.due, lang))
            lines.append(f"- {line}")
    else:
        lines.append(t("no_actions"))
    lines += ["", f"## {t('must')}", ""]
    if data.bodemeisen:
        lines += [t("must_intro"), ""]
        lines += [
            f"- {inline(b.text)} — {t('checked_by', who=who(b.checked_by))}"
            for b in data.bodemeisen
        ]
    else:
        lines.append(t("no_must"))
    lines += ["", f"## {t('next')}", ""]
    lines.append(
        t("next_at", when=moment(data.next_meeting, tz, lang))
        if data.next_meeting
        else t("next_unknown")
    )
    lines += ["", f"## {t('emergency')}", "", f"**{inline(data.emergency_text)}**", ""]
    lines.append(f"_{t('footer', date=long_date(data.made_at.astimezone(tz).date(), lang))}_")
    return "\n".join(lines) + "\n"
