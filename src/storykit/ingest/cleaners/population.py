"""Syria's population before the war: the base for "half the population displaced".

Gapminder's extract as the plotly package ships it gives a country's population every five years,
1952 to 2007; its last year, 2007, is the latest count before the war it has.
"""

import pandas as pd

from ...errors import DataError
from ..tables import SOURCE, Field, Schema
from . import Inputs, cleaner, read_raw
from .unhcr import SYRIA, counts

GAPMINDER = "gapminder_population"

POPULATION = Schema(
    "population",
    "Syria's population, every five years from 1952 to 2007 (Gapminder)",
    fields=(
        Field("year", "integer", "the year of the estimate", required=True, minimum=1952, maximum=2007),
        Field("population", "integer", "people living in Syria, Gapminder's estimate", required=True, minimum=1),
        SOURCE,
    ),
    primary_key=("year",),
    description=(
        "Gapminder's population estimates for Syria as the plotly package ships them (gapminder.csv.gz, "
        "rows with iso_alpha SYR). 2007 is the last year the extract has: a pre-war base four years "
        "before the war, when Syria's population was still growing."
    ),
)


def read_gapminder(path) -> pd.DataFrame:
    return read_raw(path, pd.read_csv, compression="gzip", dtype=str, keep_default_na=False)


@cleaner(sources=(GAPMINDER,), outputs=(POPULATION,))
def clean_population(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw(GAPMINDER)
    frame = read_gapminder(path)
    missing = {"iso_alpha", "year", "pop"} - set(frame.columns)
    if missing:
        raise DataError(f"{path}: no column {', '.join(sorted(missing))}; is this the file the catalogue names?")
    rows = frame[frame["iso_alpha"].str.strip() == SYRIA]
    if rows.empty:
        raise DataError(f"{path}: no rows for Syria (iso_alpha {SYRIA}); is this the file the catalogue names?")
    return {"population": pd.DataFrame({
        "year": counts(rows["year"], str(path), "year"),
        "population": counts(rows["pop"], str(path), "pop"),
        "source": GAPMINDER,
    })}
