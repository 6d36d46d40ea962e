"""The notebooks run on the demo world: the jupytext .py (the source of truth) is turned into
a notebook and executed cell by cell in a real kernel, as a person would run it."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

from matcher.settings import get_settings

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["match_quality_review.py", "provider_review.py"])
def test_notebook_runs_on_the_demo_world(demo_sqlite, name, monkeypatch, tmp_path):
    # The kernel is a child process: it reads these like `matcher` does.
    monkeypatch.setenv("DATABASE_URL", demo_sqlite.url)
    monkeypatch.setenv("MATCHER_MODEL_DIR", str(demo_sqlite.model_dir))
    # The kernel's own inline backend draws the figures into the cells' outputs.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    get_settings.cache_clear()
    notebook = jupytext.read(NOTEBOOKS / name)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code"
               for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the plots were not drawn"
    assert os.environ["DATABASE_URL"] == demo_sqlite.url


def test_notebooks_are_jupytext_percent_scripts():
    for path in NOTEBOOKS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "format_name: percent" in text and "# %%" in text, path.name
