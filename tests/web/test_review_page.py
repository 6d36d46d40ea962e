"""The staff's match-quality review pages (/review, /review/effects) over HTTP, against the
session's server: roles, sign-in, each section's numbers equal to
:func:`matcher.review.build_review` computed here on the same database and model, both
languages; and the funnel chart (api.web.charts.funnel_chart) on its own."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import httpx
import pytest
from sqlalchemy.orm import Session

from api.web import charts
from api.web.i18n import Translator
from matcher.review import build_review
from tests.web.signin import login_form

SVG = "{http://www.w3.org/2000/svg}"
STAFF = "canbo.chuongtrinh"


@contextmanager
def _signed_in(server, username: str, lang: str | None = None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=300, follow_redirects=False) as client:
        r = login_form(client, username)
        assert r.status_code == 303, r.text
        if lang:
            client.cookies.set("lang", lang)
        yield client


def _review(web, db, *, with_effects: bool) -> dict:
    """The review computed here, on the same database and model as the server's."""
    with Session(db) as session:
        return build_review(session, web.model_dir, with_effects=with_effects)


def _value(html: str, element_id: str) -> str:
    m = re.search(rf'id="{re.escape(element_id)}"[^>]*data-value="([^"]*)"', html)
    assert m, f"no #{element_id} with a data-value"
    return m.group(1)


def _close(text: str, expected: float | None) -> bool:
    if expected is None:
        return text == "None"
    return abs(float(text) - expected) < 1e-9


def _svg(html: str, cid: str) -> ET.Element:
    m = re.search(rf'<figure class="chart-box" id="{cid}">.*?(<svg.*?</svg>)', html, re.S)
    assert m, f"no chart {cid}"
    return ET.fromstring(m.group(1))


# --- roles and sign-in ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["ctv.halong", "truong.nghe", "quantri"])
def test_other_roles_get_403_on_the_review_pages(web, username):
    with _signed_in(web, username) as client:
        for path in ("/review", "/review/effects"):
            r = client.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "text/html" in r.headers["content-type"]
            assert "chart-review" not in r.text


def test_the_review_pages_need_a_sign_in(web):
    with httpx.Client(base_url=web.url, timeout=60, follow_redirects=False) as anonymous:
        for path in ("/review", "/review/effects"):
            r = anonymous.get(path)
            assert r.status_code == 303
            assert r.headers["location"] == f"/login?next={path}"


# --- the numbers --------------------------------------------------------------------------------


@pytest.fixture
def page(web, db):
    """(html of /review in Vietnamese, the review computed here on the same data)."""
    with _signed_in(web, STAFF) as client:
        r = client.get("/review")
        assert r.status_code == 200, r.text[:500]
        html = r.text
    return html, _review(web, db, with_effects=False)


def test_the_page_shows_the_model_and_data_of_the_review(page):
    html, review = page
    assert review["model"]["version"] in html
    assert int(_value(html, "data-placements")) == review["data"]["placements_with_outcome"] > 0
    assert int(_value(html, "data-lists")) == review["data"]["suggestion_lists"]
    # No suggestion log is made up by the page: the count is the stored one.
    if review["data"]["simulated_lists"]:
        assert "MÔ PHỎNG" in html


def test_suggestion_quality_matches_the_review(page):
    html, review = page
    q = review["suggestion_quality"]
    assert 'id="quality"' in html
    if q["n_lists"] == 0:
        assert 'id="quality-empty"' in html
        assert 'id="q-acceptance"' not in html
        return
    o = q["overall"]
    assert int(_value(html, "q-lists")) == o["lists"]
    assert _close(_value(html, "q-acceptance"), o["acceptance"]["rate"])
    assert _close(_value(html, "q-followed"), o["followed_top"]["rate"])
    assert _close(_value(html, "q-overridden"), o["overridden"]["rate"])
    assert _close(_value(html, "q-rank"), o["accepted_rank_mean"])
    assert ('id="quality-simulated"' in html) == bool(q["n_simulated"])
    assert ('id="quality-small"' in html) == o["small_n"]
    if q["decline_reasons"]:
        svg = _svg(html, "chart-review-declines")
        bars = svg.findall(f".//{SVG}rect[@class='bar']")
        assert sorted(float(b.get("data-value")) for b in bars) == \
            sorted(float(r["n"]) for r in q["decline_reasons"])
    for dim in ("social_worker", "group", "place", "gender", "age_band"):
        assert (f'id="quality-by-{dim.replace("_", "-")}"' in html) == bool(q[f"by_{dim}"])


def test_calibration_matches_the_review(page):
    html, review = page
    c = review["calibration"]["current"]
    for key in ("brier", "reliability", "resolution", "uncertainty"):
        assert _close(_value(html, f"brier-{key}" if key != "brier" else "brier-score"),
                      c["brier"][key]), key
    assert _close(_value(html, "cal-slope"), c["calibration_slope"])
    assert _close(_value(html, "cal-intercept"), c["calibration_intercept"])
    # Vietnamese number format on the page: 0,2315
    assert f"{c['brier']['brier']:.4f}".replace(".", ",") in html
    svg = _svg(html, "chart-review-calibration")
    points = svg.findall(f".//{SVG}circle[@class='point']")
    assert len(points) == len(c["deciles"]) == 10
    for pt, d in zip(points, c["deciles"], strict=True):
        assert float(pt.get("data-predicted")) == pytest.approx(d["mean_predicted"], abs=1e-4)
        assert float(pt.get("data-observed")) == pytest.approx(d["observed"], abs=1e-4)
    drift = review["calibration"]["drift"]
    m = re.search(r'id="drift"[^>]*data-drifted="(\w+)"', html)
    assert m.group(1) == ("unchecked" if not drift["checked"]
                          else "true" if drift["drifted"] else "false")
    if drift["checked"]:
        assert f"{drift['observed']}" in html


def test_fairness_flags_are_shown_exactly_when_present(page):
    html, review = page
    f = review["fairness"]
    shown = re.findall(r'class="fairness-flag" data-dimension="([^"]+)" data-level="([^"]+)" '
                       r'data-metric="([^"]+)"', html)
    assert [tuple(map(unescape, s)) for s in shown] == \
        [(x["dimension"], x["level"], x["metric"]) for x in f["flags"]]
    assert ('id="fairness-no-flags"' in html) == (not f["flags"])
    # every tested level's success rate is in its table
    for row in f["dimensions"]["group"]["success"]:
        m = re.search(rf'<tr data-level="{re.escape(row["level"])}">.*?data-value="([^"]*)"',
                      html, re.S)
        assert m and _close(m.group(1), row["rate"]), row["level"]
    steered = re.search(r'id="steering"[^>]*data-steered="(\w+)"', html).group(1)
    assert steered == ("true" if f["steering"]["steered"] else "false")
    for key in f["steering"]["flagged"]:
        assert f'id="steering-{key.replace("_", "-")}" class="flagged"' in html


def test_the_league_table_and_funnel_match_the_review(page):
    html, review = page
    lg = review["league"]
    for flag, key in (("replicate", "replicate"), ("review", "review"),
                      ("as expected", "as_expected"), ("too few placements to say", "too_few")):
        m = re.search(rf'<li data-flag="{key}" data-value="(\d+)"', html)
        assert m and int(m.group(1)) == lg["provider_flags"][flag], flag
    enough = [p for p in lg["providers"] if p["n"] >= lg["min_n"]]
    rows = re.findall(r'<tr data-provider="([^"]+)" data-flag="([^"]+)">', html)
    assert [r[0] for r in rows] == [p["provider_id"] for p in enough]
    assert all(r[1] != "too_few" for r in rows)
    # "replicate" / "review" only where the review says so, on providers with enough placements
    for p in enough:
        m = re.search(rf'data-provider="{p["provider_id"]}".*?data-value="([^"]+)"', html, re.S)
        assert _close(m.group(1), p["o_over_e"])
    svg = _svg(html, "chart-review-funnel")
    marks = [e for e in svg.iter() if "point" in (e.get("class") or "").split()]
    assert len(marks) == len([p for p in lg["providers"] if p["o_over_e"] is not None])
    by_flag = {}
    for e in marks:
        by_flag[e.get("data-flag")] = by_flag.get(e.get("data-flag"), 0) + 1
    assert by_flag.get("replicate", 0) == lg["provider_flags"]["replicate"]
    assert by_flag.get("review", 0) == lg["provider_flags"]["review"]
    assert len(svg.findall(f".//{SVG}polyline")) == 4  # 95% and 99.8%, low and high
    if lg["provider_flags"]["too few placements to say"]:
        assert 'id="league-too-few"' in html
    if lg["livelihood_models"]:
        _svg(html, "chart-review-funnel-models")


def test_warnings_are_the_reviews_in_the_readers_language(page):
    html, review = page
    shown = re.findall(r'<li class="warning">(.*?)</li>', html, re.S)
    expected = [w for w in review["warnings"] if not w["code"].startswith("review.effects_")]
    assert [unescape(w) for w in shown] == [Translator("vi").note(w) for w in expected]
    for w in shown:  # said in Vietnamese, not the library's English
        assert not re.search(r"\b(worse than|providers have|drifted)\b", w)
    predictions = re.search(r'<p class="hint" id="calibration-predictions">(.*?)</p>', html,
                            re.S).group(1)
    assert unescape(predictions).endswith(
        Translator("vi").note(review["calibration"]["current"]["predictions"]))
    assert "out-of-fold" not in predictions and 'lang="en"' not in predictions


def test_the_page_renders_in_english(web, db):
    with _signed_in(web, STAFF, lang="en") as client:
        r = client.get("/review")
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert "Match quality: the detailed review" in r.text
    review = _review(web, db, with_effects=False)
    brier = review["calibration"]["current"]["brier"]["brier"]
    assert f"{brier:.4f}" in r.text  # English number format: 0.2315
    assert "Funnel plot" in r.text
    for w in re.findall(r'<li class="warning">(.*?)</li>', r.text, re.S):
        assert not re.search(r"[ăđơư]", w)


def test_the_dashboard_and_the_review_show_one_brier_score(web, db):
    """One definition of calibration (out of fold): the same figure on both pages."""
    review = _review(web, db, with_effects=False)
    brier = review["calibration"]["current"]["brier"]["brier"]
    with _signed_in(web, STAFF) as client:
        dashboard, detail = client.get("/dashboard").text, client.get("/review").text
    shown = re.search(r'id="calibration-note" data-brier="([^"]*)">(.*?)</p>', dashboard, re.S)
    assert float(shown.group(1)) == brier == float(_value(detail, "brier-score"))
    words = f"{brier:.4f}".replace(".", ",")  # Vietnamese: 0,2315 on both pages
    assert words in shown.group(2) and words in detail
    assert unescape(re.search(r'id="calibration-predictions">(.*?)</p>', dashboard,
                              re.S).group(1)) == Translator("vi").note(
        review["calibration"]["current"]["predictions"])


def test_the_dashboard_links_to_the_review(web):
    with _signed_in(web, STAFF) as client:
        r = client.get("/dashboard")
    assert r.status_code == 200
    assert 'href="/review" id="review-link"' in r.text


# --- the effects page ---------------------------------------------------------------------------


def test_the_effects_page_shows_naive_and_adjusted_with_their_interval(web, db):
    with _signed_in(web, STAFF) as client:
        r = client.get("/review/effects")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    review = _review(web, db, with_effects=True)
    effects = review["effects"]
    assert effects, review.get("effects_note")
    rows = re.findall(r'<tr id="(effect-[^"]+)" data-scope="([^"]+)" data-outcome="([^"]+)">',
                      html)
    assert [(s, o) for _, s, o in rows] == [(e["scope"], e["outcome"]) for e in effects]
    for e in effects:
        rid = f"effect-{e['scope']}-{e['outcome']}".replace("_", "-")
        row = re.search(rf'<tr id="{rid}".*?</tr>', html, re.S).group(0)
        naive = re.search(r'class="num naive" data-value="([^"]*)"', row).group(1)
        adjusted = re.search(r'class="num adjusted" data-value="([^"]*)" '
                             r'data-ci-low="([^"]*)" data-ci-high="([^"]*)"', row)
        assert _close(naive, e["naive"])
        assert _close(adjusted.group(1), e["adjusted"])
        assert _close(adjusted.group(2), e["ci_low"])
        assert _close(adjusted.group(3), e["ci_high"])
        verdict = re.search(r'data-verdict="([^"]+)"', row).group(1)
        assert verdict == e["verdict"]
        assert (f"verdict-{verdict}" in row) == (verdict != "estimate")
        if verdict == "cannot_say":  # led with "cannot say", not with a number
            assert "không thể kết luận" in row and e["adjusted"] is None
        assert f'id="{rid}-detail"' in html
        detail = re.search(rf'id="{rid}-detail".*?</details>', html, re.S).group(0)
        for n in e["notes"]:  # the reasons, in Vietnamese, never the English message
            assert n["message"] not in detail
        assert ("verdict-reasons" in detail) == bool(e["notes"])
    overall = next(e for e in effects if e["scope"] == "overall" and e["outcome"] == "success")
    if overall["adjusted"] is not None:  # 0.3233 -> "32,3 điểm %"
        assert f"{100 * overall['adjusted']:.1f}".replace(".", ",") + " điểm %" in html
    # covariates in Vietnamese in the balance table
    assert 'data-covariate="female">Nữ' in html or 'data-covariate="female">' not in html
    assert html.count('<table class="balance">') == sum(1 for e in effects if e.get("balance"))


# --- the funnel chart on its own --------------------------------------------------------------


def _funnel(points, limits=None, **kw):
    words = charts.Words("Funnel <O/E>", "desc", "table", ["name", "n", "O/E", "lo", "hi", "flag"])
    limits = limits if limits is not None else [
        charts.FunnelLimit(n, 1 - 2 / n ** 0.5, 1 + 2 / n ** 0.5, 1 - 3 / n ** 0.5,
                           1 + 3 / n ** 0.5) for n in (1, 4, 16, 40)]
    return str(charts.funnel_chart("f", words, points, limits, axis=("n", "O/E"),
                                   limit_labels=("95%", "99.8%"), **kw))


def test_funnel_chart_is_valid_accessible_svg_with_limits_and_a_mark_per_provider():
    points = [charts.FunnelPoint("A & co", 40, 1.6, 1.2, 2.1, "replicate", "Replicate"),
              charts.FunnelPoint("B", 35, 0.4, 0.2, 0.7, "review", "Review"),
              charts.FunnelPoint("C", 32, 1.0, 0.7, 1.4, "as_expected", "As expected"),
              charts.FunnelPoint("D", 3, 2.0, 0.4, 5.8, "too_few", "Too few"),
              charts.FunnelPoint("E", 2, None, None, None, "too_few", "Too few")]
    html = _funnel(points)
    svg = ET.fromstring(re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Funnel <O/E>"
    assert svg.find(f"{SVG}desc").text == "desc"
    marks = [e for e in svg.iter() if "point" in (e.get("class") or "").split()]
    assert sorted(m.get("data-flag") for m in marks) == \
        ["as_expected", "replicate", "review", "too_few"]  # E has no ratio: table only
    assert {m.tag for m in marks} >= {f"{SVG}polygon", f"{SVG}circle"}  # shapes, not colour only
    lines = svg.findall(f".//{SVG}polyline")
    assert sorted(x.get("class") for x in lines) == \
        ["limit95 high95", "limit95 low95", "limit998 high998", "limit998 low998"]
    assert all(len(x.get("points").split()) == 4 for x in lines)
    assert len(svg.findall(f".//{SVG}line[@class='target']")) == 1
    # A provider above the limit is higher on the page (smaller y) than one below it.
    ys = {m.get("data-flag"): m for m in marks}
    y_of = {}
    for flag, m in ys.items():
        y_of[flag] = float(m.get("cy")) if m.get("cy") else \
            sum(float(p.split(",")[1]) for p in m.get("points").split()) / 3
    assert y_of["replicate"] < y_of["as_expected"] < y_of["review"]
    # The table has every provider, the one without a ratio too; names are escaped.
    assert html.count("<tr>") == 1 + len(points)
    assert "A &amp; co" in html and "A & co" not in html
    assert "Replicate" in html and "99.8%" in html


def test_funnel_chart_keeps_an_outlier_inside_the_plot_and_draws_limits_along_n():
    points = [charts.FunnelPoint("far", 10, 9.0, 4.0, 12.0, "too_few", "Too few")]
    html = _funnel(points, y_cap=3.0)
    svg = ET.fromstring(re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0))
    mark = next(e for e in svg.iter() if "point" in (e.get("class") or "").split())
    assert float(mark.get("cy")) >= 10  # clipped at the top edge, not off the picture
    assert mark.get("data-ratio") == "9.0000"
    high = next(x for x in svg.findall(f".//{SVG}polyline") if "high95" in x.get("class"))
    xs = [float(p.split(",")[0]) for p in high.get("points").split()]
    assert xs == sorted(xs) and len(set(xs)) == 4
