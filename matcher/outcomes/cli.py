"""`matcher train` (retrain, compare, promote if not worse) and `matcher model list|restore`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

#: Exit status of `matcher train` when a candidate was trained and kept, but not promoted.
NOT_PROMOTED = 3

model_app = typer.Typer(help="Model versions: list them, restore one.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def train_command(
    as_json: bool = False,
    tolerance_auc: float | None = None,
    tolerance_brier: float | None = None,
    force: bool = False,
) -> None:
    """Fit a candidate on every placement with an outcome; make it current only if it is
    not worse than the current model on the same held-out placements."""
    from matcher.outcomes import ModelError, NoHistory
    from matcher.outcomes.retrain import TOLERANCE_AUC, TOLERANCE_BRIER, retrain
    from matcher.settings import get_settings
    from matcher.store.db import make_engine

    engine = make_engine()
    try:
        result = retrain(engine, model_dir=get_settings().model_dir, progress=not as_json,
                         tolerance_auc=TOLERANCE_AUC if tolerance_auc is None else tolerance_auc,
                         tolerance_brier=TOLERANCE_BRIER if tolerance_brier is None
                         else tolerance_brier, force=force)
    except NoHistory as exc:
        _fail(str(exc))
    except ModelError as exc:
        _fail(f"the current model cannot be used: {exc}; restore another version "
              "(`matcher model restore VERSION`)")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        card, c = result.candidate, result.comparison
        typer.echo(f"candidate {card['version']}: {card['rows']} placements of "
              f"{card['n_clients']} clients")
        typer.echo(f"held out: {c['held_out_placements']} placements of {c['held_out_clients']} "
              "clients")
        for who in ("candidate", "current"):
            s = c[who]
            label = who if who == "candidate" else f"current ({s['version']})"
            typer.echo(f"  {label}: ROC AUC {s['roc_auc']:.4f}, Brier {s['brier']:.4f}")
        typer.echo(result.reason)
        typer.echo(f"current model: {result.current_after}")
    if not result.promoted:
        raise typer.Exit(NOT_PROMOTED)


@model_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every stored version with its figures; the current one marked with *."""
    from matcher.outcomes.retrain import list_versions
    from matcher.settings import get_settings

    versions = list_versions(get_settings().model_dir)
    if as_json:
        typer.echo(json.dumps(versions, ensure_ascii=False, indent=2))
        return
    if not versions:
        typer.echo("no trained model: the transparent prior is used")
        return
    for v in versions:
        held = v["held_out"] or {}
        held_text = (f"held-out AUC {held['roc_auc']:.4f} Brier {held['brier']:.4f}"
                     if held else "held-out –")
        state = {True: "promoted", False: "not promoted", None: "trained"}[v["promoted"]]
        typer.echo(f"{'*' if v['current'] else ' '} {v['version']}  {v['trained_at']}  "
              f"{v['rows']} rows  CV AUC {v['cv_roc_auc']}  Brier {v['cv_brier']}  "
              f"{held_text}  {state}")


@model_app.command("restore")
def restore_command(
    version: Annotated[str | None, typer.Argument(
        help="The version to make current (default: the previous one).")] = None,
) -> None:
    """Make the previous (or the named) version current again, after checking its sha256."""
    from matcher.outcomes import ModelError
    from matcher.outcomes.retrain import restore
    from matcher.settings import get_settings

    try:
        done = restore(get_settings().model_dir, version)
    except ModelError as exc:
        _fail(f"not restored: {exc}")
    typer.echo(f"current model: {done['version']} (was {done['previous']})")
