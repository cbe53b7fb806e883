"""UCDP cleaners: the docs/sources.md facts on the real files, and placement rules on small synthetic events."""

import geopandas as gpd
import pandas as pd
import pyreadr
import pytest
import shapely

from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.ucdp import CONFLICT_EVENTS, GED, NEAREST_KM, clean_ucdp_events
from storykit.errors import DataError
from storykit.ingest.tables import conform


@pytest.fixture(scope="module")
def upstream(processed):
    return processed  # the synthetic runs need the real gazetteer and provinces


@pytest.fixture(scope="module")
def events(processed):
    return pd.read_parquet(processed / "conflict_events.parquet")


@pytest.fixture(scope="module")
def national(processed):
    return pd.read_parquet(processed / "deaths_national.parquet")


@pytest.fixture(scope="module")
def provinces(upstream):
    return gpd.read_file(upstream / "provinces.geojson")


# --- the real files against docs/sources.md --------------------------------------------------------

def test_ged_best_deaths_by_year(events):
    by_year = events.groupby("year")["deaths_best"].sum().to_dict()
    assert by_year == {2016: 48_710, 2017: 33_316, 2018: 20_251, 2019: 10_060}
    assert events["deaths_best"].sum() == 112_337
    assert len(events) == 16_566


def test_ged_blank_adm_1(events):
    blank = events[events["adm_1"].isna()]
    assert len(blank) == 339
    assert blank["deaths_best"].sum() == 24_751
    assert (blank["located_by"] != "adm_1").all()


def test_ged_share_placed(events):
    # docs/sources.md, ucdp_ged_syria_2016_2019: of 112,337 best deaths, the events with a blank adm_1 carry
    # 24,751. None of those is placed (their coordinates stand for the country or an area spanning
    # governorates); every other death is placed by its adm_1, unless UCDP located it only to the country.
    placed = events.loc[events["pcode"].notna(), "deaths_best"].sum()
    country_named = events[events["adm_1"].notna() & events["pcode"].isna()]
    assert placed == 112_337 - 24_751 - country_named["deaths_best"].sum()
    assert events["pcode"].notna().eq(events["located_by"] == "adm_1").all()
    assert set(events["located_by"]) == {"adm_1", "unlocated"}


def test_ged_country_level_events_never_placed(events):
    country = events[events["where_prec"] == 6]
    assert len(country) > 0
    assert country["pcode"].isna().all() and country["polygon_pcode"].isna().all()
    assert (country["located_by"] == "unlocated").all()


def test_ged_adm_1_always_matched(events):
    named = events[events["adm_1"].notna() & (events["where_prec"] < 6)]
    assert (named["located_by"] == "adm_1").all()
    assert named["pcode"].notna().all()
    # one UCDP name, one governorate
    assert named.groupby("adm_1")["pcode"].nunique().eq(1).all()
    assert named["pcode"].nunique() == 14


def test_ged_disagreement_flag(events):
    both = events[events["pcode"].notna() & events["polygon_pcode"].notna()]
    assert both["pcode_disagrees"].eq(both["pcode"] != both["polygon_pcode"]).all()
    assert events["polygon_distance_km"].dropna().le(NEAREST_KM).all()


def test_national_battle_deaths(national):
    best = national.set_index("year")["deaths_best"]
    assert best.loc[2011:2016].to_dict() == {2011: 1_195, 2012: 50_367, 2013: 71_970, 2014: 65_591,
                                             2015: 51_058, 2016: 44_829}
    assert best.loc[2011:2016].sum() == 285_010
    assert national["year"].is_unique


# --- synthetic events --------------------------------------------------------------------------------

def ged_row(event_id, lon, lat, where_prec, adm_1="", where_coordinates="Somewhere village"):
    return {
        "id": float(event_id), "year": 2017.0, "type_of_violence": 1.0, "dyad_name": "A - B",
        "side_a": "A", "side_b": "B", "where_prec": float(where_prec), "where_coordinates": where_coordinates,
        "adm_1": adm_1, "country": "Syria", "latitude": lat, "longitude": lon,
        "date_start": "2017-03-01", "date_end": "2017-03-02", "date_prec": 2.0, "deaths_a": 1.0, "deaths_b": 0.0,
        "deaths_civilians": 2.0, "deaths_unknown": 0.0, "low": 3.0, "best": 3.0, "high": 5.0,
    }


def run_synthetic(rows, tmp_path, upstream):
    raw = tmp_path / "raw"
    (raw / GED).mkdir(parents=True)
    frame = pd.DataFrame(rows)
    frame["adm_1"] = frame["adm_1"].replace("", None)
    pyreadr.write_rdata(raw / GED / "ucdp_syria_df.rda", frame, df_name="ucdp_syria_df")
    out = clean_ucdp_events(Inputs(raw, upstream))["conflict_events"]
    return conform(out, CONFLICT_EVENTS, "synthetic").set_index("event_id")


def test_synthetic_placement(tmp_path, upstream, provinces):
    inner = provinces.iloc[0]
    point = inner.geometry.representative_point()
    # the country's easternmost vertex belongs to one governorate; a point 0.01 degree further east is
    # about a kilometre outside the layer, and one a degree further is far outside
    bounds = provinces.total_bounds
    east = provinces[provinces.bounds["maxx"] == bounds[2]]
    assert len(east) == 1
    xy = shapely.get_coordinates(east.geometry.iloc[0])
    tip = xy[xy[:, 0].argmax()]
    rows = [
        ged_row(1, point.x, point.y, 6, where_coordinates="Syria"),      # country-level, inside a governorate
        ged_row(2, point.x, point.y, 1),                                  # exact, no adm_1
        ged_row(3, tip[0] + 0.01, tip[1], 2),                             # just outside the border
        ged_row(4, tip[0] + 1.0, tip[1], 2),                              # far outside
        ged_row(5, point.x, point.y, 2, where_coordinates="Syria"),       # named after the country
        ged_row(6, point.x, point.y, 6, adm_1="Aleppo Governorate"),      # country-level despite an adm_1
        ged_row(7, point.x, point.y, 5, where_coordinates="Northern Syria"),  # an area spanning governorates
    ]
    out = run_synthetic(rows, tmp_path, upstream)
    assert out.loc[7, "located_by"] == "unlocated" and pd.isna(out.loc[7, "pcode"])
    assert out.loc[7, "polygon_pcode"] == inner["pcode"]  # still compared, never used to place it
    for country_level in (1, 5, 6):
        assert out.loc[country_level, "located_by"] == "unlocated"
        assert pd.isna(out.loc[country_level, "pcode"]) and pd.isna(out.loc[country_level, "polygon_pcode"])
    # A blank adm_1 is never overruled by the coordinates, however precise: they are only compared.
    assert out.loc[2, "located_by"] == "unlocated" and pd.isna(out.loc[2, "pcode"])
    assert out.loc[2, "polygon_pcode"] == inner["pcode"] and out.loc[2, "polygon_distance_km"] == 0
    assert out.loc[3, "polygon_pcode"] == east["pcode"].iloc[0] and pd.isna(out.loc[3, "pcode"])
    assert 0 < out.loc[3, "polygon_distance_km"] < NEAREST_KM
    assert out.loc[4, "located_by"] == "unlocated" and pd.isna(out.loc[4, "polygon_pcode"])
    assert out["deaths_best"].sum() == 3 * len(rows)


def test_synthetic_adm_1_disagreeing_with_point(tmp_path, upstream, provinces):
    first, second = provinces.iloc[0], provinces.iloc[1]
    point = first.geometry.representative_point()
    out = run_synthetic([ged_row(1, point.x, point.y, 1, adm_1=f"{second['name_en']} Governorate")],
                        tmp_path, upstream)
    assert out.loc[1, "pcode"] == second["pcode"] and out.loc[1, "located_by"] == "adm_1"
    assert out.loc[1, "polygon_pcode"] == first["pcode"] and bool(out.loc[1, "pcode_disagrees"])


def test_synthetic_unknown_governorate(tmp_path, upstream, provinces):
    point = provinces.iloc[0].geometry.representative_point()
    with pytest.raises(DataError, match=r"(?s)ucdp_syria_df\.rda, column adm_1: 1 distinct name\(s\) are not governorates of "
                                        r"the OCHA gazetteer:\n  'Atlantis Governorate': matches no place.*add it to ALIASES"):
        run_synthetic([ged_row(1, point.x, point.y, 1, adm_1="Atlantis Governorate")], tmp_path, upstream)
