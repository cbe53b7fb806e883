"""The casualties story: the national toll, deaths by governorate, and the sources side by side.

The sources count different things, so nothing here adds one source to another:
- UCDP country-year (deaths_national): battle-related deaths in state-based conflict, estimates;
- UCDP GED (conflict_events): deaths in located events of organised violence of all three types;
- VDC (victims): named victims documented one by one, a floor; army_deaths: government-side dead;
- deaths_daily: a third party's incomplete scrape of VDC, for shape and cross-checks only.
Deaths no source could place in a governorate (blank pcode) are counted apart, never spread.
"""

import pandas as pd

from ..errors import DataError
from .conflict import VIOLENCE


# What each series counts, as charts and tables name it.
UCDP_YEARLY = "UCDP yearly: state-based battle deaths"
GED_STATE = "UCDP events: state-based"
GED_ALL = "UCDP events: all organised violence"
VDC_VICTIMS = "VDC: named victims"
VDC_ARMY = "VDC: government-side fatalities"
VDC_SCRAPE = "VDC website, daily tally (incomplete)"
SPANNING = "an area spanning governorates"  # or no single governorate: what UCDP's blank adm_1 says


def national_toll(national: pd.DataFrame, first_year: int, last_year: int | None = None) -> pd.DataFrame:
    """UCDP's yearly deaths (best, low, high, series) from first_year to last_year (default: the latest)."""
    years = national["year"]
    lo, hi = int(years.min()), int(years.max())
    last_year = hi if last_year is None else int(last_year)
    if not lo <= int(first_year) <= last_year <= hi:
        raise DataError(f"deaths_national covers {lo}-{hi}; first_year={first_year} and last_year={last_year} "
                        "must lie in that range, first_year not after last_year: change the parameters.")
    rows = national[years.between(int(first_year), last_year)].sort_values("year")
    missing = sorted(set(range(int(first_year), last_year + 1)) - set(rows["year"]))
    if missing:
        raise DataError(f"deaths_national has no row for the year(s) {', '.join(map(str, missing))}: "
                        "a gap would read as zero deaths; check the ucdp_country_year cleaner.")
    return rows[["year", "deaths_best", "deaths_low", "deaths_high", "series"]].reset_index(drop=True)


def periods(dates: pd.Series, freq: str) -> pd.Series:
    """The first day of each date's month ("M"), quarter ("Q") or year ("Y")."""
    return pd.to_datetime(dates).dt.to_period(freq).dt.start_time


def coverage(frame: pd.DataFrame, date: str = "date") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last dates a table holds."""
    dates = pd.to_datetime(frame[date])
    if dates.isna().any():
        raise DataError(f"Column {date!r} has {int(dates.isna().sum())} blank dates; the cleaner should refuse those.")
    return dates.min(), dates.max()


def within(frame: pd.DataFrame, start, end, date: str = "date") -> pd.DataFrame:
    """The rows dated from start to end, both included (to compare sources over the same days)."""
    dates = pd.to_datetime(frame[date])
    return frame[dates.between(pd.Timestamp(start), pd.Timestamp(end))]


def _deaths(frame: pd.DataFrame, keys: list, weight: str | None) -> pd.Series:
    # A record is one death unless a weight column says how many an event or day counted.
    if weight is not None and frame[weight].isna().any():
        raise DataError(f"Column {weight!r} has {int(frame[weight].isna().sum())} blank counts; a sum would skip "
                        "them silently: fix the cleaner or filter those rows out on purpose.")
    groups = frame.groupby(keys, dropna=False)
    return (groups.size() if weight is None else groups[weight].sum()).astype("int64")


def by_governorate(frame: pd.DataFrame, pcodes, *, weight: str | None = None, freq: str | None = None,
                   date: str = "date") -> pd.DataFrame:
    """Deaths per governorate (and per period if freq is given), zeros included for every P-code in
    `pcodes` (and every period between the first and last); rows with no pcode are left out: count
    them with `unplaced`. Columns pcode, [period], deaths."""
    pcodes = list(pcodes)
    unknown = sorted(set(frame["pcode"].dropna()) - set(pcodes))
    if unknown:
        raise DataError(f"Column 'pcode' holds codes outside the map layer: {', '.join(unknown)}; "
                        "check the gazetteer and the provinces layer.")
    placed = frame[frame["pcode"].notna()].assign(pcode=lambda f: f["pcode"].astype(str))
    if freq is None:
        counts = _deaths(placed, ["pcode"], weight)
        return counts.reindex(pcodes, fill_value=0).rename("deaths").rename_axis("pcode").reset_index()
    placed = placed.assign(period=periods(placed[date], freq))
    first, last = periods(pd.Series(coverage(frame, date)), freq)
    grid = pd.MultiIndex.from_product([pcodes, pd.period_range(first, last, freq=freq).start_time],
                                      names=["pcode", "period"])
    counts = _deaths(placed, ["pcode", "period"], weight)
    return counts.reindex(grid, fill_value=0).rename("deaths").reset_index()


def unplaced(frame: pd.DataFrame, *, weight: str | None = None, by: str | None = None) -> pd.DataFrame:
    """Deaths with and without a governorate: columns [by], deaths, unplaced, share (0..1)."""
    keys = [by] if by else []
    frame = frame.assign(_unplaced=frame["pcode"].isna(), _all=True)
    total = _deaths(frame, keys + ["_all"], weight).rename("deaths")
    missing = _deaths(frame[frame["_unplaced"]], keys + ["_all"], weight).rename("unplaced")
    out = pd.concat([total, missing], axis=1).fillna(0).astype("int64").reset_index().drop(columns="_all")
    if (out["deaths"] == 0).any():
        raise DataError("A group counts no deaths at all, so its unplaced share is undefined: check the filter.")
    return out.assign(share=out["unplaced"] / out["deaths"])


def why_unplaced(events: pd.DataFrame) -> pd.DataFrame:
    """UCDP GED events with no governorate, by why: located only to the country (where_prec 6, or coordinates
    named after it), or to an area spanning governorates (any other event UCDP gave no adm_1; see the
    conflict_events table's description). Columns reason, events, deaths."""
    rows = events[events["pcode"].isna()]
    country = (rows["where_prec"] == 6) | (rows["where_coordinates"].str.strip().str.casefold() == "syria")
    reason = country.map({True: "the country only", False: SPANNING})
    out = rows.groupby(reason.rename("reason"))["deaths_best"].agg(events="size", deaths="sum")
    return out.astype("int64").sort_values("deaths", ascending=False).reset_index()


def spanning(events: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Events whose start and end fall in different periods: charts by period count them where they begin."""
    return events[periods(events["date_start"], freq) != periods(events["date_end"], freq)]


def loosely_dated(events: pd.DataFrame, days: int = 92) -> pd.DataFrame:
    """Events UCDP could date only to a span longer than `days` (default: about a quarter)."""
    span = pd.to_datetime(events["date_end"]) - pd.to_datetime(events["date_start"])
    return events[span > pd.Timedelta(days=days)]


def first_years(national: pd.DataFrame, victims: pd.DataFrame, daily: pd.DataFrame,
                army: pd.DataFrame | None = None) -> pd.DataFrame:
    """UCDP's yearly battle deaths beside VDC's counts (cut to the victim records' days) for the
    years the records touch. Long: year, series, deaths."""
    vdc = vdc_side_by_side(victims, daily, army, by="year")
    yearly = national[national["year"].isin(vdc["year"])]
    ucdp = pd.DataFrame({"year": yearly["year"].astype("int64"), "series": UCDP_YEARLY,
                         "deaths": yearly["deaths_best"].astype("int64")})
    return pd.concat([ucdp, vdc.astype({"year": "int64"})], ignore_index=True)


def ged_by_year(events: pd.DataFrame) -> pd.DataFrame:
    """UCDP GED best deaths by year and type of violence: columns year, violence, deaths."""
    unknown = sorted(set(events["type_of_violence"].dropna()) - set(VIOLENCE))
    if unknown:
        raise DataError(f"conflict_events: type_of_violence {unknown} is none of UCDP's types {sorted(VIOLENCE)}.")
    counts = _deaths(events, ["year", "type_of_violence"], "deaths_best").rename("deaths").reset_index()
    return counts.assign(violence=counts.pop("type_of_violence").map(VIOLENCE))[["year", "violence", "deaths"]]


def ucdp_side_by_side(national: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """UCDP's two counts per year from the first GED year on: the yearly table's state-based battle
    deaths, and the GED events' deaths (state-based, and all three types). Long: year, series, deaths."""
    start, end = int(events["year"].min()), int(events["year"].max())
    yearly = national[national["year"] >= start].set_index("year")["deaths_best"].astype("int64")
    by_type = ged_by_year(events)
    # Every year the events cover counts, zero if it had no event of a type.
    covered = range(start, end + 1)
    state = by_type[by_type["violence"] == VIOLENCE[1]].set_index("year")["deaths"].reindex(covered, fill_value=0)
    every = by_type.groupby("year")["deaths"].sum().reindex(covered, fill_value=0)
    return _long({UCDP_YEARLY: yearly, GED_STATE: state, GED_ALL: every}, "year")


def vdc_side_by_side(victims: pd.DataFrame, daily: pd.DataFrame, army: pd.DataFrame | None = None, *,
                     by: str = "month") -> pd.DataFrame:
    """VDC's victim records, the daily scrape (and government-side fatalities) over the days the
    victim records cover, by "month", "year" or "pcode". Long: key, series, deaths.

    A period or governorate with no record counted zero; the scrape has a row for every day and
    governorate it holds, so a month it lacks is left out (no figure), never zero."""
    if by not in ("month", "year", "pcode"):
        raise ValueError(f"by={by!r}: choose 'month', 'year' or 'pcode'.")
    start, end = coverage(victims)
    parts = {VDC_VICTIMS: (victims, None), VDC_SCRAPE: (daily, "deaths")}
    if army is not None:
        parts[VDC_ARMY] = (army, None)
    series = {}
    for label, (frame, weight) in parts.items():
        frame = within(frame, start, end)
        if by == "pcode":
            frame = frame[frame["pcode"].notna()]  # unplaced records are counted by `unplaced`
            key = frame["pcode"].astype(str)
        else:
            key = periods(frame["date"], by[0].upper())
            key = key.dt.year if by == "year" else key
        series[label] = _deaths(frame.assign(**{by: key}), [by], weight)
    if by == "pcode":
        keys = sorted(set().union(*(s.index for s in series.values())))
    else:
        keys = pd.period_range(start, end, freq=by[0].upper()).start_time
        keys = keys.year if by == "year" else keys
    for label, (_, weight) in parts.items():
        if weight is None:
            series[label] = series[label].reindex(keys, fill_value=0)
    return _long(series, by)


def _long(series: dict[str, pd.Series], key: str) -> pd.DataFrame:
    # A key a series lacks has no figure from that source: it is left out, not zero.
    wide = pd.concat(series, axis=1, sort=True)
    out = wide.rename_axis(key).reset_index().melt(id_vars=key, var_name="series", value_name="deaths")
    return out.dropna(subset=["deaths"]).astype({"deaths": "int64"}).reset_index(drop=True)


def describe_grid(frame: pd.DataFrame, *, row: str, column: str, value: str, what: str) -> str:
    """A sentence for screen readers about a heat map: its size, and its highest cell."""
    top = frame.loc[frame[value].idxmax()]
    at = top[column].strftime("%Y-%m") if isinstance(top[column], pd.Timestamp) else top[column]
    return (f"Heat map of {what}: {frame[row].nunique():,} rows by {frame[column].nunique():,} columns, "
            f"{int(frame[value].sum()):,} in all. Highest {int(top[value]):,} ({top[row]}, {at}).")


def describe_grid_ar(frame: pd.DataFrame, *, row: str, column: str, value: str, what: str,
                     names: dict | None = None) -> str:
    """describe_grid in Arabic: `what` is the Arabic of what the cells count, `names` the Arabic of the
    row labels (governorates). The counts are put as "عدد صفوفها 14", which reads right for any number."""
    top = frame.loc[frame[value].idxmax()]
    at = top[column].strftime("%Y-%m") if isinstance(top[column], pd.Timestamp) else top[column]
    name = (names or {}).get(top[row], top[row])
    return (f"خريطة حرارية ({what}): عدد صفوفها {frame[row].nunique():,} وعدد أعمدتها {frame[column].nunique():,}، "
            f"ومجموع قيمها {int(frame[value].sum()):,}. أعلى قيمة فيها {int(top[value]):,} ({name}، {at}).")
