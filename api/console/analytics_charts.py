"""Daily trend charts as SVG drawn on the server with leather (pure Python, MIT): no script, no CDN."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import leather

WIDTH, HEIGHT = 560, 260


def line_chart(points: Sequence[tuple[dt.date, float]], title: str) -> str:
    """One series per day as an SVG document (inline in the page); the y axis starts at zero."""
    chart = leather.Chart(title)
    top = max((value for _, value in points), default=0.0)
    chart.add_y_scale(0, max(top * 1.1, 1))
    if len(points) > 1:
        chart.add_x_scale(points[0][0], points[-1][0])
    chart.add_line(list(points), width=2)
    out = io.StringIO()
    chart.to_svg(out, width=WIDTH, height=HEIGHT)
    return out.getvalue()
