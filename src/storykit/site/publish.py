"""The published site changes in one step, and only to a site that passed its checks.

`reports` is a symbolic link to one complete version of the site, `.site/<id>/`. A build makes a new
version that starts as hard links to the current one (pages it does not rebuild stay as they are),
replaces files in it (a new file each time, never one rewritten in place, so the live version is
never touched), checks it as a whole, records its manifest as `.site/<id>.json`, and switches
`reports` to it by renaming a new link over the old one. rename(2) is atomic: a reader, or a build
killed at any moment, finds the old site or the new one, never a mix. The versions before it stay,
`keep` in all (`keep_versions` in reports.toml): a request in flight can finish, and `storykit
rollback` can publish the one before again, by the same rename. Older ones are removed, and so is a
version a rollback left, at the next build (a rollback leaves it for the requests in flight).

A lock (storykit.atomic.locked, on build/build.lock) lets one build at a time do any of this.
"""

import ctypes
import errno
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ..atomic import write_text
from ..errors import StorykitError

STORE = ".site"
TEMP_LINK = ".reports-"  # prefix of a link (or a replaced folder) on its way in (or out)
VERSION_FORMAT = "%Y%m%d-%H%M%S-%f"  # a version's name: when its build began, in UTC; sorts as time does


def version_name(built: datetime) -> str:
    return f"{built.astimezone(timezone.utc):{VERSION_FORMAT}}"


def version_time(version: Path) -> datetime:
    """When the version's build began: read from its name, else (a name of another form) when it was
    committed, its manifest's time."""
    try:
        return datetime.strptime(version.name, VERSION_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        manifest = version.parent / f"{version.name}.json"
        return datetime.fromtimestamp(manifest.stat().st_mtime, timezone.utc)


class Site:
    """The versions of the site under `root`; call its methods while holding the build lock."""

    def __init__(self, root: Path, name: str = "reports", keep: int = 2):
        """`keep`: the committed versions kept, the current one and keep-1 before it (at least 1)."""
        if keep < 1:
            raise ValueError(f"keep={keep!r}: a site keeps at least the version online")
        root = root.resolve()
        self.root, self.link, self.store, self.keep = root, root / name, root / STORE, keep

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

    def begin(self, name: str, keep: set[str] | None = None, start: Path | None = None) -> Path:
        """A new version: hard links to every file of the current one, or of `start` (another site's
        version: a trial starts from the published site); only `keep` from a plain folder."""
        self.store.mkdir(parents=True, exist_ok=True)
        new = self.store / name
        current = start or self.current()
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

    def version(self) -> Path | None:
        """The committed version readers see now, or None (no site yet, or a plain folder)."""
        current = self.current()
        return current if current is not None and current.parent == self.store else None

    def rollback(self, before_switch=None) -> Path:
        """Publish again the committed version before the current one, in one rename; returns it.

        The version left stays until the next build prunes it (a request in flight may be reading it).
        Its manifest, `.site/<id>.json`, comes back with it: the next build makes again the pages
        whose inputs changed since, and the index (its state names the version it was made for)."""
        current = self.version()
        if current is None:
            raise StorykitError(f"{self.link.name}/ is not a version of the site made by `storykit build`, so "
                                "there is no earlier version to go back to. Build the site first.")
        before = [v for v in self._committed() if v.name < current.name]
        if not before:
            raise StorykitError(
                f"There is no earlier version of the site to go back to: {STORE}/ holds none older than the one "
                "online. A build keeps the versions before it (keep_versions in reports.toml); roll back after "
                "the next build, or fix the notebook and build again.")
        if before_switch is not None:  # the log of changes (storykit.site.changes), in the version going back online
            before_switch(current, before[-1])
        self._switch(before[-1])
        return before[-1]

    def prune(self) -> None:
        """Keep the current version and the keep-1 committed before it; remove the rest: older ones,
        newer ones a rollback left, and unfinished versions."""
        current, committed = self.version(), [v.name for v in self._committed()]
        keep = set()
        if current is not None:
            keep.add(current.name)
            committed = [name for name in committed if name < current.name]
        keep.update(committed[max(0, len(committed) - (self.keep - 1)):])
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
