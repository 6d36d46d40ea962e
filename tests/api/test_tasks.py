"""The social worker's task list over HTTP: each kind of task appears when it is due, goes
when it is done, and only for the social worker's own caseload."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update

from matcher.store.tables import Placement, Suggestion, User
from tests.api.fixtures import new_account
from tests.api.referral_world import referred
from tests.api.server import TEST_PASSWORD


def _tasks(api, username: str) -> dict:
    with api.client(username) as c:
        r = c.get("/v1/tasks")
    assert r.status_code == 200, r.text
    return r.json()


def _ids(items: list[dict], key: str = "placement_id") -> list:
    return [i[key] for i in items]


def test_each_task_appears_when_due_and_goes_when_done(api, db):
    worker = new_account(api, "social_worker", TEST_PASSWORD, prefix="tasks")["username"]
    assert _tasks(api, worker)["counts"] == {"returned": 0, "unanswered": 0,
                                             "followups_due": 0, "followups_overdue": 0}
    world = referred(api, n=6, social_worker=worker)
    declined, no_show, unanswered, due, overdue, imported = world["placements"]
    with api.client("truong.nghe") as p:
        assert p.post(f"/v1/my/referrals/{declined}/answer",
                      json={"answer": "declined", "reason_code": "not_suitable"}
                      ).status_code == 201
        assert p.post(f"/v1/my/referrals/{no_show}/reports",
                      json={"kind": "no_show", "reported_on": date.today().isoformat()}
                      ).status_code == 201
        for pid in (due, overdue):
            assert p.post(f"/v1/my/referrals/{pid}/answer",
                          json={"answer": "accepted"}).status_code == 201
    today = date.today()
    with db.begin() as conn:
        conn.execute(update(Placement).where(Placement.placement_id == unanswered).values(
            created_at=datetime.now(UTC) - timedelta(days=8)))
        for pid, days in ((due, 100), (overdue, 130), (imported, 400)):
            conn.execute(update(Placement).where(Placement.placement_id == pid).values(
                start_date=today - timedelta(days=days),
                created_at=datetime.now(UTC) - timedelta(days=days + 5)))
        # As imported: followed up after 6 months with its outcome, no checks of its own.
        conn.execute(update(Placement).where(Placement.placement_id == imported).values(
            status="completed", success=True, followed_up_on=today - timedelta(days=200)))
    tasks = _tasks(api, worker)
    assert tasks["answer_days"] == 7
    assert tasks["counts"] == {"returned": 2, "unanswered": 1, "followups_due": 1,
                               "followups_overdue": 1}
    returned = {i["placement_id"]: i for i in tasks["returned"]}
    assert returned[declined]["why"] == "declined"
    assert returned[declined]["reason_code"] == "not_suitable"
    assert returned[no_show]["why"] == "no_show" and returned[no_show]["on"] == today.isoformat()
    assert _ids(tasks["unanswered"]) == [unanswered]
    assert tasks["unanswered"][0]["days"] == 8
    assert [(i["placement_id"], i["months"]) for i in tasks["followups_due"]] == [(due, 3)]
    assert [(i["placement_id"], i["months"], i["days_late"])
            for i in tasks["followups_overdue"]] == [(overdue, 3, 39)]
    # Done: the follow-up recorded, the provider answers, the client referred again.
    with api.client(worker) as c:
        r = c.post(f"/v1/placements/{due}/outcome",
                   json={"status": "ongoing", "checkpoint_months": 3,
                         "followed_up_on": today.isoformat()})
        assert r.status_code == 200, r.text
    with api.client("truong.nghe") as p:
        assert p.post(f"/v1/my/referrals/{unanswered}/answer",
                      json={"answer": "accepted"}).status_code == 201
    # The declined client is referred again (into a seat the decline gave back).
    with db.begin() as conn:
        user_id = conn.scalar(select(User.user_id).where(User.username == worker))
        suggestion_id = conn.execute(insert(Suggestion).values(
            client_id=world["clients"][0], user_id=user_id, model_version="test",
            entries=[{"option_id": world["option_id"], "kind": "training", "score": 0.5,
                      "p_success": 0.5, "reasons": []}]).returning(
            Suggestion.suggestion_id)).scalar_one()
    with api.client(worker) as c:
        r = c.post(f"/v1/suggestions/{suggestion_id}/decisions",
                   json={"option_id": world["option_id"], "decision": "accepted"})
        assert r.status_code == 201, r.text
    tasks = _tasks(api, worker)
    assert tasks["counts"]["followups_due"] == 0
    assert tasks["counts"]["unanswered"] == 0
    assert _ids(tasks["returned"]) == [no_show]


def test_tasks_are_the_callers_caseload_only(api):
    worker = new_account(api, "social_worker", TEST_PASSWORD, prefix="tasks")["username"]
    world = referred(api, social_worker=worker)
    with api.client("truong.nghe") as p:
        p.post(f"/v1/my/referrals/{world['placements'][0]}/answer",
               json={"answer": "declined", "reason_code": "full"}).raise_for_status()
    assert _ids(_tasks(api, worker)["returned"]) == world["placements"]
    other = new_account(api, "social_worker", TEST_PASSWORD, prefix="tasks")["username"]
    assert _tasks(api, other)["counts"]["returned"] == 0
    with api.client("canbo.chuongtrinh") as staff:
        assert staff.get("/v1/tasks").status_code == 403
