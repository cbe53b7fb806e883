"""One governorate's profile: the figures of notebooks/governorate.ipynb, computed once per run.

    p = profiles.load("Idlib")        # any spelling the gazetteer knows, or a P-code such as "SY07"
    p.place.name_en, p.place.name_ar  # 'Idleb', 'إدلب'
    p.idps                            # year, idps, national, share (UNHCR, by governorate of residence)
    p.shares.measure_ar               # each share's measure in Arabic, for the Arabic edition

`load` reads each processed table once; `build` does the work on given frames (the tests use it).
Missing is never zero here: a year UNHCR has no row for, or a month OCHA's sheet left blank, stays
empty. Zero is used only where the source covers the whole country and recorded nothing there
(a month without a GED event or a VDC record in the governorate).
"""

import re
from dataclasses import dataclass, field

import pandas as pd

from ..arabic import month_year
from ..errors import did_you_mean
from ..gazetteer import Gazetteer, UnknownPlaceError
from . import dating
from .conflict import VIOLENCE
from .displacement import year_label, year_label_ar

TABLES = ("gazetteer", "idps_by_governorate", "idp_movements", "conflict_events", "victims")
# A chart with fewer non-zero bars than this says less than a sentence: the notebook writes one instead.
MIN_POINTS = 6
_PCODE_LIKE = re.compile(r"\s*[A-Za-z]{2}\d+\s*")


@dataclass(frozen=True)
class Place:
    pcode: str
    name_en: str
    name_ar: str


@dataclass
class Profile:
    place: Place
    idps: pd.DataFrame  # year, idps (empty when UNHCR has no row), national, share
    movements: pd.DataFrame  # month, movements (empty when not reported), national
    deaths: pd.DataFrame  # month, violence, deaths: GED best estimate by month and type of violence
    deaths_national: int  # every GED death in Syria, placed or not
    deaths_placed: int  # GED deaths placed in this governorate, however precisely dated
    deaths_unplaced: int  # GED deaths located in no governorate (country-wide or vague areas)
    worst_month: dict  # dating.deadliest: the deadliest month, the deaths set aside, whether it holds
    victims_by_month: pd.DataFrame  # month, victims
    victims_by_cause: pd.DataFrame  # cause, victims (most first)
    victims_national: int  # every VDC record, with or without a governorate
    shares: pd.DataFrame  # measure, table, here, national, share, rank (1 = most), of (governorates ranked), measure_ar
    locator: pd.DataFrame  # pcode, name_en, name_ar, highlighted (1 for this governorate)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table -> catalogue ids

    def has(self, part: str) -> bool:
        """Whether a part (idps, movements, deaths, victims_by_month, victims_by_cause) is worth a chart."""
        return enough(_values(self, part))


def _values(p: Profile, part: str) -> pd.Series:
    if part == "deaths":
        return p.deaths.groupby("month")["deaths"].sum()
    frame = getattr(p, part)
    return frame[{"idps": "idps", "movements": "movements"}.get(part, "victims")]


def enough(values: pd.Series, min_points: int = MIN_POINTS) -> bool:
    """At least `min_points` values above zero (empty values do not count)."""
    return int((pd.to_numeric(values, errors="coerce").fillna(0) > 0).sum()) >= min_points


# --- which governorate ----------------------------------------------------------------------------


def resolve(value, gazetteer: Gazetteer | None = None) -> str:
    """The P-code (SY01..SY14) of a governorate given as a P-code or any spelling the gazetteer knows.

    Raises the gazetteer's UnknownPlaceError, naming the value and listing the governorates, otherwise.
    """
    gaz = gazetteer or _gazetteer()
    text = value if isinstance(value, str) else str(value)
    codes = "pcode" if _PCODE_LIKE.fullmatch(text) else "names"
    try:
        return gaz.to_pcode([value], level=1, codes=codes)[0]
    except UnknownPlaceError as e:
        known = gaz.table[gaz.table["level"] == 1].sort_values("pcode")
        choices = ", ".join(f"{r.pcode} {r.name_en}" for r in known.itertuples())
        # The gazetteer's line about the value, without its advice to programmers (ALIASES, to_pcode).
        why = "; ".join(line.strip() for line in str(e).splitlines() if line.startswith("  "))
        raise UnknownPlaceError(f"{value!r} is no governorate of Syria ({why}).{did_you_mean(text, known.name_en)} "
                                f"Set the parameter governorate to a P-code or a name: {choices}.", e.unknown) from None


def _gazetteer() -> Gazetteer:
    from ..paths import processed_dir

    return Gazetteer.load(processed_dir() / "gazetteer.parquet")


def place(pcode: str, gazetteer: pd.DataFrame) -> Place:
    row = gazetteer[(gazetteer["level"] == 1) & (gazetteer["pcode"] == pcode)].iloc[0]
    return Place(pcode, str(row["name_en"]), str(row["name_ar"]))


# --- the parts of a profile -------------------------------------------------------------------------


def idps_by_year(idps: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """IDPs living in the governorate each year UNHCR reports any governorate, with the national sum."""
    national = idps.groupby("year")["idps"].sum().rename("national")
    here = idps[idps["pcode"] == pcode].set_index("year")["idps"]
    out = national.to_frame().join(here).reset_index()[["year", "idps", "national"]]
    out["share"] = (out["idps"] / out["national"]).astype("Float64")
    return out


def movements_by_month(movements: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """IDP movements ending in the governorate by month (flows, moves within it included: OCHA's sheet
    counts by place of arrival only), and in all governorates together."""
    frame = movements.assign(month=pd.to_datetime(movements["month"]))
    national = frame.groupby("month")["movements"].sum(min_count=1).rename("national")
    here = frame[frame["pcode"] == pcode].groupby("month")["movements"].sum(min_count=1)
    return national.to_frame().join(here).reset_index()[["month", "movements", "national"]]


def _months(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("M").dt.to_timestamp()


def _month_range(dates: pd.Series) -> pd.DatetimeIndex:
    months = _months(dates)
    return pd.date_range(months.min(), months.max(), freq="MS", name="month")


def deaths_by_month(events: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """GED best deaths in the governorate by month and type of violence, zeros included: GED covers the
    whole country, so a month without an event there recorded no deaths there. Each event counts in the
    month storykit.stories.dating places it in; those it sets aside are in `deadliest_month`'s count."""
    frame = events.assign(month=dating.period_of(events, "M"), violence=events["type_of_violence"].map(VIOLENCE))
    bad = frame[frame["violence"].isna()]
    if len(bad):
        from ..errors import DataError

        values = ", ".join(map(str, bad["type_of_violence"].unique()))
        rows = bad["event_id"] if "event_id" in bad else bad.index
        raise DataError(f"conflict_events: type_of_violence {values} (event_id {', '.join(map(str, rows[:5]))}) is "
                        f"not one of UCDP's types {sorted(VIOLENCE)}; check the table, or add the type to "
                        "storykit.stories.conflict.VIOLENCE.")
    index = pd.MultiIndex.from_product([_month_range(events["date_start"]), list(VIOLENCE.values())],
                                       names=["month", "violence"])
    here = frame[frame["pcode"] == pcode].groupby(["month", "violence"])["deaths_best"].sum()
    return here.reindex(index, fill_value=0).astype("Int64").rename("deaths").reset_index()


def deadliest_month(events: pd.DataFrame, pcode: str) -> dict:
    """The governorate's deadliest month by storykit.stories.dating's rule, with the deaths it set aside
    and whether they could change the answer (dating.deadliest)."""
    return dating.deadliest(events[events["pcode"] == pcode], "M")


def unplaced_deaths(events: pd.DataFrame) -> int:
    """GED deaths in events placed in no governorate (the table leaves their pcode empty)."""
    return int(events.loc[events["pcode"].isna(), "deaths_best"].sum())


def victims_by_month(victims: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """VDC victim records of the governorate by month of death, zeros included over the file's span."""
    frame = victims.assign(month=_months(victims["date"]))
    here = frame[frame["pcode"] == pcode].groupby("month").size()
    return here.reindex(_month_range(victims["date"]), fill_value=0).astype("Int64").rename("victims").reset_index()


def victims_by_cause(victims: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """VDC victim records of the governorate by cause of death as VDC wrote it, most first."""
    here = victims[victims["pcode"] == pcode]
    causes = here["cause"].fillna("Not recorded")
    counts = causes.value_counts().rename("victims").rename_axis("cause").reset_index()
    return counts.sort_values(["victims", "cause"], ascending=[False, True], ignore_index=True) \
        .astype({"victims": "Int64"})


def share_row(measure: str, table: str, by_pcode: pd.Series, national, pcode: str) -> dict:
    """One measure: the governorate's figure, the national one, its share and its rank (1 = most)."""
    here = by_pcode.get(pcode)
    here = None if here is None or pd.isna(here) else here
    rank = by_pcode.rank(ascending=False, method="min")
    return {"measure": measure, "table": table, "here": here, "national": national,
            "share": None if here is None else here / national,
            "rank": None if here is None else int(rank[pcode]), "of": int(by_pcode.notna().sum())}


def shares(pcode: str, idps: pd.DataFrame, movements: pd.DataFrame, events: pd.DataFrame,
           victims: pd.DataFrame) -> pd.DataFrame:
    """The governorate's share of each national figure the profile shows, with the period it covers
    (`measure`, and `measure_ar` in Arabic: the same period, written once here for both)."""
    rows = []
    last = int(idps["year"].max())
    year = idps[idps["year"] == last]
    rows.append(share_row(f"IDPs living there, {year_label(last)} (UNHCR)", "idps_by_governorate",
                          year.groupby("pcode")["idps"].sum(), year["idps"].sum(), pcode)
                | {"measure_ar": f"النازحون داخلياً المقيمون فيها، {year_label_ar(last)} (UNHCR)"})
    months = pd.to_datetime(movements["month"])
    rows.append(share_row(f"IDP movements ending there, {months.min():%b %Y} to {months.max():%b %Y} (OCHA)",
                          "idp_movements",
                          movements.groupby("pcode")["movements"].sum(), movements["movements"].sum(), pcode)
                | {"measure_ar": f"حركات النزوح التي انتهت فيها، {_span_ar(months)} (OCHA)"})
    starts = pd.to_datetime(events["date_start"])
    rows.append(share_row(f"Conflict deaths, {starts.min():%b %Y} to {starts.max():%b %Y} (UCDP GED)",
                          "conflict_events", events.groupby("pcode")["deaths_best"].sum(),
                          events["deaths_best"].sum(), pcode)
                | {"measure_ar": f"قتلى النزاع، {_span_ar(starts)} (UCDP GED)"})
    dates = pd.to_datetime(victims["date"])
    rows.append(share_row(f"Documented victims recorded under it, {dates.min():%b %Y} to {dates.max():%b %Y} (VDC)",
                          "victims",
                          victims.groupby("pcode").size(), len(victims), pcode)
                | {"measure_ar": f"الضحايا الموثَّقون المسجَّلون فيها، {_span_ar(dates)} (VDC)"})
    out = pd.DataFrame(rows)
    return out.astype({"here": "Float64", "national": "Float64", "share": "Float64", "rank": "Int64"})


def _span_ar(dates: pd.Series) -> str:
    """'من آذار 2011 إلى حزيران 2011': the months a measure covers, in Arabic."""
    return f"من {month_year(dates.min())} إلى {month_year(dates.max())}"


def locator(gazetteer: pd.DataFrame, pcode: str) -> pd.DataFrame:
    """The 14 governorates, this one marked 1 and the others 0, for the locator map."""
    govs = gazetteer[gazetteer["level"] == 1].sort_values("pcode")
    out = govs[["pcode", "name_en", "name_ar"]].reset_index(drop=True)
    out["highlighted"] = (out["pcode"] == pcode).astype(int)
    return out


def percent_format(share: float) -> str:
    """A format spec that shows a share with a non-zero digit: 21.3%, 0.04%, never 0.0% for a small share."""
    if share == 0 or abs(share) >= 0.001:
        return ".1%"
    digits = 2
    while round(abs(share) * 100, digits) == 0:
        digits += 1
    return f".{digits}%"


def listing(labels, values, *, source, what: str, fmt: str = "") -> tuple[str, dict]:
    """A short list for prose, "A ({v0}), B ({v1})", as a template fragment and its fields (facts).

    For parts too thin for a chart: the notebook says the few figures instead of drawing them. A label
    given as text is kept as it is (a both(...) keeps its Arabic); `listing_ar` is the fragment in Arabic.
    """
    from ..facts import fact

    fields, parts = {}, []
    for i, (label, value) in enumerate(zip(labels, values)):
        fields[f"l{i}"] = label if isinstance(label, str) else str(label)
        fields[f"v{i}"] = fact(value, source=source, what=f"{what}: {label}", fmt=fmt)
        parts.append(f"{{l{i}}} ({{v{i}}})")
    return ", ".join(parts), fields


def listing_ar(template: str) -> str:
    """The Arabic of a `listing` fragment: the same fields, joined by the Arabic comma."""
    return template.replace("), {", ")، {")


# --- all at once ------------------------------------------------------------------------------------


def build(pcode: str, tables: dict[str, pd.DataFrame], sources: dict[str, tuple[str, ...]] | None = None) -> Profile:
    """The profile of the governorate `pcode` from the processed tables (names as in TABLES)."""
    gaz, idps, moves, events, victims = (tables[name] for name in TABLES)
    return Profile(
        place=place(pcode, gaz),
        idps=idps_by_year(idps, pcode),
        movements=movements_by_month(moves, pcode),
        deaths=deaths_by_month(events, pcode),
        deaths_national=int(events["deaths_best"].sum()),
        deaths_placed=int(events.loc[events["pcode"] == pcode, "deaths_best"].sum()),
        deaths_unplaced=unplaced_deaths(events),
        worst_month=deadliest_month(events, pcode),
        victims_by_month=victims_by_month(victims, pcode),
        victims_by_cause=victims_by_cause(victims, pcode),
        victims_national=len(victims),
        shares=shares(pcode, idps, moves, events, victims),
        locator=locator(gaz, pcode),
        sources=dict(sources or {}),
    )


def load(governorate) -> Profile:
    """The profile of a governorate named as the notebook's parameter, from data/processed (read once)."""
    from .. import data

    pcode = resolve(governorate)
    tables = {name: data.table(name) for name in TABLES}
    sources = {name: data.sources(name) for name in (*TABLES, "provinces")}
    return build(pcode, tables, sources)
