"""Decisions, placements, outcomes and follow-ups over HTTP, with the seats they take."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matcher.store.tables import (
    AuditEntry,
    Client,
    Decision,
    FollowUp,
    Option,
    OptionChange,
    Placement,
    Suggestion,
)
from tests.api.test_clients import HALONG, STAFF, UONGBI, client_body, db, new_client, user_id
from tests.api.test_suggestions import COTO, add_option, coto_client, suggest


def seats(api, option_id: str) -> int:
    with db(api) as s:
        return s.scalar(select(Option.capacity).where(Option.option_id == option_id))


def rows(api, table, **where) -> int:
    with db(api) as s:
        return s.scalar(select(func.count()).select_from(table).where(
            *(getattr(table, k) == v for k, v in where.items())))


def listed(api, option_id: str, username: str = HALONG, **client) -> tuple[dict, int]:
    """A new Cô Tô client and a logged suggestion list that includes ``option_id``."""
    made = coto_client(api, username, **client)
    body = suggest(api, made["client_id"], username, top=50)
    assert option_id in {e["option_id"] for e in body["suggestions"]}
    return made, body["suggestion_id"]


def decide(api, suggestion_id: int, username: str = HALONG, **body):
    with api.client(username) as c:
        return c.post(f"/v1/suggestions/{suggestion_id}/decisions", json=body)


# --- declines ----------------------------------------------------------------------------


def test_declines_need_a_coded_reason(api):
    option = add_option(api, capacity=5)
    _, sid = listed(api, option)
    for body, field in (({}, "body.reason_code"),
                        ({"reason_code": "bored"}, "body.reason_code"),
                        ({"reason_code": "other"}, "body.reason_text"),
                        ({"reason_code": "other", "reason_text": "   "}, "body.reason_text"),
                        ({"reason_code": "other", "reason_text": "x" * 501},
                         "body.reason_text"),
                        ({"reason_code": "too_far", "start_date": "2030-01-01"},
                         "body.start_date")):
        r = decide(api, sid, option_id=option, decision="declined", **body)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert rows(api, Decision, suggestion_id=sid) == 0
    first = decide(api, sid, option_id=option, decision="declined", reason_code="too_far")
    other = decide(api, sid, option_id=option, decision="declined", reason_code="other",
                   reason_text="gia đình không đồng ý")
    assert first.status_code == other.status_code == 201, other.text
    assert first.json()["placement_id"] is None and first.json()["seats_left"] is None
    with db(api) as s:
        kept = s.scalars(select(Decision).where(Decision.suggestion_id == sid)
                         .order_by(Decision.decision_id)).all()
        assert [(d.decision, d.reason_code, d.reason_text) for d in kept] == [
            ("declined", "too_far", None), ("declined", "other", "gia đình không đồng ý")]
        assert kept[0].user_id == user_id(api, HALONG)
    assert seats(api, option) == 5  # a decline takes no seat
    with api.client(HALONG) as c:
        logged = c.get(f"/v1/suggestions/{sid}").json()["decisions"]
    assert [d["reason_code"] for d in logged] == ["too_far", "other"]


def test_a_decision_is_on_an_option_of_the_list(api):
    option = add_option(api, capacity=5)
    _, sid = listed(api, option)
    for decision in ("accepted", "declined"):
        r = decide(api, sid, option_id="OP000001", decision=decision, reason_code="too_far"
                   if decision == "declined" else None)
        assert r.status_code == 422 and r.json()["field"] == "body.option_id", r.text
    r = decide(api, sid, option_id=option, decision="maybe")
    assert r.status_code == 422 and r.json()["field"] == "body.decision"
    assert rows(api, Decision, suggestion_id=sid) == 0


def test_only_the_social_worker_of_the_caseload_decides(api):
    option = add_option(api, capacity=5)
    _, sid = listed(api, option)
    assert decide(api, sid, UONGBI, option_id=option, decision="accepted").status_code == 404
    for username in (STAFF, "truong.nghe", "quantri"):
        r = decide(api, sid, username, option_id=option, decision="accepted")
        assert r.status_code == 403, username
    assert rows(api, Decision, suggestion_id=sid) == 0 and seats(api, option) == 5


# --- accepts -----------------------------------------------------------------------------


def test_accept_creates_the_placement_and_takes_exactly_one_seat(api):
    option = add_option(api, capacity=3, start_in_days=20)
    made, sid = listed(api, option)
    r = decide(api, sid, option_id=option, decision="accepted")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["decision"] == "accepted" and body["seats_left"] == 2
    assert seats(api, option) == 2
    with db(api) as s:
        placement = s.get(Placement, body["placement_id"])
        assert placement.client_id == made["client_id"] and placement.option_id == option
        assert placement.status == "ongoing" and placement.suggestion_id == sid
        assert placement.start_date == date.today() + timedelta(days=20)  # the option's
        assert placement.created_by == user_id(api, HALONG)
        assert s.get(Decision, body["decision_id"]).decision == "accepted"
        change = s.scalars(select(OptionChange).where(OptionChange.option_id == option)).one()
        assert (change.old_value, change.new_value, change.cause) == ("3", "2", "placement")
        details = [e.detail for e in s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id.in_([str(sid), body["placement_id"]])))]
    assert {d.get("placement_id") for d in details} >= {body["placement_id"]}
    text = json.dumps(details, ensure_ascii=False)
    assert made["full_name"] not in text and made["group"] not in text
    # The server's matcher sees the seat gone at once.
    again = suggest(api, made["client_id"], top=50)
    assert {e["option_id"]: e["seats_left"] for e in again["suggestions"]}[option] == 2


def test_a_list_is_accepted_only_once(api):
    option = add_option(api, capacity=5)
    other = add_option(api, capacity=5)
    _, sid = listed(api, option)
    assert decide(api, sid, option_id=option, decision="accepted").status_code == 201
    for target in (option, other):
        r = decide(api, sid, option_id=target, decision="accepted")
        assert r.status_code == 409 and "already accepted" in r.json()["detail"]
    assert rows(api, Placement, suggestion_id=sid) == 1
    assert seats(api, option) == 4 and seats(api, other) == 5


def test_no_seat_left_is_409_and_nothing_is_written(api):
    option = add_option(api, capacity=1)
    _, first = listed(api, option)
    _, second = listed(api, option)
    assert decide(api, first, option_id=option, decision="accepted").status_code == 201
    assert seats(api, option) == 0
    changes = rows(api, OptionChange, option_id=option)
    r = decide(api, second, option_id=option, decision="accepted")
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == f"no seat left in {option}"
    assert rows(api, Decision, suggestion_id=second) == 0
    assert rows(api, Placement, suggestion_id=second) == 0
    assert rows(api, OptionChange, option_id=option) == changes and seats(api, option) == 0


def test_a_seat_count_set_to_zero_in_the_database_is_respected(api):
    option = add_option(api, capacity=4)
    _, sid = listed(api, option)
    with db(api) as s:
        s.get(Option, option).capacity = 0
        s.commit()
    r = decide(api, sid, option_id=option, decision="accepted")
    assert r.status_code == 409 and "no seat left" in r.json()["detail"]
    assert rows(api, Placement, option_id=option) == 0 and seats(api, option) == 0


def test_accept_checks_eligibility_against_current_data(api):
    option = add_option(api, capacity=5)
    made, sid = listed(api, option)
    with api.client(HALONG) as c:  # the client moved to the mainland since the list was made
        assert c.patch(f"/v1/clients/{made['client_id']}",
                       json={"place": "Phường Hạ Long"}).status_code == 200
    r = decide(api, sid, option_id=option, decision="accepted")
    assert r.status_code == 409 and "too_far" in r.json()["detail"], r.text
    assert rows(api, Placement, option_id=option) == 0 and seats(api, option) == 5


def test_an_unsaved_profile_cannot_be_accepted(api):
    option = add_option(api, capacity=5)
    with api.client(HALONG) as c:
        r = c.post("/v1/suggestions", json={"profile": client_body(place=COTO, max_travel_km=0),
                                            "top": 50})
    sid = r.json()["suggestion_id"]
    assert option in {e["option_id"] for e in r.json()["suggestions"]}
    r = decide(api, sid, option_id=option, decision="accepted")
    assert r.status_code == 409 and "save the client first" in r.json()["detail"]
    assert seats(api, option) == 5 and rows(api, Decision, suggestion_id=sid) == 0


def test_concurrent_accepts_never_give_a_seat_twice(api):
    seats_in = 3
    option = add_option(api, capacity=seats_in)
    lists = [listed(api, option)[1] for _ in range(12)]
    lists += [lists[0]] * 6  # the same list accepted several times at once

    def accept(sid: int) -> int:
        return decide(api, sid, option_id=option, decision="accepted").status_code

    with ThreadPoolExecutor(max_workers=len(lists)) as pool:
        codes = list(pool.map(accept, lists))
    assert sorted(set(codes)) == [201, 409], codes
    assert codes.count(201) == seats_in
    assert rows(api, Placement, option_id=option) == seats_in and seats(api, option) == 0
    assert rows(api, Decision, suggestion_id=lists[0], decision="accepted") <= 1
    with db(api) as s:
        accepted = s.scalars(select(Decision.suggestion_id).where(
            Decision.option_id == option, Decision.decision == "accepted")).all()
    assert len(accepted) == len(set(accepted)) == seats_in


# --- placements and outcomes -------------------------------------------------------------


def placed(api, *, start_in_days: int = -30, capacity: int = 5) -> tuple[dict, dict, str]:
    """A client placed in a new option (started ``-start_in_days`` days ago by default)."""
    option = add_option(api, capacity=capacity)
    made, sid = listed(api, option)
    start = (date.today() + timedelta(days=start_in_days)).isoformat()
    r = decide(api, sid, option_id=option, decision="accepted", start_date=start)
    assert r.status_code == 201, r.text
    return made, r.json(), option


def test_placements_are_listed_and_read_within_the_caseload(api):
    made, accepted, option = placed(api)
    pid = accepted["placement_id"]
    with api.client(HALONG) as c:
        one = c.get(f"/v1/placements/{pid}").json()
        assert one["client_id"] == made["client_id"] and one["status"] == "ongoing"
        page = c.get("/v1/placements", params={"client_id": made["client_id"]}).json()
        assert [p["placement_id"] for p in page["items"]] == [pid] and page["total"] == 1
        assert [p["placement_id"] for p in c.get("/v1/placements", params={
            "option_id": option}).json()["items"]] == [pid]
        mine = c.get(f"/v1/clients/{made['client_id']}/placements").json()
        assert [p["placement_id"] for p in mine] == [pid]
        ongoing = c.get("/v1/placements", params={"status": "ongoing", "limit": 200}).json()
        assert ongoing["items"] and {p["status"] for p in ongoing["items"]} == {"ongoing"}
        assert c.get("/v1/placements", params={"status": "paused"}).status_code == 422
    with api.client(UONGBI) as other:
        assert other.get(f"/v1/placements/{pid}").status_code == 404
        assert other.get("/v1/placements", params={"option_id": option}).json()["total"] == 0
        assert other.get(f"/v1/clients/{made['client_id']}/placements").status_code == 404
        theirs = other.get("/v1/placements", params={"limit": 200}).json()["items"]
    with db(api) as s:
        owners = set(s.scalars(select(Client.caseworker_id).where(
            Client.client_id.in_([p["client_id"] for p in theirs]))))
    assert owners <= {user_id(api, UONGBI)}
    with api.client(STAFF) as staff:
        assert staff.get(f"/v1/placements/{pid}").status_code == 200
        assert staff.get("/v1/placements", params={"option_id": option}).json()["total"] == 1
    with api.client("doanh.nghiep") as provider:
        assert provider.get("/v1/placements").status_code == 403
        assert provider.get(f"/v1/placements/{pid}").status_code == 403
    assert rows(api, AuditEntry, action="read", entity="placement", entity_id=pid) == 2


def test_an_outcome_is_recorded(api):
    _, accepted, option = placed(api, start_in_days=-200)
    pid = accepted["placement_id"]
    with api.client(HALONG) as c:
        url = f"/v1/placements/{pid}/outcome"
        for body, field in (
            ({"status": "completed", "followed_up_on": (date.today() + timedelta(days=1))
              .isoformat()}, "body.followed_up_on"),
            ({"status": "completed", "followed_up_on": (date.today() - timedelta(days=300))
              .isoformat()}, "body.followed_up_on"),
            ({"status": "completed", "income_vnd_day": -1}, "body.income_vnd_day"),
            ({"status": "dropped", "success": True}, "body.success"),
            ({"status": "finished"}, "body.status"),
            ({"status": "completed", "grade": "A"}, "body.grade"),
        ):
            r = c.post(url, json=body)
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        assert c.get(f"/v1/placements/{pid}").json()["status"] == "ongoing"
        followed = (date.today() - timedelta(days=10)).isoformat()
        r = c.post(url, json={"status": "completed", "success": True,
                              "income_vnd_day": 180_000, "followed_up_on": followed})
        assert r.status_code == 200, r.text
        assert r.json()["seat_released"] is False
        assert c.post(url, json={"status": "completed"}).status_code == 200
        with api.client(STAFF) as staff:
            assert staff.post(url, json={"status": "dropped"}).status_code == 403
        with api.client(UONGBI) as other:
            assert other.post(url, json={"status": "dropped"}).status_code == 404
    with db(api) as s:
        p = s.get(Placement, pid)
        assert (p.status, p.success, p.income_vnd_day, p.followed_up_on.isoformat()) == (
            "completed", True, 180_000, followed)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == pid,
                                                   AuditEntry.action == "update")
                          .order_by(AuditEntry.audit_id)).first()
    assert set(entry.detail["fields"]) == {"status", "success", "income_vnd_day",
                                           "followed_up_on"}
    assert "180000" not in json.dumps(entry.detail)
    assert seats(api, option) == 4  # a drop after the start gives nothing back


def test_a_drop_before_the_start_gives_the_seat_back(api):
    _, accepted, option = placed(api, start_in_days=30, capacity=2)
    pid = accepted["placement_id"]
    assert seats(api, option) == 1
    with api.client(HALONG) as c:
        url = f"/v1/placements/{pid}/outcome"
        r = c.post(url, json={"status": "completed"})
        assert r.status_code == 422 and r.json()["field"] == "body.status"
        r = c.post(url, json={"status": "dropped", "success": False})
        assert r.status_code == 200 and r.json()["seat_released"] is True
        assert seats(api, option) == 2
        again = c.post(url, json={"status": "dropped"})  # no second seat
        assert again.status_code == 200 and again.json()["seat_released"] is False
        assert seats(api, option) == 2
        r = c.post(url, json={"status": "ongoing"})
        assert r.status_code == 409 and r.json()["field"] == "body.status"
    with db(api) as s:
        assert s.get(Placement, pid).status == "dropped"
        assert [(c.old_value, c.new_value) for c in s.scalars(
            select(OptionChange).where(OptionChange.option_id == option)
            .order_by(OptionChange.change_id))] == [("2", "1"), ("1", "2")]


# --- follow-ups of clients not placed ----------------------------------------------------


def test_followups_of_a_client_not_placed(api):
    made = new_client(api)
    cid = made["client_id"]
    url = f"/v1/clients/{cid}/followups"
    day = (date.today() - timedelta(days=60)).isoformat()
    with api.client(HALONG) as c:
        r = c.post(url, json={"followed_up_on": day, "earning": True, "income_vnd_day": 90_000})
        assert r.status_code == 201, r.text
        assert r.json()["client_id"] == cid and r.json()["earning"] is True
        dup = c.post(url, json={"followed_up_on": day, "earning": False})
        assert dup.status_code == 409 and dup.json()["field"] == "body.followed_up_on"
        for body, field in (
            ({"followed_up_on": (date.today() + timedelta(days=3)).isoformat(),
              "earning": False}, "body.followed_up_on"),
            ({"followed_up_on": "1990-01-01", "earning": False}, "body.followed_up_on"),
            ({"followed_up_on": day, "earning": True, "income_vnd_day": -5},
             "body.income_vnd_day"),
            ({"followed_up_on": "2026-02-30", "earning": True}, "body.followed_up_on"),
            ({"followed_up_on": day}, "body.earning"),
            ({"followed_up_on": date.today().isoformat(), "earning": False,
              "income_vnd_day": 50_000}, "body.income_vnd_day"),
        ):
            r = c.post(url, json=body)
            assert r.status_code == 422 and r.json()["field"] == field, r.text
        later = date.today().isoformat()
        assert c.post(url, json={"followed_up_on": later, "earning": False}).status_code == 201
        listed_ = c.get(url).json()
    assert [(f["followed_up_on"], f["earning"], f["income_vnd_day"]) for f in listed_] == [
        (day, True, 90_000), (later, False, None)]
    assert rows(api, FollowUp, client_id=cid) == 2
    with api.client(STAFF) as staff:
        assert len(staff.get(url).json()) == 2
        assert staff.post(url, json={"followed_up_on": day, "earning": True}).status_code == 403
    with api.client(UONGBI) as other:
        assert other.get(url).status_code == 404
        assert other.post(url, json={"followed_up_on": day, "earning": True}).status_code == 404
    with api.client("truong.nghe") as provider:
        assert provider.get(url).status_code == 403


@pytest.mark.parametrize("path", ["/v1/placements/NOPE", "/v1/clients/NOPE/followups",
                                  "/v1/clients/NOPE/placements"])
def test_unknown_ids_are_404(api, path):
    with api.client(HALONG) as c:
        r = c.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith(
        "application/problem+json")


def test_suggestion_row_for_a_decision_is_unchanged(api):
    """The lock taken on the suggestion row by an accept changes nothing in it."""
    option = add_option(api, capacity=2)
    _, sid = listed(api, option)
    with db(api) as s:
        before = s.get(Suggestion, sid)
        version, entries = before.model_version, before.entries
    assert decide(api, sid, option_id=option, decision="accepted").status_code == 201
    with db(api) as s:
        after = s.get(Suggestion, sid)
        assert (after.model_version, after.entries) == (version, entries)
