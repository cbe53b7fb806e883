"""The staleness guard: a source whose latest figures are older than its catalogue limit is reported."""

from datetime import date

import pandas as pd

from storykit import catalogue
from storykit.ingest.staleness import currency


def test_the_latest_period_of_each_source_is_found(tmp_path):
    pd.DataFrame({"year": [2021, 2022], "source": "ucdp_country_year"}).to_parquet(tmp_path / "a.parquet")
    months = pd.to_datetime(["2018-09-01", "2018-10-01"]).date
    pd.DataFrame({"month": months, "source": "unhcr_asylum_monthly"}).to_parquet(tmp_path / "b.parquet")
    pd.DataFrame({"pcode": ["SY01"], "source": "ocha_admin1_2016"}).to_parquet(tmp_path / "c.parquet")
    found = currency(tmp_path)
    assert found["ucdp_country_year"].covers_to == date(2022, 12, 31)
    assert found["unhcr_asylum_monthly"].covers_to == date(2018, 10, 31)
    assert found["ocha_admin1_2016"].covers_to is None


def test_only_a_live_series_past_its_limit_is_stale(tmp_path):
    limit = catalogue.get("ucdp_country_year").max_age_days
    assert limit and catalogue.get("vdc_victims_2011_2012").max_age_days is None
    pd.DataFrame({"year": [2022], "source": "ucdp_country_year"}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"date": [date(2012, 11, 30)], "source": "vdc_victims_2011_2012"}).to_parquet(tmp_path / "v.parquet")
    end = date(2022, 12, 31)
    found = currency(tmp_path).values()
    assert [c for c in found if c.is_stale(end + pd.Timedelta(days=limit))] == []
    later = end + pd.Timedelta(days=limit + 1)
    [message] = [c.message(later) for c in found if c.is_stale(later)]
    assert "ucdp_country_year" in message and "31 December 2022" in message and str(limit) in message
