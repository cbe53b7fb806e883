"""VDC cleaners: the docs/sources.md facts on the real files, and messy synthetic exports."""

import pandas as pd
import pytest

from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.vdc import DAILY, DAILY_SCHEMA, VICTIMS, VICTIMS_SCHEMA, clean_vdc_daily, clean_vdc_victims
from storykit.errors import DataError
from storykit.ingest.tables import conform


@pytest.fixture(scope="module")
def upstream(processed):
    return processed  # the synthetic runs need the real gazetteer


@pytest.fixture(scope="module")
def victims(processed):
    return pd.read_parquet(processed / "victims.parquet")


@pytest.fixture(scope="module")
def daily(processed):
    return pd.read_parquet(processed / "deaths_daily.parquet")


@pytest.fixture(scope="module")
def army(processed):
    return pd.read_parquet(processed / "army_deaths.parquet")


# --- the real files against docs/sources.md --------------------------------------------------------

def test_victims_facts(victims):
    assert len(victims) == 18_575
    years = pd.to_datetime(victims["date"]).dt.year.value_counts().to_dict()
    assert years == {2011: 2_314, 2012: 16_261}
    assert victims["record_id"].is_unique


def test_victims_values_stripped_and_split(victims):
    for column in ("province_raw", "area", "status", "sex", "age_group", "cause"):
        values = victims[column].dropna()
        assert values.eq(values.str.strip()).all(), column
    assert set(victims["sex"].dropna()) <= {"Male", "Female"}
    assert set(victims["age_group"].dropna()) <= {"Adult", "Child"}


def test_victims_places(victims):
    # only VDC's no-place labels go without a P-code
    unplaced = victims.loc[victims["pcode"].isna(), "province_raw"]
    assert len(unplaced) > 0 and set(unplaced) == {"Other"}
    assert victims["pcode"].nunique() == 14


def test_daily_facts(daily):
    assert daily["deaths"].sum() == 137_475
    assert str(daily["deaths"].dtype) == "Int64"
    assert daily["pcode"].nunique() == 14
    assert daily.groupby("date").size().eq(14).all()


def test_army_facts(army):
    assert len(army) == 4_065
    assert army["rank"].notna().sum() > 0
    assert set(army.loc[army["pcode"].isna(), "province_raw"].dropna()) <= {"Unknown", "Other Nationalities"}


# --- synthetic exports -----------------------------------------------------------------------------

def write(tmp_path, source, name, text):
    folder = tmp_path / source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


VICTIMS_HEADER = '"","Status","Sex","Province","Area","Date.of.death","Cause.of.death","Province2"\n'


def test_synthetic_victims(tmp_path, upstream):
    text = VICTIMS_HEADER + (
        '"7"," Civilian"," Adult - Male"," Deir Ezzor"," Mayadin",2012-01-02," Shooting","Dayr Az Zawr"\n'
        '"9"," non-civilian"," Unknown"," Other"," ",2012-01-03," Shelling"," Other"\n'
        '"12"," Civilian"," Child - Female"," Damascus Suburbs"," Douma",2011-12-31," Shelling","Rif Dimashq"\n'
        '"13"," Civilian"," adult-unknown"," Homs"," ",2012-02-01," Shelling","Hims"\n'
    )
    raw = write(tmp_path, VICTIMS, "vdc_export.csv", text)
    out = conform(clean_vdc_victims(Inputs(raw, upstream))["victims"], VICTIMS_SCHEMA, "synthetic")
    out = out.set_index("record_id")
    # SY09 Deir-ez-Zor, SY03 Rural Damascus: docs/sources.md, ocha_admin1_2016.
    assert out.loc[7, "pcode"] == "SY09"
    assert out.loc[12, "pcode"] == "SY03"
    assert pd.isna(out.loc[9, "pcode"]) and out.loc[9, "province_raw"] == "Other"
    assert pd.isna(out.loc[9, "area"]) and out.loc[7, "area"] == "Mayadin"
    assert (out.loc[7, "sex"], out.loc[7, "age_group"]) == ("Male", "Adult")
    assert (out.loc[12, "sex"], out.loc[12, "age_group"]) == ("Female", "Child")
    assert (out.loc[9, "sex"], out.loc[9, "age_group"]) == ("Unknown", "Unknown")
    assert (out.loc[13, "sex"], out.loc[13, "age_group"]) == ("Unknown", "Adult")
    assert out.loc[9, "status"] == "Non-Civilian"
    assert str(out.loc[12, "date"]) == "2011-12-31"


def test_synthetic_unknown_province(tmp_path, upstream):
    text = VICTIMS_HEADER + '"1"," Civilian"," Adult - Male"," Atlantis"," ",2012-01-02," Shooting","X"\n'
    raw = write(tmp_path, VICTIMS, "vdc_export.csv", text)
    with pytest.raises(DataError, match=r"vdc_export\.csv, column 'Province': 1 distinct name\(s\) are not governorates "
                                        r"of the OCHA gazetteer:\n  'Atlantis': matches no place"):
        clean_vdc_victims(Inputs(raw, upstream))


def test_synthetic_bad_date(tmp_path, upstream):
    text = VICTIMS_HEADER + '"1"," Civilian"," Adult - Male"," Homs"," ",2012-13-02," Shooting","Hims"\n'
    raw = write(tmp_path, VICTIMS, "vdc_export.csv", text)
    with pytest.raises(DataError, match=r"vdc_export\.csv: column 'Date.of.death' has 1 values that are not YYYY-MM-DD "
                                        r"dates, first on line 2: '2012-13-02'\. Fix or remove those rows upstream"):
        clean_vdc_victims(Inputs(raw, upstream))


def test_synthetic_sex_in_an_unknown_form(tmp_path, upstream):
    text = VICTIMS_HEADER + '"1"," Civilian"," Male - Grown"," Homs"," ",2012-01-02," Shooting","Hims"\n'
    raw = write(tmp_path, VICTIMS, "vdc_export.csv", text)
    with pytest.raises(DataError, match=r"vdc_export\.csv: column 'Sex' holds 'Male - Grown', which is not 'Age - Sex'"
                                        r".*Teach storykit\.ingest\.cleaners\.vdc\.split_sex the new form"):
        clean_vdc_victims(Inputs(raw, upstream))


DAILY_HEADER = "day,Aleppo,Damascus Suburbs,Deir Ezzor\n"


def run_daily(tmp_path, upstream, body):
    raw = write(tmp_path, DAILY, "casualties_by_province_by_day.csv", DAILY_HEADER + body)
    return clean_vdc_daily(Inputs(raw, upstream))["deaths_daily"]


def test_synthetic_daily(tmp_path, upstream):
    out = run_daily(tmp_path, upstream, "2012-05-01,3.0,0.0,2.0\n2012-05-03,0.0,1.0,0.0\n")
    out = conform(out, DAILY_SCHEMA, "synthetic")
    assert len(out) == 6 and out["deaths"].sum() == 6
    # SY02 Aleppo, SY03 Rural Damascus, SY09 Deir-ez-Zor: docs/sources.md, ocha_admin1_2016.
    assert out.loc[out["pcode"] == "SY02", "deaths"].tolist() == [3, 0]
    assert out.loc[out["pcode"] == "SY03", "deaths"].tolist() == [0, 1]
    assert out.loc[out["pcode"] == "SY09", "deaths"].tolist() == [2, 0]


@pytest.mark.parametrize("cell", ["2.5", "", "-1.0", "many"])
def test_synthetic_daily_bad_count(tmp_path, upstream, cell):
    with pytest.raises(DataError, match=r"casualties_by_province_by_day\.csv: 1 cells are not whole, non-negative numbers "
                                        rf"of deaths, first on 2012-05-03 in column 'Damascus Suburbs': '{cell}'\."):
        run_daily(tmp_path, upstream, f"2012-05-01,3.0,0.0,2.0\n2012-05-03,0.0,{cell},0.0\n")


def test_synthetic_daily_unknown_column(tmp_path, upstream):
    raw = write(tmp_path, DAILY, "casualties_by_province_by_day.csv", "day,Aleppo,Gotham\n2012-05-01,1.0,2.0\n")
    with pytest.raises(DataError, match=r"casualties_by_province_by_day\.csv, column names: 1 distinct name\(s\) are not "
                                        r"governorates of the OCHA gazetteer:\n  'Gotham': matches no place"):
        clean_vdc_daily(Inputs(raw, upstream))
