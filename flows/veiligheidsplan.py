"""The veiligheidsplan: one living document per case, as canvas Markdown in Dutch or English.

`PlanData` is everything the document shows, gathered from the database by
storage/veiligheidsplan.py; `render` is a pure function of it, so the bot can rewrite the canvas
(or the pinned fallback message) after every change and it always equals the record. The
document says so: an edit by hand in Slack is overwritten.

People appear as canvas mentions (`![](@U…)`) with their organisation; an organisation without a
Slack user by its name. No client names come from here — only what professionals typed as
agreements, escaped so it cannot format or mention anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.document import inline, long_date, mention, moment
from flows.text import Text

# Slack refuses canvas content over 1 MiB; stay far below it, so a long case never fails to
# render. Past this, item texts are shortened (and the document says so).
MAX_CHARS = 200_000
SHORT_ITEM_CHARS = 400

PHASES = {
    "directe_veiligheid": Text("Directe veiligheid", "Directe veiligheid (immediate safety)"),
    "risicogestuurde_zorg": Text("Risicogestuurde zorg", "Risicogestuurde zorg (risk-led care)"),
    "herstelgerichte_zorg": Text(
        "Herstelgerichte zorg", "Herstelgerichte zorg (recovery-oriented care)"
    ),
}

T = {
    "title": Text("Veiligheidsplan {code}", "Veiligheidsplan (safety plan) {code}"),
    "rewritten": Text(
        "Dit document wordt door Casusbot steeds opnieuw geschreven uit wat in Casusbot is "
        "vastgelegd. Wijzigingen met de hand worden overschreven: pas afspraken aan via "
        "Casusbot.",
        "Casusbot rewrites this document from what is recorded in Casusbot after every change. "
        "Edits made by hand are overwritten: change agreements through Casusbot.",
    ),
    "updated": Text("Bijgewerkt: {when} · Fase: {phase}", "Updated: {when} · Phase: {phase}"),
    "emergency": Text("Bij acuut gevaar", "In an emergency"),
    "bodemeisen": Text("Bodemeisen", "Bodemeisen (bottom lines)"),
    "no_bodemeisen": Text("Er zijn geen bodemeisen van kracht.", "No bodemeisen are in force."),
    "bodemeis": Text(
        "**{text}** — bewaakt door {monitor}, elke {days} dagen. {check}",
        "**{text}** — monitored by {monitor}, every {days} days. {check}",
    ),
    "version": Text("(versie {version}, sinds {since})", "(version {version}, since {since})"),
    "never_checked": Text("Nog niet gecontroleerd.", "Not checked yet."),
    "last_check": Text("Laatste controle ({date}): {answer}.", "Last check ({date}): {answer}."),
    "not_met_plan": Text("Als een bodemeis niet wordt nagekomen", "When a bodemeis is not met"),
    "no_plan": Text(
        "Nog niet afgesproken. Bespreek dit in het volgende overleg.",
        "Not agreed yet. Discuss it in the next meeting.",
    ),
    "escalations": Text("Openstaande escalaties", "Open escalations"),
    "escalation_owned": Text("opgepakt door {owner}", "picked up by {owner}"),
    "escalation_unowned": Text("**nog door niemand opgepakt**", "**not picked up by anyone yet**"),
    "actions": Text("Acties", "Actions"),
    "no_actions": Text("Er staan geen acties open.", "No actions are open."),
    "action": Text("**{text}** — {owner}, {due}.", "**{text}** — {owner}, {due}."),
    "due": Text("uiterlijk {date}", "due {date}"),
    "no_due": Text("geen datum", "no date"),
    "open": Text("Open.", "Open."),
    "late": Text("**Te laat.**", "**Overdue.**"),
    "postponed": Text("Uitgesteld: {moves}.", "Postponed: {moves}."),
    "move": Text("van {old} naar {new}", "from {old} to {new}"),
    "move_consented": Text(
        "van {old} naar {new} (met toestemming)", "from {old} to {new} (with consent)"
    ),
    "informing": Text("Wie informeert wie", "Who informs whom"),
    "no_informing": Text("Nog niet afgesproken.", "Not agreed yet."),
    "next_meeting": Text("Volgend overleg", "Next meeting"),
    "no_next_meeting": Text(
        "**Nog niet gepland.** De regisseurs krijgen hierover een herinnering.",
        "**Not planned yet.** The regisseurs get a reminder about it.",
    ),
    "absent": Text("Afwezig", "Away"),
    "absence": Text(
        "{user} is afwezig t/m {until}; vervanger: {stand_in}.",
        "{user} is away until {until} (inclusive); stand-in: {stand_in}.",
    ),
    "stand_in": Text(
        "{person} (vervangen door {stand_in})", "{person} (stood in for by {stand_in})"
    ),
    "shortened": Text(
        "Lange teksten zijn hier ingekort; de volledige tekst staat in het verslag.",
        "Long texts are shortened here; the full text is in the report.",
    ),
}

ANSWERS = {
    "nageleefd": Text("nagekomen", "met"),
    "niet_nageleefd": Text("**niet nagekomen**", "**not met**"),
    "onbekend": Text("onbekend", "unknown"),
    "geen_antwoord": Text("**geen antwoord**", "**no answer**"),
}

ESCALATION_KINDS = {
    "bodemeis_not_met": Text("Bodemeis niet nagekomen", "Bodemeis not met"),
    "check_unanswered": Text("Controle niet beantwoord", "Check not answered"),
    "action_not_possible": Text("Actie lukt niet", "Action not possible"),
}


@dataclass(frozen=True, slots=True)
class Person:
    """Someone responsible: a Slack user (shown as a mention) and/or an organisation."""

    user_id: str | None
    organisation: str = ""
    stand_in: str | None = None  # away today: who stands in


@dataclass(frozen=True, slots=True)
class PlanBodemeis:
    text: str
    monitor: Person
    interval_days: int
    version: int
    since: datetime
    last_answer: str | None  # a CheckAnswer value
    last_checked: date | None  # the date of the check answered


@dataclass(frozen=True, slots=True)
class PlanPostponement:
    from_due: date
    to_due: date
    consented: bool


@dataclass(frozen=True, slots=True)
class PlanAction:
    text: str
    owner: Person
    due: date | None
    postponements: tuple[PlanPostponement, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanEscalation:
    kind: str  # an EscalationKind value
    about: str  # the agreement's text
    raised_at: datetime
    owner: str | None


@dataclass(frozen=True, slots=True)
class PlanAbsence:
    user_id: str
    until: date
    stand_in: str


@dataclass(frozen=True, slots=True)
class PlanData:
    case_code: str
    phase: str
    bodemeisen: tuple[PlanBodemeis, ...]
    actions: tuple[PlanAction, ...]
    escalation_plan: str | None
    informing: str | None
    next_meeting: datetime | None
    emergency_text: str
    escalations: tuple[PlanEscalation, ...]
    absences: tuple[PlanAbsence, ...]
    as_of: datetime  # when it was gathered: "te laat" is judged against this day


def render(plan: PlanData, lang: str, tz: ZoneInfo) -> str:
    """The document as canvas Markdown; never longer than MAX_CHARS."""
    document = _Writer(lang, tz, limit=None).document(plan)
    if len(document) <= MAX_CHARS:
        return document
    return _Writer(lang, tz, limit=SHORT_ITEM_CHARS).document(plan)[:MAX_CHARS]


def person(who: Person, lang: str) -> str:
    """`![](@U…) (Wijkteam)`, or the organisation alone; with a stand-in when away."""
    if who.user_id:
        shown = mention(who.user_id)
        if who.organisation:
            shown += f" ({inline(who.organisation)})"
    else:
        shown = inline(who.organisation) or "?"
    if who.stand_in:
        shown = T["stand_in"].get(lang).format(person=shown, stand_in=mention(who.stand_in))
    return shown


def bullets(items: Sequence[str], *, empty: str | None = None) -> list[str]:
    if not items:
        return [empty] if empty else []
    return [f"- {item}" for item in items]


@dataclass(frozen=True, slots=True)
class _Writer:
    lang: str
    tz: ZoneInfo
    limit: int | None  # shorten item texts to this many characters

    def t(self, key: str, **values: str) -> str:
        return T[key].get(self.lang).format(**values)

    def text(self, value: str) -> str:
        return inline(value, limit=self.limit)

    def document(self, plan: PlanData) -> str:
        t, lang, tz = self.t, self.lang, self.tz
        today = plan.as_of.astimezone(tz).date()
        phase = PHASES[plan.phase].get(lang) if plan.phase in PHASES else inline(plan.phase)
        lines = [
            f"# {t('title', code=inline(plan.case_code))}",
            "",
            f"_{t('rewritten')}_",
            "",
            t("updated", when=moment(plan.as_of, tz, lang), phase=phase),
            "",
            f"## {t('emergency')}",
            "",
            f"**{inline(plan.emergency_text)}**",
            "",
            f"## {t('bodemeisen')}",
            "",
        ]
        lines += bullets([self.bodemeis(b) for b in plan.bodemeisen], empty=t("no_bodemeisen"))
        lines += ["", f"## {t('not_met_plan')}", ""]
        lines.append(self.text(plan.escalation_plan) if plan.escalation_plan else t("no_plan"))
        if plan.escalations:
            lines += ["", f"### {t('escalations')}", ""]
            lines += bullets([self.escalation(e) for e in plan.escalations])
        lines += ["", f"## {t('actions')}", ""]
        lines += bullets([self.action(a, today) for a in plan.actions], empty=t("no_actions"))
        lines += ["", f"## {t('informing')}", ""]
        lines.append(self.text(plan.informing) if plan.informing else t("no_informing"))
        lines += ["", f"## {t('next_meeting')}", ""]
        lines.append(
            moment(plan.next_meeting, tz, lang) if plan.next_meeting else t("no_next_meeting")
        )
        if plan.absences:
            lines += ["", f"## {t('absent')}", ""]
            lines += bullets([self.absence(a) for a in plan.absences])
        if self.limit is not None:
            lines += ["", f"_{t('shortened')}_"]
        return "\n".join(lines) + "\n"

    def bodemeis(self, b: PlanBodemeis) -> str:
        t, lang = self.t, self.lang
        if b.last_answer is None or b.last_checked is None:
            check = t("never_checked")
        else:
            answer = ANSWERS[b.last_answer].get(lang) if b.last_answer in ANSWERS else "?"
            check = t("last_check", date=long_date(b.last_checked, lang), answer=answer)
        line = t(
            "bodemeis",
            text=self.text(b.text),
            monitor=person(b.monitor, lang),
            days=str(b.interval_days),
            check=check,
        )
        if b.version > 1:
            since = long_date(b.since.astimezone(self.tz).date(), lang)
            line += " " + t("version", version=str(b.version), since=since)
        return line

    def action(self, a: PlanAction, today: date) -> str:
        t, lang = self.t, self.lang
        due = t("due", date=long_date(a.due, lang)) if a.due else t("no_due")
        status = t("late") if a.due is not None and a.due < today else t("open")
        line = t("action", text=self.text(a.text), owner=person(a.owner, lang), due=due)
        line += f" {status}"
        if a.postponements:
            moves = [
                t(
                    "move_consented" if p.consented else "move",
                    old=long_date(p.from_due, lang),
                    new=long_date(p.to_due, lang),
                )
                for p in a.postponements
            ]
            line += " " + t("postponed", moves="; ".join(moves))
        return line

    def escalation(self, e: PlanEscalation) -> str:
        t, lang = self.t, self.lang
        kind = ESCALATION_KINDS[e.kind].get(lang) if e.kind in ESCALATION_KINDS else "?"
        owner = (
            t("escalation_owned", owner=mention(e.owner)) if e.owner else t("escalation_unowned")
        )
        return f"{kind} ({moment(e.raised_at, self.tz, lang)}): {self.text(e.about)} — {owner}"

    def absence(self, a: PlanAbsence) -> str:
        return self.t(
            "absence",
            user=mention(a.user_id),
            until=long_date(a.until, self.lang),
            stand_in=mention(a.stand_in),
        )
