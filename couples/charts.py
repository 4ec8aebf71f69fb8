"""Charts of rating results as SVG text, drawn on the server so pages show them as plain images
(the CSP allows no inline script or style, and no chart library runs in the browser).

Pure functions: values in, an SVG document out. Every chart carries a ``<title>`` and a ``<desc>``
and draws exactly one element of class ``mark`` per rated sign and partner (a bar, or a trend
line), tagged with ``data-sign`` and ``data-partner``; the page beside it shows the same numbers
as a table for anyone who cannot see the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
LABEL_WIDTH = 210
BAR_AREA = 360
ROW_HEIGHT = 48
LEGEND_HEIGHT = 34
PANEL_HEIGHT = 132
PLOT_LEFT, PLOT_RIGHT = 48, WIDTH - 16
LABEL_CHARS = 32
COLOURS = {"a": "#1d5e63", "b": "#8a4b08"}  # both at least 4.5:1 on white
FONT = "system-ui, sans-serif"
PARTNERS = ("a", "b")


@dataclass(frozen=True)
class SignRating:
    """Both partners' ratings of one sign in one session (None: that partner did not rate it)."""

    sign_id: str
    label: str
    a: int | None
    b: int | None
    scale_min: int
    scale_max: int


@dataclass(frozen=True)
class SignTrend:
    """One sign's ratings across sessions, oldest first: one value (or None) per session and partner."""

    sign_id: str
    label: str
    scale_min: int
    scale_max: int
    a: tuple[int | None, ...]
    b: tuple[int | None, ...]

    def values(self, partner: str) -> tuple[int | None, ...]:
        """The series of ``partner`` ('a' or 'b')."""
        return self.a if partner == "a" else self.b


def ratings_chart(signs: Sequence[SignRating], names: tuple[str, str], title: str, desc: str) -> str:
    """Horizontal bars, both partners side by side for each sign of one session."""
    height = LEGEND_HEIGHT + ROW_HEIGHT * max(1, len(signs)) + 8
    parts = [_legend(names)]
    for row, sign in enumerate(signs):
        top = LEGEND_HEIGHT + row * ROW_HEIGHT
        parts.append(_text(8, top + 27, _short(sign.label), anchor="start"))
        for offset, partner in enumerate(PARTNERS):
            parts.append(_bar(sign, partner, top + 6 + offset * 18))
    return _document(height, title, desc, parts)


def trend_chart(trends: Sequence[SignTrend], session_labels: Sequence[str], names: tuple[str, str],
                title: str, desc: str) -> str:
    """One small panel per sign: each partner's line across the sessions, oldest on the left."""
    height = LEGEND_HEIGHT + PANEL_HEIGHT * max(1, len(trends)) + 8
    parts = [_legend(names)]
    for row, trend in enumerate(trends):
        top = LEGEND_HEIGHT + row * PANEL_HEIGHT
        parts.append(_panel(trend, session_labels, top))
    return _document(height, title, desc, parts)


# --- pieces -------------------------------------------------------------------------------------

def _document(height: int, title: str, desc: str, parts: list[str]) -> str:
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"'
        f' role="img" aria-labelledby="chart-title chart-desc" font-family="{FONT}" font-size="13">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>{body}</svg>'
    )


def _legend(names: tuple[str, str]) -> str:
    items = []
    for index, (partner, name) in enumerate(zip(PARTNERS, names, strict=True)):
        x = 8 + index * 200
        items.append(f'<rect x="{x}" y="10" width="14" height="14" fill="{COLOURS[partner]}"{_dash(partner)}/>')
        items.append(_text(x + 20, 22, _short(name), anchor="start"))
    return "".join(items)


def _bar(sign: SignRating, partner: str, y: int) -> str:
    value = getattr(sign, partner)
    if value is None:
        return ""
    length = max(2.0, BAR_AREA * _fraction(value, sign.scale_min, sign.scale_max))
    return (
        f'<rect class="mark" data-sign={quoteattr(sign.sign_id)} data-partner="{partner}" x="{LABEL_WIDTH}"'
        f' y="{y}" width="{length:.1f}" height="14" fill="{COLOURS[partner]}"{_dash(partner)}/>'
        + _text(LABEL_WIDTH + length + 6, y + 12, str(value), anchor="start")
    )


def _panel(trend: SignTrend, session_labels: Sequence[str], top: int) -> str:
    plot_top, plot_bottom = top + 26, top + PANEL_HEIGHT - 24
    count = len(session_labels)
    step = (PLOT_RIGHT - PLOT_LEFT) / max(1, count - 1)

    def point(index: int, value: int) -> tuple[float, float]:
        share = _fraction(value, trend.scale_min, trend.scale_max)
        x = PLOT_LEFT + (step * index if count > 1 else (PLOT_RIGHT - PLOT_LEFT) / 2)
        return x, plot_bottom - share * (plot_bottom - plot_top)

    parts = [
        _text(8, top + 16, _short(trend.label), anchor="start", weight="600"),
        f'<line x1="{PLOT_LEFT}" y1="{plot_bottom}" x2="{PLOT_RIGHT}" y2="{plot_bottom}" stroke="#6b737c"/>',
        _text(PLOT_LEFT - 6, plot_bottom + 4, str(trend.scale_min)),
        _text(PLOT_LEFT - 6, plot_top + 4, str(trend.scale_max)),
    ]
    if session_labels:
        parts.append(_text(PLOT_LEFT, plot_bottom + 18, session_labels[0], anchor="start"))
        parts.append(_text(PLOT_RIGHT, plot_bottom + 18, session_labels[-1], anchor="end"))
    for partner in PARTNERS:
        points = [point(i, v) for i, v in enumerate(trend.values(partner)) if v is not None]
        if points:
            parts.append(_line(trend.sign_id, partner, points))
    return "".join(parts)


def _line(sign_id: str, partner: str, points: list[tuple[float, float]]) -> str:
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLOURS[partner]}"/>' for x, y in points)
    return (
        f'<polyline class="mark" data-sign={quoteattr(sign_id)} data-partner="{partner}" points="{coordinates}"'
        f' fill="none" stroke="{COLOURS[partner]}" stroke-width="2.5"{_dash(partner, stroke=True)}/>{dots}'
    )


def _dash(partner: str, stroke: bool = False) -> str:
    """Partner B is drawn dashed, so the two differ by more than colour."""
    if partner != "b":
        return ""
    return ' stroke-dasharray="6 4"' if stroke else ' fill-opacity="0.75" stroke="#5c3205" stroke-dasharray="3 2"'


def _fraction(value: int, low: int, high: int) -> float:
    if high <= low:
        return 0.0
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _text(x: float, y: float, content: str, anchor: str = "end", weight: str = "400") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-weight="{weight}"'
            f' fill="#1f2328">{escape(content)}</text>')
