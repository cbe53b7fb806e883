"""Run the cleaners: raw files in data/raw/ become checked tables in data/processed/.

A cleaner runs again only when its raw files, its code or what it needs changed; a fingerprint of
those is kept in data/processed/.fingerprints.json. datapackage.json describes every table, with
the sources and licences each one was made from. A snapshot of what a complete run saw lets
`storykit process` with nothing changed say so without importing the cleaners
(storykit.ingest.snapshot).
"""

import ast
import hashlib
import inspect
import json
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .. import __version__, atomic, catalogue
from . import tables
from .cleaners import Cleaner, Inputs, all_cleaners
from ..errors import DataError
from .fetch import is_present
from .snapshot import save_processing_snapshot
from ..paths import processed_dir, raw_dir

STATE = ".fingerprints.json"
LOCK_WAIT = 1800  # seconds a run waits for another to finish


def process(raw_root: Path | None = None, out: Path | None = None, force: bool = False, log=print) -> list[str]:
    """Run every cleaner that is out of date; returns the names of those that ran."""
    raw_root, out = raw_root or raw_dir(), out or processed_dir()
    out.mkdir(parents=True, exist_ok=True)
    # One run at a time changes the folder; the lock sits beside it (data/.processed.lock), not in it.
    with atomic.locked(out.parent / f".{out.name}.lock", LOCK_WAIT, log, what="processing run"):
        atomic.sweep(out)  # what a run killed while writing left
        return _process(raw_root, out, force, log)


def _process(raw_root: Path, out: Path, force: bool, log) -> list[str]:
    state = _load_state(out)
    inputs = Inputs(raw_root, out)
    ran = []
    cleaners = all_cleaners()
    producers = {s.name: c.name for c in cleaners for s in c.outputs}
    for c in cleaners:
        _require_raw(c, raw_root)
        fp = fingerprint(c, state, producers)
        if not force and state.get(c.name) == fp and all(_output_path(out, s).exists() for s in c.outputs):
            continue
        log(f"cleaning {c.name} from {', '.join(c.sources)}")
        frames = c.run(inputs)
        for schema in c.outputs:
            _write(frames[schema.name], schema, out, where=", ".join(str(inputs.raw(s)) for s in c.sources))
        state[c.name] = fp
        atomic.write_text(json.dumps(state, indent=1, sort_keys=True), out / STATE)
        ran.append(c.name)
    atomic.write_text(json.dumps(datapackage(cleaners, out), indent=1, ensure_ascii=False), out / "datapackage.json")
    save_processing_snapshot(raw_root, out)  # the next run with nothing changed answers from it, at once
    return ran


def fingerprint(c: Cleaner, state: dict, producers: dict[str, str]) -> str:
    """What decides whether a cleaner's outputs are current: raw hashes, code, and upstream outputs."""
    h = hashlib.sha256(__version__.encode())
    for sid in c.sources:
        for f in catalogue.get(sid).files:
            h.update(f.sha256.encode())
    for path in code_of(inspect.getmodule(c.run).__name__):
        h.update(path.read_bytes())
    for need in c.needs:
        h.update(state.get(producers[need], "").encode())
    return h.hexdigest()


def code_of(module: str) -> list[Path]:
    """The files of `module` and of every storykit module it imports, directly or not: the code a
    cleaner runs, wherever it lives."""
    top = __name__.split(".")[0]
    seen, todo = {}, [module]
    while todo:
        name = todo.pop()
        if name in seen or not name.startswith(top):
            continue
        path = Path(sys.modules[name].__file__ if name in sys.modules else _find(name))
        seen[name] = path
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.ImportFrom):
                base = _absolute(node, name, path)
                todo += [base] + [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names]
    return [seen[n] for n in sorted(seen)]


def _absolute(node: ast.ImportFrom, name: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _find(name: str) -> str:
    import importlib.util

    return importlib.util.find_spec(name).origin


def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _require_raw(c: Cleaner, raw_root: Path) -> None:
    missing = [s for s in c.sources if not is_present(catalogue.get(s), raw_root)]
    if missing:
        files = [f"{s}/{f.name}" for s in missing for f in catalogue.get(s).files
                 if not is_present(replace(catalogue.get(s), files=(f,)), raw_root)]
        raise DataError(
            f"The {c.name} tables need raw sources that are missing or damaged in {raw_root}: "
            f"{', '.join(missing)} ({', '.join(files)} absent or not matching the catalogue's SHA-256). "
            "Run `storykit fetch` first."
        )


def _output_path(out: Path, schema: tables.Schema) -> Path:
    return out / f"{schema.name}.{schema.extra.get('format', 'parquet')}"


def _write(frame: pd.DataFrame, schema: tables.Schema, out: Path, where: str) -> None:
    path = _output_path(out, schema)
    if schema.extra.get("format") == "geojson":
        attributes = tables.conform(pd.DataFrame(frame.drop(columns="geometry")), schema, where)
        geo = frame.__class__(attributes, geometry=frame.geometry.values, crs=frame.crs)
        atomic.write_text(geo.to_json(drop_id=True, ensure_ascii=False), path)
    else:
        tables.write_parquet(tables.conform(frame, schema, where), path)


def datapackage(cleaners: list[Cleaner], out: Path) -> dict:
    resources = []
    for c in cleaners:
        used = [catalogue.get(s) for s in c.sources]
        for schema in c.outputs:
            fmt = schema.extra.get("format", "parquet")
            resources.append({
                "name": schema.name,
                "title": schema.title,
                "description": schema.description,
                "path": _output_path(out, schema).name,
                "format": "json" if fmt == "geojson" else fmt,
                "schema": schema.frictionless(),
                "sources": [entry for s in used for entry in s.provenance()],
                "licenses": [{"name": s.licence, "title": s.attribution, "path": s.page} for s in used],
            })
    return {
        "name": "storykit-syria",
        "title": "Syria's war in numbers: processed tables",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "resources": resources,
    }


def _load_state(out: Path) -> dict:
    try:
        return json.loads((out / STATE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
