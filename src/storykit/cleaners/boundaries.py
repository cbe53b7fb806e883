"""OCHA's 2016 administrative boundaries: the gazetteer of P-codes and names, and the provinces map layer."""

from pathlib import Path

import pandas as pd
import pyogrio

from ..errors import DataError
from ..tables import SOURCE, Field, Schema
from . import Inputs, cleaner

# Counts stated in SOURCES.md for the 2016 layers.
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


def _attributes(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: the shapefile is missing. Run `storykit fetch` first.")
    return pyogrio.read_dataframe(path, read_geometry=False)


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
