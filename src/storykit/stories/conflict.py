"""The truce story: UCDP GED events around a date, by day, week, governorate and the groups involved.

GED's sides are comma-separated lists of UCDP actor names ("Ahrar al-Sham, HTS, Southern Front").
Groups are matched on whole names only: "Tahrir al- Sham Army" is another group than "HTS".

Dates follow the site's one rule (storykit.stories.dating): events known to a week or better are
placed on their first day; longer ranges are set aside and reported. `period_range` says how far the
set-aside events could move a before-and-after comparison.
"""

import pandas as pd

from ..errors import DataError
from .dating import MAX_SPAN_DAYS

VIOLENCE = {1: "State-based", 2: "Non-state", 3: "One-sided"}  # UCDP's type_of_violence
SIDES = ("side_a", "side_b")
DEATHS = ("deaths_best", "deaths_low", "deaths_high")
BEFORE, AFTER = "before", "after"

# The groups the nationwide cease-fire of 30 December 2016 left out, by UCDP actor name.
EXCLUDED = {
    "Islamic State": ("IS",),
    "former Nusra Front": ("Jabhat al-Nusra", "al-Nusrah Front", "Jabhat Fateh al-Sham", "HTS"),
}


def split_actors(side) -> list[str]:
    """The actor names in one GED side ("A, B" -> ["A", "B"]); none for a blank side."""
    if side is None or pd.isna(side):
        return []
    return [name.strip() for name in str(side).split(",") if name.strip()]


def actor_table(events: pd.DataFrame) -> pd.DataFrame:
    """Every actor name in side_a or side_b: how many events it took part in and their best deaths."""
    rows = []
    for side in SIDES:
        names = events[side].map(split_actors).explode().dropna()
        rows.append(pd.DataFrame({"actor": names.values, "row": names.index, "side": side}))
    long = pd.concat(rows, ignore_index=True)
    long["deaths_best"] = events["deaths_best"].loc[long["row"]].to_numpy()
    per_event = long.drop_duplicates(["actor", "row"])  # an actor named on both sides counts once
    table = per_event.groupby("actor").agg(events=("row", "size"), deaths_best=("deaths_best", "sum"))
    sides = pd.crosstab(long["actor"], long["side"]).reindex(columns=list(SIDES), fill_value=0)
    table = table.join(sides.rename(columns=lambda c: f"as_{c}")).astype("int64")
    return table.reset_index().sort_values("actor", key=lambda s: s.str.casefold(), ignore_index=True)


def involves(events: pd.DataFrame, names) -> pd.Series:
    """True for the events with any of `names` among the actors of side_a or side_b (whole names)."""
    wanted = set(names)
    hit = pd.Series(False, index=events.index)
    for side in SIDES:
        hit |= events[side].map(lambda s: not wanted.isdisjoint(split_actors(s)))
    return hit


def group_flags(events: pd.DataFrame, groups: dict = EXCLUDED) -> pd.DataFrame:
    """One boolean column per group: the event involved one of the group's actor names."""
    return pd.DataFrame({group: involves(events, names) for group, names in groups.items()}, index=events.index)


def missing_names(events: pd.DataFrame, groups: dict = EXCLUDED) -> list[str]:
    """The names in `groups` that no event uses (a misspelling, or a name of another release)."""
    known = set(actor_table(events)["actor"])
    return [n for names in groups.values() for n in names if n not in known]


# --- the window around a date -------------------------------------------------------------------


def to_day(value, what: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise DataError(f"{what}={value!r} is not a date: write it as YYYY-MM-DD, e.g. '2016-12-30'.") from None
    if day != day.normalize():
        raise DataError(f"{what}={value!r} has a time of day: give a date (YYYY-MM-DD).")
    return day


def bounds(ceasefire, days: int) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(first day, the cease-fire day, last day): `days` days before it, and `days` from it on."""
    day = to_day(ceasefire, "ceasefire")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise DataError(f"window_days={days!r}: give a whole number of days, at least 1.")
    return day - pd.Timedelta(days=days), day, day + pd.Timedelta(days=days - 1)


def window(events: pd.DataFrame, ceasefire, days: int, max_span_days: int = MAX_SPAN_DAYS) -> pd.DataFrame:
    """The events around the cease-fire, with what the charts need.

    Returns the events whose date range overlaps the window, with columns added:
    date (date_start), span_days (days in the range), placed (known to `max_span_days` or better and
    starting in the window: they count), period ("before"/"after" the cease-fire day, by date_start),
    day (days from the cease-fire), week (whole weeks from it: week 0 starts on the cease-fire day),
    straddles (a placed event whose range runs across the cease-fire), range_inside (the whole range
    lies in the window).
    The window must lie inside the dates the events cover.
    """
    start, day0, end = bounds(ceasefire, days)
    ev = events.copy()
    ev["date"] = pd.to_datetime(ev["date_start"])
    last = pd.to_datetime(ev["date_end"])
    if (last < ev["date"]).any():
        bad = ev.loc[last < ev["date"], "event_id"].tolist()[:5]
        raise DataError(f"conflict_events: date_end before date_start for event_id {bad}; check the cleaner.")
    covered = (ev["date"].min(), last.max())
    if start < covered[0] or end > covered[1]:
        raise DataError(
            f"The window {start:%Y-%m-%d} to {end:%Y-%m-%d} (ceasefire={ceasefire!r}, window_days={days}) "
            f"runs outside the events, which cover {covered[0]:%Y-%m-%d} to {covered[1]:%Y-%m-%d}: "
            "choose a nearer date or a shorter window.")
    ev["span_days"] = (last - ev["date"]).dt.days + 1
    overlaps = (ev["date"] <= end) & (last >= start)
    ev, last = ev[overlaps].copy(), last[overlaps]
    ev["placed"] = (ev["span_days"] <= max_span_days) & ev["date"].between(start, end)
    ev["period"] = (ev["date"] >= day0).map({True: AFTER, False: BEFORE})
    ev["day"] = (ev["date"] - day0).dt.days
    ev["week"] = ev["day"] // 7
    ev["straddles"] = ev["placed"] & (ev["date"] < day0) & (last >= day0)
    ev["range_inside"] = (ev["date"] >= start) & (last <= end)
    # Events dated within a week but starting before the window are outside it, not set aside.
    keep = ev["placed"] | (ev["span_days"] > max_span_days)
    return ev[keep]


def _totals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums = {c: (c, "sum") for c in DEATHS}
    return frame.groupby(keys, observed=True).agg(events=("event_id", "size"), **sums)


def _complete(totals: pd.DataFrame, index: pd.MultiIndex | pd.Index) -> pd.DataFrame:
    # Days, weeks or places without an event are zeros, not gaps.
    out = totals.reindex(index, fill_value=0).astype("int64")
    return out.reset_index()


def _categories(placed: pd.DataFrame, by: str | None) -> list:
    return [] if by is None else sorted(placed[by].dropna().unique().tolist(), key=str)


def daily(placed: pd.DataFrame, ceasefire, days: int, by: str | None = None, categories=None) -> pd.DataFrame:
    """Events and deaths (best, low, high) per day of the window, every day present, per `by` value."""
    start, day0, end = bounds(ceasefire, days)
    placed = placed[placed["placed"]]
    dates = pd.date_range(start, end, freq="D", name="date")
    if by is None:
        out = _complete(_totals(placed, ["date"]), dates)
    else:
        cats = list(categories) if categories is not None else _categories(placed, by)
        out = _complete(_totals(placed, ["date", by]), pd.MultiIndex.from_product([dates, cats], names=["date", by]))
    out.insert(1, "period", (out["date"] >= day0).map({True: AFTER, False: BEFORE}))
    return out


def weekly(placed: pd.DataFrame, ceasefire, days: int, by: str | None = None, categories=None) -> pd.DataFrame:
    """Events and deaths per whole week, counted from the cease-fire day (week 0 starts on it).

    Only weeks wholly inside the window: days // 7 weeks on each side. The days left over at the
    window's edges count in the period totals but not here.
    """
    _, day0, _ = bounds(ceasefire, days)
    n = days // 7
    if n < 1:
        raise DataError(f"window_days={days}: a window shorter than a week has no whole week to show.")
    placed = placed[placed["placed"] & placed["week"].between(-n, n - 1)]
    weeks = pd.RangeIndex(-n, n, name="week")
    if by is None:
        out = _complete(_totals(placed, ["week"]), weeks)
    else:
        cats = list(categories) if categories is not None else _categories(placed, by)
        out = _complete(_totals(placed, ["week", by]), pd.MultiIndex.from_product([weeks, cats], names=["week", by]))
    out.insert(1, "week_start", day0 + pd.to_timedelta(out["week"] * 7, unit="D"))
    out.insert(2, "period", (out["week"] >= 0).map({True: AFTER, False: BEFORE}))
    return out


def period_totals(placed: pd.DataFrame, by: str | None = None, categories=None) -> pd.DataFrame:
    """Events and deaths before and after the cease-fire (placed events only), per `by` value."""
    placed = placed[placed["placed"]]
    periods = pd.Index([BEFORE, AFTER], name="period")
    if by is None:
        return _complete(_totals(placed, ["period"]), periods)
    cats = list(categories) if categories is not None else _categories(placed, by)
    return _complete(_totals(placed, ["period", by]),
                     pd.MultiIndex.from_product([periods, cats], names=["period", by]))


def by_governorate(placed: pd.DataFrame, pcodes) -> pd.DataFrame:
    """Best deaths per governorate before and after, and the change; every P-code present.

    Unlocated events (no pcode) are left out: sum them with period_totals(..., by="located_by").
    """
    located = placed[placed["placed"] & placed["pcode"].notna()]
    unknown = sorted(set(located["pcode"]) - set(pcodes))
    if unknown:
        raise DataError(f"conflict_events: pcode {', '.join(unknown)} is not in the provinces layer.")
    table = period_totals(located, by="pcode", categories=list(pcodes))
    wide = table.pivot(index="pcode", columns="period", values="deaths_best")[[BEFORE, AFTER]]
    wide["change"] = wide[AFTER] - wide[BEFORE]
    wide.columns.name = None
    return wide.reset_index()


def set_aside(win: pd.DataFrame) -> pd.DataFrame:
    """The events `window` could not place on a day, which no count here includes: those whose range
    lies inside the window, and those whose range (a month, a year) reaches beyond it."""
    rest = win[~win["placed"]]
    where = rest["range_inside"].map({True: "inside", False: "beyond"})
    return _complete(_totals(rest.assign(range=where), ["range"]), pd.Index(["inside", "beyond"], name="range"))


def period_range(win: pd.DataFrame, ceasefire, mask: pd.Series | None = None) -> pd.DataFrame:
    """Best deaths before and after, counted (placed events) and at most (adding every set-aside event
    whose range lies inside the window and touches the period), for the events `mask` selects.
    Index period; columns counted, most.

    The two ends bound what any dating of those events inside their ranges could give. Events whose
    range reaches beyond the window (a year's tally) may not belong to it at all: set_aside counts them.
    """
    day0 = to_day(ceasefire, "ceasefire")
    ev = win if mask is None else win[mask.reindex(win.index, fill_value=False)]
    loose = ev[~ev["placed"] & ev["range_inside"]]
    last = pd.to_datetime(loose["date_end"])
    touches = {BEFORE: loose["date"] < day0, AFTER: last >= day0}
    counted = period_totals(ev)["deaths_best"].set_axis([BEFORE, AFTER])
    most = {p: int(counted[p] + loose.loc[touches[p], "deaths_best"].sum()) for p in (BEFORE, AFTER)}
    return pd.DataFrame({"counted": counted, "most": pd.Series(most)}).rename_axis("period")


def change_bounds(ranges: pd.DataFrame) -> tuple[float, float]:
    """The smallest and largest change after against before (as fractions) that the ranges allow."""
    lo = ranges.loc[AFTER, "counted"] / ranges.loc[BEFORE, "most"] - 1
    hi = ranges.loc[AFTER, "most"] / ranges.loc[BEFORE, "counted"] - 1
    return float(lo), float(hi)
