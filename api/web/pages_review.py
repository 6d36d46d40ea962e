"""The programme staff's match-quality review, in pages short enough to read.

/review is a summary that leads with what needs attention (the review's warnings, fairness
flags, drift, the providers to replicate or to review) and a few headline figures; each part
has its page: /review/quality, /review/calibration, /review/fairness, /review/providers (the
league table, searched, filtered, sorted and paged on the server) and /review/effects.

Every page shows the stored review (:func:`_show`, api/reviewing.py: the dict of ``matcher
review --json`` and GET /v1/review, computed in the background after a change) with when it
was computed and whether a newer one is being computed. The effects are the slow part (about
30 s on the demo world on two busy cores, the rest about 1.7 s), so only /review/effects asks
for them. Before the first review exists, a page says "being computed" and reloads itself.

The review's warnings and method notes are codes with parameters
(:mod:`matcher.notes`); the pages say them in the reader's language with ``t.note``
(catalogue keys ``note.<code>``, locales/*/notes.json).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from api import audit
from api.deps import SessionDep, SettingsDep
from api.reviewing import ReviewView, keeper
from api.routing import ReleasingRoute
from api.web.i18n import Translator
from api.web.render import render, translator
from api.web.review_charts import calibration_charts, fairness_charts, league_charts, quality_charts
from api.web.review_league import (
    FLAGS,
    KINDS,
    MAX_PAGE,
    NATURAL_ORDER,
    FlagFilter,
    KindFilter,
    Order,
    Sort,
    league_page,
    top_flagged,
)
from api.web.session import PageCaller, need
from matcher.clock import in_vietnam
from matcher.review.dashboard import named_funnel
from matcher.review.funnel import MIN_CELL as FUNNEL_MIN_CELL
from matcher.settings import Settings
from matcher.vocab.places import load_place_index

router = APIRouter(route_class=ReleasingRoute, include_in_schema=False)

QUALITY_DIMENSIONS = ("social_worker", "group", "place", "gender", "age_band")
FAIRNESS_DIMENSIONS = ("group", "gender", "age_band", "place")
FLAG_KEYS = FLAGS
STEERING_TESTS = ("placed_in_wished_trade", "placed_wage_vnd_day",
                  "suggested_first_in_wished_trade", "suggested_mean_wage_vnd_day")
#: The review's pages in the order of the sub-navigation: (path, catalogue key of the name).
SECTIONS = (("/review", "review.nav.summary"), ("/review/quality", "review.quality.title"),
            ("/review/calibration", "review.calibration.title"),
            ("/review/fairness", "review.fairness.title"),
            ("/review/providers", "review.league.title"),
            ("/review/effects", "review.effects.title"))
#: Providers to replicate or to review named on the summary, each flag (the rest: one link).
SUMMARY_PROVIDERS = 5
#: The page that shows the detail of a warning, by the start of its code.
WARNING_PAGES = (("calibration.", "/review/calibration"),
                 ("predictions.", "/review/calibration"), ("fairness.", "/review/fairness"),
                 ("quality.", "/review/quality"),
                 ("league.too_few", "/review/providers?flag=too_few"),
                 ("league.", "/review/providers"))


def _show(request: Request, caller: PageCaller, session: Session, settings: Settings,
          part: str | None, template: str,
          context: Callable[[dict[str, Any], Translator, Labels], dict[str, Any]], *,
          with_effects: bool = False, detail: dict[str, Any] | None = None):
    """Staff only: one review page. The stored review (the one place the pages fetch it),
    its reading recorded, then ``template`` with what ``context(review, t, labels)`` adds;
    before the first review, the "being computed" page."""
    need(caller, "programme_staff")
    view = keeper.view(session, settings.model_dir, with_effects=with_effects)
    audit.record(session, caller, "read", "review", part, detail)
    session.commit()
    if view.review is None:
        return computing_page(request, caller, view)
    t = translator(request)
    labels = Labels(t)
    return render(request, template, caller, sections=SECTIONS, flag_key=FLAG_KEYS,
                  r=view.review, fresh=freshness(view), L=labels,
                  **context(view.review, t, labels))


@router.get("/review")
def review_page(request: Request, caller: PageCaller, session: SessionDep,
                settings: SettingsDep):
    def context(review, t, labels):
        providers = review["league"]["providers"]
        return {"attention": attention(t, review),
                "flagged": {flag: top_flagged(providers, flag, SUMMARY_PROVIDERS)
                            for flag in ("replicate", "review")}}

    return _show(request, caller, session, settings, None, "review/index.html", context)


@router.get("/review/quality")
def quality_page(request: Request, caller: PageCaller, session: SessionDep,
                 settings: SettingsDep):
    return _show(request, caller, session, settings, "quality", "review/quality.html",
                 lambda review, t, labels: {"charts": quality_charts(t, labels, review),
                                            "quality_dims": QUALITY_DIMENSIONS})


@router.get("/review/calibration")
def calibration_page(request: Request, caller: PageCaller, session: SessionDep,
                     settings: SettingsDep):
    return _show(request, caller, session, settings, "calibration", "review/calibration.html",
                 lambda review, t, labels: {"charts": calibration_charts(t, review)})


@router.get("/review/fairness")
def fairness_page(request: Request, caller: PageCaller, session: SessionDep,
                  settings: SettingsDep):
    return _show(request, caller, session, settings, "fairness", "review/fairness.html",
                 lambda review, t, labels: {"charts": fairness_charts(t, labels, review),
                                            "fairness_dims": FAIRNESS_DIMENSIONS,
                                            "steering_tests": STEERING_TESTS})


@router.get("/review/providers")
def providers_page(request: Request, caller: PageCaller, session: SessionDep,
                   settings: SettingsDep,
                   q: Annotated[str, Query(max_length=100)] = "",
                   flag: FlagFilter = "enough", kind: KindFilter = "all",
                   sort: Sort = "flag", order: Order | None = None,
                   page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1):
    def context(review, t, labels):
        shown = league_page(review["league"]["providers"], q=q, flag=flag, kind=kind,
                            sort=sort, order=order, page=page)
        query = {"q": q.strip(), "flag": flag, "kind": kind, "sort": sort,
                 "order": order or NATURAL_ORDER[sort]}
        # The referral funnel by provider (matcher.review.funnel), read live: the same rows
        # as the dashboard's, beside the outcomes the league table reads.
        data = {"funnel": named_funnel(session, load_place_index(), ("provider",)),
                "funnel_min_cell": FUNNEL_MIN_CELL}
        return {"charts": league_charts(t, labels, review, lambda trade: _trade(t, trade)),
                "data": data, "shown": shown, "query": query, "kinds": KINDS,
                "trade": lambda trade: _trade(t, trade)}

    return _show(request, caller, session, settings, "providers", "review/providers.html",
                 context, detail={"q": bool(q.strip()), "flag": flag, "kind": kind})


@router.get("/review/effects")
def effects_page(request: Request, caller: PageCaller, session: SessionDep,
                 settings: SettingsDep):
    def context(review, t, labels):
        names = {p["provider_id"]: p["name"] for p in review["league"]["providers"]}
        return {"effects_note": t.note(review.get("effects_note")) or None,
                "effects": [_effect(t, e, names) for e in review["effects"]]}

    return _show(request, caller, session, settings, "effects", "review/effects.html",
                 context, with_effects=True)


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


def attention(t: Translator, review: dict[str, Any]) -> list[dict[str, str | None]]:
    """The review's warnings (as :func:`warnings`), each with its code and the page that
    shows its detail."""
    return [{"code": w.get("code", ""), "text": t.note(w),
             "href": next((page for start, page in WARNING_PAGES
                           if w.get("code", "").startswith(start)), None)}
            for w in review["warnings"] if not _is_effects(w)]


def _is_effects(item: dict[str, Any] | str) -> bool:
    code = item.get("code", "") if isinstance(item, dict) else ""
    return code.startswith(("effects.", "review.effects_"))


def _trade(t: Translator, trade_id: str) -> str:
    from matcher.vocab.trades import load_trade_index

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


__all__ = ["Labels", "attention", "calibration_page", "effects_page", "fairness_page",
           "providers_page", "quality_page", "review_page", "router", "warnings"]
