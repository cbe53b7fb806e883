"""Monthly IDP movements by governorate (Jan 2016 - Jan 2019) and by community, from OCHA's ISIMM workbook.

A movement is an arrival of IDPs in a community during a month; OCHA's maps note that the counts may
include multiple or short-term displacements of the same people. These are flows, never the number of
IDPs living somewhere.

The summary sheet is laid out for reading, not for machines, so it is parsed by content: the row of
month names is the header, the row above it holds the years (merged cells, so each year is carried
right until the next), and the column headed "Governorate" holds the row labels. Totals (block
totals "Total 2016", the overall "Total", the "Grand Total" row) are dropped, after checking that
they equal our sums of the months; the footer rows below "Grand Total" are per-day and per-month
averages and are dropped too.
"""

import calendar
import math
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from ...errors import DataError
from ...gazetteer import Gazetteer, UnknownPlaceError, is_no_place
from ..tables import PCODE, SOURCE, Field, Schema, today
from . import Inputs, cleaner, read_raw

SOURCE_ID = "ocha_idp_movements"
SUMMARY_SHEET = "IDPFlow_Summarysince2016"
COMMUNITY_SHEET = "December_IDPflow"
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
FIRST_MONTH = date(2011, 1, 1)  # the war's displacement began in 2011; an earlier month is a slip
TOLERANCE = 0.5  # a stated total may differ from our sum by rounding to whole people, no more

MOVEMENT_FIELD = Field("movements", "number", "IDP movements (arrivals) recorded in the month, fractional "
                       "where the source is", minimum=0)

MOVEMENTS = Schema(
    "idp_movements",
    "IDP movements by governorate of arrival and month, January 2016 - January 2019",
    fields=(
        Field("month", "date", "first day of the month the movements were recorded in", required=True,
              minimum=FIRST_MONTH, maximum=today),
        replace(PCODE, description="OCHA P-code of the governorate the IDPs arrived in", required=True),
        replace(MOVEMENT_FIELD, description=MOVEMENT_FIELD.description + "; empty where the sheet's cell is "
                "blank (the sheet's own totals count a blank as nothing)"),
        SOURCE,
    ),
    primary_key=("month", "pcode"),
    description="Flows, not stocks: IDP arrivals, which may include multiple or short-term displacements of "
    "the same people. From the sheet "
    f"{SUMMARY_SHEET}; its totals were checked against the months and dropped. The sheet also lists the "
    "months of 2019 after January, all blank (not yet reported); they are left out.",
)

COMMUNITIES = Schema(
    "idp_movements_communities",
    "IDP movements by community of arrival, January 2019",
    fields=(
        Field("month", "date", "first day of the month the movements were recorded in", required=True,
              minimum=FIRST_MONTH, maximum=today),
        replace(PCODE, description="OCHA P-code of the governorate (admin 1) of the community", required=True),
        Field("admin2_pcode", "string", "OCHA P-code of the district (admin 2)", required=True,
              pattern=r"SY\d{4}"),
        Field("admin3_pcode", "string", "OCHA P-code of the subdistrict (admin 3, nahya)", required=True,
              pattern=r"SY\d{6}"),
        Field("community_pcode", "string", "OCHA P-code of the community", required=True, pattern=r"C\d+"),
        Field("community", "string", "community name as the sheet writes it", required=True),
        replace(MOVEMENT_FIELD, required=True),
        SOURCE,
    ),
    primary_key=("month", "community_pcode"),
    description=f"From the sheet {COMMUNITY_SHEET}. Despite its name the sheet holds January 2019: its sums "
    "by governorate equal that month of the summary sheet exactly, and the month is found that way.",
)


@cleaner(sources=(SOURCE_ID,), outputs=(MOVEMENTS, COMMUNITIES), needs=("gazetteer",))
def clean_idp_movements(inputs: Inputs) -> dict[str, pd.DataFrame]:
    path = inputs.raw(SOURCE_ID)
    gaz = Gazetteer.load(inputs.processed("gazetteer"))
    movements = read_summary(path, gaz)
    return {"idp_movements": movements, "idp_movements_communities": read_communities(path, gaz, movements)}


class Sheet:
    """One worksheet as a grid of cell values, positioned as in Excel (grid row 0 is row 1, column 0 is A)."""

    def __init__(self, path: Path, name: str):
        self.path, self.name = Path(path), name
        try:
            # keep_default_na=False: a cell reading "n/a" or "NA" is an error to report, not a blank.
            self.grid = read_raw(path, pd.read_excel, sheet_name=name, header=None, engine="openpyxl",
                                 keep_default_na=False)
        except ValueError as e:
            if "not found" not in str(e):
                raise
            sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
            raise DataError(f"{path}: there is no sheet {name!r} (sheets: {', '.join(sheets)}). "
                            "Is this the ISIMM workbook the catalogue names?") from None

    def where(self, row: int, col: int | None = None) -> str:
        place = f"row {row + 1}" if col is None else f"cell {get_column_letter(col + 1)}{row + 1}"
        return f"{self.path.name}, sheet {self.name!r}, {place}"

    def text(self, row: int, col: int) -> str:
        """The cell as stripped text; '' for a blank cell."""
        value = self.grid.iat[row, col]
        return "" if _blank(value) else str(value).strip()

    def number(self, row: int, col: int) -> float:
        """The cell as a count of people: NaN when blank; an error when not a number or negative."""
        value = self.grid.iat[row, col]
        if _blank(value):
            return math.nan
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"{self.where(row, col)}: {value!r} is not a number. Counts must be numbers "
                            "(or blank); correct the cell or tell the cleaner what it means.")
        if value < 0:
            raise DataError(f"{self.where(row, col)}: {value!r} is negative, which a count of movements "
                            "cannot be. Check the cell against OCHA's published figures.")
        return float(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        not isinstance(value, str) and pd.isna(value))


def _month_number(label: str) -> int | None:
    return MONTHS.get(label.lower())


def _year(value) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value) if 1900 < value < 2100 else None
    if isinstance(value, str) and re.fullmatch(r"\s*(19|20)\d\d\s*", value):
        return int(value)
    return None


def read_summary(path: Path, gaz: Gazetteer) -> pd.DataFrame:
    """The monthly governorate table: columns month, pcode, movements, source."""
    sheet = Sheet(path, SUMMARY_SHEET)
    grid = sheet.grid
    head = _header_row(sheet)
    label_col = _label_column(sheet, head)

    # Classify the columns right of the labels: months, block totals, the overall total, spacers.
    months: dict[int, pd.Timestamp] = {}
    block_totals: dict[int, list[int]] = {}  # total column -> the month columns it totals
    overall_totals: list[int] = []
    spacers = list(range(label_col))  # columns left of the labels must be empty
    year, block = None, []
    for col in range(label_col + 1, grid.shape[1]):
        above = grid.iat[head - 1, col]
        if not _blank(above):
            year = _year(above)  # a non-year such as "Since Jan 2016" ends the run of the year before
        label = sheet.text(head, col)
        if not label:
            spacers.append(col)
        elif (number := _month_number(label)) is not None:
            if year is None:
                raise DataError(f"{sheet.where(head, col)}: month {label!r} has no year in the row above it "
                                f"(row {head}). Put the year above the month's block.")
            months[col] = pd.Timestamp(year, number, 1)
            block.append(col)
        elif m := re.fullmatch(r"(grand\s+)?total(\s+\d{4})?", label, re.IGNORECASE):
            if m.group(2):
                # The label's year is not trusted: the 2019 block's total is labelled "Total 2018".
                # It totals the months since the previous total column, and is checked to.
                if not block:
                    raise DataError(f"{sheet.where(head, col)}: {label!r} follows no month columns.")
                block_totals[col] = block
            else:
                overall_totals.append(col)
            block = []
        else:
            raise DataError(f"{sheet.where(head, col)}: cannot read {label!r} as a month (January .. December) "
                            "or a total. Rename the header cell, or teach the cleaner the new label.")
    if not months:
        raise DataError(f"{sheet.where(head)}: no month columns found.")
    seen: dict[pd.Timestamp, int] = {}
    for col, month in months.items():
        if month in seen:
            raise DataError(f"{sheet.where(head, col)}: {month:%B %Y} appears twice, also in column "
                            f"{get_column_letter(seen[month] + 1)}.")
        seen[month] = col

    rows, grand = _body_rows(sheet, head, label_col)
    for col in spacers:
        for row in rows + [grand]:
            if not _blank(grid.iat[row, col]):
                raise DataError(f"{sheet.where(row, col)}: {grid.iat[row, col]!r} sits in a column with no "
                                f"header in row {head + 1}. Label the column or clear it.")

    values = pd.DataFrame({col: [sheet.number(r, col) for r in rows] for col in months}, index=rows)
    _check_totals(sheet, head, label_col, values, rows, grand, block_totals, overall_totals)

    # The sheet carries all of 2019's months but only January is filled: keep months up to the last one
    # with a figure for any governorate (a blank month in the middle would stay, as empty rows).
    reported = [col for col in months if values[col].notna().any()]
    if not reported:
        raise DataError(f"{sheet.where(head)}: every month column is blank.")
    kept = [col for col in months if col <= reported[-1]]

    pcodes = _governorates(sheet, gaz, rows, label_col)
    long = values[kept].rename(columns=months).assign(pcode=pcodes).melt(
        id_vars="pcode", var_name="month", value_name="movements")
    long["source"] = SOURCE_ID
    return long[["month", "pcode", "movements", "source"]].sort_values(["month", "pcode"], ignore_index=True)


def _header_row(sheet: Sheet) -> int:
    """The first row holding at least three month names; the years must be in the row above."""
    for row in range(sheet.grid.shape[0]):
        names = [c for c in range(sheet.grid.shape[1]) if _month_number(sheet.text(row, c)) is not None]
        if len(names) >= 3:
            if row == 0:
                raise DataError(f"{sheet.where(row)}: the month names are in the first row, so there is no "
                                "row of years above them. Put the years in the row above the months.")
            return row
    raise DataError(f"{sheet.path.name}, sheet {sheet.name!r}: no row of month names (January, February, ...) "
                    "found. The layout is not the one this cleaner knows.")


def _label_column(sheet: Sheet, head: int) -> int:
    found = [c for c in range(sheet.grid.shape[1]) if sheet.text(head, c).lower() == "governorate"]
    if len(found) != 1:
        raise DataError(f"{sheet.where(head)}: expected one cell 'Governorate' heading the row labels in the "
                        f"row of month names, found {len(found)}.")
    return found[0]


def _body_rows(sheet: Sheet, head: int, label_col: int) -> tuple[list[int], int]:
    """The governorate rows and the 'Grand Total' row; the footer rows below it are checked and dropped."""
    grid = sheet.grid
    grand = next((r for r in range(head + 1, grid.shape[0])
                  if sheet.text(r, label_col).lower() == "grand total"), None)
    if grand is None:
        raise DataError(f"{sheet.path.name}, sheet {sheet.name!r}: no 'Grand Total' row below the header "
                        f"(row {head + 1}); the totals cannot be checked. The layout is not the one expected.")
    rows = []
    for r in range(head + 1, grand):
        if grid.iloc[r].map(_blank).all():
            continue  # an empty spacer row
        if not sheet.text(r, label_col):
            raise DataError(f"{sheet.where(r, label_col)}: this row has figures but no governorate.")
        rows.append(r)
    for r in range(grand + 1, grid.shape[0]):
        label = sheet.text(r, label_col)
        # Below the Grand Total come averages per day, and an unlabelled row of days and per-month averages.
        if label and not label.lower().startswith("average"):
            raise DataError(f"{sheet.where(r, label_col)}: {label!r} is below 'Grand Total', where only the "
                            "averages rows are expected. Move governorate rows above the Grand Total.")
    return rows, grand


def _check_totals(sheet, head, label_col, values, rows, grand, block_totals, overall_totals) -> None:
    """Every total the sheet states must equal our sum of the months it covers (blank totals state nothing)."""
    all_values = pd.concat([values, values.sum().to_frame(grand).T])  # our Grand Total row: sums of columns

    def check(row, col, ours, what):
        stated = sheet.number(row, col)
        if not math.isnan(stated) and abs(stated - ours) > TOLERANCE:
            raise DataError(f"{sheet.where(row, col)}: the sheet's {what} is {stated:,.2f} but the months sum "
                            f"to {ours:,.2f}. The workbook's figures do not add up: check it against OCHA's "
                            "release before using it.")

    for row in rows + [grand]:
        name = sheet.text(row, label_col)
        for col, block in block_totals.items():
            check(row, col, all_values.loc[row, block].sum(),
                  f"{sheet.text(head, col)!r} for {name} (columns {get_column_letter(block[0] + 1)}.."
                  f"{get_column_letter(block[-1] + 1)})")
        for col in overall_totals:
            check(row, col, all_values.loc[row].sum(), f"overall {sheet.text(head, col)!r} for {name}")
    for col in values.columns:
        check(grand, col, values[col].sum(), "Grand Total of the governorates")


def _governorates(sheet: Sheet, gaz: Gazetteer, rows: list[int], label_col: int) -> list[str]:
    labels = {r: sheet.text(r, label_col) for r in rows}
    for r, label in labels.items():
        if is_no_place(label):
            raise DataError(f"{sheet.where(r, label_col)}: {label!r} is not a governorate; this sheet should "
                            "have one row per governorate.")
    try:
        pcodes = gaz.to_pcode(labels.values(), level=1)
    except UnknownPlaceError as e:
        cells = [f"{sheet.where(r, label_col)}: {label!r}" for r, label in labels.items() if label in e.unknown]
        raise DataError("Unknown governorate(s) in the IDP movements sheet:\n  " + "\n  ".join(cells) +
                        f"\n{e}") from None
    first: dict[str, int] = {}
    for r, pcode in zip(rows, pcodes):
        if pcode in first:
            raise DataError(f"{sheet.where(r, label_col)}: {labels[r]!r} is the same governorate ({pcode}) as "
                            f"{labels[first[pcode]]!r} in row {first[pcode] + 1}; each should have one row.")
        first[pcode] = r
    return pcodes


COMMUNITY_COLUMNS = {  # the sheet's header -> ours
    "mohafaza": "governorate", "mohafaza pcode": "pcode", "mantika pcode": "admin2_pcode",
    "nahya pcode": "admin3_pcode", "community": "community", "community pcode": "community_pcode",
    "idp_flow_estimation": "movements",
}


def read_communities(path: Path, gaz: Gazetteer, summary: pd.DataFrame) -> pd.DataFrame:
    """The community table; its month is the summary month whose governorate figures it adds up to."""
    sheet = Sheet(path, COMMUNITY_SHEET)
    grid = sheet.grid
    head = next((r for r in range(grid.shape[0]) if "community pcode" in
                 {sheet.text(r, c).lower() for c in range(grid.shape[1])}), None)
    if head is None:
        raise DataError(f"{path.name}, sheet {sheet.name!r}: no header row with 'Community PCODE' found.")
    where = {sheet.text(head, c).lower(): c for c in range(grid.shape[1])}
    missing = [h for h in COMMUNITY_COLUMNS if h not in where]
    if missing:
        raise DataError(f"{sheet.where(head)}: no column {', '.join(missing)} in the header. The layout is "
                        "not the one this cleaner knows.")
    rows = [r for r in range(head + 1, grid.shape[0]) if not grid.iloc[r].map(_blank).all()]
    frame = pd.DataFrame(
        {ours: [sheet.number(r, where[h]) if ours == "movements" else sheet.text(r, where[h]) or None
                for r in rows] for h, ours in COMMUNITY_COLUMNS.items()}, index=rows)

    names = frame["governorate"].dropna().unique()
    try:
        by_name = dict(zip(names, gaz.to_pcode(names, level=1)))
    except UnknownPlaceError as e:
        raise DataError(f"{path.name}, sheet {sheet.name!r}, column Mohafaza: unknown governorates.\n{e}") from None
    for r, row in frame.iterrows():
        empty = [c for c in frame.columns if row[c] is None or (c == "movements" and math.isnan(row[c]))]
        if empty:
            raise DataError(f"{sheet.where(r)}: no value for {', '.join(empty)}. Every community row needs "
                            "all of them.")
        if by_name[row["governorate"]] != row["pcode"]:
            raise DataError(f"{sheet.where(r)}: governorate {row['governorate']!r} is "
                            f"{by_name[row['governorate']]} in the OCHA gazetteer, but the row's P-code is "
                            f"{row['pcode']!r}.")
        if not (row["admin2_pcode"].startswith(row["pcode"]) and row["admin3_pcode"].startswith(row["admin2_pcode"])):
            raise DataError(f"{sheet.where(r)}: the P-codes {row['pcode']}, {row['admin2_pcode']}, "
                            f"{row['admin3_pcode']} do not nest (governorate > district > subdistrict).")
    try:
        gaz.to_pcode(frame["admin2_pcode"].unique(), level=2, codes="pcode")
    except UnknownPlaceError as e:
        raise DataError(f"{path.name}, sheet {sheet.name!r}, column Mantika PCODE: codes not in OCHA's "
                        f"districts.\n{e}") from None

    frame["month"] = _month_of(frame, summary, sheet)
    frame["source"] = SOURCE_ID
    return frame[COMMUNITIES.columns].sort_values(["month", "community_pcode"], ignore_index=True)


def _month_of(frame: pd.DataFrame, summary: pd.DataFrame, sheet: Sheet) -> pd.Timestamp:
    """The one summary month whose figure for every governorate equals the community rows' sum."""
    by_month = summary.pivot(index="month", columns="pcode", values="movements").fillna(0)
    if extra := sorted(set(frame["pcode"]) - set(by_month.columns)):
        raise DataError(f"{sheet.path.name}, sheet {sheet.name!r}: governorates without a row in the "
                        f"summary sheet: {', '.join(extra)}.")
    ours = frame.groupby("pcode")["movements"].sum().reindex(by_month.columns, fill_value=0)
    matches = by_month.index[(by_month - ours).abs().le(TOLERANCE).all(axis=1)]
    if len(matches) != 1:
        raise DataError(f"{sheet.path.name}, sheet {sheet.name!r}: the community rows (in all "
                        f"{frame['movements'].sum():,.1f}) add up to {len(matches)} months of the summary sheet "
                        "by governorate, so their month cannot be told. (The sheet's name is not trusted: it "
                        "says December but holds January 2019 in the catalogued copy.)")
    return matches[0]
