"""A chart in Arabic: its strings translated, its table and CSV in Arabic, laid out for right-to-left
reading where it matters, and described for screen readers in Arabic.

A notebook gives `words` (English -> Arabic) for the strings its charts show; governorate names
(the gazetteer's), dates, numbers and acronyms translate themselves (storykit.facts.in_arabic). A key
may hold "{}" for one number ("Average: {} a day"). What cannot be translated is named, and the
chart's Arabic is refused: a half-English chart never reaches the Arabic page.

Categorical bars read from the right (the first category at the right, the value axis on the right);
where time runs on the axis the chart stays left to right, as Arabic news charts draw it.
"""

import base64
import copy
import re

import numpy as np

import pandas as pd
import plotly.graph_objects as go

from .. import arabic
from ..facts import NoArabic, in_arabic
from .maps import NAMES
from .words import LABELS, as_dates, is_data, period

# The strings a reader sees, by the key that holds them in a figure's JSON (trace or layout, at any depth).
SHOWN = {"name", "text", "hovertemplate", "texttemplate", "hovertext", "x", "y", "labels", "customdata",
         "ticktext", "label", "prefix", "title"}
NOT_SHOWN = {"template", "geojson", "meta", "locations", "ids", "uid", "legendgroup", "featureidkey"}
COLUMNS = {"pcode": "الرمز (P-code)", "name_en": "الاسم", "name_ar": "الاسم", "year": "السنة", "date": "التاريخ",
           "month": "الشهر", "week": "الأسبوع", "period": "الفترة", "events": "الأحداث"}
PARTS = re.compile(r"(%\{[^}]*\}|<[^>]+>|&[a-z]+;)")
EDGES = re.compile(r"^([\s:;,.·()\-–—]*)(.*?)([\s:;,.·()\-–—]*)$", re.S)
NUMBER = r"[-+]?\d[\d,.]*%?"
PHRASES = {"source": "المصدر", "download": "نزّل بيانات هذا المخطط (CSV، {rows} صفاً)", "table": "جدول",
           "image": "نزّل المخطط بصيغة {x}", "first": "أول {shown} صف من {rows}؛ ملف CSV يضمها كلها.",
           "boundary": "لا تعني الحدود والأسماء الظاهرة أن الأمم المتحدة تقرّها أو تقبلها رسمياً. تشمل القنيطرة "
                       "الجولان الذي تحتله إسرائيل، كما في طبقة الأمم المتحدة.",
           "licence": "الترخيص", "no licence": "بلا ترخيص مفتوح", "site": arabic.SITE_NAME}
KIND = {"bar": "مخطط أعمدة", "scatter": "مخطط خطي", "choropleth": "خريطة", "pie": "مخطط دائري",
        "heatmap": "خريطة حرارية"}


class Translator:
    """Translates strings with a notebook's `words`, collecting those it cannot."""

    def __init__(self, words: dict | None):
        self.words = dict(words or {})
        self.patterns = [(re.compile(re.escape(k).replace(r"\{\}", f"({NUMBER})") + "$"), v)
                         for k, v in self.words.items() if "{}" in k]
        self.missing: list[str] = []

    def __call__(self, text):
        if not isinstance(text, str) or not arabic.LATIN.search(text):
            return text
        if (done := self._whole(text)) is not None:
            return done
        parts = PARTS.split(text)  # markup and %{...} stay as they are; the words between are translated
        out = []
        for i, part in enumerate(parts):
            if i % 2 or not arabic.LATIN.search(part):
                out.append(part)
                continue
            lead, core, tail = EDGES.match(part).groups()
            if (done := self._whole(core)) is None:
                self.missing.append(text)
                return text
            out.append(lead + done + tail)
        return "".join(out)

    def _whole(self, text: str) -> str | None:
        try:
            return in_arabic(text, self.words)
        except NoArabic:
            pass
        for pattern, ar in self.patterns:
            if m := pattern.match(text):
                for number in m.groups():
                    ar = ar.replace("{}", number, 1)
                return ar
        return None

    def problem(self) -> str:
        shown = list(dict.fromkeys(self.missing))
        if not shown:
            return ""
        return ("it shows text with no Arabic: " + "; ".join(f"\u201c{s}\u201d" for s in shown[:8])
                + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
                + "; add each to the words=... of show()")


def _walk(node, tr: Translator, key: str = ""):
    if isinstance(node, dict) and "bdata" in node:  # plotly's typed array: numbers, never words
        values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
        return values.reshape([int(n) for n in str(node["shape"]).split(",")]) if "shape" in node else values
    if isinstance(node, dict):
        return {k: v if k in NOT_SHOWN else _walk(v, tr, k) for k, v in node.items()}
    if isinstance(node, (list, tuple)) or (isinstance(node, np.ndarray) and node.dtype.kind in "OUS"):
        return [_walk(v, tr, key) for v in node]
    if isinstance(node, str) and key in SHOWN:
        if key == "hovertemplate" and "=%{" in node:
            return ""  # Plotly Express's own, in column names: storykit's hover text replaces it
        if key == "hovertemplate":
            node = node.replace(NAMES, "<b>%{customdata[1]}</b>")  # a place by its Arabic name alone
        return tr(node)
    return node


def figure(raw: go.Figure, housed: go.Figure, tr: Translator) -> go.Figure:
    """`raw` (the notebook's figure) with its strings in Arabic, wearing the colours the house gave the
    English (`housed`): one colour per thing in both editions."""
    spec = raw.to_dict()
    # A map's names and outline (words.LABELS): their trace names are storykit's own, never shown; their text is.
    names = [t.pop("name", None) if t.get("meta") == LABELS else None for t in spec.get("data", [])]
    spec = _walk(spec, tr)
    for trace, name in zip(spec.get("data", []), names):
        if name is not None:
            trace["name"] = name
    fig = go.Figure(spec)
    for ar, en in zip(fig.data, housed.data):
        for part in ("marker", "line"):
            colour = getattr(getattr(en, part, None), "color", None)
            if colour is not None and hasattr(ar, part):
                setattr(getattr(ar, part), "color", copy.deepcopy(colour))
    return fig


def right_to_left(fig: go.Figure) -> go.Figure:
    """Categorical bars and legends read from the right; time axes stay left to right."""
    bars = [t for t in fig.data if t.type == "bar" and is_data(t)]
    across = [t for t in bars if t.orientation != "h" and _categorical(t.x)]
    up = [t for t in bars if t.orientation == "h" and _categorical(t.y)]
    if across or up:  # the first category at the right; the bars' values along an axis on the right
        fig.update_xaxes(autorange="reversed")
        fig.update_yaxes(side="right")
    if fig.layout.legend.orientation in ("h", None):
        fig.update_layout(legend=dict(x=1, xanchor="right"))
    fig.update_layout(font_family=arabic.FONT, hoverlabel_font_family=arabic.FONT)
    # Values in full, grouped ("60,000"), never with plotly.js's Latin SI suffix ("60k"); a chart's own format stays.
    value_axis = fig.update_xaxes if up else fig.update_yaxes
    value_axis(selector=lambda axis: not axis.tickformat and axis.type not in ("date", "category"), tickformat=",~f")
    fig.update_coloraxes(selector=lambda c: not c.colorbar.tickformat, colorbar_tickformat=",~f")  # a map's scale
    return fig


def _categorical(values) -> bool:
    if values is None or not len(values):
        return False
    if as_dates(values) is not None:
        return False
    return pd.to_numeric(pd.Series(list(values)), errors="coerce").isna().all()


def table(data: pd.DataFrame, tr: Translator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chart's data for Arabic readers: (its table, with dates as Arabic writes them; its CSV, with
    dates left as ISO dates for software). Headings and text cells in Arabic."""
    data = data.drop(columns=["name_en"]) if {"name_en", "name_ar"} <= set(data.columns) else data
    csv = data.copy()
    csv.columns = [_heading(c, tr) for c in data.columns]
    for c in csv.columns:
        if csv[c].dtype == object or pd.api.types.is_string_dtype(csv[c]):
            csv[c] = csv[c].map(tr)
    shown = csv.copy()
    for c, english in zip(shown.columns, data.columns):
        if "year" in str(english).lower() and pd.api.types.is_numeric_dtype(shown[c]):  # 2016, never 2,016
            shown[c] = ["–" if pd.isna(v) else str(int(v)) for v in shown[c]]
        elif (dates := as_dates(shown[c].to_numpy())) is not None:
            of = period(dates)
            shown[c] = [("–" if pd.isna(d) else arabic.date_text(d.to_pydatetime(), of)) for d in dates]
    return shown, csv


def _heading(column, tr: Translator) -> str:
    name = str(column)
    if name in tr.words:
        return tr.words[name]
    if name in COLUMNS:
        return COLUMNS[name]
    return tr(name)


def describe(fig: go.Figure) -> str:
    """Sentences in Arabic for screen readers, from the values plotted: extent, lowest, highest, latest."""
    traces = [t for t in fig.data if t.visible is not False and is_data(t)]
    if not traces:
        return "مخطط فارغ."
    return " ".join(_describe(t, len(traces)) for t in traces[:8])


def _describe(t, count: int) -> str:
    kind = KIND.get(t.type, "مخطط")
    head = f"{kind} «{t.name}»" if t.name and count > 1 else kind
    if t.type == "choropleth":
        labels = [row[0] for row in t.customdata] if t.customdata is not None else list(t.locations or [])
        values, latest = list(t.z if t.z is not None else []), False
    elif t.type == "pie":
        labels, values, latest = list(t.labels or []), list(t.values or []), False
    elif t.type == "heatmap":  # each cell, named by its row and column
        values, latest = list(np.asarray(t.z, dtype=float).ravel()), False
        labels = [f"{y} · {x}" for y in _readable(t.y) for x in _readable(t.x)]
    else:
        x, y = (t.y, t.x) if getattr(t, "orientation", None) == "h" else (t.x, t.y)
        values, latest = list(y if y is not None else []), True
        labels = list(x) if x is not None else list(range(len(values)))
    labels = _readable(labels)
    v = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    if not v.notna().any():
        return f"{head}: بلا قيم."
    labels = pd.Series([str(x) for x in labels] + [""] * max(0, len(v) - len(labels)))
    lo, hi = v.idxmin(), v.idxmax()
    text = f"{head}: {_values(int(v.notna().sum()))}"
    if latest:
        text += f" من {labels.iloc[0]} إلى {labels.iloc[len(v) - 1]}"
    text += f". أدنى قيمة {_number(v[lo])} ({labels[lo]})، وأعلى قيمة {_number(v[hi])} ({labels[hi]})"
    if latest:
        last = v.last_valid_index()
        text += f"، وآخر قيمة {_number(v[last])} ({labels[last]})"
    return text + "."


def _readable(values) -> list:
    values = list(values) if values is not None else []
    dates = as_dates(values)
    return values if dates is None else [arabic.date_text(d.to_pydatetime(), period(dates)) for d in dates]


def _values(n: int) -> str:
    """"N values" as Arabic counts them: the noun's number follows the count's."""
    if n in (1, 2):
        return "قيمة واحدة" if n == 1 else "قيمتان"
    return f"{n:,} قيم" if 3 <= n % 100 <= 10 else f"{n:,} قيمة"


def _number(value) -> str:
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.1f}"
