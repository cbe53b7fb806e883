"""The casualties story's computations: small made-up frames, then the real tables against docs/sources.md."""

from datetime import date

import pandas as pd
import pytest

from storykit.stories import casualties as cas
from storykit.errors import DataError

PCODES = ["SY01", "SY02", "SY03"]


def national(years=range(2009, 2014), series="UCDP GED 23.1"):
    years = list(years)
    best = [100 * (i + 1) for i in range(len(years))]
    return pd.DataFrame({"year": pd.array(years, dtype="Int64"), "deaths_best": pd.array(best, dtype="Int64"),
                         "deaths_low": pd.array([b - 10 for b in best], dtype="Int64"),
                         "deaths_high": pd.array([b + 10 for b in best], dtype="Int64"),
                         "series": series, "source": "ucdp_country_year"})


def records(rows):
    """VDC-like records: (date, pcode or None)."""
    return pd.DataFrame({"date": [date.fromisoformat(d) for d, _ in rows],
                         "pcode": pd.array([p for _, p in rows], dtype="string")})


def events(rows):
    """GED-like events: (start, end, pcode or None, type, best, where_prec, where_coordinates)."""
    frame = pd.DataFrame(rows, columns=["date_start", "date_end", "pcode", "type_of_violence", "deaths_best",
                                        "where_prec", "where_coordinates"])
    frame["date_start"] = frame["date_start"].map(date.fromisoformat)
    frame["date_end"] = frame["date_end"].map(date.fromisoformat)
    frame["year"] = pd.to_datetime(frame["date_start"]).dt.year
    return frame.astype({"pcode": "string", "deaths_best": "Int64", "where_coordinates": "string"})


# --- the national toll --------------------------------------------------------------------------


def test_national_toll_keeps_the_years_asked_for_in_order():
    shuffled = national().sample(frac=1, random_state=1)
    toll = cas.national_toll(shuffled, 2010, 2012)
    assert toll["year"].tolist() == [2010, 2011, 2012]
    assert toll["deaths_best"].tolist() == [200, 300, 400]
    assert list(toll.columns) == ["year", "deaths_best", "deaths_low", "deaths_high", "series"]


def test_national_toll_runs_to_the_latest_year_by_default():
    assert cas.national_toll(national(), 2012)["year"].tolist() == [2012, 2013]


@pytest.mark.parametrize("first, last", [(2005, None), (2012, 2011), (2010, 2020)])
def test_national_toll_refuses_years_outside_the_table(first, last):
    shown = 2013 if last is None else last  # no last year: the table's latest, national()'s 2013
    with pytest.raises(DataError, match=rf"deaths_national covers 2009-2013; first_year={first} and last_year={shown} "
                                        "must lie in that range.*change the parameters"):
        cas.national_toll(national(), first, last)


def test_national_toll_refuses_a_gap_that_would_read_as_zero():
    gappy = national([2009, 2010, 2012, 2013])
    with pytest.raises(DataError, match=r"deaths_national has no row for the year\(s\) 2011: a gap would read as zero deaths"):
        cas.national_toll(gappy, 2009)


# --- by governorate, and what no source placed ---------------------------------------------------


def test_by_governorate_counts_records_and_fills_zeros_leaving_unplaced_out():
    frame = records([("2011-03-18", "SY01"), ("2011-04-02", "SY01"), ("2011-04-03", None), ("2011-05-01", "SY03")])
    out = cas.by_governorate(frame, PCODES)
    assert out.to_dict("list") == {"pcode": PCODES, "deaths": [2, 0, 1]}


def test_by_governorate_by_month_has_every_month_of_the_span():
    frame = records([("2011-03-18", "SY01"), ("2011-05-31", "SY02"), ("2011-05-01", "SY02")])
    out = cas.by_governorate(frame, PCODES, freq="M")
    assert len(out) == 3 * 3  # three governorates by March, April, May
    sy02 = out[out.pcode == "SY02"].set_index("period")["deaths"]
    assert sy02.to_dict() == {pd.Timestamp("2011-03-01"): 0, pd.Timestamp("2011-04-01"): 0,
                              pd.Timestamp("2011-05-01"): 2}


def test_by_governorate_sums_a_weight_by_year():
    frame = events([("2016-02-01", "2016-02-01", "SY02", 1, 5, 1, "x"), ("2017-12-31", "2018-01-02", "SY02", 2, 7, 1, "x"),
                    ("2016-06-01", "2016-06-01", None, 3, 100, 6, "Syria")])
    out = cas.by_governorate(frame, PCODES, weight="deaths_best", freq="Y", date="date_start")
    assert out[out.pcode == "SY02"]["deaths"].tolist() == [5, 7]
    assert out["deaths"].sum() == 12  # the unplaced 100 are not spread anywhere


def test_by_governorate_refuses_codes_the_map_lacks():
    with pytest.raises(DataError, match="Column 'pcode' holds codes outside the map layer: SY99; check the gazetteer"):
        cas.by_governorate(records([("2011-03-18", "SY99")]), PCODES)


def test_unplaced_counts_records_or_weights_overall_and_by_group():
    frame = records([("2011-03-18", "SY01"), ("2011-03-19", None), ("2012-01-01", "SY02"), ("2012-01-02", "SY02")])
    overall = cas.unplaced(frame).iloc[0]
    assert (overall.deaths, overall.unplaced, overall.share) == (4, 1, 0.25)
    by_year = cas.unplaced(frame.assign(year=[2011, 2011, 2012, 2012]), by="year").set_index("year")
    assert by_year["unplaced"].to_dict() == {2011: 1, 2012: 0}
    assert by_year["share"].to_dict() == {2011: 0.5, 2012: 0.0}
    ged = events([("2016-01-01", "2016-12-31", None, 1, 30, 6, "Syria"), ("2016-03-01", "2016-03-01", "SY01", 1, 10, 1, "x")])
    weighted = cas.unplaced(ged, weight="deaths_best").iloc[0]
    assert (weighted.deaths, weighted.unplaced, weighted.share) == (40, 30, 0.75)


def test_why_unplaced_names_the_reason():
    ged = events([
        ("2016-01-01", "2016-12-31", None, 1, 30, 6, "Syria"),
        ("2016-02-01", "2016-02-01", None, 1, 4, 2, "Syria"),  # precise on paper, but the point is the country
        ("2016-03-01", "2016-03-01", None, 2, 8, 5, "Northern Syria"),
        ("2016-04-01", "2016-04-01", None, 3, 2, 1, "a village abroad"),
        ("2016-05-01", "2016-05-01", "SY01", 1, 99, 1, "Damascus"),
    ])
    why = cas.why_unplaced(ged).set_index("reason")
    assert why.loc["the country only"].tolist() == [2, 34]
    # Any other event UCDP gave no governorate is in one unplaced total, whatever its coordinates.
    assert why.loc[cas.SPANNING].tolist() == [2, 10]
    assert len(why) == 2


def test_spanning_finds_events_that_cross_a_period():
    ged = events([("2016-03-30", "2016-04-02", "SY01", 1, 3, 1, "x"), ("2016-04-01", "2016-06-30", "SY01", 1, 4, 1, "x")])
    assert cas.spanning(ged, "Q")["deaths_best"].tolist() == [3]
    assert cas.spanning(ged, "Y").empty


# --- sources side by side ------------------------------------------------------------------------


def test_ged_by_year_names_the_types_and_refuses_unknown_ones():
    ged = events([("2016-01-01", "2016-01-01", "SY01", 1, 5, 1, "x"), ("2016-01-02", "2016-01-02", "SY01", 3, 2, 1, "x")])
    out = cas.ged_by_year(ged)
    assert out.to_dict("list") == {"year": [2016, 2016], "violence": ["State-based", "One-sided"], "deaths": [5, 2]}
    with pytest.raises(DataError, match=r"conflict_events: type_of_violence \[4\] is none of UCDP's types \[1, 2, 3\]"):
        cas.ged_by_year(ged.assign(type_of_violence=4))


def test_ucdp_side_by_side_leaves_years_after_the_events_blank_not_zero():
    ged = events([("2010-05-01", "2010-05-01", "SY01", 1, 5, 1, "x"), ("2010-06-01", "2010-06-01", "SY02", 2, 3, 1, "x"),
                  ("2012-01-01", "2012-01-01", "SY01", 2, 4, 1, "x")])
    out = cas.ucdp_side_by_side(national(), ged).pivot(index="year", columns="series", values="deaths")
    assert out[cas.UCDP_YEARLY].tolist() == [200, 300, 400, 500]  # 2010..2013
    assert out[cas.GED_STATE].tolist()[:3] == [5, 0, 0]  # no state-based event in 2011 or 2012: zero
    assert out[cas.GED_ALL].tolist()[:3] == [8, 0, 4]
    assert out.loc[2013, [cas.GED_STATE, cas.GED_ALL]].isna().all()  # after the events end: no figure


def test_vdc_side_by_side_cuts_every_count_to_the_victim_records_days():
    victims = records([("2011-03-18", "SY01"), ("2011-05-10", None), ("2011-05-20", "SY02")])
    daily = pd.DataFrame({"date": [date(2011, 1, 5), date(2011, 3, 18), date(2011, 4, 1), date(2011, 6, 1)],
                          "pcode": pd.array(["SY01"] * 4, dtype="string"), "deaths": [9, 2, 3, 50]})
    army = records([("2011-04-05", "SY03"), ("2013-01-01", "SY03")])
    months = cas.vdc_side_by_side(victims, daily, army).pivot(index="month", columns="series", values="deaths")
    assert months[cas.VDC_VICTIMS].tolist() == [1, 0, 2]  # March, April (none), May: unplaced counted
    # January and June are outside the records' days; the scrape has no day in May: no figure, not zero
    assert months[cas.VDC_SCRAPE].tolist()[:2] == [2, 3] and pd.isna(months[cas.VDC_SCRAPE].iloc[2])
    assert months[cas.VDC_ARMY].tolist() == [0, 1, 0]
    places = cas.vdc_side_by_side(victims, daily, army, by="pcode").pivot(index="pcode", columns="series",
                                                                          values="deaths")
    assert places.loc["SY02", [cas.VDC_VICTIMS, cas.VDC_ARMY]].tolist() == [1, 0]
    assert pd.isna(places.loc["SY02", cas.VDC_SCRAPE])  # this made-up scrape has no SY02 column at all
    assert places[cas.VDC_VICTIMS].sum() == 2  # the unplaced record is counted by `unplaced`, not here
    years = cas.vdc_side_by_side(victims, daily, by="year")
    assert years.set_index("series")["deaths"].to_dict() == {cas.VDC_VICTIMS: 3, cas.VDC_SCRAPE: 5}
    with pytest.raises(ValueError, match="by='week': choose 'month', 'year' or 'pcode'"):
        cas.vdc_side_by_side(victims, daily, by="week")


def test_describe_grid_names_the_highest_cell():
    grid = pd.DataFrame({"governorate": ["A", "A", "B", "B"], "month": pd.to_datetime(["2011-03-01", "2011-04-01"] * 2),
                         "deaths": [1, 2, 30, 4]})
    text = cas.describe_grid(grid, row="governorate", column="month", value="deaths", what="named victims")
    assert text == ("Heat map of named victims: 2 rows by 2 columns, 37 in all. "
                    "Highest 30 (B, 2011-03).")


# --- the real tables (hand-checked facts of docs/sources.md) -------------------------------------


@pytest.fixture(scope="module")
def real(processed):
    return {name: pd.read_parquet(processed / f"{name}.parquet")
            for name in ("deaths_national", "conflict_events", "victims", "army_deaths", "deaths_daily")}


def test_real_national_toll(real):
    toll = cas.national_toll(real["deaths_national"], 2011).set_index("year")
    assert toll.loc[2013, "deaths_best"] == 71_970
    assert toll.loc[2011:2016, "deaths_best"].tolist() == [1_195, 50_367, 71_970, 65_591, 51_058, 44_829]
    assert toll.loc[2011:2016, "deaths_best"].sum() == 285_010
    assert set(toll["series"]) == {"UCDP GED 23.1"}
    assert "PRIO" in cas.national_toll(real["deaths_national"], 1946)["series"].iloc[0]


def test_real_ucdp_counts_side_by_side(real):
    both = cas.ucdp_side_by_side(real["deaths_national"], real["conflict_events"])
    wide = both.pivot(index="year", columns="series", values="deaths")
    assert wide.loc[2016:2019, cas.GED_ALL].tolist() == [48_710, 33_316, 20_251, 10_060]
    assert wide.loc[2016, cas.UCDP_YEARLY] == 44_829
    assert wide.loc[2020:, cas.GED_ALL].isna().all()


def test_real_vdc_counts(real):
    victims = real["victims"]
    years = cas.vdc_side_by_side(victims, real["deaths_daily"], real["army_deaths"], by="year")
    records = years[years.series == cas.VDC_VICTIMS].set_index("year")["deaths"]
    assert records.to_dict() == {2011: 2_314, 2012: 16_261}
    assert cas.unplaced(victims).iloc[0].deaths == 18_575
    placed = cas.by_governorate(victims, sorted(victims.pcode.dropna().unique()))["deaths"].sum()
    assert placed + cas.unplaced(victims).iloc[0].unplaced == 18_575
    daily = real["deaths_daily"]
    assert cas.by_governorate(daily, sorted(daily.pcode.unique()), weight="deaths")["deaths"].sum() == 137_475


def test_real_ged_unplaced_deaths(real):
    ged = real["conflict_events"]
    lost = cas.unplaced(ged, weight="deaths_best").iloc[0]
    assert lost.deaths == 112_337
    # docs/sources.md, ucdp_ged_syria_2016_2019: the events with no adm_1 carry 24,751 best deaths, all
    # unplaced, beside those UCDP named a governorate for but located only to the country.
    named_country = ged[ged.adm_1.notna() & ged.pcode.isna()]
    assert lost.unplaced == 24_751 + named_country.deaths_best.sum()
    why = cas.why_unplaced(ged)
    assert why["deaths"].sum() == lost.unplaced
    assert why["events"].sum() == 339 + len(named_country)
    assert cas.unplaced(ged, weight="deaths_best", by="year").set_index("year").loc[2016, "deaths"] == 48_710


def test_a_blank_count_is_refused_not_skipped():
    frame = events([("2016-01-01", "2016-01-01", "SY01", 1, 5, 1, "x"), ("2016-01-02", "2016-01-02", "SY01", 1, None, 1, "x")])
    with pytest.raises(DataError, match="Column 'deaths_best' has 1 blank counts; a sum would skip them silently"):
        cas.by_governorate(frame, PCODES, weight="deaths_best")


def test_loosely_dated_finds_events_dated_only_to_a_long_span():
    ged = events([("2016-01-01", "2016-12-31", None, 1, 30, 6, "Syria"), ("2016-03-01", "2016-03-05", "SY01", 1, 4, 1, "x"),
                  ("2016-03-01", "2016-06-15", "SY01", 1, 2, 1, "x")])
    assert cas.loosely_dated(ged)["deaths_best"].tolist() == [30, 2]
    assert cas.loosely_dated(ged, days=200)["deaths_best"].tolist() == [30]


def test_first_years_puts_ucdp_beside_vdc_for_the_years_the_records_touch():
    victims = records([("2011-03-18", "SY01"), ("2012-02-01", "SY02")])
    daily = pd.DataFrame({"date": [date(2011, 4, 1), date(2012, 1, 1)], "pcode": pd.array(["SY01"] * 2, dtype="string"),
                          "deaths": [3, 4]})
    out = cas.first_years(national(), victims, daily).pivot(index="year", columns="series", values="deaths")
    assert out.index.tolist() == [2011, 2012]
    assert out[cas.UCDP_YEARLY].tolist() == [300, 400]
    assert out[cas.VDC_VICTIMS].tolist() == [1, 1] and out[cas.VDC_SCRAPE].tolist() == [3, 4]
