"""Schemas type and check cleaner output; errors name the table, column, row and value."""

import pandas as pd
import pytest

from storykit.errors import DataError
from storykit.atomic import atomic_path
from storykit.ingest.tables import PCODE, SOURCE, Field, Schema, conform

SCHEMA = Schema(
    "example", "Example", (Field("year", "integer", required=True), PCODE,
                           Field("count", "number", minimum=0), Field("day", "date"), SOURCE),
    primary_key=("year", "pcode"),
)


def frame(**changes) -> pd.DataFrame:
    data = {"year": [2016, 2017], "pcode": ["SY01", "SY14"], "count": [1.5, None],
            "day": ["2016-12-30", "2017-01-01"], "source": ["x", "x"], "extra": [1, 2]}
    return pd.DataFrame(data | changes)


def test_conform_types_and_keeps_only_declared_columns():
    out = conform(frame(), SCHEMA, "raw.csv")
    assert list(out.columns) == ["year", "pcode", "count", "day", "source"]
    assert str(out["year"].dtype) == "Int64" and str(out["count"].dtype) == "Float64"
    assert out["count"].isna().tolist() == [False, True]
    assert out["day"][0].isoformat() == "2016-12-30"


@pytest.mark.parametrize("changes, words", [
    ({"count": [1, -3]}, ["'count'", "below 0", "row 1", "-3"]),
    ({"pcode": ["SY01", "SY15"]}, ["'pcode'", "SY15"]),
    ({"year": [2016, None]}, ["'year'", "empty"]),
    ({"year": [2016, 2016], "pcode": ["SY01", "SY01"]}, ["share a key", "year=2016, pcode=SY01"]),
    ({"count": ["1", "many"]}, ["'count'", "many"]),
    ({"year": [2016.5, 2017]}, ["'year'", "2016.5"]),
    ({"day": ["2016-12-30", "someday"]}, ["'day'", "someday"]),
])
def test_bad_values_are_named(changes, words):
    with pytest.raises(DataError) as err:
        conform(frame(**changes), SCHEMA, "raw.csv")
    for word in ["raw.csv", *words]:
        assert word in str(err.value)


def test_a_missing_column_is_named():
    with pytest.raises(DataError, match="raw.csv.*no column count"):
        conform(frame().drop(columns="count"), SCHEMA, "raw.csv")


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="^killed$"), atomic_path(target) as tmp:  # the error itself, passed on
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]
