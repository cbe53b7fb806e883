"""UCDP casualties: Syria's georeferenced conflict events 2016-2019 and national battle deaths by year.

UCDP counts deaths in organised violence; its figures are estimates (best, low, high) and are
not comparable with VDC's named-victim counts.
"""

from datetime import date

import geopandas as gpd
import pandas as pd

from ...errors import DataError
from ...gazetteer import Gazetteer, UnknownPlaceError
from ..tables import PCODE, SOURCE, Field, Schema, this_year, today
from . import Inputs, cleaner, read_rda, require_columns

GED = "ucdp_ged_syria_2016_2019"
BRDS = "ucdp_country_year"
SYRIA_GWCODE = 652  # Gleditsch-Ward code of Syria
# GED codebook: where_prec 6 = only the country is known (coordinates are its centroid), 7 = outside
# any country. Such events are never placed in a governorate.
COUNTRY_PREC = 6
# Points on no polygon but this close to one (coastline and borders are simplified) take the nearest.
NEAREST_KM = 5.0
GED_FIRST_YEAR = 1989  # the GED's coverage begins in 1989
METRIC_CRS = "EPSG:32637"  # UTM zone 37N: metres across Syria, for the nearest-province distance

DEATHS = ("deaths_best", "deaths_low", "deaths_high", "deaths_civilians", "deaths_a", "deaths_b", "deaths_unknown")
GED_RENAME = {"id": "event_id", "best": "deaths_best", "low": "deaths_low", "high": "deaths_high"}

CONFLICT_EVENTS = Schema(
    "conflict_events",
    "Conflict events in Syria, 2016 to November 2019 (UCDP GED)",
    fields=(
        Field("event_id", "integer", "UCDP event id", required=True),
        Field("year", "integer", "year of date_start", required=True, minimum=GED_FIRST_YEAR, maximum=this_year),
        Field("date_start", "date", "earliest date the event may have happened", required=True,
              minimum=date(GED_FIRST_YEAR, 1, 1), maximum=today),
        Field("date_end", "date", "latest date the event may have happened", required=True,
              minimum=date(GED_FIRST_YEAR, 1, 1), maximum=today),
        Field("date_prec", "integer", "UCDP date precision: 1 the exact day, 2 within 2-6 days, 3 within a "
              "week, 4 within a month, 5 within a year", enum=(1, 2, 3, 4, 5)),
        PCODE,
        Field("located_by", "string", "how pcode was found: from UCDP's adm_1, or not at all (adm_1 blank, "
              "or the event located only to the country)", required=True, enum=("adm_1", "unlocated")),
        Field("latitude", "number", "UCDP's latitude (WGS84)"),
        Field("longitude", "number", "UCDP's longitude (WGS84)"),
        Field("where_prec", "integer", "UCDP location precision: 1 exact .. 5 vague area, 6 country only, "
              "7 outside any country", enum=(1, 2, 3, 4, 5, 6, 7)),
        Field("where_coordinates", "string", "UCDP's name of the place the coordinates stand for"),
        Field("type_of_violence", "integer", "1 state-based, 2 non-state, 3 one-sided", required=True,
              enum=(1, 2, 3)),
        Field("side_a", "string", "first party"),
        Field("side_b", "string", "second party (the victims, for one-sided violence)"),
        Field("dyad_name", "string", "UCDP dyad"),
        Field("adm_1", "string", "governorate as named by UCDP, unchanged"),
        Field("deaths_best", "integer", "UCDP best estimate of deaths", required=True, minimum=0),
        Field("deaths_low", "integer", "UCDP low estimate (UCDP's own; sometimes above best)", minimum=0),
        Field("deaths_high", "integer", "UCDP high estimate (UCDP's own; sometimes below best)", minimum=0),
        Field("deaths_civilians", "integer", "civilian deaths, part of deaths_best", minimum=0),
        Field("deaths_a", "integer", "deaths of side A, part of deaths_best", minimum=0),
        Field("deaths_b", "integer", "deaths of side B, part of deaths_best", minimum=0),
        Field("deaths_unknown", "integer", "deaths of unknown affiliation, part of deaths_best", minimum=0),
        Field("polygon_pcode", "string", "governorate the coordinates fall in (or lie within "
              f"{NEAREST_KM:g} km of); blank for country-level events, points farther out, or points "
              "equally near two governorates", pattern=PCODE.pattern),
        Field("polygon_distance_km", "number", "distance from the coordinates to polygon_pcode's polygon: "
              "0 inside it, above 0 when placed by nearness", minimum=0),
        Field("pcode_disagrees", "boolean", "adm_1 and the coordinates name different governorates "
              "(blank when either is missing)"),
        SOURCE,
    ),
    primary_key=("event_id",),
    description=(
        "One row per UCDP GED event in Syria (release 652.1601.1911). pcode comes from UCDP's adm_1 only. "
        "An event with a blank adm_1 is one UCDP located only to the country (where_prec 6, or coordinates "
        "named after the country, its centroid) or to an area spanning governorates (a road, a border, a "
        "region such as \"Northern Syria\", or a description naming districts of two governorates): it "
        "stays unlocated, whatever its coordinates, which are only UCDP's representative point, and must "
        "never be spread over governorates. Events located only to the country carry no pcode even where "
        "adm_1 names one. Summing by pcode therefore leaves some deaths unassigned: one unplaced total."
    ),
)

DEATHS_NATIONAL = Schema(
    "deaths_national",
    "Battle-related deaths in Syria by year (UCDP, state-based violence)",
    fields=(
        Field("year", "integer", "calendar year", required=True, maximum=this_year),
        Field("deaths_best", "integer", "best estimate of battle-related deaths", required=True, minimum=0),
        Field("deaths_low", "integer", "low estimate", minimum=0),
        Field("deaths_high", "integer", "high estimate", minimum=0),
        Field("series", "string", "the dataset the row comes from, as the file names it "
              "(PRIO Battle-deaths before 1989, UCDP GED from 1989)", required=True),
        SOURCE,
    ),
    primary_key=("year",),
    description=(
        "Battle-related deaths in state-based conflict in Syria (gwcode 652) by year; excludes one-sided "
        "and non-state violence, so it is lower than the GED event totals for the same years."
    ),
)


@cleaner(sources=(GED,), outputs=(CONFLICT_EVENTS,), needs=("gazetteer", "provinces"))
def clean_ucdp_events(inputs: Inputs) -> dict[str, pd.DataFrame]:
    where = inputs.raw(GED)
    raw = read_rda(where, "ucdp_syria_df")
    require_columns(raw, ["id", "year", "date_start", "date_end", "date_prec", "adm_1", "where_prec", "where_coordinates",
                          "country", "latitude", "longitude", "type_of_violence", "side_a", "side_b",
                          "best", "low", "high", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown"],
                    where)
    ev = raw.rename(columns=GED_RENAME)
    if "dyad_name" not in ev:
        ev["dyad_name"] = pd.NA
    ev["adm_1"] = ev["adm_1"].str.strip().replace("", pd.NA)

    # UCDP's own governorate name first; the coordinates only for events without one.
    gaz = Gazetteer.load(inputs.processed("gazetteer"))
    names = ev["adm_1"].dropna().unique().tolist()
    try:
        codes = dict(zip(names, gaz.to_pcode(names, level=1)))  # "Aleppo Governorate" is understood
    except UnknownPlaceError as e:
        raise DataError(f"{where}, column adm_1: {e}") from None
    ev["pcode"] = ev["adm_1"].map(codes)

    # Coordinates named after the country (one where_prec 2 event says "Syria") are its centroid too.
    country_level = (ev["where_prec"] >= COUNTRY_PREC) | (ev["where_coordinates"].str.strip() == ev["country"])
    has_point = ev["latitude"].notna() & ev["longitude"].notna() & ~country_level
    provinces = gpd.read_file(inputs.processed("provinces"))
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(ev.loc[has_point, "longitude"],
                                                          ev.loc[has_point, "latitude"]),
                              index=ev.index[has_point], crs="EPSG:4326")
    ev["polygon_pcode"], ev["polygon_distance_km"] = polygon_pcodes(points, provinces)

    ev.loc[country_level, "pcode"] = pd.NA  # never placed, whatever adm_1 says
    # A blank adm_1 is UCDP's own word that the event has no one governorate (the country, or an area
    # spanning several, such as "between Shahba district, ... and Duma district"): its coordinates, a
    # representative point, do not overrule that. They are kept to check adm_1 (pcode_disagrees).
    ev["located_by"] = ev["pcode"].notna().map({True: "adm_1", False: "unlocated"})
    both = ev["pcode"].notna() & ev["polygon_pcode"].notna()
    ev["pcode_disagrees"] = pd.Series(pd.NA, index=ev.index, dtype="boolean")
    ev.loc[both, "pcode_disagrees"] = ev.loc[both, "pcode"] != ev.loc[both, "polygon_pcode"]
    ev["source"] = GED
    return {"conflict_events": ev}


def polygon_pcodes(points: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """The governorate each point falls in, or lies within NEAREST_KM of, and the distance in km.

    A point inside, or equally near, two governorates gets none: choosing would be a guess.
    """
    provinces = provinces[["pcode", "geometry"]].to_crs("EPSG:4326")
    inside = gpd.sjoin(points, provinces, how="inner", predicate="within")
    inside = inside[~inside.index.duplicated(keep=False)]
    pcode = inside["pcode"].reindex(points.index)
    distance = pd.Series(0.0, index=inside.index).reindex(points.index)

    rest = points[pcode.isna()].to_crs(METRIC_CRS)
    near = gpd.sjoin_nearest(rest, provinces.to_crs(METRIC_CRS), how="inner",
                             max_distance=NEAREST_KM * 1000, distance_col="metres")
    near = near[~near.index.duplicated(keep=False)]
    pcode.loc[near.index] = near["pcode"]
    distance.loc[near.index] = near["metres"] / 1000
    return pcode, distance


@cleaner(sources=(BRDS,), outputs=(DEATHS_NATIONAL,))
def clean_ucdp_national(inputs: Inputs) -> dict[str, pd.DataFrame]:
    where = inputs.raw(BRDS)
    raw = read_rda(where, "ucdpbrds")
    require_columns(raw, ["gwcode", "year", "best", "low", "high", "source"], where)
    syria = raw[raw["gwcode"] == SYRIA_GWCODE]
    if syria.empty:
        raise DataError(f"{where}: no rows with gwcode {SYRIA_GWCODE} (Syria). Check the file.")
    out = syria.rename(columns={"best": "deaths_best", "low": "deaths_low", "high": "deaths_high",
                                "source": "series"})
    out["source"] = BRDS
    return {"deaths_national": out.sort_values("year")}
