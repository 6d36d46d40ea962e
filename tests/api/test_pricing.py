"""Seat prices over HTTP: a contested seat is kept for the waiting client who needs it.

On Cô Tô (an island with no demo option) two deaf clients over 50 who cannot travel wait:
a woman who can take either of two sign-language courses for people over 50, and a man who
can take only one of them (the other is for women only), which has a single seat. (Deaf and
over 50, so that these two can take no other Cô Tô option other tests leave there, and the
younger Cô Tô clients those tests leave waiting cannot take these.) Whoever asks first,
the woman is offered the course with seats to spare first, and the single seat's card says
why it ranks lower; nothing eligible disappears from her list.

On Cái Chiên (an island whose demo options teach no one in sign language) two deaf men wait
for a single-seat sign-language sewing course: one wishes for sewing, the other for cooking.
The plan seats the first; the other's list says that its every seat would serve someone else
better, in his social worker's language, and still offers the seat.
"""

from __future__ import annotations

import time

from tests.api.test_clients import HALONG, new_client
from tests.api.test_suggestions import add_option, coto_client, suggest
from tests.web.test_review_page import STAFF, _signed_in, _up_to_date

CAI_CHIEN, CAI_CHIEN_ID = "Xã Cái Chiên", "cur-6967"


def _priced(api, client_id: str, option_id: str, deadline_s: float = 30) -> dict:
    """Suggestions for the client once the background refresh has priced ``option_id``."""
    end = time.monotonic() + deadline_s
    while True:
        out = suggest(api, client_id, top=50)
        entry = {e["option_id"]: e for e in out["suggestions"]}.get(option_id)
        if out["pricing"]["state"] == "priced" and entry and entry["seat_price"] > 0:
            return out
        assert time.monotonic() < end, f"prices never covered {option_id}: {out['pricing']}"
        time.sleep(0.3)


def test_the_single_seat_is_kept_for_the_client_who_can_use_nothing_else(api):
    single = add_option(api, capacity=1, min_age=50, sign_language=True)
    spare = add_option(api, capacity=5, women_only=True, min_age=50, sign_language=True)
    woman = coto_client(api, gender="nữ", birth_date="1968-04-02",
                        disability="deaf")["client_id"]
    man = coto_client(api, gender="nam", birth_date="1969-09-12",
                      disability="deaf")["client_id"]

    out = _priced(api, woman, single)
    ids = [e["option_id"] for e in out["suggestions"]]
    assert set(ids) >= {single, spare}  # nothing eligible is removed
    assert ids.index(spare) < ids.index(single)
    card = next(e for e in out["suggestions"] if e["option_id"] == single)
    contested = [r for r in card["reasons"] if r["code"] == "contested"]
    assert contested and "1 người đang chờ phù hợp với chỗ này hơn" in contested[0]["vi"]
    assert card["parts"]["seat"] == -card["seat_price"]
    assert out["pricing"]["on"] and out["pricing"]["n_waiting"] >= 2
    assert not out["pricing"]["all_contested"]  # a seat to spare: no advice to wait

    # The man, whom the plan seats there, sees no price that pushes the seat away.
    his = suggest(api, man, top=50)
    assert his["suggestions"][0]["option_id"] == single
    assert his["suggestions"][0]["seat_price"] < card["seat_price"]

    # "Why not?" says where the price moved the single seat to, and from where.
    with api.client(HALONG) as c:
        why = c.get(f"/v1/clients/{woman}/options/{single}/explain").json()
    assert why["eligible"] and why["seat_price"] > 0
    assert why["rank"] > why["rank_without_price"] or why["rank"] == ids.index(single) + 1
    assert why["contenders"] == 1

    # The list kept says it was priced (the page shows it).
    with api.client(HALONG) as c:
        kept = c.get(f"/v1/suggestions/{out['suggestion_id']}").json()
    assert kept["pricing"]["state"] == "priced"


def test_a_list_whose_every_seat_serves_another_better_says_so_on_its_page(api):
    single = add_option(api, capacity=1, sign_language=True, place_id=CAI_CHIEN_ID)
    deaf = {"place": CAI_CHIEN, "max_travel_km": 0, "group": "youth_at_risk",
            "gender": "nam", "disability": "deaf"}
    new_client(api, interests="học may", birth_date="1990-05-01", **deaf)
    other = new_client(api, interests="nấu ăn", birth_date="1991-07-09", **deaf)["client_id"]

    out = _priced(api, other, single)
    assert [e["option_id"] for e in out["suggestions"]] == [single]  # the seat is kept
    assert out["suggestions"][0]["p_success"] < out["suggestions"][0]["seat_price"]
    assert out["pricing"]["all_contested"]
    with api.client(HALONG) as c:
        kept = c.get(f"/v1/suggestions/{out['suggestion_id']}").json()
    assert kept["pricing"]["advice"] == out["pricing"]["advice"]

    page = f"/clients/{other}/suggestions/{out['suggestion_id']}"
    for lang, says in (("vi", "giới thiệu một câu lạc bộ"), ("en", "A club or a later intake")):
        with _signed_in(api, HALONG, lang) as client:
            r = client.get(page)
        assert r.status_code == 200
        assert 'id="all-contested"' in r.text and says in r.text
        assert f'href="/clients/{other}#clubs"' in r.text
        assert f'id="card-{single}"' in r.text
    with _signed_in(api, HALONG) as client:
        assert 'id="clubs"' in client.get(f"/clients/{other}").text


def _review_after_a_price_run(api) -> None:
    """Until the stored review was computed after a price run: this module's other tests may
    have run in another process, on another server."""
    client_id = coto_client(api)["client_id"]
    end = time.monotonic() + 60
    while suggest(api, client_id)["pricing"]["state"] != "priced":  # a request starts a run
        assert time.monotonic() < end, "no price run"
        time.sleep(0.3)
    coto_client(api)  # a change after the run: the stored review is recomputed
    _up_to_date(api)  # the review without the effects, which the review page shows
    with api.client(STAFF) as c:
        pricing = c.get("/v1/review", params={"effects": False}).json()["pricing"]
    assert pricing.get("computed_at"), pricing


def test_the_review_page_and_a_plan_page_show_the_pricing_state(api):
    _review_after_a_price_run(api)
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": ["KH00001", "KH00002"]})
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan_id"]
    with _signed_in(api, STAFF) as client:
        review = client.get("/review")
        plan = client.get(f"/cohort/{plan_id}")
    assert review.status_code == plan.status_code == 200
    assert 'id="review-pricing" data-on="1"' in review.text
    assert "danh sách báo mọi chỗ đều có người khác đang chờ phù hợp hơn" in review.text
    assert 'id="plan-pricing" data-on="1"' in plan.text
    assert "Gợi ý cho từng người đang tính giá chỗ" in plan.text
