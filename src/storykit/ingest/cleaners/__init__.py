"""The cleaners: each reads raw sources and returns tidy tables that match its declared schemas.

A cleaner is a function registered with `@cleaner(sources=..., outputs=...)`. It receives the
paths of its raw files and returns {resource name: DataFrame}; `storykit.ingest.process` types, checks
and writes what it returns, and records where it came from in datapackage.json.
"""

import codecs
import csv
import difflib
import importlib
import io
import pkgutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio.errors
import pyreadr
from openpyxl.utils.exceptions import InvalidFileException

from ... import catalogue
from ...errors import DataError
from ..tables import Schema


@dataclass(frozen=True)
class Cleaner:
    name: str
    sources: tuple[str, ...]
    outputs: tuple[Schema, ...]
    needs: tuple[str, ...]  # processed resources it reads, made by other cleaners
    run: Callable[["Inputs"], dict[str, pd.DataFrame]]


@dataclass(frozen=True)
class Inputs:
    raw_root: Path
    processed_root: Path

    def raw(self, source_id: str, member: str | None = None) -> Path:
        return catalogue.get(source_id).local_path(member, self.raw_root)

    def processed(self, name: str) -> Path:
        matches = sorted(self.processed_root.glob(f"{name}.*"))
        return matches[0]


REGISTRY: dict[str, Cleaner] = {}


def cleaner(*, sources: tuple[str, ...], outputs: tuple[Schema, ...], needs: tuple[str, ...] = ()):
    def register(func):
        REGISTRY[func.__name__.removeprefix("clean_")] = Cleaner(
            func.__name__.removeprefix("clean_"), tuple(sources), tuple(outputs), tuple(needs), func
        )
        return func

    return register


def all_cleaners() -> list[Cleaner]:
    """Every cleaner, in an order where each runs after those whose outputs it needs."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    made_by = {s.name: c.name for c in REGISTRY.values() for s in c.outputs}
    ordered: list[Cleaner] = []
    pending = dict(REGISTRY)
    while pending:
        ready = [c for c in pending.values() if all(made_by.get(n) in {o.name for o in ordered} for n in c.needs)]
        if not ready:
            raise RuntimeError(f"cleaners wait on each other: {sorted(pending)}")
        for c in sorted(ready, key=lambda c: c.name):
            ordered.append(pending.pop(c.name))
    return ordered


# What the reader libraries raise for a file they cannot make sense of (KeyError: a zip that is no workbook).
UNREADABLE = (pyreadr.custom_errors.PyreadrError, pyreadr.custom_errors.LibrdataError, zipfile.BadZipFile,
              InvalidFileException, KeyError, EOFError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
              pd.errors.ParserError)
KINDS = {".rda": "an R data file", ".xlsx": "an Excel workbook", ".shp": "a shapefile", ".csv": "a CSV file"}
HEADER_SEARCH = 10  # how many lines to look through for a header that has moved down
RENAMED_CUTOFF = 0.85  # difflib: 'Value'/'Values' 0.91 is a rename; 'Date.of.death'/'Cause.of.death' 0.81 is not


def read_raw(path: Path, reader: Callable, **options):
    """`reader(path, **options)` for a raw file, with a missing, empty or unreadable file reported by name.

    Reader libraries say "Unable to read from file" or "File is not a zip file" without saying which file:
    their complaint becomes a DataError naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: the file is missing. Run `storykit fetch` first.")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes). Run `storykit fetch` to download it again.")
    try:
        return reader(path, **options)
    except UNREADABLE as e:
        raise DataError(
            f"{path}: cannot be read as {KINDS.get(path.suffix.lower(), 'a data file')} "
            f"({type(e).__name__}: {str(e).strip() or 'no detail'}). It is damaged, cut short or not the file the "
            "catalogue names: run `storykit fetch`, which replaces a copy that fails its SHA-256 check."
        ) from None


def read_rda(path: Path, name: str, columns=()) -> pd.DataFrame:
    """The R object `name` of an .rda file, with the `columns` it must have."""
    objects = read_raw(path, pyreadr.read_r)
    if name not in objects:
        raise DataError(f"{path}: no R object called {name!r} (found {', '.join(objects) or 'none'}). "
                        "Check the file is the one the catalogue names.")
    require_columns(objects[name], columns, f"{path}, R object {name!r}")
    return objects[name].reset_index(drop=True)


def require_columns(frame: pd.DataFrame, columns, where) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: no column {', '.join(missing)}; found {', '.join(map(str, frame.columns))}.")


def read_csv_text(path: Path, columns: list[str] = ()) -> pd.DataFrame:
    """A raw CSV file with every cell as text ('' when blank), once it is known to be whole and readable.

    It must be UTF-8 (a UTF-8 byte-order mark is allowed: it changes no text), have at least one row, as
    many fields on every line as in the header (a short last line is a file cut short), no column name
    twice, and the named `columns`.
    """
    data = read_raw(path, Path.read_bytes)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{path}: the file is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8. "
                        "Save it again as UTF-8 (in Excel: CSV UTF-8).")
    if (nul := data.find(bytes(1))) >= 0:
        raise DataError(f"{path}: line {_line_of(data, nul)} holds NUL bytes, which UTF-8 text "
                        "never has: the file is probably UTF-16 without a byte-order mark. Save it again as UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        at = e.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        line = data[data.rfind(b"\n", 0, at) + 1:].split(b"\n", 1)[0].decode("utf-8", "replace")
        raise DataError(
            f"{path}: line {_line_of(data, at)} is not UTF-8 text: byte {data[at]:#04x} in {line!r}. The file "
            "is probably Latin-1 or Windows-1252; save it again as UTF-8."
        ) from None

    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((r for r in records if r), None)  # blank lines before it are skipped, as pandas does
        if header is None:
            raise DataError(f"{path}: the file holds only blank lines. Run `storykit fetch` to download it again.")
        twice = sorted({c for c in header if header.count(c) > 1})
        if twice:
            raise DataError(f"{path}: the header names the column(s) {', '.join(map(repr, twice))} more than once.")
        missing = [c for c in columns if c not in header]
        if missing:
            hint = _header_hint(text, columns, missing, header, records.line_num)
            raise DataError(f"{path}: no column {', '.join(map(repr, missing))} in the header (line "
                            f"{records.line_num}: {', '.join(map(repr, header))}).{hint}")
        rows = 0
        for record in records:
            if not record:
                continue  # a blank line
            rows += 1
            if len(record) != len(header):
                last = not text.endswith(("\n", "\r")) and next(records, None) is None
                raise DataError(
                    f"{path}: line {records.line_num} has {len(record)} fields but the header has {len(header)}: "
                    f"{','.join(record)[:120]!r}."
                    + (" It is the last line and has no line break: the file was cut short. Run `storykit fetch`."
                       if last else " Check the file's separators and quotes.")
                )
    except csv.Error as e:
        raise DataError(f"{path}: line {records.line_num} is not valid CSV ({e}); the file may be cut short "
                        "inside a quoted value.") from None
    if not rows:
        raise DataError(f"{path}: the file has a header but no rows. Run `storykit fetch` to download it again.")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _line_of(data: bytes, at: int) -> int:
    return data.count(b"\n", 0, at) + 1


def _header_hint(text: str, columns, missing, header, header_line: int) -> str:
    """Where the wanted columns are, if the header has moved down a few lines, or what they may now be called."""
    lines = csv.reader(io.StringIO(text, newline=""))
    for record in lines:
        if lines.line_num > HEADER_SEARCH:
            break
        if lines.line_num > header_line and set(columns) <= set(record):
            return f" Line {lines.line_num} holds them: the header has moved down; remove the lines above it."
    renamed = [f"{c!r} renamed {close[0]!r}" for c in missing
               if (close := difflib.get_close_matches(c, header, n=1, cutoff=RENAMED_CUTOFF))]
    return f" Was {' and '.join(renamed)}?" if renamed else ""
