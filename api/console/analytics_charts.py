"""Daily trend charts as SVG drawn on the server with leather (pure Python, MIT): no script, no CDN."""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Sequence

import leather

WIDTH, HEIGHT = 560, 260
leather.theme.title_font_family = leather.theme.tick_font_family = "sans-serif"  # leather's default: Monaco


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
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]  # inline in HTML: no XML declaration or doctype
    label = html.escape(title, quote=True)
    return svg.replace("<svg ", f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" ', 1)
