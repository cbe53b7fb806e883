"""The truce helpers: whole-name actor matching, the window around a date, and its counts.

Small synthetic events for the rules; the real processed events for facts of docs/sources.md and for sums
that must agree whatever the data.
"""

import pandas as pd
import pytest

from storykit.stories import conflict
from storykit.errors import DataError

CEASEFIRE = "2020-01-15"


def events(rows) -> pd.DataFrame:
    """Events from (date_start, date_end, side_a, side_b, best, pcode); low = best - 1, high = best + 2."""
    frame = pd.DataFrame(rows, columns=["date_start", "date_end", "side_a", "side_b", "deaths_best", "pcode"])
    frame.insert(0, "event_id", range(1, len(frame) + 1))
    for col in ("date_start", "date_end"):
        frame[col] = pd.to_datetime(frame[col]).dt.date  # as the processed table holds them
    frame["deaths_low"] = frame["deaths_best"] - 1
    frame["deaths_high"] = frame["deaths_best"] + 2
    frame["located_by"] = frame["pcode"].map(lambda p: "unlocated" if p is None else "adm_1")
    return frame


@pytest.fixture
def sample():
    return events([
        ("2020-01-01", "2020-01-01", "G", "X", 100, "SY01"),       # covers the data's first day
        ("2020-01-10", "2020-01-10", "G", "IS", 5, "SY07"),         # before, IS
        ("2020-01-14", "2020-01-16", "A, HTS", "IS", 7, "SY05"),   # before by date_start; straddles
        ("2020-01-15", "2020-01-15", "G", "Tahrir al- Sham Army", 3, "SY07"),  # after, not HTS
        ("2020-01-23", "2020-01-23", "G", "Rebels", 11, None),      # after, unlocated
        ("2020-01-16", "2020-01-24", "G", "Rebels", 50, "SY02"),    # a range over a week, inside
        ("2020-01-01", "2020-12-31", "G", "IS", 900, None),          # a year's tally
        ("2020-01-04", "2020-01-06", "G", "X", 13, "SY01"),         # starts before the window
        ("2020-03-01", "2020-03-01", "G", "X", 1, "SY01"),          # after the window
        ("2020-12-31", "2020-12-31", "G", "X", 1, "SY01"),          # covers the data's last day
    ])


# --- actors ------------------------------------------------------------------------------------

def test_split_actors():
    assert conflict.split_actors("Ahrar al-Sham, HTS,Southern Front ") == ["Ahrar al-Sham", "HTS", "Southern Front"]
    assert conflict.split_actors(pd.NA) == [] and conflict.split_actors(None) == [] and conflict.split_actors("") == []


def test_involves_matches_whole_names_on_either_side():
    ev = events([
        ("2020-01-01", "2020-01-01", "Government of Syria", "HTS", 1, None),
        ("2020-01-01", "2020-01-01", "Ahrar al-Sham, HTS, Southern Front", "IS", 1, None),
        ("2020-01-01", "2020-01-01", "Jaysh al-Islam", "Tahrir al- Sham Army", 1, None),
        ("2020-01-01", "2020-01-01", "ISIL", "Islamic Front", 1, None),
        ("2020-01-01", "2020-01-01", "Government of Syria", None, 1, None),
    ])
    nusra = conflict.EXCLUDED["former Nusra Front"]
    assert conflict.involves(ev, nusra).tolist() == [True, True, False, False, False]
    assert conflict.involves(ev, ["IS"]).tolist() == [False, True, False, False, False]
    flags = conflict.group_flags(ev)
    assert list(flags.columns) == list(conflict.EXCLUDED)
    assert flags.any(axis=1).tolist() == [True, True, False, False, False]


def test_actor_table_counts_each_event_once_per_actor():
    ev = events([
        ("2020-01-01", "2020-01-01", "A, B", "C", 10, None),
        ("2020-01-02", "2020-01-02", "B", "A", 5, None),        # A on both sides across events
        ("2020-01-03", "2020-01-03", "A", "A, D", 2, None),     # A on both sides of one event
    ])
    t = conflict.actor_table(ev).set_index("actor")
    assert t.loc["A"].to_dict() == {"events": 3, "deaths_best": 17, "as_side_a": 2, "as_side_b": 2}
    assert t.loc["B", "events"] == 2 and t.loc["B", "deaths_best"] == 15
    assert t.loc["D"].to_dict() == {"events": 1, "deaths_best": 2, "as_side_a": 0, "as_side_b": 1}
    assert conflict.missing_names(ev, {"g": ("A", "Z")}) == ["Z"]


# --- the window --------------------------------------------------------------------------------

def test_window_places_events_by_first_day_and_sets_long_ranges_aside(sample):
    win = conflict.window(sample, CEASEFIRE, 10)
    assert conflict.bounds(CEASEFIRE, 10) == (pd.Timestamp("2020-01-05"), pd.Timestamp(CEASEFIRE),
                                              pd.Timestamp("2020-01-24"))
    placed = win[win["placed"]].set_index("deaths_best")
    assert sorted(placed.index) == [3, 5, 7, 11]  # not the one starting on 4 January, nor March's
    assert placed.loc[7, "period"] == "before" and bool(placed.loc[7, "straddles"])
    assert placed.loc[3, "period"] == "after" and placed.loc[3, "day"] == 0 and placed.loc[3, "week"] == 0
    assert placed.loc[5, "week"] == -1 and not placed["straddles"].drop(7).any()
    aside = conflict.set_aside(win).set_index("range")
    assert aside.loc["inside", "deaths_best"] == 50 and aside.loc["beyond", "deaths_best"] == 900
    # a reporter may place every event on its first day instead
    wide = conflict.window(sample, CEASEFIRE, 10, max_span_days=1000)
    assert set(wide.loc[wide["placed"], "deaths_best"]) == {3, 5, 7, 11, 50}


def test_window_must_lie_inside_the_data(sample):
    whole = conflict.window(sample, "2020-07-02", 183)  # 1 January to 31 December: the last by date_end
    # Every event counts but the range of 9 days (50) and the year's tally (900), set aside.
    assert sorted(whole.loc[whole["placed"], "deaths_best"]) == [1, 1, 3, 5, 7, 11, 13, 100]
    assert sorted(whole.loc[~whole["placed"], "deaths_best"]) == [50, 900]
    with pytest.raises(DataError, match=r"The window 2019-12-31 to 2020-01-19 \(ceasefire='2020-01-10', window_days=10\) "
                                        "runs outside the events, which cover 2020-01-01 to 2020-12-31: "
                                        "choose a nearer date or a shorter window"):
        conflict.window(sample, "2020-01-10", 10)
    with pytest.raises(DataError, match="ceasefire='30/12/2016x' is not a date: write it as YYYY-MM-DD"):
        conflict.window(sample, "30/12/2016x", 10)
    with pytest.raises(DataError, match="window_days=0: give a whole number of days, at least 1"):
        conflict.window(sample, CEASEFIRE, 0)


def test_daily_weekly_and_period_totals_agree(sample):
    win = conflict.window(sample, CEASEFIRE, 10)
    days = conflict.daily(win, CEASEFIRE, 10)
    assert len(days) == 20 and days["date"].is_unique  # every day, events or not
    assert days.loc[days["date"] == "2020-01-06", "deaths_best"].item() == 0
    totals = conflict.period_totals(win).set_index("period")
    assert totals.loc["before"].to_dict() == {"events": 2, "deaths_best": 12, "deaths_low": 10, "deaths_high": 16}
    assert totals.loc["after", "deaths_best"] == 14
    assert days.groupby("period")["deaths_best"].sum().to_dict() == {"before": 12, "after": 14}

    weeks = conflict.weekly(win, CEASEFIRE, 10)
    assert weeks["week"].tolist() == [-1, 0]  # only whole weeks: 8-14 and 15-21 January
    assert weeks["week_start"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-08", CEASEFIRE]
    assert weeks["deaths_best"].tolist() == [12, 3]  # the 23rd falls in the leftover days

    split = conflict.period_totals(win, by="pcode", categories=["SY05", "SY07", "SY14"])
    assert len(split) == 6  # zeros for places without events
    assert split.set_index(["period", "pcode"]).loc[("after", "SY14"), "deaths_best"] == 0
    with pytest.raises(DataError, match="window_days=6: a window shorter than a week has no whole week to show"):
        conflict.weekly(win, CEASEFIRE, 6)


def test_by_governorate_leaves_out_unlocated_and_knows_every_place(sample):
    win = conflict.window(sample, CEASEFIRE, 10)
    table = conflict.by_governorate(win, ["SY05", "SY07", "SY14"]).set_index("pcode")
    assert table.loc["SY07"].to_dict() == {"before": 5, "after": 3, "change": -2}
    assert table.loc["SY14"].to_dict() == {"before": 0, "after": 0, "change": 0}
    assert table[["before", "after"]].sum().sum() == 15  # the unlocated 11 are not spread
    with pytest.raises(DataError, match="conflict_events: pcode SY05 is not in the provinces layer"):
        conflict.by_governorate(win, ["SY07"])


# --- the real events ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(processed):
    return pd.read_parquet(processed / "conflict_events.parquet")


def test_real_ged_2016_total(real):
    assert real.loc[real["year"] == 2016, "deaths_best"].sum() == 48_710  # docs/sources.md, ucdp_ged_syria_2016_2019


def test_real_actor_names(real):
    names = set(conflict.actor_table(real)["actor"])
    assert {"IS", "HTS", "Jabhat Fateh al-Sham", "Tahrir al- Sham Army", "Syrian insurgents"} <= names
    assert conflict.missing_names(real) == ["Jabhat al-Nusra", "al-Nusrah Front"]
    flags = conflict.group_flags(real)
    not_hts = conflict.involves(real, ["Tahrir al- Sham Army"]) & ~conflict.involves(real, ["IS", "HTS"])
    assert not_hts.any() and not flags[not_hts].any(axis=1).any()
    # the page says so: GED names the former Nusra Front only in fighting among armed groups
    nusra = conflict.involves(real, conflict.EXCLUDED["former Nusra Front"])
    assert nusra.any() and set(real.loc[nusra, "type_of_violence"]) == {2}


def test_real_window_counts_every_placed_death_once(real):
    win = conflict.window(real, "2016-12-30", 90)
    # The rule applied here by hand: events starting from 1 October 2016 (90 days before the cease-fire)
    # to 29 March 2017 (its 90th day), dated to within MAX_SPAN_DAYS; before it or from it on by their first day.
    first, last = pd.to_datetime(real["date_start"]), pd.to_datetime(real["date_end"])
    counted = real[first.between("2016-10-01", "2017-03-29") & ((last - first).dt.days + 1 <= conflict.MAX_SPAN_DAYS)]
    period = (pd.to_datetime(counted["date_start"]) >= "2016-12-30").map({True: "after", False: "before"})
    expected = counted.groupby(period)["deaths_best"].sum()
    assert set(expected.index) == {"before", "after"}
    totals = conflict.period_totals(win).set_index("period")["deaths_best"]
    assert totals.to_dict() == expected.to_dict()
    days = conflict.daily(win, "2016-12-30", 90)
    assert len(days) == 180 and days.groupby("period")["deaths_best"].sum().to_dict() == expected.to_dict()
    pcodes = [f"SY{i:02d}" for i in range(1, 15)]
    located = conflict.by_governorate(win, pcodes).set_index("pcode")
    by_place = counted.groupby([period, counted["pcode"]])["deaths_best"].sum().unstack(0)
    by_place = by_place.reindex(pcodes, fill_value=0).fillna(0)
    assert located["before"].tolist() == by_place["before"].tolist()
    assert located["after"].tolist() == by_place["after"].tolist()
    assert (win.loc[~win["placed"], "span_days"] > conflict.MAX_SPAN_DAYS).all()
