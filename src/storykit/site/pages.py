"""An executed notebook becomes a published page, or is refused with the reason.

Only what storykit's helpers displayed (`facts.page`, `facts.say`, `charts.show`) and the
notebook's Markdown cells reach the page; code, prompts, streams, stray outputs and tracebacks
never do. Every number in its prose must be a recorded fact, and no text may write out the value
of a date parameter (it must take it from the parameter); storykit.site.checks then checks the
page as a whole.
"""

import ast
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from html import escape
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .. import arabic, catalogue
from ..facts import NOTED, is_noted, iso_day
from ..notebook.contract import (CHECKED_TAG, META_KEY, PARAMETER, PARAMETERS_TAG, PLOTLY_MIME, SITE_NAME, cell_label,
                                 cell_source, for_the_page, is_injected, plot_id, tags)
from ..notebook.prose import check_prose, plain_text
from . import assets
from .checks import PageError, strip_ansi
from .edition import AR, EN, Edition, arabic_follows, arabic_output, edition_of, in_arabic
from .history import utc_text
from .parameters import defaults

TEMPLATES = Path(__file__).parent / "templates"
# The site's icon: a bar chart in the house's ink, small enough to live in every page's head.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
        'fill="#1a1a1a"/><path d="M3 13h2V8H3zm4 0h2V3H7zm4 0h2V6h-2z" fill="#fff"/></svg>')
SITE_TITLE = SITE_NAME


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
    plots: list[dict] = field(default_factory=list)  # each chart's {"id": its plot div's id, "figure": its JSON}
    left_out: list[str] = field(default_factory=list)  # the reporter's own outputs, which never reach the page
    edition: str = EN.code  # the language it is written in (storykit.site.edition)
    arabic: "Page | None" = None  # the same page in Arabic, once made

    @property
    def headlines(self) -> list[dict]:
        seen, out = set(), []
        for f in self.facts:
            if f.get("headline") and (f["what"], f["text"]) not in seen:
                seen.add((f["what"], f["text"]))
                out.append(f)
        return out


def collect(nb: nbformat.NotebookNode, where: str, edition: Edition = EN) -> Page:
    """Check an executed notebook and render its publishable part in `edition`'s language; raise PageError
    if it must not publish (NoArabicPage if only its Arabic edition must not)."""
    declared = []
    facts: list[dict] = []
    sources: list[str] = []
    charts = 0
    geometries: dict[str, dict] = {}
    traces: set[str] = set()
    plots: list[dict] = []
    kept_cells, left_out = [], []
    days = date_parameters(nb)
    for index, cell in enumerate(nb.cells):
        at = f"{where}, {cell_label(nb, index)}"
        refuse_written_parameters(cell, at, days)
        if cell.cell_type == "markdown":
            if not cell.source.strip() or (edition is EN and in_arabic(cell)):
                continue  # the Arabic edition's text
            if edition is AR and not in_arabic(cell):
                arabic_follows(nb, index, at)  # its Arabic, the next cell, is the Arabic page's
                continue
            check_prose(_markdown(cell.source), [], at)
            kept_cells.append(cell)
            continue
        if cell.cell_type != "code":
            continue
        kept = []
        for out in for_the_page(cell.get("outputs", [])):  # what only the notebook shows never reaches a page
            if out.output_type == "error":
                message = strip_ansi(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
                raise PageError(f"{at}: the notebook stopped with {message}")
            meta = out.get("metadata", {}).get(META_KEY)
            if meta is not None and edition is AR:
                meta, out = arabic_output(meta, out, at)
            if meta is None:
                if PLOTLY_MIME in out.get("data", {}):
                    raise PageError(f"{at}: a chart was shown with fig.show(), which a page cannot keep; "
                                    "use storykit.charts.show(fig, data, title=..., source=...).")
                if (what := _left_out(out)) and CHECKED_TAG not in tags(cell):
                    left_out.append(f"{at}: {what}")
                continue  # the reporter's own output (prints, tables): not for readers, but the build says so
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
                traces |= assets.trace_types(figure)
                plots.append({"id": plot_id(out.data["text/html"]), "figure": figure, "sources": meta.get("sources", [])})
                if meta.get("geometries"):
                    geometries |= assets.page_geometries(figure, meta["geometries"])
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
    unique = list({(f["text"], f["what"], tuple(f["source"])): f for f in facts}.values())
    if edition is AR:
        unique = [f if f.get("what_ar") else f | {"what_ar": f.get("sentence", "")} for f in unique]
    return Page(title=meta["title"], summary_html=summary_html, as_of=meta["as_of"],
                body=outline(_body(kept_cells)), sources=list(dict.fromkeys(sources)),
                facts=unique, charts=charts, geometries=geometries, traces=sorted(traces), plots=plots,
                left_out=list(dict.fromkeys(left_out)), edition=edition.code)


# --- prose that writes out a parameter -----------------------------------------------------------
# A page whose text writes "30 December 2016" where a parameter says 2016-12-30 would contradict
# itself once built with another value: the text must take the date from the parameter.

PROSE_CALLS = {"say": ("template",), "md": ("template",), "page": ("title", "summary", "title_ar", "summary_ar"),
               "show": ("title", "subtitle", "notes")}  # the calls whose text reaches the page, by argument


def date_parameters(nb) -> dict[str, list[date]]:
    """The parameters whose value is a day ("2016-12-30"): each with its default and the value the
    build injected, if another."""
    runs = [defaults(nb)]
    for cell in filter(is_injected, nb.cells):  # read as a parameters cell is: names bound to literals
        runs.append(defaults({"cells": [{**cell, "metadata": {"tags": [PARAMETERS_TAG]}}]}))
    days: dict[str, list[date]] = {}
    for values in runs:
        for name, value in values.items():
            if isinstance(value, str) and (day := iso_day(value.strip())) and day not in days.get(name, []):
                days.setdefault(name, []).append(day)
    return days


def written_day(day: date) -> re.Pattern:
    """The ways prose writes a day: 2016-12-30, 30 December 2016 (as format_date does), December 30, 2016,
    and the same with the month abbreviated or the day as 30th; in Arabic, 30 كانون الأول 2016."""
    month = rf"(?:{day:%B}|{day:%b}\.?)"
    dd = rf"0?{day.day}(?:st|nd|rd|th)?"
    return re.compile(rf"(?<![\d-]){day:%Y-%m-%d}(?![\d-])"
                      rf"|(?<!\d)0?{day.day}\s+{arabic.MONTHS[day.month - 1]}\s+{day.year}(?!\d)"
                      rf"|(?<!\d){dd}\s+{month},?\s+{day.year}(?!\d)"
                      rf"|\b{month}\s+{dd},?\s+{day.year}(?!\d)", re.I)


def refuse_written_parameters(cell, at: str, days: dict[str, list[date]]) -> None:
    """Refuse a Markdown cell, or a say()/md()/page()/show() text in a code cell, that writes out the
    value of a date parameter instead of taking it from the parameter."""
    if not days or is_injected(cell) or PARAMETERS_TAG in tags(cell):
        return
    for text in _prose_texts(cell):
        for name, values in days.items():
            for day in values:
                if m := written_day(day).search(text):
                    near = _around(text, m.start(), m.end())
                    how = ("turn the paragraph into a say() in a code cell" if cell.cell_type == "markdown"
                           else "write a field in the template instead")
                    raise PageError(
                        f"{at}: the text \u201c\u2026{near}\u2026\u201d writes out the date of the parameter "
                        f"`{name}` ({day:%Y-%m-%d}) as \u201c{m.group()}\u201d: built with another {name}, the page "
                        f"would contradict itself. Take the date from the parameter: {how}, e.g. "
                        f"say(\"... {{{name}}} ...\", {name}=format_date({name})) "
                        "(from storykit.facts import format_date, say).")


def _around(text: str, start: int, end: int) -> str:
    """The words around text[start:end], whole, on one line."""
    before = re.search(r"(?:\S+\s+){0,6}$", text[:start]).group()
    after = re.match(r"(?:\s*\S+){0,3}", text[end:]).group()
    return re.sub(r"\s+", " ", before + text[start:end] + after).strip()


def _prose_texts(cell) -> list[str]:
    """The text of a Markdown cell; in a code cell, the literal text of the prose calls' templates."""
    source = cell_source(cell)
    if cell.cell_type == "markdown":
        return [source]
    if cell.cell_type != "code":
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (a %magic): the cell ran, but its text cannot be read here
        return []
    texts = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        if name not in PROSE_CALLS:
            continue
        args = [k.value for k in call.keywords if k.arg in PROSE_CALLS[name]]
        if PROSE_CALLS[name] == ("template",):
            args += call.args[:2]  # the English template and its Arabic
        texts += [n.value for a in args for n in ast.walk(a)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return texts


def _left_out(out) -> str | None:
    """What a reporter's own output is, in their terms, if it is one they may expect on the page."""
    if out.output_type == "stream":
        if out.get("name") != "stdout":
            return None  # warnings go to the reporter only
        first = next((line.strip() for line in out.get("text", "").splitlines() if line.strip()), "")
        first = first if len(first) <= 50 else first[:49] + "\u2026"
        return f"printed text (\u201c{first}\u201d)"
    data = out.get("data", {})
    if "text/html" in data and "<table" in data["text/html"]:
        return "a table (a DataFrame shown as the cell's result)"
    return "an output shown as the cell's result" if data else None


CHART_TITLE = re.compile(r'<h2 class="sk-chart-title"(.*?)</h2>', re.S)


def outline(body: str) -> str:
    """Chart titles under a section heading become its sub-headings (h3); a chart before any section
    keeps its h2, so the outline never skips a level."""
    out, at, section = [], 0, False
    for m in re.finditer(r'<h2\b[^>]*>', body):
        if 'class="sk-chart-title"' not in m.group(0):
            section = True
            continue
        if section:
            title = CHART_TITLE.match(body, m.start())
            out += [body[at:m.start()], f'<h3 class="sk-chart-title"{title.group(1)}</h3>']
            at = title.end()
    return "".join(out) + body[at:]


def _summary_html(meta: dict, at: str) -> str:
    # The page output shows title, summary and date in JupyterLab; the page template lays them out itself.
    text = meta.get("summary_markdown")
    if text is None:
        raise PageError(f"{at}: the page declaration has no summary; call storykit.facts.page(...).")
    html = _markdown(text)
    check_prose(html, meta.get("facts", []), at)
    return html


def _markdown(text: str) -> str:
    """Markdown as nbconvert renders a notebook's, without the anchor links it adds to headings."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    return MarkdownWithMath(renderer=IPythonRenderer(escape=False, exclude_anchor_links=True)).render(text)


def _body(cells) -> str:
    """The page's body: each Markdown cell, and each storykit output kept (a chart's HTML, prose as
    Markdown), in order; rendered with nbconvert's own Markdown filter, without its exporter, whose
    set-up alone took most of a page made without a kernel."""
    from nbconvert.filters.strings import strip_files_prefix

    parts = []
    for cell in cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="sk-md">\n{strip_files_prefix(_markdown(cell.source))}\n</div>\n')
            continue
        for out in cell.outputs:
            data = out.get("data", {})
            parts.append(f"{data['text/html']}\n" if "text/html" in data else
                         f'<div class="sk-prose">\n{_markdown(data["text/markdown"])}\n</div>\n')
    return "".join(parts)


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["icon"] = ICON
    return env


def now() -> datetime:
    return datetime.now(timezone.utc)


def render(page: Page, *, root: str = "", built: datetime | None = None, notebook: str = "",
           parameters: dict | None = None, first_paint: bool = True, pictures=None, share: dict | None = None) -> str:
    """The full HTML of a report page; `root` leads from the page's folder to the site's root.

    With `first_paint`, every chart is also drawn now, at a phone's width and a desktop's, as pictures
    the page shows at once and without JavaScript (storykit.site.firstpaint), until plotly.js has loaded
    and drawn the live chart in the same box. The pictures are files, assets/pictures/<name>.svg:
    `pictures` (a firstpaint.Pictures) knows those the site has and keeps those drawn now, for the
    caller to write.
    """
    plotly = assets.page_plotly(page.traces)
    body = page.body
    if first_paint and page.plots:
        from .firstpaint import Pictures

        pictures = Pictures() if pictures is None else pictures
        for n, plot in enumerate(page.plots):
            if (drawn := pictures.draw(plot["figure"], assets.plotly_file(plotly))) is None:
                continue
            phone, desktop = [(f"{root}assets/{assets.PICTURES}/{name}", w, h) for name, w, h in drawn]
            body = assets.with_static(body, plot["id"], phone, desktop, lazy=n > 0)  # the first on screen at once
    sources = [catalogue.get(s) for s in page.sources]
    ed = edition_of(page.edition)
    return environment().get_template("page.html.j2").render(
        **words(ed, root), page=page, body=body, facts=[f | by_whom(f, ed) for f in page.facts],
        built=utc_text(built or now(), ed.code), sources=sources, notebook=notebook, parameters=parameters or {},
        charts=page.charts, geometries=list(page.geometries), plotly=plotly, standfirst=plain_text(page.summary_html),
        share=share,
    )


def words(ed: Edition, root: str) -> dict:
    """What every template knows of its page's edition: its words (`t`), its title, its language and
    direction (`ed`), the root of the site (`root`, for assets) and of the edition (`home`, for pages)."""
    rtl = ed.dir == "rtl"  # on a page read right to left, English names and code are marked to read left to right
    return {"ed": ed, "t": ed.t, "site_title": ed.t["site"], "root": root, "home": root + ed.folder,
            "en": Markup(' lang="en" dir="ltr"') if rtl else "", "ltr": Markup(' dir="ltr"') if rtl else ""}



def prepare_assets(warm: bool = True) -> dict[str, str]:
    """The files every site has in assets/, by name: the style sheet, the charts' script and plotly.js.

    A build asks for them just before it makes pages. With `warm` (kernels are about to run), Chromium
    starts then, for the charts' pictures, while the build waits for its kernels; pages made without a
    kernel mostly have their pictures already, and Chromium starts only if one is missing.
    """
    from .firstpaint import prepare

    if warm:
        prepare()
    return assets.site_assets()


def by_whom(fact: dict, ed: Edition) -> dict:
    """A figure's publishers, and their language when it is not the page's (English names on an Arabic page)."""
    text = publishers(fact, ed)
    return {"publishers": text, "publishers_lang": "en" if ed is AR and not arabic.is_arabic(text) else ""}


def publishers(fact: dict, ed: Edition = EN) -> str:
    """Who a figure comes from, by publisher; a page's own setting (a parameter) says so; a value that is
    not a figure (storykit.facts.noted) gives its reason instead (in Arabic: that it is none)."""
    if is_noted(fact):
        return fact[NOTED] if ed is EN else fact.get("why_ar") or ed.t["not_figure"]
    names = [catalogue.get(s).publisher if s != PARAMETER else ed.t["setting"] for s in fact["source"]]
    return "; ".join(dict.fromkeys(names))


def render_index(*, intro: str, stories: list[dict], groups: list[dict], headlines: list[dict],
                 built: datetime | None = None, stale: list[dict] = (), lead: dict | None = None,
                 edition: Edition = EN) -> str:
    """The index: the story, the headline figures, links to every report and every governorate.

    Each story is {"href", "page": Page}; each group is {"title", "pages": [{"href", "page"}]};
    each headline is a fact record with "href" and "report" added. A story or page may carry a
    "notice" ({"as_of", "failed"}: its last update failed); `stale` lists sources with newer figures
    due ({"publisher", "title", "covers_to"}). `lead` is a story's first chart as published
    ({"html", "plotly", "geometries", "href", "title", "share"}): the index's lead graphic, whose share
    image is the index's. `edition` is the index's language: each edition has its own.
    """
    headlines = [h | by_whom(h, edition) for h in headlines]
    root = "../" * edition.folder.count("/")
    html = environment().get_template("index.html.j2").render(
        **words(edition, root), intro=intro, stories=stories, groups=groups, headlines=headlines,
        built=utc_text(built or now(), edition.code), charts=1 if lead else 0,
        geometries=lead["geometries"] if lead else [], plotly=lead and lead["plotly"], stale=stale, lead=lead,
        share=lead and lead.get("share"),
    )
    recorded = [f for s in stories for f in s["page"].facts] + headlines
    check_prose(_main(html), recorded, "the index page", generated_ok=True)
    return html


def _main(html: str) -> str:
    start, end = html.find("<main"), html.find("</main>")
    return html[start:end]
