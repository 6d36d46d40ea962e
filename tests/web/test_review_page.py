"""The staff's match-quality review pages over HTTP, against a server of this module's: the
summary (/review) and its section pages (/review/quality, /calibration, /fairness,
/providers, /effects): roles, sign-in, the audit record of each reading, each page's
numbers equal to :func:`matcher.review.build_review` computed here on the same database and
model, the providers' search, filters, sorting and paging and their bounds, both languages;
and the funnel chart (api.web.charts.funnel_chart) on its own.

The module has a server of its own (make test runs the module on one process,
tests/conftest.py's ONE_PROCESS): no other test changes its data, so the server computes its
review once and the review computed here is computed once per basis, not once per test.
"""

from __future__ import annotations

import copy
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.web import charts
from api.web.i18n import Translator
from api.web.review_league import MAX_PAGE, PAGE_SIZE
from matcher.review import build_review
from matcher.review.snapshots import review_basis
from matcher.store.tables import AuditEntry
from matcher.vocab.text import fold
from tests import local_http
from tests.conftest import own_server
from tests.web.signin import login_form

SVG = "{http://www.w3.org/2000/svg}"
STAFF = "canbo.chuongtrinh"
#: Every review page and the part its audit record names (the permission rows of the pages).
PAGES = {"/review": None, "/review/quality": "quality", "/review/calibration": "calibration",
         "/review/fairness": "fairness", "/review/providers": "providers",
         "/review/effects": "effects"}
FLAG_KEY = {"replicate": "replicate", "review": "review", "as expected": "as_expected",
            "too few placements to say": "too_few"}


@contextmanager
def _signed_in(server, username: str, lang: str | None = None) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=server.url, timeout=300, follow_redirects=False) as client:
        r = login_form(client, username)
        assert r.status_code == 303, r.text
        if lang:
            client.cookies.set("lang", lang)
        yield client


def _up_to_date(web, *, with_effects: bool = False) -> None:
    """Wait until the server's stored review rests on the data as it is now.

    The server answers with its stored review and recomputes in the background after a
    change (api/reviewing.py); the tests before this one on the same server changed the data,
    so a page compared with a review computed here is read once the server has caught up.
    """
    deadline = time.monotonic() + 300
    with web.client(STAFF) as client:
        while True:
            r = client.get("/v1/review", params={"effects": with_effects})
            if r.status_code == 200 and not r.json()["stale"]:
                return
            assert time.monotonic() < deadline, r.text[:300]
            time.sleep(0.2)


@pytest.fixture(scope="module")
def web(tmp_path_factory, trained_model_dir):
    """This module's SQLite server (shadows the session's shared one)."""
    with own_server("sqlite", tmp_path_factory.mktemp("review-pages"),
                    trained_model_dir) as (server, _):
        yield server


_COMPUTED: dict[tuple[str, str, bool], dict] = {}


def _review(web, db, *, with_effects: bool) -> dict:
    """The review computed here, on the same database and model as the server's: once per
    basis (the data and the model it rests on), as the server keeps its own."""
    with Session(db) as session:
        key = (web.db_url, review_basis(session, web.model_dir), with_effects)
        if key not in _COMPUTED:
            _COMPUTED[key] = build_review(session, web.model_dir, with_effects=with_effects)
    return copy.deepcopy(_COMPUTED[key])  # a test may change what it got


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


def _get(web, path: str, lang: str | None = None) -> str:
    _up_to_date(web, with_effects=path.startswith("/review/effects"))
    with _signed_in(web, STAFF, lang) as client:
        r = client.get(path)
    assert r.status_code == 200, (path, r.text[:500])
    return r.text


def _warnings(html: str) -> list[tuple[str, str, str | None]]:
    """(code, text, link) of each warning on the summary."""
    return [(code, text, unescape(href) if href else None) for code, text, href in re.findall(
        r'<li class="warning" data-code="([^"]*)"><span class="note">(.*?)</span>'
        r'(?: <a href="([^"]+)" class="see">)?', html, re.S)]


def _rows(html: str) -> list[tuple[str, str]]:
    """(provider id, flag) of each row of the providers' table, in order."""
    return re.findall(r'<tr data-provider="([^"]+)" data-flag="([^"]+)"', html)


# --- roles, sign-in, audit ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["ctv.halong", "truong.nghe", "quantri"])
def test_other_roles_get_403_on_every_review_page(web, username):
    with _signed_in(web, username) as client:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "text/html" in r.headers["content-type"]
            assert "chart-review" not in r.text and "league-providers" not in r.text


def test_the_review_pages_need_a_sign_in(web):
    with local_http.Client(base_url=web.url, timeout=60, follow_redirects=False) as anonymous:
        for path in PAGES:
            r = anonymous.get(path)
            assert r.status_code == 303
            assert r.headers["location"] == f"/login?next={path}"


def test_each_page_is_recorded_in_the_audit_log_and_marked_in_the_sub_navigation(web, db):
    with _signed_in(web, STAFF) as client:
        for path, part in PAGES.items():
            with Session(db) as session:
                before = session.scalar(select(AuditEntry.audit_id)
                                        .order_by(AuditEntry.audit_id.desc()).limit(1)) or 0
            r = client.get(path)
            assert r.status_code == 200, path
            with Session(db) as session:
                entries = session.execute(
                    select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
                           AuditEntry.entity_id)
                    .where(AuditEntry.audit_id > before, AuditEntry.entity == "review")).all()
            assert (STAFF, "read", "review", part) in [tuple(e) for e in entries], path
            nav = re.search(r'<nav aria-label="[^"]*" class="review-nav".*?</nav>', r.text, re.S)
            assert nav, path
            current = re.findall(r'<a href="([^"]+)" aria-current="page"', nav.group(0))
            assert current == [path]
            assert re.findall(r'<a href="([^"]+)"', nav.group(0)) == list(PAGES)


# --- the summary --------------------------------------------------------------------------------


@pytest.fixture
def summary(web, db):
    """(html of /review in Vietnamese, the review computed here on the same data)."""
    return _get(web, "/review"), _review(web, db, with_effects=False)


def test_the_summary_shows_the_model_data_and_headline_figures_of_the_review(summary):
    html, review = summary
    assert review["model"]["version"] in html
    assert int(_value(html, "data-placements")) == review["data"]["placements_with_outcome"] > 0
    assert int(_value(html, "data-lists")) == review["data"]["suggestion_lists"]
    if review["data"]["simulated_lists"]:
        assert "MÔ PHỎNG" in html
    q = review["suggestion_quality"]
    assert _close(_value(html, "q-acceptance"),
                  q["overall"]["acceptance"]["rate"] if q["n_lists"] else None)
    assert _close(_value(html, "brier-score"), review["calibration"]["current"]["brier"]["brier"])
    assert int(_value(html, "summary-league")) == len(review["league"]["providers"])


def test_the_summary_leads_with_what_needs_attention_and_has_no_long_table(summary):
    html, review = summary
    attention, figures = html.index('id="attention"'), html.index('id="headline"')
    assert attention < figures
    shown = _warnings(html)
    expected = [w for w in review["warnings"] if not w["code"].startswith("review.effects_")]
    assert [(code, unescape(text)) for code, text, _ in shown] == \
        [(w["code"], Translator("vi").note(w)) for w in expected]
    for _, text, _ in shown:  # said in Vietnamese, not the library's English
        assert not re.search(r"\b(worse than|providers have|drifted)\b", text)
    # the fairness flags and drift are among them, each linked to the page of its detail
    codes = [code for code, _, _ in shown]
    assert codes.count("fairness.flag") == len(review["fairness"]["flags"]) >= 1
    drift = review["calibration"]["drift"]
    assert (drift.get("warning") is not None) == any(c.startswith("calibration.drift")
                                                     for c in codes)
    for code, _, href in shown:
        section = code.split(".")[0]
        assert href == {"calibration": "/review/calibration", "predictions": "/review/calibration",
                        "fairness": "/review/fairness", "quality": "/review/quality",
                        "league": "/review/providers?flag=too_few"}.get(section), code
    lg = review["league"]
    for flag in ("replicate", "review"):
        flagged = [p for p in lg["providers"] if p["flag"] == flag]
        if not flagged:
            assert f'id="summary-{flag}"' not in html
            continue
        assert int(_value(html, f"summary-{flag}")) == len(flagged)
        block = re.search(rf'id="summary-{flag}".*?</ul>', html, re.S).group(0)
        named = re.findall(r'<li data-provider="([^"]+)"', block)
        assert 1 <= len(named) <= 5 and set(named) <= {p["provider_id"] for p in flagged}
        strongest = max(flagged, key=lambda p: abs(p["z"]))
        assert named[0] == strongest["provider_id"]
        assert f'href="/review/providers?flag={flag}" id="summary-{flag}-all"' in html
    assert lg["provider_flags"]["replicate"] >= 1  # the demo world has providers to replicate
    # No long lists on the summary: no table, and one link to each section page.
    assert "<table" not in html and "league-providers" not in html
    for path in PAGES:
        if path != "/review":
            assert f'<a href="{path}">' in html, path


# --- the section pages --------------------------------------------------------------------------


def test_suggestion_quality_matches_the_review(web, db):
    html = _get(web, "/review/quality")
    review = _review(web, db, with_effects=False)
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


def test_calibration_matches_the_review(web, db):
    html = _get(web, "/review/calibration")
    review = _review(web, db, with_effects=False)
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
    predictions = re.search(r'<p class="hint" id="calibration-predictions">(.*?)</p>', html,
                            re.S).group(1)
    assert unescape(predictions).endswith(Translator("vi").note(c["predictions"]))
    assert "out-of-fold" not in predictions and 'lang="en"' not in predictions


def test_fairness_flags_are_shown_exactly_when_present(web, db):
    html = _get(web, "/review/fairness")
    review = _review(web, db, with_effects=False)
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


# --- the providers' page ------------------------------------------------------------------------


@pytest.fixture
def league(web, db) -> dict:
    return _review(web, db, with_effects=False)["league"]


def _providers(web, **query) -> str:
    return _get(web, "/review/providers" + (f"?{urlencode(query)}" if query else ""))


def _shown(html: str) -> dict[str, int]:
    m = re.search(r'id="league-shown" data-matched="(\d+)" data-page="(\d+)" '
                  r'data-pages="(\d+)"', html)
    return {"matched": int(m.group(1)), "page": int(m.group(2)), "pages": int(m.group(3))}


def test_the_providers_default_view_is_the_judged_providers_flagged_first(web, league):
    html = _providers(web)
    for flag, key in FLAG_KEY.items():
        m = re.search(rf'<li data-flag="{key}" data-value="(\d+)"', html)
        assert m and int(m.group(1)) == league["provider_flags"][flag], flag
    enough = [p for p in league["providers"] if p["n"] >= league["min_n"]]
    rows = _rows(html)
    assert _shown(html)["matched"] == len(enough) > 0
    assert len(rows) == min(PAGE_SIZE, len(enough))
    assert {r[0] for r in rows} <= {p["provider_id"] for p in enough}
    assert all(flag != "too_few" for _, flag in rows)
    order = ["replicate", "review", "as_expected"]
    assert [order.index(f) for _, f in rows] == sorted(order.index(f) for _, f in rows)
    assert rows[0][1] == "replicate"
    by_id = {p["provider_id"]: p for p in league["providers"]}
    for pid, flag in rows:  # the figures are the review's
        assert flag == FLAG_KEY[by_id[pid]["flag"]]
        m = re.search(rf'data-provider="{pid}".*?data-value="([^"]+)"', html, re.S)
        assert _close(m.group(1), by_id[pid]["o_over_e"])
    assert 'id="league-too-few"' in html and 'href="/review/providers?flag=too_few"' in html
    # the funnel plots every provider, the too-few ones too
    svg = _svg(html, "chart-review-funnel")
    marks = [e for e in svg.iter() if "point" in (e.get("class") or "").split()]
    assert len(marks) == len([p for p in league["providers"] if p["o_over_e"] is not None])
    by_flag: dict[str, int] = {}
    for e in marks:
        by_flag[e.get("data-flag")] = by_flag.get(e.get("data-flag"), 0) + 1
    assert by_flag.get("replicate", 0) == league["provider_flags"]["replicate"]
    assert by_flag.get("review", 0) == league["provider_flags"]["review"]
    assert len(svg.findall(f".//{SVG}polyline")) == 4  # 95% and 99.8%, low and high
    if league["livelihood_models"]:
        _svg(html, "chart-review-funnel-models")
        models = re.findall(r'<tr data-trade="([^"]+)"', html)
        assert models == [m["trade"] for m in league["livelihood_models"]]


def test_search_without_diacritics_finds_a_provider_with_them(web, league):
    accented = next(p for p in league["providers"]
                    if fold(p["name"]) != p["name"].lower() and p["n"] < league["min_n"])
    words = fold(accented["name"]).split()
    query = " ".join(words[-2:]) if len(words) > 1 else words[0]
    assert query != accented["name"].lower()  # the query has no diacritics, the name has
    html = _providers(web, q=query.upper(), flag="all")
    ids = [pid for pid, _ in _rows(html)]
    expected = [p["provider_id"] for p in league["providers"]
                if query in fold(f"{p['name']} {p['provider_id']}")]
    assert accented["provider_id"] in expected
    assert _shown(html)["matched"] == len(expected)
    assert set(ids) <= set(expected)
    if len(expected) <= PAGE_SIZE:
        assert accented["provider_id"] in ids
    # The default view leaves it out (too few placements), the filter brings it back.
    assert accented["provider_id"] not in [pid for pid, _ in _rows(_providers(web, q=query))]
    # by id, too
    by_id = _rows(_providers(web, q=accented["provider_id"].lower(), flag="all"))
    assert accented["provider_id"] in [pid for pid, _ in by_id]
    assert 'id="league-q" name="q" type="search" value="' + query.upper() + '"' in html


@pytest.mark.parametrize("flag", ["replicate", "review", "as_expected", "too_few"])
def test_the_flag_filter_shows_those_providers_only(web, league, flag):
    html = _providers(web, flag=flag)
    expected = [p for p in league["providers"] if FLAG_KEY[p["flag"]] == flag]
    assert _shown(html)["matched"] == len(expected)
    assert all(f == flag for _, f in _rows(html))
    assert len(_rows(html)) == min(PAGE_SIZE, len(expected))


def test_the_kind_filter_shows_that_kind_only(web, league):
    kinds = {p["provider_kind"] for p in league["providers"]}
    assert len(kinds) >= 2
    for kind in kinds:
        html = _providers(web, kind=kind, flag="all")
        assert _shown(html)["matched"] == sum(p["provider_kind"] == kind
                                              for p in league["providers"])
        assert set(re.findall(r'data-kind="([^"]+)"', html)) == {kind}


def test_sorting_by_name_n_and_ratio(web, league):
    html = _providers(web, flag="all", sort="name")
    names = [fold(re.search(rf'data-provider="{pid}"[^>]*><th scope="row">([^<]+)',
                            html).group(1).strip()) for pid, _ in _rows(html)]
    assert names == sorted(names)
    by_id = {p["provider_id"]: p for p in league["providers"]}
    ns = [by_id[pid]["n"] for pid, _ in _rows(_providers(web, flag="all", sort="n"))]
    assert ns == sorted(ns, reverse=True) and ns[0] == max(p["n"] for p in league["providers"])
    ns = [by_id[pid]["n"] for pid, _ in _rows(_providers(web, flag="all", sort="n",
                                                         order="asc"))]
    assert ns == sorted(ns)
    ratios = [by_id[pid]["o_over_e"] for pid, _ in _rows(_providers(web, sort="o_over_e",
                                                                   order="asc"))]
    assert ratios == sorted(ratios)


def test_paging_walks_every_provider_once(web, league):
    first = _providers(web, flag="all", sort="name")
    pages = _shown(first)["pages"]
    assert pages == -(-len(league["providers"]) // PAGE_SIZE) > 1
    seen = []
    for page in range(1, pages + 1):
        html = _providers(web, flag="all", sort="name", page=page)
        assert _shown(html)["page"] == page
        seen += [pid for pid, _ in _rows(html)]
        assert ('rel="next"' in html) == (page < pages)
        assert ('rel="prev"' in html) == (page > 1)
    assert sorted(seen) == sorted(p["provider_id"] for p in league["providers"])
    assert len(seen) == len(set(seen))
    # the links keep the search and the filters
    assert re.search(r'href="/review/providers\?q=&amp;flag=all&amp;kind=all&amp;sort=name'
                     r'&amp;order=asc&amp;page=2" rel="next"', first)
    # a page past the last shows the last
    last = _providers(web, flag="all", sort="name", page=pages + 5)
    assert _shown(last)["page"] == pages and _rows(last)


@pytest.mark.parametrize("query", [
    {"sort": "rating"}, {"flag": "excellent"}, {"kind": "school"}, {"order": "up"},
    {"page": "0"}, {"page": "-1"}, {"page": str(MAX_PAGE + 1)}, {"page": "1e3"},
    {"page": "two"}, {"q": "x" * 101},
])
def test_bad_query_values_are_refused(web, query):
    with _signed_in(web, STAFF) as client:
        r = client.get("/review/providers", params=query)
    assert r.status_code == 422, query
    assert "text/html" in r.headers["content-type"]
    assert "Dữ liệu chưa hợp lệ" in r.text and "league-providers" not in r.text


def test_the_deepest_page_is_answered(web):
    with _signed_in(web, STAFF) as client:
        r = client.get("/review/providers", params={"page": MAX_PAGE})
    assert r.status_code == 200


# --- languages and the dashboard ----------------------------------------------------------------


def test_the_pages_render_in_english(web, db):
    html = _get(web, "/review", lang="en")
    assert '<html lang="en">' in html
    assert "Match quality: the detailed review" in html and "Needs attention" in html
    review = _review(web, db, with_effects=False)
    brier = review["calibration"]["current"]["brier"]["brier"]
    assert f"{brier:.4f}" in html  # English number format: 0.2315
    assert _warnings(html)
    for _, text, _ in _warnings(html):
        assert not re.search(r"[ăđơư]", text)
    providers = _get(web, "/review/providers", lang="en")
    assert "Funnel plot" in providers and "Sort by" in providers
    assert "4. Providers and livelihood models" in providers


def test_the_dashboard_and_the_review_show_one_brier_score(web, db):
    """One definition of calibration (out of fold): the same figure on every page."""
    _up_to_date(web)
    review = _review(web, db, with_effects=False)
    brier = review["calibration"]["current"]["brier"]["brier"]
    with _signed_in(web, STAFF) as client:
        dashboard = client.get("/dashboard").text
        summary, detail = client.get("/review").text, client.get("/review/calibration").text
    shown = re.search(r'id="calibration-note" data-brier="([^"]*)">(.*?)</p>', dashboard, re.S)
    assert float(shown.group(1)) == brier == float(_value(detail, "brier-score")) == \
        float(_value(summary, "brier-score"))
    words = f"{brier:.4f}".replace(".", ",")  # Vietnamese: 0,2315 on every page
    assert words in shown.group(2) and words in detail and words in summary
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
    _up_to_date(web, with_effects=True)
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
