"""The programme staff's match-quality review: /review and /review/effects.

Both pages show the stored review (api/reviewing.py: the same dict as ``matcher review
--json`` and GET /v1/review, computed in the background after a change), with when it was
computed and whether a newer one is being computed: suggestion quality, calibration,
fairness and the league table of providers and livelihood models on /review (the review
without the effects, about 1.5 s to compute on the demo world); the effects of placement
on /review/effects (8–35 s more). Before the first review exists, a page says "being
computed" and reloads itself.

The review's warnings and method notes are codes with parameters
(:mod:`matcher.review.notes`); the pages say them in the reader's language with ``t.note``
(catalogue keys ``note.<code>``, locales/*/notes.json).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import audit
from api.deps import SessionDep, SettingsDep
from api.reviewing import ReviewView, keeper
from api.routing import ReleasingRoute
from api.web import charts
from api.web.i18n import Translator
from api.web.render import render, translator
from api.web.session import PageCaller, need
from matcher.clock import in_vietnam

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

QUALITY_DIMENSIONS = ("social_worker", "group", "place", "gender", "age_band")
FAIRNESS_DIMENSIONS = ("group", "gender", "age_band", "place")
FLAG_KEYS = {"replicate": "replicate", "review": "review", "as expected": "as_expected",
             "too few placements to say": "too_few"}
STEERING_TESTS = ("placed_in_wished_trade", "placed_wage_vnd_day",
                  "suggested_first_in_wished_trade", "suggested_mean_wage_vnd_day")


@router.get("/review")
def review_page(request: Request, caller: PageCaller, session: SessionDep,
                settings: SettingsDep):
    need(caller, "programme_staff")
    view = keeper.view(session, settings.model_dir, with_effects=False)
    audit.record(session, caller, "read", "review", None)
    session.commit()
    if view.review is None:
        return computing_page(request, caller, view)
    review = view.review
    t = translator(request)
    labels = Labels(t)
    return render(request, "review/index.html", caller, r=review, L=labels,
                  fresh=freshness(view),
                  warnings=warnings(t, review),
                  charts=_charts(t, labels, review),
                  flag_key=FLAG_KEYS, quality_dims=QUALITY_DIMENSIONS,
                  fairness_dims=FAIRNESS_DIMENSIONS, steering_tests=STEERING_TESTS,
                  enough=[p for p in review["league"]["providers"]
                          if p["n"] >= review["league"]["min_n"]])


@router.get("/review/effects")
def effects_page(request: Request, caller: PageCaller, session: SessionDep,
                 settings: SettingsDep):
    need(caller, "programme_staff")
    view = keeper.view(session, settings.model_dir, with_effects=True)
    audit.record(session, caller, "read", "review", "effects")
    session.commit()
    if view.review is None:
        return computing_page(request, caller, view)
    review = view.review
    t = translator(request)
    names = {p["provider_id"]: p["name"] for p in review["league"]["providers"]}
    return render(request, "review/effects.html", caller, r=review, L=Labels(t),
                  fresh=freshness(view),
                  effects_note=t.note(review.get("effects_note")) or None,
                  effects=[_effect(t, e, names) for e in review["effects"]])


def freshness(view: ReviewView) -> dict[str, Any]:
    """When the review shown was computed (Vietnam's time) and whether a newer one is coming."""
    return {"at": in_vietnam(view.computed_at), "stale": view.stale, "updating": view.updating,
            "failed_at": in_vietnam(view.last_failed_at)}


def computing_page(request: Request, caller, view: ReviewView):
    """No review was ever computed and the first one is not done yet (or failed): say so,
    and look again in a few seconds."""
    return render(request, "review/computing.html", caller, fresh=freshness(view),
                  status=202 if view.updating else 503)


class Labels:
    """The words for the review's codes in the reader's language (a code without words, such
    as a former district's name or a username, is shown as it is)."""

    def __init__(self, t: Translator) -> None:
        self.t = t

    def _word(self, key: str, fallback: str) -> str:
        return self.t(key) if self.t.has(key) else fallback

    def level(self, dimension: str, code: str) -> str:
        if code in ("unknown", "None", ""):
            return self.t("review.unknown")
        if dimension in ("group", "gender", "kind", "reason"):
            return self._word(f"enum.{dimension}.{code}", code)
        return code

    def dimension(self, name: str) -> str:
        return self.t(f"review.dim.{name}")

    def flag(self, flag: str) -> str:
        return self.t(f"review.flag.{FLAG_KEYS.get(flag, flag)}")

    def pct(self, value: float | None, digits: int = 1) -> str:
        return self.t.percent(value, digits)

    def num(self, value: float | None, digits: int = 3) -> str:
        return self.t.number(value, digits)

    def p(self, value: float | None) -> str:
        """A p-value: 4 decimals, "< 0.0001" below that."""
        if value is None:
            return "—"
        return "< " + self.t.number(0.0001, 4) if value < 0.0001 else self.t.number(value, 4)

    def rate(self, r: dict[str, Any] | None) -> str:
        """``k/n = rate (low–high)``, or a dash without a rate."""
        if not r or r.get("rate") is None:
            return "—"
        return (f"{self.pct(r['rate'])} ({self.pct(r['ci_low'])}–{self.pct(r['ci_high'])}), "
                f"{self.t.number(r['k'])}/{self.t.number(r['n'])}")


def warnings(t: Translator, review: dict[str, Any]) -> list[str]:
    """The review's warnings (``review["warnings"]``, coded notes, in the same order) in the
    reader's language; the effects' note is on the effects page."""
    return [t.note(w) for w in review["warnings"] if not _is_effects(w)]


def _is_effects(item: dict[str, Any] | str) -> bool:
    code = item.get("code", "") if isinstance(item, dict) else ""
    return code.startswith(("effects.", "review.effects_"))


def _charts(t: Translator, labels: Labels, review: dict[str, Any]) -> dict[str, Any]:
    def words(key: str, columns: list[str]) -> charts.Words:
        return charts.Words(t(f"review.chart.{key}.title"), t(f"review.chart.{key}.desc"),
                            t("review.chart.table"), columns)

    def pct(v: float) -> str:
        return t.percent(v)

    out: dict[str, Any] = {}
    deciles = review["calibration"]["current"]["deciles"]
    out["calibration"] = charts.calibration_chart(
        "chart-review-calibration",
        words("calibration", [t("review.col.predicted"), t("review.col.observed"),
                              t("review.col.ci_low"), t("review.col.ci_high"),
                              t("review.col.n")]),
        [charts.Point(d["mean_predicted"], d["observed"], d["ci_low"], d["ci_high"], d["n"])
         for d in deciles], fmt=pct, count=t.number,
        axis=(t("review.col.predicted"), t("review.col.observed"))) if deciles else None

    group = review["fairness"]["dimensions"]["group"]["success"]
    out["fairness_group"] = charts.interval_chart(
        "chart-review-group",
        words("group", [t("review.dim.group"), t("review.col.rate"), t("review.col.ci_low"),
                        t("review.col.ci_high"), t("review.col.n")]),
        [charts.Interval(labels.level("group", r["level"]), r["rate"], r["ci_low"] or 0.0,
                         r["ci_high"] or 0.0, r["n"]) for r in group if r["n"]],
        fmt=pct, count=t.number) if group else None

    reasons = review["suggestion_quality"]["decline_reasons"]
    out["declines"] = charts.bar_chart(
        "chart-review-declines",
        words("declines", [t("review.col.reason"), t("review.col.declined")]),
        [labels.level("reason", r["reason_code"]) for r in reasons],
        [charts.Series(t("review.col.declined"), [r["n"] for r in reasons])],
        fmt=t.number) if reasons else None

    league = review["league"]

    def ratio(v: float) -> str:
        return t.number(v, 2)

    def funnel(cid: str, key: str, rows: list[dict[str, Any]], name) -> Any:
        if not rows:
            return None
        return charts.funnel_chart(
            cid,
            words(key, [t("review.col.name"), t("review.col.n"), t("review.col.o_over_e"),
                        t("review.col.ci_low"), t("review.col.ci_high"), t("review.col.flag")]),
            [charts.FunnelPoint(name(r), r["n"], r["o_over_e"], r["ci_low"], r["ci_high"],
                                FLAG_KEYS.get(r["flag"], r["flag"]), labels.flag(r["flag"]))
             for r in rows],
            [charts.FunnelLimit(f["n"], f["low95"], f["high95"], f["low998"], f["high998"])
             for f in league["funnel"]],
            fmt=ratio, count=t.number,
            axis=(t("review.col.n_placements"), t("review.col.o_over_e")),
            limit_labels=(t("review.funnel.limit95"), t("review.funnel.limit998")))

    out["funnel"] = funnel("chart-review-funnel", "funnel", league["providers"],
                           lambda r: f"{r['name']} ({r['provider_id']})")
    out["funnel_models"] = funnel("chart-review-funnel-models", "funnel_models",
                                  league["livelihood_models"], lambda r: _trade(t, r["trade"]))
    return out


def _trade(t: Translator, trade_id: str) -> str:
    from matcher.trades import load_trade_index

    trades = load_trade_index()
    if trade_id not in trades:
        return trade_id
    trade = trades.get(trade_id)
    return trade.name_vi if t.lang == "vi" else trade.name_en


def _effect(t: Translator, e: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One effect row with its words: the scope's name, the outcome, and its values as text."""
    scope = e["scope"]
    if scope == "overall":
        scope_name = t("review.effects.overall")
    elif t.has(f"enum.kind.{scope}"):
        scope_name = t(f"enum.kind.{scope}")
    else:
        scope_name = f"{names.get(scope, scope)} ({scope})"
    success = e["outcome"] == "success"

    def value(v: float | None) -> str:
        if v is None:
            return "—"
        if success:
            return t("review.effects.pp", value=t.number(100 * v, 1))
        return t("review.effects.per_day", value=t.money(round(v)))

    def ci(low: float | None, high: float | None) -> str:
        return "—" if low is None or high is None else f"{value(low)} – {value(high)}"

    about = e.get("about") or {}
    sens = e.get("sensitivity") or {}
    models = e.get("models") or {}
    return {"raw": e, "id": f"effect-{scope}-{e['outcome']}".replace("_", "-"),
            "scope_name": scope_name, "outcome_name": t(f"review.effects.outcome.{e['outcome']}"),
            "naive": value(e.get("naive")),
            "naive_ci": ci(e.get("naive_ci_low"), e.get("naive_ci_high")),
            "adjusted": value(e.get("adjusted")), "ci": ci(e.get("ci_low"), e.get("ci_high")),
            "verdict": e.get("verdict") or "estimate",
            "reasons": [t.note(n) for n in e.get("notes") or []],
            "method": t.note(e["method"]) if e.get("method") else None,
            "about": about, "left_out": [{**r, "name": _covariate(t, r["covariate"])}
                                         for r in about.get("left_out") or []],
            "sensitivity": sens,
            "models": {k: t(f"review.effects.model.{models[k]}") for k in ("propensity", "outcome")
                       if t.has(f"review.effects.model.{models.get(k)}")},
            "constant": ", ".join(_covariate(t, c) for c in e.get("constant_covariates") or []),
            "overlap": e.get("overlap") or {},
            "balance": [{**b, "name": _covariate(t, b["covariate"])}
                        for b in e.get("balance") or []]}


def _covariate(t: Translator, name: str) -> str:
    return t(f"covariate.{name}") if t.has(f"covariate.{name}") else name


__all__ = ["Labels", "effects_page", "review_page", "router", "warnings"]
