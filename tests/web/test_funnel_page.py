"""The dashboard's funnel over HTTP: it moves when a provider answers and reports."""

from __future__ import annotations

import re
from datetime import date

from tests.api.referral_world import referred
from tests.web.test_provider_pages import VI, page_client, text


def _whole(page: str) -> dict[str, int]:
    table = re.search(r'id="funnel-table-all".*?</table>', page, re.S).group(0)
    return {step: int(re.sub(r"\D", "", n)) for step, n in
            re.findall(r'data-step="(\w+)">([^<]*)<', table)}


def test_the_funnel_moves_with_an_answer_and_a_report(web):
    with page_client(web, "canbo.chuongtrinh") as staff:
        page = staff.get("/dashboard")
        assert page.status_code == 200
        assert VI["funnel.title"] in text(page.text)
        before = _whole(page.text)
        world = referred(web, kind="job")
        pid = world["placements"][0]
        with web.client("truong.nghe") as p:
            p.post(f"/v1/my/referrals/{pid}/answer", json={"answer": "accepted"}
                   ).raise_for_status()
            p.post(f"/v1/my/referrals/{pid}/reports",
                   json={"kind": "started", "reported_on": date.today().isoformat()}
                   ).raise_for_status()
        after = _whole(staff.get("/dashboard").text)
    assert after["referred"] == before["referred"] + 1
    assert after["accepted"] == before["accepted"] + 1
    assert after["started"] == before["started"] + 1
    assert after["earning_6m"] == before["earning_6m"]  # only a verified follow-up moves it


def test_the_reviews_provider_page_shows_the_same_funnel_by_provider(web):
    """Issue 17 item 4: the funnel is in the review's provider section too, by provider,
    with the dashboard's own rows."""
    with page_client(web, "canbo.chuongtrinh") as staff:
        dashboard = staff.get("/dashboard").text
        review = staff.get("/review/providers")
    assert review.status_code == 200
    assert VI["funnel.title"] in text(review.text)
    assert 'id="funnel-table-provider"' in review.text
    assert 'id="funnel-table-all"' not in review.text  # the provider rows only

    def rows(page: str) -> str:
        return re.search(r'id="funnel-table-provider".*?</table>', page, re.S).group(0)

    assert rows(review.text) == rows(dashboard)
