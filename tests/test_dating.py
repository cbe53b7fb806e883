"""The one rule for placing UCDP events in time (storykit.stories.dating), on small synthetic events."""

import pandas as pd

from storykit.stories import conflict, dating


def events(rows) -> pd.DataFrame:
    """rows: (date_start, date_end, deaths); every event in one place."""
    return pd.DataFrame(rows, columns=["date_start", "date_end", "deaths_best"]).assign(
        event_id=lambda f: range(len(f)), pcode="SY01")


def test_an_event_known_to_a_week_counts_on_its_first_day_even_across_a_month_end():
    ev = events([("2017-01-29", "2017-02-02", 5)])
    assert dating.period_of(ev, "M").tolist() == [pd.Timestamp("2017-01-01")]


def test_a_longer_range_counts_only_in_a_period_that_holds_all_of_it():
    ev = events([("2017-03-01", "2017-03-31", 7), ("2017-03-20", "2017-04-10", 9), ("2017-01-01", "2017-12-31", 11)])
    months, years = dating.period_of(ev, "M"), dating.period_of(ev, "Y")
    assert months[0] == pd.Timestamp("2017-03-01") and months[1:].isna().all()
    assert (years == pd.Timestamp("2017-01-01")).all()


def test_the_deadliest_month_holds_when_no_dating_of_the_rest_could_change_it():
    ev = events([("2017-01-05", "2017-01-05", 50), ("2017-02-05", "2017-02-05", 30),
                 ("2017-01-20", "2017-02-20", 10)])  # set aside: it could add 10 to February, not enough
    worst = dating.deadliest(ev)
    assert worst == {"period": pd.Timestamp("2017-01-01"), "deaths": 50, "set_aside": 10, "holds": True}


def test_the_deadliest_month_says_when_the_set_aside_deaths_could_overturn_it():
    ev = events([("2017-01-05", "2017-01-05", 50), ("2017-02-05", "2017-02-05", 30),
                 ("2017-02-10", "2017-03-20", 25)])  # all 25 could fall in February: 55 > 50
    worst = dating.deadliest(ev)
    assert worst["period"] == pd.Timestamp("2017-01-01") and worst["set_aside"] == 25
    assert worst["holds"] is False


def test_a_month_with_no_counted_deaths_can_still_be_overtaken():
    ev = events([("2017-01-05", "2017-01-05", 5), ("2017-03-01", "2017-04-15", 9)])  # March may hold all 9
    assert dating.deadliest(ev)["holds"] is False


def test_the_truce_range_adds_only_loose_events_inside_the_window():
    rows = [("2016-12-01", "2016-12-01", 100), ("2017-01-10", "2017-01-10", 40),
            ("2016-12-20", "2017-01-15", 30),   # inside the window, across the cease-fire: either side
            ("2016-11-05", "2016-11-30", 20),   # inside, before only
            ("2016-01-01", "2016-12-31", 500),  # a year's tally reaching beyond the window: never added
            ("2017-03-01", "2017-03-01", 1)]  # the events run past the window
    ev = events(rows).assign(side_a="A", side_b="B", type_of_violence=1, deaths_low=0, deaths_high=0)
    win = conflict.window(ev, "2016-12-30", 60)
    ranges = conflict.period_range(win, "2016-12-30")
    assert ranges.loc["before"].tolist() == [100, 150] and ranges.loc["after"].tolist() == [40, 70]
    lo, hi = conflict.change_bounds(ranges)
    assert (lo, hi) == (40 / 150 - 1, 70 / 100 - 1)
