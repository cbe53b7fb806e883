"""How current each source is: the latest period its processed rows cover, against the catalogue's limit."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import catalogue

# Period columns, most precise first, and how to turn a value into the last day it covers.
# (pandas is imported where a table is read: a build with nothing to do reuses the dates it found.)
PERIODS = {
    "date_end": lambda pd, v: pd.Timestamp(v),
    "date": lambda pd, v: pd.Timestamp(v),
    "month": lambda pd, v: pd.Timestamp(v) + pd.offsets.MonthEnd(0),
    "year": lambda pd, v: pd.Timestamp(year=int(v), month=12, day=31),
}


@dataclass(frozen=True)
class Currency:
    source: str
    covers_to: date | None
    max_age_days: int | None

    def age_days(self, today: date) -> int | None:
        return None if self.covers_to is None else (today - self.covers_to).days

    def is_stale(self, today: date) -> bool:
        return self.max_age_days is not None and self.covers_to is not None and \
            self.age_days(today) > self.max_age_days

    def message(self, today: date) -> str:
        return (f"{self.source}: the latest figures cover {self.covers_to:%d %B %Y}, {self.age_days(today)} days "
                f"ago; the catalogue allows {self.max_age_days}. Check {catalogue.get(self.source).page} for a "
                "newer release and update the catalogue entry.")


def currency(processed: Path) -> dict[str, Currency]:
    """For every source with rows in a processed table, the last day its rows cover."""
    import pandas as pd
    import pyarrow.parquet as pq

    ends = {}
    for path in sorted(processed.glob("*.parquet")):
        columns = pq.read_schema(path).names
        column = next((c for c in PERIODS if c in columns), None)
        if column is None or "source" not in columns:
            continue
        frame = pd.read_parquet(path, columns=[column, "source"]).dropna()
        for source, value in frame.groupby("source")[column].max().items():
            end = PERIODS[column](pd, value)
            ends[source] = max(ends.get(source, end), end)
    return {
        sid: Currency(sid, ends[sid].date() if sid in ends else None, s.max_age_days)
        for sid, s in catalogue.sources().items()
    }

