"""Files written atomically: a reader sees the old file or the new one, never part of one.

Kept apart from storykit.tables (which needs pandas) so that commands with nothing to do, such as
a build with no page to make, start quickly.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

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
