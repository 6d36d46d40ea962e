"""Charts drawn on the server as inline, accessible SVG (no JavaScript, no image files).

Each chart is a ``<figure>``: an ``<svg role="img">`` named by its ``<title>`` and
``<desc>``, a legend in HTML, and a ``<details>`` table of the same numbers for screen
readers and for copying. Every data mark carries its numbers in ``data-*`` attributes and a
``<title>`` (a tooltip). Colours are presentation attributes (the pages' CSP allows no
inline style) with at least 3:1 contrast against white; stacked segments are also outlined.

The words (titles, column heads, series names) come from the caller, already translated;
``fmt`` turns a number into text in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 480
FONT = 12
COLOURS = ("#0b5394", "#b35900", "#1e6b34", "#6a3d9a", "#a01c1c", "#4a5560")
LIGHT = "#9ec3e6"  # the "empty" part of a filled/empty bar (outlined in COLOURS[0])

Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    colour: str = COLOURS[0]


@dataclass(frozen=True)
class Interval:
    label: str
    value: float | None
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Point:
    predicted: float
    observed: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Words:
    """The texts of one chart: caption, description, table summary and column heads."""

    title: str
    desc: str
    table: str
    columns: Sequence[str]


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _e(text: object) -> str:
    return str(escape(str(text)))


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _svg(cid: str, words: Words, height: float, body: list[str]) -> str:
    return (f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {_n(height)}" '
            f'aria-labelledby="{cid}-t {cid}-d" font-size="{FONT}" '
            f'font-family="system-ui, sans-serif" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{cid}-t">{_e(words.title)}</title>'
            f'<desc id="{cid}-d">{_e(words.desc)}</desc>' + "".join(body) + "</svg>")


def _table(words: Words, rows: list[list[str]], numeric_from: int = 1) -> str:
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if i >= numeric_from else ""}>{_e(c)}</th>'
                   for i, c in enumerate(words.columns))
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{_e(v)}</th>' if i == 0 else f'<td class="num">{_e(v)}</td>')
            for i, v in enumerate(r)) + "</tr>" for r in rows)
    return (f"<details><summary>{_e(words.table)}</summary><div class=\"table-wrap\">"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
            "</details>")


def _legend(series: Sequence[Series]) -> str:
    if len(series) < 2:
        return ""
    items = "".join(
        f'<li><svg width="14" height="14" aria-hidden="true" focusable="false">'
        f'<rect width="14" height="14" fill="{s.colour}" stroke="{COLOURS[0]}"/></svg> '
        f"{_e(s.label)}</li>" for s in series)
    return f'<ul class="legend">{items}</ul>'


def _figure(cid: str, words: Words, svg: str, legend: str, table: str) -> Markup:
    return Markup(f'<figure class="chart-box" id="{cid}"><figcaption><h2>{_e(words.title)}'
                  f"</h2></figcaption>{svg}{legend}{table}</figure>")


def column_chart(cid: str, words: Words, categories: Sequence[str], series: Sequence[Series],
                 *, fmt: Fmt = _n, ticks: Sequence[str] | None = None,
                 height: int = 260) -> Markup:
    """Vertical bars, stacked when there are several series (e.g. placements by month and
    kind); ``ticks`` gives the text under each category ("" for none; the category itself
    when not given)."""
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(categories))]
    vmax = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(categories), 1)
    bar_w = max(slot * 0.8, 1.0)
    body = _y_axis(left, top, plot_w, plot_h, vmax, fmt)
    for i, cat in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for s in series:
            v = float(s.values[i])
            h = plot_h * v / vmax
            if v > 0:
                body.append(
                    f'<rect class="bar" x="{_n(x)}" y="{_n(base - h)}" width="{_n(bar_w)}" '
                    f'height="{_n(h)}" fill="{s.colour}" data-category="{_e(cat)}" '
                    f'data-series="{_e(s.label)}" data-value="{_n(v)}">'
                    f"<title>{_e(cat)} · {_e(s.label)}: {_e(fmt(v))}</title></rect>")
            base -= h
        tick = cat if ticks is None else ticks[i]
        if tick:
            body.append(f'<text x="{_n(x)}" y="{height - 8}" fill="#1b1f24">{_e(tick)}</text>')
    rows = [[c, *(fmt(float(s.values[i])) for s in series), fmt(totals[i])]
            for i, c in enumerate(categories)]
    return _figure(cid, words, _svg(cid, words, height, body), _legend(series),
                   _table(words, rows))


def bar_chart(cid: str, words: Words, categories: Sequence[str], series: Sequence[Series],
              *, fmt: Fmt = _n, stacked: bool = True) -> Markup:
    """Horizontal bars, one row per category, stacked (or side by side) by series; for
    reasons, trades, seats filled and empty."""
    left, right, top = 170, 44, 8
    per = 22 if stacked or len(series) == 1 else 12 * len(series) + 8
    height = top + per * max(len(categories), 1) + 24
    plot_w = WIDTH - left - right
    totals = [sum(float(s.values[i]) for s in series) for i in range(len(categories))]
    peaks = totals if stacked else [max((float(s.values[i]) for s in series), default=0)
                                    for i in range(len(categories))]
    vmax = _nice_max(max(peaks, default=0))
    body = _x_axis(left, top, plot_w, height - 24 - top, vmax, fmt)
    for i, cat in enumerate(categories):
        y0 = top + i * per
        body.append(f'<text x="{left - 6}" y="{_n(y0 + per / 2 + 4)}" text-anchor="end" '
                    f'fill="#1b1f24">{_e(_short(cat, 22))}<title>{_e(cat)}</title></text>')
        x = float(left)
        for k, s in enumerate(series):
            v = float(s.values[i])
            w = plot_w * v / vmax
            y, h = (y0 + 3, per - 6) if stacked or len(series) == 1 else (y0 + 4 + 12 * k, 10)
            bx = x if stacked else float(left)
            if v > 0:
                body.append(
                    f'<rect class="bar" x="{_n(bx)}" y="{_n(y)}" width="{_n(w)}" '
                    f'height="{_n(h)}" fill="{s.colour}" stroke="{COLOURS[0]}" '
                    f'stroke-width="0.5" data-category="{_e(cat)}" data-series="{_e(s.label)}" '
                    f'data-value="{_n(v)}"><title>{_e(cat)} · {_e(s.label)}: {_e(fmt(v))}'
                    "</title></rect>")
            if stacked:
                x += w
        end = left + plot_w * (totals[i] if stacked else peaks[i]) / vmax
        body.append(f'<text x="{_n(end + 4)}" y="{_n(y0 + per / 2 + 4)}" fill="#1b1f24">'
                    f"{_e(fmt(totals[i]))}</text>")
    with_total = len(words.columns) == len(series) + 2  # a "total" column was asked for
    rows = [[c, *(fmt(float(s.values[i])) for s in series), *([fmt(totals[i])] * with_total)]
            for i, c in enumerate(categories)]
    return _figure(cid, words, _svg(cid, words, height, body), _legend(series),
                   _table(words, rows))


def interval_chart(cid: str, words: Words, rows: Sequence[Interval], *,
                   fmt: Fmt = _n, count: Fmt = _n) -> Markup:
    """A point (the rate) with its 95% interval per row, on a 0–100% axis; the row's label
    and its n on the left."""
    left, right, top, per = 170, 16, 8, 24
    height = top + per * max(len(rows), 1) + 24
    plot_w = WIDTH - left - right
    body = _x_axis(left, top, plot_w, height - 24 - top, 1.0, fmt)
    for i, r in enumerate(rows):
        yc = top + i * per + per / 2
        label = f"{_short(r.label, 17)} ({count(r.n)})"
        body.append(f'<text x="{left - 6}" y="{_n(yc + 4)}" text-anchor="end" fill="#1b1f24">'
                    f"{_e(label)}<title>{_e(r.label)}</title></text>")
        x0, x1 = left + plot_w * r.low, left + plot_w * r.high
        body.append(f'<line class="ci" x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(yc)}" '
                    f'y2="{_n(yc)}" stroke="#4a5560" stroke-width="2" '
                    f'data-low="{r.low:.4f}" data-high="{r.high:.4f}"/>')
        for xe in (x0, x1):
            body.append(f'<line x1="{_n(xe)}" x2="{_n(xe)}" y1="{_n(yc - 5)}" '
                        f'y2="{_n(yc + 5)}" stroke="#4a5560" stroke-width="2"/>')
        if r.value is not None:
            body.append(
                f'<circle class="point" cx="{_n(left + plot_w * r.value)}" cy="{_n(yc)}" '
                f'r="5" fill="{COLOURS[0]}" data-value="{r.value:.4f}" data-n="{r.n}">'
                f"<title>{_e(r.label)}: {_e(fmt(r.value))} ({_e(fmt(r.low))}–"
                f"{_e(fmt(r.high))}), n = {_e(count(r.n))}</title></circle>")
    table = [[r.label, fmt(r.value) if r.value is not None else "—", fmt(r.low), fmt(r.high),
              count(r.n)] for r in rows]
    return _figure(cid, words, _svg(cid, words, height, body), "", _table(words, table))


def calibration_chart(cid: str, words: Words, points: Sequence[Point], *, fmt: Fmt = _n,
                      count: Fmt = _n, axis: tuple[str, str] = ("", "")) -> Markup:
    """Observed against predicted success, one point per bin with its 95% interval, and the
    diagonal of perfect calibration. ``axis`` names the x (predicted) and y (observed) axes."""
    left, right, top, bottom = 48, 16, 10, 40
    size = WIDTH - left - right
    height = top + size + bottom

    def px(v: float) -> float:
        return left + size * v

    def py(v: float) -> float:
        return top + size * (1 - v)

    body = []
    for k in range(6):
        v = k / 5
        body.append(f'<line x1="{_n(px(0))}" x2="{_n(px(1))}" y1="{_n(py(v))}" '
                    f'y2="{_n(py(v))}" stroke="#c9d1d9"/>')
        body.append(f'<line x1="{_n(px(v))}" x2="{_n(px(v))}" y1="{_n(py(0))}" '
                    f'y2="{_n(py(1))}" stroke="#c9d1d9"/>')
        body.append(f'<text x="{left - 4}" y="{_n(py(v) + 4)}" text-anchor="end" '
                    f'fill="#1b1f24">{_e(fmt(v))}</text>')
        body.append(f'<text x="{_n(px(v))}" y="{_n(py(0) + 16)}" text-anchor="middle" '
                    f'fill="#1b1f24">{_e(fmt(v))}</text>')
    body.append(f'<line class="diagonal" x1="{_n(px(0))}" y1="{_n(py(0))}" x2="{_n(px(1))}" '
                f'y2="{_n(py(1))}" stroke="#4a5560" stroke-dasharray="6 4"/>')
    body.append(f'<text x="{_n(px(0.5))}" y="{height - 4}" text-anchor="middle" '
                f'fill="#1b1f24">{_e(axis[0])}</text>')
    body.append(f'<text x="12" y="{_n(py(0.5))}" text-anchor="middle" fill="#1b1f24" '
                f'transform="rotate(-90 12 {_n(py(0.5))})">{_e(axis[1])}</text>')
    for p in points:
        body.append(f'<line class="ci" x1="{_n(px(p.predicted))}" x2="{_n(px(p.predicted))}" '
                    f'y1="{_n(py(p.low))}" y2="{_n(py(p.high))}" stroke="{COLOURS[0]}" '
                    f'stroke-width="2" data-low="{p.low:.4f}" data-high="{p.high:.4f}"/>')
        body.append(
            f'<circle class="point" cx="{_n(px(p.predicted))}" cy="{_n(py(p.observed))}" r="5" '
            f'fill="{COLOURS[0]}" data-predicted="{p.predicted:.4f}" '
            f'data-observed="{p.observed:.4f}" data-n="{p.n}"><title>{_e(fmt(p.predicted))} → '
            f"{_e(fmt(p.observed))} ({_e(fmt(p.low))}–{_e(fmt(p.high))}), n = {_e(count(p.n))}"
            "</title></circle>")
    table = [[fmt(p.predicted), fmt(p.observed), fmt(p.low), fmt(p.high), count(p.n)]
             for p in points]
    return _figure(cid, words, _svg(cid, words, height, body), "", _table(words, table))


def _y_axis(left: float, top: float, width: float, height: float, vmax: float,
            fmt: Fmt) -> list[str]:
    out = []
    for k in range(5):
        v = vmax * k / 4
        y = top + height * (1 - k / 4)
        out.append(f'<line x1="{_n(left)}" x2="{_n(left + width)}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="#c9d1d9"/>')
        out.append(f'<text x="{_n(left - 4)}" y="{_n(y + 4)}" text-anchor="end" '
                   f'fill="#1b1f24">{_e(fmt(v))}</text>')
    return out


def _x_axis(left: float, top: float, width: float, height: float, vmax: float,
            fmt: Fmt) -> list[str]:
    out = []
    for k in range(5):
        v = vmax * k / 4
        x = left + width * k / 4
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top)}" y2="{_n(top + height)}" '
                   f'stroke="#c9d1d9"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(top + height + 16)}" text-anchor="middle" '
                   f'fill="#1b1f24">{_e(fmt(v))}</text>')
    return out
