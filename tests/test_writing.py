"""Writing a story: values that are not figures (noted), figures typed by hand refused in notebook
cells, prose that writes out a date parameter refused by the build, and `storykit new`."""

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from storykit.errors import StorykitError
from storykit.facts import Noted, UntracedFigure, check_prose, fact, format_date, is_noted, md, noted
from storykit.site import index, pages
from storykit.site.checks import PageError
from storykit.site.config import Config, load_config
from storykit.site.new import new_story, story_notebook
from storykit.site.parameters import inject

from .conftest import REPO
from .test_pages import captured, notebook, page_output, say_output  # noqa: F401 (captured: a fixture)

WHY = "the made-up resolution's number"


# --- noted: numbers and dates that are not figures ------------------------------------------------

def test_a_noted_number_is_written_as_it_is_and_recorded_with_its_reason():
    n = noted(2254, why=WHY)
    assert isinstance(n, Noted) and str(n) == "2254"  # an identifier: no thousands separator
    prose = md("Under Resolution {r}, {d} died.", r=n, d=fact(1234, source="ucdp_country_year", what="deaths"))
    assert '<span class="fact">2254</span>' in prose.markdown and '<span class="fact">1,234</span>' in prose.markdown
    record = prose.facts[0]
    assert record == {"text": "2254", "value": 2254, "source": [], "what": WHY, "why": WHY, "headline": False}
    assert is_noted(record) and not is_noted(prose.facts[1])
    check_prose(pages._markdown(prose.markdown), list(prose.facts), "nb")  # traced: the page may show it
    assert str(noted(1234567, why=WHY, fmt=",")) == "1,234,567"


@pytest.mark.parametrize("value", [date(2016, 12, 30), datetime(2016, 12, 30, 23, 59), pd.Timestamp("2016-12-30"),
                                   "2016-12-30", " 30 December 2016 "])
def test_a_noted_date_is_shown_as_format_date_writes_it(value):
    n = noted(value, why="the day the made-up truce began")
    assert n.text() == "30 December 2016" == format_date(date(2016, 12, 30))
    record = md("From {d}.", d=n).facts[0]
    assert json.loads(json.dumps(record))["value"] in ("2016-12-30", "30 December 2016")


def test_format_date_writes_an_iso_day_given_as_text_as_a_date():
    assert format_date("2016-12-30") == "30 December 2016" and format_date("2016-13-45") == "2016-13-45"


@pytest.mark.parametrize("call, error, message", [
    (lambda: noted(2254, why=" "), StorykitError, r"noted\(2254, why=\.\.\.\) needs `why`: the words that say what"),
    (lambda: noted(True, why=WHY), TypeError, "must be a number, a date or text, not bool"),
    (lambda: noted(None, why=WHY), StorykitError, r"the value is missing \(NA\)"),
    (lambda: noted(float("nan"), why=WHY), StorykitError, r"the value is missing \(NA\)"),
    (lambda: noted(pd.NaT, why=WHY), StorykitError, r"the value is missing \(NA\)"),
    (lambda: noted(" ", why=WHY), StorykitError, "the value is empty"),
])
def test_noted_needs_a_reason_and_a_value(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_bare_date_in_prose_points_to_noted():
    with pytest.raises(TypeError, match=r"with noted\(value, why=\.\.\.\)"):
        md("on {d}", d=date(2016, 12, 30))


def test_the_page_lists_a_noted_value_with_its_reason_in_place_of_a_publisher(captured):
    nb = notebook([page_output(captured)], [say_output(captured, "Under Resolution {r}.", r=noted(2254, why=WHY))])
    page = pages.collect(nb, "nb")
    assert [f["text"] for f in page.headlines] == ["285,010"]
    html = pages.render(page, first_paint=False)
    assert f'<tr><td class="figure">2254</td><td>not a figure</td><td>{WHY}</td></tr>' in html.replace("&#39;", "'")
    assert pages.publishers(noted(2254, why=WHY).record()) == WHY


def test_the_index_never_heads_with_a_noted_value(tmp_path):
    version = tmp_path / ".site" / "v1"
    version.mkdir(parents=True)
    (version / "toll.html").write_text("<!doctype html><p>the page</p>", encoding="utf-8")
    figure = fact(285010, source="ucdp_country_year", what="battle deaths", headline=True).record()
    forced = noted(2254, why=WHY).record() | {"headline": True}  # even a record that claims to be one
    manifest = {"toll.html": {"title": "The toll", "summary_html": "<p>A made-up toll.</p>", "as_of": "2016",
                              "sources": ["ucdp_country_year"], "facts": [figure, forced], "charts": 0, "group": None}}
    config = Config(intro="A made-up story.", cell_timeout=60, kernel="python3",
                    reports=[{"name": "toll", "notebook": "toll.ipynb"}])
    html = index.index_html(config, manifest, version, None, [])
    assert '<span class="fact">285,010</span>' in html and "2254" not in html


# --- a figure typed by hand into fact() in a notebook cell ------------------------------------------

@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """IPython's own shell, in this process: cells are compiled and cached as in a notebook's kernel."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config as Traits

    traits = Traits()
    traits.HistoryManager.enabled = False  # no history database shared with anything else
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
        sh = InteractiveShell.instance(config=traits)
        sh.run_cell("from storykit.facts import fact, noted, people\nimport pandas as pd")
        yield sh
        InteractiveShell.clear_instance()


def run(shell, source: str):
    result = shell.run_cell(source, silent=True)
    return result.error_in_exec


@pytest.mark.parametrize("source, written", [
    ('fact(71970, source="ucdp_country_year", what="deaths")', "71970"),
    ('x = 1\nd = fact(\n    -5,\n    source="ucdp_country_year", what="deaths")', "-5"),
    ('fact(12 * 7 + 0.5, source="ucdp_country_year", what="deaths")', "12 * 7 + 0.5"),
    ('fact(value=3, source="ucdp_country_year", what="deaths")', "3"),
    ('people(int(2000), "refugees", "unhcr_population")', "int(2000)"),
    ('print(f"{fact(44829, source=\'ucdp_country_year\', what=\'deaths\')}")', "44829"),
])
def test_a_figure_typed_by_hand_in_a_cell_is_refused_saying_what_to_do(shell, source, written):
    error = run(shell, source)
    assert isinstance(error, UntracedFigure), error
    message = str(error)
    assert f"({written}, ...) on line " in message and f"{written} is typed by hand" in message
    assert "Compute it from the data" in message and f"noted({written}, why=" in message


@pytest.mark.parametrize("source", [
    'fact(int(pd.Series([3, 4]).sum()), source="ucdp_country_year", what="deaths")',
    'table = pd.DataFrame({"deaths": [3, 4]})\npeople(table["deaths"].sum(), "deaths", "ucdp_country_year")',
    'def deaths(v):\n    return fact(int(v), source="ucdp_country_year", what="deaths")\ndeaths(7)',
    'noted(2254, why="the made-up resolution\'s number")',
])
def test_a_figure_computed_in_a_cell_and_a_noted_value_pass(shell, source):
    assert run(shell, source) is None


def test_outside_a_notebook_cell_fact_takes_any_value():
    assert str(fact(71970, source="ucdp_country_year", what="deaths")) == "71,970"


# --- prose that writes out a date parameter ----------------------------------------------------------

def story(*cells, day="2016-12-30") -> nbformat.NotebookNode:
    params = new_code_cell(f'ceasefire = "{day}"  # the made-up truce\nwindow = 7')
    params.metadata["tags"] = ["parameters"]
    return new_notebook(cells=[params, *cells])


@pytest.mark.parametrize("cell, written", [
    (new_markdown_cell("The truce began at midnight on 30 December\n2016, a week late."), "30 December\n2016"),
    (new_markdown_cell("The truce began on 2016-12-30."), "2016-12-30"),
    (new_markdown_cell("The truce began on December 30, 2016."), "December 30, 2016"),
    (new_code_cell('say("The truce began on 30th Dec. 2016, with {n} dead.", n=n)'), "30th Dec. 2016"),
    (new_code_cell('page(title="A truce", as_of=2017, summary=f"From {x} to December 30 2016.")'),
     "December 30 2016"),
    (new_code_cell('show(fig, data, title="Deaths", source="s", notes=md("Cease-fire: " "30 December 2016."))'),
     "30 December 2016"),
])
def test_prose_that_writes_out_a_date_parameter_is_refused(cell, written):
    with pytest.raises(PageError) as caught:
        pages.collect(story(new_markdown_cell("## Before"), cell), "notebooks/truce.ipynb")
    message = str(caught.value)
    assert message.startswith("notebooks/truce.ipynb, cell 3 (\u201c")
    assert f"writes out the date of the parameter `ceasefire` (2016-12-30) as \u201c{written}\u201d" in message
    assert 'say("... {ceasefire} ...", ceasefire=format_date(ceasefire))' in message
    if cell.cell_type == "markdown":
        assert "turn the paragraph into a say() in a code cell" in message


def test_the_value_a_build_injected_counts_too():
    nb = inject(story(new_markdown_cell("The truce began on 1 March 2017.")), {"ceasefire": "2017-03-01"})
    with pytest.raises(PageError, match=r"cell 2 .*parameter `ceasefire` \(2017-03-01\) as \u201c1 March 2017\u201d"):
        pages.collect(nb, "nb")


@pytest.mark.parametrize("text", [
    "In December 2016, a truce; on 31 December 2016, another day; 130 December 2016 is no date; 2016-12-301.",
    "We compared 7 days.",  # only dates: other parameters' values are figures, traced by the facts' rule
    'say("The truce began on {cf}.", cf=format_date(ceasefire))  # 30 December 2016, in a comment',
])
def test_other_dates_and_fields_pass(text):
    cell = new_code_cell(text) if text.startswith("say(") else new_markdown_cell(text)
    nb = story(cell)
    pages.refuse_written_parameters(cell, "nb", pages.date_parameters(nb))


def test_the_repository_notebooks_take_their_dates_from_their_parameters():
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        days = pages.date_parameters(nb)
        for i, cell in enumerate(nb.cells):
            pages.refuse_written_parameters(cell, f"{path.name}, cell {i + 1}", days)
    assert pages.date_parameters(nbformat.read(REPO / "notebooks" / "truce.ipynb", as_version=4))


# --- storykit new NAME ---------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path) -> Path:
    """The repository's reports.toml (with its comments) and notebooks, in a folder of its own."""
    shutil.copy(REPO / "reports.toml", tmp_path)
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def test_new_story_makes_a_notebook_and_appends_it_to_reports_toml(project):
    before = (project / "reports.toml").read_text(encoding="utf-8")
    said = []
    path = new_story(project, "aleppo-notes", log=said.append)
    assert path == project / "notebooks" / "aleppo-notes.ipynb"
    after = (project / "reports.toml").read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before):] == (
        '\n[[reports]]\nname = "aleppo-notes"\nnotebook = "aleppo-notes.ipynb"\n')
    assert load_config(project).names[-1] == "aleppo-notes"
    nb = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source)
                                                           for c in story_notebook("aleppo-notes").cells]
    assert nb.cells[0].metadata.tags == ["parameters"] and not any(c.get("outputs") for c in nb.cells)
    assert said == ["made notebooks/aleppo-notes.ipynb and added it to reports.toml; open it in JupyterLab "
                    "(.venv/bin/jupyter lab notebooks/aleppo-notes.ipynb), write your story, and publish it "
                    "with `storykit build aleppo-notes`"]


@pytest.mark.parametrize("name, message", [
    ("truce", r"There is already a report called 'truce' in reports.toml; choose another name\."),
    ("Aleppo Notes", r"'Aleppo Notes' cannot name a report: .* hyphens between words\. Did you mean 'aleppo-notes'\?"),
    ("Été_deux", r"cannot name a report: .* Did you mean 'ete-deux'\?"),
    ("Truce", r"'Truce' cannot name a report: .* between words\.$"),  # no suggestion of a name that is taken
    ("index", r"'index' is the name of the site's own index page"),
])
def test_new_story_refuses_a_name_saying_why(project, name, message):
    before = (project / "reports.toml").read_text(encoding="utf-8")
    with pytest.raises(StorykitError, match=message):
        new_story(project, name, log=lambda _: None)
    assert (project / "reports.toml").read_text(encoding="utf-8") == before


def test_new_story_refuses_a_notebook_that_exists_unregistered(project):
    (project / "notebooks" / "draft.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(StorykitError, match=r"draft.ipynb already exists, though reports.toml lists no report "
                                            r"'draft': add it to reports.toml by hand, or choose another name"):
        new_story(project, "draft", log=lambda _: None)


def test_a_new_story_builds_and_the_index_lists_it(project, processed, monkeypatch):
    from storykit.site.build import build

    (project / "data").mkdir()
    (project / "data" / "processed").symlink_to(processed, target_is_directory=True)
    monkeypatch.setenv("STORYKIT_HOME", str(project))
    new_story(project, "aleppo-notes", log=lambda _: None)
    assert "aleppo-notes.html" in build(["aleppo-notes"], log=lambda _: None)
    page = (project / "reports" / "aleppo-notes.html").read_text(encoding="utf-8")
    assert 'class="sk-chart"' in page and '<span class="fact">' in page
    assert '<a href="aleppo-notes.html">' in (project / "reports" / "index.html").read_text(encoding="utf-8")
