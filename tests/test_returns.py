"""storykit.stories.returns on small tables made here: what each function keeps, adds up and refuses."""

import pandas as pd
import pytest

from storykit.errors import DataError
from storykit.stories import returns as rt
from storykit.stories.displacement import MID_YEAR


def refugees(rows):
    frame = pd.DataFrame(rows, columns=["source", "year", "asylum_iso3", "asylum_name", "refugees", "returned_refugees"])
    return frame.astype({"year": int, "refugees": "Int64", "returned_refugees": "Int64"})


def national(rows):
    return pd.DataFrame(rows, columns=["source", "year", "idps", "returned_idps"]).astype({"returned_idps": "Int64"})


REFUGEES = refugees([
    ("unhcr_population", 2022, "TUR", "Türkiye", 100, 5),
    ("unhcr_population", 2022, "LBN", "Lebanon", 50, 0),
    ("unhcr_population", 2023, "TUR", "Türkiye", 90, 20),
    ("unhcr_population", 2023, "LBN", "Lebanon", 40, 30),
    ("unhcr_population", 2023, "JOR", "Jordan", 30, 1),
    ("unhcr_hdx_origin_syr", 2022, "TUR", "Türkiye", 99, None),  # another release: never counted
])
NATIONAL = national([("unhcr_population", 2022, 10, 7), ("unhcr_population", 2023, 9, 8), ("idmc_idps", 2023, 11, None)])


def test_by_year_adds_each_kind_from_the_current_release_only():
    out = rt.by_year(REFUGEES, NATIONAL)
    assert out.to_dict("records") == [{"year": 2022, "refugees": 5, "idps": 7}, {"year": 2023, "refugees": 51, "idps": 8}]


def test_by_year_starts_with_the_first_year_that_has_a_return():
    early = pd.concat([refugees([("unhcr_population", 2020, "TUR", "Türkiye", 1, 0)]), REFUGEES])
    assert rt.by_year(early, NATIONAL)["year"].min() == 2022


def test_by_year_refuses_a_table_made_before_the_returns_columns():
    with pytest.raises(DataError, match="returned_refugees.*storykit process"):
        rt.by_year(REFUGEES.drop(columns="returned_refugees"), NATIONAL)


def test_long_form_labels_the_mid_year_period_as_such():
    years = pd.DataFrame({"year": [MID_YEAR - 1, MID_YEAR], "refugees": [1, 2], "idps": [3, 4]})
    out = rt.long_form(years)
    assert set(out["kind"]) == {rt.REFUGEES, rt.IDPS}
    assert out.loc[out.year == MID_YEAR, "period"].unique().tolist() == [f"{MID_YEAR}, to mid-year"]
    assert rt.in_period(MID_YEAR) == f"in {MID_YEAR} up to mid-year" and rt.in_period(2016) == "in 2016"


def test_came_back_from_ranks_names_and_puts_the_rest_together():
    out = rt.came_back_from(REFUGEES, 2023, top_n=1)
    assert out["asylum_name"].tolist() == ["Lebanon", rt.OTHER]
    assert out["returned"].tolist() == [30, 21]
    assert out["share"].sum() == pytest.approx(1)


def test_came_back_from_refuses_a_year_without_returns_and_a_top_n_of_zero():
    with pytest.raises(DataError, match="no refugees returning to Syria in 2019"):
        rt.came_back_from(REFUGEES, 2019, top_n=3)
    with pytest.raises(DataError, match="at least one"):
        rt.came_back_from(REFUGEES, 2023, top_n=0)


def test_by_governorate_shares_and_the_years_it_has():
    rows = pd.DataFrame({"year": [2023, 2023, 2024], "pcode": ["SY01", "SY07", "SY07"], "returned_idps": [1, 3, 5]})
    out = rt.by_governorate(rows, 2023)
    assert out["pcode"].tolist() == ["SY07", "SY01"] and out["share"].tolist() == [0.75, 0.25]
    with pytest.raises(DataError, match="2023, 2024, not 2016"):
        rt.by_governorate(rows, 2016)
