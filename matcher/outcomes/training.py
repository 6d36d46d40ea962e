"""Training, saving and loading the outcome model; :mod:`matcher.outcomes` re-exports these
(see its docstring)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.clock import as_utc, utcnow
from matcher.outcomes.features import FEATURES

from .data import TrainingSet, load_training_set
from .fit import N_FOLDS, TooLittleHistory, fit_outcome_model
from .model import ModelCard, OutcomeModel, PriorModel, library_versions
from .pipeline import model_description
from .store import (
    ARTEFACT_FORMAT,
    ModelError,
    artefact_path,
    locate,
    read_checked,
    read_current_record,
    write_version,
)

_STEPS = ["load", *(f"fold {k + 1}" for k in range(N_FOLDS)), "time split", "final fit", "write"]


class NoHistory(ModelError):
    """No (or too little) outcome history to train on: the transparent prior is used."""


def train(source: Session | Engine, *, model_dir: Path, progress: bool = False,
          now: datetime | None = None, make_current: bool = True) -> ModelCard:
    """Fit the outcome model on the stored placements and make it the current model.

    Parameters
    ----------
    source : Session or Engine
        The store to read placements, clients and options from (read only).
    model_dir : Path
        Where ``model-<version>.joblib``, ``model-<version>.json`` and ``current.json`` go.
    progress : bool, default=False
        Show a progress bar on stderr.
    now : datetime, optional
        The training time written in the card and the version (UTC now by default).
    make_current : bool, default=True
        Point ``current.json`` at the new version; False stores it for a later promotion.

    Returns
    -------
    ModelCard

    Raises
    ------
    NoHistory
        No placement has a known outcome yet (or too few to learn from); nothing is written.
    """
    with _progress(progress) as step:
        with _session(source) as session:
            data = load_training_set(session)
        step("load")
        return train_on(data, model_dir=model_dir, now=now, step=step,
                        make_current=make_current)


def train_on(data: TrainingSet, *, model_dir: Path, now: datetime | None = None,
             step: Callable[[str], None] = lambda _: None,
             make_current: bool = True) -> ModelCard:
    """:func:`train` on rows already assembled: :func:`fit_model`, then :func:`save_model`."""
    model = fit_model(data, now=now, step=step)
    card = save_model(model, model_dir, make_current=make_current)
    step("write")
    return card


def fit_model(data: TrainingSet, *, now: datetime | None = None,
              step: Callable[[str], None] = lambda _: None) -> OutcomeModel:
    """Fit, calibrate and validate on ``data``; the model is in memory, not yet saved.

    Its card has everything but the artefact's file name and sha256, which
    :func:`save_model` fills in.

    Raises
    ------
    NoHistory
        When ``data`` has no rows, or too few to learn from.
    """
    if len(data) == 0:
        raise NoHistory("no history: no placement has a known outcome yet, "
                        "so the transparent prior is used")
    started = time.perf_counter()
    now = as_utc(now or utcnow())
    try:
        fit = fit_outcome_model(data, step=step)
    except TooLittleHistory as exc:
        raise NoHistory(f"too little history to train ({exc}), "
                        "so the transparent prior is used") from None
    data_hash = data.data_hash()
    card = ModelCard(
        version=f"{now:%Y%m%dT%H%M%SZ}-{data_hash[:8]}",
        trained_at=now.isoformat(timespec="seconds"),
        data_hash=data_hash,
        rows=len(data),
        n_clients=data.n_clients,
        success_rate=round(float(data.y.mean()), 4),
        features=list(FEATURES),
        libraries=library_versions(),
        model=model_description(),
        validation=fit.validation,
        calibration=fit.calibration_table,
        calibration_params={"a": fit.calibration[0], "b": fit.calibration[1]},
        context=fit.context.summary(),
        artefact="",
        artefact_sha256="",
        train_seconds=round(time.perf_counter() - started, 2),
    )
    return OutcomeModel(card=card, pipeline=fit.pipeline, calibration=fit.calibration,
                        context=fit.context)


def save_model(model: OutcomeModel, model_dir: Path, *, make_current: bool = True) -> ModelCard:
    """Write ``model`` as a new version in ``model_dir`` and make it current; all or nothing.

    The version gets a suffix ("-2", ...) if one of the same name is already there; the
    model's ``card`` and ``version`` are updated to what was written. With
    ``make_current=False`` it is stored only (promote it later with :func:`set_current`).
    """
    model_dir = Path(model_dir)
    version = _free_version(model_dir, model.card.version)
    artefact = {"format": ARTEFACT_FORMAT, "version": version, "features": list(FEATURES),
                "pipeline": model.pipeline, "calibration": model.calibration,
                "context": model.context}

    def card(sha256: str) -> dict[str, Any]:
        return replace(model.card, version=version, artefact_sha256=sha256,
                       artefact=artefact_path(model_dir, version).name).to_dict()

    written = ModelCard.from_dict(write_version(model_dir, version, artefact, card,
                                                make_current=make_current))
    model.card, model.version = written, written.version
    return written


def load_model(model_dir: Path, version: str | os.PathLike[str] | None = None) -> OutcomeModel:
    """A trained model from ``model_dir``: the current one, or ``version`` (or its file path).

    Raises
    ------
    ModelError
        With a message saying why, when the model is missing, outside ``model_dir``
        (symlinks included), its artefact's sha256 is not its card's, or it was trained on
        another feature set or scikit-learn version.
    """
    name = locate(Path(model_dir), version)
    card, artefact = read_checked(Path(model_dir), name, features=list(FEATURES),
                                  libraries=library_versions())
    return OutcomeModel(card=ModelCard.from_dict(card), pipeline=artefact["pipeline"],
                        calibration=artefact["calibration"], context=artefact["context"])


def current_model(model_dir: Path) -> OutcomeModel | PriorModel:
    """The current trained model, or the transparent prior when none was ever trained.

    A current model that fails its checks is an error, not a silent fall-back to the prior.
    """
    if not read_current_record(Path(model_dir)):
        return PriorModel()
    return load_model(Path(model_dir))


def _free_version(model_dir: Path, version: str) -> str:
    candidate, n = version, 1
    while (model_dir / f"model-{candidate}.json").exists() or \
            (model_dir / f"model-{candidate}.joblib").exists():
        n += 1
        candidate = f"{version}-{n}"
    return candidate


@contextmanager
def _session(source: Session | Engine) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
    else:
        with Session(source) as session:
            yield session


@contextmanager
def _progress(enabled: bool):
    if not enabled:
        yield lambda _label: None
        return
    from tqdm import tqdm

    with tqdm(total=len(_STEPS), file=sys.stderr, desc="train", unit="step",
              bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} [{elapsed}] {postfix}") \
            as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label, refresh=False)
            bar.update(1)

        yield step
