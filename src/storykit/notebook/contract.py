"""The contract between a notebook's outputs and the build, defined once for both sides.

A storykit output carries its record under META_KEY in the output's metadata ({"kind": one of
KINDS, "facts": [...], ...}); a chart's output holds Plotly's JSON under PLOTLY_MIME and the HTML
of CHART_HTML; a traced figure is a <span class=FACT_CLASS>; text the build wrote from data or the
catalogue carries GENERATED_CLASS. Parameters live in the cell tagged PARAMETERS_TAG, and the
build injects its own in a cell tagged INJECTED_TAG. What only the notebook shows (VIEW) the build
reads past (`for_the_page`). Standard library only.
"""

import hashlib
import itertools
import json
import re

META_KEY = "storykit"
SITE_NAME = "Syria's war in numbers"  # the site's title, and the credit on every picture of a chart
PLOTLY_MIME = "application/vnd.plotly.v1+json"
KINDS = ("page", "prose", "chart")
PARAMETER = "parameter"  # the source of a figure the reader chose, such as a window in days
FACT_CLASS = "fact"
GENERATED_CLASS = "sk-generated"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
CHECKED_TAG = "nbval-check-output"  # key figures printed for the tests (nbval), never for readers
# What only the reporter sees in the notebook (storykit.notebook.view), never a reader: an output whose
# record's kind is VIEW (a chart's title, notes and data link around JupyterLab's live figure; a warning
# that the page will not publish), and VIEW_HTML beside the text/markdown of a "prose" or "page" output
# (its figures highlighted; JupyterLab shows HTML before Markdown, and so would the page).
VIEW = "view"
VIEW_HTML = "text/html"

# A chart's HTML: <figure class=CHART_CLASS> holding <div class=PLOT_CLASS id=ID> (drawn by the
# page's charts.js from <script type="application/json" id=ID-json>), ID-title and ID-desc.
CHART_CLASS = "sk-chart"
PLOT_CLASS = "sk-plot"
STATIC_CLASS = "storykit-static"  # the first paint's picture inside the plot div
DATA_SUFFIX, TITLE_SUFFIX, DESCRIPTION_SUFFIX = "-json", "-title", "-desc"
_PLOT = re.compile(rf'<div class="{PLOT_CLASS}" id="([^"]+)"')
_charts = itertools.count(1)


def next_chart() -> int:
    """The number of the next chart on the page (an id is its title's slug and this number)."""
    return next(_charts)


def restart_charts() -> None:
    global _charts
    _charts = itertools.count(1)


def plot_id(html: str) -> str:
    """The id of the plot div in a chart's HTML."""
    return _PLOT.search(html).group(1)


def geometry_key(geojson: dict) -> str:
    """The name map shapes go by in a page's JSON and the site's assets (assets/<key>.js): their hash."""
    text = json.dumps(geojson, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "geo-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def for_the_page(outputs) -> list:
    """A code cell's outputs as the build reads them: without what only the notebook shows (VIEW)."""
    kept = []
    for out in outputs:
        kind = (out.get("metadata", {}).get(META_KEY) or {}).get("kind")
        if kind == VIEW:
            continue
        if kind in ("prose", "page") and VIEW_HTML in out.get("data", {}):
            data = {k: v for k, v in out["data"].items() if k != VIEW_HTML}
            out = type(out)({**out, "data": type(out["data"])(data)})  # a copy: the notebook keeps its view
        kept.append(out)
    return kept


def cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def parameters_index(cells) -> int | None:
    """The position of the code cell tagged `parameters`, or None."""
    return next((i for i, c in enumerate(cells) if c.get("cell_type") == "code" and PARAMETERS_TAG in tags(c)), None)


def is_injected(cell) -> bool:
    return INJECTED_TAG in tags(cell)


def cell_label(nb, index: int) -> str:
    """'cell 3 (“first words…”)': the position in the notebook as the reporter wrote it, without the
    injected cell, and the start of the cell so it can be found."""
    cell = nb.cells[index]
    if is_injected(cell):
        return "the parameters the build injected"
    injected = sum(map(is_injected, nb.cells[:index]))
    first = next((line.strip() for line in cell_source(cell).splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:49] + "\u2026"
    return f"cell {index + 1 - injected} (\u201c{first}\u201d)"
