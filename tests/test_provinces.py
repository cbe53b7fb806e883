"""The provinces map layer: 14 simplified governorates that still tile Syria, wound for Plotly."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.boundaries import clean_provinces
from storykit.errors import DataError


@pytest.fixture(scope="module")
def original(raw_root):
    return gpd.read_file(raw_root / "ocha_admin1_2016" / "syr_admin1.shp").set_index("PCODE").sort_index()


@pytest.fixture(scope="module")
def written(processed):
    return processed / "provinces.geojson"


@pytest.fixture(scope="module")
def provinces(written):
    return gpd.read_file(written)


def test_fourteen_valid_governorates_in_wgs84(provinces, written):
    assert len(provinces) == 14
    assert sorted(provinces["pcode"]) == [f"SY{i:02d}" for i in range(1, 15)]
    assert provinces.crs.to_epsg() == 4326
    assert shapely.is_valid(provinces.geometry.values).all()
    assert set(provinces.geom_type) <= {"Polygon", "MultiPolygon"}
    properties = json.loads(written.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert set(properties) == {"pcode", "name_en", "name_ar"}


def test_names_are_the_layers(provinces, original):
    p = provinces.set_index("pcode").sort_index()
    assert p["name_en"].tolist() == original["NAME_EN"].tolist()
    assert p["name_ar"].tolist() == original["NAME_AR"].tolist()


def test_small_enough_for_the_web(written, original):
    assert written.stat().st_size < 100_000
    assert shapely.get_num_coordinates(gpd.read_file(written).geometry.values).sum() < \
        shapely.get_num_coordinates(original.geometry.values).sum() / 5


def test_exterior_rings_are_clockwise_and_holes_anticlockwise(provinces):
    polygons = shapely.get_parts(provinces.geometry.values)
    assert not shapely.is_ccw(shapely.get_exterior_ring(polygons)).any()
    holes = [ring for polygon in polygons for ring in polygon.interiors]
    assert holes and all(ring.is_ccw for ring in holes)  # Rural Damascus has a hole: Damascus


def test_still_a_coverage_without_gaps_or_overlaps(provinces):
    shapes = provinces.geometry.values
    assert shapely.coverage_is_valid(shapes)
    union = shapely.union_all(shapes)
    assert union.area == pytest.approx(shapely.area(shapes).sum(), rel=1e-9)  # no overlaps
    assert shapely.get_num_interior_rings(shapely.get_parts(union)).sum() == 0  # no gaps


def test_areas_close_to_the_original(provinces, original):
    p = provinces.set_index("pcode").sort_index()
    ratio = shapely.area(p.geometry.values) / shapely.area(original.geometry.values)
    assert np.abs(ratio - 1).max() < 0.02
    union = shapely.union_all(p.geometry.values).area / shapely.union_all(original.geometry.values).area
    assert abs(union - 1) < 0.01


def test_each_province_stays_in_place(provinces, original):
    p = provinces.set_index("pcode").sort_index()
    inside = shapely.contains(original.geometry.values, shapely.point_on_surface(p.geometry.values))
    assert inside.all()


def copy_layer(raw_root, tmp_path, change):
    layer = change(gpd.read_file(raw_root / "ocha_admin1_2016" / "syr_admin1.shp"))
    (tmp_path / "ocha_admin1_2016").mkdir()
    layer.to_file(tmp_path / "ocha_admin1_2016" / "syr_admin1.shp", encoding="utf-8")
    return Inputs(tmp_path, tmp_path / "out")


def test_refuses_a_missing_governorate(raw_root, tmp_path):
    inputs = copy_layer(raw_root, tmp_path, lambda layer: layer.iloc[:-1])
    with pytest.raises(DataError, match=r"syr_admin1\.shp.*14 governorates"):
        clean_provinces(inputs)


def test_refuses_another_crs(raw_root, tmp_path):
    inputs = copy_layer(raw_root, tmp_path, lambda layer: layer.to_crs(3857))
    with pytest.raises(DataError, match=r"syr_admin1\.shp.*EPSG:4326"):
        clean_provinces(inputs)


def test_refuses_overlapping_governorates(raw_root, tmp_path):
    def grow_one(layer):
        layer = layer.copy()
        layer.loc[0, "geometry"] = layer.geometry.iloc[0].buffer(0.05)
        return layer

    with pytest.raises(DataError, match=r"syr_admin1\.shp.*overlap"):
        clean_provinces(copy_layer(raw_root, tmp_path, grow_one))
