"""Every notebook runs top to bottom with its default parameters on the real processed data, and
its checked cells (tagged `nbval-check-output`) print the key figures committed with it (nbval)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CHECKED = "nbval-check-output"


@pytest.fixture(scope="module")
def project(processed, tmp_path_factory):
    """A project folder whose data/processed is the one the real raw files make."""
    root = tmp_path_factory.mktemp("project")
    (root / "data").mkdir()
    (root / "data" / "processed").symlink_to(processed, target_is_directory=True)
    return root


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_reproduces_its_key_figures(notebook, project):
    env = os.environ | {"STORYKIT_HOME": str(project)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", str(notebook)],
        cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_with_checked_figures(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in code), "no Papermill parameters cell"
    checked = [c for c in code if CHECKED in c["metadata"].get("tags", [])]
    assert checked and all(c["outputs"] for c in checked), "key figures must be checked by nbval"
    assert not [c for c in code if c["outputs"] and c not in checked], "outputs outside checked cells"
