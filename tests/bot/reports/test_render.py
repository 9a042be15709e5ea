"""The meeting report as Markdown and PDF: every section a ZVH report holds, a PDF that renders."""

from __future__ import annotations

from dataclasses import replace

import pypdfium2

from bot.reports.markdown import render_markdown
from bot.reports.model import (
    ActionItem,
    Bodemeis,
    Contribution,
    Person,
    QuestionMinutes,
    Report,
    ScoreRound,
)
from bot.reports.pdf import render_pdf

REPORT = Report(
    code="ZVH-2026-014",
    phase="Directe veiligheid",
    goal="Zicht op de zorgen rondom veiligheid en wat gedaan moet worden om directe veiligheid"
    " te creëren.",
    date="ma 30 nov 2026 10:00",
    attendees=(
        Person("Petra de Groot", "Zorg- en Veiligheidshuis"),
        Person("Karim Amrani", "Veilig Thuis"),
    ),
    absent=(Person("Lotte Visser", "GGZ Centraal"),),
    confidentiality=(("Bram Smit", "ma 30 nov 2026 09:12"),),
    minutes=(
        QuestionMinutes(
            "Wat zijn de zorgen t.a.v. de onveiligheid?",
            (
                Contribution(
                    "Ilse Bakker (Politie)", "Twee meldingen dit jaar; laatste drie weken geleden."
                ),
            ),
        ),
        QuestionMinutes("Welke krachten zijn er nu in het gezin?", ()),
    ),
    scale_question="Op een schaal van 1-10 hoe bezorgd ben je over de directe veiligheid van de"
    " betrokkenen?",
    score_rounds=(ScoreRound(1, (("Petra de Groot", 3), ("Karim Amrani", 6)), 4.5, 3, 6),),
    involved=(("Slachtoffer", 5, "voelt zich veiliger sinds het contactverbod"),),
    informed="Nee — zwaarwegend veiligheidsbelang",
    decision="Blijven in directe veiligheid",
    decided_by="Karim Amrani",
    next_phase="Directe veiligheid",
    actions=(ActionItem("Veiligheidsplan opstellen met moeder", "Veilig Thuis", "4 dec 2026"),),
    bodemeisen=(Bodemeis("Vader komt niet naar de woning", "Ilse Bakker", "wekelijks"),),
    next_meeting="ma 14 dec 2026 10:00",
    timeline="Binnen twee weken veiligheidsplan klaar",
    escalation_plan="Direct spoedoverleg met politie en Veilig Thuis",
    informing="Wekelijkse update in het casuskanaal",
    closure_plan=None,
    previous_actions=(ActionItem("Huisbezoek", "Wijkteam", "", status="gedaan"),),
)

SECTIONS_NL = [
    "Datum", "Fase", "Doelstelling", "Aanwezig", "Afwezig", "Geheimhouding bevestigd",
    "Inbreng per vraag", "Schaalvraag", "Visie van betrokkenen", "Besluit", "Acties",
    "Bodemeisen", "Afspraken over samenwerking", "Volgend overleg",
    "Als de bodemeisen niet worden nagekomen", "Elkaar op de hoogte houden", "Afsluitingsplan",
    "Stand van de acties uit het vorige overleg",
]  # fmt: skip


def test_the_markdown_report_has_every_section_and_says_what_is_empty() -> None:
    text = render_markdown("nl", REPORT)
    for section in SECTIONS_NL:
        assert section in text, section
    assert "Twee meldingen dit jaar" in text
    assert "Geen inbreng vastgelegd." in text  # the question nobody answered
    assert "mediaan 4,5, laagste 3, hoogste 6" in text
    assert "Vader komt niet naar de woning — bewaakt door: Ilse Bakker — wekelijks" in text
    assert "Huisbezoek — Wijkteam — gedaan" in text


def test_the_english_report_keeps_the_dutch_method_terms() -> None:
    text = render_markdown("en", REPORT)
    assert "Bodemeisen (bottom-line requirements)" in text and "Absent" in text


def test_the_pdf_renders_a_page_with_the_case_code_on_it() -> None:
    pdf = render_pdf(render_markdown("nl", REPORT), title="Verslag ZVH-2026-014")
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    assert "ZVH-2026-014" in page.get_textpage().get_text_range()
    image = page.render(scale=1).to_pil().convert("L")
    darkest, lightest = image.getextrema()
    assert darkest < 100 and lightest > 200  # ink on paper: not a blank page
    histogram = image.histogram()
    assert sum(histogram[:128]) > 2000  # many dark pixels: text, not a stray line
    assert "creëren" in "".join(p.get_textpage().get_text_range() for p in document)  # Unicode


def test_attendance_says_who_was_present_afgemeld_absent_and_which_organisations_missed() -> None:
    report = replace(
        REPORT,
        attendees=(Person("Sanne", "Wijkteam"),),
        excused=(Person("Joost", "Reclassering"),),
        absent=(Person("Ilse", "Politie"),),
        missing_organisations=("Reclassering", "Politie"),
        score_rounds=(ScoreRound(1, (), 6.5, 6, 7, counts=((6, 1), (7, 1))),),
    )
    text = render_markdown("nl", report)
    assert "## Aanwezig\n\n- Sanne — Wijkteam" in text
    assert "## Afgemeld\n\n- Joost — Reclassering" in text
    assert "## Afwezig\n\n- Ilse — Politie" in text
    assert (
        "## Organisaties van de casus zonder iemand aan tafel\n\n- Reclassering\n- Politie" in text
    )
    assert "verdeling: 6 (1×), 7 (1×)" in text


def test_a_meeting_held_before_attendance_was_kept_lists_its_invitees_as_such() -> None:
    report = replace(REPORT, attendees=(), absent=(), invited_only=(Person("Sanne", "Wijkteam"),))
    text = render_markdown("en", report)
    assert "## Invited (attendance not kept)\n\n- Sanne — Wijkteam" in text
    assert "## Absent" not in text
