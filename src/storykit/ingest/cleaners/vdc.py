"""VDC casualties: named victims and government-side fatalities 2011-2012, and a daily count by governorate.

VDC documents named victims; its counts are floors, not estimates of the toll, and the daily file is a
third party's incomplete scrape. No open licence: publish aggregates only, with attribution.
"""

import re
import string
from datetime import date

import pandas as pd

from ...errors import DataError
from ...gazetteer import Gazetteer, UnknownPlaceError, is_no_place
from ..tables import PCODE, SOURCE, Field, Schema, today
from . import Inputs, cleaner, read_csv_text

VICTIMS = "vdc_victims_2011_2012"
ARMY = "vdc_army_deaths_2011_2012"
DAILY = "vdc_deaths_by_province_daily"

# VDC labels that name no governorate, beyond those storykit.gazetteer.is_no_place knows.
NO_PLACE = {"Other Nationalities"}
AGES = {"Adult", "Child"}
SEXES = {"Male", "Female"}
FIRST_DAY = date(2011, 1, 1)  # the files document the war from 2011 (docs/sources.md); an earlier date is a slip

RECORD_ID = Field("record_id", "integer", "row number VDC's export gave the record (its first, unnamed column)",
                  required=True)
PERSON = (
    Field("date", "date", "date of death", required=True, minimum=FIRST_DAY, maximum=today),
    PCODE,
    Field("province_raw", "string", "governorate as VDC wrote it; pcode is blank when it names no place "
          "(\"Other\", \"Unknown\", \"Other Nationalities\")"),
    Field("area", "string", "town or district as VDC wrote it"),
)
SEX_AGE = (
    Field("sex", "string", "Male or Female, from VDC's Sex field; a value naming neither sex nor age "
          "(such as Unknown) is kept, title-cased, in both sex and age_group"),
    Field("age_group", "string", "Adult or Child, from VDC's Sex field (\"Adult - Male\")"),
    Field("cause", "string", "cause of death as VDC wrote it"),
)

VICTIMS_SCHEMA = Schema(
    "victims",
    "Victims documented by VDC, March 2011 to November 2012 (names removed)",
    fields=(RECORD_ID, *PERSON,
            Field("status", "string", "Civilian or Non-Civilian, as VDC wrote it (title-cased)"),
            *SEX_AGE, SOURCE),
    primary_key=("record_id",),
    description="One row per victim record. Counts of named, documented victims: a floor, not the toll. "
                "The file's Province2 column (a third party's recoding, with mojibake) is not carried over.",
)

ARMY_SCHEMA = Schema(
    "army_deaths",
    "Government-side fatalities documented by VDC, 2011-2012",
    fields=(RECORD_ID, *PERSON,
            Field("rank", "string", "rank as VDC wrote it, title-cased (spelling slips kept)"),
            *SEX_AGE, SOURCE),
    primary_key=("record_id",),
    description="One row per record of a government-side fatality. The file's X column (an earlier row "
                "number) and Province2 (a third party's recoding) are not carried over.",
)

DAILY_SCHEMA = Schema(
    "deaths_daily",
    "Deaths by governorate by day, VDC via a third party's scrape (incomplete)",
    fields=(
        Field("date", "date", "day", required=True, minimum=FIRST_DAY, maximum=today),
        Field(PCODE.name, PCODE.type, PCODE.description, required=True, pattern=PCODE.pattern),
        Field("deaths", "integer", "deaths recorded that day", required=True, minimum=0),
        SOURCE,
    ),
    primary_key=("date", "pcode"),
    description="Wide file turned long: one row per day in the file and governorate, zeros kept. Days the "
                "file lacks are absent, not zero. The scrape is incomplete: use it for the shape over time "
                "and cross-checks, never as a toll.",
)


def read_export(path, columns: list[str]) -> pd.DataFrame:
    """A VDC export: every value read as text, stripped of its leading space; blanks become missing."""
    raw = read_csv_text(path, columns)
    raw = raw.rename(columns={raw.columns[0]: "record_id"})
    return raw.apply(lambda c: c.str.strip().replace("", pd.NA))


def parse_dates(values: pd.Series, path, column: str) -> pd.Series:
    dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    bad = dates.isna()
    if bad.any():
        row = bad.idxmax()
        raise DataError(f"{path}: column {column!r} has {bad.sum()} values that are not YYYY-MM-DD dates, "
                        f"first on line {row + 2}: {values[row]!r}. Fix or remove those rows upstream.")
    return dates


def to_pcodes(names: pd.Series, gaz: Gazetteer, path, column: str) -> pd.Series:
    """Governorate P-codes for a column of names; no-place values ("Other") get none."""
    places = [n for n in names.dropna().unique() if not (is_no_place(n) or n in NO_PLACE)]
    try:
        codes = dict(zip(places, gaz.to_pcode(places, level=1)))
    except UnknownPlaceError as e:
        raise DataError(f"{path}, column {column!r}: {e}") from None
    return names.map(codes)


def split_sex(values: pd.Series, path) -> pd.DataFrame:
    """VDC's Sex mixes age and sex ("Adult - Male"): split it into sex and age_group."""
    split = {}
    for value in values.dropna().unique():
        parts = [p.title() for p in re.split(r"\s*-\s*", value.strip())]
        if len(parts) == 2 and (parts[0] in AGES or parts[1] in SEXES):  # "Adult - Unknown" kept as given
            split[value] = (parts[1], parts[0])
        elif len(parts) == 1 and parts[0] in SEXES:
            split[value] = (parts[0], pd.NA)
        elif len(parts) == 1 and parts[0] in AGES:
            split[value] = (pd.NA, parts[0])
        elif len(parts) == 1:  # "Unknown" and the like: says nothing of either, so both keep it
            split[value] = (parts[0], parts[0])
        else:
            raise DataError(f"{path}: column 'Sex' holds {value!r}, which is not 'Age - Sex' with age "
                            f"{' or '.join(sorted(AGES))} and sex {' or '.join(sorted(SEXES))}. "
                            "Teach storykit.ingest.cleaners.vdc.split_sex the new form.")
    pairs = values.map(split)
    return pd.DataFrame({"sex": pairs.str[0], "age_group": pairs.str[1]}, index=values.index)


def person_records(raw: pd.DataFrame, gaz: Gazetteer, path, source: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "record_id": raw["record_id"],
        "date": parse_dates(raw["Date.of.death"], path, "Date.of.death"),
        "pcode": to_pcodes(raw["Province"], gaz, path, "Province"),
        "province_raw": raw["Province"],
        "area": raw["Area"],
        "cause": raw["Cause.of.death"],
        "source": source,
    })
    return out.join(split_sex(raw["Sex"], path))


@cleaner(sources=(VICTIMS,), outputs=(VICTIMS_SCHEMA,), needs=("gazetteer",))
def clean_vdc_victims(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw(VICTIMS)
    raw = read_export(path, ["Status", "Sex", "Province", "Area", "Date.of.death", "Cause.of.death"])
    out = person_records(raw, Gazetteer.load(inputs.processed("gazetteer")), path, VICTIMS)
    out["status"] = raw["Status"].str.title()
    return {"victims": out}


@cleaner(sources=(ARMY,), outputs=(ARMY_SCHEMA,), needs=("gazetteer",))
def clean_vdc_army(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw(ARMY)
    raw = read_export(path, ["Rank", "Sex", "Province", "Area", "Date.of.death", "Cause.of.death"])
    out = person_records(raw, Gazetteer.load(inputs.processed("gazetteer")), path, ARMY)
    # Capitalised words merge "Sergeant major" with "Sergeant Major"; misspellings are left as written.
    out["rank"] = raw["Rank"].map(string.capwords, na_action="ignore")
    return {"army_deaths": out}


@cleaner(sources=(DAILY,), outputs=(DAILY_SCHEMA,), needs=("gazetteer",))
def clean_vdc_daily(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw(DAILY)
    wide = read_csv_text(path)
    wide = wide.rename(columns=str.strip).apply(lambda c: c.str.strip())
    if "day" not in wide.columns:
        raise DataError(f"{path}: no 'day' column; found {', '.join(wide.columns)}.")
    wide["day"] = parse_dates(wide["day"], path, "day")
    governorates = [c for c in wide.columns if c != "day"]

    gaz = Gazetteer.load(inputs.processed("gazetteer"))
    try:
        codes = gaz.to_pcode(governorates, level=1)
    except UnknownPlaceError as e:
        raise DataError(f"{path}, column names: {e}") from None
    if len(set(codes)) < len(codes):
        twice = [f"{g} ({c})" for g, c in zip(governorates, codes) if codes.count(c) > 1]
        raise DataError(f"{path}: several columns name the same governorate: {', '.join(twice)}. "
                        "Decide which to keep before cleaning.")

    long = wide.melt(id_vars="day", var_name="column", value_name="text")
    counts = pd.to_numeric(long["text"], errors="coerce")
    bad = counts.isna() | (counts % 1 != 0) | (counts < 0)
    if bad.any():
        first = long[bad].iloc[0]
        raise DataError(f"{path}: {bad.sum()} cells are not whole, non-negative numbers of deaths, first "
                        f"on {first['day']:%Y-%m-%d} in column {first['column']!r}: {first['text']!r}. "
                        "Correct the file, or find out what the value means, before cleaning.")
    long = pd.DataFrame({"date": long["day"], "pcode": long["column"].map(dict(zip(governorates, codes))),
                         "deaths": counts.astype("int64"), "source": DAILY})
    return {"deaths_daily": long.sort_values(["date", "pcode"])}
