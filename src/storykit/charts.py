"""Charts in the house style, shown so that they survive export to a static page.

`show(fig, data, title=..., source=...)` displays one output holding both Plotly's JSON (JupyterLab
draws that) and HTML (nbconvert keeps that): a <figure> with the title, a div with the chart's JSON
that the page's assets/charts.js draws with the shared plotly.js, a text description for screen
readers computed from the plotted values, the source with its licence, notes, and a link to download
exactly `data` as CSV. Maps come from `choropleth(...)` and carry the boundary note.

Which plotly.js a page loads, and the other files of the site, are storykit.site.assets' business.
"""

import base64
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from . import catalogue
from .errors import StorykitError
from .facts import GENERATED_CLASS, Prose, md
from .notebook.contract import (CHART_CLASS, DATA_SUFFIX, DESCRIPTION_SUFFIX, META_KEY, PLOT_CLASS, PLOTLY_MIME,
                                 TITLE_SUFFIX, geometry_key, next_chart)
from .paths import processed_dir, slug

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies; blue first,
# yellow (weak on white) late.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
# The reader's own system fonts: no web font is ever requested.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
SEQUENTIAL = px.colors.sequential.Viridis[::-1]  # perceptually even and colour-blind safe; dark = more
TEXT, GRID, AXIS = "#1a1a1a", "#e3e3e3", "#595959"
CONFIG = {"responsive": True, "displaylogo": False,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
GEO_TYPES = {"choropleth", "scattergeo"}
BOUNDARY_NOTE = ("The boundaries and names shown do not imply official endorsement or acceptance by the "
                 "United Nations. Quneitra includes the Israeli-occupied Golan, as in the UN's layer.")

TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=14, color=TEXT),
        colorway=list(OKABE_ITO),
        colorscale=dict(sequential=SEQUENTIAL),
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=420,
        margin=dict(l=8, r=16, t=16, b=8),
        # Above the plot and horizontal: legends wrap instead of squeezing the plot on a phone, and
        # never cover the x-axis title (the chart's title is the page's heading, not Plotly's).
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom", title_text=""),
        hoverlabel=dict(font=dict(family=FONT, size=14)),
        xaxis=dict(automargin=True, showgrid=False, linecolor=AXIS, ticks="outside", tickcolor=AXIS,
                   title=dict(standoff=8)),
        yaxis=dict(automargin=True, gridcolor=GRID, zeroline=False, hoverformat=",", separatethousands=True,
                   title=dict(standoff=8)),
        coloraxis=dict(colorscale=SEQUENTIAL, colorbar=dict(thickness=12, outlinewidth=0, separatethousands=True)),
        geo=dict(visible=False, fitbounds="locations", projection=dict(type="mercator"), scope="world",
                 resolution=110, bgcolor="white"),
    )
)
pio.templates["storykit"] = TEMPLATE
pio.templates.default = "storykit"

def show(fig: go.Figure, data: pd.DataFrame, *, title: str | Prose, source: str | tuple[str, ...],
         notes: str | Prose | None = None, description: str | None = None) -> None:
    """Display a chart for both JupyterLab and the published page.

    `data` is what a reader downloads as CSV: pass exactly the rows and columns plotted.
    `source` is a catalogue id or a tuple of ids. `title` and `notes` are prose: any figure in them
    must be a fact (use storykit.facts.md(...)). `description` replaces the generated one.
    """
    from IPython.display import display

    bundle, metadata = chart_bundle(fig, data, title=title, source=source, notes=notes, description=description)
    display(bundle, metadata=metadata, raw=True)


def chart_bundle(fig: go.Figure, data: pd.DataFrame, *, title, source, notes=None, description=None):
    """The mimebundle and metadata `show` displays."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("show(fig, data, ...): data must be the DataFrame the chart plots, for the CSV download.")
    title_p, notes_p = _prose(title), _prose(notes) if notes is not None else None
    if not title_p.markdown.strip():
        raise StorykitError("Every chart needs a title.")
    ids = (source,) if isinstance(source, str) else tuple(source)
    is_map = any(t.type in GEO_TYPES for t in fig.data)
    boundary = tuple(getattr(fig, "_storykit_boundary", ()))
    if is_map and not boundary:
        raise StorykitError(f"The map {_plain(title_p)!r} has no boundary source: make it with "
                            "storykit.charts.choropleth(...).")
    used = list(dict.fromkeys(ids + boundary))
    for s in used:
        catalogue.get(s)  # an unknown id is refused here, naming the ones there are

    fig = go.Figure(fig)  # a copy: the house template is applied without touching the caller's figure
    fig.update_layout(template=TEMPLATE)
    figure_json = json.loads(fig.to_json())
    n = next_chart()
    dom_id = f"sk-{slug(_plain(title_p))[:40] or 'chart'}-{n}"
    text = description or describe(fig)
    # The page shares map shapes through one cached asset per geometry; JupyterLab keeps them inline.
    page_json = json.loads(json.dumps(figure_json))
    geometries = []
    for trace in page_json["data"]:
        if isinstance(trace.get("geojson"), dict):
            trace["geojson"] = geometry_key(trace["geojson"])
            geometries.append(trace["geojson"])
    geometries = list(dict.fromkeys(geometries))
    html = _figure_html(_Figure(dom_id, title_p, notes_p, text, [catalogue.get(s) for s in ids], is_map, data),
                        page_json)
    facts = list(title_p.facts) + (list(notes_p.facts) if notes_p else [])
    metadata = {META_KEY: {"kind": "chart", "title": _plain(title_p), "sources": used, "facts": facts,
                             "geometries": geometries}}
    bundle = {
        PLOTLY_MIME: {**figure_json, "config": CONFIG},
        "text/html": html,
        "text/plain": f"<chart: {_plain(title_p)}>",
    }
    return bundle, metadata


def _prose(value) -> Prose:
    if isinstance(value, Prose):
        return value
    if isinstance(value, str):
        return md("{text}", text=value)  # plain text, escaped: it may hold names from the data
    raise TypeError(f"Expected text or storykit.facts.md(...), got {type(value).__name__}.")


def _plain(p: Prose) -> str:
    text = re.sub(r"<[^>]+>", "", p.markdown)
    return re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _inline_markdown(p: Prose) -> str:
    """Title and notes are short: render inline Markdown (emphasis, links) without wrapping paragraphs."""
    from markdown_it import MarkdownIt  # installed with rich

    return MarkdownIt("commonmark").renderInline(p.markdown)


@dataclass(frozen=True)
class _Figure:
    """What a chart's HTML says around its plot."""

    dom_id: str
    title: Prose
    notes: Prose | None
    description: str
    sources: list  # the chart's own (catalogue.Source), for its source line
    is_map: bool
    data: pd.DataFrame  # its CSV download

    @property
    def name(self) -> str:
        return slug(_plain(self.title)) or "data"


def _figure_html(f: _Figure, figure_json: dict) -> str:
    dom_id, data = f.dom_id, f.data
    spec = json.dumps({**figure_json, "config": CONFIG}, separators=(",", ":"), ensure_ascii=False)
    spec = spec.replace("<", "\\u003c")  # nothing inside can close the script element
    # The index is data too, unless it is the default 0..n-1 without a name.
    plain_index = not any(data.index.names) and data.index.equals(pd.RangeIndex(len(data)))
    csv = data.to_csv(index=not plain_index)
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv.encode("utf-8")).decode("ascii")
    source_line = "; ".join(f"{escape(s.publisher)}, {escape(s.title)} (licence: {escape(s.licence)})"
                            for s in f.sources)
    parts = [
        f'<figure class="{CHART_CLASS}" aria-labelledby="{dom_id}{TITLE_SUFFIX}" '
        f'aria-describedby="{dom_id}{DESCRIPTION_SUFFIX}">',
        f'<h2 class="sk-chart-title" id="{dom_id}{TITLE_SUFFIX}">{_inline_markdown(f.title)}</h2>',
        # No role="img": Plotly puts focusable controls inside the div. The page's charts.js draws it.
        f'<div class="{PLOT_CLASS}" id="{dom_id}"></div>',
        f'<p class="sk-description visually-hidden {GENERATED_CLASS}" id="{dom_id}{DESCRIPTION_SUFFIX}">'
        f'{escape(f.description)}</p>',
        f'<script type="application/json" id="{dom_id}{DATA_SUFFIX}">{spec}</script>',
        "<figcaption>",
        f'<p class="sk-notes">{_inline_markdown(f.notes)}</p>' if f.notes else "",
        f'<p class="sk-source {GENERATED_CLASS}">Source: {source_line}.</p>',
        f'<p class="sk-boundary {GENERATED_CLASS}">{escape(BOUNDARY_NOTE)}</p>' if f.is_map else "",
        f'<p class="sk-download {GENERATED_CLASS}"><a download="{escape(f.name)}.csv" href="{href}">'
        f"Download the data of this chart (CSV, {len(data):,} rows)</a></p>",
        "</figcaption></figure>",
    ]
    return "\n".join(p for p in parts if p)


# --- maps ---------------------------------------------------------------------------------------


def choropleth(data: pd.DataFrame, *, color: str, locations: str = "pcode", label: str | None = None,
               geojson: dict | str | None = None, boundary_source: str | tuple[str, ...] | None = None,
               animation_frame: str | None = None, range_color: tuple[float, float] | None = None) -> go.Figure:
    """A map of governorates coloured by `color`, one row of `data` per P-code (per frame).

    The shapes default to the processed provinces layer; English and Arabic names show on hover.
    With `animation_frame` (e.g. "year") the map gets a slider and one colour scale for all frames.
    """
    import geopandas as gpd

    path = None
    if geojson is None:
        path = processed_dir() / "provinces.geojson"
        if not path.is_file():
            raise StorykitError(f"{path} is missing: run `storykit process` first.")
        geojson = json.loads(path.read_text(encoding="utf-8"))
    elif isinstance(geojson, str):
        geojson = json.loads(open(geojson, encoding="utf-8").read())
    boundary = ((boundary_source,) if isinstance(boundary_source, str) else tuple(boundary_source or ())) \
        or _provinces_sources()
    for s in boundary:
        catalogue.get(s)

    shapes = gpd.GeoDataFrame.from_features(geojson["features"])
    missing = [c for c in ("pcode", "name_en", "name_ar") if c not in shapes.columns]
    if missing:
        raise StorykitError(f"The map layer {path or 'given'} has no property {', '.join(missing)}.")
    unknown = sorted(set(data[locations].astype(str)) - set(shapes["pcode"]))
    if unknown:
        raise StorykitError(f"Map data column {locations!r} has codes the map layer lacks: {', '.join(unknown)}.")
    # Plotly's geo maps fill the outside of counter-clockwise rings: make exteriors clockwise.
    import shapely

    shapes["geometry"] = shapely.orient_polygons(shapes.geometry.values, exterior_cw=True)
    gj = json.loads(shapes[["pcode", "geometry"]].to_json(drop_id=True))

    names = shapes.set_index("pcode")[["name_en", "name_ar"]]
    frame = data.join(names, on=locations) if "name_en" not in data else data
    if animation_frame and range_color is None:
        values = pd.to_numeric(frame[color], errors="coerce")
        range_color = (min(0.0, float(values.min())), float(values.max()))
    label = label or color
    fig = px.choropleth(frame, geojson=gj, locations=locations, featureidkey="properties.pcode", color=color,
                        animation_frame=animation_frame, range_color=range_color,
                        custom_data=["name_en", "name_ar"], labels={color: label},
                        color_continuous_scale=SEQUENTIAL)
    hover = f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>{escape(label)}: %{{z:,}}<extra></extra>"
    fig.update_traces(hovertemplate=hover, marker_line_color="white", marker_line_width=0.8)
    for fr in fig.frames:
        for tr in fr.data:
            tr.hovertemplate = hover
            tr.geojson = None  # the shapes stay on the base trace; frames carry only the values
    if animation_frame and fig.layout.sliders:
        fig.layout.sliders[0].currentvalue.prefix = f"{animation_frame.replace('_', ' ').capitalize()}: "
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(margin=dict(l=0, r=0, t=8, b=8), coloraxis_colorbar=dict(title=dict(text=label)))
    fig._storykit_boundary = boundary
    return fig


def _provinces_sources() -> tuple[str, ...]:
    from . import data  # records only the provinces' entry as this page's input, not the whole package

    return data.sources("provinces")


# --- text descriptions --------------------------------------------------------------------------

KIND = {"scatter": "line", "scattergl": "line", "bar": "bar", "histogram": "histogram", "choropleth": "map",
        "pie": "pie", "heatmap": "heat map", "area": "area"}
MAX_SERIES = 8


def describe(fig: go.Figure) -> str:
    """Sentences for screen readers from the values the figure plots: extent, lowest, highest, latest."""
    traces = [t for t in fig.data if t.visible is not False]
    if not traces:
        return "An empty chart."
    sentences = [_describe_trace(t, len(traces)) for t in traces[:MAX_SERIES]]
    if len(traces) > MAX_SERIES:
        sentences.append(f"And {len(traces) - MAX_SERIES} more series; the CSV holds them all.")
    if fig.frames:
        names = [fr.name for fr in fig.frames]
        sentences.append(f"A slider shows {len(names)} frames, from {names[0]} to {names[-1]}; "
                         f"the map above shows {names[0]}.")
    return " ".join(sentences)


def _describe_trace(t, count: int) -> str:
    kind = KIND.get(t.type, t.type)
    if t.type == "scatter" and t.mode and "lines" not in t.mode:
        kind = "dot"
    name = f" {t.name}" if t.name and count > 1 else ""
    if t.type == "choropleth":
        places = _values(t.customdata)[:, 0] if t.customdata is not None else _values(t.locations)
        return _extremes(f"Map{name}", places, _values(t.z), "places", latest=False)
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
    return _extremes(f"{kind.capitalize()} chart{name}", x, y, "values", latest=True)


def _extremes(head: str, labels, values, noun: str, latest: bool) -> str:
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    labels = pd.Series(labels)
    ok = v.notna()
    if not ok.any():
        return f"{head}: no values."
    lo, hi = v[ok].idxmin(), v[ok].idxmax()
    text = (f"{head}: {int(ok.sum()):,} {noun}"
            + (f" from {_label(labels.iloc[0])} to {_label(labels.iloc[-1])}" if latest else "")
            + f". Lowest {_number(v[lo])} ({_label(labels[lo])}); highest {_number(v[hi])} ({_label(labels[hi])})")
    if latest:
        last = v[ok].index[-1]
        text += f"; latest {_number(v[last])} ({_label(labels[last])})"
    return text + "."


def _values(seq):
    if seq is None:
        return None
    return seq if isinstance(seq, np.ndarray) else np.asarray(seq, dtype=object)


def _number(v) -> str:
    v = float(v)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}" if abs(v) >= 1 else f"{v:.2g}"


def _label(v) -> str:
    if isinstance(v, (pd.Timestamp, datetime, np.datetime64)):
        ts = pd.Timestamp(v)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return str(int(v))
    return str(v)
