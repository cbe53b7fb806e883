"""Faults injected into a built site: builds killed with SIGKILL, two builds at once, kernels that die
or hang, a bad parameter, a webhook that fails. What is online stays whole: the last good site, or
the new one, never a mix."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from storykit import catalogue
from storykit.atomic import locked, write_text
from storykit.site.build import BuildError, build
from storykit.site.checks import check_version
from storykit.site.publish import Site

from .synthetic_site import PAGES, make_project, snapshot

REPO = Path(__file__).resolve().parents[1]
QUIET = {"log": lambda _: None}


def whole(root: Path) -> None:
    """The published site passes the check a new version must pass, and is a version of the store."""
    current = Site(root).current()
    assert current is not None and current.parent == (root / ".site").resolve()
    manifest = Site(root).manifest()
    assert sorted(manifest) == sorted(PAGES)
    assert check_version(current, list(manifest)) == []
    assert not list(root.glob(".reports-*"))


def kernels_of(root: Path) -> list[int]:
    """Live processes started with this project's STORYKIT_HOME (kernels inherit it from the build)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"STORYKIT_HOME={root}".encode() in (proc / "environ").read_bytes().split(b"\0") \
                    and (proc / "stat").read_text().split(")")[-1].split()[0] != "Z":
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def no_kernels_left(root: Path) -> list[int]:
    # A kernel whose build was killed notices within a second that its parent is gone (ipykernel's
    # parent poller) and exits: wait for that, within a bound.
    deadline = time.monotonic() + 30
    while (left := kernels_of(root)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def start_build(root: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"STORYKIT_HOME": str(root), "PYTHONUNBUFFERED": "1"}
    env.pop("STORYKIT_ALERT_WEBHOOK", None)
    return subprocess.Popen([sys.executable, "-m", "storykit", "build", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def read_until(proc: subprocess.Popen, text: str) -> list[str]:
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"the build ended without saying {text!r}:\n{''.join(lines)}")


def add_cell(root: Path, notebook: str, source: str) -> None:
    path = root / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell(textwrap.dedent(source)))
    nbformat.write(nb, path)


def set_site(root: Path, **values) -> None:
    config = (root / "reports.toml").read_text()
    head = "".join(f"{k} = {v}\n" for k, v in values.items())
    (root / "reports.toml").write_text(config.replace("[site]\n", "[site]\n" + head, 1))


# --- kill -9 -------------------------------------------------------------------------------------


def test_a_build_killed_while_it_runs_notebooks_leaves_the_site_as_it_was(copy):
    before = snapshot(copy)
    proc = start_build(copy, "--force")
    read_until(proc, "building places.html")  # toll.html is made, places.html is running in a kernel
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(copy) == before
    whole(copy)
    assert no_kernels_left(copy) == []
    # The next build clears what the killed one left and publishes; two versions stay.
    assert build(["toll"], force=True, **QUIET) == ["toll.html"]
    whole(copy)
    assert len([p for p in (copy / ".site").iterdir() if p.is_dir()]) == 2


def test_a_build_killed_while_it_publishes_leaves_the_old_site_or_the_new_one(copy):
    before = snapshot(copy)
    proc = start_build(copy, "--force", "toll", "places")
    read_until(proc, "checking the new site and publishing it")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = snapshot(copy)
    assert set(after) == set(before)
    whole(copy)
    if after != before:  # the new site: both rebuilt pages are new, the others as they were
        assert after["toll.html"] != before["toll.html"] and after["places.html"] != before["places.html"]
        assert all(after[p] == before[p] for p in ("profiles/northland.html", "profiles/southland.html"))


KILLED_PUBLISHER = """
import sys, time
from pathlib import Path
from storykit.atomic import locked
from storykit.site.publish import Site
from storykit.atomic import write_text

root = Path(sys.argv[1])
site = Site(root)
with locked(root / "build" / "build.lock", 0):
    site.recover(log=lambda _: None)
    print("ready", flush=True)
    while True:
        name = str(time.time_ns())
        version = site.begin(name, keep=set())
        for i in range(30):
            write_text(f"<!doctype html><main>{name}</main></html>\\n", version / f"p{i}.html")
        write_text("<!doctype html><main></main></html>\\n", version / "index.html")
        site.commit(version, {f"p{i}.html": {} for i in range(30)})
"""


def test_killed_at_random_moments_the_site_is_always_one_whole_version(tmp_path):
    """A publisher that does nothing but make and publish versions, killed at random moments: after
    each kill `reports` is one complete version; never a mix, never missing, never a temporary file."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / ".gitkeep").touch()  # the first run replaces the folder from git
    script = tmp_path / "publisher.py"
    script.write_text(KILLED_PUBLISHER)
    rng, seen, unfinished = random.Random(4), set(), 0
    for _ in range(25):
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
        assert proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.4))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        unfinished += any(not (tmp_path / ".site" / f"{v.name}.json").exists()
                          for v in (tmp_path / ".site").iterdir() if v.is_dir()) if (tmp_path / ".site").is_dir() else 0
        link = tmp_path / "reports"
        if not link.is_symlink():  # killed before its first publication: the folder from git is intact
            assert sorted(p.name for p in link.iterdir()) == [".gitkeep"] and not seen
            continue
        current = link.resolve()
        names = {(current / f"p{i}.html").read_text() for i in range(30)}
        assert names == {f"<!doctype html><main>{current.name}</main></html>\n"}
        assert sorted(p.name for p in current.iterdir()) == sorted([f"p{i}.html" for i in range(30)] + ["index.html"])
        seen.add(current.name)
    # The kills landed while versions were being made and published, not only before.
    assert len(seen) > 10 and unfinished > 0


def test_recovery_finishes_what_a_killed_build_left(tmp_path):
    site = Site(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "old.html").write_text("<!doctype html><main>old</main></html>\n")
    first = site.begin("1", keep={"old.html"})
    site.commit(first, {"old.html": {}})
    assert (tmp_path / "reports").is_symlink() and (tmp_path / "reports" / "old.html").read_text().endswith("</html>\n")
    # A new version shares the files of the current one until it replaces them, and the live one stays.
    second = site.begin("2")
    assert (second / "old.html").stat().st_ino == (first / "old.html").stat().st_ino
    write_text("<!doctype html><main>new</main></html>\n", second / "old.html")
    assert "old" in (tmp_path / "reports" / "old.html").read_text()
    site.commit(second, {"old.html": {}})
    assert "new" in (tmp_path / "reports" / "old.html").read_text()
    # Killed between the two renames of the fallback for a plain folder, and with leftovers.
    (tmp_path / "reports").unlink()
    os.symlink(".site/2", tmp_path / ".reports-2")
    (tmp_path / ".site" / "3").mkdir()  # never committed
    site.recover(log=lambda _: None)
    assert (tmp_path / "reports").resolve() == (tmp_path / ".site" / "2").resolve()
    assert sorted(p.name for p in (tmp_path / ".site").iterdir()) == ["1", "1.json", "2", "2.json"]
    assert not list(tmp_path.glob(".reports-*"))
    third = site.begin("4")
    site.commit(third, {"old.html": {}})  # the one before stays, older ones go
    assert sorted(p.name for p in (tmp_path / ".site").iterdir()) == ["2", "2.json", "4", "4.json"]


def test_the_first_build_replaces_the_folder_from_git(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    (root / "reports" / ".gitkeep").touch()
    monkeypatch.setenv("STORYKIT_HOME", str(root))
    assert build(["toll"], **QUIET) == ["toll.html"]
    assert (root / "reports").is_symlink()
    travel = ("assets/pictures/", "assets/embed/", "assets/data/", "assets/share/")  # tests/test_build.py counts them
    assert [f for f in sorted(snapshot(root)) if not f.startswith(travel)] == [
        "ar/changes.html", "ar/feed.xml", "ar/index.html", "assets/charts.js", "assets/plotly-storykit.min.js", "assets/style.css", "changes.html", "changes.json",
        "feed.xml", "index.html", "toll.html"]  # with the site's log of changes (storykit.site.changes)
    assert not list(root.glob(".reports-*"))


# --- two builds at once ----------------------------------------------------------------------------


def test_two_builds_at_once_take_turns(copy):
    first = start_build(copy, "--force", "toll", "profile")
    read_until(first, "building toll.html")
    second = start_build(copy, "--force", "toll", "places")
    first_out, _ = first.communicate()
    second_out, _ = second.communicate()
    assert first.returncode == 0 and second.returncode == 0, first_out + second_out
    assert "waiting for the build already running (pid " in second_out
    whole(copy)


def test_a_build_that_may_not_wait_stops_with_a_clear_message(copy, capsys):
    from storykit import cli

    before = snapshot(copy)
    with locked(copy / "build" / "build.lock", 0):
        assert cli.main(["build", "--force", "--wait", "0"]) == 1
    err = capsys.readouterr().err
    assert f"Another build is running (pid {os.getpid()} on " in err and "Nothing was changed" in err
    assert snapshot(copy) == before


# --- kernels that die or hang ------------------------------------------------------------------------


def test_a_kernel_that_dies_fails_its_report_and_leaves_no_process(copy):
    add_cell(copy, "toll.ipynb", "import os\nos._exit(3)")
    places = (copy / "reports" / "places.html").stat().st_ino
    with pytest.raises(BuildError) as failed:
        build(["toll", "places"], force=True, **QUIET)
    assert ("toll: notebooks/toll.ipynb, cell 6 (“import os”): the kernel died while running this cell"
            in str(failed.value))
    assert no_kernels_left(copy) == []
    assert "The last update failed on" in (copy / "reports" / "toll.html").read_text()
    assert (copy / "reports" / "places.html").stat().st_ino != places  # made again (a new file) and published
    whole(copy)


def test_a_notebook_over_its_time_is_stopped_with_everything_it_started(copy):
    set_site(copy, notebook_timeout=8)
    # A child process in the kernel's group, and a cell that would run for ten minutes.
    add_cell(copy, "toll.ipynb", "import subprocess\nchild = subprocess.Popen(['sleep', '600'])")
    add_cell(copy, "toll.ipynb", "import time\ntime.sleep(600)")
    with pytest.raises(BuildError) as failed:
        build(["toll"], **QUIET)
    assert ("toll: notebooks/toll.ipynb: the notebook ran longer than the 8 s it may take (notebook_timeout in "
            "reports.toml) and was stopped in cell 7 (“import time”)") in str(failed.value)
    assert no_kernels_left(copy) == []
    whole(copy)


def test_a_kernel_that_cannot_start_fails_the_pages_not_the_build(copy):
    config = (copy / "reports.toml").read_text().replace('kernel = "python3"', 'kernel = "no-such-kernel"')
    (copy / "reports.toml").write_text(config)
    with pytest.raises(BuildError) as failed:
        build(["toll", "places"], **QUIET)
    assert "2 of 2 page(s) were not published" in str(failed.value)
    assert "toll: notebooks/toll.ipynb could not be run (NoSuchKernel: " in str(failed.value)
    whole(copy)


# --- reporters' terms, notices, staleness, alerts ----------------------------------------------------


def test_a_failed_page_keeps_its_last_version_with_an_escaped_notice_until_it_succeeds(copy):
    path = copy / "notebooks" / "toll.ipynb"
    good = path.read_text()
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("as_of=str(last_year)",
                                                    'as_of=f"<script>alert(\'x\')</script> {last_year}"')
    nbformat.write(nb, path)
    build(["toll"], **QUIET)
    add_cell(copy, "toll.ipynb", "raise ValueError('the toll table has no year column')")
    with pytest.raises(BuildError, match="cell 6 .* stopped with ValueError: the toll table has no year column"):
        build(["toll"], **QUIET)
    for page in ("toll.html", "index.html"):
        html = (copy / "reports" / page).read_text()
        assert "Data as of &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 2020. The last update failed on " in html
        assert "<script>alert" not in html
    path.write_text(good)
    build(["toll"], **QUIET)
    for page in ("toll.html", "index.html"):
        assert "The last update failed" not in (copy / "reports" / page).read_text()


def test_stale_sources_are_named_in_the_summary_and_on_the_index(copy):
    pd.DataFrame({"year": [2000], "source": ["ucdp_country_year"]}).to_parquet(
        copy / "data" / "processed" / "old.parquet")
    said = []
    assert build(["toll"], log=said.append) == []  # toll.html is current; the index is made again to say so
    assert any(line.startswith("stale: ucdp_country_year: the latest figures cover 31 December 2000") for line in said)
    index = (copy / "reports" / "index.html").read_text()
    publisher = catalogue.get("ucdp_country_year").publisher
    assert f"Newer figures may be out from {publisher} (the ones here run to 31 December 2000)." in index


class Webhook(BaseHTTPRequestHandler):
    status = 200
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    Webhook.received, Webhook.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("STORYKIT_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hooks/secret-token")
    yield Webhook
    server.shutdown()


def test_a_failure_is_posted_to_the_webhook(copy, webhook):
    add_cell(copy, "places.ipynb", "raise KeyError('pcode')")
    with pytest.raises(BuildError, match=r"places: notebooks/places.ipynb, cell 4 .* stopped with KeyError"):
        build(["places"], **QUIET)
    [(kind, body)] = webhook.received
    assert kind == "application/json" and list(body) == ["text"]
    assert "storykit build failed on " in body["text"] and "places: notebooks/places.ipynb, cell 4" in body["text"]


def test_stale_sources_are_posted_too(copy, webhook):
    pd.DataFrame({"year": [2000], "source": ["ucdp_country_year"]}).to_parquet(
        copy / "data" / "processed" / "old.parquet")
    build(["toll"], **QUIET)
    [(_, body)] = webhook.received
    assert "some sources are stale" in body["text"] and "ucdp_country_year" in body["text"]


@pytest.mark.parametrize("fault", ["refuses", "unreachable"])
def test_a_failing_webhook_never_fails_the_build_nor_hides_why_it_failed(copy, webhook, monkeypatch, fault):
    if fault == "refuses":
        webhook.status = 500
    else:  # a port nobody listens on
        monkeypatch.setenv("STORYKIT_ALERT_WEBHOOK", "http://127.0.0.1:9/hooks/secret-token")
    add_cell(copy, "places.ipynb", "raise KeyError('pcode')")
    said = []
    with pytest.raises(BuildError, match="stopped with KeyError"):
        build(["places"], log=said.append)
    [note] = [line for line in said if line.startswith("alert not sent")]
    assert "STORYKIT_ALERT_WEBHOOK" in note and "secret-token" not in note
    said.clear()
    assert build(["toll"], force=True, log=said.append) == ["toll.html"]


# --- the real governorate profile ----------------------------------------------------------------------


def test_an_unknown_governorate_is_named_and_changes_nothing(processed, tmp_path):
    """`storykit build -p governorate Atlantis` on the real notebooks and processed data."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "processed").symlink_to(processed, target_is_directory=True)
    (root / "notebooks").symlink_to(REPO / "notebooks", target_is_directory=True)
    (root / "reports.toml").write_text((REPO / "reports.toml").read_text())
    (root / "reports").mkdir()
    (root / "reports" / "index.html").write_text("the site as it was")
    env = os.environ | {"STORYKIT_HOME": str(root)}
    env.pop("STORYKIT_ALERT_WEBHOOK", None)
    run = subprocess.run([sys.executable, "-m", "storykit", "build", "-p", "governorate", "Atlantis"], cwd=root,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1
    assert "governorates/atlantis: notebooks/governorate.ipynb (governorates/atlantis), cell " in run.stderr
    assert "stopped with UnknownPlaceError: 'Atlantis' is no governorate" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert [p.name for p in (root / "reports").iterdir()] == ["index.html"]
    assert (root / "reports" / "index.html").read_text() == "the site as it was"


def test_a_failing_fetch_or_process_in_a_scheduled_run_is_posted_too(copy, webhook, capsys):
    from storykit import cli

    assert cli.main(["fetch", "no_such_source"]) == 1
    [(_, body)] = webhook.received
    assert body["text"].startswith("storykit fetch failed on ") and "no_such_source" in body["text"]


# --- what a newsroom copies to run it on a schedule -----------------------------------------------------


def test_the_scheduling_files_build_and_publish_only_what_passed():
    import configparser
    import re

    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "publish.yml").read_text())
    assert {"schedule", "workflow_dispatch"} <= set(workflow[True])  # YAML reads the key `on` as True
    build_steps, deploy = workflow["jobs"]["build"]["steps"], workflow["jobs"]["deploy"]
    runs = [s.get("run", "") for s in build_steps]
    uses = [s.get("uses", "") for s in build_steps]
    assert "make report" in runs and deploy["needs"] == "build"
    # The tests run first, without the webhook: a failing test deploys nothing and alerts no one.
    test_step = build_steps[runs.index("make test")]
    assert runs.index("make test") < runs.index("make report") and "if" not in test_step
    assert "STORYKIT_ALERT_WEBHOOK" not in str(test_step.get("env", {}))
    # The site is uploaded by steps that run only if `make report` passed (no `if: always()`).
    upload = next(i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact"))
    assert runs.index("make report") < upload and all("if" not in s for s in build_steps[:upload + 1])
    assert "secrets.STORYKIT_ALERT_WEBHOOK" in str(build_steps[runs.index("make report")]["env"])

    def unit(name):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string((REPO / "deploy" / name).read_text())
        return parser

    service, timer = unit("storykit.service"), unit("storykit.timer")
    assert service["Service"]["Type"] == "oneshot" and service["Service"]["ExecStart"].endswith("make report")
    assert service["Service"]["EnvironmentFile"].startswith("-/etc/")  # the secret lives outside the repo
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    [line] = [x for x in (REPO / "deploy" / "crontab").read_text().splitlines() if x and not x.startswith("#")]
    minute, hour, *_ = line.split()
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24 and "make report" in line

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        path = REPO / name
        if path.is_file() and path.stat().st_size < 2_000_000 and path.suffix not in (".parquet", ".png"):
            text = path.read_text(errors="ignore")
            assert not re.search(r"hooks\.slack\.com/services/[A-Z0-9]{6,}/|STORYKIT_ALERT_WEBHOOK=https?://(?!\S*\.\.\.)\S", text), name
