"""What a chart says in words: hover text, the description for screen readers, the table of its data.

Numbers as readers write them (thousands separators; whole people, never fractions of one) and dates
in plain English to the period of the series: "1 October 2016", "October 2016", "2016".
"""

import re
from datetime import date, datetime
from html import escape

import numpy as np
import pandas as pd

LABELS = "storykit-labels"  # the `meta` of a map's names and outline: drawn on the map, never data
# Counts of whole people (and of whole movements): shown without fractions, whatever the estimate holds.
PEOPLE = re.compile(r"people|person|refugee|idp|displac|death|victim|fatalit|killed|applica|movement|arrival", re.I)
TABLE_ROWS = 400  # a longer table weighs down the page: the CSV has the rest
D3 = {"year": "%Y", "month": "%B %Y", "day": "%-d %B %Y"}
BREAK = re.compile(r"\s*<br\s*/?>\s*", re.I)  # Plotly's line break in a label
_PX_IMSHOW = re.compile(r"(?:[^%<]*: %\{[xyz]\}(?:<br>)?)+<extra></extra>")  # px.imshow's default hover


def is_data(trace) -> bool:
    """False for the traces a map draws to name places: not data, not described, not in the CSV."""
    return getattr(trace, "meta", None) != LABELS


# --- hover text -----------------------------------------------------------------------------------


def hover(fig):
    """Hover text for readers, on every trace without one of its own (Plotly Express's defaults, the
    `name=%{...}` kind, are not its own): the series in bold when there are several, the x value as a
    reader says it (months as months), the value with thousands separators and its unit."""
    traces = [t for t in fig.data if is_data(t) and hasattr(t, "hovertemplate")]
    several = len(traces) > 1 or bool(fig.layout.showlegend)
    for t in traces:
        ht = t.hovertemplate
        if (not ht or "=%{" in ht or _PX_IMSHOW.fullmatch(ht)) and (text := _hover_text(fig, t, several)):
            t.hovertemplate = text
    return fig


def _hover_text(fig, t, several: bool) -> str | None:
    head = f"<b>{escape(t.name)}</b><br>" if several and t.name else ""
    if t.type == "pie":
        return "<b>%{label}</b><br>%{value:,.0f} (%{percent})<extra></extra>"
    if t.type not in ("bar", "scatter", "heatmap"):
        return None
    key, value, unit = _unit(fig, t)
    where = f"%{{y}} · {_hover_key(t.x, 'x')}" if t.type == "heatmap" else _hover_key(getattr(t, key), key)
    fmt = value_format(getattr(t, value), unit or t.name or "")
    amount = f"{escape(unit)}: %{{{value}:{fmt}}}" if unit else f"%{{{value}:{fmt}}}"
    return f"{head}{where}<br>{amount}<extra></extra>"


def _unit(fig, t) -> tuple[str, str, str | None]:
    """The trace's key and value attributes ("x", "y"; swapped for horizontal bars; "z" for heat maps)
    and the value's unit: its axis title, or its colour bar's."""
    if t.type == "heatmap":
        bar = fig.layout.coloraxis.colorbar if t.coloraxis else t.colorbar
        return "x", "z", bar.title.text
    key, value = ("y", "x") if t.type == "bar" and t.orientation == "h" else ("x", "y")
    axis = fig.layout[f"{value}axis{(getattr(t, value + 'axis', None) or value)[1:]}"]
    return key, value, axis.title.text


def _hover_key(values, key: str) -> str:
    if (dates := as_dates(values)) is not None:
        return f"%{{{key}|{D3[period(dates)]}}}"
    v = _numbers(values)
    years = len(v) and v.notna().all() and v.between(1000, 2999).all() and (v % 1 == 0).all()
    return f"%{{{key}:d}}" if years else f"%{{{key}}}"  # years plain (2016, never 2,016); categories as they are


def value_format(values, what: str) -> str:
    """The d3 format of plotted values: no decimals for whole numbers and counts of people (`what` names
    them), whose estimates may carry fractions; otherwise one decimal, or two for small values."""
    v = _numbers(values).dropna()
    if PEOPLE.search(what or "") or (v % 1 == 0).all():
        return ",.0f"
    return ".2~f" if v.abs().max() < 10 else ",.1f"


def _numbers(values) -> pd.Series:
    if values is None or isinstance(values, str):
        return pd.Series(dtype=float)
    return pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce")


# --- dates as readers write them ------------------------------------------------------------------


def as_dates(values) -> pd.Series | None:
    """`values` as timestamps if they are dates (datetimes or ISO text), else None."""
    if values is None or isinstance(values, str) or not len(values):
        return None
    s = pd.Series(values if isinstance(values, (np.ndarray, pd.Series)) else list(values))
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("datetime64", "datetime", "date") or (
            kind == "string" and s.dropna().str.fullmatch(r"\d{4}-\d\d-\d\d(?:[ T][\d:.]+)?").all()):
        return pd.Series(pd.to_datetime(s, errors="coerce"))
    return None


def period(dates: pd.Series) -> str:
    """"year" if every date is 1 January, "month" if every one is the first of a month, else "day"."""
    d = dates.dropna()
    if (d != d.dt.normalize()).any() or (d.dt.day != 1).any():
        return "day"
    return "year" if (d.dt.month == 1).all() else "month"


def date_text(value, of: str = "day") -> str:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return "–"
    return str(ts.year) if of == "year" else f"{ts:%B %Y}" if of == "month" else f"{ts.day} {ts:%B %Y}"


def readable(values):
    """Values to name in text: dates in plain English, to the period of the series; others as they are."""
    dates = as_dates(values)
    if dates is None:
        return values
    of = period(dates)
    return [date_text(d, of) for d in dates]


# --- descriptions for screen readers ----------------------------------------------------------------

KIND = {"scatter": "line", "scattergl": "line", "bar": "bar", "histogram": "histogram", "choropleth": "map",
        "pie": "pie", "heatmap": "heat map", "area": "area"}
MAX_SERIES = 8


def describe(fig) -> str:
    """Sentences for screen readers from the values the figure plots: extent, lowest, highest, latest."""
    traces = [t for t in fig.data if t.visible is not False and is_data(t)]
    if not traces:
        return "An empty chart."
    sentences = [_describe_trace(t, len(traces), _counts_people(fig, t)) for t in traces[:MAX_SERIES]]
    if len(traces) > MAX_SERIES:
        sentences.append(f"And {len(traces) - MAX_SERIES} more series; the CSV holds them all.")
    if fig.frames:
        names = [fr.name for fr in fig.frames]
        shown = names[fig.layout.sliders[0].active or 0] if fig.layout.sliders else names[0]
        sentences.append(f"A slider shows {len(names)} frames, from {names[0]} to {names[-1]}; "
                         f"the map above shows {shown}.")
    return " ".join(sentences)


def _counts_people(fig, t) -> bool:
    """Whether the trace counts people (by its unit or name): then it is described in whole numbers."""
    unit = _unit(fig, t)[2] if t.type in ("bar", "scatter", "heatmap") else \
        fig.layout.coloraxis.colorbar.title.text if t.type == "choropleth" else None
    return bool(PEOPLE.search(f"{unit or ''} {t.name or ''}"))


def _describe_trace(t, count: int, whole: bool) -> str:
    kind = KIND.get(t.type, t.type)
    if t.type == "scatter" and t.mode and "lines" not in t.mode:
        kind = "dot"
    if t.type == "scatter" and (t.stackgroup or t.fill not in (None, "none")):
        kind = "area"
    name = f" {t.name}" if t.name and count > 1 else ""
    if t.type == "choropleth":
        places = _values(t.customdata)[:, 0] if t.customdata is not None else _values(t.locations)
        return _extremes(f"Map{name}", places, _values(t.z), "places", latest=False, whole=whole)
    if t.type == "pie":
        return _extremes(f"Pie chart{name}", _values(t.labels), _values(t.values), "slices", latest=False)
    if not hasattr(t, "y"):
        return f"A {kind} chart{name}; the CSV holds its values."
    x, y = _values(t.x), _values(t.y)
    if getattr(t, "orientation", None) == "h":
        x, y = y, x
    if y is None or not len(y):
        return f"A {kind} chart{name} with no values."
    if x is None:
        x = np.arange(len(y))
    return _extremes(f"{kind.capitalize()} chart{name}", readable(x), y, "values", latest=True, whole=whole)


def _extremes(head: str, labels, values, noun: str, latest: bool, whole: bool = False) -> str:
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    fmt = (lambda x: f"{float(x):,.0f}") if whole else number  # whole people, never a fraction of one
    labels = pd.Series(labels)
    ok = v.notna()
    if not ok.any():
        return f"{head}: no values."
    lo, hi = v[ok].idxmin(), v[ok].idxmax()
    text = (f"{head}: {int(ok.sum()):,} {noun}"
            + (f" from {_label(labels.iloc[0])} to {_label(labels.iloc[-1])}" if latest else "")
            + f". Lowest {fmt(v[lo])} ({_label(labels[lo])}); highest {fmt(v[hi])} ({_label(labels[hi])})")
    if latest:
        last = v[ok].index[-1]
        text += f"; latest {fmt(v[last])} ({_label(labels[last])})"
    return text + "."


def _values(seq):
    if seq is None:
        return None
    return seq if isinstance(seq, np.ndarray) else np.asarray(seq, dtype=object)


def number(v) -> str:
    v = float(v)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}" if abs(v) >= 1 else f"{v:.2g}"


def _label(v) -> str:
    if isinstance(v, (pd.Timestamp, datetime, np.datetime64, date)):
        return date_text(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return BREAK.sub(" ", str(v))  # a label wrapped for the axis ("Un-allowed to<br>seek...") is read as one line


# --- the table view -------------------------------------------------------------------------------


TABLE_WORDS = {"table": "Table", "first": "The first {shown} of {rows} rows; the CSV has them all."}


def table(data: pd.DataFrame, caption: str, css_class: str, phrases: dict | None = None) -> str:
    """`data` as an HTML table (as OWID's Table tab), folded in a <details>, for screen readers and readers
    who want the numbers. The columns that say what a row is (text, dates, years) are row headers, so a
    screen reader names the row with each number; numbers are the cells, which the style aligns right.
    `phrases` gives its words in another language (storykit.charts.arabic.PHRASES)."""
    words = TABLE_WORDS | (phrases or {})
    rows = data.head(TABLE_ROWS)
    columns = [_column(rows[c], str(c)) for c in rows.columns]
    head = "".join(f'<th scope="col">{escape(heading(c))}</th>' for c in rows.columns)
    body = "".join("<tr>" + "".join(f'<th scope="row">{cells[i]}</th>' if label else f"<td>{cells[i]}</td>"
                                    for label, cells in columns) + "</tr>" for i in range(len(rows)))
    more = (f"<p>{escape(words['first'].format(shown=f'{TABLE_ROWS:,}', rows=f'{len(data):,}'))}</p>"
            if len(data) > TABLE_ROWS else "")
    return (f'<details class="{css_class}"><summary>{escape(words["table"])}</summary><table class="sk-data">'
            f"<caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{more}</details>")


def heading(column) -> str:
    """A column's name as a heading: "deaths_best" → "Deaths (best estimate)", "idps" → "IDPs"."""
    text = {"pcode": "P-code", "name_en": "Name", "name_ar": "Name in Arabic"}.get(str(column), str(column))
    text = re.sub(r"_(best|low|high)$", r" (\1 estimate)", text).replace("_", " ")
    return re.sub(r"\bidps\b", "IDPs", text[:1].upper() + text[1:], flags=re.I)


def _column(s: pd.Series, name: str) -> tuple[bool, list[str]]:
    """Whether the column labels its rows, and its cells as text."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if "year" in name.lower():
            return True, ["–" if pd.isna(v) else str(int(v)) for v in s]
        whole = PEOPLE.search(name) or (s.dropna() % 1 == 0).all()
        return False, ["–" if pd.isna(v) else f"{v:,.0f}" if whole else number(v) for v in s]
    if (dates := as_dates(s.to_numpy())) is not None:
        of = period(dates)
        return True, [date_text(d, of) for d in dates]
    return True, ["–" if _missing(v) else escape(str(v)) for v in s]


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # a list or other non-scalar
        return False
