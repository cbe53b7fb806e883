"""The published site changes in one step, and only to a site that passed its checks.

`reports` is a symbolic link to one complete version of the site, `.site/<id>/`. A build makes a new
version that starts as hard links to the current one (pages it does not rebuild stay as they are),
replaces files in it (a new file each time, never one rewritten in place, so the live version is
never touched), checks it as a whole, records its manifest as `.site/<id>.json`, and switches
`reports` to it by renaming a new link over the old one. rename(2) is atomic: a reader, or a build
killed at any moment, finds the old site or the new one, never a mix. The previous version stays
(a request in flight can finish; `ln -sfn` can roll back); older ones are removed.

A lock (flock on build/build.lock) lets one build at a time do any of this.
"""

import ctypes
import errno
import fcntl
import json
import os
import shutil
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import StorykitError
from .atomic import write_text

STORE = ".site"
TEMP_LINK = ".reports-"  # prefix of a link (or a replaced folder) on its way in (or out)


@contextmanager
def locked(path: Path, wait: float, log=print):
    """Hold an exclusive lock on `path`, waiting at most `wait` seconds for another holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another build"
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorykitError(
                        f"Another build is running ({holder}); "
                        + (f"it was still running after {wait:.0f} s of waiting. " if wait else "")
                        + "Nothing was changed. Try again when it has finished"
                        + (", or wait longer with --wait SECONDS." if wait else ", or wait for it with --wait SECONDS.")
                    ) from None
                if not told:
                    log(f"waiting for the build already running ({holder}), for up to {wait:.0f} s")
                    told = True
                time.sleep(min(1.0, left))
        # The lock dies with its holder (even under kill -9); this text only tells a waiter who holds it.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {_stamp()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class Site:
    """The versions of the site under `root`; call its methods while holding the build lock."""

    def __init__(self, root: Path, name: str = "reports"):
        root = root.resolve()
        self.root, self.link, self.store = root, root / name, root / STORE

    def current(self) -> Path | None:
        """The folder readers see now: a version, a plain folder (before versions), or none."""
        if self.link.is_symlink():
            target = self.link.resolve()
            return target if target.is_dir() else None
        return self.link if self.link.is_dir() else None

    def manifest(self, legacy: Path | None = None) -> dict:
        """What the current version published ({page: entry}); `legacy` is read for a plain folder."""
        current = self.current()
        path = self.store / f"{current.name}.json" if current and current.parent == self.store else legacy
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path else {}
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def recover(self, log=print) -> None:
        """Clear what a killed build left behind, and re-link `reports` if a build died while moving it."""
        for leftover in self.root.glob(TEMP_LINK + "*"):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink()
            else:
                shutil.rmtree(leftover, ignore_errors=True)
        if self.current() is None and (committed := self._committed()):
            log(f"reports/ was missing; linking it to the last complete version, {committed[-1].name}")
            self._switch(committed[-1])
        self.prune()

    def begin(self, name: str, keep: set[str] | None = None) -> Path:
        """A new version: hard links to every file of the current one (only `keep` from a plain folder)."""
        self.store.mkdir(exist_ok=True)
        new = self.store / name
        current = self.current()
        if current is None:
            new.mkdir()
        elif current.parent == self.store or keep is None:
            shutil.copytree(current, new, copy_function=_link_or_copy)
        else:  # a plain folder (from git, or from before versions): take only the site's own files
            new.mkdir()
            for path in current.rglob("*"):
                rel = path.relative_to(current).as_posix()
                if path.is_file() and (rel in keep or rel.startswith("assets/")):
                    (new / rel).parent.mkdir(parents=True, exist_ok=True)
                    _link_or_copy(path, new / rel)
        os.chmod(new, 0o755)
        return new

    def commit(self, version: Path, manifest: dict) -> None:
        """Record the version's manifest, then make it the published site in one rename."""
        write_text(json.dumps(manifest, indent=1, ensure_ascii=False), self.store / f"{version.name}.json")
        os.sync()  # the version's files reach the disk before the link names them (a power cut, not only kill -9)
        self._switch(version)
        self.prune()

    def discard(self, version: Path) -> None:
        shutil.rmtree(version, ignore_errors=True)

    def prune(self) -> None:
        """Keep the current version and the one before it; remove the rest, and unfinished versions."""
        current, committed = self.current(), [v.name for v in self._committed()]
        keep = set()
        if current is not None and current.parent == self.store:
            keep.add(current.name)
            committed = [name for name in committed if name < current.name]
        keep.update(committed[-1:])
        for path in list(self.store.iterdir()) if self.store.is_dir() else []:
            if path.name.removesuffix(".json") not in keep:
                path.unlink() if path.is_file() or path.is_symlink() else shutil.rmtree(path, ignore_errors=True)

    def _committed(self) -> list[Path]:
        if not self.store.is_dir():
            return []
        return sorted(p for p in self.store.iterdir() if p.is_dir() and (self.store / f"{p.name}.json").is_file())

    def _switch(self, version: Path) -> None:
        temp = self.root / f"{TEMP_LINK}{version.name}"
        temp.unlink(missing_ok=True)
        os.symlink(f"{STORE}/{version.name}", temp)  # relative: the project folder may move
        if self.link.is_symlink() or not os.path.lexists(self.link):
            os.replace(temp, self.link)
            return
        # `reports` is still a plain folder: a link cannot be renamed over a folder, but the two can
        # be exchanged in one step; the old folder, now under the temporary name, is then removed.
        try:
            _exchange(temp, self.link)
        except OSError as e:  # no renameat2 here: two renames, and `recover` finishes if killed between
            if e.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
                raise
            os.rename(self.link, self.root / f"{TEMP_LINK}old-{version.name}")
            os.replace(temp, self.link)
            temp = self.root / f"{TEMP_LINK}old-{version.name}"
        shutil.rmtree(temp, ignore_errors=True)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or no hard links there
        shutil.copy2(src, dst)


def _exchange(a: Path, b: Path) -> None:
    """renameat2(RENAME_EXCHANGE): swap two names atomically (Linux 3.15+, glibc 2.28+)."""
    libc = ctypes.CDLL(None, use_errno=True)
    rename = getattr(libc, "renameat2", None)
    if rename is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    at_fdcwd, exchange = -100, 2
    if rename(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), exchange) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


# --- the check a version passes before it is published ------------------------------------------

class _Parts(HTMLParser):
    """What a page is made of: its charts (figure, plot, data), its marked figures, its local references."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures, self.plots, self.data, self.facts, self.refs = 0, [], set(), [], []
        self._fact: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "figure" and "sk-chart" in classes:
            self.figures += 1
        elif tag == "div" and "sk-plot" in classes:
            self.plots.append(a.get("id"))
        elif tag == "script" and a.get("type") == "application/json":
            self.data.add(a.get("id"))
        elif tag == "span" and "fact" in classes:
            self._fact = []
        for name in ("src", "href"):
            if a.get(name):
                self.refs.append(a[name])

    def handle_data(self, data):
        if self._fact is not None:
            self._fact.append(data)

    def handle_endtag(self, tag):
        if tag == "span" and self._fact is not None:
            self.facts.append("".join(self._fact))
            self._fact = None


def check_page(html: str, rel: str, folder: Path, entry: dict | None = None, coming: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with the page `rel` of the version in `folder`: an incomplete file, a file it
    loads or links that is not there (or in `coming`), and (given its manifest entry) a chart or
    traced figure that differs from what the notebook recorded."""
    problems = []
    if not (html.startswith("<!doctype html>") and html.rstrip().endswith("</html>") and "</main>" in html):
        problems.append(f"{rel} is not a complete page")
    parts = _Parts()
    parts.feed(html)
    parts.close()
    base = (folder / rel).parent
    for ref in dict.fromkeys(parts.refs):
        target = urlsplit(ref)
        if target.scheme or target.netloc or not target.path:
            continue  # a link out of the site (a publisher's page), a data: URI, or #a-place on the page
        path = (base / unquote(target.path)).resolve()
        inside = path.is_relative_to(folder.resolve()) and path.relative_to(folder.resolve()).as_posix()
        if not inside or not (path.is_file() or inside in coming):
            problems.append(f"{rel} refers to {ref}, which is not in the site")
    if entry is not None:
        drawn = [p for p in parts.plots if f"{p}-json" in parts.data]
        if not parts.figures == len(drawn) == entry.get("charts", 0):
            problems.append(f"{rel} has {len(drawn)} complete chart(s) of the {entry.get('charts', 0)} its notebook "
                            "showed")
        changed = sorted(set(parts.facts) - {f["text"] for f in entry.get("facts", [])})
        if changed:
            problems.append(f"{rel} shows figure(s) {', '.join(changed)} that its notebook did not record")
    return problems


def check_version(folder: Path, pages: list[str]) -> list[str]:
    """Problems of the version as a whole: every page there and complete, nothing else but assets."""
    problems = []
    expected = set(pages) | {"index.html"}
    for rel in sorted(expected):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
            continue
        problems += check_page(path.read_text(encoding="utf-8"), rel, folder)
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in expected and not (rel.startswith("assets/") and not path.name.startswith(".")):
            problems.append(f"{rel} is not part of the site (a leftover file)")
    return problems
