"""The provider's report form on a referral's page: bad input shown next to its field with
nothing written; a hire with a wage kept and listed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store.tables import PlacementReport
from tests.api.referral_world import referred
from tests.web.test_provider_pages import PROVIDER, VI, csrf_of, page_client, text

TODAY = date.today()


def _count(db, placement_id: str) -> int:
    with db.connect() as conn:
        return conn.scalar(select(func.count()).select_from(PlacementReport)
                           .where(PlacementReport.placement_id == placement_id))


def report_error(page: str, name: str) -> str | None:
    import html
    import re

    found = re.search(rf'id="r-{name}-error">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


def _form(**values: str) -> dict[str, str]:
    return {"kind": "", "reported_on": TODAY.isoformat(), "reason_code": "",
            "certificate": "", "wage_vnd_day": "", **values}


BAD = [
    (_form(), "kind", "referral.error.choose_kind"),
    (_form(kind="started", reported_on="07/12/2026"), "reported_on", "referral.error.date"),
    (_form(kind="started", reported_on=(TODAY + timedelta(days=1)).isoformat()),
     "reported_on", "referral.error.date_range"),
    (_form(kind="hired", wage_vnd_day="2.000.001"), "wage_vnd_day", "referral.error.wage"),
    (_form(kind="hired", wage_vnd_day="-5"), "wage_vnd_day", "referral.error.wage"),
    (_form(kind="hired", wage_vnd_day="nhiều"), "wage_vnd_day", "referral.error.whole_number"),
    (_form(kind="dropped"), "reason_code", "referral.error.drop_reason"),
    (_form(kind="completed"), "certificate", "referral.error.certificate"),
]


@pytest.mark.parametrize(("values", "field", "key"), BAD,
                         ids=[f"{v['kind'] or 'none'}-{f}" for v, f, _ in BAD])
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(web, db, values, field, key):
    pid = referred(web, kind="job")["placements"][0]
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/referrals/{pid}").text
        r = c.post(f"/my/referrals/{pid}/reports", data={"csrf": csrf_of(page), **values})
    assert r.status_code == 422
    assert report_error(r.text, field) is not None
    assert report_error(r.text, field).split("{")[0][:12] == VI[key].split("{")[0][:12]
    assert _count(db, pid) == 0


def test_a_hire_with_a_wage_is_kept_and_listed(web, db):
    pid = referred(web, kind="job")["placements"][0]
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/referrals/{pid}").text
        r = c.post(f"/my/referrals/{pid}/reports", data={
            "csrf": csrf_of(page), **_form(kind="hired", wage_vnd_day="150.000")})
        assert r.status_code == 303
        shown = text(c.get(r.headers["location"]).text)
    assert VI["referral.reported"] in shown and VI["referral.report.hired"] in shown
    assert "150.000" in shown
    with db.connect() as conn:
        row = conn.execute(select(PlacementReport.kind, PlacementReport.wage_vnd_day,
                                  PlacementReport.source)
                           .where(PlacementReport.placement_id == pid)).one()
    assert tuple(row) == ("hired", 150_000, "provider")


def test_a_hire_on_a_livelihood_model_is_refused_next_to_the_kind(web, db):
    pid = referred(web, kind="livelihood")["placements"][0]
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/referrals/{pid}").text
        r = c.post(f"/my/referrals/{pid}/reports", data={
            "csrf": csrf_of(page), **_form(kind="hired", wage_vnd_day="100000")})
    assert r.status_code == 422
    assert report_error(r.text, "kind") == VI["referral.error.no_job"]
    assert _count(db, pid) == 0


def test_another_providers_report_form_is_404(web, db):
    pid = referred(web)["placements"][0]
    with page_client(web, "doanh.nghiep") as c:
        token = csrf_of(c.get("/my/referrals").text)
        r = c.post(f"/my/referrals/{pid}/reports",
                   data={"csrf": token, **_form(kind="started")})
    assert r.status_code == 404
    assert _count(db, pid) == 0


def test_the_social_worker_reports_on_the_placement_page_with_the_same_form(web, db):
    """Issue 17: a report is a record with its source; the social worker's form is the
    provider's, posted to the social worker's route, with the same checks."""
    world = referred(web, kind="job")
    pid = world["placements"][0]
    with page_client(web, "ctv.halong") as c:
        page = c.get(f"/placements/{pid}")
        assert page.status_code == 200
        assert f'action="/placements/{pid}/reports"' in page.text
        bad = c.post(f"/placements/{pid}/reports",
                     data={"csrf": csrf_of(page.text), **_form(kind="hired",
                                                              wage_vnd_day="2.000.001")})
        assert bad.status_code == 422
        assert report_error(bad.text, "wage_vnd_day")  # the error next to the wage field
        assert _count(db, pid) == 0
        done = c.post(f"/placements/{pid}/reports",
                      data={"csrf": csrf_of(page.text), **_form(kind="hired",
                                                               wage_vnd_day="150.000")})
        assert done.status_code == 303 and done.headers["location"].endswith("#reports")
        shown = text(c.get(done.headers["location"]).text)
    assert VI["referral.source.social_worker"] in shown
    with db.connect() as conn:
        source, wage = conn.execute(select(PlacementReport.source, PlacementReport.wage_vnd_day)
                                    .where(PlacementReport.placement_id == pid)).one()
    assert (source, wage) == ("social_worker", 150_000)
    with page_client(web, "ctv.uongbi") as other:  # another caseload: not there
        token = csrf_of(other.get("/account/password").text)
        r = other.post(f"/placements/{pid}/reports",
                       data={"csrf": token, **_form(kind="started")})
        assert r.status_code == 404
    with page_client(web, PROVIDER) as p:  # a provider: not its page
        token = csrf_of(p.get("/account/password").text)
        assert p.post(f"/placements/{pid}/reports",
                      data={"csrf": token, **_form(kind="started")}).status_code == 403
    assert _count(db, pid) == 1
