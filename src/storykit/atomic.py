"""Files written atomically: a reader sees the old file or the new one, never part of one; and the
lock that lets one writer at a time (a build, a processing run) change a folder.

Kept apart from storykit.ingest.tables (which needs pandas) so that commands with nothing to do, such as
a build with no page to make, start quickly.
"""

import fcntl
import os
import socket
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import StorykitError

READABLE = 0o644  # what a plain open() would have made under the usual umask


@contextmanager
def atomic_path(final: Path):
    """Yield a temporary path beside `final`; it replaces `final` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, READABLE)  # mkstemp makes files private; published files must be readable
        os.replace(tmp, final)
    except OSError as e:
        if e.filename is None:  # a failed write names no file: say which one it was (a full disk...)
            raise OSError(e.errno, e.strerror, str(final)) from e
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text(text: str, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def sweep(folder: Path) -> None:
    """Remove what a writer killed with SIGKILL left in `folder` (its finally never ran): the
    temporary files of atomic_path. Call it holding the folder's lock."""
    for leftover in folder.glob(".*.part"):
        leftover.unlink(missing_ok=True)


@contextmanager
def locked(path: Path, wait: float, log=print, what: str = "build", hint: str = ""):
    """Hold an exclusive lock on `path`, waiting at most `wait` seconds for another `what` (a build,
    a processing run) to let it go. `hint` says how to wait longer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or f"another {what}"
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorykitError(
                        f"Another {what} is running ({holder}); "
                        + (f"it was still running after {wait:.0f} s of waiting. " if wait else "")
                        + f"Nothing was changed. Try again when it has finished{hint}.") from None
                if not told:
                    log(f"waiting for the {what} already running ({holder}), for up to {wait:.0f} s")
                    told = True
                time.sleep(min(1.0, left))
        # The lock dies with its holder (even under kill -9); this text only tells a waiter who holds it.
        os.ftruncate(fd, 0)
        started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
