"""Reading the guideline text (leidraad.txt) the way a person reads it, for fidelity tests.

The file is the PDF's text: the overview table comes first with its columns run together, then
one detailed table per phase, headed "Title: subtitle" after a few blank lines, with sub-prompts
as "●" bullets and section labels ("Beeldvorming", ...) at the start of their first line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.text import normalise_space

REPO = Path(__file__).resolve().parents[2]
GUIDELINE = REPO.parent / "shared" / "guideline" / "leidraad.txt"
BULLET = "●"


def guideline_lines() -> list[str]:
    if not GUIDELINE.is_file():
        pytest.skip(f"the guideline text is not at {GUIDELINE}; fidelity cannot be checked")
    return GUIDELINE.read_text(encoding="utf-8").splitlines()


@dataclass(frozen=True)
class PhaseBlock:
    header: str
    lines: list[str]  # non-blank, whitespace-normalised


def _is_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    blank_before = index >= 2 and not lines[index - 1].strip() and not lines[index - 2].strip()
    return blank_before and ": " in line and not line.lstrip().startswith(BULLET)


def phase_blocks(lines: list[str]) -> list[PhaseBlock]:
    """The detailed per-phase tables, in the guideline's order."""
    starts = [i for i in range(len(lines)) if _is_header(lines, i)]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = [normalise_space(line) for line in lines[start + 1 : end] if line.strip()]
        blocks.append(PhaseBlock(normalise_space(lines[start]), body))
    return blocks


def overview_paragraphs(lines: list[str]) -> list[list[str]]:
    """The overview table as paragraphs (runs of non-blank lines), from its Vooraf row on."""
    first_header = next(i for i in range(len(lines)) if _is_header(lines, i))
    start = next(i for i in range(first_header) if lines[i].startswith("Vooraf "))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:first_header]:
        if line.strip():
            paragraphs[-1].append(normalise_space(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


Section = tuple[str, list[tuple[str, list[str]]]]  # label, [(main question, [prompts])]


def parse_block(block: PhaseBlock, labels: set[str]) -> list[Section]:
    """Split a phase's lines into labelled sections of main questions with their prompts.

    A line that starts with a label opens a section; a line that is only a label (such as
    "Afspraken over samenwerking") is its own main question.
    """
    by_length = sorted(labels, key=len, reverse=True)
    sections: list[Section] = []
    for line in block.lines:
        if line.startswith(BULLET):
            sections[-1][1][-1][1].append(normalise_space(line.removeprefix(BULLET)))
            continue
        label = next((lb for lb in by_length if line == lb or line.startswith(lb + " ")), None)
        if label is not None:
            sections.append((label, []))
            line = line[len(label) :].strip() or label
        sections[-1][1].append((line, []))
    return sections
