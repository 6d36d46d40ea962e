"""The review pages' charts (:mod:`api.web.charts`), one function per page, with their words
in the reader's language."""

from __future__ import annotations

from typing import Any

from api.web import charts
from api.web.i18n import Translator
from api.web.review_league import short_flag


def _words(t: Translator, key: str, columns: list[str]) -> charts.Words:
    return charts.Words(t(f"review.chart.{key}.title"), t(f"review.chart.{key}.desc"),
                        t("review.chart.table"), columns)


def quality_charts(t: Translator, labels: Any, review: dict[str, Any]) -> dict[str, Any]:
    reasons = review["suggestion_quality"]["decline_reasons"]
    return {"declines": charts.bar_chart(
        "chart-review-declines",
        _words(t, "declines", [t("review.col.reason"), t("review.col.declined")]),
        [labels.level("reason", r["reason_code"]) for r in reasons],
        [charts.Series(t("review.col.declined"), [r["n"] for r in reasons])],
        fmt=t.number) if reasons else None}


def calibration_charts(t: Translator, review: dict[str, Any]) -> dict[str, Any]:
    deciles = review["calibration"]["current"]["deciles"]
    return {"calibration": charts.calibration_chart(
        "chart-review-calibration",
        _words(t, "calibration", [t("review.col.predicted"), t("review.col.observed"),
                                  t("review.col.ci_low"), t("review.col.ci_high"),
                                  t("review.col.n")]),
        [charts.Point(d["mean_predicted"], d["observed"], d["ci_low"], d["ci_high"], d["n"])
         for d in deciles], fmt=lambda v: t.percent(v), count=t.number,
        axis=(t("review.col.predicted"), t("review.col.observed"))) if deciles else None}


def fairness_charts(t: Translator, labels: Any, review: dict[str, Any]) -> dict[str, Any]:
    group = review["fairness"]["dimensions"]["group"]["success"]
    return {"fairness_group": charts.interval_chart(
        "chart-review-group",
        _words(t, "group", [t("review.dim.group"), t("review.col.rate"), t("review.col.ci_low"),
                            t("review.col.ci_high"), t("review.col.n")]),
        [charts.Interval(labels.level("group", r["level"]), r["rate"], r["ci_low"] or 0.0,
                         r["ci_high"] or 0.0, r["n"]) for r in group if r["n"]],
        fmt=lambda v: t.percent(v), count=t.number) if group else None}


def league_charts(t: Translator, labels: Any, review: dict[str, Any],
                  trade_name) -> dict[str, Any]:
    """The funnel plots of every provider and every livelihood model (their data tables, in
    the charts' <details>, list them all)."""
    league = review["league"]

    def funnel(cid: str, key: str, rows: list[dict[str, Any]], name) -> Any:
        if not rows:
            return None
        return charts.funnel_chart(
            cid,
            _words(t, key, [t("review.col.name"), t("review.col.n"), t("review.col.o_over_e"),
                            t("review.col.ci_low"), t("review.col.ci_high"),
                            t("review.col.flag")]),
            [charts.FunnelPoint(name(r), r["n"], r["o_over_e"], r["ci_low"], r["ci_high"],
                                short_flag(r), labels.flag(r["flag"]))
             for r in rows],
            [charts.FunnelLimit(f["n"], f["low95"], f["high95"], f["low998"], f["high998"])
             for f in league["funnel"]],
            fmt=lambda v: t.number(v, 2), count=t.number,
            axis=(t("review.col.n_placements"), t("review.col.o_over_e")),
            limit_labels=(t("review.funnel.limit95"), t("review.funnel.limit998")))

    return {"funnel": funnel("chart-review-funnel", "funnel", league["providers"],
                             lambda r: f"{r['name']} ({r['provider_id']})"),
            "funnel_models": funnel("chart-review-funnel-models", "funnel_models",
                                    league["livelihood_models"],
                                    lambda r: trade_name(r["trade"]))}


__all__ = ["calibration_charts", "fairness_charts", "league_charts", "quality_charts"]
