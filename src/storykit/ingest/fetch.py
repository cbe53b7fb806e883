"""Download raw files into data/raw/, each checked against its catalogue SHA-256 before it is kept.

A file is written to a temporary name beside its final place and renamed only once every member of
its source has arrived with the right hash, so data/raw/ never holds a partial or unchecked file.
"""

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from importlib import metadata
from pathlib import Path

import httpx

from .. import catalogue
from ..errors import FetchError
from ..atomic import READABLE

CHUNK = 1 << 16
ATTEMPTS = 3
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def mirror_base() -> str | None:
    return os.environ.get("STORYKIT_MIRROR") or None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_present(source: catalogue.Source, root: Path) -> bool:
    return all(
        (p := source.local_path(f.name, root)).is_file() and p.stat().st_size == f.bytes and file_sha256(p) == f.sha256
        for f in source.files
    )


def fetch(ids: list[str] | None = None, root: Path | None = None, mirror: str | None = None, progress=None) -> list[str]:
    """Fetch the named sources (all when none are named); returns the ids actually downloaded."""
    from ..paths import raw_dir

    root = root or raw_dir()
    mirror = mirror if mirror is not None else mirror_base()
    chosen = [catalogue.get(i) for i in ids] if ids else list(catalogue.sources().values())
    fetched = []
    with _client() as client, ExitStack() as stack:
        bar = progress or stack.enter_context(_progress())
        for source in chosen:
            if is_present(source, root):
                continue
            _fetch_source(source, root, mirror, client, bar)
            fetched.append(source.id)
    return fetched


def _fetch_source(source, root: Path, mirror, client, bar) -> None:
    folder = root / source.id
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for f in source.files:
            tmp = Path(tempfile.mkstemp(dir=folder, prefix=f".{f.name}.", suffix=".part")[1])
            staged.append((tmp, source.local_path(f.name, root)))
            _copy_checked(source, f, _location(f, mirror), tmp, client, bar)
        for tmp, final in staged:
            os.chmod(tmp, READABLE)
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            folder.rmdir()


def _location(f: catalogue.RawFile, mirror: str | None) -> str:
    if f.package:  # the copy the installed package ships, whatever the mirror
        return str(_shipped(f))
    if not mirror:
        return f.url
    if mirror.startswith(("http://", "https://")):
        return mirror.rstrip("/") + "/" + f.path
    return str(Path(mirror) / f.path)


def _shipped(f: catalogue.RawFile) -> Path:
    """Where the installed package `f.package` keeps the file; refused unless it is the version the catalogue pins."""
    try:
        installed = metadata.version(f.package)
        spec = importlib.util.find_spec(f.package)
    except (metadata.PackageNotFoundError, ModuleNotFoundError):
        installed, spec = None, None
    if spec is None or installed != f.version:
        raise FetchError(
            f"{f.name} comes with the Python package {f.package} {f.version}, and "
            + (f"{f.package} {installed} is installed" if installed else f"{f.package} is not installed")
            + f": install the pinned one (pip install {f.package}=={f.version}, or `make setup`), or review the file "
            "a newer version ships and update the catalogue entry.")
    return Path(spec.origin).parent / f.path


def _copy_checked(source, f, location: str, tmp: Path, client, bar) -> None:
    if location.startswith(("http://", "https://")):
        _download(source, f, location, tmp, client, bar)
    else:
        if not Path(location).is_file():
            raise FetchError(
                f"Source {source.id}: {location} does not exist. Check that STORYKIT_MIRROR points at the "
                "mirror folder (laid out as OWNER/REPO/COMMIT/PATH), or unset it to download from the web."
            )
        shutil.copyfile(location, tmp)
    actual = file_sha256(tmp)
    if actual != f.sha256:
        raise FetchError(
            f"Source {source.id}: {f.name} from {location} does not match the catalogue.\n"
            f"  expected SHA-256 {f.sha256}\n  actual SHA-256   {actual}\n"
            "Nothing was kept. The file at that address has changed or is damaged: fetch it from "
            "another mirror, or, if the publisher really released new figures, review them and update "
            "the catalogue entry."
        )


def _download(source, f, url: str, tmp: Path, client, bar) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _stream(client, url, tmp, f, bar)
            size = tmp.stat().st_size
            if size == f.bytes or attempt == ATTEMPTS:
                return  # a wrong size on the last try is reported by the hash check
            raise httpx.ReadError(f"received {size:,} of {f.bytes:,} bytes")
        except httpx.HTTPStatusError as e:
            status = e.response.status_code
            if status < 500 or attempt == ATTEMPTS:
                raise FetchError(
                    f"Source {source.id}: the server answered {status} for {url}. "
                    + ("The file is not there: check the mirror's layout or the catalogue path." if status == 404
                       else "Try again later, or use another mirror (STORYKIT_MIRROR).")
                ) from None
        except httpx.TransportError as e:
            if attempt == ATTEMPTS:
                raise FetchError(
                    f"Source {source.id}: could not download {url} after {ATTEMPTS} attempts ({e or type(e).__name__}). "
                    "Check the network or the mirror, then run `storykit fetch` again."
                ) from None
        time.sleep(0.5 * 2 ** (attempt - 1))


def _stream(client, url: str, tmp: Path, f, bar) -> None:
    task = bar.add_task(f.name, total=f.bytes) if bar else None
    try:
        with client.stream("GET", url) as response, tmp.open("wb") as out:
            response.raise_for_status()
            for block in response.iter_bytes(CHUNK):
                out.write(block)
                if bar:
                    bar.advance(task, len(block))
    finally:
        if bar:
            bar.remove_task(task)


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": "storykit-fetch"})


def _progress():
    """A progress bar on a terminal; nothing when run unattended."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext(None)
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), transient=True)
