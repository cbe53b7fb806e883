"""Shared fixtures: the real raw files fetched once from the mirror, and processed once."""

import os
from pathlib import Path

import pytest

from storykit.ingest.fetch import fetch
from storykit.ingest.process import process

REPO = Path(__file__).resolve().parents[1]


def mirror() -> str:
    where = os.environ.get("STORYKIT_MIRROR") or str(REPO.parent / "shared" / "mirror")
    if not where.startswith("http") and not Path(where).is_dir():
        pytest.fail(f"The tests need the raw-file mirror: set STORYKIT_MIRROR (no folder at {where}).")
    return where


@pytest.fixture(scope="session")
def raw_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("raw")
    fetch(root=root, mirror=mirror())
    return root


@pytest.fixture(scope="session")
def processed(raw_root, tmp_path_factory) -> Path:
    """data/processed/ as `storykit process` makes it from the real raw files."""
    out = tmp_path_factory.mktemp("processed")
    process(raw_root, out, log=lambda _: None)
    return out
