"""Trying pages before they are published: trials, the preview, `storykit check`, and a change of prose
made into a page again without a kernel.

The synthetic project's toll notebook (tests/synthetic_site.py) publishes last_year = 2020 by
default; a trial sets it to 2019, so the page's summary names the other year.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from storykit.errors import StorykitError
from storykit.site import kernels
from storykit.site.build import PRIVATE, build
from storykit.site.preview import check
from tests.browser import browser, needs_chromium  # noqa: F401 (a fixture)
from tests.synthetic_site import snapshot

QUIET = dict(log=lambda _: None)
TRIED = "and 2019, the made-up war"  # the toll's summary, with the trial's last_year


def add_sentence(root: Path, sentence: str, notebook: str = "toll.ipynb") -> None:
    """A sentence at the end of the notebook's first Markdown cell, saved as JupyterLab saves."""
    path = root / "notebooks" / notebook
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    source = "".join(cell["source"])
    cell["source"] = source.rstrip("\n") + f" {sentence}\n"
    temp = path.with_name(f".~{path.name}")
    temp.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    os.replace(temp, path)


def test_a_value_reports_toml_does_not_publish_is_a_private_trial(copy):
    before = snapshot(copy)
    lines = []
    built = build(["toll"], params={"last_year": "2019"}, log=lines.append)
    assert snapshot(copy) == before  # reports/ byte for byte as it was
    assert built.private == copy / PRIVATE / "site"
    trial = (copy / PRIVATE / "site" / "toll.html").read_text(encoding="utf-8")
    assert TRIED in trial and TRIED not in (copy / "reports" / "toll.html").read_text(encoding="utf-8")
    assert any(line.startswith("Not published: last_year = 2019") and "--publish" in line for line in lines)


def test_a_failed_trial_puts_no_notice_online(copy):
    before = snapshot(copy)
    with pytest.raises(StorykitError, match="nothing is published by a trial"):  # no year to show: the notebook stops
        build(["toll"], params={"last_year": "1990"}, **QUIET)
    assert snapshot(copy) == before


def test_publish_flag_publishes_a_trial_value(copy):
    assert build(["toll"], params={"last_year": "2019"}, publish_trials=True, **QUIET) == ["toll.html"]
    assert TRIED in (copy / "reports" / "toll.html").read_text(encoding="utf-8")


def test_a_fan_out_page_by_its_key_is_published_as_usual(copy):
    built = build(["profile"], params={"place": "SY01"}, force=True, **QUIET)
    assert built.private is None and built == ["profiles/northland.html"]


def test_a_change_of_prose_alone_needs_no_kernel(copy):
    started = kernels.started
    lines = []
    old = (copy / "reports" / "toll.html").read_text(encoding="utf-8")
    add_sentence(copy, "A sentence the reporter added.")
    assert build(["toll"], log=lines.append) == ["toll.html"]
    assert kernels.started == started, "a kernel was started for a change of prose"
    assert any("only its prose changed" in line for line in lines)
    page = (copy / "reports" / "toll.html").read_text(encoding="utf-8")
    assert "A sentence the reporter added." in page and "A sentence the reporter added." not in old
    # The page made without a kernel is complete: its charts and its traced figures are all there.
    for part in ('class="sk-chart"', 'class="fact"'):
        assert page.count(part) == old.count(part) > 0
    # A second change of prose reuses the notebook the first one wrote.
    add_sentence(copy, "And one more.")
    assert build(["toll"], **QUIET) == ["toll.html"] and kernels.started == started


def test_a_change_to_a_code_cell_runs_the_notebook(copy):
    started = kernels.started
    path = copy / "notebooks" / "toll.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "print(" in "".join(c["source"]))
    code["source"] = "".join(code["source"]) + "\n# a comment changes the code\n"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    assert build(["toll"], **QUIET) == ["toll.html"]
    assert kernels.started > started


def test_an_executed_notebook_changed_since_is_not_trusted(copy):
    started = kernels.started
    executed = copy / "build" / "executed" / "toll.ipynb"
    executed.write_text(executed.read_text(encoding="utf-8").replace("The toll", "A forged toll"), encoding="utf-8")
    add_sentence(copy, "A sentence the reporter added.")
    build(["toll"], **QUIET)
    assert kernels.started > started
    assert "A forged toll" not in (copy / "reports" / "toll.html").read_text(encoding="utf-8")


def test_check_runs_every_page_check_and_publishes_nothing(copy):
    before = snapshot(copy)
    assert check("notebooks/toll.ipynb", **QUIET) == ["toll.html"]
    assert snapshot(copy) == before
    with pytest.raises(StorykitError, match="not in reports.toml"):
        (copy / "notebooks" / "loose.ipynb").write_text("{}", encoding="utf-8")
        check(str(copy / "notebooks" / "loose.ipynb"), **QUIET)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def preview(copy, tmp_path):
    """`storykit preview toll -p last_year 2019` running on a free port of 127.0.0.1, as a reporter starts it."""
    port, log = _free_port(), tmp_path / "preview.log"
    env = os.environ | {"STORYKIT_HOME": str(copy)}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "storykit", "preview", "toll", "-p", "last_year", "2019",
                                 "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=copy)
    try:
        _wait_for(lambda: "http://127.0.0.1:" in log.read_text() or proc.poll() is not None, 180, "the preview")
        assert proc.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}", proc, log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@needs_chromium
def test_preview_serves_a_trial_and_reloads_on_save(preview, copy, browser):  # noqa: F811
    url, proc, log = preview
    before = snapshot(copy)
    html = urlopen(f"{url}/toll.html").read().decode()
    assert TRIED in html and "/_storykit/live.js" in html
    page = browser.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(url) or r.url.startswith("data:") else outside.append(r.url))
    page.goto(f"{url}/toll.html")
    page.wait_for_selector("[role=status]")
    saved = time.monotonic()
    add_sentence(copy, "Written while the preview ran.")
    page.wait_for_function("document.body.innerText.includes('Written while the preview ran.')", timeout=20_000)
    took = time.monotonic() - saved
    assert TRIED in page.inner_text("body")
    assert not outside, outside
    assert snapshot(copy) == before  # nothing published, no notice
    assert not (copy / "build" / "last-build.json").exists() or "Written" not in (
        copy / "build" / "last-build.json").read_text()
    print(f"saved to refreshed page: {took:.1f} s")
    # On this machine only: its other addresses do not answer.
    for address in {i[4][0] for i in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}:
        if not address.startswith("127."):
            with pytest.raises(OSError):
                urlopen(url.replace("127.0.0.1", address), timeout=2)
    # A change that fails is told in the page, which keeps its last good version.
    path = copy / "notebooks" / "toll.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": "raise ValueError('a mistake while writing')"})
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    page.wait_for_function("document.querySelector('[role=status]').innerText.includes('a mistake while writing')",
                           timeout=60_000)
    assert "Written while the preview ran." in page.inner_text("main")
    page.close()
