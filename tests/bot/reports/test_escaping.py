"""The report is the official record: what people wrote comes out exactly, in the Markdown
(read as CommonMark reads it) and in the PDF — underscores, asterisks, mentions, emoji, Dutch
diacritics — and text cannot turn itself into a heading, a link or a list."""

from __future__ import annotations

import re
from dataclasses import replace

import pypdfium2
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.reports.markdown import escape, render_markdown
from bot.reports.model import ActionItem, Contribution, QuestionMinutes, Report
from bot.reports.pdf import inline, render_pdf
from tests.bot.reports.test_render import REPORT

SAMPLES = [
    "a_b",
    "**x**",
    "<@U1>",
    "*",
    "`",
    "😀 👍🏽 :white_check_mark:",
    "Zoë zei één keer: ruïne, café, coöperatie, Curaçao — ‘ja’",
    "snake_case_naam en _nadruk_ en __dubbel__",
    "[klik](https://example.org) ![beeld](x.png)",
    "<b>vet</b> &amp; &lt; <https://example.org|link>",
    "a\\b\\",
    "~~weg~~ en a | b",
    "# Kop",
    "- geen lijst",
    "1. geen lijst",
    "2024) ook niet",
    "+ niet",
    "===",
    "> geen citaat",
    "    geen code",
]
MULTILINE = "eerste regel\n# Kop\n\n---\nna een lege regel\r\n1. laatste"
AUTHOR = "Sanne_de Vries (Wijk*team)"


def report_with(texts: list[str]) -> Report:
    minutes = (
        QuestionMinutes("Wat zijn de zorgen?", tuple(Contribution(AUTHOR, t) for t in texts)),
    )
    return replace(
        REPORT,
        minutes=minutes,
        closure_plan=MULTILINE,  # at the start of a line in the Markdown
        actions=(ActionItem("Huisbezoek_1 **spoed**", "Veilig_Thuis", "4 dec"),),
    )


def commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def plain(token: Token) -> tuple[str, set[str]]:
    """What a reader sees of an inline token, and which kinds of markup it holds."""
    seen: list[str] = []
    kinds: set[str] = set()
    for child in token.children or []:
        if child.type == "text":
            seen.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            seen.append("\n")
        else:
            kinds.add(child.type)
    return "".join(seen), kinds


def inlines(markdown: str) -> list[tuple[str, set[str]]]:
    return [plain(t) for t in commonmark().parse(markdown) if t.type == "inline"]


def test_every_sample_reads_back_exactly_as_commonmark_shows_it() -> None:
    markdown = render_markdown("nl", report_with(SAMPLES))
    shown = inlines(markdown)
    for sample in SAMPLES:
        # The author's label is ours (bold); the text after it is the sample, and nothing else.
        item = [(text, kinds) for text, kinds in shown if text == f"{AUTHOR}: {sample}"]
        assert item, f"{sample!r} is not shown exactly"
        assert item[0][1] <= {"strong_open", "strong_close"}, (sample, item[0][1])


def test_text_cannot_make_a_heading_a_list_or_a_rule_in_the_markdown() -> None:
    markdown = render_markdown("nl", report_with(SAMPLES))
    tokens = commonmark().parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Kop" not in headings and not any("Kop" in h for h in headings)
    assert not [t for t in tokens if t.type in ("hr", "blockquote_open", "code_block", "fence")]
    assert not [t for t in tokens if t.type == "ordered_list_open"]
    closure = [text for text, _ in inlines(markdown) if text.startswith("eerste regel")]
    assert closure == [MULTILINE.replace("\r\n", "\n")]


def test_our_own_emphasis_is_still_markup() -> None:
    markdown = render_markdown("nl", report_with([]))
    tokens = commonmark().parse(markdown)
    kinds = {c.type for t in tokens if t.type == "inline" for c in t.children or []}
    assert {"strong_open", "em_open"} <= kinds  # "**Datum:**", "_Niets vastgelegd._"


@pytest.mark.parametrize("sample", [*SAMPLES, MULTILINE])
def test_inline_undoes_escape(sample: str) -> None:
    lines = escape(sample).split("\n")
    read = []
    for line in lines:
        runs, _ = inline(line)
        read.append("".join(r.text for r in runs))
    assert "\n".join(read) == sample.replace("\r\n", "\n")


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_sample_is_in_the_pdf_exactly() -> None:
    report = report_with(SAMPLES)
    text = flat(pdf_text(render_pdf(render_markdown("nl", report), title="Verslag")))
    for sample in SAMPLES:
        assert flat(f"{AUTHOR}: {sample}") in text, sample
    assert flat(MULTILINE) in text
    assert "Huisbezoek_1 **spoed** — Veilig_Thuis — 4 dec" in text
    # Our own markup is not printed: labels are bold, not starred.
    assert "Datum:" in text and "**Datum" not in text
