"""Programme staff's dashboard (/dashboard): placements by month and kind, success by group,
area and provider, calibration (the stored review's figure), decline reasons, seats by trade.

The numbers come from :mod:`matcher.review.dashboard`; the charts are drawn here as inline SVG
(:mod:`api.web.charts`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import audit
from api.deps import SessionDep, SettingsDep
from api.reviewing import keeper
from api.routing import ReleasingRoute
from api.web import charts
from api.web.i18n import Translator
from api.web.render import render, translator
from api.web.session import PageCaller, need
from matcher.review import dashboard as numbers
from matcher.review.department import MEASURES
from matcher.vocab.trades import load_trade_index

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

KIND_COLOURS = dict(zip(numbers.KINDS, charts.COLOURS, strict=False))
#: The Department report's figures the dashboard shows for the current quarter.
HEADLINE = tuple(m for m in MEASURES if m not in ("reached_6_months", "clubs_joined"))

@router.get("/dashboard")
def dashboard_page(request: Request, caller: PageCaller, session: SessionDep,
                   settings: SettingsDep):
    need(caller, "programme_staff")
    review = keeper.view(session, settings.model_dir, with_effects=False).review
    data = numbers.dashboard(session, review)
    audit.record(session, caller, "read", "dashboard", None)
    session.commit()
    t = translator(request)
    return render(request, "staff/dashboard.html", caller, data=data, charts=_charts(t, data),
                  headline=HEADLINE)


def _charts(t: Translator, data: dict[str, Any]) -> dict[str, Any]:
    """Each chart's markup, or None when there is nothing to draw yet."""
    count = t.number

    def pct(v: float) -> str:
        return t.percent(v)

    def words(key: str, columns: list[str]) -> charts.Words:
        return charts.Words(t(f"staff.chart.{key}.title"), t(f"staff.chart.{key}.desc"),
                            t("staff.chart.table"), columns)

    rate_cols = [t("staff.col.rate"), t("staff.col.ci_low"), t("staff.col.ci_high"),
                 t("staff.col.n")]
    out: dict[str, Any] = {}

    months = data["by_month"]
    kinds = [charts.Series(t(f"enum.kind.{k}"), [m[k] for m in months], KIND_COLOURS[k])
             for k in numbers.KINDS]
    out["by_month"] = charts.column_chart(
        "chart-months", words("months", [t("staff.col.month"), *(s.label for s in kinds),
                                         t("staff.col.total")]),
        [_month(t, m["month"]) for m in months], kinds, fmt=count,
        ticks=[m["month"][:4] if m["month"].endswith("-01") or i == 0 else ""
               for i, m in enumerate(months)]) if months else None

    def intervals(key: str, rows: list[dict[str, Any]], label) -> Any:
        if not rows:
            return None
        points = [charts.Interval(label(r), r["rate"], r["ci_low"], r["ci_high"], r["n"])
                  for r in rows]
        return charts.interval_chart(f"chart-{key}", words(key, [t(f"staff.col.{key}"),
                                                                 *rate_cols]),
                                     points, fmt=pct, count=count)

    out["by_group"] = intervals("group", data["by_group"],
                                lambda r: t(f"enum.group.{r['key']}")
                                if t.has(f"enum.group.{r['key']}") else r["key"])
    out["by_place"] = intervals("place", data["by_place"], lambda r: r["key"])
    out["by_provider"] = intervals("provider", data["by_provider"], lambda r: r["name"])

    cal = data["calibration"]["bins"] if data["calibration"] else []
    out["calibration"] = charts.calibration_chart(
        "chart-calibration",
        words("calibration", [t("staff.col.predicted"), t("staff.col.observed"),
                              t("staff.col.ci_low"), t("staff.col.ci_high"), t("staff.col.n")]),
        [charts.Point(b["mean_predicted"], b["observed"], b["ci_low"], b["ci_high"], b["n"])
         for b in cal], fmt=pct, count=count,
        axis=(t("staff.col.predicted"), t("staff.col.observed"))) if cal else None

    declines = data["declines"]
    out["declines"] = charts.bar_chart(
        "chart-declines", words("declines", [t("staff.col.reason"), t("staff.col.declined")]),
        [t(f"enum.reason.{r['reason_code']}") if t.has(f"enum.reason.{r['reason_code']}")
         else r["reason_code"] for r in declines],
        [charts.Series(t("staff.col.declined"), [r["n"] for r in declines])],
        fmt=count) if declines else None

    # "Other trades" gathers dozens of small ones: drawn beside the top 15, it would
    # flatten every other bar. The top 15 are shown (the chart's description says so).
    seats = [r for r in data["seats"] if r["key"] != "other"]
    trades = load_trade_index()

    def trade_name(key: str) -> str:
        if key not in trades:
            return t("staff.other")
        trade = trades.get(key)
        return trade.name_vi if t.lang == "vi" else trade.name_en

    parts = [charts.Series(t("staff.col.filled"), [r["filled"] for r in seats],
                           charts.COLOURS[0]),
             charts.Series(t("staff.col.empty"), [r["empty"] for r in seats], charts.LIGHT)]
    out["seats"] = charts.bar_chart(
        "chart-seats", words("seats", [t("staff.col.trade"), *(p.label for p in parts),
                                       t("staff.col.total")]),
        [trade_name(r["key"]) for r in seats], parts, fmt=count) if seats else None
    return out


def _month(t: Translator, month: str) -> str:
    year, mm = month.split("-")
    return f"{mm}/{year}" if t.lang == "vi" else month
