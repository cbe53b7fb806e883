"""Promises of the README that no other test held: `storykit status`, alerts for a failed `process` and
for a long message, a build lock that is not released in time, parallel kernels by default, `process`
killed with SIGKILL, a changed catalogue entry, the kernel in a page's key, a cleaner whose own code
changed, and a test run that alerts nobody.

Everything here runs for real: `storykit` commands in this process or in child processes, kernels,
an HTTP listener on 127.0.0.1 standing in for the chat webhook, signals sent to real processes. Every
wait is bounded.
"""

import calendar
import contextlib
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

from storykit import alerts, catalogue, cli
from storykit.ingest.cleaners import all_cleaners
from storykit.ingest.fetch import file_sha256
from storykit.site import freeze, kernels
from storykit.site.build import BuildError, build
from storykit.site.config import load_config
from storykit.site.plan import plan
from storykit.site.publish import Site

from .synthetic_site import PAGES

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
QUIET = {"log": lambda _: None}
HOST = socket.gethostname()


# --- helpers ---------------------------------------------------------------------------------------


class Listener:
    """A Slack-compatible webhook on 127.0.0.1: it keeps every JSON body posted to it."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))  # kept before answering: the poster has returned after
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [body["text"] for body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    hook = Listener()
    yield hook
    hook.close()


@pytest.fixture
def webhook(listener, monkeypatch):
    """The listener, named by STORYKIT_ALERT_WEBHOOK in this process (and the processes it starts)."""
    monkeypatch.setenv(alerts.ENV, listener.url)
    return listener


def child_env(root: Path, **extra) -> dict:
    env = os.environ | {"STORYKIT_HOME": str(root), "PYTHONUNBUFFERED": "1"} | extra
    if alerts.ENV not in extra:
        env.pop(alerts.ENV, None)
    return env


class Lines:
    """A child's output, read line by line in a thread, so that every wait for a line is bounded."""

    def __init__(self, proc: subprocess.Popen):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def until(self, predicate, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError("the process ended first; it said:\n" + "".join(self.seen))
            self.seen.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"nothing awaited within {timeout} s; the process said:\n" + "".join(self.seen))


def data_project(raw_root: Path, processed: Path | None, root: Path) -> Path:
    """A project whose raw sources link to the fetched ones and whose tables are a copy of `processed`."""
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for sid in catalogue.sources():
        (raw / sid).symlink_to(raw_root / sid, target_is_directory=True)
    if processed is not None:
        shutil.copytree(processed, root / "data" / "processed")
    return root


def copy_code(dest: Path) -> Path:
    """A copy of storykit's package, for child processes to import instead (PYTHONPATH comes first)."""
    shutil.copytree(SRC / "storykit", dest / "storykit", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def process_run(root: Path, env: dict, *args: str) -> list[str]:
    """`storykit process` run to its end in a child process; the cleaners it ran."""
    run = subprocess.run([sys.executable, "-m", "storykit", "process", *args], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout.strip().splitlines()[-1]
    assert said.startswith("processed "), run.stdout
    return said.partition(": ")[2].split(", ") if ": " in said else []


@pytest.fixture(scope="module")
def frozen(raw_root, tmp_path_factory) -> tuple[Path, Path]:
    """storykit's code as this module found it, copied, and data/processed as a clean run of that copy
    makes it. Child processes run the copy, so that work going on in src/ meanwhile does not change the
    code between a run and the clean run it is compared with."""
    base = tmp_path_factory.mktemp("frozen")
    src = copy_code(base / "src")
    root = data_project(raw_root, None, base / "clean")
    env = child_env(root, PYTHONPATH=str(src))
    where = subprocess.run([sys.executable, "-c", "import storykit; print(storykit.__file__)"], env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert Path(where.stdout.strip()) == src / "storykit" / "__init__.py", where.stdout + where.stderr
    assert process_run(root, env)  # every cleaner ran
    return src, root / "data" / "processed"


def tree(folder: Path) -> dict[str, str]:
    """Every file and link under `folder`, hashed (links by their target)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = f"-> {os.readlink(path)}"
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def parts(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".part"))


def kernel_processes(root: Path) -> dict[int, dict[str, str]]:
    """Live Jupyter kernels started for the project at `root` (kernels inherit its STORYKIT_HOME from
    the build), each with its environment."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"ipykernel_launcher" not in (proc / "cmdline").read_bytes():
                continue
            env = dict(v.split("=", 1) for v in (proc / "environ").read_bytes().decode(errors="replace").split("\0")
                       if "=" in v)
            if env.get("STORYKIT_HOME") == str(root) and (proc / "stat").read_text().split(")")[-1].split()[0] != "Z":
                found[int(proc.name)] = env
        except OSError:
            continue
    return found


class KernelWatch:
    """Samples the project's kernels while a build runs: which ran, and how many were alive at once."""

    def __init__(self, root: Path):
        self.root, self.seen, self.most = Path(root).resolve(), {}, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            now = kernel_processes(self.root)
            self.seen |= now
            self.most = max(self.most, len(now))
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


def add_cells(root: Path, notebook: str, first: str | None = None, last: str | None = None) -> None:
    path = root / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    if first is not None:
        nb.cells.insert(0, new_code_cell(textwrap.dedent(first)))
    if last is not None:
        nb.cells.append(new_code_cell(textwrap.dedent(last)))
    nbformat.write(nb, path)


def stop_process(pid: int, timeout: float = 10) -> None:
    """SIGSTOP, and wait (bounded) until the process is stopped: it writes nothing from then on."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while (Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]) not in ("T", "t"):
        assert time.monotonic() < deadline, f"process {pid} did not stop within {timeout} s"
        time.sleep(0.005)


# --- 1. storykit status ------------------------------------------------------------------------------


def last_days(processed: Path) -> dict[str, date]:
    """The last day each source's rows cover, read with pandas from every processed table: a table's
    most precise period column (an event's end, a day, a month, a year) counts for its rows."""
    ends: dict[str, date] = {}
    for path in sorted(processed.glob("*.parquet")):
        frame = pd.read_parquet(path)
        if "source" not in frame.columns:
            continue
        for column in ("date_end", "date", "month", "year"):
            if column in frame.columns:
                break
        else:
            continue
        for source, rows in frame.dropna(subset=[column]).groupby("source"):
            if column in ("date_end", "date"):
                end = max(pd.Timestamp(v).date() for v in rows[column])
            elif column == "month":
                last = max(pd.Timestamp(v) for v in rows[column])
                end = date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
            else:
                end = date(int(rows[column].max()), 12, 31)
            ends[source] = max(ends.get(source, end), end)
    return ends


def test_status_lists_how_current_each_source_is_and_which_are_stale(processed, tmp_path, monkeypatch, capsys):
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    shutil.copytree(processed, root / "data" / "processed")
    monkeypatch.setenv("STORYKIT_HOME", str(root))
    ends = last_days(root / "data" / "processed")
    limits = {sid: entry.get("max_age_days") for sid, entry in
              tomllib.loads(catalogue.PATH.read_text(encoding="utf-8")).items()}
    ends = {sid: end for sid, end in ends.items() if sid in limits}
    today = date.today()

    assert cli.main(["status"]) == 0
    out, last_build = capsys.readouterr().out.split("\n\n", 1)  # the sources, then the last build
    assert last_build.strip()
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert len(lines) == len(out.splitlines())  # one line per source
    assert sorted(lines) == sorted(ends)  # every source with a covering date, and only those
    for sid, end in ends.items():
        age, limit = (today - end).days, limits[sid]
        line = lines[sid]
        assert f" covers to {end:%Y-%m-%d} ({age:>5} days ago, " in line, line
        assert (f"limit {limit} days)" if limit else "archive)") in line, line
        assert line.endswith("STALE") == (limit is not None and age > limit), line
    # UCDP's country-year series: its expectation as computed above, not as assumed.
    ucdp = "ucdp_country_year"
    assert limits[ucdp] and ucdp in ends
    assert lines[ucdp].endswith("  STALE") == ((today - ends[ucdp]).days > limits[ucdp])
    archives = [sid for sid in ends if limits[sid] is None]
    assert archives and all("archive" in lines[sid] and "STALE" not in lines[sid] for sid in archives)


# --- 2. and 3. alerts ----------------------------------------------------------------------------------


def test_a_failed_process_is_posted_with_its_reason(raw_root, processed, tmp_path, monkeypatch, capsys, webhook):
    from dataclasses import replace

    root = data_project(raw_root, processed, tmp_path / "project")
    monkeypatch.setenv("STORYKIT_HOME", str(root))
    source = next(s for s in catalogue.sources().values() if s.files[0].name.endswith(".csv"))
    folder = root / "data" / "raw" / source.id
    folder.unlink()
    shutil.copytree(raw_root / source.id, folder)
    damaged = folder / source.files[0].name
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # a download cut in half
    # Pinned to the damaged bytes, as a bad new release would be: the cleaner must refuse it.
    pinned = replace(source, files=tuple(replace(f, sha256=file_sha256(folder / f.name), bytes=(folder / f.name)
                                                 .stat().st_size) for f in source.files))
    real = catalogue.get
    monkeypatch.setattr(catalogue, "get", lambda sid: pinned if sid == source.id else real(sid))
    before = tree(root / "data")

    assert cli.main(["process"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("storykit process: ") and "alert not sent" not in err, err
    reason = err.removeprefix("storykit process: ").removesuffix("\n")
    assert source.files[0].name in reason
    assert webhook.texts() == [f"storykit process failed on {HOST}: {reason}"]
    after = tree(root / "data")
    assert after.pop(".processed.lock", None) is not None  # the run took the lock; it holds no data
    assert after == {k: v for k, v in before.items() if k != ".processed.lock"}


def test_a_long_alert_is_cut_to_what_chat_services_take_and_says_so(copy, webhook):
    # The reason a build failed, as long as an error can be: the alert carries its start and a note.
    add_cells(copy, "places.ipynb", last=f"raise ValueError('a very long reason. ' * {alerts.MAX_TEXT // 10})")
    with pytest.raises(BuildError, match="stopped with ValueError: a very long reason") as failed:
        build(["places"], **QUIET)
    full = f"storykit build failed on {HOST}: {failed.value}"
    assert len(full) > alerts.MAX_TEXT
    [text] = webhook.texts()
    assert len(text) <= alerts.MAX_TEXT
    assert text.endswith("(cut; the build log has the rest)")
    kept = text[: text.rindex("\n")]
    assert full.startswith(kept) and len(kept) > alerts.MAX_TEXT // 2
    # A message of exactly the limit arrives whole.
    exact = "x" * alerts.MAX_TEXT
    assert alerts.send(exact, log=pytest.fail)
    assert webhook.texts()[-1] == exact


# --- 4. the build lock ------------------------------------------------------------------------------------


HOLDER = """
import sys, time
from pathlib import Path
from storykit.atomic import locked

with locked(Path(sys.argv[1]), 0):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_build_that_waits_too_long_for_the_lock_stops_naming_who_holds_it(copy, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(copy / "build" / "build.lock"), "120"],
                              env=child_env(copy), stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        Lines(holder).until(lambda line: line == "holding\n", timeout=60)
        before = tree(copy / "reports") | {f".site/{k}": v for k, v in tree(copy / ".site").items()}
        wait = 1
        started = time.monotonic()
        status = cli.main(["build", "--force", "--wait", str(wait)])
        took = time.monotonic() - started
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    captured = capsys.readouterr()
    assert status == 1
    assert wait <= took < wait + 15, took  # it waited, then gave up within a bound
    assert f"waiting for the build already running (pid {holder.pid} on {HOST}, started " in captured.out
    assert f"Another build is running (pid {holder.pid} on {HOST}, started " in captured.err
    assert f"it was still running after {wait} s of waiting. Nothing was changed." in captured.err
    assert tree(copy / "reports") | {f".site/{k}": v for k, v in tree(copy / ".site").items()} == before


# --- 5. parallel kernels ------------------------------------------------------------------------------------


BARRIER = """
import os as _os, time as _time
with open({log!r}, "a") as _f:
    _f.write(f"{{_os.getpid()}} start {{_time.time()!r}}\\n")
_until = _time.time() + 30  # until as many kernels as expected run a page, for at most 30 s
while _time.time() < _until and len({{l.split()[0] for l in open({log!r})}}) < {expected}:
    _time.sleep(0.05)
"""
END = """
import os as _os, time as _time
with open({log!r}, "a") as _f:
    _f.write(f"{{_os.getpid()}} end {{_time.time()!r}}\\n")
"""


def test_pages_run_in_one_kernel_per_processor_by_default(copy, tmp_path):
    assert "workers" not in (copy / "reports.toml").read_text() and load_config(copy).workers == 0
    expected = min(os.cpu_count() or 1, len(PAGES))
    log = str(tmp_path / "runs.log")  # outside the project: not an input of the pages
    for notebook in ("toll.ipynb", "places.ipynb", "profile.ipynb"):
        add_cells(copy, notebook, first=BARRIER.format(log=log, expected=expected), last=END.format(log=log))
    before = kernels.started
    with KernelWatch(copy) as watch:
        assert build(force=True, **QUIET) == PAGES
    assert kernels.started - before == expected  # one per worker, each reused page after page
    assert watch.most == expected and len(watch.seen) == expected
    # Each page ran in one of those kernels, and as many pages as kernels ran at the same time.
    events = [line.split() for line in Path(log).read_text().splitlines()]
    assert sorted(e[1] for e in events) == ["end"] * len(PAGES) + ["start"] * len(PAGES)
    assert {int(pid) for pid, _, _ in events} == set(watch.seen)
    running, most = 0, 0
    for _, kind, _ in sorted(events, key=lambda e: (float(e[2]), e[1] == "start")):
        running += 1 if kind == "start" else -1
        most = max(most, running)
    assert most == expected


# --- 6. storykit process killed with SIGKILL ----------------------------------------------------------------


def outputs() -> list[tuple[str, list[str]]]:
    """Each cleaner, in the order `storykit process` runs them, with the files it writes."""
    return [(c.name, [f"{s.name}.{s.extra.get('format', 'parquet')}" for s in c.outputs]) for c in all_cleaners()]


def aged(raw_root: Path, processed: Path, root: Path) -> tuple[Path, dict[str, bytes]]:
    """A project whose tables are those of an older run: each table one row (or shape) short of what a
    clean run makes now, and fingerprints from that older release."""
    root = data_project(raw_root, processed, root)
    out = root / "data" / "processed"
    for _, files in outputs():
        for name in files:
            path = out / name
            if name.endswith(".geojson"):
                layer = json.loads(path.read_text(encoding="utf-8"))
                layer["features"] = layer["features"][:-1]
                path.write_text(json.dumps(layer), encoding="utf-8")
            else:
                pd.read_parquet(path).iloc[:-1].to_parquet(path, index=False)
    state = json.loads((out / ".fingerprints.json").read_text())
    (out / ".fingerprints.json").write_text(json.dumps({k: f"an older release of {k}" for k in state}))
    old = {name: (out / name).read_bytes() for _, files in outputs() for name in files}
    assert all(old[name] != (processed / name).read_bytes() for name in old)  # old and new can be told apart
    return root, old


def readable(path: Path) -> None:
    if path.suffix == ".geojson":
        assert json.loads(path.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    else:
        pd.read_parquet(path)


def start_process(root: Path, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "storykit", "process", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def same_as_clean_run(out: Path, clean: Path) -> None:
    for _, files in outputs():
        for name in files:
            assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    state = out / ".fingerprints.json"
    assert json.loads(state.read_text()) == json.loads((clean / state.name).read_text())


def test_process_killed_while_cleaning_leaves_whole_tables_and_the_next_run_finishes(raw_root, frozen, tmp_path):
    src, processed = frozen
    root, old = aged(raw_root, processed, tmp_path / "project")
    env = child_env(root, PYTHONPATH=str(src))
    out = root / "data" / "processed"
    order = outputs()
    names = [name for name, _ in order]
    target = len(names) // 2  # stopped in the middle of the run
    proc = start_process(root, env, "--force")
    try:
        lines = Lines(proc)
        while True:  # stopped while a cleaner computes, not while a file is being written
            lines.until(lambda line, name=names[target]: line.startswith(f"cleaning {name} from "), timeout=300)
            stop_process(proc.pid)
            if not parts(out):
                break
            os.kill(proc.pid, signal.SIGCONT)
            target += 1
            assert target < len(names), "every cleaner was caught writing"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert [line.split()[1] for line in lines.seen if line.startswith("cleaning ")] == names[: target + 1]

    # Every table is whole: the one of the older run, or the one a clean run makes.
    assert parts(out) == []
    for i, (name, files) in enumerate(order):
        for file in files:
            readable(out / file)
            now, new = (out / file).read_bytes(), (processed / file).read_bytes()
            if i < target:
                assert now == new, f"{file}, written before the kill, is not the new table"
            elif i > target:
                assert now == old[file], f"{file}, of a cleaner that had not run, changed"
            else:
                assert now in (old[file], new), file

    # The next run cleans only what the killed one had not, and leaves what a clean run leaves.
    assert sorted(process_run(root, env)) == sorted(names[target:])
    same_as_clean_run(out, processed)
    assert parts(out) == []
    assert process_run(root, env) == []


def test_process_killed_while_writing_a_table_leaves_the_old_one_and_no_temporary_file(raw_root, frozen, tmp_path):
    src, processed = frozen
    root, old = aged(raw_root, processed, tmp_path / "project")
    env = child_env(root, PYTHONPATH=str(src))
    out = root / "data" / "processed"
    tables = {file for _, files in outputs() for file in files}
    proc = start_process(root, env, "--force")
    caught = None
    try:
        deadline = time.monotonic() + 300
        while caught is None:  # stopped while a table is being written (its .part file exists)
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("no table was caught while being written")
            writing = [p for p in parts(out) if any(p.startswith(f".{t}.") for t in tables)]
            if writing:
                stop_process(proc.pid)
                still = [p for p in writing if (out / p).exists()]
                if still:
                    caught = still[0]
                    break
                os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.001)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    table = next(t for t in tables if caught.startswith(f".{t}."))

    # The table being written is the old one, whole; every table is readable.
    assert (out / table).read_bytes() == old[table]
    for file in tables:
        readable(out / file)
        assert (out / file).read_bytes() in (old[file], (processed / file).read_bytes()), file
    # The next run finishes and leaves what a clean run leaves...
    assert process_run(root, env)
    same_as_clean_run(out, processed)
    # ... and clears the temporary file the killed run left.
    assert parts(out) == []


# --- 7. and 8. what a page's key is made of ---------------------------------------------------------------


def with_attribution(text: str, sid: str, attribution: str) -> str:
    """catalogue.toml with one entry's attribution changed, and nothing else."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"[{sid}]\n")
    at = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("attribution = "))
    lines[at] = f"attribution = {json.dumps(attribution)}\n"
    return "".join(lines)


@pytest.fixture
def patch_catalogue(tmp_path, monkeypatch):
    """Point storykit.catalogue at another catalogue.toml, in this process; afterwards, the real one."""
    def patch(text: str) -> Path:
        path = tmp_path / "catalogue.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(catalogue, "PATH", path)
        catalogue.sources.cache_clear()
        return path

    yield patch
    catalogue.sources.cache_clear()  # monkeypatch puts the real PATH back after this


def test_a_changed_catalogue_entry_makes_exactly_the_pages_that_cite_it(copy, patch_catalogue):
    """The build (this process) digests the entries a page cites and prints each one's attribution on
    the page. Kernels (other processes) read the package's own catalogue.toml, which this test leaves
    alone; so it changes a field no kernel prints (the attribution, not a title, publisher or
    licence, which charts show), and the page comes out wholly from the changed catalogue."""
    assert build(**QUIET) == []  # the copy is current with the catalogue as it is now
    manifest = Site(copy).manifest()
    citing = {sid: [out for out in PAGES if sid in manifest[out]["sources"]]
              for entry in manifest.values() for sid in entry["sources"]}
    sid = max((s for s in citing if len(citing[s]) < len(PAGES)), key=lambda s: len(citing[s]))
    attribution = f"A new attribution for {sid}, for the tests."
    text = catalogue.PATH.read_text(encoding="utf-8")
    path = patch_catalogue(with_attribution(text, sid, attribution))
    original, changed = tomllib.loads(text), tomllib.loads(path.read_text(encoding="utf-8"))
    assert {k: v for k, v in changed.items() if v != original[k]} == {sid: original[sid] | {"attribution": attribution}}

    published = build(**QUIET)

    assert published == citing[sid] and 0 < len(published) < len(PAGES)
    for out in PAGES:
        html = (copy / "reports" / out).read_text(encoding="utf-8")
        assert (attribution in html) == (out in published), out
    after = Site(copy).manifest()
    for out in published:
        name = f"catalogue:{sid}"
        assert after[out]["freeze"]["inputs"][name] != manifest[out]["freeze"]["inputs"][name]
    assert build(**QUIET) == []


def test_the_kernel_is_part_of_a_pages_key(copy, tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    config = load_config(copy)
    jobs = plan(config, copy)
    job = jobs[0]
    nb = json.loads((copy / "notebooks" / job.notebook).read_text(encoding="utf-8"))
    code = freeze.code_digest()
    other = "storykit-tests-python"
    key = freeze.page_key(code, nb, job.parameters, job.output, config.kernel)
    assert key == freeze.page_key(code, nb, dict(job.parameters), job.output, config.kernel)
    assert key != freeze.page_key(code, nb, job.parameters, job.output, other)
    assert Site(copy).manifest()[job.output]["freeze"]["key"] == key  # what the build recorded

    # Another installed kernel, under its own name: the same interpreter, with a mark in its environment.
    spec = KernelSpecManager().get_kernel_spec(config.kernel).to_dict()
    spec |= {"display_name": "Python (the tests' other kernel)", "env": {"STORYKIT_TESTS_KERNEL": other}}
    (tmp_path / "jupyter" / "kernels" / other).mkdir(parents=True)
    (tmp_path / "jupyter" / "kernels" / other / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    assert other in KernelSpecManager().find_kernel_specs()
    toml = (copy / "reports.toml").read_text()
    (copy / "reports.toml").write_text(toml.replace(f'kernel = "{config.kernel}"', f'kernel = "{other}"'))
    assert load_config(copy).kernel == other

    with KernelWatch(copy) as watch:
        published = build(**QUIET)

    assert published == [j.output for j in jobs]  # nothing else changed: every page is made again
    assert watch.seen and all(env.get("STORYKIT_TESTS_KERNEL") == other for env in watch.seen.values())
    manifest = Site(copy).manifest()
    for j in jobs:
        page = json.loads((copy / "notebooks" / j.notebook).read_text(encoding="utf-8"))
        assert manifest[j.output]["freeze"]["key"] == freeze.page_key(code, page, j.parameters, j.output, other)
    assert build(**QUIET) == []


# --- 9. a cleaner's own code ---------------------------------------------------------------------------------


FINGERPRINTS = """
import json, sys
from pathlib import Path
from storykit.ingest.cleaners import all_cleaners
from storykit.ingest.process import STATE, code_of, fingerprint
import inspect

state = json.loads((Path(sys.argv[1]) / STATE).read_text())
cleaners = all_cleaners()
producers = {s.name: c.name for c in cleaners for s in c.outputs}
print(json.dumps({c.name: {"fingerprint": fingerprint(c, state, producers),
                           "code": [str(p) for p in code_of(inspect.getmodule(c.run).__name__)]}
                  for c in cleaners}))
"""


def test_a_cleaners_own_code_changing_makes_it_run_again(raw_root, frozen, tmp_path):
    """`storykit process` in child processes that import storykit from a copy of src/, in which one
    cleaner's module then changes by a comment line."""
    src = tmp_path / "src"
    shutil.copytree(frozen[0], src, ignore=shutil.ignore_patterns("__pycache__"))  # to be changed
    root = data_project(raw_root, frozen[1], tmp_path / "project")
    out = root / "data" / "processed"
    env = child_env(root, PYTHONPATH=str(src))

    def fingerprints() -> dict:
        run = subprocess.run([sys.executable, "-c", FINGERPRINTS, str(out)], cwd=root, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    assert process_run(root, env) == []  # the code that made the tables: nothing to clean
    before = fingerprints()
    state = json.loads((out / ".fingerprints.json").read_text())
    assert {name: f["fingerprint"] for name, f in before.items()} == state  # what process recorded
    module = src / "storykit" / "ingest" / "cleaners" / "vdc.py"
    assert all(Path(p).is_relative_to(src) for f in before.values() for p in f["code"])  # the copy runs
    direct = {name for name, f in before.items() if str(module) in f["code"]}
    producers = {s.name: c.name for c in all_cleaners() for s in c.outputs}
    needs = {c.name: {producers[n] for n in c.needs} for c in all_cleaners()}
    expected = set(direct)
    while grown := {name for name, made_from in needs.items() if made_from & expected} - expected:
        expected |= grown
    assert direct and len(expected) < len(before)
    tables = tree(out)

    module.write_text(module.read_text(encoding="utf-8") + "# a comment: the code changed, not what it does\n",
                      encoding="utf-8")
    after = fingerprints()

    assert {n for n in before if after[n]["fingerprint"] != before[n]["fingerprint"]} == direct
    assert sorted(process_run(root, env)) == sorted(expected)
    state_after = json.loads((out / ".fingerprints.json").read_text())
    assert {n for n in state if state_after[n] != state[n]} == expected
    now = tree(out)
    changed = {k for k in now if now[k] != tables.get(k)}
    assert changed <= {".fingerprints.json", "datapackage.json", ".processed.json"}  # a comment changes no table
    assert process_run(root, env) == []


# --- 10. a test run alerts nobody ------------------------------------------------------------------------------


def test_a_whole_test_run_posts_no_alert(listener, tmp_path):
    """A few tests that make storykit fail (process and fetch), run by pytest in a child process with
    the webhook set: they pass, and nothing reaches the listener. The same failure outside pytest does."""
    cases = ["empty csv", "csv cut in the middle of a line", "server answers 404"]
    env = os.environ | {alerts.ENV: listener.url}
    env.pop("STORYKIT_HOME", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
                          str(tmp_path / "inner"), *[f"tests/test_bad_inputs.py::test_bad_input[{c}]" for c in cases]],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(rf"\b{len(cases)} passed\b", run.stdout), run.stdout
    assert listener.received == []
    # The control: a failing command with this environment, outside a test run, is posted.
    (tmp_path / "project").mkdir()
    control = subprocess.run([sys.executable, "-m", "storykit", "fetch", "no_such_source"], cwd=tmp_path / "project",
                             env=env | {"STORYKIT_HOME": str(tmp_path / "project")}, capture_output=True, text=True,
                             timeout=120, check=False)
    assert control.returncode == 1
    [text] = listener.texts()
    assert text.startswith(f"storykit fetch failed on {HOST}: ") and "no_such_source" in text
