"""The trend of a case's scale scores as a PNG: median per meeting, and the family's view.

matplotlib is imported inside the function: it takes most of a second to load, and the bot
should start (and answer its first click) without waiting for a chart nobody asked for yet.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.votes.blocks import short_date
from flows.scale import MAXIMUM, MINIMUM, TrendPoint, per_scale


def render_png(
    points: Sequence[TrendPoint],
    labels: Mapping[str, str],
    tz: ZoneInfo,
    titles: Mapping[str, str] | None = None,
) -> bytes:
    """A small line chart per scale, each under its own title (scores on different scales are
    never one line); `labels` holds the title, legend and axis texts (already translated).
    It shows dates and scores only: no names, no free text."""
    # A bare Figure renders with the Agg backend and keeps no global state (unlike pyplot), so
    # it is safe to draw in a worker thread while the event loop goes on.
    from matplotlib.figure import Figure

    lines = per_scale(points)
    figure = Figure(figsize=(7, 3.2 * max(1, len(lines))), dpi=100)
    all_axes = figure.subplots(max(1, len(lines)), 1, squeeze=False)
    for axes_row, (scale, scale_points) in zip(all_axes, lines.items(), strict=False):
        title = (titles or {}).get(scale) or labels["title"]
        _draw(axes_row[0], scale_points, labels, title, tz)
    if len(lines) > 1:
        figure.suptitle(labels["title"])
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw(
    axes: Any, points: Sequence[TrendPoint], labels: Mapping[str, str], title: str, tz: ZoneInfo
) -> None:
    ticks = [f"{short_date(p.held_at, tz)}" for p in points]
    x = list(range(len(points)))
    medians = [(i, p.median) for i, p in zip(x, points, strict=True) if p.median is not None]
    if medians:
        axes.plot(
            [i for i, _ in medians],
            [m for _, m in medians],
            marker="o",
            linewidth=2,
            label=labels["median"],
        )
    family = [(i, p.family) for i, p in zip(x, points, strict=True) if p.family is not None]
    if family:
        axes.plot(
            [i for i, _ in family],
            [v for _, v in family],
            marker="s",
            linestyle="--",
            label=labels["family"],
        )
    axes.set_ylim(MINIMUM - 0.5, MAXIMUM + 0.5)
    axes.set_yticks(range(MINIMUM, MAXIMUM + 1))
    axes.set_xticks(x, ticks, rotation=30 if len(x) > 4 else 0)
    axes.set_ylabel(labels["axis"])
    axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    if medians or family:
        axes.legend(loc="lower right")
