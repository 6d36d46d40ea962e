"""The social worker's "Việc cần làm" page and its counts on the first page after sign-in."""

from __future__ import annotations

import pytest

from tests.api.fixtures import new_account
from tests.api.referral_world import referred
from tests.api.server import TEST_PASSWORD
from tests.web.test_provider_pages import EN, VI, page_client, text


@pytest.mark.parametrize("username", ["canbo.chuongtrinh", "truong.nghe", "quantri"])
def test_other_roles_get_403(web, username):
    with page_client(web, username) as c:
        r = c.get("/tasks")
    assert r.status_code == 403
    assert VI["error.what_403"] in text(r.text)


def test_a_declined_client_is_on_the_page_with_the_reason_and_counted_after_sign_in(web):
    worker = new_account(web, "social_worker", TEST_PASSWORD, prefix="taskpage")["username"]
    with page_client(web, worker) as c:
        assert 'id="task-counts"' not in c.get("/clients").text  # nothing to do yet
    world = referred(web, social_worker=worker)
    pid, client_id = world["placements"][0], world["clients"][0]
    with web.client("truong.nghe") as p:
        p.post(f"/v1/my/referrals/{pid}/answer",
               json={"answer": "declined", "reason_code": "cannot_reach"}).raise_for_status()
    for lang, words in (("vi", VI), ("en", EN)):
        with page_client(web, worker, lang=lang) as c:
            first = c.get("/")
            assert first.status_code == 303
            landing = c.get(first.headers["location"])
            assert 'href="/tasks"' in landing.text
            assert words["tasks.count_returned"].format(n=1) in text(landing.text)
            page = c.get("/tasks")
            assert page.status_code == 200
            shown = text(page.text)
            assert words["tasks.declined"].format(
                reason=words["referral.decline.cannot_reach"]) in shown
            assert f'href="/clients/{client_id}#ask"' in page.text
            placement = c.get(f"/placements/{pid}")
            assert words["place.ended_unstarted"] in text(placement.text)
            assert words["referral.decline.cannot_reach"] in text(placement.text)
