"""Charts in the house style, shown so that they survive export to a static page.

`show(fig, data, title=..., source=...)` displays one output holding both Plotly's JSON (JupyterLab
draws that) and HTML (nbconvert keeps that): a <figure> with the title and subtitle, a div with the
chart's JSON that the page's assets/charts.js draws with the shared plotly.js, a text description
for screen readers computed from the plotted values, a table of `data`, the source, notes, a link
to download exactly `data` as CSV and buttons that save the chart as PNG or SVG with its title and
credit. Every chart gets the house (`house`: chrome, colours, legend order, hover text), whatever
the notebook did. Maps come from `choropleth(...)` and carry the boundary note.

JupyterLab draws the Plotly JSON alone: `show` puts what the page says around it in outputs only the
notebook shows, and names a number in a title or notes that the build would refuse
(storykit.notebook.view); a map's copy of the config there draws it without the network.

Which plotly.js a page loads, and the other files of the site, are storykit.site.assets' business.
"""

import base64
import json
import re
from dataclasses import dataclass
from html import escape, unescape
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go

from .. import catalogue
from ..errors import StorykitError
from ..facts import Prose, md
from ..notebook import view
from ..notebook.contract import (CHART_CLASS, DATA_SUFFIX, DESCRIPTION_SUFFIX, GENERATED_CLASS, META_KEY, PLOT_CLASS,
                                 PLOTLY_MIME, SITE_NAME, TITLE_SUFFIX, geometry_key, next_chart)
from ..paths import slug
from .house import (COLOURS, CONFIG, DIVERGING, FONT, GEO_TYPES, GREY, OKABE_ITO, SEQUENTIAL, TEMPLATE,
                    colour, house, legend_order)
from .maps import choropleth
from .words import LABELS, describe, hover, table

__all__ = ["BOUNDARY_NOTE", "COLOURS", "CONFIG", "DIVERGING", "FONT", "GREY", "LABELS", "OKABE_ITO", "SEQUENTIAL",
           "SITE_NAME", "TEMPLATE", "chart_bundle", "choropleth", "colour", "credit", "describe", "hover", "house",
           "legend_order", "show", "table"]
BOUNDARY_NOTE = ("The boundaries and names shown do not imply official endorsement or acceptance by the "
                 "United Nations. Quneitra includes the Israeli-occupied Golan, as in the UN's layer.")


def show(fig: go.Figure, data: pd.DataFrame, *, title: str | Prose, source: str | tuple[str, ...],
         subtitle: str | Prose | None = None, notes: str | Prose | None = None, description: str | None = None) -> None:
    """Display a chart for both JupyterLab and the published page.

    `data` is what a reader downloads as CSV and reads as a table: pass exactly the rows and columns
    plotted. `source` is a catalogue id or a tuple of ids. `title` (what the chart shows), `subtitle`
    (its unit and period) and `notes` are prose: any figure in them must be a fact (use
    storykit.facts.md(...)). `description` replaces the generated one.

    In the notebook the live figure has, above and below it, what the page says with it: its title and
    subtitle; its table, notes, source and a working CSV link (storykit.notebook.view).
    """
    from IPython.display import display

    chart = _chart(fig, data, title=title, source=source, subtitle=subtitle, notes=notes, description=description)
    above, below = view.chart_view(chart.caption, chart.facts)
    view.display_view(above)
    display(chart.bundle, metadata=chart.metadata, raw=True)
    view.display_view(below)
    view.warn(view.refusal(chart.prose, chart.facts, "This chart's title, subtitle or notes",
                           html=chart.bundle["text/html"], generated_ok=True))
    view.watch_markdown()


def chart_bundle(fig: go.Figure, data: pd.DataFrame, *, title, source, subtitle=None, notes=None, description=None):
    """The mimebundle and metadata `show` displays."""
    chart = _chart(fig, data, title=title, source=source, subtitle=subtitle, notes=notes, description=description)
    return chart.bundle, chart.metadata


class _Chart(NamedTuple):
    bundle: dict
    metadata: dict
    caption: dict  # what the chart says around its plot (`_caption`), for the notebook's view too
    facts: list  # the records of the figures in its title, subtitle and notes
    prose: str  # their Markdown, as written


def _chart(fig: go.Figure, data: pd.DataFrame, *, title, source, subtitle=None, notes=None, description=None):
    if not isinstance(data, pd.DataFrame):
        raise TypeError("show(fig, data, ...): data must be the DataFrame the chart plots, for the CSV download.")
    title_p, subtitle_p, notes_p = (None if p is None else _prose(p) for p in (title, subtitle, notes))
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

    fig = house(go.Figure(fig))  # a copy: the house is applied without touching the caller's figure
    figure_json = json.loads(fig.to_json())
    dom_id = f"sk-{slug(_plain(title_p))[:40] or 'chart'}-{next_chart()}"
    f = _Figure(dom_id, title_p, subtitle_p, notes_p, description or describe(fig), [catalogue.get(s) for s in ids],
                is_map, data, int(fig.layout.height or TEMPLATE.layout.height))
    page_json, geometries = _shared_shapes(figure_json)
    # What charts.js writes around the picture a reader saves: not in the layout, so the live chart is unchanged.
    page_json["storykit"] = {"title": _plain(title_p), "subtitle": _plain(subtitle_p) if subtitle_p else "",
                             "credit": credit([catalogue.get(s) for s in used]), "name": f.name, "font": FONT}
    facts = [r for p in (title_p, subtitle_p, notes_p) if p for r in p.facts]
    metadata = {META_KEY: {"kind": "chart", "title": _plain(title_p), "sources": used, "facts": facts,
                           "geometries": geometries}}
    caption = _caption(f)
    # JupyterLab draws this JSON, without the page's charts.js: a map's config there names its base map.
    config = (CONFIG | view.OFFLINE_BASE_MAP) if is_map else CONFIG
    bundle = {PLOTLY_MIME: {**figure_json, "config": config}, "text/html": _figure_html(f, page_json, caption),
              "text/plain": f"<chart: {_plain(title_p)}>"}
    prose = "\n".join(p.markdown for p in (title_p, subtitle_p, notes_p) if p)
    return _Chart(bundle, metadata, caption, facts, prose)


def _shared_shapes(figure_json: dict) -> tuple[dict, list[str]]:
    """The page's copy of the figure, its map shapes named by key: the page shares them through one
    cached asset per geometry (JupyterLab keeps them inline)."""
    page_json = json.loads(json.dumps(figure_json))
    for trace in page_json["data"]:
        if isinstance(trace.get("geojson"), dict):
            trace["geojson"] = geometry_key(trace["geojson"])
    return page_json, list(dict.fromkeys(t["geojson"] for t in page_json["data"] if isinstance(t.get("geojson"), str)))


def _prose(value) -> Prose:
    if isinstance(value, Prose):
        return value
    if isinstance(value, str):
        return md("{text}", text=value)  # plain text, escaped: it may hold names from the data
    raise TypeError(f"Expected text or storykit.facts.md(...), got {type(value).__name__}.")


def _plain(p: Prose) -> str:
    return unescape(re.sub(r"<[^>]+>", "", _inline_markdown(p))).strip()


def _inline_markdown(p: Prose) -> str:
    """Title and notes are short: render inline Markdown (emphasis, links) without wrapping paragraphs."""
    from markdown_it import MarkdownIt  # installed with rich

    return MarkdownIt("commonmark").renderInline(p.markdown)


def credit(sources) -> str:
    """The credit line of a chart's picture: its publishers, their licences and the site's name. A
    licence's doubts ("unverified for this release") belong to the page's About the data, not here."""
    licences = [re.split(r"\s*[(:]", s.licence, maxsplit=1)[0].strip() for s in sources]
    licences = ["no open licence" if x.lower().startswith("no ") else x for x in licences]
    licences = [x for x in dict.fromkeys(licences) if x and x.lower() != "unverified"]
    return " · ".join([f"Source: {', '.join(dict.fromkeys(s.publisher for s in sources))}"]
                      + ([f"Licence: {'; '.join(licences)}"] if licences else []) + [SITE_NAME])


def _source_line(sources) -> str:
    """Each publisher and its datasets in a reader's words, without licences: "UNHCR, Refugee Data Finder"."""
    by: dict[str, list[str]] = {}
    for s in sources:
        by.setdefault(s.publisher, []).append(s.name)
    return "; ".join(f"{escape(p)}, {escape(_listing(list(dict.fromkeys(t))))}" for p, t in by.items())


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class _Figure:
    """What a chart's HTML says around its plot."""

    dom_id: str
    title: Prose
    subtitle: Prose | None
    notes: Prose | None
    description: str
    sources: list  # the chart's own (catalogue.Source), for its source line
    is_map: bool
    data: pd.DataFrame  # its CSV download and its table
    height: int  # what the plot draws at, reserved before it is drawn: the page never grows under the reader

    @property
    def name(self) -> str:
        return slug(_plain(self.title)) or "data"


def _caption(f: _Figure) -> dict[str, str]:
    """What a chart says around its plot, as HTML: the page's figure and the notebook's view of it
    (storykit.notebook.view.chart_view) say it in these words."""
    data = f.data
    # The index is data too, unless it is the default 0..n-1 without a name.
    plain_index = not any(data.index.names) and data.index.equals(pd.RangeIndex(len(data)))
    csv = data.to_csv(index=not plain_index)
    # A byte-order mark: a spreadsheet on Windows then reads the file as UTF-8 (Türkiye, Arabic names).
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(("\ufeff" + csv).encode("utf-8")).decode("ascii")
    return {
        "title": _inline_markdown(f.title),
        "subtitle": _inline_markdown(f.subtitle) if f.subtitle else "",
        "table": table(data if plain_index else data.reset_index(), _plain(f.title), f"sk-table {GENERATED_CLASS}"),
        "notes": _inline_markdown(f.notes) if f.notes else "",
        "source": f"Source: {_source_line(f.sources)}.",
        "boundary": escape(BOUNDARY_NOTE) if f.is_map else "",
        "download": f'<a download="{escape(f.name)}.csv" href="{href}">'
                    f"Download the data of this chart (CSV, {len(data):,} rows)</a>",
    }


def _figure_html(f: _Figure, figure_json: dict, caption: dict[str, str]) -> str:
    dom_id, gen, c = f.dom_id, GENERATED_CLASS, caption
    spec = json.dumps({**figure_json, "config": CONFIG}, separators=(",", ":"), ensure_ascii=False)
    spec = spec.replace("<", "\\u003c")  # nothing inside can close the script element
    # Hidden until charts.js has drawn the chart: without JavaScript they would do nothing.
    buttons = "".join(f' <button type="button" class="sk-image" data-format="{x.lower()}" hidden '
                      f'aria-label="Download the chart as {x}">{x}</button>' for x in ("PNG", "SVG"))
    parts = [
        f'<figure class="{CHART_CLASS}" aria-labelledby="{dom_id}{TITLE_SUFFIX}" '
        f'aria-describedby="{dom_id}{DESCRIPTION_SUFFIX}">',
        f'<h2 class="sk-chart-title" id="{dom_id}{TITLE_SUFFIX}">{c["title"]}</h2>',
        f'<p class="sk-chart-subtitle">{c["subtitle"]}</p>' if f.subtitle else "",
        # No role="img": Plotly puts focusable controls inside the div. The page's charts.js draws it.
        f'<div class="{PLOT_CLASS}" id="{dom_id}" style="height:{f.height}px"></div>',
        f'<p class="sk-description visually-hidden {gen}" id="{dom_id}{DESCRIPTION_SUFFIX}">'
        f'{escape(f.description)}</p>',
        f'<script type="application/json" id="{dom_id}{DATA_SUFFIX}">{spec}</script>',
        c["table"],
        "<figcaption>",
        f'<p class="sk-notes">{c["notes"]}</p>' if f.notes else "",
        f'<p class="sk-source {gen}">{c["source"]}</p>',
        f'<p class="sk-boundary {gen}">{c["boundary"]}</p>' if f.is_map else "",
        f'<p class="sk-download {gen}">{c["download"]}{buttons}</p>',
        "</figcaption></figure>",
    ]
    return "\n".join(p for p in parts if p)
