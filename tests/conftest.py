"""Shared fixtures: the real raw files fetched once from the mirror and processed once, and the real
site built once, for the whole test run (its parallel workers share them); the synthetic site built
once per worker.

A test run talks to nothing outside itself: the alert webhook of the environment that started it
(a newsroom's, on a machine whose crontab exports one) is removed before any test runs, and every
process a test starts inherits that. Tests of alerts set their own listener.
"""

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from storykit.ingest.fetch import fetch
from storykit.ingest.process import process
from storykit.site import freeze
from storykit.site.build import build
from .synthetic_site import PAGES as SYNTHETIC_PAGES
from .synthetic_site import PINNED, copy_project, make_project

REPO = Path(__file__).resolve().parents[1]
os.environ.pop("STORYKIT_ALERT_WEBHOOK", None)


def mirror() -> str:
    where = os.environ.get("STORYKIT_MIRROR") or str(REPO.parent / "shared" / "mirror")
    if not where.startswith("http") and not Path(where).is_dir():
        pytest.fail(f"The tests need the raw-file mirror: set STORYKIT_MIRROR (no folder at {where}).")
    return where


def once_per_run(tmp_path_factory, name: str, make) -> Path:
    """A folder made once per test run by make(folder): with `make test`'s parallel workers, by the
    first worker that needs it, while the others wait for it and then read the same folder."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder, made = base / name, base / f"{name}.made"
    with (base / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # let go when the file closes
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            made.touch()
    return folder


@pytest.fixture(scope="session")
def raw_root(tmp_path_factory) -> Path:
    return once_per_run(tmp_path_factory, "raw", lambda root: fetch(root=root, mirror=mirror()))


@pytest.fixture(scope="session")
def processed(raw_root, tmp_path_factory) -> Path:
    """data/processed/ as `storykit process` makes it from the real raw files."""
    return once_per_run(tmp_path_factory, "processed", lambda out: process(raw_root, out, log=lambda _: None))


@pytest.fixture(scope="session")
def synthetic_site(tmp_path_factory) -> Path:
    """The synthetic project (tests/synthetic_site.py), built once; tests that change it work on a copy
    (synthetic_site.copy_project), with storykit's code digest pinned as here."""
    root = make_project(tmp_path_factory.mktemp("synthetic") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYKIT_HOME", str(root))
        mp.setattr(freeze, "code_digest", lambda: PINNED)
        assert build(log=lambda _: None) == SYNTHETIC_PAGES
    return root


@pytest.fixture
def copy(synthetic_site, tmp_path, monkeypatch) -> Path:
    """A copy of the built synthetic project, for a test that changes it."""
    return copy_project(synthetic_site, tmp_path / "project", monkeypatch)


@pytest.fixture(scope="session")
def real_site(processed, tmp_path_factory) -> Path:
    """This repository's own site: its reports.toml and notebooks, built on the real processed tables,
    exactly as `make report` builds them. Read it; never change it."""
    def make(root: Path):
        (root / "data").mkdir(parents=True)
        shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        shutil.copy(REPO / "reports.toml", root)
        shutil.copytree(processed, root / "data" / "processed")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STORYKIT_HOME", str(root))
            build(log=lambda _: None)

    return once_per_run(tmp_path_factory, "real", make)


# The longest files first: `make test`'s workers each take a whole file, so a long one started last
# would leave the others idle at the end.
LONGEST = ("test_reader_view.py", "test_pages_browser.py", "test_promises.py", "test_publish.py", "test_freeze.py",
           "test_figures.py", "test_bad_inputs.py", "test_writing.py", "test_preview.py", "test_notebook_view.py",
           "test_rollback.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST)))
