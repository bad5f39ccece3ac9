"""A ranking that can be read: horizontal bars of completion, best first,
on a scale that starts where the data does.

When every city is between 96.7% and 99.7%, bars from 0 all look full;
drawn from a little below the lowest value the differences show. The
scale's start is printed on the axis so that nobody reads a bar's length
as the whole. Inline SVG: no chart library, nothing from the network."""

import math
from dataclasses import dataclass
from decimal import Decimal

ROW = 24
BAR = 14
LABEL = 80
TRACK = 300
VALUE = 150
AXIS = 22


@dataclass(frozen=True)
class Bar:
    name: str
    completion: Decimal | None
    url: str = ""
    css_class: str = ""  # e.g. the city's traffic light
    note: str = ""  # shown after the value, e.g. the gap to the leader


def scale_start(values: list[Decimal]) -> int:
    """A whole percentage below the lowest value, leaving a margin of a
    tenth of the spread (at least one point) so the last bar is visible."""
    if not values:
        return 0
    low, high = min(values), max(values)
    margin = max(Decimal(1), (high - low) / 10)
    return max(0, math.floor(low - margin))


def completion_chart(lines, *, urls: dict | None = None) -> dict:
    """The chart of ``lines`` (CityLine-like: name, figures.completion,
    light, gap_to_leader), in the order given."""
    bars = [
        Bar(
            name=line.name,
            completion=line.figures.completion,
            url=(urls or {}).get(line.code, ""),
            css_class=f"light-{line.light}",
            note="" if not line.gap_to_leader else f"−{line.gap_to_leader:.2f}",
        )
        for line in lines
    ]
    return chart(bars)


def chart(bars: list[Bar]) -> dict:
    start = scale_start([bar.completion for bar in bars if bar.completion is not None])
    span = Decimal(100 - start) or Decimal(1)
    drawn = []
    for index, bar in enumerate(bars):
        top = AXIS + index * ROW
        value = bar.completion
        width = 0 if value is None else round(float((value - start) / span) * TRACK, 1)
        text = "—" if value is None else f"{value:.2f}%"
        drawn.append(
            {
                "bar": bar,
                "y": top + (ROW - BAR) // 2,
                "text_y": top + ROW * 2 // 3,
                "width": max(width, 0),
                "text": f"{text} {bar.note}".strip(),
            }
        )
    middle = (start + 100) / 2
    return {
        "bars": drawn,
        "start": start,
        "ticks": [
            {"x": LABEL, "text": f"{start}%"},
            {"x": LABEL + TRACK // 2, "text": f"{middle:g}%"},
            {"x": LABEL + TRACK, "text": "100%"},
        ],
        "width": LABEL + TRACK + VALUE,
        "height": AXIS + max(len(bars), 1) * ROW,
        "bar_x": LABEL,
        "bar_width": TRACK,
        "bar_height": BAR,
        "value_x": LABEL + TRACK + 8,
        "axis_y": AXIS - 8,
    }
