"""The report as PDF, from the same Markdown-like structure, with a Unicode font.

fpdf2 writes the file; the DejaVu font that ships inside matplotlib covers Dutch and the
bullets and dashes the report uses, so no system font is needed.
"""

from __future__ import annotations

import os
from functools import cache

from fpdf import FPDF


@cache
def _font_path() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")


@cache
def _bold_font_path() -> str:
    return _font_path().replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def render_pdf(markdown: str, *, title: str) -> bytes:
    """Lay out the report's Markdown (headings, bullets, paragraphs) on A4 pages."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Casusbot")
    pdf.add_font("DejaVu", "", _font_path())
    pdf.add_font("DejaVu", "B", _bold_font_path())
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.startswith("# "):
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 9, line[2:], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif line.startswith("## "):
            pdf.ln(3)
            pdf.set_font("DejaVu", "B", 13)
            pdf.multi_cell(0, 7, line[3:], new_x="LMARGIN", new_y="NEXT")
        elif line.startswith("### "):
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, line[4:], new_x="LMARGIN", new_y="NEXT")
        elif line.strip():
            indent = (len(line) - len(line.lstrip())) * 2
            text = line.strip()
            if text.startswith("- "):
                text = "• " + text[2:]
            pdf.set_font("DejaVu", "", 10)
            pdf.set_x(pdf.l_margin + indent)
            # Markdown emphasis markers are for the .md file; the PDF shows plain text.
            pdf.multi_cell(
                0, 5, text.replace("**", "").replace("_", ""), new_x="LMARGIN", new_y="NEXT"
            )
        else:
            pdf.ln(2)
    return bytes(pdf.output())


def _plain(text: str) -> str:
    """Drop the Markdown emphasis the .md file uses; leave underscores inside words alone."""
    text = text.replace("**", "")
    if len(text) > 1 and text.startswith("_") and text.endswith("_"):
        text = text[1:-1]
    return text
