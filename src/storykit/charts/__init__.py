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

from .. import arabic, catalogue
from ..errors import StorykitError
from ..facts import Both, Prose, md
from ..notebook import view
from ..notebook.contract import (CHART_CLASS, DATA_SUFFIX, DESCRIPTION_SUFFIX, GENERATED_CLASS, META_KEY, PLOT_CLASS,
                                 PLOTLY_MIME, SITE_NAME, TITLE_SUFFIX, geometry_key, next_chart)
from ..paths import slug
from .house import (COLOURS, CONFIG, DIVERGING, FONT, GEO_TYPES, GREY, OKABE_ITO, SEQUENTIAL, TEMPLATE,
                    colour, house, legend_order)
from . import in_arabic
from .maps import choropleth
from .words import LABELS, TABLE_WORDS, describe, hover, table

__all__ = ["BOUNDARY_NOTE", "COLOURS", "CONFIG", "DIVERGING", "FONT", "GREY", "LABELS", "OKABE_ITO", "SEQUENTIAL",
           "SITE_NAME", "TEMPLATE", "chart_bundle", "choropleth", "colour", "credit", "describe", "hover", "house",
           "legend_order", "show", "table"]
BOUNDARY_NOTE = ("The boundaries and names shown do not imply official endorsement or acceptance by the "
                 "United Nations. Quneitra includes the Israeli-occupied Golan, as in the UN's layer.")
# What a chart says around its plot in English; storykit.charts.arabic.PHRASES says it in Arabic.
PHRASES = TABLE_WORDS | {"source": "Source", "download": "Download the data of this chart (CSV, {rows} rows)",
                         "image": "Download the chart as {x}", "boundary": BOUNDARY_NOTE,
                         "licence": "Licence", "no licence": "no open licence", "site": SITE_NAME}


def show(fig: go.Figure, data: pd.DataFrame, *, title: str | Prose, source: str | tuple[str, ...],
         subtitle: str | Prose | None = None, notes: str | Prose | None = None, description: str | None = None,
         words: dict | None = None) -> None:
    """Display a chart for both JupyterLab and the published page.

    `data` is what a reader downloads as CSV and reads as a table: pass exactly the rows and columns
    plotted. `source` is a catalogue id or a tuple of ids. `title` (what the chart shows), `subtitle`
    (its unit and period) and `notes` are prose: any figure in them must be a fact (use
    storykit.facts.md(...)). `description` replaces the generated one.

    The Arabic edition's chart comes with it: `title`, `subtitle` and `notes` give their Arabic as
    md(english, arabic, ...) or both(english, arabic), and `words` (English -> Arabic) every other string
    the figure and its table show (storykit.charts.arabic).

    In the notebook the live figure has, above and below it, what the page says with it: its title and
    subtitle; its table, notes, source and a working CSV link (storykit.notebook.view).
    """
    from IPython.display import display

    chart = _chart(fig, data, title=title, source=source, subtitle=subtitle, notes=notes, description=description,
                   words=words)
    above, below = view.chart_view(chart.caption, chart.facts)
    view.display_view(above)
    display(chart.bundle, metadata=chart.metadata, raw=True)
    view.display_view(below)
    view.warn(view.refusal(chart.prose, chart.facts, "This chart's title, subtitle or notes",
                           html=chart.bundle["text/html"], generated_ok=True))
    view.warn_arabic(chart.metadata[META_KEY][arabic.CODE])
    view.watch_markdown()


def chart_bundle(fig: go.Figure, data: pd.DataFrame, *, title, source, subtitle=None, notes=None, description=None,
                 words=None):
    """The mimebundle and metadata `show` displays."""
    chart = _chart(fig, data, title=title, source=source, subtitle=subtitle, notes=notes, description=description,
                   words=words)
    return chart.bundle, chart.metadata


class _Chart(NamedTuple):
    bundle: dict
    metadata: dict
    caption: dict  # what the chart says around its plot (`_caption`), for the notebook's view too
    facts: list  # the records of the figures in its title, subtitle and notes
    prose: str  # their Markdown, as written


def _chart(fig: go.Figure, data: pd.DataFrame, *, title, source, subtitle=None, notes=None, description=None,
           words=None):
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

    raw, fig = fig, house(go.Figure(fig))  # a copy: the house is applied without touching the caller's figure
    figure_json = json.loads(fig.to_json())
    dom_id = f"sk-{slug(_plain(title_p))[:40] or 'chart'}-{next_chart()}"
    f = _Figure(dom_id, title_p, subtitle_p, notes_p, description or describe(fig), [catalogue.get(s) for s in ids],
                is_map, data, int(fig.layout.height or TEMPLATE.layout.height), description_given=description)
    page_json, geometries = _shared_shapes(figure_json)
    _about(page_json, f, used, PHRASES, FONT)
    facts = [r for p in (title_p, subtitle_p, notes_p) if p for r in p.facts]
    metadata = {META_KEY: {"kind": "chart", "title": _plain(title_p), "sources": used, "facts": facts,
                           "geometries": geometries,
                           arabic.CODE: _arabic(raw, fig, f, (title, subtitle, notes), used, words)}}
    caption = _caption(f)
    # JupyterLab draws this JSON, without the page's charts.js: a map's config there names its base map.
    config = (CONFIG | view.OFFLINE_BASE_MAP) if is_map else CONFIG
    bundle = {PLOTLY_MIME: {**figure_json, "config": config}, "text/html": _figure_html(f, page_json, caption),
              "text/plain": f"<chart: {_plain(title_p)}>"}
    prose = "\n".join(p.markdown for p in (title_p, subtitle_p, notes_p) if p)
    return _Chart(bundle, metadata, caption, facts, prose)


def _about(page_json: dict, f: "_Figure", used: list[str], phrases: dict, font: str) -> None:
    # What charts.js writes around the picture a reader saves: not in the layout, so the live chart is unchanged.
    page_json["storykit"] = {"title": _plain(f.title), "subtitle": _plain(f.subtitle) if f.subtitle else "",
                             "credit": credit([catalogue.get(s) for s in used], phrases), "name": f.name, "font": font}


def _arabic(raw: go.Figure, housed: go.Figure, f: "_Figure", texts: tuple, used: list[str], words) -> dict:
    """The chart in the Arabic edition ({"html", "figure", "title", "facts"}), or the problem that keeps it out."""
    ar_texts = [None if t is None else _arabic_prose(t) for t in texts]
    if missing := [name for name, t in zip(("title", "subtitle", "notes"), ar_texts) if t is not None and t.ar is None]:
        problem = next((t.problem for t, given in zip(ar_texts, texts) if isinstance(given, Prose) and t.problem), "")
        return {"problem": f"the chart {_plain(f.title)!r}: its {' and '.join(missing)} "
                           f"{'have' if len(missing) > 1 else 'has'} no Arabic{': ' + problem if problem else ''} "
                           "(give md(english, arabic, ...) or both(english, arabic))", "missing": not problem}
    tr = in_arabic.Translator(words)
    fig = in_arabic.right_to_left(house(in_arabic.figure(raw, housed, tr)))
    shown, csv = in_arabic.table(f.data, tr)
    if problem := tr.problem():
        return {"problem": f"the chart {_plain(f.title)!r}: {problem}"}
    title, subtitle, notes = (None if t is None else t.ar for t in ar_texts)
    said = getattr(f.description_given, "ar", None)  # description=both(english, arabic) replaces the generated one
    ar = _Figure(f.dom_id, title, subtitle, notes, said or in_arabic.describe(fig), f.sources, f.is_map, csv, f.height,
                 shown, f.name + "-ar")
    page_json, _ = _shared_shapes(json.loads(fig.to_json()))
    _about(page_json, ar, used, in_arabic.PHRASES, arabic.FONT)
    page_json["config"] = CONFIG | arabic.CONFIG
    facts = [r for p in (title, subtitle, notes) if p for r in p.facts]
    return {"html": _figure_html(ar, page_json, _caption(ar, in_arabic.PHRASES), in_arabic.PHRASES),
            "figure": page_json, "title": _plain(title), "facts": facts}


def _arabic_prose(value) -> Prose:
    """A title, subtitle or notes with its Arabic: md(english, arabic) as it is; both(...) as two texts."""
    if isinstance(value, Both) or (isinstance(value, str) and not arabic.LATIN.search(value)):
        return md("{text}", "{text}", text=value)  # both(...)'s Arabic; text without words (a year)
    return md("{text}", text=value) if isinstance(value, str) else value  # English only: no Arabic yet


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


def credit(sources, phrases: dict = PHRASES) -> str:
    """The credit line of a chart's picture: its publishers, their licences and the site's name. A
    licence's doubts ("unverified for this release") belong to the page's About the data, not here."""
    licences = [re.split(r"\s*[(:]", s.licence, maxsplit=1)[0].strip() for s in sources]
    licences = [phrases["no licence"] if x.lower().startswith("no ") else x for x in licences]
    licences = [x for x in dict.fromkeys(licences) if x and x.lower() != "unverified"]
    return " · ".join([f"{phrases['source']}: {', '.join(dict.fromkeys(s.publisher for s in sources))}"]
                      + ([f"{phrases['licence']}: {'; '.join(licences)}"] if licences else []) + [phrases["site"]])


def _source_line(sources, phrases: dict = PHRASES) -> str:
    """Each publisher and its datasets in a reader's words, without licences: "UNHCR, Refugee Data Finder".
    Their names are English, and marked so, on an Arabic page too."""
    by: dict[str, list[str]] = {}
    for s in sources:
        by.setdefault(s.publisher, []).append(s.name)
    lang = ' lang="en" dir="ltr"' if phrases is not PHRASES else ""
    return "; ".join(f"<span{lang}>{escape(p)}, {escape(_listing(list(dict.fromkeys(t))))}</span>"
                     if lang else f"{escape(p)}, {escape(_listing(list(dict.fromkeys(t))))}" for p, t in by.items())


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
    shown: pd.DataFrame | None = None  # its table, if not `data` as it is (Arabic: dates in Arabic words)
    description_given: str | None = None  # the notebook's description, if it gave one
    file_name: str = ""  # the name of its files, if not its title's

    @property
    def name(self) -> str:
        return self.file_name or slug(_plain(self.title)) or "data"


def _caption(f: _Figure, phrases: dict = PHRASES) -> dict[str, str]:
    """What a chart says around its plot, as HTML: the page's figure and the notebook's view of it
    (storykit.notebook.view.chart_view) say it in these words."""
    data = f.data
    # The index is data too when it has a name; unnamed, it is row numbers (0..n-1, or what a filter left).
    plain_index = not any(data.index.names)
    csv = data.to_csv(index=not plain_index)
    # A byte-order mark: a spreadsheet on Windows then reads the file as UTF-8 (Türkiye, Arabic names).
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(("\ufeff" + csv).encode("utf-8")).decode("ascii")
    shown = data if f.shown is None else f.shown
    return {
        "title": _inline_markdown(f.title),
        "subtitle": _inline_markdown(f.subtitle) if f.subtitle else "",
        "table": table(shown if plain_index else shown.reset_index(), _plain(f.title), f"sk-table {GENERATED_CLASS}",
                       phrases),
        "notes": _inline_markdown(f.notes) if f.notes else "",
        "source": f"{phrases['source']}: {_source_line(f.sources, phrases)}.",
        "boundary": escape(phrases["boundary"]) if f.is_map else "",
        "download": f'<a download="{escape(f.name)}.csv" href="{href}">'
                    f"{escape(phrases['download'].format(rows=f'{len(data):,}'))}</a>",
    }


def _figure_html(f: _Figure, figure_json: dict, caption: dict[str, str], phrases: dict = PHRASES) -> str:
    dom_id, gen, c = f.dom_id, GENERATED_CLASS, caption
    spec = json.dumps({**figure_json, "config": figure_json.get("config", CONFIG)}, separators=(",", ":"), ensure_ascii=False)
    spec = spec.replace("<", "\\u003c")  # nothing inside can close the script element
    # Hidden until charts.js has drawn the chart: without JavaScript they would do nothing.
    buttons = "".join(f' <button type="button" class="sk-image" data-format="{x.lower()}" hidden '
                      f'aria-label="{escape(phrases["image"].format(x=x))}">{x}</button>' for x in ("PNG", "SVG"))
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
