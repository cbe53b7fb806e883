"""Table schemas, their checks, and atomic writing of processed tables.

One schema serves three purposes: it types and checks a cleaner's output, it is written into
datapackage.json in Frictionless form, and the Frictionless validator checks the files against it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ..atomic import atomic_path
from ..errors import DataError

DTYPES = {"integer": "Int64", "number": "Float64", "string": "string", "boolean": "boolean"}

Bound = float | date | Callable[[], float | date] | None


def this_year() -> int:
    """A bound for year fields: figures are never for a year still to come."""
    return date.today().year


def today() -> date:
    """A bound for date fields: nothing is recorded on a day still to come."""
    return date.today()


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Frictionless type: integer, number, string, date, boolean
    description: str = ""
    required: bool = False
    minimum: Bound = None  # a number, or a date for date fields; a callable is asked when checking
    maximum: Bound = None
    pattern: str | None = None
    enum: tuple | None = None

    def bounds(self) -> tuple:
        return tuple(b() if callable(b) else b for b in (self.minimum, self.maximum))

    def frictionless(self) -> dict:
        low, high = (b.isoformat() if isinstance(b, date) else b for b in self.bounds())
        constraints = {
            k: v
            for k, v in {"required": self.required or None, "minimum": low, "maximum": high,
                         "pattern": self.pattern, "enum": list(self.enum) if self.enum else None}.items()
            if v is not None
        }
        return {"name": self.name, "type": self.type, "description": self.description} | (
            {"constraints": constraints} if constraints else {}
        )


@dataclass(frozen=True)
class Schema:
    name: str
    title: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def frictionless(self) -> dict:
        schema = {"fields": [f.frictionless() for f in self.fields]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        return schema


PCODE = Field("pcode", "string", "OCHA P-code of the governorate (SY01..SY14)", pattern=r"SY(0[1-9]|1[0-4])")
SOURCE = Field("source", "string", "catalogue id of the raw source", required=True)


def conform(frame: pd.DataFrame, schema: Schema, where: str) -> pd.DataFrame:
    """Return the frame with exactly the schema's columns, typed, after checking every constraint.

    `where` names the raw file the rows came from, so an error can point at it.
    """
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: the cleaner for {schema.name} produced no column {', '.join(missing)}.")
    out = pd.DataFrame({f.name: _typed(frame[f.name], f, schema.name, where) for f in schema.fields})
    keys = out[list(schema.primary_key)] if schema.primary_key else None
    for f in schema.fields:
        _check(out[f.name], f, schema.name, where, keys)
    if schema.primary_key:
        dupes = out[out.duplicated(list(schema.primary_key), keep=False)]
        if len(dupes):
            row = dupes.iloc[0]
            key = ", ".join(f"{k}={row[k]}" for k in schema.primary_key)
            raise DataError(
                f"{where}: {len(dupes)} rows of {schema.name} share a key ({key}); each "
                f"({', '.join(schema.primary_key)}) must appear once. Check the raw file for repeated rows."
            )
    return out.reset_index(drop=True)


def _typed(column: pd.Series, f: Field, table: str, where: str) -> pd.Series:
    try:
        if f.type == "date":
            return pd.to_datetime(column, errors="raise").dt.date.astype(object)
        if f.type in ("integer", "number"):
            numeric = pd.to_numeric(column, errors="raise")
            if f.type == "integer" and ((numeric.dropna() % 1) != 0).any():
                bad = numeric[(numeric % 1) != 0].dropna()
                raise ValueError(f"{bad.iloc[0]!r} is not a whole number")
            return numeric.astype(DTYPES[f.type])
        return column.astype(DTYPES[f.type])
    except (ValueError, TypeError) as e:
        raise DataError(f"{where}: column {f.name!r} of {table} should hold {f.type} values: {e}.") from None


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _check(column: pd.Series, f: Field, table: str, where: str, keys: pd.DataFrame | None = None) -> None:
    def fail(mask, what):
        at = int(mask.to_numpy(dtype=bool).argmax())  # by position: a cleaner's index may repeat labels
        key = "" if keys is None else " (" + ", ".join(f"{k}={_show(v)}" for k, v in keys.iloc[at].items()) + ")"
        raise DataError(
            f"{where}: column {f.name!r} of {table} {what} in {mask.sum()} rows, "
            f"first at row {column.index[at]}{key}: {_show(column.iloc[at])}."
        )

    if f.required and column.isna().any():
        fail(column.isna(), "is empty")
    present = column.dropna()
    low, high = f.bounds()
    if low is not None and (bad := present < low).any():
        fail(bad.reindex(column.index, fill_value=False), f"is below {_show(low)}")
    if high is not None and (bad := present > high).any():
        fail(bad.reindex(column.index, fill_value=False), f"is above {_show(high)}")
    if f.pattern and (bad := ~present.astype(str).str.fullmatch(f.pattern)).any():
        fail(bad.reindex(column.index, fill_value=False), f"does not match {f.pattern}")
    if f.enum and (bad := ~present.isin(f.enum)).any():
        fail(bad.reindex(column.index, fill_value=False), f"is not one of {', '.join(map(str, f.enum))}")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
