"""The stage of a simulation: a fresh database holding one world, a model, a social worker.

Each world gets a SQLite file of its own in a temporary folder, filled through the import path
a user takes (providers, options, clients, placements, follow-ups, in that order, in one
transaction, as ``matcher seed`` does), one social worker account whose caseload is every
client, and a model trained by the project's own retraining loop
(:func:`matcher.outcomes.retrain.retrain`, promotion gate included) into a model folder of the
stage's own. When the gate declines the candidate, or the history is too small to judge one,
the transparent prior serves, and the stage says so.

The database file and the model folder are then copied aside (:meth:`Stage.restore` copies
them back): every policy run on the world starts from the same state without importing or
training again.

The product reads its database URL, model folder and seat-pricing switch through
:func:`matcher.settings.get_settings`, read once and cached; :func:`settings_for` sets them for
the stage's work as environment variables and clears that cache on the way in and out, so the
code under test reads them the ordinary way.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text, update

from matcher.settings import Settings, get_settings
from matcher.simulation.worlds import TruthWorld

#: The training clock of every simulated model, so that a model's version (its training time
#: and data hash) is the same in every run of the same world.
TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)
WORKER = "sim.social_worker"


@contextmanager
def settings_for(**values: str) -> Iterator[Settings]:
    """Settings with these environment variables set (names as the settings read them), for
    the duration of the block; the previous values are put back afterwards."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def sim_engine(path: Path) -> Engine:
    """The store's SQLite engine for the simulator's own temporary file, not synced to disk.

    The store syncs at each commit's checkpoint (``synchronous=NORMAL``); a simulation commits
    thousands of times into a file thrown away afterwards, so its connections turn syncing off
    (a listener registered after the store's runs after it).
    """
    from matcher.store.db import make_engine

    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_sync(dbapi_conn, _record):  # pragma: no cover - exercised by every run
        dbapi_conn.execute("PRAGMA synchronous=OFF")

    return engine


@dataclass
class Stage:
    """One imported world with its trained model, and the copies to start each run from."""

    world: TruthWorld
    folder: Path
    worker_id: int
    model: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.folder / "matcher.sqlite3"

    @property
    def model_dir(self) -> Path:
        return self.folder / "models"

    def env(self, *, seat_pricing: bool = False) -> dict[str, str]:
        """The settings of a run on this stage (see :func:`settings_for`)."""
        # The rebuild after a retrain still happens in the background, serving the previous
        # matcher to the request that saw the change (as the API does); but the desk waits
        # for the API's threads after each client (desk.api_threads_finished), so the 30 s
        # between rebuilds a worker keeps in real time would be 30 s of wall clock per round
        # here, where the next client comes at once: the same sequence, without the sleep.
        return {"DATABASE_URL": f"sqlite:///{self.db_path}",
                "MATCHER_MODEL_DIR": str(self.model_dir),
                "MATCHER_SEAT_PRICING": "true" if seat_pricing else "false",
                "MATCHER_REBUILD_MIN_INTERVAL_S": "0.001"}

    def restore(self) -> None:
        """Put the database and the models back as they were after set-up."""
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.folder / "snapshot.sqlite3", self.db_path)
        shutil.rmtree(self.model_dir, ignore_errors=True)
        shutil.copytree(self.folder / "snapshot-models", self.model_dir)


def stage_world(world: TruthWorld, folder: Path, *, on: date | None = None) -> Stage:
    """Import ``world`` into a fresh database in ``folder``, train, resolve the truth, and keep
    copies to restore (module docstring). ``on`` is the day the arrivals come (today)."""
    from matcher.access.accounts import add_user
    from matcher.ingest.importer import KINDS, import_into
    from matcher.matching.engine import Matcher
    from matcher.store.db import transaction, upgrade
    from matcher.store.tables import Client

    folder.mkdir(parents=True, exist_ok=True)
    stage = Stage(world=world, folder=folder, worker_id=0, model={})
    on = on or date.today()
    with settings_for(**stage.env()):
        engine = sim_engine(stage.db_path)
        began = time.perf_counter()
        upgrade(engine)
        with transaction(engine) as session:
            for kind in KINDS:
                path = world.directory / f"{kind}.csv"
                if path.exists():
                    import_into(session, kind, path, actor="simulation", source="simulation",
                                today=on)
            user = add_user(session, WORKER, secrets.token_urlsafe(16), "social_worker")
            session.flush()
            # One social worker's caseload is every client: the accepts go through the same
            # caseload checks as a real worker's.
            session.execute(update(Client).values(caseworker_id=user.user_id))
            stage.worker_id = int(user.user_id)
        stage.seconds["import"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        stage.model = train(engine, stage.model_dir)
        stage.seconds["train"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        with transaction(engine) as session:
            matcher = Matcher.build(session)
            world.resolve(matcher, arrival_profiles(session, world.arrivals), on)
        stage.seconds["truth"] = round(time.perf_counter() - began, 2)
        with engine.connect() as conn:  # everything into the main file before it is copied
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        engine.dispose()
    shutil.copyfile(stage.db_path, folder / "snapshot.sqlite3")
    stage.model_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(stage.model_dir, folder / "snapshot-models", dirs_exist_ok=True)
    return stage


def train(engine: Engine, model_dir: Path, *, now: datetime = TRAINED_AT) -> dict[str, Any]:
    """Retrain through the promotion gate; which model serves afterwards, and why."""
    from matcher.outcomes import NoHistory
    from matcher.outcomes.retrain import retrain

    try:
        result = retrain(engine, model_dir=model_dir, now=now)
    except NoHistory as exc:
        return {"version": "prior", "prior": True, "promoted": False,
                "reason": f"no model trained: {exc}"}
    serving = result.current_after
    return {"version": serving or "prior", "prior": serving is None,
            "promoted": bool(result.promoted), "candidate": result.candidate["version"],
            "reason": result.reason,
            "held_out": {k: {n: v for n, v in result.comparison[k].items() if n != "version"}
                         for k in ("candidate", "current")}}


def arrival_profiles(session, client_ids: list[str]) -> list:
    """The stored profiles of the arrivals, in the order given (as the product reads them)."""
    from matcher.store.frames import load_clients
    from matcher.store.profiles import ClientProfile

    frame = load_clients(session, list(client_ids)).set_index("client_id", drop=False)
    return [ClientProfile.from_record(frame.loc[c].to_dict()) for c in client_ids]
