"""The provider's answer form on a referral's page: one form, errors next to the field,
nothing written on bad input, another provider's referral the same 404 as a missing one."""

# ruff: noqa: F811 - pytest fixtures imported from the browser tests are parameters here
from __future__ import annotations

import re

from sqlalchemy import select

from matcher.store.tables import Placement, ReferralAnswer
from matcher.vocab.domain import Group
from tests.api.referral_world import referred, seat_chain, seats
from tests.web.test_provider_pages import (
    EN,
    PROVIDER,
    VI,
    csrf_of,
    field_error,
    page_client,
    text,
)


def _answer_of(db, placement_id: str):
    with db.connect() as conn:
        return conn.scalar(select(ReferralAnswer.answer)
                           .where(ReferralAnswer.placement_id == placement_id))


def test_the_form_refuses_bad_input_next_to_its_field_and_writes_nothing(web, db):
    world = referred(web)
    pid = world["placements"][0]
    with page_client(web, PROVIDER) as c:
        page = c.get(f"/my/referrals/{pid}")
        assert page.status_code == 200
        assert VI["referral.answer.legend"] in text(page.text)
        token = csrf_of(page.text)
        none = c.post(f"/my/referrals/{pid}/answer", data={"csrf": token})
        assert none.status_code == 422
        assert field_error(none.text, "answer") == VI["referral.error.choose"]
        bare = c.post(f"/my/referrals/{pid}/answer",
                      data={"csrf": token, "answer": "other", "reason_text": "  "})
        assert bare.status_code == 422
        assert field_error(bare.text, "reason_text") == VI["referral.error.reason_text"]
        long = c.post(f"/my/referrals/{pid}/answer",
                      data={"csrf": token, "answer": "other", "reason_text": "x" * 301})
        assert long.status_code == 422
        assert field_error(long.text, "reason_text") == \
            VI["referral.error.too_long"].format(most=300)
        assert re.search(r'value="other" id="f-answer-other"\s+checked', long.text)  # kept
        no_csrf = c.post(f"/my/referrals/{pid}/answer", data={"answer": "full"})
        assert no_csrf.status_code == 403
    assert _answer_of(db, pid) is None
    assert seats(web.db_url, world["option_id"]) == 0


def test_a_decline_on_the_page_frees_the_seat_and_a_second_answer_is_refused(web, db):
    world = referred(web, n=2)  # the second stays unanswered, for the list
    (pid, waiting), option_id = world["placements"], world["option_id"]
    with page_client(web, PROVIDER, lang="en") as c:
        token = csrf_of(c.get(f"/my/referrals/{pid}").text)
        r = c.post(f"/my/referrals/{pid}/answer",
                   data={"csrf": token, "answer": "cannot_reach"})
        assert r.status_code == 303 and r.headers["location"] == f"/my/referrals/{pid}?answered=1"
        shown = text(c.get(r.headers["location"]).text)
        assert EN["referral.answered"] in shown
        assert EN["referral.decline.cannot_reach"] in shown
        assert EN["provider.status.not_started"] in shown
        assert not any(g.value in shown for g in Group)
        again = c.post(f"/my/referrals/{pid}/answer", data={"csrf": token, "answer": "accepted"})
        assert again.status_code == 409
        assert field_error(again.text, "answer") == EN["referral.error.answered"]
        assert EN["referral.answer.given.declined"] in text(again.text)
    with page_client(web, PROVIDER) as c:  # the list says which referrals need an answer
        listed = c.get("/my/referrals").text
    rows = {ref: text(row) for row in re.findall(r"<tr>.*?</tr>", listed, re.S)
            for ref in re.findall(r'href="/my/referrals/([^"]+)"', row)}
    assert VI["referral.answer.needed"] in rows[waiting]
    assert VI["referral.answer.needed"] not in rows[pid]
    assert _answer_of(db, pid) == "declined"
    assert seats(web.db_url, option_id) == 1
    assert seat_chain(web.db_url, option_id)[-1] == ("0", "1", "declined")
    with db.connect() as conn:
        assert conn.scalar(select(Placement.status)
                           .where(Placement.placement_id == pid)) == "not_started"


def test_another_providers_referral_page_and_form_are_the_same_404(web, db):
    world = referred(web)
    pid = world["placements"][0]
    with page_client(web, "doanh.nghiep") as c:
        token = csrf_of(c.get("/my/referrals").text)
        theirs = c.get(f"/my/referrals/{pid}")
        missing = c.get("/my/referrals/PLNOSUCH0001")
        assert theirs.status_code == missing.status_code == 404
        posted = c.post(f"/my/referrals/{pid}/answer", data={"csrf": token, "answer": "full"})
        assert posted.status_code == 404
    assert _answer_of(db, pid) is None
    assert seats(web.db_url, world["option_id"]) == 0
