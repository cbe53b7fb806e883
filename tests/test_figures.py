"""A second, independent computation of every headline figure and of every figure in a story page's
summary (its standfirst), made from the raw files as downloaded, and compared with the value the
real site's manifest records for that fact.

Independent means: the raw files are read here with plain pandas, pyreadr and pyogrio/geopandas,
and each figure is recomputed from the definition the page gives in words (its prose, notes and
the docstrings of the story functions its notebook calls), never through storykit's cleaners,
processed tables or story helpers. storykit is imported only to find the raw files (its
catalogue). The questions a page asks (the cease-fire date and window, the groups the truce left
out by UCDP actor name, the years and how many places it ranks) are taken from the notebook's
`parameters` cell, with the overrides the build applied; no expected number is typed here.

Facts are matched by page and `what` (not by position). A fact the test expects must exist, and a
summary fact must be one of the figures marked in the page's summary_html, so a renamed or dropped
fact fails rather than silently skipping; a new summary or headline figure with no second
computation here fails too (test_every_summary_and_headline_figure_is_covered).

A figure whose second computation disagrees with the page is kept, marked xfail(strict=True) with
the reason (DISAGREES below): the test is never weakened to match.
"""

import ast
import calendar
import json
import re
import tomllib
from dataclasses import dataclass
from html import escape
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyreadr
import pytest

from storykit import catalogue  # only to find the raw files

REPO = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((REPO / "reports.toml").read_text(encoding="utf-8"))
GOVERNORATE_PAGES = {  # page -> P-code, as reports.toml fans the governorate notebook out
    f"{r['fan_out']['folder']}/{slug}.html": pcode
    for r in CONFIG["reports"] if "fan_out" in r for slug, pcode in r["fan_out"]["pages"].items()
}

SYRIA_ISO3 = "SYR"
SYRIA_GWCODE = 652  # Gleditsch-Ward code of Syria in UCDP's country-year table

# --- definitions the pages state in words ------------------------------------------------------
# truce: "Events known to a week or better are placed on the first day of their range. Events dated
# only to a longer range ... are left out of every count on this page"; a range of N days runs from
# date_start to date_end inclusive.
WEEK_DAYS = 7
# GED's where_prec 6: only the country is known (the point is its centroid); such events, and the
# one whose coordinates are named after the country, are placed in no governorate. Events without
# a UCDP governorate (adm_1) are placed by their point only when it stands for a place, a district
# or a governorate (where_prec 1-4); where_prec 5 is a point standing for an area spanning
# governorates (a road, a region), which places nothing; a point in no polygon places nothing either.
# An event UCDP gives a governorate (adm_1) is placed there whatever its where_prec, as the story
# functions and the conflict_events schema define it (where_prec 5 events with an adm_1 are mostly
# parts of one governorate: "Northern Homs Governorate", "IS enclave" in Deir ez Zor).
COUNTRY_ONLY_PREC = 6
# UCDP's governorate names (adm_1, without " Governorate") -> OCHA P-codes. Checked against the
# map below: each name's exactly located events fall mostly inside the polygon named here.
UCDP_ADM1 = {
    "Damascus": "SY01", "Aleppo": "SY02", "Rif Dimashq": "SY03", "Homs": "SY04", "Hamah": "SY05",
    "Latakia": "SY06", "Idlib": "SY07", "Al Hasakah": "SY08", "Deir ez Zor": "SY09", "Tartus": "SY10",
    "Ar Raqqah": "SY11", "Daraa": "SY12", "As Suwayda": "SY13", "Quneitra": "SY14",
}
# VDC's Province spellings (SOURCES.md: "Damascus Suburbs", "Deir Ezzor", "Hasakeh", "Sweida", ...)
# -> OCHA P-codes; "Other" names no governorate. Every value in the file must be one of these.
VDC_PROVINCES = {
    "Damascus": "SY01", "Aleppo": "SY02", "Damascus Suburbs": "SY03", "Homs": "SY04", "Hama": "SY05",
    "Lattakia": "SY06", "Idlib": "SY07", "Hasakeh": "SY08", "Deir Ezzor": "SY09", "Tartous": "SY10",
    "Raqqa": "SY11", "Daraa": "SY12", "Sweida": "SY13", "Quneitra": "SY14",
}
VDC_NO_PLACE = {"Other"}
# UNHCR's governorate names in its scheme up to 2023 ("Aleppo : Mohafazah - Governorate") -> OCHA's
# English names (NAME_EN); from 2024 ("Aleppo [Admin 1]") UNHCR writes OCHA's names themselves.
UNHCR_OLD_NAMES = {
    "Damascus": "Damascus", "Aleppo": "Aleppo", "Rural Damascus": "Rural Damascus", "Homs": "Homs",
    "Hama": "Hama", "Lattakia": "Lattakia", "Idleb": "Idleb", "Hassakeh": "Al-Hasakeh",
    "Dayr Az-Zor": "Deir-ez-Zor", "Tartous": "Tartous", "Raqqa": "Ar-Raqqa", "Dara": "Dar'a",
    "As-Suweida": "As-Sweida", "Al Qunaytirah": "Quneitra",
}
# The United States report asylum applications through two authorities; UNHCR adds them (the
# refugees page says so) and names the country as in its population table.
US_PARTS, US_NAME = {"USA (EOIR)", "USA (INS/DHS)"}, "United States of America"


def date_text(day) -> str:
    """'30 December 2016', as the pages write a date."""
    return f"{day.day} {day:%B %Y}"


# --- the raw files, each read once --------------------------------------------------------------


def raw(raw_root: Path, source_id: str, member: str | None = None) -> Path:
    return catalogue.get(source_id).local_path(member, raw_root)


def read_rda(path: Path, name: str) -> pd.DataFrame:
    return pyreadr.read_r(path)[name]


@pytest.fixture(scope="module")
def manifest(real_site) -> dict:
    version = (real_site / "reports").resolve().name
    return json.loads((real_site / ".site" / f"{version}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def governorates(raw_root) -> gpd.GeoDataFrame:
    """OCHA's 2016 governorates (PCODE, NAME_EN, geometry), as in the raw shapefile."""
    return gpd.read_file(raw(raw_root, "ocha_admin1_2016", "syr_admin1.shp"))[["PCODE", "NAME_EN", "geometry"]]


@pytest.fixture(scope="module")
def names(governorates) -> dict[str, str]:
    return dict(zip(governorates["PCODE"], governorates["NAME_EN"]))


@pytest.fixture(scope="module")
def ged(raw_root, governorates) -> pd.DataFrame:
    """UCDP GED events, with the governorate each is placed in (`pcode`, empty when none)."""
    ev = read_rda(raw(raw_root, "ucdp_ged_syria_2016_2019"), "ucdp_syria_df").reset_index(drop=True)
    ev["start"], ev["end"] = pd.to_datetime(ev["date_start"]), pd.to_datetime(ev["date_end"])
    adm1 = ev["adm_1"].str.strip().str.removesuffix(" Governorate").replace("", pd.NA)
    unknown = set(adm1.dropna()) - set(UCDP_ADM1)
    assert not unknown, f"UCDP adm_1 names with no P-code here: {sorted(unknown)}"
    ev["adm1_pcode"] = adm1.map(UCDP_ADM1)
    has_point = ev["latitude"].notna() & ev["longitude"].notna()
    xy = gpd.points_from_xy(ev.loc[has_point, "longitude"], ev.loc[has_point, "latitude"])
    points = gpd.GeoDataFrame(geometry=xy, index=ev.index[has_point], crs="EPSG:4326")
    inside = gpd.sjoin(points, governorates.to_crs("EPSG:4326"), how="inner", predicate="within")
    inside = inside[~inside.index.duplicated(keep=False)]
    ev["point_pcode"] = inside["PCODE"].reindex(ev.index)

    country_only = (ev["where_prec"] >= COUNTRY_ONLY_PREC) | (ev["where_coordinates"].str.strip() == ev["country"])
    # A blank adm_1 stays unplaced: UCDP located the event to no single governorate.
    ev["pcode"] = ev["adm1_pcode"]
    ev.loc[country_only, "pcode"] = pd.NA
    return ev


@pytest.fixture(scope="module")
def brds(raw_root) -> pd.DataFrame:
    frame = read_rda(raw(raw_root, "ucdp_country_year"), "ucdpbrds")
    return frame[frame["gwcode"] == SYRIA_GWCODE].astype({"year": int})


@pytest.fixture(scope="module")
def vdc(raw_root) -> pd.DataFrame:
    frame = pd.read_csv(raw(raw_root, "vdc_victims_2011_2012"), dtype=str, keep_default_na=False)
    frame = frame.apply(lambda c: c.str.strip())
    unknown = set(frame["Province"]) - set(VDC_PROVINCES) - VDC_NO_PLACE
    assert not unknown, f"VDC Province values with no P-code here: {sorted(unknown)}"
    frame["pcode"] = frame["Province"].map(VDC_PROVINCES)
    frame["date"] = pd.to_datetime(frame["Date.of.death"], format="%Y-%m-%d")
    return frame


@pytest.fixture(scope="module")
def population(raw_root) -> pd.DataFrame:
    frame = read_rda(raw(raw_root, "unhcr_population"), "population")
    return frame.astype({"year": int})


@pytest.fixture(scope="module")
def latest_full_year(population) -> int:
    """The last year of end-of-year stocks. The pinned {refugees} release is UNHCR's Mid-Year Trends
    2025 (June 2025): its last year holds mid-year figures, so the last end-of-year is the one before."""
    return int(population["year"].max()) - 1


@pytest.fixture(scope="module")
def unhcr_idps(population) -> pd.Series:
    """UNHCR's IDPs in Syria by year: the rows with origin and asylum both Syria (SOURCES.md)."""
    inside = population[(population["coo_iso"] == SYRIA_ISO3) & (population["coa_iso"] == SYRIA_ISO3)]
    return inside.groupby("year")["idps"].sum()


@pytest.fixture(scope="module")
def idps_by_governorate(raw_root, names) -> pd.DataFrame:
    """UNHCR's Syrian IDPs by governorate of residence: year, pcode, idps."""
    frame = read_rda(raw(raw_root, "unhcr_demographics"), "demographics")
    rows = frame[(frame["coo_iso"] == SYRIA_ISO3) & (frame["coa_iso"] == SYRIA_ISO3) & (frame["pop_type"] == "IDP")]
    rows = rows[rows["location"] != "Dispersed in the country / territory"]  # national-only years (2012, 2013)
    location = rows["location"].str.strip()
    new = location.str.removesuffix("[Admin 1]").str.strip().where(location.str.endswith("[Admin 1]"))
    old = location.str.extract(r"^(.+?)\s*:\s*Mohafazah - Governorate$")[0].map(UNHCR_OLD_NAMES)
    name = new.fillna(old)
    assert name.notna().all(), f"UNHCR locations named no governorate: {sorted(location[name.isna()].unique())}"
    pcode = {n: p for p, n in names.items()}
    assert set(name) <= set(pcode), f"not OCHA names: {sorted(set(name) - set(pcode))}"
    out = pd.DataFrame({"year": rows["year"].astype(int), "pcode": name.map(pcode), "idps": rows["total"]})
    assert not out.duplicated(["year", "pcode"]).any(), "two IDP rows for one governorate and year"
    return out


@pytest.fixture(scope="module")
def idmc(raw_root) -> pd.Series:
    frame = read_rda(raw(raw_root, "idmc_idps"), "idmc")
    inside = frame[(frame["coo_iso"] == SYRIA_ISO3) & (frame["coa_iso"] == SYRIA_ISO3)]
    return inside.astype({"year": int}).set_index("year")["total"]


@pytest.fixture(scope="module")
def applications(raw_root) -> pd.DataFrame:
    """Monthly asylum applications by Syrians: country, year, applications ('*', 1 to 4, is missing)."""
    frame = pd.read_csv(raw(raw_root, "unhcr_asylum_monthly"), dtype=str, keep_default_na=False)
    frame = frame.apply(lambda c: c.str.strip())
    assert set(frame["Origin"]) == {"Syrian Arab Rep."}
    country = frame["Country / territory of asylum/residence"]
    return pd.DataFrame({
        "country": country.where(~country.isin(US_PARTS), US_NAME),
        "year": frame["Year"].astype(int),
        "applications": pd.to_numeric(frame["Value"].replace("*", None)),
    })


@pytest.fixture(scope="module")
def movements(raw_root) -> pd.DataFrame:
    """ISIMM's summary sheet, long: month, governorate, movements (blank cells left out)."""
    grid = pd.read_excel(raw(raw_root, "ocha_idp_movements"), sheet_name="IDPFlow_Summarysince2016", header=None)
    head = next(r for r in range(len(grid)) if (grid.iloc[r].astype(str).str.strip() == "Governorate").any())
    label = int((grid.iloc[head].astype(str).str.strip() == "Governorate").to_numpy().nonzero()[0][0])
    years = pd.to_numeric(grid.iloc[head - 1], errors="coerce").ffill()  # merged cells: a year spans its months
    month_names = {name: number for number, name in enumerate(calendar.month_name) if name}
    months = {c: pd.Timestamp(int(years[c]), month_names[str(grid.iat[head, c]).strip()], 1)
              for c in range(label + 1, grid.shape[1]) if str(grid.iat[head, c]).strip() in month_names}
    grand = next(r for r in range(head + 1, len(grid)) if str(grid.iat[r, label]).strip() == "Grand Total")
    body = grid.iloc[head + 1:grand]
    body = body[body[label].notna()]
    long = body.set_index(label)[list(months)].rename(columns=months).stack().rename("movements")
    long = long.rename_axis(["governorate", "month"]).reset_index()
    return long[long["movements"].notna()].astype({"movements": float})  # a blank cell reports nothing


# --- the page's questions: its notebook's parameters ------------------------------------------


def parameters(manifest: dict, page: str, notebook: str) -> dict:
    """The notebook's `parameters` cell, with the overrides the build recorded for the page."""
    cells = json.loads((REPO / "notebooks" / notebook).read_text(encoding="utf-8"))["cells"]
    cell = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse("".join(cell["source"])).body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    return values | manifest[page].get("parameters", {})


# --- the second computations, page by page ------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    what: str
    value: float | int


def truce(manifest, ged) -> dict[str, Expected]:
    p = parameters(manifest, "truce.html", "truce.ipynb")
    day0, days = pd.Timestamp(p["ceasefire"]), p["window_days"]
    first, last = day0 - pd.Timedelta(days=days), day0 + pd.Timedelta(days=days - 1)
    span = (ged["end"] - ged["start"]).dt.days + 1
    counted = ged[(span <= WEEK_DAYS) & ged["start"].between(first, last)]
    # dated only to a longer range, all of it inside the window: it could fall on either side
    loose = ged[(span > WEEK_DAYS) & (ged["start"] >= first) & (ged["end"] <= last)]
    after = counted["start"] >= day0  # an event that began before the cease-fire counts before
    excluded_names = {n for group in p["excluded_groups"].values() for n in group}

    def actors(side):
        return set() if pd.isna(side) else {n.strip() for n in str(side).split(",") if n.strip()}

    def involved(frame):
        return frame.apply(lambda e: bool((actors(e["side_a"]) | actors(e["side_b"])) & excluded_names), axis=1)

    inv, loose = involved(counted), loose[~involved(loose)]

    def deaths(mask):
        return int(counted.loc[mask, "best"].sum())

    rest_b, rest_a = deaths(~after & ~inv), deaths(after & ~inv)
    most_b = rest_b + loose.loc[loose["start"] < day0, "best"].sum()
    most_a = rest_a + loose.loc[loose["end"] >= day0, "best"].sum()
    changes = sorted(abs(c) for c in (rest_a / most_b - 1, most_a / rest_b - 1))
    rule = "events dated to within a week; UCDP GED best estimate"
    return {
        "days": Expected("days compared on each side of the cease-fire", days),
        "days_both": Expected("days in the window, both sides together", 2 * days),
        "after": Expected(f"deaths in organised violence in Syria, {date_text(day0)} to {date_text(last)} ({rule})",
                          deaths(after)),
        "before": Expected(f"deaths in organised violence in Syria, {date_text(first)} to the day before the "
                           f"cease-fire ({rule})", deaths(~after)),
        "excluded_before": Expected("deaths in fighting involving an excluded group, before",
                                    deaths(~after & inv)),
        "excluded_after": Expected("deaths in fighting involving an excluded group, after",
                                   deaths(after & inv)),
        "rest_before": Expected(f"deaths in all other organised violence, before ({rule})", rest_b),
        "rest_after": Expected(f"deaths in all other organised violence, after ({rule})", rest_a),
        "change_smallest": Expected("smallest change in those deaths, counting the loosely dated", changes[0]),
        "change_largest": Expected("largest change in those deaths, counting the loosely dated", changes[1]),
    }


def casualties(manifest, brds, vdc, ged) -> dict[str, Expected]:
    p = parameters(manifest, "casualties.html", "casualties.ipynb")
    last = int(brds["year"].max()) if p["last_year"] is None else int(p["last_year"])
    toll = brds[brds["year"].between(int(p["first_year"]), last)].set_index("year")["best"]
    worst = int(toll.idxmax())
    start, end = vdc["date"].min(), vdc["date"].max()
    years = f"{ged['start'].dt.year.min()}–{ged['start'].dt.year.max()}"
    return {
        "toll": Expected(f"battle deaths in Syria, {p['first_year']}–{last} "
                         "(UCDP, state-based conflict, best estimate)", int(toll.sum())),
        "deadliest_year": Expected(f"battle deaths in {worst}, the deadliest year", int(toll[worst])),
        "latest_year": Expected(f"battle deaths in {last}, the latest year", int(toll[last])),
        "year_before": Expected(f"battle deaths in {last - 1}", int(toll[last - 1])),
        "vdc_victims": Expected(f"named victims documented by VDC, {start:%B %Y} to {end:%B %Y}", len(vdc)),
        "ged_unplaced_share": Expected(f"share of deaths in UCDP events {years} placed in no governorate",
                                       ged.loc[ged["pcode"].isna(), "best"].sum() / ged["best"].sum()),
    }


def refugees(manifest, population, latest_full_year, applications) -> dict[str, Expected]:
    p = parameters(manifest, "refugees.html", "refugees.ipynb")
    # "refugees and people in refugee-like situations, without asylum seekers", Syrians abroad only
    abroad = population[(population["coo_iso"] == SYRIA_ISO3) & (population["coa_iso"] != SYRIA_ISO3)]
    by_year = abroad.groupby("year")["refugees"].sum()
    full, now = latest_full_year, latest_full_year + 1  # the last year holds mid-year figures (above)
    peak = int(by_year.loc[:full].idxmax())
    host = abroad[abroad["year"] == now].sort_values("refugees", ascending=False).iloc[0]
    wave = applications[applications["year"] == p["wave_year"]]
    per_country = wave.groupby("country")["applications"].sum().sort_values(ascending=False)
    return {
        "refugees_now": Expected(f"Syrian refugees abroad, mid-{now} (UNHCR)", int(by_year[now])),
        "refugees_latest": Expected(f"Syrian refugees abroad, end of {full} (UNHCR)", int(by_year[full])),
        "refugees_peak": Expected(f"Syrian refugees abroad at the peak, {peak} (UNHCR)", int(by_year[peak])),
        "top_host": Expected(f"Syrian refugees in {host['coa_name']}, mid-{now}", int(host["refugees"])),
        "applications_wave": Expected(f"asylum applications by Syrians, {p['wave_year']}",
                                      int(wave["applications"].sum())),
        "top_destination": Expected(f"asylum applications by Syrians in {per_country.index[0]}, {p['wave_year']}",
                                    int(per_country.iloc[0])),
    }


def returns(population, latest_full_year) -> dict[str, Expected]:
    """Refugees coming back (rows of Syrians abroad, by the country they came back from) and IDPs
    going home (the rows with origin and asylum both Syria), in UNHCR's returns columns."""
    syrians = population[population["coo_iso"] == SYRIA_ISO3]
    inside = syrians["coa_iso"] == SYRIA_ISO3
    refugees = syrians[~inside].groupby("year")["returned_refugees"].sum()
    idps = syrians[inside].groupby("year")["returned_idps"].sum()
    full, now = latest_full_year, latest_full_year + 1  # the last year is mid-year, up to June
    return {
        "refugees_now": Expected(f"refugees returning to Syria, {now}, to mid-year (UNHCR)", int(refugees[now])),
        "idps_now": Expected(f"displaced people returning to their areas, {now}, to mid-year (UNHCR)", int(idps[now])),
        "refugees_full": Expected(f"refugees returning to Syria, {full} (UNHCR)", int(refugees[full])),
        "idps_full": Expected(f"displaced people returning to their areas, {full} (UNHCR)", int(idps[full])),
    }


def claims(brds, population, unhcr_idps, raw_root) -> dict[str, Expected]:
    """The December 2016 claims set against the data: UCDP's battle deaths 2011-2016, UNHCR's refugees and
    IDPs at the end of 2016, and Gapminder's 2007 population as plotly ships it (gapminder.csv.gz)."""
    toll = int(brds[brds["year"].between(2011, 2016)]["best"].sum())
    abroad = population[(population["coo_iso"] == SYRIA_ISO3) & (population["coa_iso"] != SYRIA_ISO3)]
    refugees = int(abroad[abroad["year"] == 2016]["refugees"].sum())
    people = pd.read_csv(raw(raw_root, "gapminder_population"), compression="gzip")
    base = int(people[(people["iso_alpha"] == SYRIA_ISO3) & (people["year"] == 2007)]["pop"].iloc[0])
    return {
        "toll": Expected("battle deaths in Syria, 2011–2016 (UCDP)", toll),
        "refugees": Expected("Syrian refugees abroad, end of 2016 (UNHCR)", refugees),
        "share": Expected("refugees and IDPs, end of 2016, as a share of Syria's population in 2007",
                          (refugees + int(unhcr_idps[2016])) / base),
        "base": Expected("Syria's population, 2007 (Gapminder)", base),
    }


def displacement(manifest, unhcr_idps, idmc, latest_full_year, idps_by_governorate, names, movements):
    p = parameters(manifest, "displacement.html", "displacement.ipynb")
    full = latest_full_year
    end_of_year = unhcr_idps[(unhcr_idps.index <= full) & (unhcr_idps > 0)]
    peak = int(end_of_year.idxmax())
    in_year = idps_by_governorate[idps_by_governorate["year"] == p["year"]].sort_values("idps", ascending=False)
    months = movements["month"]
    out = {
        "idps_unhcr_now": Expected(f"people displaced inside Syria, mid-{full + 1} (UNHCR)", int(unhcr_idps[full + 1])),
        "idps_unhcr_latest": Expected(f"people displaced inside Syria, end of {full} (UNHCR)",
                                      int(unhcr_idps[full])),
        "idps_idmc_latest": Expected(f"people displaced inside Syria, end of {full} (IDMC)", int(idmc[full])),
        "idps_unhcr_peak": Expected(f"people displaced inside Syria at the peak, {peak} (UNHCR)",
                                    int(unhcr_idps[peak])),
        "movements": Expected(f"IDP movements recorded, {months.min():%B %Y} to {months.max():%B %Y}",
                              round(float(movements["movements"].sum()))),
    }
    for rank, row in enumerate(in_year.head(p["top_n"]).itertuples(), start=1):
        out[f"idps_rank{rank}"] = Expected(f"IDPs in {names[row.pcode]}, {p['year']}", int(row.idps))
    return out


def governorate(pcode, names, idps_by_governorate, unhcr_idps, ged, vdc) -> dict[str, Expected]:
    name = names[pcode]
    # The latest year UNHCR reports by governorate. In the pinned release that is the mid-year stock
    # of 2025 (its national sum equals population.rda's mid-2025 figure), named "mid-2025" on the page.
    last = int(idps_by_governorate["year"].max())
    mine = idps_by_governorate[idps_by_governorate["pcode"] == pcode].set_index("year")["idps"].dropna()
    assert last in mine.index, f"UNHCR has no IDP row for {name} in {last}"
    idps, prev = int(mine[last]), int(mine.index[mine.index < last].max())
    return {
        "idps": Expected(f"IDPs in {name}, mid-{last}", idps),
        # "of all IDPs in Syria on the same date": UNHCR's national figure for that year, from its population table
        "idps_share": Expected(f"{name}'s share of Syria's IDPs, mid-{last}", idps / unhcr_idps[last]),
        "idps_prev": Expected(f"IDPs in {name}, {prev}", int(mine[prev])),
        "ged_deaths": Expected(f"GED best deaths placed in {name}", int(ged.loc[ged["pcode"] == pcode, "best"].sum())),
        "vdc_victims": Expected(f"VDC victims recorded under {name}", int((vdc["pcode"] == pcode).sum())),
    }


@pytest.fixture(scope="module")
def expected(manifest, ged, brds, vdc, population, latest_full_year, applications, unhcr_idps, idmc,
             idps_by_governorate, names, movements, raw_root) -> dict[str, dict[str, Expected]]:
    out = {
        "truce.html": truce(manifest, ged),
        "casualties.html": casualties(manifest, brds, vdc, ged),
        "refugees.html": refugees(manifest, population, latest_full_year, applications),
        "returns.html": returns(population, latest_full_year),
        "claims.html": claims(brds, population, unhcr_idps, raw_root),
        "displacement.html": displacement(manifest, unhcr_idps, idmc, latest_full_year, idps_by_governorate, names,
                                          movements),
    }
    for page, pcode in GOVERNORATE_PAGES.items():
        out[page] = governorate(pcode, names, idps_by_governorate, unhcr_idps, ged, vdc)
    return out


# --- the tests ---------------------------------------------------------------------------------

STORY_FIGURES = {  # the figures of each page's summary (its standfirst)
    "truce.html": ("days", "rest_before", "rest_after", "days_both", "change_smallest", "change_largest"),
    "casualties.html": ("toll", "deadliest_year", "latest_year", "year_before"),
    "refugees.html": ("refugees_now", "refugees_latest", "refugees_peak", "top_host"),
    "displacement.html": ("idps_unhcr_now", "idps_unhcr_latest", "idps_unhcr_peak"),
    "returns.html": ("refugees_now", "idps_now", "refugees_full", "idps_full"),
    "claims.html": ("toll", "refugees", "share", "base"),
} | {page: ("idps", "idps_share", "idps_prev", "ged_deaths") for page in GOVERNORATE_PAGES}
BODY_FIGURES = {  # key figures the page gives below its summary: checked the same way
    "truce.html": ("after", "before", "excluded_before", "excluded_after"),
    "casualties.html": ("vdc_victims", "ged_unplaced_share"),
    "refugees.html": ("applications_wave", "top_destination"),
    "displacement.html": ("idps_idmc_latest", "idps_rank1", "idps_rank2", "idps_rank3", "movements"),
} | {page: ("vdc_victims",) for page in GOVERNORATE_PAGES}

# (page, figure) -> why the second computation disagrees with the page. Empty: none does.
DISAGREES: dict[tuple[str, str], str] = {}


def _params():
    for page in STORY_FIGURES:
        for key in STORY_FIGURES[page] + BODY_FIGURES.get(page, ()):
            reason = DISAGREES.get((page, key))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(page, key, marks=marks, id=f"{page.removesuffix('.html')}:{key}")


def in_summary(fact: dict, entry: dict) -> bool:
    return f'<span class="fact">{escape(fact["text"], quote=False)}</span>' in (entry.get("summary_html") or "")


@pytest.mark.parametrize(("page", "key"), list(_params()))
def test_summary_figure_matches_a_second_computation_from_the_raw_files(page, key, manifest, expected):
    assert page in manifest, f"the real site has no page {page}"
    entry, want = manifest[page], expected[page][key]
    found = [f for f in entry["facts"] if f["what"] == want.what]
    assert found, (f"{page}: no fact {want.what!r} (renamed, or the page now picks another year or place?). "
                   f"Its facts: {sorted({f['what'] for f in entry['facts']})}")
    if key in STORY_FIGURES[page]:
        assert any(in_summary(f, entry) for f in found), f"{page}: {want.what!r} is no longer in the page's summary"
    for f in found:
        why = f"{page}: {want.what!r} is {f['value']!r} on the page; {want.value!r} from the raw files"
        if isinstance(want.value, int):
            assert f["value"] == want.value, why
        else:
            assert f["value"] == pytest.approx(want.value, rel=1e-9), why


def test_every_summary_and_headline_figure_is_covered(manifest, expected):
    """No page, summary figure or headline figure goes without a second computation here."""
    assert set(manifest) == set(STORY_FIGURES), "pages were added or removed: give their figures a second computation"
    for page, entry in manifest.items():
        covered = {e.what for e in expected[page].values()}
        # a date or number written with noted() is no figure of the data: it carries its source instead
        texts = {f["text"] for f in entry["facts"] if f["what"] in covered or f.get("why")}
        marked = re.findall(r'<span class="fact">(.*?)</span>', entry.get("summary_html") or "")
        assert marked, f"{page}: the summary marks no figure"
        assert not set(marked) - {escape(t, quote=False) for t in texts}, \
            f"{page}: summary figures with no second computation: {sorted(set(marked) - texts)}"
        headlines = {f["what"] for f in entry["facts"] if f["headline"]}
        assert headlines <= covered, \
            f"{page}: headline figures with no second computation: {sorted(headlines - covered)}"


def test_place_lookups_agree_with_the_map(ged, governorates):
    """The UCDP governorate names here are the OCHA polygons their exactly located events fall in."""
    exact = ged[(ged["where_prec"] == 1) & ged["adm1_pcode"].notna() & ged["point_pcode"].notna()]
    majority = exact.groupby("adm1_pcode")["point_pcode"].agg(lambda s: s.value_counts().index[0])
    assert (majority == majority.index).all(), majority[majority != majority.index].to_dict()
    assert set(majority.index) == set(governorates["PCODE"])
    assert set(VDC_PROVINCES.values()) == set(governorates["PCODE"])
    assert set(UNHCR_OLD_NAMES.values()) == set(governorates["NAME_EN"])
