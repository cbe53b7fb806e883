"""The notebook's view of a page (storykit.notebook.view): in JupyterLab a chart shows its title, notes,
source and data link around the live figure, a map draws offline, traced figures stand out, and a number
the build will refuse is named when its cell runs. The build reads past all of it: the pages are the same.

Cells run for real: in IPython's own shell in this process (what each cell displays captured as a kernel
would send it), in a real kernel through nbclient, and in the build's kernels (the synthetic site)."""

import base64
import io
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import plotly
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from storykit import catalogue
from storykit.facts import RULE, UntracedFigure
from storykit.notebook import reads, view
from storykit.notebook.contract import META_KEY, PLOTLY_MIME, VIEW, VIEW_HTML
from storykit.site import pages
from storykit.notebook.contract import cell_label
from .browser import browser, needs_chromium, serve  # noqa: F401 (a fixture)
from .synthetic_site import PLACES, squares

IMPORTS = ("import plotly.express as px\n"
           "from storykit.charts import choropleth, show\n"
           "from storykit.facts import fact, md, page, say")
PAGE = ('page(title="The toll", summary="UCDP counted {n}.", as_of=2016,\n'
        '     n=fact(int(toll.deaths.sum()), source="ucdp_country_year", what="deaths in all", headline=True))')
LINE = ('show(px.line(toll, x="year", y="deaths"), toll, title=md("At worst {n} deaths", n=worst),\n'
        '     subtitle="Deaths a year", notes="Best estimates.", source="ucdp_country_year")')
MAP = ('show(choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016",\n'
       '                animation_frame="year"), people, title="People by place", source="unhcr_population")')


@pytest.fixture
def toll():
    return pd.DataFrame({"year": [2011, 2012, 2013], "deaths": [5, 7, 11]})  # made up


@pytest.fixture
def people():
    return pd.DataFrame([{"year": y, "pcode": c, "people": 10 * (i + 1) + y - 2000} for y in (2015, 2016)
                         for i, c in enumerate(PLACES)])


@pytest.fixture
def shell(tmp_path, monkeypatch, toll, people):
    """IPython's shell in this process, as a kernel has it, with no notebook server behind it."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv(view.SESSION, raising=False)
    monkeypatch.setattr(view, "_checked", set())
    monkeypatch.setattr(view, "_read", ())
    config = Config()
    config.HistoryManager.enabled = False
    sh = InteractiveShell.instance(config=config)
    sh.user_ns.update(toll=toll, people=people, squares=squares)
    yield sh
    InteractiveShell.clear_instance()


def run(shell, code: str) -> list:
    """Run a cell; what it displayed, as the notebook keeps it."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        shell.run_cell(code).raise_error()
    return [new_output("display_data", data=o.data, metadata=o.metadata) for o in captured.outputs]


def kind(out) -> str | None:
    return out.get("metadata", {}).get(META_KEY, {}).get("kind")


def kinds(outputs) -> list:
    return [kind(o) for o in outputs]


def as_before(nb):
    """The notebook as the build got it before the notebook's view: no VIEW output, no VIEW_HTML in prose."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if kind(o) != VIEW]
            for o in cell.outputs:
                if kind(o) in ("prose", "page"):
                    o.data = {k: v for k, v in o.data.items() if k == "text/markdown"}
    return nb


def notebook(*cells) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_markdown_cell(c) if isinstance(c, str) else new_code_cell("", outputs=list(c))
                               for c in cells])


def between(html: str, start: str, end: str) -> str:
    return re.search(re.escape(start) + "(.*?)" + re.escape(end), html, re.S).group(1)


# --- a chart -----------------------------------------------------------------------------------------


def test_show_puts_what_the_page_says_around_the_live_figure(shell, toll):
    run(shell, IMPORTS + '\nworst = fact(int(toll.deaths.max()), source="ucdp_country_year", what="deaths at worst")')
    outputs = run(shell, LINE)
    assert kinds(outputs) == [VIEW, "chart", VIEW]  # above, the figure JupyterLab draws, below
    above, chart, below = (o.data for o in outputs)
    page_html = chart["text/html"]
    # Above: the title (its figure traced and named) and the subtitle, in the page's words.
    assert above["text/plain"].splitlines() == [f"At worst {toll.deaths.max()} deaths", "Deaths a year"]
    mark = re.search(r'<span class="fact" style="([^"]+)" title="([^"]+)">(\d+)</span>', above["text/html"])
    assert mark and mark.group(1) == view.FIGURE and mark.group(3) == str(toll.deaths.max())
    ucdp = catalogue.get("ucdp_country_year")
    assert "deaths at worst" in mark.group(2) and ucdp.publisher in mark.group(2) and ucdp.name in mark.group(2)
    # Below: the table, the notes, the source line and the data link, as the page has them.
    source = between(page_html, '<p class="sk-source sk-generated">', "</p>")
    assert source.startswith("Source: ") and source in below["text/html"]
    assert "Best estimates." in below["text/html"] and "<details" in below["text/html"]
    link = between(page_html, '<p class="sk-download sk-generated">', " <button")
    assert link in below["text/html"] and 'download="at-worst-' in link
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', below["text/html"]).group(1)
    assert pd.read_csv(io.StringIO(base64.b64decode(href).decode("utf-8"))).equals(toll)
    # The build's output is the one it always was; a chart that is no map needs no base map.
    assert set(chart) == {PLOTLY_MIME, "text/html", "text/plain"} and "topojsonURL" not in chart[PLOTLY_MIME]["config"]


def test_the_build_reads_past_the_notebook_view_and_names_none_of_it_left_out(shell):
    run(shell, IMPORTS + '\nworst = fact(int(toll.deaths.max()), source="ucdp_country_year", what="deaths at worst")')
    nb = notebook(run(shell, PAGE), "## Later\n\nSince 2016, things changed.",
                  run(shell, 'say("At worst, {n} died.", n=worst)'), run(shell, LINE),
                  run(shell, MAP), run(shell, 'from storykit.notebook import view\nview.warn("a test warning")'))
    assert kinds([o for c in nb.cells if c.cell_type == "code" for o in c.outputs]).count(VIEW) == 5
    made = pages.collect(nb, "nb")
    assert made == pages.collect(as_before(nb), "nb")  # the same page, field by field
    assert made.left_out == [] and made.charts == 2
    assert not re.search(r"sk-view|title=\"[^\"]*deaths at worst|" + re.escape(view.FIGURE), made.body)
    assert '<div class="sk-prose">' in made.body  # the paragraph as its Markdown, not the notebook's HTML
    assert any(VIEW_HTML in o.data for o in nb.cells[2].outputs)  # the notebook keeps its own view


def test_the_built_site_is_made_from_notebooks_with_the_view_and_pages_without(synthetic_site):
    folder = synthetic_site / "build" / "executed"
    executed = [nbformat.read(p, as_version=4) for p in sorted(folder.rglob("*.ipynb"))]
    outputs = [o for nb in executed for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert VIEW in kinds(outputs)  # the build's kernels showed the notebook's view too ...
    assert all(VIEW_HTML in o.data for o in outputs if kind(o) in ("prose", "page"))
    for nb in executed:  # ... and made each page as it was made without it
        assert pages.collect(nb, "nb") == pages.collect(as_before(nb), "nb")
    for page_html in (synthetic_site / "reports").rglob("*.html"):
        text = page_html.read_text(encoding="utf-8")
        assert "sk-view" not in text and view.FIGURE not in text and "topojsonURL" not in text


# --- a map, offline, as JupyterLab draws it ------------------------------------------------------------

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# What JupyterLab's plotly renderer (jupyterlab-plotly's RenderedPlotly.createGraph) does with an output.
RENDERER = """async (spec) => {
  const {data, layout, frames, config} = spec;
  if (!layout.height) layout.height = 360;
  const node = document.getElementById("output");
  try {
    await Plotly.react(node, data, layout, config);
    if (frames) await Plotly.addFrames(node, frames);
    await Plotly.toImage(node, {format: "png", width: node.offsetWidth, height: node.offsetHeight});
  } catch (e) {
    return {error: String(e), shapes: []};
  }
  return {error: null, shapes: [...node.querySelectorAll("path.choroplethlocation")].map(p => p.getAttribute("d"))};
}"""


def test_jupyterlab_draws_the_same_plotly_js_the_test_loads():
    lab = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-plotly" / "package.json"
    if not lab.is_file():
        pytest.skip("jupyterlab-plotly is not installed")
    banner = re.search(r"plotly\.js v(\S+)", PLOTLY_JS.read_text(encoding="utf-8")[:200]).group(1)
    assert json.loads(lab.read_text(encoding="utf-8"))["dependencies"]["plotly.js"] == banner


def jupyterlab_draws(browser, folder: Path, spec: dict) -> tuple[dict, list[str]]:
    """The output's Plotly JSON drawn in Chromium as JupyterLab draws it, from a local server; what was
    drawn, and every request to any other address (refused)."""
    folder.mkdir(exist_ok=True)
    shutil.copy(PLOTLY_JS, folder / "plotly.min.js")
    (folder / "index.html").write_text('<!doctype html><html lang="en"><head><meta charset="utf-8"><script '
                                       'src="plotly.min.js"></script></head><body style="width:800px"><div '
                                       'id="output"></div></body></html>', encoding="utf-8")
    outside = []
    with serve(folder) as url:
        context = browser.new_context(viewport={"width": 900, "height": 900})
        try:
            context.route("**", lambda r: r.continue_() if r.request.url.startswith((url, "data:", "blob:"))
                          else (outside.append(r.request.url), r.abort()))
            page = context.new_page()
            page.goto(url + "index.html")
            drawn = page.evaluate(RENDERER, spec)
        finally:
            context.close()
    return drawn, outside


@needs_chromium
def test_in_chromium_a_map_draws_in_jupyterlab_with_its_own_shapes_and_nothing_fetched(shell, browser, tmp_path):
    run(shell, IMPORTS)
    spec = next(o.data[PLOTLY_MIME] for o in run(shell, MAP) if PLOTLY_MIME in o.data)
    drawn, outside = jupyterlab_draws(browser, tmp_path / "offline", spec)
    assert drawn["error"] is None and outside == []
    assert len(drawn["shapes"]) == len(PLACES) and all(len(d) > 20 for d in drawn["shapes"])
    # Without the notebook's config plotly.js asks its CDN for a base map, and the map is not drawn.
    bare = spec | {"config": {k: v for k, v in spec["config"].items() if k != "topojsonURL"}}
    drawn, outside = jupyterlab_draws(browser, tmp_path / "online", bare)
    assert "topojson" in drawn["error"] and outside and all(u.startswith("https://cdn.plot.ly/") for u in outside)


# --- traced figures ------------------------------------------------------------------------------------


def test_traced_figures_stand_out_in_the_notebook_naming_what_they_count_and_their_source(shell, toll):
    run(shell, IMPORTS)
    (title,) = run(shell, PAGE)
    (prose,) = run(shell, 'say("Over {w} days, {n} died.", w=fact(len(toll), source="parameter", what="days shown"),\n'
                          '    n=fact(int(toll.deaths.sum()), source="ucdp_country_year", what="deaths in all"))')
    total = f"{toll.deaths.sum():,}"
    assert prose.data["text/markdown"] == (f'Over <span class="fact">{len(toll)}</span> days, '
                                           f'<span class="fact">{total}</span> died.')  # what the page renders
    marks = re.findall(r'<span class="fact" style="([^"]+)" title="([^"]+)">([^<]+)</span>', prose.data[VIEW_HTML])
    ucdp = catalogue.get("ucdp_country_year")
    assert [(style, text) for style, _, text in marks] == [(view.FIGURE, str(len(toll))), (view.FIGURE, total)]
    assert marks[0][1] == "days shown · this page&#x27;s setting"
    assert marks[1][1].startswith("deaths in all · ") and ucdp.publisher in marks[1][1]
    page_mark = re.search(r'<span class="fact" style="[^"]+" title="([^"]+)">', title.data[VIEW_HTML]).group(1)
    assert page_mark.endswith("a headline figure, on the index") and "<h1>The toll</h1>" in title.data[VIEW_HTML]
    # A figure marked by hand, which no fact() recorded, is shown as the build will see it: refused.
    forged = run(shell, 'say(\'<span class="fact">3</span> died.\')')
    assert kinds(forged) == ["prose", VIEW] and view.UNRECORDED in forged[0].data[VIEW_HTML]
    assert "marked as facts but no fact with that text was recorded" in forged[1].data["text/plain"]


# --- numbers the build will refuse ------------------------------------------------------------------------


def test_an_untraced_number_is_named_when_its_cell_runs_and_the_build_still_refuses_it(shell):
    run(shell, IMPORTS)
    start = run(shell, PAGE)
    outputs = run(shell, 'say("In all, 500 died in {p}.", p="Northland")')
    assert kinds(outputs) == ["prose", VIEW]
    warning = outputs[1].data
    assert warning["text/plain"].startswith("This page will not publish. This paragraph: untraced figure(s)")
    assert "'500'" in warning["text/plain"] and RULE in warning["text/plain"]
    assert 'role="alert"' in warning["text/html"] and "&#x27;500&#x27;" in warning["text/html"]
    with pytest.raises(UntracedFigure, match="untraced figure\\(s\\) in the prose: '500'"):
        pages.collect(notebook(start, outputs), "nb")
    # Years, dates and traced figures pass, and say nothing.
    assert kinds(run(shell, 'say("From 2011 to 30 December 2016, {n} died.", n=fact(int(toll.deaths.sum()), '
                            'source="ucdp_country_year", what="deaths"))')) == ["prose"]
    # A chart's notes are prose too.
    chart = run(shell, 'show(px.line(toll, x="year", y="deaths"), toll, title="Deaths", notes="About 500 a year.",\n'
                       '     source="ucdp_country_year")')
    assert kinds(chart) == [VIEW, "chart", VIEW, VIEW] and "'500'" in chart[-1].data["text/plain"]
    with pytest.raises(UntracedFigure, match="'500'"):
        pages.collect(notebook(start, chart), "nb")


def save(path: Path, *markdown: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(IMPORTS), new_code_cell(PAGE)] + [new_markdown_cell(m) for m in markdown])
    nbformat.write(nb, path)
    return nb


def warnings_in(outputs) -> list[str]:
    return [o.data["text/plain"] for o in outputs if kind(o) == VIEW]


def test_a_markdown_cell_the_build_will_refuse_is_named_once_from_the_notebook_as_saved(shell, tmp_path, monkeypatch):
    path = tmp_path / "story.ipynb"
    nb = save(path, "## Later\n\nSince 2016, things changed.", "About 500 of them fled.")
    monkeypatch.setenv(view.SESSION, str(path))  # as Jupyter's server sets it in a notebook's kernel
    run(shell, IMPORTS)
    (warning,) = warnings_in(run(shell, PAGE))  # page() starts the watch; after the cell, the notebook is read
    assert warning.startswith(f"This page will not publish. story.ipynb, {cell_label(nb, 3)}, as last saved: "
                              "untraced figure(s) in the prose: '500'")
    assert warnings_in(run(shell, "x = 1")) == []  # once
    nb = save(path, "## Later\n\nSince 2016, things changed.", "About 500 of them fled.", "Then 700 more.")
    (warning,) = warnings_in(run(shell, "x = 2"))  # saved again: only the new cell is news
    assert f"{cell_label(nb, 4)}, as last saved" in warning and "'700'" in warning and "'500'" not in warning
    save(path, "And 900 more.")
    reads.start(str(tmp_path))  # what the build does before a page's first cell: it checks Markdown itself
    try:
        assert warnings_in(run(shell, "x = 3")) == []
    finally:
        reads.stop()


def test_without_a_notebook_server_markdown_cells_are_left_to_the_build(shell, tmp_path):
    save(tmp_path / "story.ipynb", "About 500 of them fled.")
    run(shell, IMPORTS)
    assert warnings_in(run(shell, PAGE) + run(shell, "x = 1")) == []
    assert view._after_cell not in shell.events.callbacks["post_run_cell"]


def test_in_a_real_kernel_a_notebook_shows_its_view_and_flags_its_markdown(tmp_path, monkeypatch, toll):
    from nbclient import NotebookClient

    toll.to_csv(tmp_path / "toll.csv", index=False)
    cells = [new_code_cell("import pandas as pd\n" + IMPORTS + "\ntoll = pd.read_csv('toll.csv')\n" + PAGE),
             new_markdown_cell("About 500 of them fled."),
             new_code_cell('worst = fact(int(toll.deaths.max()), source="ucdp_country_year", what="deaths at worst")\n'
                           'say("At worst, {n} died.", n=worst)'),
             new_code_cell(LINE)]
    path = tmp_path / "story.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    monkeypatch.setenv(view.SESSION, str(path))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    first, _, prose, chart = (c.get("outputs", []) for c in nb.cells)
    assert kinds(first) == ["page", VIEW] and f"{cell_label(nb, 1)}, as last saved" in first[1].data["text/plain"]
    assert kinds(prose) == ["prose"] and view.FIGURE in prose[0].data[VIEW_HTML]
    assert kinds(chart) == [VIEW, "chart", VIEW] and "Best estimates." in chart[2].data["text/html"]
    with pytest.raises(UntracedFigure, match="'500'"):  # the build refuses the cell it named
        pages.collect(nb, "story.ipynb")
