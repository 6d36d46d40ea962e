"""Cohort plans over HTTP: compute, list, read, and commit all seats at once or none."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from matcher.allocation.plan import REASONS
from matcher.store import generations
from matcher.store.db import transaction
from matcher.store.tables import Client, Option, OptionChange, Placement, Plan

STAFF = "canbo.chuongtrinh"


def unplaced_clients(db, n: int) -> list[str]:
    """Demo clients with no placement yet (from the end: other tests take from the start)."""
    with transaction(db) as s:
        placed = select(Placement.client_id)
        return list(s.scalars(select(Client.client_id).where(Client.client_id.not_in(placed))
                              .order_by(Client.client_id.desc()).limit(n)))


def seats(db, option_ids) -> dict[str, int]:
    with transaction(db) as s:
        return dict(s.execute(select(Option.option_id, Option.capacity)
                              .where(Option.option_id.in_(list(option_ids)))).all())


def set_seats(db, option_id: str, capacity: int) -> None:
    with transaction(db) as s:
        s.execute(update(Option).where(Option.option_id == option_id).values(capacity=capacity))
        generations.bump(s, generations.CAPACITY)


def placements_of(db, plan_id: int) -> list[tuple[str, str, str, int | None]]:
    with transaction(db) as s:
        return [tuple(r) for r in s.execute(
            select(Placement.client_id, Placement.option_id, Placement.status,
                   Placement.created_by).where(Placement.plan_id == plan_id))]


def make_plan(api, client_ids, **extra) -> dict:
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": client_ids, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_plan_for_a_cohort_has_assignments_baselines_and_reasons(api, db):
    cohort = unplaced_clients(db, 30)
    assert len(cohort) == 30
    plan = make_plan(api, cohort, priority={"trafficking_returnee": 2, "disabled": 1.5})
    assert plan["status"] == "draft" and isinstance(plan["plan_id"], int)
    assert plan["committed_at"] is None
    assigned = [a["client_id"] for a in plan["assignments"]]
    left_out = [u["client_id"] for u in plan["unassigned"]]
    assert len(assigned) == len(set(assigned))
    assert sorted(assigned + left_out) == sorted(cohort)
    assert plan["assignments"], "the demo world has seats for some of 30 clients"
    for a in plan["assignments"]:
        assert 0 <= a["p_success"] <= 1 and a["option_id"]
    for u in plan["unassigned"]:
        assert u["reason"] in REASONS and u["vi"] and u["en"]
    assert plan["objective"] > 0 and plan["expected_successes"] > 0
    # Unweighted, the expected successes are the sum of the assigned chances.
    assert plan["expected_successes"] == pytest.approx(
        sum(a["p_success"] for a in plan["assignments"]), abs=1e-3)
    assert set(plan["baselines"]) == {"greedy", "status_quo", "random"}
    for name, b in plan["baselines"].items():
        assert b["assigned"] + b["unassigned"] == 30
        assert b["objective"] <= plan["objective"] + 1e-6, name
        assert plan["gain_over"][name] == pytest.approx(plan["objective"] - b["objective"],
                                                        abs=1e-5)
    assert plan["budget_vnd"] is None and plan["model_version"]
    with api.client(STAFF) as c:
        again = c.get(f"/v1/plans/{plan['plan_id']}")
        listed = c.get("/v1/plans")
    assert again.status_code == 200 and again.json() == plan
    assert listed.status_code == 200
    summaries = listed.json()
    mine = next(p for p in summaries if p["plan_id"] == plan["plan_id"])
    assert mine["n_clients"] == 30 and mine["n_assigned"] == len(assigned)
    assert mine["status"] == "draft" and "assignments" not in mine
    ids = [p["plan_id"] for p in summaries]
    assert ids == sorted(ids, reverse=True), "newest first"
    with transaction(db) as s:
        stored = s.get(Plan, plan["plan_id"])
        assert stored.status == "draft" and stored.body["assignments"] == plan["assignments"]
        assert stored.model_version == plan["model_version"]


def test_a_budget_limits_the_cost(api, db):
    cohort = unplaced_clients(db, 8)
    plan = make_plan(api, cohort, budget_vnd=0)
    assert plan["budget_vnd"] == 0 and plan["cost_vnd"] == 0
    with transaction(db) as s:
        costs = dict(s.execute(select(Option.option_id, Option.cost_vnd)).all())
    assert all(not costs[a["option_id"]] for a in plan["assignments"])


@pytest.mark.parametrize("body, field", [
    ({"client_ids": ["KH00001"], "budget_vnd": -1}, "body.budget_vnd"),
    ({"client_ids": []}, "body.client_ids"),
    ({"client_ids": ["KH00001", "KH00001"]}, "body.client_ids"),
    ({"client_ids": ["KH00001"], "priority": {"no_such_group": 1}}, "body.priority"),
    ({"client_ids": ["KH00001"], "priority": {"disabled": 11}}, "body.priority"),
    ({"client_ids": ["KH00001"], "surprise": 1}, "body.surprise"),
    ({}, "body.client_ids"),
])
def test_invalid_requests_are_refused_with_the_field(api, body, field):
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"].startswith(field)


def test_unknown_clients_are_named(api, db):
    known = unplaced_clients(db, 2)
    with transaction(db) as s:
        before = s.scalar(select(func.count()).select_from(Plan))
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": [known[0], "NOPE-1", known[1], "NOPE-2"]})
    assert r.status_code == 422
    problem = r.json()
    assert problem["field"] == "body.client_ids"
    assert "NOPE-1" in problem["detail"] and "NOPE-2" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["body.client_ids.1", "body.client_ids.3"]
    assert known[0] not in problem["detail"]
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == before


@pytest.mark.parametrize("user", ["ctv.halong", "truong.nghe", "quantri"])
def test_only_programme_staff_make_plans(api, user):
    with api.client(user) as c:
        assert c.post("/v1/plans", json={"client_ids": ["KH00001"]}).status_code == 403
        assert c.get("/v1/plans").status_code == 403
        assert c.post("/v1/plans/1/commit").status_code == 403


def test_an_unknown_plan_is_404(api):
    with api.client(STAFF) as c:
        assert c.get("/v1/plans/987654321").status_code == 404
        assert c.post("/v1/plans/987654321/commit").status_code == 404


def test_commit_reserves_every_seat_and_creates_the_placements(api, db):
    cohort = unplaced_clients(db, 6)
    plan = make_plan(api, cohort)
    wanted = Counter(a["option_id"] for a in plan["assignments"])
    assert wanted
    before = seats(db, wanted)
    with api.client(STAFF) as c:
        r = c.post(f"/v1/plans/{plan['plan_id']}/commit")
        assert r.status_code == 200, r.text
        done = r.json()
        twice = c.post(f"/v1/plans/{plan['plan_id']}/commit")
        shown = c.get(f"/v1/plans/{plan['plan_id']}").json()
    assert done["status"] == "committed" and done["committed_at"]
    assert sorted((p["client_id"], p["option_id"]) for p in done["placements"]) == sorted(
        (a["client_id"], a["option_id"]) for a in plan["assignments"])
    assert all(p["status"] == "ongoing" and p["plan_id"] == plan["plan_id"]
               for p in done["placements"])
    after = seats(db, wanted)
    assert after == {oid: before[oid] - n for oid, n in wanted.items()}
    stored = placements_of(db, plan["plan_id"])
    assert len(stored) == len(plan["assignments"])
    assert {row[2] for row in stored} == {"ongoing"} and None not in {row[3] for row in stored}
    with transaction(db) as s:
        changes = s.scalar(select(func.count()).select_from(OptionChange).where(
            OptionChange.option_id.in_(list(wanted)), OptionChange.cause == "plan"))
    assert changes >= len(wanted)
    # Twice: refused, and nothing more is taken.
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert seats(db, wanted) == after and len(placements_of(db, plan["plan_id"])) == len(stored)
    assert shown["status"] == "committed" and shown["committed_by"] is not None


def test_commit_is_all_or_nothing(api, db):
    cohort = unplaced_clients(db, 10)
    plan = make_plan(api, cohort)
    wanted = Counter(a["option_id"] for a in plan["assignments"])
    assert len(wanted) >= 2, "needs a plan over at least two options"
    full = sorted(wanted)[0]
    before = seats(db, wanted)
    set_seats(db, full, 0)
    try:
        with api.client(STAFF) as c:
            r = c.post(f"/v1/plans/{plan['plan_id']}/commit")
            still = c.get(f"/v1/plans/{plan['plan_id']}").json()
        assert r.status_code == 409, r.text
        problem = r.json()
        assert full in problem["detail"]
        assert [e["message"].split(":")[0] for e in problem["errors"]] == [full]
        assert placements_of(db, plan["plan_id"]) == []
        assert seats(db, wanted) == {**before, full: 0}
        assert still["status"] == "draft" and still["committed_at"] is None
    finally:
        set_seats(db, full, before[full])
    # With the seat back, the same draft commits.
    with api.client(STAFF) as c:
        r = c.post(f"/v1/plans/{plan['plan_id']}/commit")
    assert r.status_code == 200, r.text
    assert len(placements_of(db, plan["plan_id"])) == len(plan["assignments"])
    assert seats(db, wanted) == {oid: before[oid] - n for oid, n in wanted.items()}


def test_two_commits_at_once_reserve_the_seats_once(api, db):
    plan = make_plan(api, unplaced_clients(db, 4))
    wanted = Counter(a["option_id"] for a in plan["assignments"])
    before = seats(db, wanted)

    def commit(_):
        with api.client(STAFF) as c:
            return c.post(f"/v1/plans/{plan['plan_id']}/commit").status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(commit, range(4)))
    assert codes == [200, 409, 409, 409]
    assert len(placements_of(db, plan["plan_id"])) == len(plan["assignments"])
    assert seats(db, wanted) == {oid: before[oid] - n for oid, n in wanted.items()}
