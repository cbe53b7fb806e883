"""The IDP movements cleaner: the real workbook's facts (docs/sources.md, ocha_idp_movements), and small
synthetic messy workbooks."""

import re
from datetime import date, datetime

import openpyxl
import pandas as pd
import pyogrio
import pytest

from storykit.ingest import tables
from storykit.ingest.cleaners import Inputs
from storykit.ingest.cleaners.idp_movements import (COMMUNITIES, COMMUNITY_SHEET, MOVEMENTS, SUMMARY_SHEET,
                                                     clean_idp_movements)
from storykit.errors import DataError
from storykit.gazetteer import Gazetteer

GOVERNORATES = {f"SY{i:02d}" for i in range(1, 15)}


@pytest.fixture(scope="module")
def gazetteer_dir(processed):
    return processed  # the synthetic runs need the real gazetteer


@pytest.fixture(scope="module")
def real(processed):
    return {s.name: pd.read_parquet(processed / f"{s.name}.parquet") for s in (MOVEMENTS, COMMUNITIES)}


# --- the real workbook ---------------------------------------------------------------------------

@pytest.mark.parametrize("year, total", [(2016, 2_048_328.7), (2017, 2_797_935.1), (2018, 1_633_977.4)])
def test_yearly_grand_totals_match_sources_md(real, year, total):
    movements = real["idp_movements"]
    by_year = movements.groupby(movements["month"].map(lambda d: d.year))["movements"].sum()
    assert by_year[year] == pytest.approx(total, abs=0.1)


def test_months_run_from_january_2016_to_january_2019(real):
    months = sorted(real["idp_movements"]["month"].unique())
    expected = list(pd.date_range("2016-01-01", "2019-01-01", freq="MS").date)
    assert months == expected
    assert len(months) == 37


def test_every_governorate_has_every_month(real):
    movements = real["idp_movements"]
    assert set(movements["pcode"]) == GOVERNORATES
    assert movements.groupby("month")["pcode"].nunique().eq(14).all()
    assert len(movements) == 37 * 14


def test_movements_are_never_negative_and_keep_fractions(real):
    values = real["idp_movements"]["movements"].dropna()
    assert (values >= 0).all()
    assert (values % 1 != 0).any()  # the source has fractional people; they are not rounded away


def test_communities_are_january_2019_and_add_up_to_the_summary(real):
    communities, movements = real["idp_movements_communities"], real["idp_movements"]
    assert set(communities["month"]) == {pd.Timestamp("2019-01-01").date()}
    january = movements[movements["month"] == pd.Timestamp("2019-01-01").date()].set_index("pcode")["movements"]
    by_governorate = communities.groupby("pcode")["movements"].sum()
    pd.testing.assert_series_equal(by_governorate, january.dropna().loc[by_governorate.index], check_names=False,
                                   check_dtype=False)
    assert (communities["movements"] > 0).all()


def test_community_pcodes_exist_in_ochas_layers(real, raw_root):
    communities = real["idp_movements_communities"]
    folder = raw_root / "ocha_admin2_2016"
    admin2 = set(pyogrio.read_dataframe(folder / "syr_admin2.shp", read_geometry=False)["PCODE"])
    admin3 = set(pyogrio.read_dataframe(raw_root / "ocha_admin3_2016" / "syr_admin3.shp",
                                        read_geometry=False)["PCODE"])
    assert set(communities["admin2_pcode"]) <= admin2
    assert set(communities["admin3_pcode"]) <= admin3


# --- synthetic workbooks ---------------------------------------------------------------------------

NAMES = ["Aleppo", "Idleb", "Dar'a"]
PCODES = {"Aleppo": "SY02", "Idleb": "SY07", "Dar'a": "SY12"}  # docs/sources.md, ocha_admin1_2016
BLOCKS = {2016: ["January", "February", "March"], 2017: ["January", "February", "March", "April"]}
LAST = (2017, "March")  # April 2017 is blank everywhere, like the real sheet's months after January 2019


def value(g: int, year: int, month: str) -> float | None:
    if (year, month) == (2017, "April") or (g, year, month) == (2, 2016, "February"):
        return None  # a month not yet reported; a blank cell inside the reported months
    return 100 * (g + 1) + 10 * BLOCKS[year].index(month) + (year - 2016) + 0.5


def summary_grid(edits: dict | None = None) -> list[list]:
    """The summary sheet as rows of cells, laid out like the real one: columns A Governorate, B-D 2016,
    E 'Total 2016', F spacer, G-J 2017, K 'Total 2016' (mislabelled, as in the real sheet), L spacer,
    M 'Total'; rows 1 years, 2 months, 3-5 governorates, 6 Grand Total, 7-8 footer."""
    years, header = [None], ["Governorate"]
    rows = [[name] for name in NAMES]
    grand, average, days = ["Grand Total"], ["Average of IDP flow per day"], [None]
    for year, months in BLOCKS.items():
        for m in months:
            years.append(year if m == months[0] else None)
            header.append(m)
            cells = [value(g, year, m) for g in range(len(NAMES))]
            for row, v in zip(rows, cells):
                row.append(v)
            grand.append(sum(v or 0 for v in cells))
            average.append(grand[-1] / 30)
            days.append(30)
        years += [None, None]
        header += ["Total 2016", None]
        for g, row in enumerate(rows):
            row += [sum(value(g, year, m) or 0 for m in months), None]
        grand += [sum(r[-2] for r in rows), None]
        average += [None, None]
        days += [None, None]
    years.append("Since Jan 2016")
    header.append("Total")
    for g, row in enumerate(rows):
        row.append(sum(value(g, y, m) or 0 for y, months in BLOCKS.items() for m in months))
    grand.append(sum(r[-1] for r in rows))
    grid = [years, header, *rows, grand, average, days]
    for (r, c), v in (edits or {}).items():
        grid[r][c] = v
    return grid


def community_rows(gaz: Gazetteer) -> list[list]:
    """Two communities per governorate whose sums are March 2017 of the summary."""
    table = gaz.table
    rows = [["Mohafaza", "Mohafaza PCODE", "Mantika", "Mantika PCODE", "Nahya", "Nahya PCODE", "Community",
             "Community PCODE", "IDP_Flow_Estimation"]]
    for g, (name, pcode) in enumerate(zip(NAMES, gaz.to_pcode(NAMES))):
        district = table[table["parent_pcode"].eq(pcode).fillna(False)].iloc[0]
        total = value(g, *LAST)
        for k, share in enumerate((total - 0.5, 0.5)):
            rows.append([name, pcode, district["name_en"], district["pcode"], "Somewhere", district["pcode"] + "01",
                         f"Place {g}{k}", f"C9{g}{k}", share])
    return rows


def expected_movements() -> list[tuple]:
    """(pcode, month, movements) the summary sheet should give, from value(): a blank cell is None; April 2017,
    blank everywhere (not yet reported), is left out."""
    return sorted((PCODES[name], date(year, datetime.strptime(m, "%B").month, 1), value(g, year, m))
                  for g, name in enumerate(NAMES) for year, months in BLOCKS.items() for m in months
                  if (year, m) != (2017, "April"))


def expected_communities(rows) -> list[tuple]:
    """(month, pcode, admin2, admin3, community code, community, movements) of community_rows' rows: the month
    their sums match, LAST."""
    month = date(LAST[0], datetime.strptime(LAST[1], "%B").month, 1)
    return sorted((month, r[1], r[3], r[5], r[7], r[6], r[8]) for r in rows[1:])


def movements_of(out) -> list[tuple]:
    m = out["idp_movements"]
    return sorted((p, d, None if pd.isna(v) else v) for p, d, v in zip(m["pcode"], m["month"], m["movements"]))


def communities_of(out) -> list[tuple]:
    c = out["idp_movements_communities"]
    return sorted(c[["month", "pcode", "admin2_pcode", "admin3_pcode", "community_pcode", "community",
                     "movements"]].itertuples(index=False, name=None))


def write_workbook(raw_root, gaz, *, top=0, left=0, edits=None, communities=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SUMMARY_SHEET
    for r, row in enumerate(summary_grid(edits)):
        for c, v in enumerate(row):
            if v is not None:
                ws.cell(row=top + r + 1, column=left + c + 1, value=v)
    other = wb.create_sheet("December_IDPflow")
    for row in communities or community_rows(gaz):
        other.append(row)
    path = raw_root / "ocha_idp_movements" / "idp_1.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@pytest.fixture
def synthetic(tmp_path, gazetteer_dir):
    """Write a synthetic workbook with the given layout and run the cleaner on it."""
    gaz = Gazetteer.load(gazetteer_dir / "gazetteer.parquet")

    def run(**layout):
        write_workbook(tmp_path, gaz, **layout)
        frames = clean_idp_movements(Inputs(tmp_path, gazetteer_dir))
        return {s.name: tables.conform(frames[s.name], s, "synthetic") for s in (MOVEMENTS, COMMUNITIES)}

    run.gaz = gaz
    return run


def test_synthetic_workbook_parses(synthetic):
    out = synthetic()
    movements = out["idp_movements"]
    months = sorted(movements["month"].unique())
    assert [(d.year, d.month) for d in months] == [(2016, 1), (2016, 2), (2016, 3), (2017, 1), (2017, 2), (2017, 3)]
    row = movements[(movements["pcode"] == "SY02") & (movements["month"] == pd.Timestamp("2017-02-01").date())]
    assert row["movements"].tolist() == [value(0, 2017, "February")]  # Aleppo
    assert movements["movements"].isna().sum() == 1  # Dar'a, February 2016: blank stays empty, not 0
    assert movements_of(out) == expected_movements()
    assert set(out["idp_movements_communities"]["month"]) == {pd.Timestamp("2017-03-01").date()}
    assert communities_of(out) == expected_communities(community_rows(synthetic.gaz))


@pytest.mark.parametrize("top, left", [(1, 0), (3, 2)])
def test_moved_header_still_parses(synthetic, top, left):
    moved = synthetic(top=top, left=left)
    assert movements_of(moved) == expected_movements()
    assert communities_of(moved) == expected_communities(community_rows(synthetic.gaz))


def test_non_numeric_count_names_the_cell(synthetic):
    # Idleb (row 4), February 2016 (column C); row 5 once the sheet is moved down a row.
    with pytest.raises(DataError, match=rf"idp_1\.xlsx, sheet '{SUMMARY_SHEET}', cell C5: 'n/a' is not a number\. "
                                        "Counts must be numbers"):
        synthetic(top=1, edits={(3, 2): "n/a"})


def test_negative_count_names_the_cell(synthetic):
    with pytest.raises(DataError, match=rf"idp_1\.xlsx, sheet '{SUMMARY_SHEET}', cell D3: -5 is negative, which a "
                                        "count of movements cannot be. Check the cell against OCHA's published figures"):
        synthetic(edits={(2, 3): -5})


def test_unknown_governorate_names_the_cell(synthetic):
    with pytest.raises(DataError, match=r"Unknown governorate\(s\) in the IDP movements sheet:\n  "
                                        rf"idp_1\.xlsx, sheet '{SUMMARY_SHEET}', cell A4: 'Atlantis'\n"):
        synthetic(edits={(3, 0): "Atlantis"})


def test_unreadable_month_label_names_the_cell(synthetic):
    with pytest.raises(DataError, match=rf"sheet '{SUMMARY_SHEET}', cell H2: cannot read 'Febuary' as a month "
                                        r"\(January \.\. December\) or a total\. Rename the header cell"):
        synthetic(edits={(1, 7): "Febuary"})


def test_total_that_does_not_add_up_names_the_cell(synthetic):
    grid = summary_grid()
    stated = grid[2][4]  # Aleppo, Total 2016 (column E)
    with pytest.raises(DataError, match=rf"sheet '{SUMMARY_SHEET}', cell E3: the sheet's 'Total 2016' for Aleppo "
                                        rf"\(columns B\.\.D\) is {stated + 10:,.2f} but the months sum to {stated:,.2f}\."):
        synthetic(edits={(2, 4): stated + 10})


def test_grand_total_that_does_not_add_up_names_the_cell(synthetic):
    grid = summary_grid()
    stated = grid[5][1]  # Grand Total, January 2016 (column B)
    with pytest.raises(DataError, match=rf"sheet '{SUMMARY_SHEET}', cell B6: the sheet's Grand Total of the "
                                        rf"governorates is {stated + 1:,.2f} but the months sum to {stated:,.2f}\."):
        synthetic(edits={(5, 1): stated + 1})


def test_governorate_row_below_grand_total_is_an_error(synthetic):
    with pytest.raises(DataError, match=rf"sheet '{SUMMARY_SHEET}', cell A8: 'Homs' is below 'Grand Total', where "
                                        "only the averages rows are expected. Move governorate rows above the Grand Total"):
        synthetic(edits={(7, 0): "Homs"})


def test_community_rows_matching_no_month_are_an_error(synthetic):
    rows = community_rows(synthetic.gaz)
    rows[1][-1] += 1
    total = sum(r[-1] for r in rows[1:])
    with pytest.raises(DataError, match=rf"idp_1\.xlsx, sheet '{COMMUNITY_SHEET}': the community rows \(in all "
                                        rf"{total:,.1f}\) add up to 0 months of the summary sheet by governorate, so "
                                        "their month cannot be told"):
        synthetic(communities=rows)


def test_community_pcodes_that_do_not_nest_are_an_error(synthetic):
    rows = community_rows(synthetic.gaz)
    rows[2][3] = rows[-1][3]  # a district of another governorate
    pcodes = ", ".join((rows[2][1], rows[2][3], rows[2][5]))
    with pytest.raises(DataError, match=re.escape(f"idp_1.xlsx, sheet '{COMMUNITY_SHEET}', row 3: the P-codes {pcodes} "
                                                  "do not nest (governorate > district > subdistrict).")):
        synthetic(communities=rows)
