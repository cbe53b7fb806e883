"""When a UCDP GED event happened: the one rule every page uses to place events in time.

GED gives each event a date range (date_start..date_end). An event dated to within a week (a range of
at most seven days, GED date_prec 1-3) counts on the first day of its range. Any other event counts
in a period (a month, a quarter, a year) only when its whole range lies inside that period; one whose
range crosses the period's edge is set aside and counted apart. It is never piled onto its first day,
which would put a year's tally on 1 January, nor spread over its range, which would be a guess. A
claim that the set-aside deaths could overturn (the deadliest month) says so: `deadliest`.
"""

import pandas as pd

MAX_SPAN_DAYS = 7  # GED date_prec 3 ("within a week") is the widest range still placed on its first day

RULE = ("Events UCDP dates to within a week count on their first day; any other event counts in a month, "
        "quarter or year only when its whole date range lies inside it, and is set aside otherwise, never "
        "spread over its range.")
# The same rule in the Arabic edition's words (a whole sentence, as RULE is).
RULE_AR = ("الأحداث التي يحدد برنامج أوبسالا تاريخها في حدود أسبوع تُحتسب في أول يوم من مداها الزمني؛ أما أي حدث "
           "آخر فلا يُحتسب في شهر أو ربع سنة أو سنة إلا إذا وقع مداه الزمني كله داخلها، وإلا نُحّي جانباً، ولا "
           "يوزَّع أبداً على مداه.")


def span_days(events: pd.DataFrame) -> pd.Series:
    """The days in each event's date range (1 for an event known to the day)."""
    return (pd.to_datetime(events["date_end"]) - pd.to_datetime(events["date_start"])).dt.days + 1


def within_a_week(events: pd.DataFrame, max_span_days: int = MAX_SPAN_DAYS) -> pd.Series:
    """True for the events dated closely enough to be placed on a day."""
    return span_days(events) <= max_span_days


def period_of(events: pd.DataFrame, freq: str) -> pd.Series:
    """The first day of the month ("M"), quarter ("Q") or year ("Y") each event counts in, by RULE;
    empty (NaT) for an event set aside."""
    start, end = (pd.to_datetime(events[c]).dt.to_period(freq) for c in ("date_start", "date_end"))
    placed = within_a_week(events) | (start == end)
    return start.dt.start_time.where(placed)


def deadliest(events: pd.DataFrame, freq: str = "M", deaths: str = "deaths_best") -> dict:
    """The period with the most deaths under RULE, and whether the set-aside events could change that.

    Returns {"period", "deaths", "set_aside" (deaths in set-aside events), "holds"}: "holds" is True
    when no dating of the set-aside events inside their ranges could lift another period above it.
    """
    when = period_of(events, freq)
    counted = events[deaths].groupby(when).sum()
    if counted.empty:
        return {"period": None, "deaths": 0, "set_aside": int(events[deaths].sum()), "holds": False}
    top = counted.idxmax()
    loose = events[when.isna()]
    return {"period": top, "deaths": int(counted[top]), "set_aside": int(loose[deaths].sum()),
            "holds": all(int(counted.get(p, 0)) + _could_add(loose, p, freq, deaths) <= counted[top]
                         for p in _periods(events, freq) if p != top)}


def _periods(events: pd.DataFrame, freq: str) -> pd.DatetimeIndex:
    first = pd.to_datetime(events["date_start"]).min().to_period(freq)
    last = pd.to_datetime(events["date_end"]).max().to_period(freq)
    return pd.period_range(first, last, freq=freq).start_time


def _could_add(loose: pd.DataFrame, period: pd.Timestamp, freq: str, deaths: str) -> int:
    # The deaths of set-aside events whose range touches the period: at most that many could be in it.
    end = (pd.Period(period, freq) + 1).start_time
    touches = (pd.to_datetime(loose["date_start"]) < end) & (pd.to_datetime(loose["date_end"]) >= period)
    return int(loose.loc[touches, deaths].sum())
