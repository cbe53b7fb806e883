"""The gazetteer: OCHA's places and the many spellings the sources use for them."""

import os

import geopandas as gpd
import pandas as pd
import re

import pytest

from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.boundaries import clean_gazetteer
from storykit.errors import DataError
from storykit.gazetteer import Gazetteer, UnknownPlaceError, is_no_place, normalise, to_pcode

# docs/sources.md, ocha_admin1_2016: the P-codes and OCHA's English names, SY01 Damascus, SY02 Aleppo, ...
SOURCES_PCODES = {
    "SY01": "Damascus", "SY02": "Aleppo", "SY03": "Rural Damascus", "SY04": "Homs", "SY05": "Hama",
    "SY06": "Lattakia", "SY07": "Idleb", "SY08": "Al-Hasakeh", "SY09": "Deir-ez-Zor", "SY10": "Tartous",
    "SY11": "Ar-Raqqa", "SY12": "Dar'a", "SY13": "As-Sweida", "SY14": "Quneitra",
}
SUFFIX = " : Mohafazah - Governorate"

# Spellings quoted in docs/sources.md (unhcr_demographics location, ucdp_ged_syria_2016_2019 adm_1,
# vdc_victims_2011_2012 Province and Province2), and the OCHA name meant.
SOURCES_SPELLINGS = {
    "Aleppo" + SUFFIX: "Aleppo",
    "Dayr Az-Zor" + SUFFIX: "Deir-ez-Zor",
    "Hassakeh" + SUFFIX: "Al-Hasakeh",
    "Dara" + SUFFIX: "Dar'a",
    "As-Suweida" + SUFFIX: "As-Sweida",
    "Al Qunaytirah" + SUFFIX: "Quneitra",
    "Deir-ez-Zor [Admin 1]": "Deir-ez-Zor",
    "Al-Hasakeh [Admin 1]": "Al-Hasakeh",
    "Aleppo Governorate": "Aleppo",
    "Rif Dimashq Governorate": "Rural Damascus",
    "Deir ez Zor Governorate": "Deir-ez-Zor",
    "Hamah Governorate": "Hama",
    "Ar Raqqah Governorate": "Ar-Raqqa",
    "Al Hasakah Governorate": "Al-Hasakeh",
    "As Suwayda Governorate": "As-Sweida",
    " Damascus Suburbs": "Rural Damascus",
    " Deir Ezzor": "Deir-ez-Zor",
    " Hasakeh": "Al-Hasakeh",
    " Sweida": "As-Sweida",
    " Daraa": "Dar'a",
    " Tartous": "Tartous",
    "Al <U+1E24>asakah": "Al-Hasakeh",
}

# Spellings found in no source file, that the matching rules (not the alias list) must resolve.
UNSEEN_SPELLINGS = {
    "Dayr az Zawr": "Deir-ez-Zor",
    "Al-Hasaka": "Al-Hasakeh",
    "Lattaquié": "Lattakia",
    "Homs Governorate": "Homs",
    "Idlib Province": "Idleb",
    "Deir ez-Zour": "Deir-ez-Zor",
    "Quneitrah": "Quneitra",
    "Damascus Suburb": "Rural Damascus",
    "AR-RAQQA": "Ar-Raqqa",
    "Dar‘a": "Dar'a",
}

ARABIC = {
    "حماه": "Hama",  # taa marbuta written as haa
    "حماة": "Hama",
    "دير الزور": "Deir-ez-Zor",
    "محافظة حلب": "Aleppo",
    "حَلَب": "Aleppo",  # with harakat
    "حـلب": "Aleppo",  # with tatweel
    "ادلب": "Idleb",  # bare alef for إ
    "الرقه": "Ar-Raqqa",
    "ريف دمشق": "Rural Damascus",
}

NEVER = ["Damascus Street, Paris", "Atlantis", "Tarsus", "Syria", "SY01", "FIPS SY01", "Hamas", "Aleppo pepper",
         "Damascus, Virginia", "Tartarus"]


@pytest.fixture(scope="module")
def gazetteer_file(processed):
    return processed / "gazetteer.parquet"


@pytest.fixture(scope="module")
def gaz(gazetteer_file):
    return Gazetteer.load(gazetteer_file)


def names_of(gaz, pcodes):
    return gaz.table.set_index("pcode").loc[pcodes, "name_en"].tolist()


# --- the table -------------------------------------------------------------------------------------

def test_table_has_the_14_governorates_and_62_districts(gaz):
    t = gaz.table
    assert (t["level"] == 1).sum() == 14
    assert (t["level"] == 2).sum() == 62
    assert t["pcode"].is_unique


def test_governorate_pcodes_are_those_of_sources_md(gaz):
    t = gaz.table[gaz.table["level"] == 1]
    assert dict(zip(t["pcode"], t["name_en"])) == SOURCES_PCODES
    assert t["parent_pcode"].isna().all()


def test_districts_belong_to_their_governorate(gaz):
    d = gaz.table[gaz.table["level"] == 2]
    assert d["parent_pcode"].notna().all()
    assert (d["pcode"].str[:4] == d["parent_pcode"]).all()
    assert set(d["parent_pcode"]) == set(SOURCES_PCODES)


def test_cleaner_refuses_a_layer_missing_a_governorate(raw_root, tmp_path):
    for sid, member in (("ocha_admin1_2016", "syr_admin1.shp"), ("ocha_admin2_2016", "syr_admin2.shp")):
        layer = gpd.read_file(raw_root / sid / member)
        (tmp_path / sid).mkdir()
        if sid == "ocha_admin1_2016":
            layer = layer.iloc[1:]
        layer.to_file(tmp_path / sid / member, encoding="utf-8")
    with pytest.raises(DataError, match=r"syr_admin1\.shp.*expected 14 governorates"):
        clean_gazetteer(Inputs(tmp_path, tmp_path / "out"))


# --- matching --------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling,expected", {**SOURCES_SPELLINGS, **UNSEEN_SPELLINGS, **ARABIC}.items())
def test_spellings_resolve(gaz, spelling, expected):
    assert names_of(gaz, gaz.to_pcode([spelling])) == [expected]


def test_every_layer_name_resolves_to_itself(gaz):
    for level in (1, 2):
        t = gaz.table[gaz.table["level"] == level]
        for column in ("name_en", "name_en_ref", "name_ar"):
            assert gaz.to_pcode(t[column], level=level) == t["pcode"].tolist(), column


def test_order_and_repeats_are_kept(gaz):
    got = gaz.to_pcode(["Sweida", "Aleppo", "Sweida", "حلب", "Damascus"])
    assert names_of(gaz, got) == ["As-Sweida", "Aleppo", "As-Sweida", "Aleppo", "Damascus"]
    # A Series is read in its order, not its index's: SY04 is Homs (docs/sources.md, ocha_admin1_2016).
    assert gaz.to_pcode(pd.Series(["Homs", "Hims"], index=[7, 3])) == ["SY04", "SY04"]


def test_damascus_city_and_countryside_stay_apart(gaz):
    city, countryside = gaz.to_pcode(["Damascus", "Damascus Countryside"])
    assert names_of(gaz, [city, countryside]) == ["Damascus", "Rural Damascus"]
    assert names_of(gaz, gaz.to_pcode(["Damascus City", "Damascus Governorate", "Rural Damascus"])) == [
        "Damascus", "Damascus", "Rural Damascus"]


@pytest.mark.parametrize("name", NEVER)
def test_never_guesses(gaz, name):
    with pytest.raises(UnknownPlaceError, match=f"are not governorates of the OCHA gazetteer:\n  {re.escape(repr(name))}: "):
        gaz.to_pcode([name])


def test_unknown_names_are_all_listed_once(gaz):
    with pytest.raises(UnknownPlaceError) as err:
        gaz.to_pcode(["Aleppo", "Atlantis", "Tarsus", "Atlantis", "Homs", "Narnia"])
    assert isinstance(err.value, ValueError) and isinstance(err.value, DataError)
    assert err.value.unknown == ["Atlantis", "Tarsus", "Narnia"]
    message = str(err.value)
    assert message.count("'Atlantis'") == 1 and "'Tarsus'" in message and "'Narnia'" in message
    assert "ALIASES" in message  # says what to do
    assert "'Aleppo'" not in message


def test_bare_codes_need_their_scheme(gaz):
    with pytest.raises(UnknownPlaceError, match="codes='pcode'"):
        gaz.to_pcode(["SY01"])
    assert names_of(gaz, gaz.to_pcode(["SY01", "sy14"], codes="pcode")) == ["Damascus", "Quneitra"]
    assert names_of(gaz, gaz.to_pcode(["pcode:SY08", "Aleppo"])) == ["Al-Hasakeh", "Aleppo"]
    assert gaz.to_pcode(["SY0200"], level=2, codes="pcode") == ["SY0200"]
    with pytest.raises(UnknownPlaceError, match="'SY15'"):
        gaz.to_pcode(["SY15"], codes="pcode")
    with pytest.raises(UnknownPlaceError, match="'pcode:SY15': is not a level-1 OCHA P-code"):
        gaz.to_pcode(["pcode:SY15"])
    with pytest.raises(UnknownPlaceError, match="'SY0200': is not a level-1 OCHA P-code"):
        gaz.to_pcode(["SY0200"], level=1, codes="pcode")
    with pytest.raises(UnknownPlaceError, match="'Aleppo': is not a level-1 OCHA P-code"):
        gaz.to_pcode(["Aleppo"], codes="pcode")


def test_districts_are_a_separate_level(gaz):
    # Damascus the governorate is SY01 (docs/sources.md, ocha_admin1_2016); Damascus the district is the
    # level-2 row of that name, within SY01, as the table (from OCHA's level-2 layer) has it.
    districts = gaz.table[gaz.table["level"] == 2]
    [damascus_district] = districts.loc[districts["name_en"] == "Damascus", "pcode"]
    assert damascus_district.startswith("SY01") and damascus_district != "SY01"
    assert gaz.to_pcode(["Damascus"], level=1) == ["SY01"]
    assert gaz.to_pcode(["Damascus"], level=2) == [damascus_district]
    assert names_of(gaz, gaz.to_pcode(["Jabal Saman district", "Markaz Daraa district", "مركز حمص", "Azaz"],
                                      level=2)) == ["Jebel Saman", "Dar'a", "Homs", "A'zaz"]
    with pytest.raises(UnknownPlaceError, match="not districts"):
        gaz.to_pcode(["Aleppo"], level=2)  # the district around Aleppo city is Jebel Saman
    with pytest.raises(UnknownPlaceError, match="'Jebel Saman': matches no place, or more than one"):
        gaz.to_pcode(["Jebel Saman"], level=1)
    with pytest.raises(ValueError, match="levels"):
        gaz.to_pcode(["Aleppo"], level=3)


@pytest.mark.parametrize("value", ["Other", " Other", " Other Nationalities", "Unknown", "Dispersed in the country / territory", "",
                                   "  ", None, float("nan"), pd.NA, "n/a"])
def test_no_place_values(gaz, value):
    assert is_no_place(value)
    with pytest.raises(UnknownPlaceError, match="is_no_place"):
        gaz.to_pcode(["Aleppo", value])


@pytest.mark.parametrize("value", ["Aleppo", "حلب", "Other Province of Syria", "SY01"])
def test_places_are_not_no_place(value):
    assert not is_no_place(value)


def test_normalise():
    assert normalise("Al <U+1E24>asakah : Mohafazah - Governorate") == "hasakah"
    assert normalise("Dar'a [Admin 1]") == normalise("Dara") == "dara"
    assert normalise("أَلْحَسَكَة") == normalise("الحسكه")


# --- synthetic tables: the rules alone -------------------------------------------------------------

def synthetic(rows):
    return pd.DataFrame(rows, columns=["pcode", "level", "name_en", "name_en_ref", "name_ar", "parent_pcode"])


def test_fuzzy_refuses_when_two_places_are_close():
    gaz = Gazetteer(synthetic([
        ("XX01", 1, "Tall Hamid Sharqi", None, "تل حامد الشرقي", None),
        ("XX02", 1, "Tall Hamid Gharbi", None, "تل حامد الغربي", None),
    ]), aliases={})
    assert gaz.to_pcode(["Tall Hamid Garbi", "Tel Hamed Sharki"]) == ["XX02", "XX01"]
    with pytest.raises(UnknownPlaceError, match="Tall Hamid Sharbi"):
        gaz.to_pcode(["Tall Hamid Sharbi"])  # one letter from each


def test_a_spelling_of_two_places_is_refused():
    gaz = Gazetteer(synthetic([
        ("XX01", 1, "Qasr", None, "قصر", None),
        ("XX02", 1, "Al Qasr", None, "القصر", None),
    ]), aliases={})
    with pytest.raises(UnknownPlaceError, match="'Qasr': matches no place, or more than one"):
        gaz.to_pcode(["Qasr"])


def test_aliases_must_name_places_of_the_table():
    with pytest.raises(DataError, match="Nowhere"):
        Gazetteer(synthetic([("XX01", 1, "Somewhere", None, "مكان", None)]), aliases={1: {"Nowhere": ("N",)}})


def test_load_is_cached_by_path_and_mtime(tmp_path):
    def write(aleppo_code):
        rows = [(aleppo_code if name == "Aleppo" else code, 1, name, name, name, None)
                for code, name in SOURCES_PCODES.items()]
        synthetic(rows).to_parquet(path)

    path = tmp_path / "gazetteer.parquet"
    write("XX02")
    first = Gazetteer.load(path)
    assert Gazetteer.load(path) is first
    assert first.to_pcode(["Halab"]) == ["XX02"]
    write("XX99")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert Gazetteer.load(path) is not first
    assert Gazetteer.load(path).to_pcode(["Halab"]) == ["XX99"]
    with pytest.raises(DataError, match="process"):
        Gazetteer.load(tmp_path / "missing.parquet")


def test_module_to_pcode_reads_the_processed_gazetteer(gazetteer_file, tmp_path, monkeypatch):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "gazetteer.parquet").write_bytes(gazetteer_file.read_bytes())
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    # SY07 Idleb and SY10 Tartous: docs/sources.md, ocha_admin1_2016.
    assert to_pcode(["Idlib", "Tartus"]) == ["SY07", "SY10"]
    assert to_pcode(["Jebel Saman"], level=2) == ["SY0200"]
    # The file under STORYKIT_HOME, not another project's: there Idleb now has a code of its own.
    table = pd.read_parquet(gazetteer_file).replace({"pcode": {"SY07": "XX07"}, "parent_pcode": {"SY07": "XX07"}})
    table.to_parquet(processed / "gazetteer.parquet")
    os.utime(processed / "gazetteer.parquet", ns=(0, (processed / "gazetteer.parquet").stat().st_mtime_ns + 10**9))
    assert to_pcode(["Idlib", "Tartus"]) == ["XX07", "SY10"]
