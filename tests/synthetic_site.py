"""A tiny project for build tests: reports.toml, three notebooks and made-up processed data.

The numbers are invented (drawn from a seeded generator) and labelled with real catalogue ids only
because facts and charts must name a catalogue source.
"""

import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PAGES = ["toll.html", "places.html", "profiles/northland.html", "profiles/southland.html"]
PINNED = "storykit's code as these tests found it"  # other work on storykit may go on while they run
PLACES = {"SY01": ("Northland", "الشمال"), "SY02": ("Southland", "الجنوب"), "SY03": ("Eastland", "الشرق")}
YEARS = list(range(2011, 2021))

CONFIG = """
[site]
intro = "A made-up story for the tests, since 2011."
cell_timeout = 120
kernel = "python3"

[[reports]]
name = "toll"
notebook = "toll.ipynb"
parameters = { first_year = 2012 }

[[reports]]
name = "places"
notebook = "places.ipynb"

[[reports]]
name = "profile"
notebook = "profile.ipynb"
title = "Place profiles"

[reports.fan_out]
parameter = "place"
folder = "profiles"

[reports.fan_out.pages]
northland = "SY01"
southland = "SY02"
"""

TOLL = [
    ("parameters", "first_year = 2011\nlast_year = 2020"),
    ("code", """
        import pandas as pd
        from storykit.charts import show
        from storykit.facts import fact, md, page, say
        from storykit.paths import processed_dir
        import plotly.express as px

        toll = pd.read_csv(processed_dir() / "toll.csv")
        shown = toll[toll.year.between(first_year, last_year)]
        total = fact(int(shown.deaths.sum()), source="ucdp_country_year", what="deaths in the years shown",
                     headline=True)
        worst = shown.loc[shown.deaths.idxmax()]
        page(title="The toll", as_of=str(last_year),
             summary="Between {a} and {b}, the made-up war killed {total} people.",
             a=str(first_year), b=str(last_year), total=total)
    """),
    ("markdown", "## Year by year\n\nThe toll rose and fell; *every* figure below is computed."),
    ("code", """
        print("a note for the reporter only")   # never published
        shown.head()                            # nor this table
    """),
    ("code", """
        import warnings; warnings.warn("a warning for the reporter")
        say("The worst year was {year}, with {deaths}.", year=str(int(worst.year)),
            deaths=fact(int(worst.deaths), source="ucdp_country_year", what="deaths in the worst year"))
        fig = px.line(shown, x="year", y="deaths", labels={"deaths": "Deaths", "year": ""})
        show(fig, shown[["year", "deaths"]], title="Deaths by year", source="ucdp_country_year",
             notes=md("The total is {t}.", t=total))
    """),
]

PLACES_NB = [
    ("parameters", "year = 2016"),
    ("code", """
        import pandas as pd
        import plotly.express as px
        from storykit.charts import choropleth, show
        from storykit.facts import fact, page

        from storykit.paths import processed_dir

        people = pd.read_csv(processed_dir() / "people.csv")
        top = people[people.year == year].sort_values("people").iloc[-1]
        page(title="Where people went", as_of=str(people.year.max()),
             summary="In {y}, the most people were in {place}: {n}.", y=str(year), place=top.name_en,
             n=fact(int(top.people), source="unhcr_population", what=f"people in {top.name_en}, {year}",
                    headline=True))
    """),
    ("code", """
        m = choropleth(people[["year", "pcode", "people"]], color="people", label="People",
                       animation_frame="year")
        show(m, people[["year", "pcode", "people"]], title="People by place and year", source="unhcr_population")
        bars = people[people.year == year]
        show(px.bar(bars, x="name_en", y="people", labels={"name_en": "", "people": "People"}), bars,
             title="People by place", source="unhcr_population")
    """),
]

PROFILE = [
    ("parameters", 'place = "SY01"'),
    ("code", """
        import pandas as pd
        import plotly.express as px
        from storykit.charts import show
        from storykit.errors import DataError
        from storykit.facts import fact, page, say
        from storykit.paths import processed_dir

        people = pd.read_csv(processed_dir() / "people.csv")
        names = dict(zip(people.pcode, people.name_en))
        code = place if place in names else {v.lower(): k for k, v in names.items()}.get(str(place).lower())
        if code is None:
            raise DataError(f"{place!r} is no place this project knows; try one of {', '.join(names.values())}.")
        mine = people[people.pcode == code]
        page(title=f"Profile: {names[code]}", as_of=str(mine.year.max()),
             summary="{name} counted {n} people at the last count.", name=names[code],
             n=fact(int(mine.people.iloc[-1]), source="unhcr_population", what="people at the last count"))
        show(px.line(mine, x="year", y="people"), mine[["year", "people"]], title=f"People in {names[code]}",
             source="unhcr_population")
    """),
]


def notebook(cells) -> nbformat.NotebookNode:
    out = []
    for kind, source in cells:
        source = textwrap.dedent(source).strip()
        if kind == "markdown":
            out.append(new_markdown_cell(source))
        else:
            cell = new_code_cell(source)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            out.append(cell)
    nb = new_notebook(cells=out)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def squares() -> dict:
    """Three unit squares side by side, exteriors counter-clockwise as RFC 7946 writes them."""
    features = []
    for i, (code, (en, ar)) in enumerate(PLACES.items()):
        x = 36.0 + i
        ring = [[x, 33.0], [x + 1, 33.0], [x + 1, 34.0], [x, 34.0], [x, 33.0]]
        features.append({"type": "Feature", "properties": {"pcode": code, "name_en": en, "name_ar": ar},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


def make_project(root: Path) -> Path:
    rng = np.random.default_rng(7)
    (root / "notebooks").mkdir(parents=True)
    (root / "reports").mkdir()
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    (root / "reports.toml").write_text(CONFIG, encoding="utf-8")
    for name, cells in (("toll", TOLL), ("places", PLACES_NB), ("profile", PROFILE)):
        nbformat.write(notebook(cells), root / "notebooks" / f"{name}.ipynb")
    pd.DataFrame({"year": YEARS, "deaths": rng.integers(1_000, 80_000, len(YEARS))}).to_csv(
        processed / "toll.csv", index=False)
    pd.DataFrame([{"year": y, "pcode": c, "name_en": en, "people": int(rng.integers(10_000, 2_000_000))}
                  for y in YEARS for c, (en, _) in PLACES.items()]).to_csv(processed / "people.csv", index=False)
    (processed / "provinces.geojson").write_text(json.dumps(squares(), ensure_ascii=False), encoding="utf-8")
    (processed / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "provinces", "sources": [{"id": "ocha_admin1_2016"}]}]}), encoding="utf-8")
    return root


def copy_project(site: Path, dest: Path, monkeypatch) -> Path:
    """A copy of a built project (links kept: reports points into .site/) that storykit works on, with
    storykit's code digest pinned as it was when the project was built."""
    from storykit.site import freeze

    shutil.copytree(site, dest, symlinks=True)
    monkeypatch.setenv("STORYKIT_HOME", str(dest))
    monkeypatch.setattr(freeze, "code_digest", lambda: PINNED)
    return dest


def snapshot(root: Path) -> dict:
    """Every published file of the project at `root`, by its path under reports/, with its bytes."""
    reports = root / "reports"
    return {str(p.relative_to(reports)): p.read_bytes() for p in sorted(reports.rglob("*")) if p.is_file()}
