"""The outcome model over HTTP: the version in use and its card; training (admin only)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from matcher.store.db import make_engine, transaction
from matcher.store.tables import AuditEntry
from tests import local_http


def current_version(api) -> str:
    return json.loads((api.model_dir / "current.json").read_text())["version"]


@pytest.mark.parametrize("user", ["ctv.halong", "canbo.chuongtrinh", "quantri"])
def test_the_current_model_and_its_card(api, user):
    with api.client(user) as c:
        r = c.get("/v1/model")
    assert r.status_code == 200, r.text
    body = r.json()
    version = current_version(api)
    assert body["version"] == version and body["prior_only"] is False
    card = body["card"]
    assert card["version"] == version and card["rows"] > 0
    assert {"validation", "calibration", "features", "trained_at"} <= set(card)
    # Where the artefact lies is not shown.
    assert "artefact" not in card
    assert str(api.model_dir) not in r.text and ".joblib" not in r.text


def test_providers_do_not_see_the_model(api):
    with api.client("truong.nghe") as c:
        assert c.get("/v1/model").status_code == 403


@pytest.mark.parametrize("user", ["ctv.halong", "canbo.chuongtrinh", "doanh.nghiep"])
def test_only_an_admin_trains(api, user):
    before = current_version(api)
    with api.client(user) as c:
        r = c.post("/v1/model/train")
    assert r.status_code == 403
    assert current_version(api) == before


def test_an_admin_trains_a_new_current_model(api):
    before = current_version(api)
    with api.client("quantri") as c:
        # The session's first model was trained on all history (held-out clients included),
        # so its figures are not comparable with a candidate's; and the servers of both
        # backends share the model folder, so an earlier run may have replaced it. Forced.
        r = c.post("/v1/model/train", params={"force": "true"}, timeout=600)
        assert r.status_code == 200, r.text
        trained = r.json()
        assert trained["promoted"] is True and "comparable" in trained["comparison"]
        shown = c.get("/v1/model").json()
        # The API's matcher picks the new model up: new plans and suggestions use it.
    assert trained["version"] != before and trained["prior_only"] is False
    assert trained["previous"] == before and trained["card"]["rows"] > 0
    assert "artefact" not in trained["card"]
    assert current_version(api) == trained["version"]
    assert shown["version"] == trained["version"] and shown["previous"] == before
    engine = make_engine(api.db_url)
    try:
        with transaction(engine) as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "train",
                                                       AuditEntry.entity == "model")
                              .order_by(AuditEntry.audit_id.desc()).limit(1)).one()
            assert entry.entity_id == trained["version"] and entry.actor == "quantri"
    finally:
        engine.dispose()
    with api.client("canbo.chuongtrinh") as c:
        client_id = "KH00001"
        plan = c.post("/v1/plans", json={"client_ids": [client_id]})
    assert plan.status_code == 201, plan.text
    assert plan.json()["model_version"] == trained["version"]


def test_readiness_fails_when_the_model_artefact_is_tampered_with(tmp_path,
                                                                  trained_model_dir):
    """/readyz checks the model too: an artefact whose sha256 no longer matches its card
    makes the server not ready (503), and the suggestions say why instead of crashing."""
    import json
    import shutil
    import time as clock

    from tests.conftest import own_server

    models = tmp_path / "models"
    shutil.copytree(trained_model_dir, models)
    with own_server("sqlite", tmp_path, models) as (server, _):
        assert local_http.get(f"{server.url}/readyz", timeout=30).json()["status"] == "ok"
        current = models / "current.json"
        # The current model's artefact (the folder may hold earlier ones: a test retrains).
        version = json.loads(current.read_text())["version"]
        artefact = models / f"model-{version}.joblib"
        artefact.write_bytes(artefact.read_bytes() + b"tampered")
        clock.sleep(0.01)
        current.write_text(current.read_text())  # a new timestamp: the server looks again
        ready = local_http.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["model"] == "unusable"
        with server.client("ctv.halong") as c:
            client_id = c.get("/v1/clients?limit=1").json()["items"][0]["client_id"]
            r = c.post(f"/v1/clients/{client_id}/suggestions", json={"top": 3})
        assert r.status_code == 503 and "model" in r.json()["detail"]
