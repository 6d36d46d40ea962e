"""The library's layers (docs/design.md, "Layout"): a package imports only from its own layer
and the ones below it, so that the layout says which way the design's dependencies go."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Lowest first. The shared helpers at the top of matcher/ (settings, clock, logistic, notes,
#: safe_cells) are below all of them; cli.py and demo.py, above all.
LAYERS = ["vocab", "store", "access", "ingest", "synth", "outcomes", "allocation", "matching",
          "pricing", "planning", "review", "simulation"]
HELPERS = ["settings", "clock", "logistic", "notes", "safe_cells"]
IMPORT = re.compile(r"^\s*(?:from|import) matcher\.(\w+)", re.M)


def test_no_package_imports_from_a_layer_above_it():
    rank = {name: i for i, name in enumerate(LAYERS)}
    wrong = []
    for path in sorted((ROOT / "matcher").rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        own = parts[1] if len(parts) > 2 else Path(parts[1]).stem
        for used in IMPORT.findall(path.read_text(encoding="utf-8")):
            if own in HELPERS and (used in rank or used in ("cli", "demo")):
                wrong.append(f"{path.relative_to(ROOT)} (a helper) imports matcher.{used}")
            elif own in rank and used in rank and rank[used] > rank[own]:
                wrong.append(f"{path.relative_to(ROOT)} ({own}) imports matcher.{used}")
    assert wrong == [], "\n".join(wrong)


def test_every_package_has_its_place_in_the_layers():
    packages = {p.name for p in (ROOT / "matcher").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS)
