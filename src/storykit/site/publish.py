"""The published site changes in one step, and only to a site that passed its checks.

`reports` is a symbolic link to one complete version of the site, `.site/<id>/`. A build makes a new
version that starts as hard links to the current one (pages it does not rebuild stay as they are),
replaces files in it (a new file each time, never one rewritten in place, so the live version is
never touched), checks it as a whole, records its manifest as `.site/<id>.json`, and switches
`reports` to it by renaming a new link over the old one. rename(2) is atomic: a reader, or a build
killed at any moment, finds the old site or the new one, never a mix. The previous version stays
(a request in flight can finish; `ln -sfn` can roll back); older ones are removed.

A lock (storykit.atomic.locked, on build/build.lock) lets one build at a time do any of this.
"""

import ctypes
import errno
import json
import os
import shutil
from pathlib import Path

from ..atomic import write_text

STORE = ".site"
TEMP_LINK = ".reports-"  # prefix of a link (or a replaced folder) on its way in (or out)


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
