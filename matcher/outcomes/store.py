"""Model files: write atomically, name the current one, load only what the card vouches for.

The model directory holds, per trained version ``V``::

    model-V.joblib   the artefact (a pickle: loading an untrusted one runs code)
    model-V.json     its model card, with the artefact's sha256
    current.json     {"version": V, "previous": U, "history": [...], "updated_at": ...}

Nothing is loaded from outside the directory (symlinks included), nor unless the artefact's
sha256 equals its card's, nor when the card's feature list is not the code's. A version is
written to temporary files first and renamed into place, card last, then ``current.json``
is replaced: a failed training leaves the directory as it was. ``previous`` and ``history``
in ``current.json`` are what a later "promote only if not worse" and "restore the previous
version" need.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

CURRENT = "current.json"
ARTEFACT_FORMAT = 1
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$")
_FILE = re.compile(r"^model-(?P<version>.+)\.(?:json|joblib)$")


class ModelError(ValueError):
    """A model that cannot be used (missing, tampered with, from elsewhere, out of date)."""


def artefact_path(model_dir: Path, version: str) -> Path:
    return Path(model_dir) / f"model-{check_version(version)}.joblib"


def card_path(model_dir: Path, version: str) -> Path:
    return Path(model_dir) / f"model-{check_version(version)}.json"


def check_version(version: str) -> str:
    """A version is a plain file-name part: no separators, no ``..``."""
    if not isinstance(version, str) or not _VERSION.match(version) or ".." in version:
        raise ModelError(f"{version!r} is not a model version")
    return version


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- writing -----------------------------------------------------------------------------------


def write_version(model_dir: Path, version: str, artefact: Any,
                  make_card: Callable[[str], dict[str, Any]], *,
                  make_current: bool = True) -> dict[str, Any]:
    """Write artefact and card of ``version`` (and make it current); all or nothing.

    ``make_card`` receives the artefact's sha256 and returns the card to write. With
    ``make_current=False`` the version is only stored, for a later decision to promote it.
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    final_artefact, final_card = artefact_path(model_dir, version), card_path(model_dir, version)
    if final_artefact.exists() or final_card.exists():
        raise ModelError(f"model version {version} already exists in {model_dir}")
    temps: list[Path] = []
    placed: list[Path] = []
    try:
        tmp_artefact = _temp(model_dir, ".joblib", temps)
        joblib.dump(artefact, tmp_artefact)
        card = make_card(sha256_file(tmp_artefact))
        tmp_card = _temp(model_dir, ".json", temps)
        tmp_card.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
        os.replace(tmp_artefact, final_artefact)
        placed.append(final_artefact)
        os.replace(tmp_card, final_card)
        placed.append(final_card)
        if make_current:
            set_current(model_dir, version)
    except BaseException:
        for path in temps + placed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    return card


def set_current(model_dir: Path, version: str) -> None:
    """Point ``current.json`` at ``version`` (which must exist), remembering the one before."""
    model_dir = Path(model_dir)
    if not card_path(model_dir, version).is_file():
        raise ModelError(f"no model card for version {version} in {model_dir}")
    before = read_current_record(model_dir)
    previous = before.get("version")
    history = [v for v in before.get("history", []) if v != version]
    if previous and previous != version:
        history = [previous, *[v for v in history if v != previous]]
    record = {"version": version, "previous": previous if previous != version else
              before.get("previous"), "history": history[:50],
              "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    temps: list[Path] = []
    try:
        tmp = _temp(model_dir, ".json", temps)
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, model_dir / CURRENT)
    except BaseException:
        for path in temps:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise


def read_current_record(model_dir: Path) -> dict[str, Any]:
    """The content of ``current.json``; ``{}`` when there is none."""
    path = Path(model_dir) / CURRENT
    if not path.exists():
        return {}
    _inside(Path(model_dir), path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is not readable: {exc}") from None
    if not isinstance(record, dict) or "version" not in record:
        raise ModelError(f"{path} does not name a model version")
    return record


def _temp(model_dir: Path, suffix: str, temps: list[Path]) -> Path:
    fd, name = tempfile.mkstemp(dir=model_dir, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    temps.append(Path(name))
    return Path(name)


# --- reading -----------------------------------------------------------------------------------


def locate(model_dir: Path, version: str | os.PathLike[str] | None) -> str:
    """The version to load: the current one, a version string, or a card/artefact path.

    A path must lie inside ``model_dir`` once symlinks are resolved.
    """
    model_dir = Path(model_dir)
    if version is None:
        record = read_current_record(model_dir)
        if not record:
            raise ModelError(f"no trained model in {model_dir}: run `matcher train`")
        return check_version(str(record["version"]))
    text = os.fspath(version)
    if isinstance(version, os.PathLike) or os.sep in text or text.endswith((".json", ".joblib")):
        # a bare file name is one of the directory's own files
        path = Path(text) if isinstance(version, os.PathLike) or os.sep in text \
            else model_dir / text
        path = _inside(model_dir, path)
        match = _FILE.match(path.name)
        if not match:
            raise ModelError(f"{path.name} is not a model file (model-<version>.json/.joblib)")
        return check_version(match["version"])
    return check_version(text)


def read_checked(model_dir: Path, version: str, *, features: list[str],
                 libraries: dict[str, str]) -> tuple[dict[str, Any], Any]:
    """(card, artefact) of ``version``, after every check; :class:`ModelError` otherwise."""
    model_dir = Path(model_dir)
    card_file = _inside(model_dir, card_path(model_dir, version))
    artefact_file = _inside(model_dir, artefact_path(model_dir, version))
    if not card_file.is_file() or not artefact_file.is_file():
        raise ModelError(f"model {version} is incomplete in {model_dir}: "
                         "its card or its artefact is missing")
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the card of model {version} is not readable: {exc}") from None
    if not isinstance(card, dict) or card.get("version") != version \
            or not isinstance(card.get("artefact_sha256"), str):
        raise ModelError(f"the card of model {version} is not a model card of this matcher")
    if card.get("artefact") != artefact_file.name:
        raise ModelError(f"the card of model {version} names another artefact")
    if sha256_file(artefact_file) != card["artefact_sha256"]:
        raise ModelError(f"model {version}: the artefact's sha256 does not match its card; "
                         "it was changed or comes from elsewhere, and is not loaded")
    if card.get("features") != features:
        raise ModelError(f"model {version} was trained on a different feature set: "
                         "retrain with `matcher train`")
    trained_with = (card.get("libraries") or {}).get("scikit-learn")
    if trained_with != libraries["scikit-learn"]:
        raise ModelError(f"model {version} was trained with scikit-learn {trained_with}, this "
                         f"is {libraries['scikit-learn']}: retrain with `matcher train`")
    # Only now, with the bytes vouched for by the card, is the pickle opened.
    artefact = joblib.load(artefact_file)
    if not isinstance(artefact, dict) or artefact.get("format") != ARTEFACT_FORMAT \
            or artefact.get("version") != version or artefact.get("features") != features:
        raise ModelError(f"model {version}: the artefact is not one this matcher wrote")
    return card, artefact


def _inside(model_dir: Path, path: Path) -> Path:
    """``path`` resolved (symlinks followed); refused unless it lies inside ``model_dir``."""
    root = Path(model_dir).resolve()
    resolved = (Path.cwd() / path).resolve() if not path.is_absolute() else path.resolve()
    if not resolved.is_relative_to(root):
        raise ModelError(f"{path} is outside the model directory {root}: not loaded")
    return resolved
