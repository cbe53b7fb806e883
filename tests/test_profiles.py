"""Governorate profiles (storykit.stories.profiles, notebooks/governorate.ipynb): which governorate, and its figures."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from storykit.stories import profiles
from storykit.errors import DataError
from storykit.facts import Fact
from storykit.gazetteer import Gazetteer, UnknownPlaceError

REPO = Path(__file__).resolve().parents[1]

# A made-up country of three governorates, in the gazetteer table's shape.
GAZ = pd.DataFrame({
    "pcode": ["SY01", "SY02", "SY03", "SY0101"], "level": [1, 1, 1, 2],
    "name_en": ["Northland", "Southland", "Dar'a", "Northland"], "name_en_ref": ["Northland", "Southland", "Dara",
                                                                               "Northland"],
    "name_ar": ["الشمال", "الجنوب", "درعا", "الشمال"], "parent_pcode": [None, None, None, "SY01"],
    "source": "ocha_admin1_2016",
})


@pytest.fixture
def gaz():
    return Gazetteer(GAZ, aliases={1: {"Northland": ("Nordland",)}})


def d(text):
    return dt.date.fromisoformat(text)


# --- which governorate ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["SY01", " sy01 ", "pcode:SY01", "Northland", "NORTHLAND", "Nordland", "الشمال",
                                   "Northland Governorate"])
def test_a_governorate_is_found_by_pcode_or_any_spelling(gaz, value):
    assert profiles.resolve(value, gaz) == "SY01"


@pytest.mark.parametrize("value, why", [("Atlantis", "matches no place"), ("SY99", "is not a level-1 OCHA P-code"),
                                        ("SY0101", "is not a level-1 OCHA P-code"), ("", "names no place")])
def test_an_unknown_governorate_stops_with_the_gazetteers_error_naming_it(gaz, value, why):
    with pytest.raises(UnknownPlaceError) as e:
        profiles.resolve(value, gaz)
    message = str(e.value)
    assert f"{value!r} is no governorate of Syria" in message and why in message
    assert "SY02 Southland" in message  # says what would have worked
    assert e.value.unknown == [value]
    assert "Did you mean" not in message  # none of these is close to a governorate's name


def test_a_misspelt_governorate_too_far_for_the_gazetteer_is_answered_with_the_name_meant(gaz):
    with pytest.raises(UnknownPlaceError, match=r"^'Southlnd x' is no governorate of Syria \(.*\)\. Did you mean "
                                                r"'Southland'\? Set the parameter governorate"):
        profiles.resolve("Southlnd x", gaz)


# --- the parts ----------------------------------------------------------------------------------------


def test_idps_by_year_keeps_a_missing_year_empty_and_shares_the_national_sum():
    idps = pd.DataFrame({"year": [2014, 2014, 2015, 2016, 2016], "pcode": ["SY01", "SY02", "SY02", "SY01", "SY02"],
                         "idps": pd.array([100, 300, 50, 200, 200], dtype="Int64")})
    out = profiles.idps_by_year(idps, "SY01")
    assert out["year"].tolist() == [2014, 2015, 2016]
    assert out["national"].tolist() == [400, 50, 400]
    assert out.loc[1, "idps"] is pd.NA  # no row in 2015: no figure, never zero
    assert out.loc[0, "share"] == 0.25 and out.loc[2, "share"] == 0.5 and out.loc[1, "share"] is pd.NA


def test_movements_keep_blank_months_blank():
    moves = pd.DataFrame({"month": [d("2016-01-01"), d("2016-01-01"), d("2016-02-01"), d("2016-02-01")],
                          "pcode": ["SY01", "SY02", "SY01", "SY02"],
                          "movements": pd.array([10.5, 4.0, None, None], dtype="Float64")})
    out = profiles.movements_by_month(moves, "SY01")
    assert out["month"].tolist() == [pd.Timestamp("2016-01-01"), pd.Timestamp("2016-02-01")]
    assert out.loc[0, "movements"] == 10.5 and out.loc[0, "national"] == 14.5
    assert out.loc[1, "movements"] is pd.NA and out.loc[1, "national"] is pd.NA


def events(**columns):
    base = {"date_start": [d("2016-01-05"), d("2016-03-31"), d("2016-03-01"), d("2016-04-30")],
            "pcode": ["SY01", "SY01", None, "SY02"], "type_of_violence": [1, 3, 1, 2],
            "deaths_best": pd.array([5, 7, 100, 2], dtype="Int64")}
    base["date_end"] = base["date_start"]
    return pd.DataFrame(base | columns)


def test_deaths_by_month_fill_months_without_events_with_zero_for_each_type():
    out = profiles.deaths_by_month(events(), "SY01")
    assert len(out) == 4 * 3  # January to April, three types of violence
    wide = out.pivot(index="month", columns="violence", values="deaths")
    assert wide.loc["2016-01-01"].tolist() == [0, 0, 5]  # columns sorted: Non-state, One-sided, State-based
    assert wide.loc["2016-02-01"].sum() == 0
    assert wide.loc["2016-03-01", "One-sided"] == 7
    assert out["deaths"].sum() == 12  # SY02's and the unplaced deaths are not SY01's


def test_deaths_by_month_set_aside_an_event_dated_across_months_and_say_if_it_could_matter():
    ev = events(date_end=[d("2016-01-05"), d("2016-05-20"), d("2016-03-01"), d("2016-04-30")])  # 7 deaths, 2 months
    out = profiles.deaths_by_month(ev, "SY01")
    assert out["deaths"].sum() == 5  # the event dated March to May is in no month
    worst = profiles.deadliest_month(ev, "SY01")
    assert worst["period"] == pd.Timestamp("2016-01-01") and worst["set_aside"] == 7
    assert worst["holds"] is False  # its 7 deaths could all be in April: more than January's 5


def test_deaths_no_governorate_holds_are_counted_apart():
    assert profiles.unplaced_deaths(events()) == 100


def test_an_unknown_type_of_violence_is_an_error_naming_it():
    with pytest.raises(DataError, match=r"type_of_violence 4 \(event_id 12\)"):
        profiles.deaths_by_month(events(type_of_violence=[1, 4, 1, 2], event_id=[11, 12, 13, 14]), "SY01")


def victims():
    return pd.DataFrame({"date": [d("2011-03-18"), d("2011-03-20"), d("2011-05-02"), d("2011-05-02"), d("2011-06-01")],
                         "pcode": ["SY01", "SY01", "SY01", None, "SY02"],
                         "cause": ["Shooting", "Shelling", "Shooting", "Shooting", None]})


def test_victims_by_month_count_records_with_zero_months_kept():
    out = profiles.victims_by_month(victims(), "SY01")
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2011-03", "2011-04", "2011-05", "2011-06"]
    assert out["victims"].tolist() == [2, 0, 1, 0]


def test_victims_by_cause_most_first_and_a_blank_cause_named():
    assert profiles.victims_by_cause(victims(), "SY01").values.tolist() == [["Shooting", 2], ["Shelling", 1]]
    assert profiles.victims_by_cause(victims(), "SY02").values.tolist() == [["Not recorded", 1]]


def test_shares_rank_and_national_figures():
    idps = pd.DataFrame({"year": [2015, 2016, 2016, 2016], "pcode": ["SY01", "SY01", "SY02", "SY03"],
                         "idps": pd.array([999, 100, 300, 100], dtype="Int64")})
    moves = pd.DataFrame({"month": [d("2016-01-01"), d("2016-02-01")], "pcode": ["SY02", "SY02"],
                          "movements": pd.array([1.5, 2.5], dtype="Float64")})
    out = profiles.shares("SY01", idps, moves, events(), victims()).set_index("table")
    assert out.loc["idps_by_governorate", "measure"] == "IDPs living there, 2016 (UNHCR)"  # the latest year only
    assert out.loc["idps_by_governorate", ["here", "national", "share", "rank", "of"]].tolist() == [100, 500, 0.2, 2, 3]
    assert out.loc["idp_movements", "here"] is pd.NA and out.loc["idp_movements", "share"] is pd.NA
    assert out.loc["conflict_events", "national"] == 114  # unplaced deaths count in the national figure
    assert out.loc["conflict_events", ["here", "rank"]].tolist() == [12, 1]
    assert out.loc["victims", ["here", "national", "rank"]].tolist() == [3, 5, 1]  # a record with no place counts too
    assert out.loc["victims", "measure"] == "Documented victims recorded under it, Mar 2011 to Jun 2011 (VDC)"


def test_locator_marks_only_the_governorate():
    out = profiles.locator(GAZ, "SY02")
    assert out["pcode"].tolist() == ["SY01", "SY02", "SY03"]  # governorates only, no district
    assert out["highlighted"].tolist() == [0, 1, 0]


def test_a_part_is_charted_only_with_enough_non_zero_values():
    assert profiles.enough(pd.Series([0, 1, 2, 3]), min_points=3)
    assert not profiles.enough(pd.Series([0, 1, 2, None, 0]), min_points=3)
    assert not profiles.enough(pd.Series([], dtype="Int64"))


@pytest.mark.parametrize("share, text", [(0.213, "21.3%"), (0.001, "0.1%"), (0.000377, "0.04%"),
                                         (0.0000049, "0.0005%"), (0.0, "0.0%")])
def test_small_shares_keep_a_digit(share, text):
    assert format(share, profiles.percent_format(share)) == text


def test_listing_makes_one_fact_per_value():
    template, fields = profiles.listing(["May 2016", "June 2016"], [48, 3], source="ucdp_ged_syria_2016_2019",
                                        what="deaths")
    assert template == "{l0} ({v0}), {l1} ({v1})"
    assert fields["l1"] == "June 2016" and isinstance(fields["v1"], Fact) and fields["v1"].value == 3
    assert fields["v0"].what == "deaths: May 2016"


def test_build_puts_the_parts_together(gaz):
    idps = pd.DataFrame({"year": [2016, 2016], "pcode": ["SY01", "SY02"], "idps": pd.array([1, 3], dtype="Int64")})
    moves = pd.DataFrame({"month": [d("2016-01-01")], "pcode": ["SY01"], "movements": pd.array([2.0], dtype="Float64")})
    tables = dict(zip(profiles.TABLES, (GAZ, idps, moves, events(), victims())))
    p = profiles.build("SY03", tables, {"victims": ("vdc_victims_2011_2012",)})
    assert p.place == profiles.Place("SY03", "Dar'a", "درعا")
    assert p.deaths["deaths"].sum() == 0 and p.deaths_national == 114 and p.deaths_unplaced == 100
    assert p.victims_by_cause.empty and p.victims_national == 5
    assert not any(p.has(part) for part in ("idps", "movements", "deaths", "victims_by_month", "victims_by_cause"))
    assert p.sources["victims"] == ("vdc_victims_2011_2012",)


# --- on the real processed data -------------------------------------------------------------------------


@pytest.fixture
def project(processed, tmp_path, monkeypatch):
    """A project folder whose data/processed is the one the real raw files make, as notebooks see it."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "processed").symlink_to(processed, target_is_directory=True)
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    return tmp_path


def test_sources_md_idps_2016_by_governorate(project):
    # docs/sources.md, unhcr_demographics: IDPs 2016 = 6,325,978 in all; Rural Damascus 1,383,017,
    # Aleppo 1,002,023, Idleb 908,929.
    for name, expected in (("Rural Damascus", 1_383_017), ("Aleppo", 1_002_023), ("Idlib", 908_929)):
        idps = profiles.load(name).idps.set_index("year")
        assert idps.loc[2016, "idps"] == expected
        assert idps.loc[2016, "national"] == 6_325_978


def test_every_governorate_and_the_unplaced_add_up_to_the_sources_md_totals(project):
    parts = [profiles.load(f"SY{i:02d}") for i in range(1, 15)]
    p = parts[0]
    # docs/sources.md, ucdp_ged_syria_2016_2019: 112,337 best deaths; 2016 48,710, 2017 33,316,
    # 2018 20,251, 2019 10,060.
    assert p.deaths_national == 112_337
    deaths = pd.concat(q.deaths for q in parts)
    deaths_by_year = deaths.groupby(deaths["month"].dt.year)["deaths"].sum()
    events = pd.read_parquet(project / "data" / "processed" / "conflict_events.parquet")
    unplaced = events[events["pcode"].isna()].groupby("year")["deaths_best"].sum()
    # The monthly charts set aside events dated across months (stories.dating); each profile counts them.
    placed = events[events["pcode"].notna()]
    start, end = pd.to_datetime(placed["date_start"]), pd.to_datetime(placed["date_end"])
    aside = placed[(start.dt.to_period("M") != end.dt.to_period("M")) & ((end - start).dt.days >= 7)]
    aside = aside.groupby("year")["deaths_best"].sum()
    assert [int(deaths_by_year[y] + unplaced[y] + aside.get(y, 0)) for y in (2016, 2017, 2018, 2019)] == \
        [48_710, 33_316, 20_251, 10_060]
    assert sum(q.deaths_placed for q in parts) + p.deaths_unplaced == 112_337
    assert deaths["deaths"].sum() + sum(q.worst_month["set_aside"] for q in parts) + p.deaths_unplaced == 112_337
    # docs/sources.md, vdc_victims_2011_2012: 18,575 victim records; deaths 2011 2,314, 2012 16,261
    # (a few name no governorate).
    assert p.victims_national == 18_575
    victims = pd.concat(q.victims_by_month for q in parts)
    records = pd.read_parquet(project / "data" / "processed" / "victims.parquet")
    nowhere = records[records["pcode"].isna()]
    nowhere = nowhere.groupby(pd.to_datetime(nowhere["date"]).dt.year).size()
    by_year = victims.groupby(victims["month"].dt.year)["victims"].sum()
    assert [int(by_year[y] + nowhere.get(y, 0)) for y in (2011, 2012)] == [2_314, 16_261]
    # docs/sources.md, ocha_idp_movements: grand totals 2016 2,048,328.7; 2017 2,797,935.1;
    # 2018 1,633,977.4.
    moves = p.movements.set_index("month")["national"]
    totals = moves.groupby(moves.index.year).sum().round(1)
    assert totals.loc[[2016, 2017, 2018]].tolist() == [2_048_328.7, 2_797_935.1, 1_633_977.4]
    # Each governorate's share of the national figures adds up to the placed part of each.
    shares = pd.concat(q.shares for q in parts).groupby("table")["share"].sum()
    assert shares["idps_by_governorate"] == pytest.approx(1)
    assert shares["idp_movements"] == pytest.approx(1)
    assert shares["conflict_events"] == pytest.approx(1 - p.deaths_unplaced / p.deaths_national)


def test_governorates_with_little_data_are_told_not_charted(project):
    tartous, sweida, quneitra = (profiles.load(g) for g in ("Tartous", "Sweida", "Quneitra"))
    # Tartous (SY10, docs/sources.md, ocha_admin1_2016) has deaths, too few to chart: all those of its
    # events, summed here from the table.
    events = pd.read_parquet(project / "data" / "processed" / "conflict_events.parquet")
    assert not tartous.has("deaths")
    assert tartous.deaths["deaths"].sum() == events.loc[events["pcode"] == "SY10", "deaths_best"].sum() > 0
    assert not sweida.has("victims_by_month") and not sweida.has("victims_by_cause")
    assert quneitra.has("victims_by_month") and not quneitra.has("victims_by_cause")
    idleb = profiles.load("SY07")
    assert all(idleb.has(part) for part in ("idps", "movements", "deaths", "victims_by_month", "victims_by_cause"))


# --- the notebook, run by Papermill as the build runs it ------------------------------------------------


def run_notebook(governorate, out: Path):
    import papermill

    return papermill.execute_notebook(str(REPO / "notebooks" / "governorate.ipynb"), str(out),
                                      parameters={"governorate": governorate}, cwd=str(REPO / "notebooks"),
                                      kernel_name="python3", progress_bar=False, log_output=False)


def test_the_notebook_stops_on_an_unknown_governorate_naming_it(project, tmp_path):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as e:
        run_notebook("Atlantis", tmp_path / "out.ipynb")
    assert e.value.ename == "UnknownPlaceError"
    assert "'Atlantis' is no governorate of Syria" in e.value.evalue


def test_the_notebook_says_what_a_thin_governorate_lacks(project, tmp_path):
    from storykit.site.pages import collect

    nb = run_notebook("As-Suweida", tmp_path / "out.ipynb")
    page = collect(nb, "governorate.ipynb")  # the build's own checks: traced figures, one page declaration
    assert page.title.startswith("As-Sweida")
    assert page.charts == 4  # map, IDPs, arrivals, deaths: no empty chart for its few VDC victims
    assert "too few for a monthly chart" in page.body
    assert "The causes of death VDC recorded" in page.body
