"""The processed data package as `storykit process` leaves it: complete, valid, traceable."""

import json

import pytest

from storykit import catalogue

REQUIRED = {
    "provinces": {"pcode", "name_en", "name_ar"},
    "gazetteer": {"pcode", "name_en", "name_ar"},
    "refugees": {"year", "origin_iso3", "asylum_iso3", "asylum_name", "refugees", "asylum_seekers",
                 "returned_refugees", "source"},
    "asylum_applications": {"month", "asylum_iso3", "applications", "source"},
    "idps_by_governorate": {"year", "pcode", "idps", "source"},
    "idps_national": {"year", "idps", "returned_idps", "source"},
    "idp_returns_by_governorate": {"year", "pcode", "returned_idps", "source"},
    "idp_movements": {"month", "pcode", "movements", "source"},
    "conflict_events": {"event_id", "date_start", "date_end", "pcode", "located_by", "latitude", "longitude",
                        "where_prec", "type_of_violence", "deaths_best", "deaths_low", "deaths_high",
                        "deaths_civilians", "source"},
    "deaths_national": {"year", "deaths_best", "deaths_low", "deaths_high", "source"},
    "victims": {"date", "pcode", "status", "sex", "age_group", "cause", "source"},
    "deaths_daily": {"date", "pcode", "deaths", "source"},
}


@pytest.fixture(scope="module")
def package(processed):
    return json.loads((processed / "datapackage.json").read_text())


def test_every_required_resource_and_column_is_described(package, processed):
    resources = {r["name"]: r for r in package["resources"]}
    for name, columns in REQUIRED.items():
        assert name in resources, f"datapackage.json has no resource {name}"
        declared = {f["name"] for f in resources[name]["schema"]["fields"]}
        assert columns <= declared, f"{name} lacks {columns - declared}"
        assert (processed / resources[name]["path"]).is_file()


def test_every_resource_names_its_raw_files_with_hash_and_licence(package):
    for resource in package["resources"]:
        assert resource["sources"], resource["name"]
        for entry in resource["sources"]:
            source = catalogue.get(entry["id"])
            assert entry["sha256"] in {f.sha256 for f in source.files}
            assert entry["licence"] == source.licence


# Frictionless 5.21.0 reads a parquet file through pandas, and its pandas reader turns the whole row into
# a dict once for every cell (`item.to_dict()[field.name]` inside the loop over fields): rows x columns^2,
# most of a minute for the 27 columns of conflict_events. `faster_pandas_rows` is that reader with the dict
# made once a row: the same iterrows, the same to_dict, the same cells, so the same checks. It is used only
# while the installed reader is the one it was copied from (its source's SHA-256 below); any other version
# runs unchanged, slowly.
PANDAS_READER_SHA256 = "08b65a39edac4f58adb7757a93d1aea51cf2dddb5394ed60e4b46237008f730f"  # frictionless 5.21.0


def faster_pandas_rows(self):
    from frictionless.platform import platform

    np, pd = platform.numpy, platform.pandas
    assert isinstance(self.resource.data, pd.DataFrame)
    dataframe = self.resource.data
    schema = self._PandasParser__read_convert_schema()
    if not self.resource.schema:
        self.resource.schema = schema
    yield schema.field_names
    for pk, item in dataframe.iterrows():
        cells = []
        row = item.to_dict()  # once a row, not once a cell: the only change
        for field in schema.fields:
            if field.name in schema.primary_key:
                pk = pk if isinstance(pk, tuple) else [pk]
                value = pk[schema.primary_key.index(field.name)]
            else:
                value = row[field.name]
            if value is np.nan:
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            cells.append(value)
        yield cells


@pytest.fixture
def frictionless_validate(monkeypatch):
    import hashlib
    import inspect

    from frictionless import validate
    from frictionless.formats.pandas.parser import PandasParser

    source = inspect.getsource(PandasParser.read_cell_stream_create)
    if hashlib.sha256(source.encode()).hexdigest() == PANDAS_READER_SHA256:
        monkeypatch.setattr(PandasParser, "read_cell_stream_create", faster_pandas_rows)
    return validate


def test_frictionless_finds_every_resource_valid(processed, package, frictionless_validate):
    # Every row of every resource, the resources shared out over the processors (forked: they keep the
    # faster reader).
    report = frictionless_validate(processed / "datapackage.json", parallel=True)
    assert len(report.tasks) == len(package["resources"])
    errors = [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors[:3]]
    assert report.valid, "\n".join(errors[:20])


def test_frictionless_names_the_bad_cells_down_to_the_last_row(processed, package, tmp_path, frictionless_validate):
    # The reader above still reads every cell to the last row: a copy of the start of the widest table
    # with two cells broken, one in the middle, one in the last row and last-but-one column.
    import pandas as pd

    [resource] = [r for r in package["resources"] if r["name"] == "conflict_events"]
    events = pd.read_parquet(processed / resource["path"]).head(300)
    events.loc[99, "deaths_best"] = -1
    events.loc[299, "polygon_distance_km"] = -2.5
    events.to_parquet(tmp_path / resource["path"], index=False)
    (tmp_path / "datapackage.json").write_text(json.dumps(package | {"resources": [resource]}))
    report = frictionless_validate(tmp_path / "datapackage.json")
    [task] = report.tasks
    found = sorted((e.row_number, e.field_name, e.type) for e in task.errors)
    # Frictionless numbers rows from the header, which is row 1.
    assert found == [(101, "deaths_best", "constraint-error"), (301, "polygon_distance_km", "constraint-error")]
