"""OCHA's 2016 administrative boundaries: the gazetteer of P-codes and names, and the provinces map layer."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ...errors import DataError
from ..tables import PCODE, SOURCE, Field, Schema
from . import Inputs, cleaner, read_raw

# Counts stated for the 2016 layers in docs/sources.md, ocha_admin1_2016 and ocha_admin2_2016.
GOVERNORATES, DISTRICTS = 14, 62
GOVERNORATE_PCODES = {f"SY{i:02d}" for i in range(1, GOVERNORATES + 1)}

GAZETTEER = Schema(
    "gazetteer",
    "Syria's governorates and districts with their OCHA P-codes and names",
    fields=(
        Field("pcode", "string", "OCHA P-code: SYnn for a governorate, SYnnnn for a district",
              required=True, pattern=r"SY\d{2}(\d{2})?"),
        Field("level", "integer", "1 governorate (admin 1), 2 district (admin 2)", required=True, enum=(1, 2)),
        Field("name_en", "string", "English name as OCHA writes it (NAME_EN)", required=True),
        Field("name_en_ref", "string", "OCHA's reference English name, without apostrophes (NAM_EN_REF)"),
        Field("name_ar", "string", "Arabic name (NAME_AR)", required=True),
        Field("parent_pcode", "string", "governorate of a district; empty for governorates",
              pattern=r"SY(0[1-9]|1[0-4])"),
        SOURCE,
    ),
    primary_key=("pcode",),
    description="The names every other table's places are matched against (see storykit.gazetteer). "
    "OCHA Common Operational Dataset, administrative boundaries of 2016-09-05.",
)


def _read_layer(path: Path, reader, **options):
    # Without its .dbf a shapefile still opens, as shapes with no names: say which part is missing instead.
    missing = [part.name for part in map(path.with_suffix, (".shp", ".shx", ".dbf")) if not part.is_file()]
    if missing:
        raise DataError(f"{path}: the shapefile lacks {', '.join(missing)}; its .shp, .shx and .dbf must lie "
                        "side by side. Run `storykit fetch` first.")
    return read_raw(path, reader, **options)


def _attributes(path: Path) -> pd.DataFrame:
    return _read_layer(path, pyogrio.read_dataframe, read_geometry=False)


def _require_columns(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {', '.join(missing)} (found {', '.join(frame.columns)}); "
                        "is this the OCHA 2016 COD-AB layer the catalogue names?")


@cleaner(sources=("ocha_admin1_2016", "ocha_admin2_2016"), outputs=(GAZETTEER,))
def clean_gazetteer(inputs: Inputs) -> dict[str, pd.DataFrame]:
    adm1_path = inputs.raw("ocha_admin1_2016", "syr_admin1.shp")
    adm2_path = inputs.raw("ocha_admin2_2016", "syr_admin2.shp")
    adm1, adm2 = _attributes(adm1_path), _attributes(adm2_path)
    names = ["PCODE", "NAME_EN", "NAM_EN_REF", "NAME_AR"]
    _require_columns(adm1, names, adm1_path)
    _require_columns(adm2, names + ["ADM1_PCODE"], adm2_path)

    _check_governorates(adm1, adm1_path)
    if len(adm2) != DISTRICTS or adm2["PCODE"].nunique() != DISTRICTS:
        raise DataError(f"{adm2_path}: expected {DISTRICTS} districts with distinct PCODEs, found {len(adm2)} "
                        f"rows and {adm2['PCODE'].nunique()} codes. Check the file against the catalogue.")
    orphans = adm2[~adm2["ADM1_PCODE"].isin(adm1["PCODE"]) | ~adm2.apply(
        lambda r: str(r["PCODE"]).startswith(str(r["ADM1_PCODE"])), axis=1)]
    if len(orphans):
        r = orphans.iloc[0]
        raise DataError(f"{adm2_path}: district {r['PCODE']} ({r['NAME_EN']}) has ADM1_PCODE {r['ADM1_PCODE']!r}, "
                        "which is not its governorate in syr_admin1. The two layers must come from one release.")

    def rows(frame, level, parent, source):
        return pd.DataFrame({
            "pcode": frame["PCODE"], "level": level, "name_en": frame["NAME_EN"],
            "name_en_ref": frame["NAM_EN_REF"], "name_ar": frame["NAME_AR"],
            "parent_pcode": parent, "source": source,
        })

    table = pd.concat([
        rows(adm1, 1, None, "ocha_admin1_2016"),
        rows(adm2, 2, adm2["ADM1_PCODE"], "ocha_admin2_2016"),
    ], ignore_index=True)
    return {"gazetteer": table.sort_values(["level", "pcode"], ignore_index=True)}


def _check_governorates(adm1: pd.DataFrame, path: Path) -> None:
    codes = set(adm1["PCODE"])
    if len(adm1) != GOVERNORATES or codes != GOVERNORATE_PCODES:
        raise DataError(f"{path}: expected {GOVERNORATES} governorates with P-codes SY01..SY14, found "
                        f"{len(adm1)} rows with codes {sorted(map(str, codes))}. "
                        "Check the file against the catalogue.")


# Web simplification: a 0.005 degree (about 500 m) tolerance and 4 decimals (about 11 m) keep the
# file near 60 KB while every province keeps its area within 2% (checked below).
SIMPLIFY_TOLERANCE = 0.005
DECIMALS = 4
AREA_TOLERANCE, UNION_TOLERANCE = 0.02, 0.01

PROVINCES = Schema(
    "provinces",
    "Syria's 14 governorates, simplified for web maps",
    fields=(
        Field(PCODE.name, PCODE.type, PCODE.description, required=True, pattern=PCODE.pattern),
        Field("name_en", "string", "English name as OCHA writes it (NAME_EN)", required=True),
        Field("name_ar", "string", "Arabic name (NAME_AR)", required=True),
    ),
    primary_key=("pcode",),
    description="GeoJSON, EPSG:4326. OCHA COD-AB 2016 governorates, simplified with shared borders kept "
    f"(tolerance {SIMPLIFY_TOLERANCE} degrees, coordinates rounded to {DECIMALS} decimals). Exterior rings "
    "are CLOCKWISE, the opposite of RFC 7946, because Plotly's geo maps fill the outside of "
    "counter-clockwise polygons. Quneitra includes the Israeli-occupied Golan, as in OCHA's layer. "
    "The boundaries and names shown do not imply official endorsement or acceptance by the United Nations.",
    extra={"format": "geojson"},
)


@cleaner(sources=("ocha_admin1_2016",), outputs=(PROVINCES,))
def clean_provinces(inputs: Inputs) -> dict[str, gpd.GeoDataFrame]:
    path = inputs.raw("ocha_admin1_2016", "syr_admin1.shp")
    layer = _read_layer(path, gpd.read_file)
    _require_columns(layer, ["PCODE", "NAME_EN", "NAME_AR"], path)
    _check_governorates(layer, path)
    if layer.crs is None or layer.crs.to_epsg() != 4326:
        raise DataError(f"{path}: the layer's CRS is {layer.crs}, not EPSG:4326 (see the .prj file).")
    original = layer.geometry.values
    _check_shapes(layer, original, path, "in the raw layer")

    shapes = shapely.coverage_simplify(original, SIMPLIFY_TOLERANCE)  # shared borders stay shared
    # Rounding vertex by vertex moves a shared vertex identically on both sides of a border.
    shapes = shapely.transform(shapes, lambda xy: np.round(xy, DECIMALS))
    shapes = shapely.remove_repeated_points(shapes)
    shapes = shapely.orient_polygons(shapes, exterior_cw=True)
    _check_shapes(layer, shapes, path, "after simplification")

    ratio = shapely.area(shapes) / shapely.area(original)
    off = np.abs(ratio - 1) > AREA_TOLERANCE
    if off.any():
        i = int(np.argmax(np.abs(ratio - 1)))
        raise DataError(f"{path}: simplifying changed the area of {layer['PCODE'].iloc[i]} by "
                        f"{100 * (ratio[i] - 1):+.1f}%, beyond {100 * AREA_TOLERANCE:.0f}%; "
                        "lower SIMPLIFY_TOLERANCE in storykit/cleaners/boundaries.py.")
    union = shapely.union_all(shapes).area / shapely.union_all(original).area
    if abs(union - 1) > UNION_TOLERANCE:
        raise DataError(f"{path}: simplifying changed the country's area by {100 * (union - 1):+.1f}%; "
                        "lower SIMPLIFY_TOLERANCE in storykit/cleaners/boundaries.py.")

    provinces = gpd.GeoDataFrame(
        {"pcode": layer["PCODE"], "name_en": layer["NAME_EN"], "name_ar": layer["NAME_AR"]},
        geometry=shapes, crs=layer.crs,
    )
    return {"provinces": provinces.sort_values("pcode", ignore_index=True)}


def _check_shapes(layer: gpd.GeoDataFrame, shapes, path: Path, when: str) -> None:
    """Every shape a valid (multi)polygon, and together a coverage: no gaps between them, no overlaps."""
    bad = ~shapely.is_valid(shapes) | ~np.isin(shapely.get_type_id(shapes), (3, 6))  # Polygon, MultiPolygon
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: the shape of {layer['PCODE'].iloc[i]} is not a valid polygon {when}: "
                        f"{shapely.is_valid_reason(shapes[i])}. Check the file, or the simplification settings.")
    if not shapely.coverage_is_valid(shapes):
        raise DataError(f"{path}: the governorates overlap or their shared borders do not match {when}. "
                        "Check the file, or the simplification settings.")
    holes = shapely.get_num_interior_rings(shapely.get_parts(shapely.union_all(shapes))).sum()
    if holes:
        raise DataError(f"{path}: there are {holes} gaps between the governorates {when}. "
                        "Check the file, or the simplification settings.")
