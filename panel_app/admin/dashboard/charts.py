"""Geometry for the dashboard's SVG charts, drawn on the server.

No chart library and no script: the template turns these shapes into inline SVG (allowed
by a strict Content-Security-Policy, which only forbids inline script and style), and
every chart is followed by a table with the same numbers for screen readers and print.
"""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 190
BAR_AREA = 360
ROW_HEIGHT = 26
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int
    y: int
    width: int
    height: int
    text_x: int
    text_y: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH


def horizontal_bars(items: list[tuple[str, int]]) -> Chart:
    """One bar per (label, value), longest value filling the plotting width."""
    top = max((value for _, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        width = round(BAR_AREA * value / top)
        y = index * ROW_HEIGHT + 4
        bars.append(Bar(label=label, value=value, x=LABEL_WIDTH, y=y, width=width, height=BAR_HEIGHT,
                        text_x=LABEL_WIDTH + width + 6, text_y=y + BAR_HEIGHT - 4))
    return Chart(bars=bars, width=LABEL_WIDTH + BAR_AREA + 60, height=max(1, len(items)) * ROW_HEIGHT + 8)


COLUMN_AREA_HEIGHT = 160
MAX_COLUMN_WIDTH = 24


def columns(items: list[tuple[str, int]], *, width: int = 640) -> Chart:
    """Vertical columns (e.g. one per day), for a time series."""
    top = max((value for _, value in items), default=0) or 1
    n = max(1, len(items))
    step = max(2, min(MAX_COLUMN_WIDTH + 4, (width - 10) // n))
    bars = []
    for index, (label, value) in enumerate(items):
        height = round(COLUMN_AREA_HEIGHT * value / top)
        x = 5 + index * step
        bars.append(Bar(label=label, value=value, x=x, y=COLUMN_AREA_HEIGHT - height + 10, width=max(1, step - 3),
                        height=height, text_x=x, text_y=COLUMN_AREA_HEIGHT + 24))
    return Chart(bars=bars, width=max(width, 10 + n * step), height=COLUMN_AREA_HEIGHT + 30, label_width=0)
