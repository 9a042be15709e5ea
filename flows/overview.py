"""The guideline's overview table ("hoofdconcepten"), derived from the catalogue.

One row per BOB step, one cell per phase, each cell listing the main questions in the overview's
short wording where it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Catalogue, Section
from flows.text import Text

GOAL_ROW = "doelstelling"
_VOORAF_ROW = "vooraf"


@dataclass(frozen=True, slots=True)
class OverviewRow:
    key: str
    title: Text
    cells: tuple[tuple[Text, ...], ...]  # one per phase, in the catalogue's phase order


@dataclass(frozen=True, slots=True)
class Overview:
    heading: Text
    phase_question: Text
    phase_titles: tuple[Text, ...]
    rows: tuple[OverviewRow, ...]


def _row_of(section: Section) -> str:
    return section.overview_row or section.name


def _cell(sections: list[Section]) -> tuple[Text, ...]:
    texts: list[Text] = []
    for section in sections:
        texts.extend(q.overview or q.text for q in section.questions)
        if section.scale is not None:
            texts.append(section.scale.text)
    return tuple(texts)


def overview(catalogue: Catalogue) -> Overview:
    order: list[str] = []
    titles: dict[str, Text] = {}
    for phase in catalogue.phases:
        # Merge each phase's row order into the whole, so that a section that maatwerk removed
        # from one phase keeps its place when another phase still has it.
        previous = -1
        for section in phase.sections:
            row = _row_of(section)
            if row not in order:
                order.insert(previous + 1, row)
            previous = order.index(row)
            if section.name == row:
                titles[row] = section.title
            titles.setdefault(row, section.title)
    # The guideline states the Doelstelling right after Vooraf, in the overview and per phase.
    order.insert(order.index(_VOORAF_ROW) + 1 if _VOORAF_ROW in order else 0, GOAL_ROW)
    titles[GOAL_ROW] = catalogue.goal_title
    rows = []
    for row in order:
        cells: list[tuple[Text, ...]] = []
        for phase in catalogue.phases:
            if row == GOAL_ROW:
                cells.append((phase.goal_overview or phase.goal,))
            else:
                cells.append(_cell([s for s in phase.sections if _row_of(s) == row]))
        rows.append(OverviewRow(key=row, title=titles[row], cells=tuple(cells)))
    return Overview(
        heading=catalogue.heading,
        phase_question=catalogue.phase_question,
        phase_titles=tuple(phase.title for phase in catalogue.phases),
        rows=tuple(rows),
    )
