"""What the reporter sees in the notebook and a reader never does: the page as it will read, while it is written.

JupyterLab draws a chart's Plotly JSON (its plotly renderer outranks the HTML the page keeps) and
shows a paragraph's HTML before its Markdown. So the notebook's view is made of outputs the build
reads past (storykit.notebook.contract: VIEW outputs, VIEW_HTML beside a paragraph's Markdown;
`for_the_page`), and a page is the same with or without them:

- `chart_view`: around the live figure, what the page says with it: title and subtitle above;
  table, notes, source line, boundary note and the CSV download (a data: address) below;
- `OFFLINE_BASE_MAP`: the config with which JupyterLab's plotly.js draws a map without the network;
- `prose_view`: a paragraph (say, page) with each traced figure highlighted, its tooltip saying what
  it counts and where it comes from;
- `refusal` and `warn`: a number the build will refuse, named under the cell that wrote it;
- `watch_markdown`: the same for the notebook's Markdown cells, which the kernel cannot see: it
  reads the notebook as last saved, in a kernel Jupyter's server started for it.

Nothing here decides what publishes: the build checks every page itself (storykit.site.pages), with
the same rule (storykit.notebook.prose.check_prose).
"""

import json
import os
import re
import sys
from functools import cache
from html import escape, unescape
from types import SimpleNamespace
from urllib.parse import quote

from .. import catalogue
from .prose import UntracedFigure, check_prose, plain_text, untraced_numbers
from . import reads
from .contract import FACT_CLASS, META_KEY, PARAMETER, VIEW, VIEW_HTML, cell_source

# plotly.js fetches a base map for every map, from its CDN (config.topojsonURL + name + ".json"), unless
# window.PlotlyGeoAssets holds it. The page's charts.js puts an empty one there (the governorates'
# shapes, inline in the figure, are all a map here draws); JupyterLab runs no script of ours, so the
# notebook's copy of a map's config names the same empty topology as a data: address, which is read
# without a request. The "/<name>.json" plotly.js appends falls in its #fragment, which a data: address ignores.
EMPTY_TOPOLOGY = {"type": "Topology", "objects": {}, "arcs": []}
OFFLINE_BASE_MAP = {"topojsonURL": "data:application/json,"
                    + quote(json.dumps(EMPTY_TOPOLOGY, separators=(",", ":")), safe="") + "#"}

# Inline styles: JupyterLab keeps them (a <style> element it drops from outputs it does not trust).
FIGURE = "background-color:#fff3b0;border-bottom:2px solid #b58a00;border-radius:2px;padding:0 2px;cursor:help"
UNRECORDED = "background-color:#ffd6d6;border-bottom:2px solid #c00000;border-radius:2px;padding:0 2px;cursor:help"
TITLE = "font-size:1.2em;font-weight:700;line-height:1.3;margin:0.5em 0 0.2em"
SUBTITLE = "color:#595959;margin:0 0 0.3em"
CAPTION = "color:#595959;font-size:0.9em;margin:0.3em 0"
WARNING = "border-left:4px solid #c00000;background-color:#fff0f0;padding:0.5em 0.75em;margin:0.25em 0"

_FACT = re.compile(rf'<span class="{FACT_CLASS}">(.*?)</span>', re.S)  # as storykit.facts.md writes a figure
_OTHER_FACT = re.compile(rf"""class=["'][^"']*\b{FACT_CLASS}\b""")  # any other element marked as one


# --- charts -------------------------------------------------------------------------------------------

def chart_view(caption: dict[str, str], recorded) -> tuple[dict, dict]:
    """The outputs above and below a chart's live figure, from the words of its page's figure
    (storykit.charts: "title", "subtitle", "table", "notes", "source", "boundary", "download", as HTML)."""
    def line(key: str, style: str) -> str:
        return f'<p style="{style}">{highlighted(caption[key], recorded)}</p>' if caption.get(key) else ""

    above = line("title", TITLE) + line("subtitle", SUBTITLE)
    below = "".join([caption.get("table", ""), line("notes", CAPTION), line("source", CAPTION),
                     line("boundary", CAPTION), line("download", CAPTION)])
    return (_bundle(above, [caption.get(k, "") for k in ("title", "subtitle")]),
            _bundle(below, [caption.get(k, "") for k in ("notes", "source", "boundary")]))


def _bundle(html: str, plain: list[str]) -> dict:
    return {"text/html": f'<div class="sk-view">{html}</div>', "text/plain": "\n".join(filter(None, map(plain_text, plain)))}


# --- prose ---------------------------------------------------------------------------------------------

def prose_view(markdown: str, recorded) -> dict:
    """The notebook's copy of a paragraph, beside its Markdown: its traced figures highlighted."""
    return {VIEW_HTML: highlighted(_renderer().render(markdown), recorded)}


@cache
def _renderer():
    from markdown_it import MarkdownIt  # quick to load; the page renders the Markdown itself

    return MarkdownIt("commonmark").enable("table")


def highlighted(html: str, recorded) -> str:
    """`html` with each figure storykit.facts marked highlighted, its tooltip saying what it counts and
    its source; a figure no fact recorded (a span written by hand) in red: the build refuses it."""
    recorded = list(recorded)
    left = list(recorded)  # in the order md() wrote them: the same text may count two things

    def mark(m: re.Match) -> str:
        text = unescape(m.group(1))
        record = next((r for r in left if r["text"] == text), None)
        if record is not None:
            left.remove(record)
        record = record or next((r for r in recorded if r["text"] == text), None)
        if record is None:
            return (f'<span class="{FACT_CLASS}" style="{UNRECORDED}" title="Marked as a figure, but no fact() '
                    f'recorded it: the page will not publish.">{m.group(1)}</span>')
        return f'<span class="{FACT_CLASS}" style="{FIGURE}" title="{escape(about(record))}">{m.group(1)}</span>'

    return _FACT.sub(mark, html)


def about(record: dict) -> str:
    """A figure's tooltip: what it counts, and where it comes from."""
    origins = [_origin(s) for s in record.get("source", [])]
    origin = "; ".join(origins) or "not a figure of the data"  # storykit.facts.noted: its reason is `what`
    headline = " · a headline figure, on the index" if record.get("headline") else ""
    return f"{record['what']} · {origin}{headline}"


def _origin(source: str) -> str:
    if source == PARAMETER:
        return "this page's setting"
    entry = catalogue.get(source)
    return f"{entry.publisher}, {entry.name} ({source})"


# --- what the build will refuse ---------------------------------------------------------------------------

def refusal(markdown: str, recorded, where: str, *, html: str | None = None, generated_ok: bool = False) -> str | None:
    """What the build will say when it refuses this prose (storykit.notebook.prose.check_prose), or None.

    `markdown` is the prose as written; `html` what the build checks, if not that Markdown as the build
    renders it (a chart's figure). Only prose with a number the rule may refuse, or a figure no fact
    recorded, is rendered and checked: prose without either would pass, and costs nothing more.
    """
    recorded = list(recorded)
    known = {r["text"] for r in recorded}
    rest = _FACT.sub(" ", markdown)
    if (not untraced_numbers(unescape(rest)) and not _OTHER_FACT.search(rest)
            and all(unescape(t) in known for t in _FACT.findall(markdown))):
        return None
    try:
        check_prose(_as_built(markdown) if html is None else html, recorded, where, generated_ok=generated_ok)
    except UntracedFigure as e:
        return str(e)
    return None


def _as_built(markdown: str) -> str:
    """Markdown as the build renders it to check it (storykit.site.pages): the same HTML, the same verdict."""
    from nbconvert.filters.markdown import markdown2html  # slow to load: only for prose that may be refused

    return markdown2html(markdown)


def warn(message: str | None) -> None:
    """Say under the cell that ran that the page will not publish, and why (outside IPython: on stderr)."""
    if not message:
        return
    if _shell() is None:
        print(f"This page will not publish. {message}", file=sys.stderr)
        return
    display_view({"text/html": f'<div class="sk-view" role="alert" style="{WARNING}"><strong>This page will not '
                               f'publish.</strong> {escape(message)}</div>',
                  "text/plain": f"This page will not publish. {message}"})


def warn_arabic(record: dict) -> None:
    """Say under the cell that ran that the page's Arabic edition will not publish, and why (an Arabic
    record with a `problem`, storykit.facts.Prose.arabic_record); the English page is not affected. Arabic
    not written yet ("missing") is left to the build and `storykit check` to name: a notebook written in
    English first is not covered in warnings."""
    if not (problem := record.get("problem")) or record.get("missing"):
        return
    head = "The Arabic edition of this page will not publish."
    if _shell() is None:
        print(f"{head} {problem}", file=sys.stderr)
        return
    display_view({"text/html": f'<div class="sk-view" role="alert" style="{WARNING}"><strong>{head}</strong> '
                               f'{escape(problem)}</div>', "text/plain": f"{head} {problem}"})


def display_view(bundle: dict) -> None:
    """Display an output only the notebook shows (its record's kind is VIEW); outside IPython, nothing."""
    if _shell() is None:
        return
    from IPython.display import display

    display(bundle, metadata={META_KEY: {"kind": VIEW}}, raw=True)


def _shell():
    ipython = sys.modules.get("IPython")  # never imported here: without IPython there is no notebook
    return ipython.get_ipython() if ipython is not None else None


# --- the notebook's Markdown cells -----------------------------------------------------------------------

SESSION = "JPY_SESSION_NAME"  # the notebook's path, set by Jupyter's server in each kernel it starts for one
_checked: set[str] = set()  # the Markdown cells' texts checked in this kernel: each is flagged once
_read: tuple = ()  # the notebook's (path, mtime, size) when last read: read again once saved again


def watch_markdown() -> None:
    """From now on, after each cell runs, flag the Markdown cells the build will refuse, in a kernel
    Jupyter's server started for a notebook. Never while the build makes a page: it checks them itself."""
    shell = _shell()
    if shell is None or not os.environ.get(SESSION):
        return
    if _after_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _after_cell)


def _after_cell(result=None) -> None:
    if reads.recording():  # the build is making a page in this kernel (storykit.notebook.session.begin_page)
        return
    for message in markdown_refusals(os.environ.get(SESSION, "")):
        warn(message)


def markdown_refusals(path: str) -> list[str]:
    """What the build will say of the Markdown cells of the notebook at `path`, as last saved, that was
    not said before in this kernel. Nothing if it cannot be read now (being saved, renamed, moved)."""
    global _read
    path = path if os.path.isabs(path) or os.path.isfile(path) else os.path.basename(path)  # relative to the server
    try:
        stat = os.stat(path)
        if (path, stat.st_mtime_ns, stat.st_size) == _read:
            return []
        with open(path, encoding="utf-8") as f:
            cells = json.load(f)["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    _read = (path, stat.st_mtime_ns, stat.st_size)
    from .contract import cell_label  # the build's own name for a cell: the reporter finds the same one

    messages = []
    for index, cell in enumerate(cells):
        text = cell_source(cell)
        if cell.get("cell_type") != "markdown" or text in _checked:
            continue
        _checked.add(text)
        where = f"{os.path.basename(path)}, {cell_label(SimpleNamespace(cells=cells), index)}, as last saved"
        if message := refusal(text, [], where):
            messages.append(message)
    return messages
