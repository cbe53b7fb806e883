"""The figures the story began with, when the cease-fire of 30 December 2016 took effect: a war that had
killed more than a quarter of a million people, made more than four million refugees and displaced
half the population. Checked here against the data of the time (the end of 2016) and of today.

The claims are numbers of the story, not of the data: each is recorded with where it comes from
(facts.noted), and every figure set against it is computed from the processed tables.
"""

from dataclasses import dataclass

import pandas as pd

from ..errors import DataError
from .displacement import abroad_and_inside

STATE_BASED = 1  # UCDP's type_of_violence: 1 state-based, 2 non-state, 3 one-sided


@dataclass(frozen=True)
class Claim:
    value: float  # the number the story gave ("more than a quarter of a million": 250,000)
    why: str = ("the figure the story began with, as it was told when the cease-fire of 30 December 2016 took "
                "effect (storykit's brief)")
    why_ar: str = "الرقم الذي بدأت به القصة، كما كان يُروى حين بدأ وقف إطلاق النار في 30 كانون الأول 2016 (موجز storykit)"


KILLED = Claim(250_000)  # more than a quarter of a million people killed
REFUGEES = Claim(4_000_000)  # more than four million refugees
DISPLACED = Claim(0.5)  # half the population displaced


def toll(deaths_national: pd.DataFrame, until: int) -> pd.Series:
    """UCDP's battle deaths (state-based conflict), best, low and high, from 2011 to `until`."""
    rows = deaths_national[deaths_national["year"].between(2011, until)]
    if rows.empty or int(rows["year"].max()) < until:
        raise DataError(f"deaths_national has no battle deaths for {until}; its last year is "
                        f"{int(deaths_national['year'].max())}.")
    return rows[["deaths_best", "deaths_low", "deaths_high"]].sum().astype(int)


def cumulative_toll(deaths_national: pd.DataFrame) -> pd.DataFrame:
    """Battle deaths since 2011, added up year by year: year, deaths_best, total."""
    rows = deaths_national[deaths_national["year"] >= 2011].sort_values("year")[["year", "deaths_best"]]
    return rows.assign(total=rows["deaths_best"].cumsum()).reset_index(drop=True)


def left_out(events: pd.DataFrame, year: int) -> dict[str, int]:
    """What the yearly table (state-based conflict only) leaves out of `year`, by UCDP's own event data:
    the deaths in all organised violence, and those in state-based conflict alone."""
    ev = events[pd.to_datetime(events["date_start"]).dt.year == year]
    if ev.empty:
        raise DataError(f"conflict_events has no events in {year}.")
    return {"all": int(ev["deaths_best"].sum()),
            "state_based": int(ev.loc[ev["type_of_violence"] == STATE_BASED, "deaths_best"].sum())}


def displaced(refugees: pd.DataFrame, idps_national: pd.DataFrame) -> pd.DataFrame:
    """Syrians displaced by year, in UNHCR's current release: year, refugees (abroad), idps (inside),
    displaced (the two together), from the first year UNHCR counts IDPs."""
    out = abroad_and_inside(refugees, idps_national, "refugees", "idps").dropna().astype(int)
    return out.assign(displaced=out["refugees"] + out["idps"]).reset_index(drop=True)


def prewar(population: pd.DataFrame, before: int = 2011) -> pd.Series:
    """The latest population estimate before the war (year, population)."""
    rows = population[population["year"] < before]
    if rows.empty:
        raise DataError(f"The population table has no estimate before {before}.")
    return rows.sort_values("year").iloc[-1]
