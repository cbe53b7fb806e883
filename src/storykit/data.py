"""What notebooks read: the processed tables, by name, with the sources they came from.

Notebooks never read raw files or paths of their own; a missing table says how to make it.
Each call records what it served (storykit.notebook.reads), even from the cache: a build makes a page again
only when something it read has changed.
"""

import json
from functools import cache
from pathlib import Path

import pandas as pd

from .notebook import reads
from .errors import StorykitError, did_you_mean
from .paths import processed_dir


def table(name: str) -> pd.DataFrame:
    """A processed table as a DataFrame (a copy: notebooks may change it freely)."""
    return _read(name, _stamp(name)).copy()


def provinces() -> dict:
    """The governorates layer as GeoJSON (pcode, name_en, name_ar in each feature's properties)."""
    return json.loads(_path("provinces", "geojson").read_text(encoding="utf-8"))


def place_names() -> dict[str, str]:
    """Each governorate's English name (OCHA's) and its Arabic, from the layer: read once per version of
    the file, and recorded as read by every page that asks."""
    path = _path("provinces", "geojson")
    return dict(_names(str(path), path.stat().st_mtime_ns))


@cache
def _names(path: str, mtime_ns: int) -> dict[str, str]:
    layer = json.loads(Path(path).read_text(encoding="utf-8"))
    return {f["properties"]["name_en"]: f["properties"]["name_ar"] for f in layer["features"]}


def sources(name: str) -> tuple[str, ...]:
    """The catalogue ids a processed table was made from, as datapackage.json records them."""
    path = _path("datapackage", "json", record=False)
    with reads.reading(f"resource:{name}", path):  # this table's entry, not the whole file
        package = json.loads(path.read_text(encoding="utf-8"))
    for resource in package["resources"]:
        if resource["name"] == name:
            return tuple(dict.fromkeys(s["id"] for s in resource["sources"]))
    raise StorykitError(f"datapackage.json describes no table called {name!r}.")


def _path(name: str, suffix: str, record: bool = True) -> Path:
    path = processed_dir() / f"{name}.{suffix}"
    if record:
        reads.record_file(path)
    if not path.is_file():
        known = _tables()
        if known and name not in known:  # a misspelling, not a table still to be made
            raise StorykitError(f"There is no table called {name!r}.{did_you_mean(name, known)} "
                                f"The tables are: {', '.join(known)}.")
        raise StorykitError(
            f"The processed table {name!r} is missing ({path.name} in {path.parent}). "
            "Run `make report` (or `storykit fetch` then `storykit process`) to make it."
        )
    return path


def _tables() -> list[str]:
    """The tables datapackage.json describes (none if it is not there yet)."""
    try:
        package = json.loads((processed_dir() / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [r["name"] for r in package.get("resources", [])]


def _stamp(name: str) -> tuple[str, float]:
    path = _path(name, "parquet")
    return str(path), path.stat().st_mtime


@cache
def _read(name: str, stamp: tuple[str, float]) -> pd.DataFrame:
    # cached per file version: a kernel reused for several pages reads each table once
    return pd.read_parquet(stamp[0])
