"""The staff area: the dashboard's numbers (matcher.review.dashboard) on a small database built
here, the SVG charts (api.web.charts), and the staff pages over HTTP (roles, CSRF, a plan
whose seats ran out)."""

from __future__ import annotations

import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select, update

from api.auth import tokens
from api.web import charts
from matcher.ingest.seed import seed
from matcher.outcomes import current_model
from matcher.outcomes.calibration import wilson
from matcher.review import build_review
from matcher.review import dashboard as D
from matcher.store.db import transaction
from matcher.store.tables import (
    Client,
    ClubReferral,
    Decision,
    Option,
    OptionTrade,
    Placement,
    Plan,
    Provider,
    Suggestion,
)
from matcher.vocab.text import fold
from tests import local_http
from tests.api.server import SECRET
from tests.web.signin import login_form

SVG = "{http://www.w3.org/2000/svg}"
HA_LONG, UONG_BI = "cur-6652", "cur-6811"  # Hà Tu (Thành phố Hạ Long), Uông Bí


# --- a small world ------------------------------------------------------------------------------


@pytest.fixture
def small(engine):
    """Two providers, three options, four clients, eight placements, three decisions.

    Outcomes (success, dropped counts as failure, ongoing is unknown):
      trafficking_returnee: P1 ok, P2 ok, P3 fail, P4 dropped  -> 2/4
      disabled:             P5 ok, P6 fail                      -> 1/2
      ongoing:              P7, P8 (unknown)
    """
    with transaction(engine) as s:
        s.add_all([
            Provider(provider_id="PA", name="Trường nghề A", name_folded="truong nghe a",
                     kind="trainer", place_id=HA_LONG),
            Provider(provider_id="PB", name="Công ty B", name_folded="cong ty b",
                     kind="employer", place_id=UONG_BI)])
        s.flush()
        s.add_all([
            Option(option_id="O1", provider_id="PA", kind="training", title="Học may",
                   place_id=HA_LONG, capacity=5),
            Option(option_id="O2", provider_id="PA", kind="training", title="Cắt tóc",
                   place_id=HA_LONG, capacity=2),
            Option(option_id="O3", provider_id="PB", kind="job", title="Thợ may",
                   place_id=UONG_BI, capacity=7)])
        s.flush()
        s.add_all([
            OptionTrade(option_id="O1", trade_id="sewing", position=0),
            OptionTrade(option_id="O2", trade_id="hairdressing", position=0),
            OptionTrade(option_id="O2", trade_id="sewing", position=1),
            OptionTrade(option_id="O3", trade_id="sewing", position=0)])
        for cid, group, place in (("C1", "trafficking_returnee", HA_LONG),
                                  ("C2", "trafficking_returnee", UONG_BI),
                                  ("C3", "disabled", HA_LONG), ("C4", "disabled", UONG_BI)):
            s.add(Client(client_id=cid, full_name=f"Khách {cid}", full_name_folded=f"khach {cid}",
                         birth_date=date(1995, 1, 1), gender="female", group_code=group,
                         place_id=place, interests="học may"))
        s.flush()
        rows = [  # id, client, option, start, status, success
            ("P1", "C1", "O1", date(2024, 1, 5), "completed", True),
            ("P2", "C2", "O1", date(2024, 1, 20), "completed", True),
            ("P3", "C1", "O3", date(2024, 3, 2), "completed", False),
            ("P4", "C2", "O3", date(2024, 3, 9), "dropped", True),  # dropped: a failure
            ("P5", "C3", "O2", date(2024, 3, 15), "completed", True),
            ("P6", "C4", "O3", date(2024, 4, 1), "completed", False),
            ("P7", "C3", "O1", date(2024, 4, 2), "ongoing", None),
            ("P8", "C4", "O2", date(2024, 4, 3), "ongoing", None)]
        for pid, cid, oid, start, status, success in rows:
            s.add(Placement(placement_id=pid, client_id=cid, option_id=oid, start_date=start,
                            status=status, success=success))
        sug = Suggestion(client_id="C1", model_version="test", entries=[])
        s.add(sug)
        s.flush()
        for oid, decision, reason in (("O1", "declined", "too_far"), ("O2", "declined", "too_far"),
                                      ("O3", "declined", "no_capacity"),
                                      ("O1", "accepted", None)):
            s.add(Decision(suggestion_id=sug.suggestion_id, option_id=oid, decision=decision,
                           reason_code=reason))
    return engine


def test_placements_by_month_counts_each_kind_and_fills_the_empty_months(small):
    with transaction(small) as s:
        months = D.placements_by_month(s)
    assert [m["month"] for m in months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert months[0] == {"month": "2024-01", "training": 2, "job": 0, "livelihood": 0, "total": 2}
    assert months[1]["total"] == 0
    assert (months[2]["training"], months[2]["job"]) == (1, 2)
    assert (months[3]["training"], months[3]["job"]) == (2, 1)
    assert sum(m["total"] for m in months) == 8


def test_success_by_group_counts_dropped_as_failure_leaves_out_ongoing_with_wilson_ci(small):
    with transaction(small) as s:
        rows = {r["key"]: r for r in D.success_by_group(s)}
    assert set(rows) == {"trafficking_returnee", "disabled"}
    tr = rows["trafficking_returnee"]
    assert (tr["successes"], tr["n"], tr["rate"]) == (2, 4, 0.5)
    low, high = wilson(2, 4)
    assert tr["ci_low"] == pytest.approx(low) and tr["ci_high"] == pytest.approx(high)
    assert tr["ci_low"] < 0.5 < tr["ci_high"]
    assert (rows["disabled"]["successes"], rows["disabled"]["n"]) == (1, 2)


def test_success_by_place_groups_by_the_former_district_of_the_option(small):
    with transaction(small) as s:
        rows = {r["key"]: r for r in D.success_by_place(s)}
    assert rows["Thành phố Hạ Long"]["n"] == 3  # P1, P2, P5 (options O1, O2)
    assert rows["Thành phố Hạ Long"]["successes"] == 3
    assert (rows["Thành phố Uông Bí"]["successes"], rows["Thành phố Uông Bí"]["n"]) == (0, 3)


def test_success_by_provider_lists_the_busiest_first_with_names(small):
    with transaction(small) as s:
        rows = D.success_by_provider(s)
        top1 = D.success_by_provider(s, top=1)
    assert [(r["key"], r["n"], r["successes"]) for r in rows] == [("PA", 3, 3), ("PB", 3, 0)]
    assert rows[0]["name"] == "Trường nghề A"
    assert rows[1]["ci_high"] < 1 and rows[1]["ci_low"] == 0
    assert [r["key"] for r in top1] == ["PA"]


def test_decline_reasons_count_standing_declines_only(small):
    """O1 was declined, then accepted: its decline no longer stands (as in the review)."""
    with transaction(small) as s:
        assert D.decline_reasons(s) == [{"reason_code": "no_capacity", "n": 1, "share": 0.5},
                                        {"reason_code": "too_far", "n": 1, "share": 0.5}]


def test_a_decline_without_a_reason_is_none_not_other(small):
    """The dashboard and the review count a decline with no reason code alike: "none" (a
    record without a reason), never "other" (a reason the social worker chose)."""
    from matcher.review.quality import NO_REASON, decline_reasons

    with transaction(small) as s:
        later = Suggestion(client_id="C2", model_version="test", entries=[])
        s.add(later)
        s.flush()
        s.add_all([Decision(suggestion_id=later.suggestion_id, option_id="O1",
                            decision="declined"),
                   Decision(suggestion_id=later.suggestion_id, option_id="O2",
                            decision="declined", reason_code="other", reason_text="chuyển nhà")])
    with transaction(small) as s:
        rows = {r["reason_code"]: r["n"] for r in D.decline_reasons(s)}
    assert NO_REASON == "none" and rows == {"none": 1, "other": 1, "too_far": 1, "no_capacity": 1}
    assert decline_reasons([None, "", "other"]) == [
        {"reason_code": "none", "n": 2, "share": 0.6667},
        {"reason_code": "other", "n": 1, "share": 0.3333}]


def test_seats_by_trade_filled_is_ongoing_empty_is_capacity_by_main_trade(small):
    with transaction(small) as s:
        rows = {r["key"]: r for r in D.seats_by_trade(s)}
        top1 = D.seats_by_trade(s, top=1)
    # sewing: O1 (5 seats, P7 ongoing) and O3 (7 seats); hairdressing: O2 (2 seats, P8)
    assert rows["sewing"] == {"key": "sewing", "filled": 1, "empty": 12}
    assert rows["hairdressing"] == {"key": "hairdressing", "filled": 1, "empty": 2}
    assert top1 == [{"key": "sewing", "filled": 1, "empty": 12},
                    {"key": "other", "filled": 1, "empty": 2}]


def test_clubs_are_counted_apart_and_in_no_placement_figure(small):
    with transaction(small) as s:
        before = (D.placements_by_month(s), D.success_by_group(s), D.seats_by_trade(s))
        s.add(Provider(provider_id="PC", name="CLB C", name_folded="clb c", kind="club",
                       place_id=HA_LONG))
        s.flush()
        s.add(Option(option_id="OC", provider_id="PC", kind="club", title="Sinh hoạt CLB C",
                     place_id=HA_LONG, capacity=9, groups_served="disabled"))
        s.flush()
        s.add_all([
            ClubReferral(referral_id="R1", client_id="C1", option_id="OC",
                         referred_on=date(2024, 1, 2), attending_3m=True,
                         checked_on=date(2024, 4, 2)),
            ClubReferral(referral_id="R2", client_id="C2", option_id="OC",
                         referred_on=date(2024, 1, 2), attending_3m=False,
                         checked_on=date(2024, 4, 2)),
            ClubReferral(referral_id="R3", client_id="C3", option_id="OC",
                         referred_on=date(2024, 6, 2))])
    with transaction(small) as s:
        assert D.clubs_joined(s) == {
            "clubs": [{"option_id": "OC", "title": "Sinh hoạt CLB C", "referred": 3,
                       "checked": 2, "attending": 1}],
            "total": {"referred": 3, "checked": 2, "attending": 1}}
        # A club's places are not a trade's empty seats; its members are no placements.
        assert (D.placements_by_month(s), D.success_by_group(s), D.seats_by_trade(s)) == before


def test_calibration_bins_cover_every_known_outcome(small, tmp_path):
    with transaction(small) as s:
        # no model: the transparent prior
        cal = D.calibration(build_review(s, tmp_path / "no-model", with_effects=False))
    assert cal["n"] == 6
    assert [b["n"] for b in cal["bins"]] == [1] * 6  # ten bins asked, six rows
    observed = sum(b["observed"] * b["n"] for b in cal["bins"])
    assert observed == pytest.approx(3)  # P1, P2, P5
    assert 0 <= cal["brier"] <= 1
    assert cal["predictions"]["code"] == "predictions.prior"


def test_empty_database_gives_empty_numbers(engine, tmp_path):
    with transaction(engine) as s:
        assert D.placements_by_month(s) == []
        assert D.success_by_group(s) == []
        assert D.success_by_provider(s) == []
        assert D.decline_reasons(s) == []
        assert D.calibration(build_review(s, tmp_path, with_effects=False))["bins"] == []
        assert D.calibration(None) is None  # no review computed yet


def test_the_current_model_is_calibrated_on_the_demo_history(engine, trained_model_dir):  # noqa: F811
    """The dashboard judges the trained model out of fold: on the demo world its mean
    prediction is close to the observed rate and the deciles rise."""
    seed(engine)
    with transaction(engine) as s:
        data = D.dashboard(s, build_review(s, trained_model_dir, with_effects=False))
    cal = data["calibration"]
    assert cal["model_version"] == current_model(trained_model_dir).version
    assert len(cal["bins"]) == 10 and sum(b["n"] for b in cal["bins"]) == cal["n"] > 1000
    predicted = sum(b["mean_predicted"] * b["n"] for b in cal["bins"]) / cal["n"]
    observed = sum(b["observed"] * b["n"] for b in cal["bins"]) / cal["n"]
    assert abs(predicted - observed) < 0.05
    assert cal["bins"][-1]["observed"] > cal["bins"][0]["observed"] + 0.3
    assert len(data["by_provider"]) == 10
    assert sum(m["total"] for m in data["by_month"]) > 1000


# --- charts ----------------------------------------------------------------------------------


def _svg(markup: str) -> ET.Element:
    found = re.search(r"<svg.*?</svg>", str(markup), flags=re.S)
    assert found, "no svg in the chart"
    return ET.fromstring(found.group(0))


WORDS = charts.Words("Tiêu đề", "Mô tả", "Bảng", ["A", "B", "C", "D", "E"])


def test_column_chart_is_valid_accessible_svg_with_proportional_stacked_bars():
    series = [charts.Series("a", [10, 0, 30]), charts.Series("b", [5, 20, 0], charts.COLOURS[1])]
    markup = charts.column_chart("c1", charts.Words("T", "D", "Bảng", ["m", "a", "b", "tổng"]),
                                 ["x", "y", "z"], series)
    svg = _svg(markup)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "T" and svg.find(f"{SVG}desc").text == "D"
    assert svg.get("aria-labelledby") == "c1-t c1-d"
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == 4  # zero values draw nothing
    per_unit = {round(float(b.get("height")) / float(b.get("data-value")), 6) for b in bars}
    assert len(per_unit) == 1  # heights proportional to the values
    x_bars = [b for b in bars if b.get("data-category") == "x"]
    # stacked: the second series starts where the first ends
    first, second = sorted(x_bars, key=lambda b: -float(b.get("y")))
    assert float(second.get("y")) + float(second.get("height")) == pytest.approx(
        float(first.get("y")))
    assert "<details>" in markup and "<table>" in markup and ">15<" in markup  # x total


def test_bar_chart_widths_are_proportional_and_labels_escaped():
    markup = charts.bar_chart("b1", charts.Words("T", "D", "Bảng", ["r", "n"]),
                              ["<script>", "b"], [charts.Series("n", [4, 2])])
    svg = _svg(markup)
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "<script>" not in str(markup) and "&lt;script&gt;" in str(markup)


def test_interval_chart_draws_each_confidence_interval_around_its_point():
    rows = [charts.Interval("g1", 0.5, 0.3, 0.7, 20), charts.Interval("g2", 0.8, 0.6, 0.9, 40)]
    svg = _svg(charts.interval_chart("i1", WORDS, rows))
    points = svg.findall(f".//{SVG}circle[@class='point']")
    cis = svg.findall(f".//{SVG}line[@class='ci']")
    assert len(points) == 2 and len(cis) == 2
    for p, ci, row in zip(points, cis, rows, strict=True):
        x0, x1, cx = float(ci.get("x1")), float(ci.get("x2")), float(p.get("cx"))
        assert x0 < cx < x1
        # the axis is linear from 0 to 1: the point divides its interval like the numbers
        assert (cx - x0) / (x1 - x0) == pytest.approx((row.value - row.low) / (row.high - row.low))
        assert float(ci.get("data-low")) == row.low


def test_calibration_chart_has_the_diagonal_and_a_point_per_bin():
    pts = [charts.Point(0.2, 0.1, 0.05, 0.2, 100), charts.Point(0.8, 0.9, 0.8, 0.95, 100)]
    svg = _svg(charts.calibration_chart("k1", WORDS, pts, axis=("x", "y")))
    diag = svg.find(f".//{SVG}line[@class='diagonal']")
    assert diag is not None
    # the diagonal goes from (0,0) bottom-left to (1,1) top-right
    assert float(diag.get("x1")) < float(diag.get("x2"))
    assert float(diag.get("y1")) > float(diag.get("y2"))
    circles = svg.findall(f".//{SVG}circle[@class='point']")
    assert [c.get("data-observed") for c in circles] == ["0.1000", "0.9000"]
    assert float(circles[0].get("cy")) > float(circles[1].get("cy"))  # higher is up


# --- pages over HTTP ----------------------------------------------------------------------------

PAGES = ["/dashboard", "/cohort", "/audit", "/cohort/1", "/cohort/1/plan.xlsx"]


@contextmanager
def _signed_in(server, username: str) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=server.url, timeout=120, follow_redirects=False) as client:
        r = login_form(client, username)
        assert r.status_code == 303, r.text
        yield client


def _csrf(client: httpx.Client, path: str = "/cohort") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


@pytest.mark.parametrize("username", ["ctv.halong", "truong.nghe", "quantri"])
def test_other_roles_get_403_on_every_staff_page(api, username):  # noqa: F811
    with _signed_in(api, username) as client:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "text/html" in r.headers["content-type"]
        csrf = _token_of(client)
        r = client.post("/cohort", data={"csrf": csrf, "client_ids": ["KH00001"]})
        assert r.status_code == 403
        r = client.post("/cohort/1/commit", data={"csrf": csrf})
        assert r.status_code == 403


def _token_of(client: httpx.Client) -> str:
    """The CSRF token of this sign-in, made as the pages make it (the test server's key):
    a valid token, so that a 403 comes from the role check, not from the token."""
    cookie = client.cookies.get(tokens.COOKIE)
    return hmac.new(SECRET.encode(), b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()[:40]


def test_staff_pages_answer_and_need_a_sign_in(api):  # noqa: F811
    anonymous = local_http.Client(base_url=api.url, timeout=60, follow_redirects=False)
    assert anonymous.get("/dashboard").status_code == 303
    with _signed_in(api, "canbo.chuongtrinh") as client:
        page = client.get("/dashboard")
        assert page.status_code == 200
        for chart in ("months", "group", "place", "provider", "calibration", "seats"):
            assert f'id="chart-{chart}"' in page.text, chart
        # the demo world has no declines yet; other tests may add some
        assert 'id="chart-declines"' in page.text or 'id="card-declines"' in page.text
        for path in ("/cohort", "/audit"):
            assert client.get(path).status_code == 200


def test_a_post_without_the_csrf_token_is_refused_and_makes_nothing(api, db):  # noqa: F811
    with _signed_in(api, "canbo.chuongtrinh") as client, db.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(Plan))
        r = client.post("/cohort", data={"client_ids": ["KH00001", "KH00002"]})
        assert r.status_code == 403
        r = client.post("/cohort", data={"client_ids": ["KH00001"], "csrf": "0" * 40})
        assert r.status_code == 403
        conn.rollback()
        assert conn.scalar(select(func.count()).select_from(Plan)) == before


def test_a_plan_whose_seats_ran_out_is_not_committed_and_says_so(api, db):  # noqa: F811
    ids = [f"WEB409-{k}" for k in range(3)]
    with transaction(db) as s:
        for cid in ids:
            if s.get(Client, cid) is None:
                s.add(Client(client_id=cid, full_name=f"Lê Thị Hết Chỗ {cid[-1]}",
                             full_name_folded=fold(f"Lê Thị Hết Chỗ {cid[-1]}"),
                             birth_date=date(1996, 5, 1), gender="female",
                             group_code="gbv_survivor", place_id=HA_LONG,
                             interests="học may; nấu ăn", max_travel_km=40))
    with _signed_in(api, "canbo.chuongtrinh") as client:
        csrf = _csrf(client)
        r = client.post("/cohort", data={"csrf": csrf, "client_ids": ids, "budget": ""})
        assert r.status_code == 303, r.text
        plan_id = int(r.headers["location"].rsplit("/", 1)[1])
        with transaction(db) as s:
            used = sorted({a["option_id"] for a in s.get(Plan, plan_id).body["assignments"]})
            assert used, "the plan assigns nobody: nothing to test"
            seats = dict(s.execute(select(Option.option_id, Option.capacity)
                                   .where(Option.option_id.in_(used))).all())
            s.execute(update(Option).where(Option.option_id.in_(used)).values(capacity=0))
        try:
            r = client.post(f"/cohort/{plan_id}/commit", data={"csrf": csrf})
            assert r.status_code == 409
            assert 'id="commit-error"' in r.text
            assert "không chỗ nào bị giữ" in r.text
            assert all(oid in r.text for oid in used)
            with transaction(db) as s:
                assert s.get(Plan, plan_id).status == "draft"
                assert s.scalar(select(func.count()).select_from(Placement)
                                .where(Placement.plan_id == plan_id)) == 0
                left = dict(s.execute(select(Option.option_id, Option.capacity)
                                      .where(Option.option_id.in_(used))).all())
                assert set(left.values()) == {0}
        finally:
            with transaction(db) as s:
                for oid, n in seats.items():
                    s.execute(update(Option).where(Option.option_id == oid).values(capacity=n))
