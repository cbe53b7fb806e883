"""What a running page read, recorded in its kernel, so that the build makes the page again only when
one of those inputs changed (storykit.site.freeze compares their digests).

Between `start` and `stop`:
- storykit.data names each table, layer and datapackage entry it serves, on every call, even one
  served from its cache (a kernel runs several pages), with `record_file` and `reading`;
- an audit hook sees any other file of the project that Python opens or lists (a CSV read with
  pandas, the provinces layer the charts read), outside storykit's code and the environment.

Code that serves processed data from a cache kept across pages must record it on every call, with
`record_file`; so must code whose reads Python does not see (a C library opening a file itself).
Standard library only.
"""

import json
import os
import sys
from contextlib import contextmanager

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_INPUTS = ("build", ".site", "reports", ".git")  # the build's own folders in the project
_EVENTS = {"open", "os.listdir", "os.scandir"}

_recording = False
_quiet = 0  # above 0 while storykit.data reads a file it records more precisely
_reads: dict[str, list | None] = {}
_root = ""
_skip: tuple[str, ...] = ()
_hooked = False


def start(root: str) -> None:
    """Record, from now on, what is read of the project at `root`."""
    global _recording, _root, _skip, _hooked
    _root = os.path.join(os.path.abspath(root), "")
    outside = [PACKAGE, sys.prefix, sys.base_prefix, sys.exec_prefix] + [os.path.join(_root, n) for n in NOT_INPUTS]
    _skip = tuple(os.path.join(os.path.abspath(p), "") for p in outside)
    _reads.clear()
    _recording = True
    if not _hooked:
        sys.addaudithook(_hook)  # cannot be removed; it does nothing while no page is recorded
        _hooked = True


def recording() -> bool:
    """Whether a build is making a page in this kernel (between start and stop)."""
    return _recording


def stop() -> str:
    """What was read since `start`, as JSON ({input name: [mtime_ns, size] or null}); recording stops."""
    global _recording
    _recording = False
    return json.dumps(_reads)


def record(name: str, path: str | os.PathLike | None = None) -> None:
    """Record that the running page read input `name` (the file `path` it came from, if any)."""
    if _recording:
        stat = stat_of(os.fspath(path)) if path is not None else None
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


def stat_of(path: str) -> list | None:
    """What says whether a file changed since it was read: its time and size (a folder: its time)."""
    try:
        s = os.stat(path)
    except OSError:
        return None
    return [s.st_mtime_ns, s.st_size] if not os.path.isdir(path) else [s.st_mtime_ns]


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
