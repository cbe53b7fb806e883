"""UNHCR and IDMC cleaners: docs/sources.md facts on the real files, and small messy inputs made here."""

from datetime import date

import pandas as pd
import pytest

from storykit.ingest import tables
from storykit.ingest.cleaners import Inputs, unhcr
from storykit.errors import DataError
from storykit.gazetteer import Gazetteer

CLEANERS = (
    (unhcr.REFUGEES, unhcr.clean_refugees),
    (unhcr.APPLICATIONS, unhcr.clean_asylum_applications),
    (unhcr.IDPS_NATIONAL, unhcr.clean_idps_national),
    (unhcr.IDPS_GOVERNORATE, unhcr.clean_idps_by_governorate),
    (unhcr.IDP_RETURNS_GOVERNORATE, unhcr.clean_idps_by_governorate),
)


@pytest.fixture(scope="module")
def inputs(raw_root, processed) -> Inputs:
    """The real raw files, and the tables the session's `storykit process` made of them."""
    return Inputs(raw_root, processed)


@pytest.fixture(scope="module")
def out(processed) -> dict[str, pd.DataFrame]:
    """Each table as `storykit process` wrote it from the real files (the session's run: the cleaners
    are not run again here)."""
    return {s.name: pd.read_parquet(processed / f"{s.name}.parquet") for s, _ in CLEANERS}


def raw_text(inputs, source: str) -> pd.DataFrame:
    return pd.read_csv(inputs.raw(source), dtype=str, keep_default_na=False)


# --- refugees -----------------------------------------------------------------------------------

def refugees_in(out, source: str, year: int) -> pd.Series:
    r = out["refugees"]
    return r[(r.source == source) & (r.year == year)].set_index("asylum_iso3").refugees


def test_refugees_worldwide_match_sources_md(out):
    y2016 = refugees_in(out, "unhcr_population", 2016)
    assert y2016.sum() == 5_524_511
    assert y2016[["TUR", "LBN", "JOR", "DEU", "IRQ"]].tolist() == [2_823_987, 1_005_503, 648_836, 375_122, 230_836]
    assert refugees_in(out, "unhcr_population", 2022).sum() == 6_559_736


def test_hdx_revision_kept_apart(out):
    assert refugees_in(out, "unhcr_hdx_origin_syr", 2016).sum() == 5_524_377
    r = out["refugees"]
    assert set(r.source) == {"unhcr_population", "unhcr_hdx_origin_syr"}
    assert (r.origin_iso3 == "SYR").all() and not (r.asylum_iso3 == "SYR").any()
    assert r[r.source == "unhcr_hdx_origin_syr"].year.max() == 2017


def test_hdx_keeps_every_country_year(inputs, out):
    raw = raw_text(inputs, "unhcr_hdx_origin_syr").iloc[1:]  # the hashtag row
    country = "Country / territory of asylum/residence"
    raw = raw[raw[country] != "Syrian Arab Rep."]
    hdx = out["refugees"][lambda r: r.source == "unhcr_hdx_origin_syr"]
    assert len(hdx) == len(raw[["Year", country]].drop_duplicates())
    # Renamed countries are coded, not lost: the UK and Türkiye under their current names.
    assert set(hdx[hdx.reported_as.isin(["Turkey", "United Kingdom"])].asylum_iso3) == {"TUR", "GBR"}


def test_hdx_suppressed_and_blank_are_missing_not_zero(inputs, out):
    raw = raw_text(inputs, "unhcr_hdx_origin_syr").iloc[1:]
    column = "Refugees (incl. refugee-like situations)"
    starred = raw[raw[column] == "*"]
    assert len(starred) > 0
    hdx = out["refugees"][lambda r: r.source == "unhcr_hdx_origin_syr"]
    joined = starred.merge(hdx.astype({"year": str}), left_on=["Year", "Country / territory of asylum/residence"],
                           right_on=["year", "reported_as"])
    assert len(joined) == len(starred) and joined.refugees.isna().all()
    non_syria = raw[raw["Country / territory of asylum/residence"] != "Syrian Arab Rep."]
    assert hdx.refugees.isna().sum() == non_syria[column].isin(["*", ""]).sum()


def test_hdx_serbia_kosovo_rows_are_added(inputs, out):
    # The HDX export has two rows "Serbia and Kosovo (S/RES/1244 (1999))" in 2014: the table holds their
    # sum, added up here from the raw file; the current release has one row, equal to that sum.
    raw = raw_text(inputs, "unhcr_hdx_origin_syr").iloc[1:]
    serbia = raw[(raw["Year"] == "2014") & (raw["Country / territory of asylum/residence"]
                                            == "Serbia and Kosovo (S/RES/1244 (1999))")]
    assert len(serbia) == 2
    r = out["refugees"].set_index(["source", "year", "asylum_iso3"])
    for column, raw_column in (("refugees", "Refugees (incl. refugee-like situations)"),
                               ("asylum_seekers", "Asylum-seekers (pending cases)")):
        added = serbia[raw_column].astype(int).sum()
        assert r.loc[("unhcr_hdx_origin_syr", 2014, "SRB"), column] == added
        assert r.loc[("unhcr_population", 2014, "SRB"), column] == added


# --- asylum applications --------------------------------------------------------------------------

def test_germany_2015_applications(out):
    a = out["asylum_applications"]
    germany = a[(a.asylum_iso3 == "DEU") & a.month.map(lambda d: d.year == 2015)]
    assert germany.applications.sum() == 158_657
    assert len(germany) == 12


def test_starred_applications_are_missing(inputs, out):
    raw = raw_text(inputs, "unhcr_asylum_monthly")
    assert (raw.Value == "*").sum() == 135  # docs/sources.md, unhcr_asylum_monthly
    a = out["asylum_applications"]
    assert len(a) == len(raw)
    assert a.applications.isna().sum() == 135
    assert (a.applications.dropna() > 0).all()


def test_months_are_first_days_2011_to_2018(out):
    months = out["asylum_applications"].month
    assert all(d.day == 1 for d in months)
    # docs/sources.md (unhcr_asylum_monthly) says to 2018-09; the file also has October 2018 for some countries.
    assert months.min() == date(2011, 1, 1) and months.max().year == 2018
    a = out["asylum_applications"]
    us = a[a.reported_as.str.startswith("USA")]
    assert set(us.reported_as) == {"USA (EOIR)", "USA (INS/DHS)"} and set(us.asylum_iso3) == {"USA"}


# --- IDPs -----------------------------------------------------------------------------------------

def national(out, source: str) -> pd.Series:
    n = out["idps_national"]
    return n[n.source == source].set_index("year").idps


def test_idps_national_both_sources(out):
    assert national(out, "unhcr_population")[2016] == 6_325_978
    idmc = national(out, "idmc_idps")
    assert idmc[2014] == 7_600_000 and idmc[2016] == 6_326_000
    assert idmc.idxmax() == 2014  # the peak, per docs/sources.md, idmc_idps
    assert national(out, "unhcr_population").index.min() == 2012


def test_idps_by_governorate_2016(out):
    g = out["idps_by_governorate"]
    y2016 = g[g.year == 2016].set_index("pcode").idps
    assert len(y2016) == 14 and y2016.sum() == 6_325_978
    assert (y2016["SY03"], y2016["SY02"], y2016["SY07"]) == (1_383_017, 1_002_023, 908_929)


def test_governorates_add_up_to_the_national_figure_every_year(out):
    by_year = out["idps_by_governorate"].groupby("year").idps.sum()
    unhcr_national = national(out, "unhcr_population")
    assert by_year.index.min() == 2014  # 2012-2013 are national only
    assert (by_year == unhcr_national[by_year.index]).all()


def test_both_naming_schemes_and_the_gap_in_raqqa(out):
    g = out["idps_by_governorate"]
    assert g[g.year == 2023].reported_as.str.endswith("Mohafazah - Governorate").all()
    assert g[g.year == 2024].reported_as.str.endswith("[Admin 1]").all()
    assert set(g[g.year == 2015].pcode) == {f"SY{i:02d}" for i in range(1, 15)} - {"SY11"}


# --- returns ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_population(inputs) -> pd.DataFrame:
    import pyreadr

    return pyreadr.read_r(inputs.raw("unhcr_population"))["population"]


def test_refugee_returns_are_carried_row_by_row(out, raw_population):
    """Each returned_refugees cell of the current release, as the raw file has it for the same year and country."""
    raw = raw_population[(raw_population.coo_iso == "SYR") & (raw_population.coa_iso != "SYR")]
    want = raw.set_index(["year", "coa_iso"]).returned_refugees.astype(float)
    r = out["refugees"]
    got = r[r.source == "unhcr_population"].set_index(["year", "asylum_iso3"]).returned_refugees.astype(float)
    assert got.reindex(want.index).fillna(-1).tolist() == want.fillna(-1).tolist()
    assert r.loc[r.source == "unhcr_hdx_origin_syr", "returned_refugees"].isna().all()  # that export has none
    assert got.sum() > 0


def test_idp_returns_national_and_by_governorate_add_up(out, raw_population):
    inside = raw_population[(raw_population.coo_iso == "SYR") & (raw_population.coa_iso == "SYR")]
    want = inside.groupby("year").returned_idps.sum()
    n = out["idps_national"]
    unhcr_n = n[n.source == "unhcr_population"].set_index("year").returned_idps
    assert unhcr_n.tolist() == want[unhcr_n.index.astype(float)].tolist()
    assert n.loc[n.source == "idmc_idps", "returned_idps"].isna().all()
    g = out["idp_returns_by_governorate"]
    by_year = g.groupby("year").returned_idps.sum()
    assert len(by_year) and by_year.tolist() == unhcr_n[by_year.index].tolist()  # the years UNHCR gives by governorate
    assert (g.groupby("year").pcode.nunique() == 14).all()


# --- messy inputs made here -----------------------------------------------------------------------

CODES = unhcr.country_codes(pd.DataFrame({
    "coa_name": ["Syrian Arab Rep.", "Türkiye", "Serbia and Kosovo: S/RES/1244 (1999)", "Germany"],
    "coa_iso": ["SYR", "TUR", "SRB", "DEU"],
}))

HDX_HEADER = ("Year,Country / territory of asylum/residence,Origin,Refugees (incl. refugee-like situations),"
              "Asylum-seekers (pending cases),Total Population\n"
              "#date+year,#country+residence,#country+origin,#affected+refugees,#affected+asylum,#affected+total\n")


def write(tmp_path, text: str, name="hdx.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_hdx_like_csv(tmp_path):
    path = write(tmp_path, HDX_HEADER + (
        "2016,Turkey,Syrian Arab Rep.,120,*,122\n"
        "2016,Germany,Syrian Arab Rep.,,7,7\n"
        "2016,Syrian Arab Rep.,Syrian Arab Rep.,,,600\n"
        "2016,Serbia and Kosovo (S/RES/1244 (1999)),Syrian Arab Rep.,1,2,3\n"
        "2016,Serbia and Kosovo (S/RES/1244 (1999)),Syrian Arab Rep.,5,*,5\n"
    ))
    out = unhcr.read_hdx(path, CODES).set_index("asylum_iso3")
    assert sorted(out.index) == ["DEU", "SRB", "TUR"]  # no hashtag row, no Syria
    assert out.loc["TUR", "refugees"] == 120 and pd.isna(out.loc["TUR", "asylum_seekers"])
    assert pd.isna(out.loc["DEU", "refugees"]) and out.loc["DEU", "asylum_seekers"] == 7
    assert out.loc["SRB", "refugees"] == 6 and pd.isna(out.loc["SRB", "asylum_seekers"])
    assert out.loc["TUR", "asylum_name"] == "Türkiye" and out.loc["TUR", "reported_as"] == "Turkey"


def test_hdx_unknown_country_is_named(tmp_path):
    path = write(tmp_path, HDX_HEADER + "2016,Atlantis,Syrian Arab Rep.,3,,3\n2016,Turkey,Syrian Arab Rep.,1,,1\n")
    with pytest.raises(DataError, match=r"hdx\.csv: no ISO3 code for the countries \['Atlantis'\]\. Add each to ALIASES "
                                        r"in cleaners/unhcr\.py, mapped to its name in unhcr_population") as error:
        unhcr.read_hdx(path, CODES)
    assert "Turkey" not in str(error.value)


def test_hdx_bad_count_names_line_and_value(tmp_path):
    path = write(tmp_path, HDX_HEADER + "2016,Turkey,Syrian Arab Rep.,1,,1\n2016,Germany,Syrian Arab Rep.,12a,,1\n")
    with pytest.raises(DataError, match=r"hdx\.csv: column 'Refugees \(incl\. refugee-like situations\)' should hold "
                                        r"counts, but line 4 has '12a' \(1 such lines\)\. Fix or report the file"):
        unhcr.read_hdx(path, CODES)


def test_hdx_same_country_twice_under_two_names_fails(tmp_path):
    path = write(tmp_path, HDX_HEADER + "2016,Turkey,Syrian Arab Rep.,1,,1\n2016,Türkiye,Syrian Arab Rep.,2,,2\n")
    rows = unhcr.read_hdx(path, CODES).assign(year=2016)
    with pytest.raises(DataError, match=r"hdx\.csv: 2 rows of refugees share a key \(source=.*, year=2016, "
                                        r"asylum_iso3=TUR\); each \(source, year, asylum_iso3\) must appear once"):
        tables.conform(rows, unhcr.REFUGEES, str(path))


MONTHLY_HEADER = '"Country / territory of asylum/residence",Origin,Year,Month,Value\n'


def test_monthly_like_csv(tmp_path):
    rows = 'Germany,"Syrian Arab Rep.",2015,March,40\nTurkey,"Syrian Arab Rep.",2012,December,*\n'
    path = write(tmp_path, MONTHLY_HEADER + rows, "monthly.csv")
    out = tables.conform(unhcr.read_monthly(path, CODES), unhcr.APPLICATIONS, str(path))
    assert out.month.tolist() == [date(2015, 3, 1), date(2012, 12, 1)]
    assert out.applications[0] == 40 and pd.isna(out.applications[1])


def test_monthly_month_that_is_no_english_name(tmp_path):
    path = write(tmp_path, MONTHLY_HEADER + 'Germany,"Syrian Arab Rep.",2015,Mars,40\n', "monthly.csv")
    with pytest.raises(DataError, match=r"monthly\.csv: months that are not English month names: \['Mars'\]"):
        unhcr.read_monthly(path, CODES)


@pytest.fixture(scope="module")
def gazetteer(inputs) -> Gazetteer:
    return Gazetteer.load(inputs.processed("gazetteer"))


def idp_rows(*rows):
    return pd.DataFrame(rows, columns=["year", "location", "total"])


def test_governorate_rows_in_both_schemes(gazetteer):
    rows = idp_rows((2012, "Dispersed in the country / territory", 10),
                    (2023, "Hassakeh : Mohafazah - Governorate", 5), (2024, "Al-Hasakeh [Admin 1]", 6))
    out = unhcr.idps_by_governorate(rows, gazetteer, "demo")
    assert out.year.tolist() == [2023, 2024]
    assert out.pcode.nunique() == 1 and out.idps.tolist() == [5, 6]


def test_no_place_beside_governorates_fails(gazetteer):
    rows = idp_rows((2016, "Dispersed in the country / territory", 10), (2016, "Homs [Admin 1]", 5))
    with pytest.raises(DataError, match=r"demo: years \[2016\] have IDPs both by governorate and with no place .*"
                                        "Decide how to show them before cleaning"):
        unhcr.idps_by_governorate(rows, gazetteer, "demo")


def test_one_governorate_twice_in_a_year_fails(gazetteer):
    rows = idp_rows((2023, "Dara : Mohafazah - Governorate", 5), (2023, "Dar'a [Admin 1]", 5))
    with pytest.raises(DataError, match=r"demo: several IDP rows for one governorate and year: \[\{'year': 2023, "
                                        r"'reported_as': 'Dara : Mohafazah - Governorate'\}, .*Check whether they add up"):
        unhcr.idps_by_governorate(rows, gazetteer, "demo")


def test_unknown_governorate_is_named(gazetteer):
    rows = idp_rows((2023, "Atlantis : Mohafazah - Governorate", 5), (2023, "Somewhere", 1))
    with pytest.raises(DataError, match=r"demo: locations that name no governorate in either of UNHCR's schemes: "
                                        r"\['Somewhere'\]\. Extend GOVERNORATE in cleaners/unhcr\.py"):
        unhcr.idps_by_governorate(rows, gazetteer, "demo")
    with pytest.raises(DataError, match=r"demo: 1 distinct name\(s\) are not governorates of the OCHA gazetteer:\n  "
                                        r"'Atlantis'"):
        unhcr.idps_by_governorate(rows.iloc[:1], gazetteer, "demo")
