"""A build makes again only the pages whose notebook, parameters, inputs or storykit's code changed
(storykit.site.freeze), in kernels started once and reused page after page (storykit.site.kernels); and
`storykit process` with nothing to do answers without running a cleaner."""

import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from storykit import data
from storykit.errors import StorykitError
from storykit.ingest.snapshot import processing_is_current, save_processing_snapshot
from storykit.notebook import session
from storykit.site import freeze, kernels, parameters
from storykit.site.build import BuildError, build
from storykit.site.publish import Site

from .synthetic_site import PAGES

QUIET = {"log": lambda _: None}
HEAVY = {"pandas", "numpy", "pyarrow", "plotly", "nbformat", "nbclient", "nbconvert", "jupyter_client", "zmq",
         "IPython", "jinja2", "papermill"}


CODE = freeze.code_digest
def made(**kw) -> tuple[list[str], int]:
    """The pages a build published, and how many kernels it started."""
    before = kernels.started
    published = build(**QUIET, **kw)
    return published, kernels.started - before


def edit_notebook(root: Path, name: str, change) -> None:
    path = root / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def set_site(root: Path, **values) -> None:
    config = (root / "reports.toml").read_text()
    head = "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    (root / "reports.toml").write_text(config.replace("[site]\n", "[site]\n" + head, 1))


def without_build_time(html: str) -> str:
    return re.sub(r"\d+ \w+ \d{4}, \d\d:\d\d UTC", "(built)", html)


# --- nothing changed ------------------------------------------------------------------------------


def test_with_nothing_changed_nothing_is_made_no_kernel_starts_and_nothing_is_published(copy):
    version = Site(copy).current()
    assert made() == ([], 0)
    assert Site(copy).current() == version


def test_the_command_with_nothing_to_do_imports_neither_pandas_nor_jupyter(copy, monkeypatch):
    monkeypatch.setattr(freeze, "code_digest", CODE)
    build(**QUIET)  # with storykit's code as the command will find it
    env = os.environ | {"STORYKIT_HOME": str(copy)}
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "storykit", "build"], cwd=copy, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "no page needed making again; reports/ is up to date" in run.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert "storykit" in imported and not imported & HEAVY


def test_the_same_bytes_again_and_a_new_date_in_datapackage_json_make_nothing(copy):
    people = copy / "data" / "processed" / "people.csv"
    people.write_bytes(people.read_bytes())  # rewritten as it was: a new time, the same content
    package = copy / "data" / "processed" / "datapackage.json"
    package.write_text(json.dumps(json.loads(package.read_text()) | {"created": "2030-01-01T00:00:00+00:00"}))
    assert made() == ([], 0)


# --- something changed ----------------------------------------------------------------------------


def test_a_changed_input_makes_only_the_pages_that_read_it(copy):
    processed = copy / "data" / "processed"
    people = pd.read_csv(processed / "people.csv")
    people.loc[0, "people"] += 1
    people.to_csv(processed / "people.csv", index=False)
    assert made()[0] == ["places.html", "profiles/northland.html", "profiles/southland.html"]
    toll = pd.read_csv(processed / "toll.csv")
    toll.loc[0, "deaths"] += 1
    toll.to_csv(processed / "toll.csv", index=False)
    assert made()[0] == ["toll.html"]
    # The map's shapes, read by the charts rather than by the notebook, count too.
    layer = json.loads((processed / "provinces.geojson").read_text())
    layer["features"][0]["properties"]["name_en"] = "North Land"
    (processed / "provinces.geojson").write_text(json.dumps(layer))
    assert made()[0] == ["places.html"]
    assert made() == ([], 0)


def test_a_changed_notebook_or_parameter_makes_its_pages(copy):
    edit_notebook(copy, "profile.ipynb", lambda nb: nb.cells.append(new_markdown_cell("More to come.")))
    assert made()[0] == ["profiles/northland.html", "profiles/southland.html"]
    config = (copy / "reports.toml").read_text()
    (copy / "reports.toml").write_text(config.replace("first_year = 2012", "first_year = 2013"))
    assert made()[0] == ["toll.html"]
    assert "Between 2013 and 2020" in (copy / "reports" / "toll.html").read_text()
    # Outputs saved in a notebook (a reporter ran it in JupyterLab) are not what the page is made from.
    edit_notebook(copy, "toll.ipynb", lambda nb: nb.cells[1].outputs.append(
        nbformat.v4.new_output("stream", name="stdout", text="run by hand\n")))
    assert made() == ([], 0)


def test_a_parameter_published_once_is_undone_by_the_next_plain_build(copy):
    assert build(["toll"], params={"first_year": "2015"}, publish_trials=True, **QUIET) == ["toll.html"]
    assert made()[0] == ["toll.html"]
    assert "Between 2012 and 2020" in (copy / "reports" / "toll.html").read_text()


def test_a_change_to_storykits_code_makes_every_page(copy, monkeypatch):
    monkeypatch.setattr(freeze, "code_digest", lambda: "a new version of storykit")
    assert made()[0] == PAGES


def test_storykits_code_is_its_package_and_the_libraries_that_shape_a_page(tmp_path, monkeypatch):
    from storykit import catalogue

    package = tmp_path / "storykit"
    for name in ("site/pages.py", "site/templates/page.html.j2", "catalogue.toml", "ingest/cleaners/unhcr.py",
                 "ingest/fetch.py", "stories/conflict.py", "charts.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("one")
    monkeypatch.setattr(freeze, "PACKAGE", package)
    monkeypatch.setattr(freeze, "DATA_STAGE", package / "ingest")
    monkeypatch.setattr(catalogue, "PATH", package / "catalogue.toml")
    first = CODE()
    (package / "ingest" / "cleaners" / "unhcr.py").write_text("two")  # reaches pages through processed files only
    (package / "ingest" / "fetch.py").write_text("two")
    (package / "catalogue.toml").write_text("two")  # reaches pages through the entries they cite
    assert CODE() == first
    for name in ("site/pages.py", "site/templates/page.html.j2", "stories/conflict.py", "charts.py"):
        before = CODE()
        (package / name).write_text("two")
        assert CODE() != before, name
    second = CODE()
    monkeypatch.setattr(freeze, "LIBRARIES", freeze.LIBRARIES + ("pytest",))
    assert CODE() != second


def test_force_makes_every_page_named(copy):
    assert made(force=True)[0] == PAGES
    assert made(reports=["toll"], force=True)[0] == ["toll.html"]


def test_a_page_whose_update_failed_is_made_again(copy):
    path = copy / "notebooks" / "toll.ipynb"
    good = path.read_text()
    edit_notebook(copy, "toll.ipynb", lambda nb: nb.cells.append(new_code_cell("raise ValueError('not yet')")))
    with pytest.raises(BuildError, match="1 of 4 page"):
        build(**QUIET)
    path.write_text(good)  # the notebook it was last made from, but the page online has a notice
    assert made()[0] == ["toll.html"]
    assert "The last update failed" not in (copy / "reports" / "toll.html").read_text()


# --- kernels reused, safely -------------------------------------------------------------------------


LEAK_CHECK = """
leaked = [name for name in ("shown", "people", "mine", "code", "top") if name in globals()]
assert not leaked, f"variables of an earlier page: {leaked}"
"""


def test_pages_share_a_kernel_each_in_a_fresh_namespace_and_come_out_the_same(copy):
    set_site(copy, workers=1)
    for name in ("toll.ipynb", "places.ipynb", "profile.ipynb"):
        edit_notebook(copy, name, lambda nb: nb.cells.insert(1, new_code_cell(LEAK_CHECK)))
    assert made(force=True) == (PAGES, 1)  # four pages, one after another in one kernel
    shared = {p: (copy / "reports" / p).read_text() for p in PAGES}
    set_site(copy, reuse_kernels=False)
    assert made(force=True) == (PAGES, 4)  # a new kernel for each page
    for page in PAGES:  # chart ids and all: a page does not depend on what ran before it
        assert without_build_time((copy / "reports" / page).read_text()) == without_build_time(shared[page])


def test_a_page_that_fails_ends_its_kernel(copy):
    set_site(copy, workers=1)
    edit_notebook(copy, "toll.ipynb", lambda nb: nb.cells.append(new_code_cell("import sys\nsys.modules['pandas'] = None")))
    edit_notebook(copy, "toll.ipynb", lambda nb: nb.cells.append(new_code_cell("raise ValueError('broken')")))
    before = kernels.started
    with pytest.raises(BuildError, match="toll.*stopped with ValueError: broken"):
        build(force=True, **QUIET)
    assert kernels.started - before == 2  # the pages after it ran in a new kernel, with pandas importable


# --- the parts --------------------------------------------------------------------------------------


def test_parameters_are_injected_after_the_parameters_cell_as_papermill_does():
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("year = 2016"), new_code_cell("print(year)")])
    nb.cells[1].metadata["tags"] = ["parameters"]
    values = {"year": 2017, "name": "Dar'a \"south\"", "share": 0.5, "none": None, "flag": True, "nan": float("nan"),
              "places": ["SY01", 2], "weights": {"a": 1.5}, "day": datetime.date(2016, 12, 30)}
    parameters.inject(nb, {"year": 1})
    parameters.inject(nb, values)  # replaces the cell an earlier run injected
    assert [c.metadata.get("tags", []) for c in nb.cells] == [[], ["parameters"], ["injected-parameters"], []]
    namespace = {}
    exec(nb.cells[2].source, namespace)
    namespace.pop("__builtins__")
    assert math.isnan(namespace.pop("nan"))
    assert namespace == {k: v for k, v in values.items() if k != "nan"} | {"day": "2016-12-30"}
    assert parameters.inject(nb, {}) is nb


def test_a_misspelt_table_is_told_apart_from_one_still_to_be_made(tmp_path, monkeypatch):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "conflict_events", "sources": []}, {"name": "refugees", "sources": []}]}))
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    with pytest.raises(StorykitError, match=r"^There is no table called 'conflict_event'\. Did you mean "
                                            r"'conflict_events'\? The tables are: conflict_events, refugees\.$"):
        data.table("conflict_event")
    with pytest.raises(StorykitError, match=r"The processed table 'refugees' is missing \(refugees\.parquet in .*"
                                            r"Run `make report`"):
        data.table("refugees")  # described, but not made yet


def test_storykit_data_records_what_it_serves_even_from_its_cache(tmp_path, monkeypatch):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    pd.DataFrame({"n": [1, 2]}).to_parquet(processed / "counts.parquet")
    (processed / "datapackage.json").write_text(json.dumps({"created": "today", "resources": [
        {"name": "counts", "sources": [{"id": "idmc_idps"}]}, {"name": "other", "sources": []}]}))
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    data.table("counts")  # read before the page: in its cache
    session.begin_page(str(tmp_path))
    try:
        assert data.table("counts").n.sum() == 3 and data.sources("counts") == ("idmc_idps",)
    finally:
        reads = json.loads(session.end_page())
    assert sorted(reads) == ["file:data/processed/counts.parquet", "resource:counts"]
    digests = freeze.Digests(tmp_path)
    recorded = digests.recorded(reads)
    # Another table's entry in datapackage.json, or the file's date, may change; this entry may not.
    (processed / "datapackage.json").write_text(json.dumps({"created": "later", "resources": [
        {"name": "counts", "sources": [{"id": "idmc_idps"}]}, {"name": "other", "sources": [{"id": "x"}]}]}))
    assert all(freeze.Digests(tmp_path)(name) == digest for name, digest in recorded.items())
    # A file changed after the page read it, before the build recorded it: the page is made again next time.
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(processed / "counts.parquet")
    assert freeze.Digests(tmp_path).recorded(reads)["file:data/processed/counts.parquet"] == freeze.CHANGED


def test_processing_is_current_until_anything_it_reads_or_writes_changes(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    (raw / "source").mkdir(parents=True)
    out.mkdir()
    (raw / "source" / "file.csv").write_text("a,b\n1,2\n")
    (out / "table.parquet").write_bytes(b"x")
    assert not processing_is_current(raw, out)  # never run
    save_processing_snapshot(raw, out)
    assert processing_is_current(raw, out)
    (raw / "source" / "file.csv").write_text("a,b\n1,3\n")
    assert not processing_is_current(raw, out)
    save_processing_snapshot(raw, out)
    (out / "table.parquet").unlink()
    assert not processing_is_current(raw, out)
    assert not processing_is_current(raw, tmp_path / "elsewhere")


def test_processing_with_nothing_to_do_runs_no_cleaner(raw_root, processed, tmp_path):
    """`storykit process` twice on a project: the second run imports no cleaner (nor pandas)."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(raw_root, target_is_directory=True)
    shutil.copytree(processed, root / "data" / "processed")
    env = os.environ | {"STORYKIT_HOME": str(root)}
    env.pop("STORYKIT_ALERT_WEBHOOK", None)
    first = subprocess.run([sys.executable, "-m", "storykit", "process"], cwd=root, env=env, capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "storykit", "process"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "everything was up to date" in again.stdout
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert "storykit.ingest.snapshot" in imported and "storykit.ingest.cleaners" not in imported
    assert not {name.split(".")[0] for name in imported} & HEAVY
