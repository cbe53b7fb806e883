"""Content hashes that decide what must be made again, as Quarto's freeze and Ploomber do.

A page is current when its *key* is the one it was made with (storykit's page code and version, the
libraries that shape a page, the notebook's cells, the parameters, the kernel, where the page goes)
and every *input* it read while it ran still has the digest it had then. The kernel records the
inputs (storykit.notebook.reads); the build adds the catalogue entries of the sources a page cites
(their names, licences and checksums are printed on it), and keeps each page's key and inputs in
the site's manifest, so they are published, or not, together with the page.

This module is imported by a build with nothing to do: standard library only.
"""

import hashlib
import json
import os
import tomllib
from pathlib import Path

from .. import __version__, catalogue, ingest
from ..notebook.contract import cell_source, tags
from ..notebook.reads import stat_of

PACKAGE = Path(__file__).resolve().parents[1]
# The data stage reaches a page only through processed files and the catalogue entries it cites,
# both hashed as inputs: it is not page code.
DATA_STAGE = Path(ingest.__file__).resolve().parent
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
    for path in page_code():
        h.update(f"\0{path.relative_to(PACKAGE).as_posix()}\0".encode())
        h.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"\0{name}={version}".encode())
    return h.hexdigest()


def page_code() -> list[Path]:
    """storykit's files that shape a page: all but the data stage and the catalogue."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and not p.is_relative_to(DATA_STAGE)
                  and p != catalogue.PATH and "__pycache__" not in p.parts and not p.name.startswith("."))


def notebook_cells(nb: dict) -> list:
    """What of a notebook decides its page: each cell's kind, text and tags (not outputs left in it)."""
    cells = []
    for c in nb.get("cells", []):
        cells.append([c.get("cell_type"), cell_source(c), tags(c)])
    return cells


def page_key(code: str, nb: dict, parameters: dict, output: str, kernel: str) -> str:
    return _sha(_canonical({"code": code, "cells": notebook_cells(nb), "parameters": parameters,
                            "output": output, "kernel": kernel}))


def run_key(code: str, nb: dict, parameters: dict, output: str, kernel: str) -> str:
    """The key without the cells a kernel never runs (Markdown, raw): pages with the same run key and
    inputs come from the same executed code, so a change of prose alone needs no kernel
    (storykit.site.reuse)."""
    code_only = {"cells": [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]}
    return page_key(code, code_only, parameters, output, kernel)


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
            self._sources = tomllib.loads(catalogue.PATH.read_text(encoding="utf-8"))
        entry = self._sources.get(source)
        return "missing" if entry is None else _sha(_canonical(entry))

    def _unknown(self, what: str) -> str:
        return "unknown"


def is_current(entry: dict | None, key: str, digests: Digests, field: str = "key") -> bool:
    """Whether the published page `entry` (from the manifest) was made with `key` (its `field`: "key",
    or "run" for the run key) from inputs that are all as they were; a page whose last update failed
    is never current."""
    frozen = (entry or {}).get("freeze")
    if not frozen or entry.get("failed") or frozen.get(field) != key:
        return False
    return all(digests(name) == digest for name, digest in frozen.get("inputs", {}).items())


def _stat_of(root: Path, name: str) -> list | None:
    kind, _, what = name.partition(":")
    path = root / (DATAPACKAGE if kind == "resource" else what)
    return stat_of(str(path)) if kind in ("file", "listing", "resource") else None
