"""Content hashes that decide what must be made again, as Quarto's freeze and Ploomber do.

A page is current when its *key* is the one it was made with (storykit's own code and version, the
libraries that shape a page, the notebook's cells, the parameters, the kernel, where the page goes)
and every *input* it read while it ran still has the digest it had then. Inputs are recorded in the
kernel while the notebook runs (between `begin_page` and `end_page`):

- storykit.data names each table, layer and datapackage entry it serves, on every call, even one
  served from its cache (a kernel runs several pages);
- an audit hook sees any other file of the project that Python opens or lists (a CSV read with
  pandas, the provinces layer the charts read), outside storykit's code and the environment;

and the build adds the catalogue entries of the sources a page cites (their names, licences and
checksums are printed on it). The build keeps each page's key and inputs in the site's manifest, so
they are published, or not, together with the page.

Code that serves processed data from a cache kept across pages must record it on every call, with
`record_file` (as storykit.data does); so must code whose reads Python does not see (a C library
opening a file itself).

`processing_is_current` answers the same question for `storykit process` from a snapshot of what
its last complete run left, without importing the cleaners (and pandas).

This module is imported by kernels and by a build with nothing to do: standard library only.
"""

import hashlib
import itertools
import json
import os
import sys
import tomllib
from contextlib import contextmanager
from pathlib import Path

from . import __version__

PACKAGE = Path(__file__).resolve().parent
# They reach a page only through processed files and the catalogue entries it cites, both hashed.
NOT_PAGE_CODE = ("cleaners", "catalogue.toml")
LIBRARIES = ("plotly", "pandas", "numpy", "geopandas", "shapely", "nbconvert", "jinja2", "markdown-it-py")
DATAPACKAGE = "data/processed/datapackage.json"
VOLATILE = ("created",)  # datapackage.json fields that change on every run of `storykit process`
CHANGED = "changed while the page ran"  # a digest no file has: the page is made again next time


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# --- the key of a page ----------------------------------------------------------------------------


def code_digest() -> str:
    """storykit's code, templates and assets, its version, and the versions of the libraries that
    shape a page (a new plotly draws differently): a change to any of them makes every page again."""
    from importlib import metadata

    h = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.is_file() and rel.parts[0] not in NOT_PAGE_CODE and "__pycache__" not in rel.parts \
                and not path.name.startswith("."):
            h.update(f"\0{rel.as_posix()}\0".encode())
            h.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"\0{name}={version}".encode())
    return h.hexdigest()


def notebook_cells(nb: dict) -> list:
    """What of a notebook decides its page: each cell's kind, text and tags (not outputs left in it)."""
    cells = []
    for c in nb.get("cells", []):
        source = "".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", "")
        cells.append([c.get("cell_type"), source, list(c.get("metadata", {}).get("tags", []))])
    return cells


def page_key(code: str, nb: dict, parameters: dict, output: str, kernel: str) -> str:
    return _sha(_canonical({"code": code, "cells": notebook_cells(nb), "parameters": parameters,
                            "output": output, "kernel": kernel}))


# --- digests of inputs (in the build) ---------------------------------------------------------------


class Digests:
    """The current digest of each input of the project at `root`, computed once per build.

    Inputs are named as the kernel records them: `file:<path>` and `listing:<folder>` relative to
    the project, `resource:<name>` (an entry of datapackage.json), `catalogue:<source id>`.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self._known: dict[str, str] = {}
        self._package: dict | None = None
        self._sources: dict | None = None

    def __call__(self, name: str) -> str:
        if name not in self._known:
            kind, _, what = name.partition(":")
            self._known[name] = getattr(self, f"_{kind}", self._unknown)(what)
        return self._known[name]

    def recorded(self, reads: dict) -> dict[str, str]:
        """Digests of what a page read, {name: stat when read}; a file changed since it was read
        gets a digest no file has, so that the page is made again next time."""
        return {name: self(name) if stat == _stat_of(self.root, name) else CHANGED for name, stat in reads.items()}

    def _file(self, rel: str) -> str:
        path = self.root / rel
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return "missing"
        if rel == DATAPACKAGE:  # rewritten, with a new date, every time `storykit process` runs
            try:
                package = json.loads(data)
                return _sha(_canonical({k: v for k, v in package.items() if k not in VOLATILE}))
            except (json.JSONDecodeError, AttributeError):
                pass
        return _sha(data)

    def _listing(self, rel: str) -> str:
        try:
            return _sha("\0".join(sorted(os.listdir(self.root / rel))))
        except OSError:
            return "missing"

    def _resource(self, name: str) -> str:
        if self._package is None:
            try:
                package = json.loads((self.root / DATAPACKAGE).read_text(encoding="utf-8"))
                self._package = {r.get("name"): r for r in package.get("resources", [])}
            except (OSError, ValueError, AttributeError):
                self._package = {}
        entry = self._package.get(name)
        return "missing" if entry is None else _sha(_canonical(entry))

    def _catalogue(self, source: str) -> str:
        if self._sources is None:
            self._sources = tomllib.loads((PACKAGE / "catalogue.toml").read_text(encoding="utf-8"))
        entry = self._sources.get(source)
        return "missing" if entry is None else _sha(_canonical(entry))

    def _unknown(self, what: str) -> str:
        return "unknown"


def is_current(entry: dict | None, key: str, digests: Digests) -> bool:
    """Whether the published page `entry` (from the manifest) was made with `key` from inputs that
    are all as they were; a page whose last update failed is never current."""
    frozen = (entry or {}).get("freeze")
    if not frozen or entry.get("failed") or frozen.get("key") != key:
        return False
    return all(digests(name) == digest for name, digest in frozen.get("inputs", {}).items())


# --- recording inputs (in the kernel) ---------------------------------------------------------------

_recording = False
_quiet = 0  # above 0 while storykit.data reads a file it records more precisely
_reads: dict[str, list | None] = {}
_root = ""
_skip: tuple[str, ...] = ()
_hooked = False
_EVENTS = {"open", "os.listdir", "os.scandir"}


def begin_page(cwd: str) -> None:
    """Called by the build in its kernel before each page: a fresh namespace, the notebook's folder
    as working directory, and the page's inputs recorded from now on."""
    global _recording, _root, _skip, _hooked
    from IPython import get_ipython

    from .paths import project_root

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("reset", "-f")  # the previous page's variables are gone
        shell.execution_count = 1
    charts = sys.modules.get("storykit.charts")
    if charts is not None and hasattr(charts, "_ids"):
        charts._ids = itertools.count(1)  # chart ids on a page do not depend on the pages before it
    os.chdir(cwd)
    _root = os.path.join(os.path.abspath(project_root()), "")
    outside = [str(PACKAGE), sys.prefix, sys.base_prefix, sys.exec_prefix] + \
        [os.path.join(_root, name) for name in ("build", ".site", "reports", ".git")]
    _skip = tuple(os.path.join(os.path.abspath(p), "") for p in outside)
    _reads.clear()
    _recording = True
    if not _hooked:
        sys.addaudithook(_hook)  # cannot be removed; it does nothing while no page is recorded
        _hooked = True


def end_page() -> str:
    """What the page read since `begin_page`, as JSON ({input name: [mtime_ns, size] or null});
    recording stops."""
    global _recording
    _recording = False
    return json.dumps(_reads)


def record(name: str, path: str | os.PathLike | None = None) -> None:
    """Record that the running page read input `name` (the file `path` it came from, if any)."""
    if _recording:
        stat = _stat(os.fspath(path)) if path is not None else None
        if name in _reads and _reads[name] != stat:
            stat = ["read twice, changed in between"]
        _reads[name] = stat


def record_file(path: str | os.PathLike) -> None:
    """Record that the running page read the file `path` (nothing if it is not a project file)."""
    if _recording and (rel := _relative(os.path.abspath(os.fspath(path)))) is not None:
        record(f"file:{rel}", path)


@contextmanager
def reading(name: str, path: str | os.PathLike):
    """Record input `name`, read from `path`, instead of the whole file the block reads."""
    global _quiet
    record(name, path)
    _quiet += 1
    try:
        yield
    finally:
        _quiet -= 1


def _hook(event: str, args: tuple) -> None:
    global _quiet
    if not _recording or _quiet or event not in _EVENTS:
        return
    _quiet += 1  # what the hook itself does is not recorded
    try:
        target = args[0]
        if event == "open":
            if isinstance(target, int) or (isinstance(args[2], int) and args[2] & os.O_ACCMODE == os.O_WRONLY):
                return  # an open file descriptor, or a file only written
        path = os.path.abspath(os.fsdecode(target if target is not None else "."))
        if event != "open" and path in {os.path.abspath(p) for p in sys.path if isinstance(p, str)}:
            return  # the import system looking for modules, not the notebook reading a folder
        if (rel := _relative(path)) is not None:
            record(f"{'file' if event == 'open' else 'listing'}:{rel}", path)
    except Exception:  # noqa: BLE001 (a hook that raised would break the notebook's own call)
        pass
    finally:
        _quiet -= 1


def _relative(path: str) -> str | None:
    if not _root or not path.startswith(_root) or path.startswith(_skip):
        return None
    rel = path[len(_root):]
    if "__pycache__" in rel.split(os.sep) or rel.endswith(".pyc"):
        return None
    return rel.replace(os.sep, "/")


def _stat(path: str) -> list | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return [s.st_mtime_ns, s.st_size] if not os.path.isdir(path) else [s.st_mtime_ns]


def _stat_of(root: Path, name: str) -> list | None:
    kind, _, what = name.partition(":")
    path = root / (DATAPACKAGE if kind == "resource" else what)
    return _stat(str(path)) if kind in ("file", "listing", "resource") else None


# --- processing -----------------------------------------------------------------------------------

SNAPSHOT = ".processed.json"


def processing_snapshot(raw_root: Path, out: Path) -> str:
    """storykit's code and catalogue, every raw file and every processed file (sizes and times)."""
    h = hashlib.sha256(f"{__version__}\0{Path(raw_root).resolve()}\0{Path(out).resolve()}".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            h.update(f"\0{path.relative_to(PACKAGE).as_posix()}\0".encode())
            h.update(path.read_bytes())
    for folder in (Path(raw_root), Path(out)):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.name != SNAPSHOT and path.is_file():
                s = path.stat()
                h.update(f"\0{path.relative_to(folder).as_posix()}\0{s.st_size}\0{s.st_mtime_ns}".encode())
    return h.hexdigest()


def save_processing_snapshot(raw_root: Path, out: Path) -> None:
    """Called when `storykit process` has finished: what it saw, for the next run to compare."""
    from .atomic import write_text

    write_text(json.dumps({"snapshot": processing_snapshot(raw_root, out)}), Path(out) / SNAPSHOT)


def processing_is_current(raw_root: Path, out: Path) -> bool:
    """True when nothing processing reads or writes changed since its last complete run: the
    cleaners would all be skipped. Anything else (even a file touched) says to run them."""
    try:
        saved = json.loads((Path(out) / SNAPSHOT).read_text(encoding="utf-8"))["snapshot"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return saved == processing_snapshot(raw_root, out)
