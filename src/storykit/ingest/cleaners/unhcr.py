"""UNHCR and IDMC: Syrian refugees abroad, asylum applications, and IDPs inside Syria.

UNHCR names countries its own way and has changed the spelling over the years; its R package
gives both name and ISO3 code (coa_name, coa_iso), so the other UNHCR files are coded through
those pairs plus the short alias table below. UNHCR's three-letter codes (coa, coo) are not ISO.
"""

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from ...errors import DataError
from ...gazetteer import Gazetteer, UnknownPlaceError, is_no_place
from ..tables import PCODE, SOURCE, Field, Schema, this_year, today
from . import Inputs, cleaner, read_csv_text, read_rda

SYRIA = "SYR"

# Names the HDX and popstats exports spell differently from unhcr_population (coa_name).
ALIASES = {
    "Curaçao": "Curacao",
    "Côte d'Ivoire": "Cote d'Ivoire",
    "Czech Rep.": "Czechia",
    "Netherlands": "Netherlands (Kingdom of the)",
    "Serbia and Kosovo (S/RES/1244 (1999))": "Serbia and Kosovo: S/RES/1244 (1999)",
    "The former Yugoslav Rep. of Macedonia": "North Macedonia",
    "The former Yugoslav Republic of Macedonia": "North Macedonia",
    "Turkey": "Türkiye",
    "United Kingdom": "United Kingdom of Great Britain and Northern Ireland",
    # The US reports asylum claims by two authorities: affirmative claims (INS, later DHS) and
    # claims made in removal proceedings before the immigration courts (EOIR). UNHCR adds them.
    "USA (EOIR)": "United States of America",
    "USA (INS/DHS)": "United States of America",
    "Various/Unknown": "Unknown",  # UNHCR codes an unknown country of asylum UNK
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

ISO3 = dict(pattern=r"[A-Z]{3}", required=True)
FIRST_YEAR = 1951  # UNHCR's statistics begin with its founding (docs/sources.md, unhcr_population: 1951-2025)
YEAR = Field("year", "integer", "calendar year; stocks are at the end of the year", required=True,
             minimum=FIRST_YEAR, maximum=this_year)
COUNTRY = (
    Field("asylum_iso3", "string", "ISO3 code of the country of asylum (UNK: unknown, UNHCR's code)", **ISO3),
    Field("asylum_name", "string", "country of asylum, as unhcr_population names it", required=True),
    Field("reported_as", "string", "country of asylum as the raw file spells it", required=True),
)

REFUGEES = Schema(
    "refugees",
    "Refugees and asylum seekers from Syria, by country of asylum and year",
    fields=(
        YEAR,
        Field("origin_iso3", "string", "ISO3 code of the country of origin (always SYR)", **ISO3),
        *COUNTRY,
        Field("refugees", "integer", "refugees incl. refugee-like situations; empty when not reported "
              "or suppressed (a count of 1-4)", minimum=0),
        Field("asylum_seekers", "integer", "asylum seekers with pending cases; empty when not reported "
              "or suppressed (a count of 1-4)", minimum=0),
        Field("returned_refugees", "integer", "refugees who returned to Syria from this country during the "
              "year (its first half, for a mid-year release); unhcr_population only, empty in the HDX rows",
              minimum=0),
        SOURCE,
    ),
    primary_key=("source", "year", "asylum_iso3"),
    description=(
        "Syrians abroad under UNHCR's mandate, one row per source, year and country of asylum. Two "
        "releases side by side: unhcr_population is UNHCR's current series; unhcr_hdx_origin_syr is an "
        "earlier revision (to 2017) as published on HDX, whose suppressed values ('*', 1 to 4 people) "
        "and blanks are empty here, never zero. Syria itself is not a country of asylum here: IDPs "
        "inside Syria are in idps_national."
    ),
)

APPLICATIONS = Schema(
    "asylum_applications",
    "Monthly asylum applications by Syrians, by country of asylum, 2011-2018",
    fields=(
        Field("month", "date", "first day of the month", required=True, minimum=date(FIRST_YEAR, 1, 1),
              maximum=today),
        *COUNTRY,
        Field("applications", "integer", "asylum applications lodged by Syrians; empty when suppressed "
              "(a count of 1-4)", minimum=0),
        SOURCE,
    ),
    primary_key=("month", "reported_as"),
    description=(
        "UNHCR's retired popstats database: asylum applications by Syrians per month and country. A "
        "month with no applications has no row (the export leaves it out); October 2018, the last "
        "month, has rows for fewer countries than the months before it. The United States appear "
        "twice, once per receiving authority (reported_as 'USA (EOIR)' and 'USA (INS/DHS)'); UNHCR's "
        "totals add the two."
    ),
)

IDPS_NATIONAL = Schema(
    "idps_national",
    "People internally displaced inside Syria, by year and source",
    fields=(YEAR, Field("idps", "integer", "internally displaced people at the end of the year",
                        required=True, minimum=0),
            Field("returned_idps", "integer", "displaced people who returned to their areas during the year "
                  "(its first half, for a mid-year release); UNHCR only, empty for IDMC", minimum=0), SOURCE),
    primary_key=("source", "year"),
    description=(
        "The stock of IDPs in Syria at the end of each year, as two organisations count it: UNHCR "
        "(unhcr_population, from 2012) and IDMC (idmc_idps, from 2009). They differ by design; show "
        "whose figure is whose."
    ),
)

BY_GOVERNORATE = (  # the key of UNHCR's tables by governorate, and the place as it names it
    YEAR,
    replace(PCODE, required=True),
    Field("reported_as", "string", "the location as UNHCR names it", required=True),
)

IDPS_GOVERNORATE = Schema(
    "idps_by_governorate",
    "People internally displaced inside Syria, by governorate and year (UNHCR)",
    fields=(
        *BY_GOVERNORATE,
        Field("idps", "integer", "internally displaced people at the end of the year, by the "
              "governorate where they live now", required=True, minimum=0),
        SOURCE,
    ),
    primary_key=("year", "pcode"),
    description=(
        "UNHCR's IDPs in Syria by governorate of current residence, 2014 onwards; each year sums to "
        "UNHCR's national figure in idps_national. 2012 and 2013 are national only ('Dispersed in "
        "the country / territory') and are not here. A governorate with no row in a year has no "
        "figure that year (Raqqa in 2015), not zero."
    ),
)

IDP_RETURNS_GOVERNORATE = Schema(
    "idp_returns_by_governorate",
    "Displaced people who returned to their areas, by governorate and year (UNHCR)",
    fields=(
        *BY_GOVERNORATE,
        Field("returned_idps", "integer", "displaced people who returned during the year (its first half, "
              "for a mid-year release), by the governorate they returned to", required=True, minimum=0),
        SOURCE,
    ),
    primary_key=("year", "pcode"),
    description=(
        "UNHCR's returned IDPs (pop_type RDP) in Syria by governorate of return, for the years it gives "
        "them by governorate; each year sums to returned_idps in idps_national. Earlier years are national "
        "only ('Dispersed in the country / territory') and are not here."
    ),
)


@cleaner(sources=("unhcr_population", "unhcr_hdx_origin_syr"), outputs=(REFUGEES,))
def clean_refugees(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw("unhcr_population")
    population = read_population(path)
    abroad = select(population, (population.coo_iso == SYRIA) & (population.coa_iso != SYRIA), path,
                    "Syrians abroad")
    current = pd.DataFrame({
        "year": abroad.year,
        "origin_iso3": abroad.coo_iso,
        "asylum_iso3": abroad.coa_iso,
        "asylum_name": abroad.coa_name,
        "reported_as": abroad.coa_name,
        "refugees": abroad.refugees,
        "asylum_seekers": abroad.asylum_seekers,
        "returned_refugees": abroad.returned_refugees,
        "source": "unhcr_population",
    })
    hdx = read_hdx(inputs.raw("unhcr_hdx_origin_syr"), country_codes(population))
    return {"refugees": pd.concat([current, hdx], ignore_index=True)}


@cleaner(sources=("unhcr_asylum_monthly", "unhcr_population"), outputs=(APPLICATIONS,))
def clean_asylum_applications(inputs: Inputs) -> dict[str, pd.DataFrame]:
    codes = country_codes(read_population(inputs.raw("unhcr_population")))
    return {"asylum_applications": read_monthly(inputs.raw("unhcr_asylum_monthly"), codes)}


@cleaner(sources=("unhcr_population", "idmc_idps"), outputs=(IDPS_NATIONAL,))
def clean_idps_national(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw("unhcr_population")
    population = read_population(path)
    inside = select(population, (population.coo_iso == SYRIA) & (population.coa_iso == SYRIA), path,
                    "Syrians inside Syria")
    unhcr = inside.groupby("year", as_index=False)[["idps", "returned_idps"]].sum()
    # UNHCR counts no IDPs in Syria before 2012; its one earlier row (2006) records asylum
    # seekers and carries idps 0, which would read as "nobody displaced".
    unhcr = unhcr[unhcr.idps > 0].assign(source="unhcr_population")

    path = inputs.raw("idmc_idps")
    idmc = read_rda(path, "idmc", ["year", "coo_iso", "coa_iso", "total"])
    idmc = select(idmc, (idmc.coo_iso == SYRIA) & (idmc.coa_iso == SYRIA), path, "IDPs in Syria")
    idmc = pd.DataFrame({"year": idmc.year, "idps": idmc.total, "source": "idmc_idps"})
    return {"idps_national": pd.concat([unhcr, idmc], ignore_index=True)}


@cleaner(sources=("unhcr_demographics",), outputs=(IDPS_GOVERNORATE, IDP_RETURNS_GOVERNORATE), needs=("gazetteer",))
def clean_idps_by_governorate(inputs: Inputs) -> dict[str, pd.DataFrame]:
    """IDPs living in each governorate, and those who returned to it: one cleaner, so that a bad file
    leaves both tables as they were."""
    path = inputs.raw("unhcr_demographics")
    frame = read_rda(path, "demographics", ["year", "coo_iso", "coa_iso", "pop_type", "location", "total"])
    inside = (frame.coo_iso == SYRIA) & (frame.coa_iso == SYRIA)
    idps = select(frame, inside & (frame.pop_type == "IDP"), path, "IDPs in Syria")
    gaz = Gazetteer.load(inputs.processed("gazetteer"))
    returns = frame[inside & (frame.pop_type == "RDP")]  # none in a release: an empty table, the story says so
    return {"idps_by_governorate": idps_by_governorate(idps, gaz, str(path)),
            "idp_returns_by_governorate": idp_returns(returns, gaz, str(path))}


def idp_returns(rows: pd.DataFrame, gaz: Gazetteer, where: str) -> pd.DataFrame:
    """UNHCR's returned-IDP rows -> one row per year and governorate of return; the years UNHCR gives
    only as a national figure ("Dispersed ...") are left out, as for the IDPs."""
    return idps_by_governorate(rows, gaz, where).rename(columns={"idps": "returned_idps"})


# Up to 2023 "Aleppo : Mohafazah - Governorate", from 2024 "Aleppo [Admin 1]".
GOVERNORATE = re.compile(r"(?P<name>.+?)\s*(?::\s*Mohafazah - Governorate|\[Admin 1\])")


def idps_by_governorate(idps: pd.DataFrame, gaz: Gazetteer, where: str) -> pd.DataFrame:
    """UNHCR's Syrian IDP rows (year, location, total) -> one row per year and governorate."""
    national_only = idps.location.map(is_no_place).astype(bool)  # bool even with no rows, or it selects columns
    # A no-place row is a national figure; dropping it is only right where a year has nothing else.
    mixed = set(idps.year[national_only]) & set(idps.year[~national_only])
    if mixed:
        raise DataError(
            f"{where}: years {sorted(mixed)} have IDPs both by governorate and with no place "
            f"(e.g. 'Dispersed in the country / territory'); the governorate table would miss the "
            f"latter. Decide how to show them before cleaning."
        )
    idps = idps[~national_only]
    names = idps.location.str.fullmatch(GOVERNORATE.pattern)
    if not names.all():
        raise DataError(
            f"{where}: locations that name no governorate in either of UNHCR's schemes: "
            f"{sorted(idps.location[~names].unique())}. Extend GOVERNORATE in cleaners/unhcr.py."
        )
    places = sorted(idps.location.unique())
    try:
        pcodes = gaz.to_pcode([GOVERNORATE.fullmatch(p)["name"] for p in places], level=1)
    except UnknownPlaceError as e:
        raise DataError(f"{where}: {e}") from None
    out = pd.DataFrame({
        "year": idps.year,
        "pcode": idps.location.map(dict(zip(places, pcodes))),
        "reported_as": idps.location,
        "idps": idps.total,
        "source": "unhcr_demographics",
    })
    # Each governorate has one row a year in this release. Two would mean a split (urban/rural,
    # camps) or the two naming schemes overlapping, and only the first may be summed: stop here.
    twice = out[out.duplicated(["year", "pcode"], keep=False)]
    if len(twice):
        raise DataError(
            f"{where}: several IDP rows for one governorate and year: "
            f"{twice[['year', 'reported_as']].to_dict('records')}. Check whether they add up "
            f"(a split) or repeat each other (two names for one place) before cleaning."
        )
    return out


def read_population(path: Path) -> pd.DataFrame:
    return read_rda(path, "population", ["year", "coo_iso", "coa_name", "coa_iso", "refugees", "asylum_seekers",
                                         "returned_refugees", "idps", "returned_idps"])


def select(frame: pd.DataFrame, mask: pd.Series, path: Path, what: str) -> pd.DataFrame:
    if not mask.any():
        raise DataError(f"{path}: no rows of {what}; is this the release the catalogue names?")
    return frame[mask]


def country_codes(population: pd.DataFrame) -> dict[str, str]:
    """UNHCR's country names -> ISO3, from the (coa_name, coa_iso) pairs of unhcr_population."""
    pairs = population[["coa_name", "coa_iso"]].drop_duplicates()
    clash = pairs[pairs.coa_name.duplicated(keep=False)]
    if len(clash):
        raise DataError(f"unhcr_population: one name, several ISO3 codes: {clash.to_dict('records')}.")
    return dict(zip(pairs.coa_name, pairs.coa_iso))


def to_iso3(names: pd.Series, codes: dict[str, str], where: str) -> tuple[pd.Series, pd.Series]:
    """(ISO3 codes, unhcr_population names) for raw country names; unknown names are an error."""
    canonical = names.map(lambda n: ALIASES.get(n, n))
    unknown = sorted(names[~canonical.isin(codes.keys())].unique())
    if unknown:
        raise DataError(
            f"{where}: no ISO3 code for the countries {unknown}. Add each to ALIASES in "
            f"cleaners/unhcr.py, mapped to its name in unhcr_population (coa_name)."
        )
    return canonical.map(codes), canonical


def counts(values: pd.Series, where: str, column: str, missing: tuple[str, ...] = ("*", "")) -> pd.Series:
    """Whole numbers from text; `missing` values ('*' = suppressed 1-4, blank) become empty."""
    text = values.str.strip()
    numbers = pd.to_numeric(text.mask(text.isin(missing)), errors="coerce")
    bad = numbers.isna() & ~text.isin(missing) | (numbers % 1 > 0) | (numbers < 0)
    if bad.any():
        raise DataError(
            f"{where}: column {column!r} should hold counts, but line {bad.idxmax() + 2} has "
            f"{values[bad].iloc[0]!r} ({bad.sum()} such lines). Fix or report the file."
        )
    return numbers.astype("Int64")


def read_text_table(path: Path, columns: list[str]) -> pd.DataFrame:
    return read_csv_text(path, columns)


def read_hdx(path: Path, codes: dict[str, str]) -> pd.DataFrame:
    """The HDX 'persons of concern, origin Syria' CSV -> rows of the refugees table."""
    year, country, origin = "Year", "Country / territory of asylum/residence", "Origin"
    refugees, asylum = "Refugees (incl. refugee-like situations)", "Asylum-seekers (pending cases)"
    raw = read_text_table(path, [year, country, origin, refugees, asylum])
    # HDX files carry HXL hashtags (#date+year, ...) in their second line: a header, not data.
    if len(raw) and raw.iloc[0].str.startswith("#").all():
        raw = raw.iloc[1:]
    where = str(path)
    origin_iso3, _ = to_iso3(raw[origin], codes, where)
    if (origin_iso3 != SYRIA).any():
        raise DataError(f"{where}: origins other than Syria: {sorted(raw[origin][origin_iso3 != SYRIA].unique())}.")
    asylum_iso3, asylum_name = to_iso3(raw[country], codes, where)
    out = pd.DataFrame({
        "year": counts(raw[year], where, year, missing=()),
        "origin_iso3": origin_iso3,
        "asylum_iso3": asylum_iso3,
        "asylum_name": asylum_name,
        "reported_as": raw[country],
        "refugees": counts(raw[refugees], where, refugees),
        "asylum_seekers": counts(raw[asylum], where, asylum),
        "source": "unhcr_hdx_origin_syr",
    })
    # Syria as its own asylum country holds IDPs and stateless people: not refugees.
    out = out[out.asylum_iso3 != SYRIA]
    # This export gives Serbia and Kosovo (S/RES/1244) two rows under one name in some years;
    # UNHCR's current release has their sum (2014: 1 + 5 refugees = 6 in unhcr_population).
    # A suppressed part leaves the sum unknown, hence skipna=False.
    keys = ["year", "origin_iso3", "asylum_iso3", "asylum_name", "reported_as", "source"]
    summed = out.groupby(keys, as_index=False, sort=False)[["refugees", "asylum_seekers"]].agg(
        lambda s: s.sum(skipna=False)
    )
    return summed.assign(returned_refugees=pd.array([pd.NA] * len(summed), dtype="Int64"))  # not in this export


def read_monthly(path: Path, codes: dict[str, str]) -> pd.DataFrame:
    """The popstats export of monthly asylum applications -> rows of asylum_applications."""
    country, origin, year, month, value = ("Country / territory of asylum/residence", "Origin", "Year",
                                           "Month", "Value")
    raw = read_text_table(path, [country, origin, year, month, value])
    where = str(path)
    number = raw[month].str.strip().map({m: i for i, m in enumerate(MONTHS, start=1)})
    if number.isna().any():
        raise DataError(f"{where}: months that are not English month names: "
                        f"{sorted(raw[month][number.isna()].unique())}.")
    origin_iso3, _ = to_iso3(raw[origin], codes, where)
    if (origin_iso3 != SYRIA).any():
        raise DataError(f"{where}: origins other than Syria: {sorted(raw[origin][origin_iso3 != SYRIA].unique())}.")
    asylum_iso3, asylum_name = to_iso3(raw[country], codes, where)
    years = counts(raw[year], where, year, missing=())
    return pd.DataFrame({
        "month": pd.to_datetime(pd.DataFrame({"year": years, "month": number, "day": 1})),
        "asylum_iso3": asylum_iso3,
        "asylum_name": asylum_name,
        "reported_as": raw[country],
        "applications": counts(raw[value], where, value),
        "source": "unhcr_asylum_monthly",
    })
