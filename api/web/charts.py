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


# --- funnel plot (the review's league table) ---------------------------------------------------


@dataclass(frozen=True)
class FunnelPoint:
    """One provider (or livelihood model): its placements, O/E with its 95% interval, and its
    flag (``replicate``, ``review``, ``as_expected`` or ``too_few``) with the flag's words."""

    label: str
    n: int
    ratio: float | None
    low: float | None
    high: float | None
    flag: str
    flag_label: str


@dataclass(frozen=True)
class FunnelLimit:
    """The funnel's control limits of O/E at ``n`` placements (95% and 99.8%)."""

    n: int
    low95: float
    high95: float
    low998: float
    high998: float


#: Marker of each flag: a shape as well as a colour, so that the flag is not told by colour only.
FUNNEL_MARKS = {"replicate": ("triangle-up", COLOURS[2]), "review": ("triangle-down", COLOURS[4]),
                "as_expected": ("circle", COLOURS[0]), "too_few": ("ring", "#4a5560")}


def _marker(shape: str, colour: str, x: float, y: float, size: float = 5) -> tuple[str, str]:
    """(element name, attributes) of a marker centred on (x, y)."""
    if shape == "triangle-up":
        pts = f"{_n(x)},{_n(y - size)} {_n(x + size)},{_n(y + size * 0.8)} " \
              f"{_n(x - size)},{_n(y + size * 0.8)}"
        return "polygon", f'points="{pts}" fill="{colour}"'
    if shape == "triangle-down":
        pts = f"{_n(x)},{_n(y + size)} {_n(x + size)},{_n(y - size * 0.8)} " \
              f"{_n(x - size)},{_n(y - size * 0.8)}"
        return "polygon", f'points="{pts}" fill="{colour}"'
    if shape == "ring":
        return "circle", (f'cx="{_n(x)}" cy="{_n(y)}" r="{_n(size - 1.5)}" fill="#ffffff" '
                          f'stroke="{colour}" stroke-width="1.5"')
    return "circle", f'cx="{_n(x)}" cy="{_n(y)}" r="{_n(size - 1)}" fill="{colour}"'


def funnel_chart(cid: str, words: Words, points: Sequence[FunnelPoint],
                 limits: Sequence[FunnelLimit], *, fmt: Fmt = _n, count: Fmt = _n,
                 axis: tuple[str, str] = ("", ""), limit_labels: tuple[str, str] = ("", ""),
                 y_cap: float = 3.0) -> Markup:
    """A funnel plot: observed/expected (y) against the number of placements (x), one marker
    per provider shaped and coloured by its flag, the line O/E = 1 and the 95% (dashed) and
    99.8% (solid) control limits. ``axis`` names the x and y axes; ``limit_labels`` the two
    limit lines (in the legend). The y axis runs from 0 to the largest O/E (at most
    ``y_cap``); a provider above it is drawn on the top edge, its value in its tooltip and
    in the table. The legend lists the flags present, with their shapes."""
    left, right, top, bottom = 48, 16, 10, 40
    plot_w = WIDTH - left - right
    plot_h = 300
    height = top + plot_h + bottom
    drawn = [p for p in points if p.ratio is not None]
    x_max = _nice_max(max([p.n for p in points] + [lim.n for lim in limits] + [5]))
    y_max = min(max([p.ratio for p in drawn] + [2.0], default=2.0) * 1.1, y_cap)
    y_max = max(round(y_max * 2) / 2, 1.5)

    def px(n: float) -> float:
        return left + plot_w * n / x_max

    def py(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), y_max) / y_max)

    body = [f'<clipPath id="{cid}-clip"><rect x="{left}" y="{top}" width="{plot_w}" '
            f'height="{plot_h}"/></clipPath>']
    steps = int(round(y_max / 0.5))
    for k in range(steps + 1):
        v = 0.5 * k
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_n(py(v))}" y2="{_n(py(v))}" '
                    f'stroke="#c9d1d9"/>')
        if k % (1 if steps <= 6 else 2) == 0:
            body.append(f'<text x="{left - 4}" y="{_n(py(v) + 4)}" text-anchor="end" '
                        f'fill="#1b1f24">{_e(fmt(v))}</text>')
    segments = 5 if x_max % 5 == 0 else 4  # whole-number ticks: 0, 10, 20, ... 50
    for k in range(segments + 1):
        v = x_max * k / segments
        body.append(f'<line x1="{_n(px(v))}" x2="{_n(px(v))}" y1="{top}" y2="{top + plot_h}" '
                    f'stroke="#c9d1d9"/>')
        body.append(f'<text x="{_n(px(v))}" y="{top + plot_h + 16}" text-anchor="middle" '
                    f'fill="#1b1f24">{_e(count(v))}</text>')
    body.append(f'<line class="target" x1="{left}" x2="{left + plot_w}" y1="{_n(py(1))}" '
                f'y2="{_n(py(1))}" stroke="#1b1f24" stroke-width="1.5"/>')
    for name, lo, hi, dash in (("limit95", "low95", "high95", ' stroke-dasharray="6 4"'),
                               ("limit998", "low998", "high998", "")):
        for side in (lo, hi):
            pts = " ".join(f"{_n(px(lim.n))},{_n(py(getattr(lim, side)))}" for lim in limits)
            if pts:
                body.append(f'<polyline class="{name} {side}" points="{pts}" fill="none" '
                            f'stroke="#4a5560" stroke-width="1.5"{dash} '
                            f'clip-path="url(#{cid}-clip)"/>')
    body.append(f'<text x="{_n(left + plot_w / 2)}" y="{height - 4}" text-anchor="middle" '
                f'fill="#1b1f24">{_e(axis[0])}</text>')
    body.append(f'<text x="12" y="{_n(top + plot_h / 2)}" text-anchor="middle" fill="#1b1f24" '
                f'transform="rotate(-90 12 {_n(top + plot_h / 2)})">{_e(axis[1])}</text>')
    # The flagged ones last, so that they are drawn on top.
    order = {"too_few": 0, "as_expected": 1, "review": 2, "replicate": 3}
    for p in sorted(drawn, key=lambda p: order.get(p.flag, 0)):
        shape, colour = FUNNEL_MARKS.get(p.flag, FUNNEL_MARKS["as_expected"])
        tag, attrs = _marker(shape, colour, px(p.n), py(p.ratio))
        ci = f" ({_e(fmt(p.low))}–{_e(fmt(p.high))})" if p.low is not None \
            and p.high is not None else ""
        body.append(f'<{tag} class="point {p.flag}" {attrs} data-n="{p.n}" '
                    f'data-ratio="{p.ratio:.4f}" data-flag="{_e(p.flag)}">'
                    f"<title>{_e(p.label)}: {_e(fmt(p.ratio))}{ci}, n = {_e(count(p.n))} · "
                    f"{_e(p.flag_label)}</title></{tag}>")
    present = []
    for flag in ("replicate", "review", "as_expected", "too_few"):
        label = next((p.flag_label for p in points if p.flag == flag), None)
        if label is not None:
            present.append((flag, label))
    items = []
    for flag, label in present:
        shape, colour = FUNNEL_MARKS[flag]
        tag, attrs = _marker(shape, colour, 7, 7)
        items.append(f'<li><svg width="14" height="14" aria-hidden="true" focusable="false">'
                     f"<{tag} {attrs}/></svg> {_e(label)}</li>")
    for label, dash in zip(limit_labels, (' stroke-dasharray="4 3"', ""), strict=True):
        if label:
            items.append(f'<li><svg width="20" height="14" aria-hidden="true" focusable="false">'
                         f'<line x1="0" x2="20" y1="7" y2="7" stroke="#4a5560" '
                         f'stroke-width="1.5"{dash}/></svg> {_e(label)}</li>')
    legend = f'<ul class="legend">{"".join(items)}</ul>' if items else ""
    table = [[p.label, count(p.n), fmt(p.ratio) if p.ratio is not None else "—",
              fmt(p.low) if p.low is not None else "—",
              fmt(p.high) if p.high is not None else "—", p.flag_label] for p in points]
    return _figure(cid, words, _svg(cid, words, height, body), legend, _table(words, table))
