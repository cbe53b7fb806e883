"""process(): runs cleaners only when needed, writes atomically, records provenance."""

import json
from dataclasses import replace

import pandas as pd
import pytest

from storykit import catalogue


from storykit.ingest import process as process_module
from storykit.ingest.cleaners import Cleaner
from storykit.errors import DataError
from storykit.ingest.process import process
from storykit.ingest.tables import SOURCE, Field, Schema

UP = Schema("up", "Upstream", (Field("n", "integer", minimum=0), SOURCE), primary_key=("n",))
DOWN = Schema("down", "Downstream", (Field("n", "integer"), SOURCE))


@pytest.fixture
def calls(monkeypatch):
    """Two fake cleaners over a real raw file; `down` needs `up`."""
    log = type("Log", (list,), {})()
    values = {"n": [1, 2]}

    def run_up(inputs):
        log.append("up")
        assert inputs.raw("idmc_idps").is_file()
        return {"up": pd.DataFrame(values | {"source": "idmc_idps"})}

    def run_down(inputs):
        log.append("down")
        return {"down": pd.read_parquet(inputs.processed("up"))}

    cleaners = [Cleaner("up", ("idmc_idps",), (UP,), (), run_up), Cleaner("down", ("idmc_idps",), (DOWN,), ("up",), run_down)]
    monkeypatch.setattr(process_module, "all_cleaners", lambda: cleaners)
    log.values = values
    return log


def test_runs_once_then_only_when_something_changed(calls, raw_root, tmp_path, monkeypatch):
    quiet = dict(log=lambda _: None)
    assert process(raw_root, tmp_path, **quiet) == ["up", "down"]
    assert process(raw_root, tmp_path, **quiet) == []
    (tmp_path / "down.parquet").unlink()
    assert process(raw_root, tmp_path, **quiet) == ["down"]
    # a new release of the raw file (a new pinned hash) reruns both, upstream first
    source = catalogue.get("idmc_idps")
    changed = replace(source, files=(replace(source.files[0], sha256="0" * 64),))
    monkeypatch.setattr(catalogue, "get", lambda sid: changed if sid == "idmc_idps" else source)
    monkeypatch.setattr(process_module, "_require_raw", lambda c, root: None)
    assert process(raw_root, tmp_path, **quiet) == ["up", "down"]
    assert calls == ["up", "down", "down", "up", "down"]


def test_datapackage_carries_sources_and_licences(calls, raw_root, tmp_path):
    process(raw_root, tmp_path, log=lambda _: None)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    up = next(r for r in package["resources"] if r["name"] == "up")
    assert up["path"] == "up.parquet"
    assert up["schema"]["primaryKey"] == ["n"]
    source = catalogue.get("idmc_idps")
    assert up["sources"] == [{"id": "idmc_idps", "title": source.title, "path": source.files[0].url,
                              "sha256": source.files[0].sha256, "licence": source.licence}]
    assert up["licenses"][0]["name"] == source.licence


def test_a_failing_cleaner_keeps_the_last_good_table(calls, raw_root, tmp_path):
    process(raw_root, tmp_path, log=lambda _: None)
    before = (tmp_path / "up.parquet").read_bytes()
    calls.values["n"] = [1, -1]
    with pytest.raises(DataError, match="'n'.*below 0.*-1"):
        process(raw_root, tmp_path, force=True, log=lambda _: None)
    assert (tmp_path / "up.parquet").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_missing_raw_files_say_to_fetch(calls, tmp_path):
    with pytest.raises(DataError, match="idmc_idps.*storykit fetch"):
        process(tmp_path / "empty", tmp_path / "out", log=lambda _: None)
