"""What the last complete `storykit process` saw, so that a run with nothing changed says so at once,
without importing the cleaners (and pandas).

The snapshot covers storykit's data-stage code (the modules at the package's top, the catalogue, and
this folder), every raw file and every processed file (sizes and modification times). Anything else
that changed, even a file touched, says to run the cleaners. Standard library only.
"""

import hashlib
import json
from pathlib import Path

from .. import __version__
from ..atomic import write_text

SNAPSHOT = ".processed.json"
STAGE = Path(__file__).resolve().parent
TOP = STAGE.parent


def _code() -> list[Path]:
    return sorted(p for p in [*TOP.glob("*"), *STAGE.rglob("*")]
                  if p.is_file() and p.suffix in (".py", ".toml") and "__pycache__" not in p.parts)


def processing_snapshot(raw_root: Path, out: Path) -> str:
    h = hashlib.sha256(f"{__version__}\0{Path(raw_root).resolve()}\0{Path(out).resolve()}".encode())
    for path in _code():
        h.update(f"\0{path.relative_to(TOP).as_posix()}\0".encode())
        h.update(path.read_bytes())
    for folder in (Path(raw_root), Path(out)):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.name != SNAPSHOT and path.is_file():
                s = path.stat()
                h.update(f"\0{path.relative_to(folder).as_posix()}\0{s.st_size}\0{s.st_mtime_ns}".encode())
    return h.hexdigest()


def save_processing_snapshot(raw_root: Path, out: Path) -> None:
    """Called when `storykit process` has finished: what it saw, for the next run to compare."""
    write_text(json.dumps({"snapshot": processing_snapshot(raw_root, out)}), Path(out) / SNAPSHOT)


def processing_is_current(raw_root: Path, out: Path) -> bool:
    """True when nothing processing reads or writes changed since its last complete run."""
    try:
        saved = json.loads((Path(out) / SNAPSHOT).read_text(encoding="utf-8"))["snapshot"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return saved == processing_snapshot(raw_root, out)
