"""Syrians displaced abroad and inside Syria: the computations behind the refugees and displacement stories.

Every function takes a processed table (storykit.data.table(...)) and returns a small frame ready to
plot or to quote. Missing stays missing: a suppressed or blank count is never turned into zero.
"""

import re

import pandas as pd

from ..errors import DataError

CURRENT = "unhcr_population"  # UNHCR's current release of the refugees table
EARLIER = "unhcr_hdx_origin_syr"  # the earlier revision, to 2017, as published on HDX
# The pinned {refugees} release (June 2025, "Mid-Year Trends 2025") ends with mid-year figures for
# 2025: the last full year is the one before. tests/test_displacement.py checks the data still ends there.
MID_YEAR = 2025
# The fall of Bashar al-Assad's government: the date of an event, not a figure of the data (facts.noted).
GOVERNMENT_FELL = "2024-12-08"
GOVERNMENT_FELL_WHY = ("the day the government of Bashar al-Assad fell, as the UN Secretary-General's statement "
                       "on Syria of that day records it")
GOVERNMENT_FELL_WHY_AR = "يوم سقوط حكومة بشار الأسد، كما يسجّله بيان الأمين العام للأمم المتحدة بشأن سوريا في ذلك اليوم"
SUPPRESSED_MAX = 4  # UNHCR hides counts of 1 to 4 as "*" (docs/sources.md, unhcr_hdx_origin_syr): at most this
OTHER_HOSTS = "All other countries"
OTHER_DESTINATIONS = "Other countries"
OTHER_HOSTS_AR = "سائر الدول"  # the Arabic edition's names of the two groups above
OTHER_DESTINATIONS_AR = "دول أخرى"
# UNHCR's country names (both releases and the asylum applications) -> the short Arabic names news desks use,
# for the Arabic edition: short_name_ar() and country_words(). A country new to the data needs adding here.
COUNTRIES_AR = {
    "Afghanistan": "أفغانستان", "Angola": "أنغولا", "Anguilla": "أنغيلا", "Albania": "ألبانيا",
    "United Arab Emirates": "الإمارات", "Argentina": "الأرجنتين", "Armenia": "أرمينيا",
    "Antigua and Barbuda": "أنتيغوا وباربودا", "Australia": "أستراليا", "Austria": "النمسا",
    "Azerbaijan": "أذربيجان", "Belgium": "بلجيكا", "Benin": "بنين", "Burkina Faso": "بوركينا فاسو",
    "Bangladesh": "بنغلاديش", "Bulgaria": "بلغاريا", "Bahrain": "البحرين",
    "Bosnia and Herzegovina": "البوسنة والهرسك", "Belarus": "بيلاروسيا", "Belize": "بليز",
    "Bolivia (Plurinational State of)": "بوليفيا", "Brazil": "البرازيل", "Barbados": "باربادوس",
    "Central African Rep.": "جمهورية أفريقيا الوسطى", "Canada": "كندا", "Switzerland": "سويسرا",
    "Chile": "تشيلي", "China": "الصين", "Cote d'Ivoire": "ساحل العاج", "Cameroon": "الكاميرون",
    "Dem. Rep. of the Congo": "الكونغو الديمقراطية", "Congo": "الكونغو", "Colombia": "كولومبيا",
    "Costa Rica": "كوستاريكا", "Cuba": "كوبا", "Curacao": "كوراساو", "Cayman Islands": "جزر كايمان",
    "Cyprus": "قبرص", "Czechia": "التشيك", "Germany": "ألمانيا", "Djibouti": "جيبوتي", "Denmark": "الدنمارك",
    "Dominican Rep.": "جمهورية الدومينيكان", "Algeria": "الجزائر", "Ecuador": "الإكوادور", "Egypt": "مصر",
    "Eritrea": "إريتريا", "Spain": "إسبانيا", "Estonia": "إستونيا", "Ethiopia": "إثيوبيا", "Finland": "فنلندا",
    "France": "فرنسا", "Gabon": "الغابون",
    "United Kingdom of Great Britain and Northern Ireland": "المملكة المتحدة", "Georgia": "جورجيا",
    "Ghana": "غانا", "Guinea": "غينيا", "Gambia": "غامبيا", "Guinea-Bissau": "غينيا بيساو",
    "Greece": "اليونان", "Grenada": "غرينادا", "Guatemala": "غواتيمالا", "China, Hong Kong SAR": "هونغ كونغ",
    "Croatia": "كرواتيا", "Haiti": "هايتي", "Hungary": "المجر", "Indonesia": "إندونيسيا", "India": "الهند",
    "Ireland": "أيرلندا", "Iran (Islamic Rep. of)": "إيران", "Iraq": "العراق", "Iceland": "آيسلندا",
    "Israel": "إسرائيل", "Italy": "إيطاليا", "Jamaica": "جامايكا", "Jordan": "الأردن", "Japan": "اليابان",
    "Kazakhstan": "كازاخستان", "Kenya": "كينيا", "Kyrgyzstan": "قيرغيزستان", "Cambodia": "كمبوديا",
    "Rep. of Korea": "كوريا الجنوبية", "Kuwait": "الكويت", "Lebanon": "لبنان", "Liberia": "ليبيريا",
    "Libya": "ليبيا", "Saint Lucia": "سانت لوسيا", "Liechtenstein": "ليختنشتاين", "Sri Lanka": "سريلانكا",
    "Lithuania": "ليتوانيا", "Luxembourg": "لوكسمبورغ", "Latvia": "لاتفيا", "China, Macao SAR": "ماكاو",
    "Morocco": "المغرب", "Monaco": "موناكو", "Rep. of Moldova": "مولدوفا", "Madagascar": "مدغشقر",
    "Mexico": "المكسيك", "North Macedonia": "مقدونيا الشمالية", "Mali": "مالي", "Malta": "مالطا",
    "Montenegro": "الجبل الأسود", "Mongolia": "منغوليا", "Mozambique": "موزمبيق", "Mauritania": "موريتانيا",
    "Mauritius": "موريشيوس", "Malaysia": "ماليزيا", "Niger": "النيجر", "Nigeria": "نيجيريا",
    "Netherlands (Kingdom of the)": "هولندا", "Norway": "النرويج", "Nauru": "ناورو",
    "New Zealand": "نيوزيلندا", "Oman": "عُمان", "Pakistan": "باكستان", "Panama": "بنما", "Peru": "بيرو",
    "Philippines": "الفلبين", "Palau": "بالاو", "Papua New Guinea": "بابوا غينيا الجديدة", "Poland": "بولندا",
    "Portugal": "البرتغال", "Paraguay": "باراغواي", "Qatar": "قطر", "Romania": "رومانيا",
    "Russian Federation": "روسيا", "Rwanda": "رواندا", "Saudi Arabia": "السعودية", "Sudan": "السودان",
    "Senegal": "السنغال", "El Salvador": "السلفادور", "Somalia": "الصومال",
    "Serbia and Kosovo: S/RES/1244 (1999)": "صربيا وكوسوفو", "South Sudan": "جنوب السودان",
    "Slovakia": "سلوفاكيا", "Slovenia": "سلوفينيا", "Sweden": "السويد", "Eswatini": "إسواتيني",
    "Sint Maarten (Dutch part)": "سينت مارتن", "Chad": "تشاد", "Togo": "توغو", "Thailand": "تايلاند",
    "Trinidad and Tobago": "ترينيداد وتوباغو", "Tunisia": "تونس", "Türkiye": "تركيا",
    "United Rep. of Tanzania": "تنزانيا", "Uganda": "أوغندا", "Ukraine": "أوكرانيا", "Unknown": "غير معروف",
    "Uruguay": "الأوروغواي", "United States of America": "الولايات المتحدة", "Uzbekistan": "أوزبكستان",
    "Venezuela (Bolivarian Republic of)": "فنزويلا", "Yemen": "اليمن", "South Africa": "جنوب أفريقيا",
    "Zambia": "زامبيا", "Zimbabwe": "زيمبابوي",
}


def sources_of(*frames: pd.DataFrame) -> tuple[str, ...]:
    """The catalogue ids in the `source` column of the rows a figure was computed from, in order."""
    ids = [s for frame in frames for s in frame["source"].dropna().unique()]
    if not ids:
        raise DataError("No rows to name a source for: the filter left nothing; check its parameters.")
    return tuple(dict.fromkeys(ids))


def latest_full_year(years) -> int:
    """The last year whose figures are end-of-year ones (the mid-year one of the release left aside)."""
    full = [int(y) for y in pd.Series(years).dropna().unique() if int(y) != MID_YEAR]
    if not full:
        raise DataError("No full year in the data: every row is the mid-year one.")
    return max(full)


def year_label(year: int) -> str:
    """'2024' for a full year, 'mid-2025' for the release's mid-year figures."""
    return f"mid-{year}" if int(year) == MID_YEAR else str(int(year))


def when(year: int) -> str:
    """The date a stock is counted at, in words: 'at the end of 2024', or 'in mid-2025' for the
    release's mid-year figures."""
    return f"in mid-{int(year)}" if int(year) == MID_YEAR else f"at the end of {int(year)}"


def year_label_ar(year: int) -> str:
    """year_label() in Arabic: '2024', or 'منتصف 2025' for the release's mid-year figures."""
    return f"منتصف {int(year)}" if int(year) == MID_YEAR else str(int(year))


def when_ar(year: int) -> str:
    """when() in Arabic: 'في نهاية 2024', or 'في منتصف 2025' (Arabic has no capitals: it serves
    where the English writes when(year).capitalize() too)."""
    return f"في منتصف {int(year)}" if int(year) == MID_YEAR else f"في نهاية {int(year)}"


def government_fell():
    """The date the government fell, for prose: written and recorded with its source (facts.noted)."""
    from ..facts import noted

    return noted(GOVERNMENT_FELL, why=GOVERNMENT_FELL_WHY, why_ar=GOVERNMENT_FELL_WHY_AR)


def listing(items) -> str:
    """'A', 'A and B', 'A, B and C': names in a sentence."""
    items = [str(i) for i in items]
    if not items:
        raise DataError("Nothing to list: the filter left no names.")
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def listing_ar(items) -> str:
    """listing() in Arabic: 'أ'، 'أ وب'، 'أ وب وج' (Arabic joins every name with "و", written against it)."""
    items = [str(i) for i in items]
    if not items:
        raise DataError("Nothing to list: the filter left no names.")
    return " و".join(items)


def short_name(name: str) -> str:
    """A country name short enough for a chart label on a phone: UNHCR's parenthetical and legal
    qualifiers dropped ('Bolivia (Plurinational State of)' -> 'Bolivia')."""
    return re.sub(r"\s*\(.*?\)", "", str(name)).split(":")[0].strip() or str(name)


def short_name_ar(name: str) -> str:
    """A country's Arabic name, from UNHCR's English name in full or as short_name() gives it
    ('Türkiye' -> 'تركيا'; 'All other countries' and 'Other countries' too)."""
    words = country_words()
    if str(name) not in words:
        raise DataError(f"No Arabic name for the country {name!r}: add it to COUNTRIES_AR in "
                        "storykit/stories/displacement.py.")
    return words[str(name)]


def country_words() -> dict[str, str]:
    """English -> Arabic for every country name a chart or table may show (UNHCR's full names, their
    short_name(), and the two groups of the rest): to merge into a notebook's words=AR."""
    words = {short_name(en): ar for en, ar in COUNTRIES_AR.items()} | COUNTRIES_AR
    return words | {OTHER_HOSTS: OTHER_HOSTS_AR, OTHER_DESTINATIONS: OTHER_DESTINATIONS_AR}


def _need(frame: pd.DataFrame, table: str, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"The table {table!r} has no column {', '.join(missing)}; "
                        "run `storykit process` to remake it.")


def _year(frame: pd.DataFrame, year: int, table: str) -> pd.DataFrame:
    rows = frame[frame["year"] == year]
    if rows.empty:
        years = sorted(int(y) for y in frame["year"].unique())
        raise DataError(f"The table {table!r} has no rows for year {year}; "
                        f"choose one of {years[0]}-{years[-1]}.")
    return rows


# --- refugees abroad ----------------------------------------------------------------------------


def release(refugees: pd.DataFrame, source: str = CURRENT) -> pd.DataFrame:
    """The rows of one UNHCR release (`source` is its catalogue id)."""
    _need(refugees, "refugees", ("year", "asylum_iso3", "asylum_name", "refugees", "source"))
    rows = refugees[refugees["source"] == source]
    if rows.empty:
        raise DataError(f"The table 'refugees' has no rows from {source!r}; it holds "
                        f"{', '.join(sorted(refugees['source'].unique()))}.")
    return rows


def totals_by_year(refugees: pd.DataFrame, column: str = "refugees") -> pd.DataFrame:
    """Worldwide totals per year and release: year, source, `column` (suppressed/blank cells add nothing;
    a year where a release has no number at all stays empty)."""
    _need(refugees, "refugees", ("year", "source", column))
    out = (refugees.groupby(["year", "source"])[column].sum(min_count=1).reset_index()
           .sort_values(["source", "year"], ignore_index=True))
    return out


def main_hosts(refugees: pd.DataFrame, year: int, top_n: int, source: str = CURRENT) -> pd.DataFrame:
    """The `top_n` countries hosting most Syrian refugees in `year`: asylum_iso3, asylum_name, refugees,
    share (of all Syrian refugees that year), rank."""
    if top_n < 1:
        raise DataError(f"top_n = {top_n}: ask for at least one host country.")
    rows = _year(release(refugees, source), year, "refugees")
    total = rows["refugees"].sum()
    top = (rows.dropna(subset=["refugees"]).sort_values(["refugees", "asylum_name"], ascending=[False, True])
           .head(top_n)[["asylum_iso3", "asylum_name", "refugees"]].reset_index(drop=True))
    top["share"] = (top["refugees"] / total).astype(float)
    top["rank"] = range(1, len(top) + 1)
    return top


def hosts_over_time(refugees: pd.DataFrame, hosts, source: str = CURRENT, since: int | None = None) -> pd.DataFrame:
    """Refugees per year in each of `hosts` (ISO3 codes) and in all other countries together:
    year, host, refugees (long format, hosts in the order given, the rest last)."""
    rows = release(refugees, source)
    if since is not None:
        rows = rows[rows["year"] >= since]
    hosts = list(hosts)
    unknown = sorted(set(hosts) - set(rows["asylum_iso3"]))
    if unknown:
        raise DataError(f"No refugees rows from {source!r} for host(s) {', '.join(unknown)}.")
    names = rows.drop_duplicates("asylum_iso3").set_index("asylum_iso3")["asylum_name"]
    host = rows["asylum_iso3"].map(lambda c: names[c] if c in hosts else OTHER_HOSTS)
    out = rows.assign(host=host).groupby(["year", "host"])["refugees"].sum(min_count=1).reset_index()
    order = [names[c] for c in hosts] + [OTHER_HOSTS]
    out["host"] = pd.Categorical(out["host"], categories=order, ordered=True)
    out = out.sort_values(["host", "year"], ignore_index=True)
    out["host"] = out["host"].astype(str)
    return out


def revisions(refugees: pd.DataFrame, measures=("refugees", "asylum_seekers")) -> pd.DataFrame:
    """Country-years both releases report, and how the current release changed the earlier one:
    year, asylum_iso3, asylum_name, measure, earlier, current, revision (= current - earlier),
    largest absolute revision first. Pairs where either side is empty (suppressed, blank or
    absent) cannot be compared and are not here: see `uncomparable`."""
    pairs = _pairs(refugees)
    out = []
    for m in measures:
        both = pairs.dropna(subset=[f"{m}_earlier", f"{m}_current"])
        out.append(pd.DataFrame({
            "year": both["year"], "asylum_iso3": both["asylum_iso3"], "asylum_name": both["asylum_name"],
            "measure": m, "earlier": both[f"{m}_earlier"], "current": both[f"{m}_current"],
        }))
    out = pd.concat(out, ignore_index=True)
    out["revision"] = out["current"] - out["earlier"]
    key = out["revision"].abs()
    return out.assign(_key=key).sort_values(["_key", "year", "asylum_name"], ascending=[False, True, True]) \
        .drop(columns="_key").reset_index(drop=True)


def uncomparable(refugees: pd.DataFrame, measure: str = "refugees") -> pd.DataFrame:
    """Country-years (in years both releases cover) where only one release, or neither, has a number."""
    pairs = _pairs(refugees)
    one_side = pairs[f"{measure}_earlier"].isna() | pairs[f"{measure}_current"].isna()
    return pairs.loc[one_side, ["year", "asylum_iso3", "asylum_name", f"{measure}_earlier", f"{measure}_current"]] \
        .reset_index(drop=True)


def _pairs(refugees: pd.DataFrame) -> pd.DataFrame:
    earlier, current = release(refugees, EARLIER), release(refugees, CURRENT)
    current = current[current["year"].isin(earlier["year"].unique())]  # the years both releases cover
    cols = ["year", "asylum_iso3", "asylum_name", "refugees", "asylum_seekers"]
    pairs = earlier[cols].merge(current[cols], on=["year", "asylum_iso3"], how="outer",
                                suffixes=("_earlier", "_current"))
    pairs["asylum_name"] = pairs["asylum_name_current"].fillna(pairs["asylum_name_earlier"])
    return pairs.drop(columns=["asylum_name_earlier", "asylum_name_current"])


# --- asylum applications ------------------------------------------------------------------------


def applications_by_country(applications: pd.DataFrame) -> pd.DataFrame:
    """One row per month and country of asylum: month, asylum_iso3, asylum_name, applications, suppressed.

    The United States report through two authorities (two rows a month); UNHCR adds them, and so do we.
    `suppressed` counts the raw values hidden as "*" (1 to 4 applications each): they add nothing to
    `applications`, which is empty when every part was suppressed.
    """
    _need(applications, "asylum_applications", ("month", "asylum_iso3", "asylum_name", "applications"))
    frame = applications.assign(month=pd.to_datetime(applications["month"]),
                                suppressed=applications["applications"].isna().astype(int))
    return (frame.groupby(["month", "asylum_iso3", "asylum_name"])
            .agg(applications=("applications", lambda s: s.sum(min_count=1)), suppressed=("suppressed", "sum"))
            .reset_index())


def main_destinations(by_country: pd.DataFrame, year: int, top_n: int) -> pd.DataFrame:
    """The `top_n` countries receiving most applications in `year`: asylum_iso3, asylum_name,
    applications, suppressed (months hidden as "*")."""
    if top_n < 1:
        raise DataError(f"top_n = {top_n}: ask for at least one destination.")
    rows = by_country[by_country["month"].dt.year == year]
    if rows.empty:
        raise DataError(f"The table 'asylum_applications' has no months in {year}; it runs from "
                        f"{by_country['month'].min():%Y-%m} to {by_country['month'].max():%Y-%m}.")
    per = rows.groupby(["asylum_iso3", "asylum_name"]).agg(
        applications=("applications", "sum"), suppressed=("suppressed", "sum")).reset_index()
    return per.sort_values(["applications", "asylum_name"], ascending=[False, True]).head(top_n) \
        .reset_index(drop=True)


def monthly_by_destination(by_country: pd.DataFrame, destinations, start: str, end: str) -> pd.DataFrame:
    """Applications per month from `start` to `end` (YYYY-MM, inclusive) in each of `destinations`
    (ISO3 codes) and in all other countries together: month, destination, applications, suppressed.

    The export leaves out a month with no applications; such a month counts zero here. A suppressed
    value ("*", 1 to 4) counts nothing but is tallied in `suppressed`, so totals are short by at most
    four times that.
    """
    months = pd.date_range(start, end, freq="MS")
    if months.empty:
        raise DataError(f"No months from {start} to {end}: give start before end, as YYYY-MM.")
    rows = by_country[by_country["month"].isin(months)]
    destinations = list(destinations)
    names = by_country.drop_duplicates("asylum_iso3").set_index("asylum_iso3")["asylum_name"]
    unknown = sorted(set(destinations) - set(names.index))
    if unknown:
        raise DataError(f"No asylum applications at all to {', '.join(unknown)}.")
    label = rows["asylum_iso3"].map(lambda c: names[c] if c in destinations else OTHER_DESTINATIONS)
    order = [names[c] for c in destinations] + [OTHER_DESTINATIONS]
    grid = pd.MultiIndex.from_product([months, order], names=["month", "destination"])
    out = (rows.assign(destination=label).groupby(["month", "destination"])
           .agg(applications=("applications", "sum"), suppressed=("suppressed", "sum"))
           .reindex(grid, fill_value=0).reset_index())
    out["applications"] = out["applications"].astype("Int64")
    out["suppressed"] = out["suppressed"].astype("Int64")
    return out


# --- people displaced inside Syria ------------------------------------------------------------------


def governorate_names(provinces: dict) -> dict[str, str]:
    """P-code -> English name, from the provinces layer (storykit.data.provinces())."""
    return {f["properties"]["pcode"]: f["properties"]["name_en"] for f in provinces["features"]}


def idps_by_year_and_governorate(idps: pd.DataFrame, pcodes) -> pd.DataFrame:
    """Every year x governorate of `pcodes`: year, pcode, idps, empty where UNHCR gives no figure
    (so a map shows a gap rather than silently leaving the place out)."""
    _need(idps, "idps_by_governorate", ("year", "pcode", "idps"))
    unknown = sorted(set(idps["pcode"]) - set(pcodes))
    if unknown:
        raise DataError(f"idps_by_governorate has P-codes the provinces layer lacks: {', '.join(unknown)}.")
    grid = pd.MultiIndex.from_product([sorted(idps["year"].unique()), sorted(pcodes)], names=["year", "pcode"])
    return idps.set_index(["year", "pcode"])[["idps"]].reindex(grid).reset_index()


def most_idps(idps: pd.DataFrame, year: int, top_n: int) -> pd.DataFrame:
    """The `top_n` governorates where most IDPs lived in `year`: pcode, idps, share (of that year's total)."""
    if top_n < 1:
        raise DataError(f"top_n = {top_n}: ask for at least one governorate.")
    _need(idps, "idps_by_governorate", ("year", "pcode", "idps"))
    rows = _year(idps, year, "idps_by_governorate")
    top = rows.sort_values(["idps", "pcode"], ascending=[False, True]).head(top_n)[["pcode", "idps"]]
    top["share"] = (top["idps"] / rows["idps"].sum()).astype(float)
    return top.reset_index(drop=True)


def national_side_by_side(idps_national: pd.DataFrame, sources) -> pd.DataFrame:
    """The national IDP stock per year from each of `sources` (catalogue ids), one column each,
    and `gap` = first - second where both have a figure."""
    _need(idps_national, "idps_national", ("year", "idps", "source"))
    sources = list(sources)
    missing = sorted(set(sources) - set(idps_national["source"]))
    if missing:
        raise DataError(f"idps_national has no rows from {', '.join(missing)}.")
    wide = idps_national.pivot(index="year", columns="source", values="idps")[sources]
    wide.columns.name = None
    wide = wide.reset_index()
    if len(sources) == 2:
        wide["gap"] = wide[sources[0]] - wide[sources[1]]
    return wide


def abroad_and_inside(refugees: pd.DataFrame, idps_national: pd.DataFrame, abroad: str, inside: str) -> pd.DataFrame:
    """A column of UNHCR's current release per year from each table, side by side: year, refugees (the
    `abroad` column summed over host countries), idps (the `inside` column). Empty where a table has no number."""
    _need(refugees, "refugees", (abroad,))
    _need(idps_national, "idps_national", (inside,))
    out = pd.DataFrame({
        "refugees": release(refugees).groupby("year")[abroad].sum(min_count=1),
        "idps": idps_national[idps_national["source"] == CURRENT].set_index("year")[inside],
    })
    return out.rename_axis("year").reset_index().astype({"year": int})


def movements_by_year(movements: pd.DataFrame) -> pd.DataFrame:
    """IDP movements (flows) per calendar year: year, movements, months, blank_cells (governorate-months
    the sheet leaves blank, which add nothing, as in the sheet's own totals)."""
    _need(movements, "idp_movements", ("month", "pcode", "movements"))
    frame = movements.assign(year=pd.to_datetime(movements["month"]).dt.year)
    return frame.groupby("year").agg(
        movements=("movements", "sum"), months=("month", "nunique"),
        blank_cells=("movements", lambda s: int(s.isna().sum()))).reset_index()


def movements_by_month(movements: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Movements per month and governorate of arrival (long): month, pcode, governorate, movements."""
    _need(movements, "idp_movements", ("month", "pcode", "movements"))
    unknown = sorted(set(movements["pcode"]) - set(names))
    if unknown:
        raise DataError(f"idp_movements has P-codes the provinces layer lacks: {', '.join(unknown)}.")
    out = movements.assign(month=pd.to_datetime(movements["month"]), governorate=movements["pcode"].map(names))
    return out[["month", "pcode", "governorate", "movements"]].sort_values(["month", "pcode"], ignore_index=True)
