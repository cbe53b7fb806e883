"""An executed notebook becomes a published page, or is refused with the reason.

Only what storykit's helpers displayed (`facts.page`, `facts.say`, `charts.show`) and the
notebook's Markdown cells reach the page; code, prompts, streams, stray outputs and tracebacks
never do. Before a page is written it is checked: every number in its prose is a recorded fact,
it names no local path, it loads nothing from another host, and it stays under the size limit.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import catalogue
from .errors import StorykitError
from .facts import META_KEY, PARAMETER, check_prose

TEMPLATES = Path(__file__).parent / "templates"
MAX_PAGE_BYTES = 400_000  # the shared plotly.js aside
SITE_TITLE = "Syria's war in numbers"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PageError(StorykitError):
    """A notebook's output cannot be published as it is."""


@dataclass
class Page:
    """What a notebook published: its declared metadata, its body, and what the body used."""

    title: str
    summary_html: str
    as_of: str
    body: str
    sources: list[str] = field(default_factory=list)  # catalogue ids, in order of first use
    facts: list[dict] = field(default_factory=list)
    charts: int = 0
    geometries: dict[str, dict] = field(default_factory=dict)  # map shapes, each published as assets/<key>.js
    traces: list[str] = field(default_factory=list)  # the trace types the charts draw: they choose the plotly.js
    first_chart: dict | None = None  # {"id": its plot div's id, "figure": its JSON}, for the static first paint

    @property
    def headlines(self) -> list[dict]:
        seen, out = set(), []
        for f in self.facts:
            if f.get("headline") and (f["what"], f["text"]) not in seen:
                seen.add((f["what"], f["text"]))
                out.append(f)
        return out


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def collect(nb: nbformat.NotebookNode, where: str) -> Page:
    """Check an executed notebook and render its publishable part; raise PageError if it must not publish."""
    from .charts import page_geometries, plot_id, trace_types  # plotly is slow to import: only when needed

    declared = []
    facts: list[dict] = []
    sources: list[str] = []
    charts = 0
    geometries: dict[str, dict] = {}
    traces: set[str] = set()
    first_chart = None
    kept_cells = []
    for index, cell in enumerate(nb.cells):
        at = f"{where}, {cell_label(nb, index)}"
        if cell.cell_type == "markdown":
            check_prose(_markdown(cell.source), [], at)
            kept_cells.append(cell)
            continue
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                message = ANSI.sub("", f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                raise PageError(f"{at}: the notebook stopped with {message}")
            meta = out.get("metadata", {}).get(META_KEY)
            if meta is None:
                if PLOTLY_MIME in out.get("data", {}):
                    raise PageError(f"{at}: a chart was shown with fig.show(), which a page cannot keep; "
                                    "use storykit.charts.show(fig, data, title=..., source=...).")
                continue  # the reporter's own output (prints, tables, warnings): not for readers
            kind = meta.get("kind")
            recorded = meta.get("facts", [])
            if kind == "page":
                declared.append((at, meta, out.data.get("text/markdown", "")))
                facts += recorded
                continue
            if kind == "prose":
                check_prose(_markdown(out.data["text/markdown"]), recorded, at)
            elif kind == "chart":
                check_prose(out.data["text/html"], recorded, at, generated_ok=True)
                sources += meta.get("sources", [])
                charts += 1
                figure = out.data.get(PLOTLY_MIME, {})
                traces |= trace_types(figure)
                if first_chart is None:
                    first_chart = {"id": plot_id(out.data["text/html"]), "figure": figure}
                if meta.get("geometries"):
                    geometries |= page_geometries(figure, meta["geometries"])
            else:
                raise PageError(f"{at}: unknown storykit output kind {kind!r}.")
            for f in recorded:
                sources += [s for s in f["source"] if s != PARAMETER]
            facts += recorded
            kept.append(out)
        if kept:
            cell = nbformat.from_dict({**cell, "outputs": kept})
            kept_cells.append(cell)
    if len(declared) != 1:
        raise PageError(f"{where}: call storykit.facts.page(title=..., summary=..., as_of=...) exactly once "
                        f"(found {len(declared)} calls).")
    at, meta, _ = declared[0]
    check_prose(f"<h1>{escape(meta['title'])}</h1>", [], at)
    summary_html = _summary_html(meta, at)
    body_nb = nbformat.from_dict({**nb, "cells": kept_cells})
    unique = list({(f["text"], f["what"], tuple(f["source"])): f for f in facts}.values())
    return Page(title=meta["title"], summary_html=summary_html, as_of=meta["as_of"], body=_exporter()
                .from_notebook_node(body_nb)[0], sources=list(dict.fromkeys(sources)), facts=unique, charts=charts,
                geometries=geometries, traces=sorted(traces), first_chart=first_chart)


def cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    """'cell 3 (“first words…”)': the position in the notebook as the reporter wrote it, without the
    cell Papermill injects for parameters, and the start of the cell so it can be found."""
    injected = sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells[:index])
    cell = nb.cells[index]
    if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
        return "the parameters Papermill injected"
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:49] + "\u2026"
    return f"cell {index + 1 - injected} (\u201c{first}\u201d)"


def _summary_html(meta: dict, at: str) -> str:
    # The page output shows title, summary and date in JupyterLab; the page template lays them out itself.
    text = meta.get("summary_markdown")
    if text is None:
        raise PageError(f"{at}: the page declaration has no summary; call storykit.facts.page(...).")
    html = _markdown(text)
    check_prose(html, meta.get("facts", []), at)
    return html


def _markdown(text: str) -> str:
    from nbconvert.filters.markdown import markdown2html

    return markdown2html(text)


@cache
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="base", template_file="notebook.html.j2",
                        extra_template_paths=[str(TEMPLATES)], exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_anchor_links=True, exclude_raw=True, exclude_unknown=True)


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def now() -> datetime:
    return datetime.now(timezone.utc)


def built_text(when: datetime) -> str:
    return f"{when.day} {when:%B %Y}, {when:%H:%M} UTC"


def render(page: Page, *, root: str = "", built: datetime | None = None, notebook: str = "",
           parameters: dict | None = None, first_paint: bool = True) -> str:
    """The full HTML of a report page; `root` leads from the page's folder to the site's root.

    With `first_paint`, the first chart is also drawn now, as a picture the page shows at once
    (storykit.firstpaint), until plotly.js has loaded and drawn the live chart.
    """
    from .charts import page_plotly, plotly_file, with_static

    plotly = page_plotly(page.traces)
    body = page.body
    if first_paint and page.first_chart:
        from .firstpaint import svg

        if (picture := svg(page.first_chart["figure"], plotly_file(plotly))) is not None:
            body = with_static(body, page.first_chart["id"], picture)
    sources = [catalogue.get(s) for s in page.sources]
    return environment().get_template("page.html.j2").render(
        site_title=SITE_TITLE, root=root, page=page, body=body, built=built_text(built or now()), sources=sources,
        notebook=notebook, parameters=parameters or {}, charts=page.charts, geometries=list(page.geometries),
        plotly=plotly,
    )


def assets() -> dict[str, str]:
    """The files every site has in assets/, by name: the style sheet, the charts' script and plotly.js.

    A build asks for them just before it makes pages: Chromium starts then, for the first paints,
    while the build waits for its kernels.
    """
    from .charts import site_assets
    from .firstpaint import prepare

    prepare()
    return {"style.css": (TEMPLATES / "style.css").read_text(encoding="utf-8")} | site_assets()


def render_index(*, intro: str, stories: list[dict], groups: list[dict], headlines: list[dict],
                 built: datetime | None = None, stale: list[dict] = ()) -> str:
    """The index: the story, the headline figures, links to every report and every governorate.

    Each story is {"href", "page": Page}; each group is {"title", "pages": [{"href", "page"}]};
    each headline is a fact record with "href" and "report" added. A story or page may carry a
    "notice" ({"as_of", "failed"}: its last update failed); `stale` lists sources with newer figures
    due ({"publisher", "title", "covers_to"}).
    """
    headlines = [h | {"publishers": "; ".join(dict.fromkeys(catalogue.get(s).publisher for s in h["source"]
                                                           if s != PARAMETER))} for h in headlines]
    html = environment().get_template("index.html.j2").render(
        site_title=SITE_TITLE, root="", intro=intro, stories=stories, groups=groups, headlines=headlines,
        built=built_text(built or now()), charts=0, geometries=[], stale=stale,
    )
    recorded = [f for s in stories for f in s["page"].facts] + headlines
    check_prose(_main(html), recorded, "the index page", generated_ok=True)
    return html


def _main(html: str) -> str:
    start, end = html.find("<main"), html.find("</main>")
    return html[start:end]


# --- checks on a finished page ------------------------------------------------------------------

LOCAL_PATH = re.compile(
    r"(?<![\w.:/])/(?:home|root|tmp|Users|work|var|opt|mnt|srv|private)/[\w.-]"
    r"|(?<!\w)[A-Za-z]:\\(?:[\w .-]+\\)+"  # C:\Users\...
    r"|file:/"
)
LEAKS = (
    ("Traceback (most recent call last)", "a Python traceback"),
    ("\x1b[", "terminal colour codes from a traceback"),
    ('class="jp-InputArea', "code input"),
    ('class="jp-InputPrompt', "an input prompt"),
    ('class="jp-OutputPrompt', "an output prompt"),
)
PROMPT = re.compile(r"\b(?:In|Out)\s?\[\s*\d*\s*\]:")
EMBEDDED = re.compile(r'base64,[A-Za-z0-9+/=]+|"bdata":"[^"]*"')  # encoded data may hold any letters


def check_published(html: str, where: str, local: tuple[str, ...] = ()) -> None:
    """Refuse a page that is too big, shows code, prompts or tracebacks, names a local path, or
    would load anything from another host."""
    size = len(html.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise PageError(f"{where}: the page weighs {size:,} bytes, over the {MAX_PAGE_BYTES:,} limit; "
                        "plot fewer points (aggregate by week or month) or split the page.")
    text = EMBEDDED.sub("", html)
    for needle, what in LEAKS:
        if needle in text:
            raise PageError(f"{where}: the page shows {what}; it must not be published.")
    if m := PROMPT.search(text):
        raise PageError(f"{where}: the page shows a notebook prompt {m.group()!r}.")
    for path in filter(None, local):
        if path in text:
            raise PageError(f"{where}: the page names the local path {path}; a page must not reveal the machine.")
    if m := LOCAL_PATH.search(text):
        raise PageError(f"{where}: the page names a local path near {text[max(0, m.start() - 30):m.end() + 30]!r}.")
    finder = _ExternalLoads()
    finder.feed(text)
    if finder.found:
        raise PageError(f"{where}: the page would load from another host: {', '.join(finder.found[:3])}. "
                        "Pages load only their own files (assets/); no CDN, no web fonts.")


class _ExternalLoads(HTMLParser):
    """URLs a browser would fetch on its own (not links a reader may follow) that leave the site."""

    FETCHED = {("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"), ("iframe", "src"),
               ("source", "src"), ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"),
               ("embed", "src"), ("object", "data"), ("input", "src"), ("track", "src"), ("image", "href")}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        self._in = tag
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in self.FETCHED and _is_external(value):
                self.found.append(value)
            if name == "style":
                self._css(value)

    def handle_data(self, data):
        if self._in == "style":
            self._css(data)
        elif self._in == "script":
            # Inside scripts (chart JSON, drawing code) any absolute URL would be fetched by plotly.js.
            self.found += re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", data)

    def handle_endtag(self, tag):
        self._in = None

    def _css(self, css: str):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", css):
            value = next(u for u in url if u)
            if _is_external(value):
                self.found.append(value)


def _is_external(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:")) or ("://" in url.split(",")[0]
                                                                              and not url.startswith("data:"))
