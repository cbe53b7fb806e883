"""`storykit new NAME`: a new story, ready to build, that a reporter then rewrites.

It makes notebooks/NAME.ipynb, which runs as it is on the processed tables: a parameters cell, the
imports, a page() declaration, a traced sentence and a chart in the house style, with no figure
typed by hand; and it registers the notebook in reports.toml, appended as text so that the file's
comments stay. `storykit build NAME` then publishes NAME.html, and the index lists it.
"""

import unicodedata
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..atomic import write_text
from ..errors import StorykitError
from ..notebook.contract import PARAMETERS_TAG
from ..paths import slug
from .config import CONFIG, load_config

RESERVED = {"index"}  # index.html is the site's own page

# The story it starts from: UCDP's battle deaths by year (the processed table deaths_national).
# Every figure is computed from the table; the parameter is the reporter's choice, traced as one.
CELLS = [
    ("parameters", """
        # Parameters: a build may set them (reports.toml, or `storykit build {name} -p years VALUE`).
        years = 10  # how many of the latest years the chart shows
    """),
    ("code", """
        import plotly.express as px

        from storykit import data
        from storykit.charts import show
        from storykit.facts import PARAMETER, fact, md, page, say

        # The processed tables are listed in data/processed/datapackage.json; read them only through data.table.
        TABLE = "deaths_national"
        SOURCE = data.sources(TABLE)  # the catalogue ids the table was made from: every fact and chart names them
        toll = data.table(TABLE)
        shown = toll[toll["year"] > toll["year"].max() - years][["year", "deaths_best"]]
        first, last = int(shown["year"].min()), int(shown["year"].max())
        total = fact(int(shown["deaths_best"].sum()), source=SOURCE, headline=True,
                     what=f"battle deaths in Syria, {first}–{last} (UCDP best estimate)",
                     what_ar=f"قتلى المعارك في سوريا، {first}–{last} (التقدير الأرجح لبرنامج أوبسالا)")
        # Every text has its Arabic beside it, with the same {fields}; the chart's strings are in AR.
        AR = {"Battle deaths": "قتلى المعارك", "year": "السنة", "deaths_best": "قتلى المعارك (التقدير الأرجح)"}

        # Once, near the top: the page's title, its summary (at most three figures) and the date the data runs to.
        page(title="Battle deaths in Syria, year by year", title_ar="قتلى المعارك في سوريا، سنة بعد سنة", as_of=last,
             summary="UCDP counted {total} battle deaths in Syria from {a} to {b}.",
             summary_ar="أحصى برنامج أوبسالا لبيانات النزاعات (UCDP) {total} من قتلى المعارك في سوريا من {a} إلى {b}.",
             total=total, a=str(first), b=str(last))
    """),
    ("markdown", "## Year by year"),
    ("markdown", "## سنة بعد سنة"),
    ("code", """
        worst = shown.loc[shown["deaths_best"].idxmax()]
        say("The deadliest of these years was {year}, with {deaths} battle deaths.",
            "كان عام {year} أكثر هذه السنوات دموية، إذ بلغ عدد قتلى المعارك فيه {deaths}.",
            year=str(int(worst["year"])),
            deaths=fact(int(worst["deaths_best"]), source=SOURCE, what=f"battle deaths in {int(worst['year'])}"))
        fig = px.bar(shown, x="year", y="deaths_best", labels={"year": "", "deaths_best": "Battle deaths"})
        show(fig, shown, title=md("Battle deaths in Syria each year", "قتلى المعارك في سوريا كل عام"), source=SOURCE,
             subtitle=md("The last {n} years of UCDP's yearly table, best estimate",
                         "السنوات الـ{n} الأخيرة في جدول UCDP السنوي، التقدير الأرجح",
                         n=fact(years, source=PARAMETER, what="years the chart shows")), words=AR)
    """),
]


def new_story(root: Path, name: str, log=print) -> Path:
    """Make notebooks/NAME.ipynb in the project at `root` and register it in reports.toml; returns the
    notebook's path. Refuses a name that is no usable slug, or that a report or notebook already has."""
    root = Path(root)
    config_path = root / CONFIG
    existing = load_config(root).names  # also: reports.toml is there and reads
    notebook = root / "notebooks" / f"{name}.ipynb"
    _check_name(name, existing, notebook)
    notebook.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(story_notebook(name), notebook)  # storykit's own writer, as the repository's notebooks are
    text = config_path.read_text(encoding="utf-8")
    entry = f'[[reports]]\nname = "{name}"\nnotebook = "{name}.ipynb"\n'
    write_text(text + ("" if text.endswith("\n") or not text else "\n") + "\n" + entry, config_path)
    log(f"made notebooks/{name}.ipynb and added it to reports.toml; open it in JupyterLab "
        f"(.venv/bin/jupyter lab notebooks/{name}.ipynb), write your story, and publish it with "
        f"`storykit build {name}`")
    return notebook


def _check_name(name: str, existing: list[str], notebook: Path) -> None:
    if name in existing:
        raise StorykitError(f"There is already a report called {name!r} in reports.toml; choose another name.")
    if name in RESERVED:
        raise StorykitError(f"{name!r} is the name of the site's own index page; choose another name.")
    if slug(name) != name:
        # The name as a slug, accents dropped ("Été 2017" -> "ete-2017"): did_you_mean's fuzzy match
        # would not find it, the closest spelling being one no report has yet.
        fixed = slug(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
        hint = f" Did you mean {fixed!r}?" if fixed and fixed not in existing and fixed not in RESERVED else ""
        raise StorykitError(f"{name!r} cannot name a report: it names the notebook notebooks/NAME.ipynb and the "
                            "page NAME.html, so write it in lower-case letters and digits, with hyphens between "
                            f"words.{hint}")
    if notebook.exists():
        raise StorykitError(f"{notebook} already exists, though reports.toml lists no report {name!r}: add it to "
                            "reports.toml by hand, or choose another name.")


def story_notebook(name: str) -> nbformat.NotebookNode:
    """The new story's notebook, without outputs, as notebooks are committed."""
    cells = []
    for kind, source in CELLS:
        source = _dedent(source).replace("{name}", name)
        if kind == "markdown":
            cells.append(new_markdown_cell(source))
            continue
        cell = new_code_cell(source)
        if kind == "parameters":
            cell.metadata["tags"] = [PARAMETERS_TAG]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip()
