"""Suggestions over HTTP: stored clients and unsaved profiles, the log, and "why not?"."""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store import generations
from matcher.store.tables import AuditEntry, Client, Option, OptionTrade, Provider, Suggestion
from matcher.vocab.text import fold
from tests.api.test_clients import HALONG, STAFF, UONGBI, client_body, db, new_client, user_id

# Đặc khu Cô Tô (an island) has no option in the demo world: a client there who cannot travel
# (max_travel_km 0) is offered only the options a test puts there itself.
COTO, COTO_ID = "Đặc khu Cô Tô", "cur-7192"


def add_option(api, *, capacity: int, kind: str = "training", place_id: str = COTO_ID,
               start_in_days: int = 40, **fields) -> str:
    """A new provider and option straight in the database; the server rebuilds its matcher."""
    tag = uuid.uuid4().hex[:8].upper()
    provider_id, option_id = f"TP{tag}", f"TO{tag}"
    name = f"Trung tâm thử nghiệm {tag}"
    with db(api) as s:
        s.add(Provider(provider_id=provider_id, name=name, name_folded=fold(name),
                       kind={"training": "trainer", "job": "employer"}.get(kind, kind),
                       place_id=place_id))
        s.flush()
        s.add(Option(option_id=option_id, provider_id=provider_id, kind=kind,
                     title=f"Lớp may thử nghiệm {tag}", place_id=place_id, capacity=capacity,
                     cost_vnd=3_000_000, duration_weeks=12, accepts_records=True,
                     start_date=date.today() + timedelta(days=start_in_days), version=1,
                     **fields))
        s.flush()
        s.add(OptionTrade(option_id=option_id, trade_id="sewing", position=0))
        generations.bump(s, generations.CATALOG)
        s.commit()
    return option_id


def coto_client(api, username: str = HALONG, **overrides) -> dict:
    """A client on Cô Tô who cannot travel: only options placed on Cô Tô are within reach."""
    return new_client(api, username, place=COTO, max_travel_km=0, group="youth_at_risk",
                      interests="học may", **overrides)


def suggest(api, client_id: str, username: str = HALONG, **body) -> dict:
    with api.client(username) as c:
        r = c.post(f"/v1/clients/{client_id}/suggestions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def current_model_version(api) -> str:
    return json.loads((api.model_dir / "current.json").read_text())["version"]


@pytest.fixture(scope="module")
def coto_options(api) -> dict[str, str]:
    """One training (from 13) and one job option on Cô Tô, with plenty of seats."""
    return {"training": add_option(api, capacity=500, min_age=13),
            "job": add_option(api, capacity=500, kind="job", wage_vnd_day=200_000)}


# --- a stored client ---------------------------------------------------------------------


def test_suggestions_for_a_stored_client_are_logged(api):
    made = new_client(api)
    body = suggest(api, made["client_id"], top=5)
    assert body["client_id"] == made["client_id"]
    assert body["model_version"] == current_model_version(api)
    assert body["prior_only"] is False
    assert 1 <= len(body["suggestions"]) <= 5 and body["n_eligible"] >= len(body["suggestions"])
    assert body["excluded"]  # far or full options were left out, and counted
    scores = [e["score"] for e in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    first = body["suggestions"][0]
    assert {"option_id", "kind", "score", "p_success", "reasons", "seats_left"} <= set(first)
    assert all(e["seats_left"] > 0 for e in body["suggestions"])
    with db(api) as s:
        row = s.get(Suggestion, body["suggestion_id"])
        assert row.client_id == made["client_id"] and row.user_id == user_id(api, HALONG)
        assert row.model_version == body["model_version"]
        assert [e["option_id"] for e in row.entries] == [e["option_id"]
                                                        for e in body["suggestions"]]
        logged = s.scalars(select(AuditEntry).where(AuditEntry.action == "suggest",
                                                    AuditEntry.entity_id == made["client_id"])
                           ).one()
    assert logged.detail["suggestion_id"] == body["suggestion_id"]
    assert made["full_name"] not in json.dumps(logged.detail, ensure_ascii=False)


def test_only_eligible_options_of_the_asked_kind(api, coto_options):
    made = coto_client(api)
    both = suggest(api, made["client_id"], top=50)
    ids = {e["option_id"] for e in both["suggestions"]}
    assert {coto_options["training"], coto_options["job"]} <= ids
    assert all(e["distance_km"] == 0 for e in both["suggestions"])  # nothing out of reach
    training = suggest(api, made["client_id"], top=50, kind="training")
    assert training["suggestions"] and {e["kind"] for e in training["suggestions"]} == {
        "training"}
    assert coto_options["job"] not in {e["option_id"] for e in training["suggestions"]}
    # A 14-year-old may train but not work (Labour Code): the job is not suggested.
    young = coto_client(api, birth_date=(date.today() - timedelta(days=14 * 365 + 30))
                        .isoformat())
    offered = {e["option_id"] for e in suggest(api, young["client_id"], top=50)["suggestions"]}
    assert coto_options["training"] in offered and coto_options["job"] not in offered


def test_reasons_in_the_asked_language(api, coto_options):
    made = coto_client(api)
    body = suggest(api, made["client_id"], top=3, lang="vi")
    reason = body["suggestions"][0]["reasons"][0]
    assert reason["text"] == reason["vi"]
    with db(api) as s:  # the log keeps the engine's entries as they were
        assert "text" not in s.get(Suggestion, body["suggestion_id"]).entries[0]["reasons"][0]


def test_suggestion_input_is_checked(api):
    made = new_client(api)
    with api.client(HALONG) as c:
        for body, field in (({"top": 0}, "body.top"), ({"top": 51}, "body.top"),
                            ({"kind": "holiday"}, "body.kind"), ({"lang": "fr"}, "body.lang"),
                            ({"profile": {}}, "body.profile")):
            r = c.post(f"/v1/clients/{made['client_id']}/suggestions", json=body)
            assert r.status_code == 422 and r.json()["field"] == field, r.text


# --- an unsaved profile ------------------------------------------------------------------


def test_suggestions_for_an_unsaved_profile_store_no_client(api, coto_options):
    profile = client_body(place=COTO, max_travel_km=0)
    with db(api) as s:
        clients = s.scalar(select(func.count()).select_from(Client))
    with api.client(UONGBI) as c:
        r = c.post("/v1/suggestions", json={"profile": profile, "top": 50, "kind": "training"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client_id"] is None
    assert coto_options["training"] in {e["option_id"] for e in body["suggestions"]}
    assert {e["kind"] for e in body["suggestions"]} == {"training"}
    with db(api) as s:
        assert s.scalar(select(func.count()).select_from(Client)) == clients
        row = s.get(Suggestion, body["suggestion_id"])
        assert row.client_id is None and row.user_id == user_id(api, UONGBI)
        assert row.model_version == current_model_version(api)
        assert profile["full_name"] not in json.dumps(row.entries, ensure_ascii=False)


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"place": "Hạ Lonng xyz"}, "body.profile.place", "closest"),
    ({"birth_date": "2999-01-01"}, "body.profile.birth_date", "future"),
    ({"prior_income_vnd_month": -1}, "body.profile.prior_income_vnd_month", "greater"),
    ({"shoe_size": 41}, "body.profile.shoe_size", "unknown field"),
    ({"client_id": "KH00001"}, "body.profile.client_id", "unknown field"),
    ({"max_travel_km": [1]}, "body.profile.max_travel_km", "number"),
])
def test_an_unsaved_profile_is_checked_like_a_client(api, change, field, words):
    with db(api) as s:
        before = s.scalar(select(func.count()).select_from(Suggestion))
    with api.client(HALONG) as c:
        r = c.post("/v1/suggestions", json={"profile": {**client_body(), **change}})
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert words in r.json()["detail"]
    with db(api) as s:
        assert s.scalar(select(func.count()).select_from(Suggestion)) == before


# --- nothing within reach (issue 13) -----------------------------------------------------


def test_nothing_within_reach_names_the_nearest_and_a_wider_search_finds_them(api):
    # No livelihood model is on Cô Tô (the tests put only courses and jobs there).
    cid = coto_client(api)["client_id"]
    narrow = suggest(api, cid, kind="livelihood")
    assert narrow["suggestions"] == [] and narrow["n_eligible"] == 0
    assert narrow["travel_limit_km"] == 0
    far = narrow["beyond_reach"]
    assert len(far) == 5 and {f["kind"] for f in far} == {"livelihood"}
    assert all(f["seats_left"] > 0 and f["title"] and f["provider_name"] for f in far)
    distances = [f["distance_km"] for f in far]
    assert distances == sorted(distances) and distances[0] > 0
    widened = math.ceil(distances[-1] + 0.05)  # each distance is rounded to 0.1 km
    wide = suggest(api, cid, kind="livelihood", max_travel_km=widened)
    assert wide["travel_limit_km"] == widened and wide["beyond_reach"] == []
    assert wide["n_eligible"] >= len(far) and wide["suggestions"]
    assert all(e["distance_km"] <= widened for e in wide["suggestions"])
    # For that search only: the client keeps their own limit, and so does the next search.
    with api.client(HALONG) as c:
        assert c.get(f"/v1/clients/{cid}").json()["max_travel_km"] == 0
        assert c.get(f"/v1/suggestions/{narrow['suggestion_id']}").json()["beyond_reach"] \
            == far
    assert suggest(api, cid, kind="livelihood")["n_eligible"] == 0
    with db(api) as s:
        assert s.get(Client, cid).max_travel_km == 0
        logged = s.get(Suggestion, narrow["suggestion_id"])
        assert (logged.kind, logged.travel_limit_km, logged.max_travel_km) == (
            "livelihood", 0, None)
        assert [f["option_id"] for f in logged.beyond_reach] == [f["option_id"] for f in far]
        logged = s.get(Suggestion, wide["suggestion_id"])
        assert (logged.travel_limit_km, logged.max_travel_km) == (widened, widened)
        assert logged.beyond_reach is None
        details = {e.detail["suggestion_id"]: e.detail for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "suggest",
                                     AuditEntry.entity_id == cid))}
    assert details[wide["suggestion_id"]]["max_travel_km"] == widened
    assert "max_travel_km" not in details[narrow["suggestion_id"]]


def test_an_unsaved_profile_may_be_widened_too(api):
    profile = client_body(place=COTO, max_travel_km=0)
    with api.client(HALONG) as c:
        narrow = c.post("/v1/suggestions", json={"profile": profile, "kind": "livelihood"})
        wide = c.post("/v1/suggestions", json={"profile": profile, "kind": "livelihood",
                                               "max_travel_km": 300})
    assert narrow.status_code == wide.status_code == 201, (narrow.text, wide.text)
    assert narrow.json()["n_eligible"] == 0 and narrow.json()["beyond_reach"]
    assert wide.json()["suggestions"] and wide.json()["travel_limit_km"] == 300


def test_a_travel_limit_for_one_search_is_checked(api):
    cid = new_client(api)["client_id"]
    with api.client(HALONG) as c:
        for value in (0, -1, 301, "far"):
            for path, body in ((f"/v1/clients/{cid}/suggestions", {}),
                               ("/v1/suggestions", {"profile": client_body()})):
                r = c.post(path, json={**body, "max_travel_km": value})
                assert r.status_code == 422, r.text
                assert r.json()["field"] == "body.max_travel_km", r.text
    for username in ("truong.nghe", "doanh.nghiep"):
        with api.client(username) as c:
            r = c.post(f"/v1/clients/{cid}/suggestions", json={"max_travel_km": 50})
            assert r.status_code == 403, r.text


# --- reading a logged list ---------------------------------------------------------------


def test_a_logged_list_is_read_within_the_caseload(api):
    made = new_client(api)
    sid = suggest(api, made["client_id"], top=3)["suggestion_id"]
    with api.client(HALONG) as c:
        r = c.get(f"/v1/suggestions/{sid}")
        assert r.status_code == 200
        assert r.json()["client_id"] == made["client_id"] and r.json()["decisions"] == []
        assert len(r.json()["suggestions"]) == 3
    with api.client(STAFF) as staff:
        assert staff.get(f"/v1/suggestions/{sid}").status_code == 200
    with api.client(UONGBI) as other:
        assert other.get(f"/v1/suggestions/{sid}").status_code == 404
        assert other.post(f"/v1/clients/{made['client_id']}/suggestions",
                          json={}).status_code == 404
        assert other.get("/v1/suggestions/2000000000").status_code == 404
    for username in ("truong.nghe", "quantri"):
        with api.client(username) as c:
            assert c.get(f"/v1/suggestions/{sid}").status_code == 403
            assert c.post(f"/v1/clients/{made['client_id']}/suggestions",
                          json={}).status_code == 403
            assert c.post("/v1/suggestions", json={"profile": client_body()}).status_code == 403


def test_an_unsaved_list_is_seen_only_by_who_asked_and_staff(api):
    with api.client(HALONG) as c:
        sid = c.post("/v1/suggestions", json={"profile": client_body()}).json()["suggestion_id"]
        assert c.get(f"/v1/suggestions/{sid}").status_code == 200
    with api.client(UONGBI) as other:
        assert other.get(f"/v1/suggestions/{sid}").status_code == 404
    with api.client(STAFF) as staff:
        assert staff.get(f"/v1/suggestions/{sid}").status_code == 200


# --- why not? ----------------------------------------------------------------------------


def test_explain_gives_rank_or_failed_rules(api, coto_options):
    made = coto_client(api)
    cid = made["client_id"]
    with api.client(HALONG) as c:
        good = c.get(f"/v1/clients/{cid}/options/{coto_options['training']}/explain").json()
        assert good["eligible"] is True and good["failed_rules"] == []
        assert good["rank"] >= 1 and good["n_eligible"] >= 2 and good["distance_km"] == 0
        far = c.get(f"/v1/clients/{cid}/options/OP000001/explain").json()
        assert far["eligible"] is False and far["rank"] is None
        assert "too_far" in {r["code"] for r in far["failed_rules"]}
        assert far["distance_km"] > 0
        r = c.get(f"/v1/clients/{cid}/options/NOPE-404/explain")
        assert r.status_code == 404 and r.json()["field"] == "option_id"
    with api.client(UONGBI) as other:
        r = other.get(f"/v1/clients/{cid}/options/{coto_options['training']}/explain")
        assert r.status_code == 404
    with db(api) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "explain", AuditEntry.entity_id == cid)) == 2
