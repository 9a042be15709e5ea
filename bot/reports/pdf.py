"""The report as PDF, laid out from the report's Markdown, with a Unicode font.

fpdf2 writes the file; the DejaVu fonts that ship inside matplotlib cover Dutch and the bullets
and dashes the report uses, so no system font is needed. Characters DejaVu lacks (emoji) are
drawn from matplotlib's Last Resort font: a placeholder glyph, but the text itself is in the
PDF unchanged (copy, search, screen readers).

The Markdown is read only as far as the report writes it (bot/reports/markdown.py): `#`
headings, `-` bullets, `**bold**` and `_italic_` of our own labels, and backslash escapes,
which the markdown writer puts before every character of people's text that Markdown would
otherwise read as markup. So people's text comes out exactly as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from fpdf import FPDF

FONT = "DejaVu"
FALLBACK = "LastResort"
LINE_MM = 5.0
INDENT_MM = 4.0
BULLET = "• "
HEADINGS = {"# ": (16, 9.0), "## ": (13, 7.0), "### ": (11, 6.0)}  # size pt, line height mm


@cache
def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False


def inline(source: str) -> tuple[list[Run], bool]:
    """The runs of one Markdown line, and whether it ends in a hard line break (`\\` last).

    `\\X` is a literal X; `**` switches bold, `_` italic (in the report, unescaped markers
    are only ever our own).
    """
    runs: list[Run] = []
    buffer: list[str] = []
    bold = italic = False
    hard_break = False

    def flush() -> None:
        if buffer:
            runs.append(Run("".join(buffer), bold, italic))
            buffer.clear()

    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            if i + 1 == len(source):
                hard_break = True
            else:
                buffer.append(source[i + 1])
            i += 2
            continue
        if source.startswith("**", i):
            flush()
            bold = not bold
            i += 2
            continue
        if char == "_":
            flush()
            italic = not italic
            i += 1
            continue
        buffer.append(char)
        i += 1
    flush()
    return runs, hard_break


def render_pdf(markdown: str, *, title: str) -> bytes:
    """Lay out the report's Markdown (headings, bullets, paragraphs) on A4 pages."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Casusbot")
    for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold")):
        pdf.add_font(FONT, style, os.path.join(_font_dir(), f"{name}.ttf"))
    pdf.add_font(FONT, "I", os.path.join(_font_dir(), "DejaVuSans-Oblique.ttf"))
    pdf.add_font(FONT, "BI", os.path.join(_font_dir(), "DejaVuSans-BoldOblique.ttf"))
    pdf.add_font(FALLBACK, "", os.path.join(_font_dir(), "LastResortHE-Regular.ttf"))
    pdf.set_fallback_fonts([FALLBACK], exact_match=False)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    margin = pdf.l_margin
    continued_at: float | None = None  # the previous line ended in a hard break: its x
    for raw in markdown.splitlines():
        line = raw.rstrip(" ")
        if continued_at is not None:
            continued_at = _write(pdf, line, x=continued_at, size=10, height=LINE_MM)
            continue
        heading = next((h for h in HEADINGS if line.startswith(h)), None)
        if heading is not None:
            size, height = HEADINGS[heading]
            pdf.ln(3 if heading != "# " else 0)
            continued_at = _write(
                pdf, line[len(heading) :], x=margin, size=size, height=height, bold=True
            )
            if heading == "# ":
                pdf.ln(2)
        elif line.strip():
            body = line.lstrip(" ")
            x = margin + (len(line) - len(body)) * INDENT_MM / 2
            if body.startswith("- "):
                pdf.set_font(FONT, "", 10)
                pdf.set_x(x)
                pdf.write(LINE_MM, BULLET)
                x, body = pdf.get_x(), body[2:]
            continued_at = _write(pdf, body, x=x, size=10, height=LINE_MM)
        else:
            pdf.ln(2)
    return bytes(pdf.output())


def _write(
    pdf: FPDF, source: str, *, x: float, size: int, height: float, bold: bool = False
) -> float | None:
    """One Markdown line from `x`, wrapped lines aligned under it; `x` again when the line
    ends in a hard break (the next line continues the same item), else None."""
    runs, hard_break = inline(source)
    margin = pdf.l_margin
    pdf.set_left_margin(x)
    pdf.set_x(x)
    for run in runs:
        style = ("B" if run.bold or bold else "") + ("I" if run.italic else "")
        pdf.set_font(FONT, style, size)
        pdf.write(height, run.text)
    pdf.ln(height)
    pdf.set_left_margin(margin)
    return x if hard_break else None
