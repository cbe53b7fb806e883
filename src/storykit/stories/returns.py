"""Syrians going home: refugees returning to Syria and displaced people returning to their areas,
from UNHCR's returns columns (refugees.returned_refugees, idps_national.returned_idps,
idp_returns_by_governorate).

Returns are flows: the people who came back during a year (during the first half, for the
release's mid-year figures), not a stock like the refugees and IDPs counted at a date.
"""

import pandas as pd

from ..errors import DataError
from .displacement import MID_YEAR, _need, abroad_and_inside, release

REFUGEES, IDPS = "Refugees returning to Syria", "Displaced people returning to their areas"
OTHER = "All other countries"


def period_label(year: int) -> str:
    """'2024' for a whole year; '2025, to mid-year' for the release's mid-year figures."""
    return f"{int(year)}, to mid-year" if int(year) == MID_YEAR else str(int(year))


def in_period(year: int) -> str:
    """'in 2024'; 'in 2025 up to mid-year' for the release's mid-year figures."""
    return f"in {int(year)} up to mid-year" if int(year) == MID_YEAR else f"in {int(year)}"


def period_label_ar(year: int) -> str:
    """period_label() in Arabic: '2024'; 'النصف الأول من 2025' (the first half of 2025) for the release's
    mid-year figures."""
    return f"النصف الأول من {int(year)}" if int(year) == MID_YEAR else str(int(year))


def in_period_ar(year: int) -> str:
    """in_period() in Arabic: 'في عام 2024'; 'في النصف الأول من عام 2025' for the mid-year figures (Arabic
    has no capitals: it serves where the English writes in_period(year).capitalize() too)."""
    return f"في النصف الأول من عام {int(year)}" if int(year) == MID_YEAR else f"في عام {int(year)}"


def words_ar() -> dict[str, str]:
    """English -> Arabic for the labels long_form writes into its table (the two kinds, the mid-year period),
    to merge into a notebook's words=AR; came_back_from's OTHER is in displacement.country_words()."""
    return {REFUGEES: "لاجئون عائدون إلى سوريا", IDPS: "نازحون عائدون إلى مناطقهم",
            period_label(MID_YEAR): period_label_ar(MID_YEAR)}


def by_year(refugees: pd.DataFrame, idps_national: pd.DataFrame) -> pd.DataFrame:
    """Returns per year from UNHCR's current release, both kinds side by side: year, refugees, idps
    (empty where UNHCR gives no number for that kind that year), from the first year either has one."""
    out = abroad_and_inside(refugees, idps_national, "returned_refugees", "returned_idps")
    some = out[["refugees", "idps"]].fillna(0).sum(axis=1) > 0
    if not some.any():
        raise DataError("UNHCR's current release records no returns in any year: check `storykit process`.")
    return out[out["year"] >= out.loc[some, "year"].min()].reset_index(drop=True)


def long_form(years: pd.DataFrame) -> pd.DataFrame:
    """by_year's table for a chart: year, period (its label), kind, returns."""
    out = years.melt(id_vars="year", value_vars=["refugees", "idps"], var_name="kind", value_name="returns")
    out["kind"] = out["kind"].map({"refugees": REFUGEES, "idps": IDPS})
    out["period"] = out["year"].map(period_label)
    return out[["year", "period", "kind", "returns"]].sort_values(["kind", "year"], ignore_index=True)


def came_back_from(refugees: pd.DataFrame, year: int, top_n: int) -> pd.DataFrame:
    """The countries most of `year`'s returning refugees came back from, the rest together:
    asylum_iso3, asylum_name, returned, share (of all returns that year)."""
    if top_n < 1:
        raise DataError(f"top_n = {top_n}: ask for at least one country.")
    rows = release(refugees)
    rows = rows[(rows["year"] == year) & (rows["returned_refugees"] > 0)]
    if rows.empty:
        raise DataError(f"UNHCR's current release records no refugees returning to Syria in {year}.")
    ranked = rows.sort_values(["returned_refugees", "asylum_name"], ascending=[False, True])
    top = ranked.head(top_n)[["asylum_iso3", "asylum_name", "returned_refugees"]]
    rest = ranked.iloc[top_n:]["returned_refugees"].sum()
    if rest > 0:
        top = pd.concat([top, pd.DataFrame([{"asylum_iso3": "", "asylum_name": OTHER, "returned_refugees": rest}])])
    top = top.rename(columns={"returned_refugees": "returned"}).reset_index(drop=True)
    top["share"] = (top["returned"] / rows["returned_refugees"].sum()).astype(float)
    return top


def by_governorate(returns: pd.DataFrame, year: int) -> pd.DataFrame:
    """IDP returns in `year` by the governorate people returned to: pcode, returned, share; most first."""
    _need(returns, "idp_returns_by_governorate", ("year", "pcode", "returned_idps"))
    rows = returns[returns["year"] == year]
    if rows.empty:
        years = sorted(int(y) for y in returns["year"].unique())
        raise DataError(f"UNHCR gives IDP returns by governorate for {', '.join(map(str, years))}, not {year}."
                        if years else "UNHCR's release gives no IDP returns by governorate (idp_returns_by_governorate "
                        "is empty): leave the map out, or check the release in the catalogue.")
    out = rows[["pcode", "returned_idps"]].rename(columns={"returned_idps": "returned"})
    out["share"] = (out["returned"] / out["returned"].sum()).astype(float)
    return out.sort_values(["returned", "pcode"], ascending=[False, True], ignore_index=True)
