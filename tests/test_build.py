"""End to end: a tiny project's notebooks run in real kernels (Papermill) and become a site."""

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from storykit import cli


from storykit.site import assets, changes
from storykit.site.build import BuildError, build
from storykit.site.checks import MAX_PAGE_BYTES, check_published
from storykit.site.config import load_config
from storykit.site.parameters import typed
from storykit.site.plan import plan
from storykit.errors import StorykitError
from storykit.site.publish import Site

from .synthetic_site import PAGES, PLACES



@pytest.fixture
def site(synthetic_site):
    return synthetic_site


def read(root: Path, page: str) -> str:
    return (root / "reports" / page).read_text(encoding="utf-8")


def without_notice(html: str) -> str:
    return re.sub(r"<!--sk-notice-->.*?<!--/sk-notice-->", "<!--sk-notice--><!--/sk-notice-->", html, flags=re.S)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "reports").rglob("*")) if p.is_file()}


def test_the_site_has_every_page_and_one_shared_plotly(site):
    files = sorted(str(p.relative_to(site / "reports")) for p in (site / "reports").rglob("*") if p.is_file())
    shapes = [f for f in files if f.startswith("assets/geo-")]
    pictures = [f for f in files if f.startswith("assets/pictures/")]  # the charts' static pictures
    # each chart's embed page, CSV and metadata; each page's share image (storykit.site.embeds, sharecard)
    travel = [f for f in files if f.startswith(("assets/embed/", "assets/data/", "assets/share/"))]
    charts = sum(read(site, page).count('class="sk-chart"') for page in PAGES)
    assert len([f for f in travel if f.startswith("assets/embed/")]) == charts
    assert len([f for f in travel if f.endswith(".metadata.json")]) == charts
    # The synthetic notebooks are written in English alone: the Arabic edition is its index and its log.
    assert files == sorted(PAGES + ["index.html", "ar/index.html", "assets/charts.js", "assets/plotly-storykit.min.js",
                                    "assets/style.css"] + shapes + pictures + travel + list(changes.FILES))
    # Only the assets some page loads are published: every page here draws what the partial bundle
    # draws, so the full plotly.js (4.8 MB) is not on the site.
    named = set().union(*(re.findall(r'assets/((?:[a-z]+/)?[\w.-]+)"', read(site, page))
                          for page in PAGES + ["index.html"]))
    assert {f.removeprefix("assets/") for f in files if f.startswith("assets/")} == named
    assert (site / "reports" / "assets" / "plotly-storykit.min.js").read_text() == assets.plotly_bundle()
    # The map's shapes are one shared asset, named by their hash, that the map page loads.
    assert len(shapes) == 1 and f'<script defer src="{shapes[0]}"></script>' in read(site, "places.html")
    assert json.loads((site / "reports" / shapes[0]).read_text().split("=", 2)[2].rstrip(";\n"))["features"]
    assert '"coordinates"' not in read(site, "places.html")
    for page in PAGES + ["index.html"]:
        html = read(site, page)
        assert len(html.encode()) < MAX_PAGE_BYTES
        assert str(site) not in html and "/tmp/" not in html
        assert len(re.findall(r"assets/plotly[\w.-]*\.js", html)) == (0 if page == "index.html" else 1)
        check_published(html, page, local=(str(site),))
    for page in PAGES:
        assert read(site, page).count('class="sk-chart"') >= 1
    assert not list((site / "build").glob("staging-*"))


def test_pages_show_what_the_data_says_and_nothing_of_the_reporters_workspace(site):
    toll = pd.read_csv(site / "data" / "processed" / "toll.csv")
    shown = toll[toll.year.between(2012, 2020)]  # first_year from reports.toml, last_year the default
    html = read(site, "toll.html")
    assert f'killed <span class="fact">{shown.deaths.sum():,}</span> people' in html
    worst = shown.loc[shown.deaths.idxmax()]
    assert f"The worst year was {worst.year}, with <span class=\"fact\">{worst.deaths:,}</span>." in html
    assert "<code>first_year = 2012</code>" in html
    for hidden in ("a note for the reporter", "a warning for the reporter", "import pandas", "In [", "<table class=\"dataframe"):
        assert hidden not in html
    assert 'href="../index.html"' in read(site, "profiles/northland.html")
    assert "<h1>Profile: Northland</h1>" in read(site, "profiles/northland.html")


def test_the_index_links_every_page_with_the_headline_figures(site):
    html = read(site, "index.html")
    assert "<h1>Syria&#39;s war in numbers</h1>" in html
    for page in PAGES:
        assert f'href="{page}"' in html
    toll = pd.read_csv(site / "data" / "processed" / "toll.csv")
    people = pd.read_csv(site / "data" / "processed" / "people.csv")
    top = people[people.year == 2016].sort_values("people").iloc[-1]
    assert f'<span class="fact">{toll[toll.year >= 2012].deaths.sum():,}</span>' in html
    assert f'<span class="fact">{top.people:,}</span>' in html and f"people in {top.name_en}, 2016" in html
    main = html[html.index("<main"):]  # the menu above it links the stories too
    assert main.index("The war in figures") < main.index('href="toll.html"') < main.index("Place profiles")
    assert sorted(Site(site).manifest()) == sorted(PAGES)


def test_a_parameter_from_the_command_line_published_with_the_flag(copy, capsys):
    assert cli.main(["build", "toll", "-p", "first_year", "2015", "--publish"]) == 0
    toll = pd.read_csv(copy / "data" / "processed" / "toll.csv")
    html = read(copy, "toll.html")
    assert f'<span class="fact">{toll[toll.year >= 2015].deaths.sum():,}</span>' in html
    assert "Between 2015 and 2020" in html and "<code>first_year = 2015</code>" in html
    index = read(copy, "index.html")
    assert all(f'href="{p}"' in index for p in PAGES)  # the other pages stay on the index
    assert "published 1 page(s)" in capsys.readouterr().out


def test_a_parameter_from_the_command_line_alone_is_a_trial(copy, capsys):
    before = read(copy, "toll.html")
    assert cli.main(["build", "toll", "-p", "first_year", "2015"]) == 0
    out = capsys.readouterr().out
    assert "Not published: first_year = 2015" in out and "reports/ is unchanged" in out
    assert read(copy, "toll.html") == before
    assert "Between 2015 and 2020" in (copy / "build" / "preview" / "site" / "toll.html").read_text()


def test_a_fanned_out_parameter_builds_one_page(copy):
    assert build(params={"place": "eastland"}, log=lambda _: None) == ["profiles/eastland.html"]
    assert "<h1>Profile: Eastland</h1>" in read(copy, "profiles/eastland.html")
    assert build(params={"place": "SY02"}, force=True, log=lambda _: None) == ["profiles/southland.html"]


def test_a_bad_parameter_value_fails_and_changes_nothing(copy, capsys):
    before = snapshot(copy)
    assert cli.main(["build", "-p", "place", "Atlantis"]) == 1
    err = capsys.readouterr().err
    assert "profiles/atlantis" in err and "'Atlantis' is no place this project knows" in err
    assert "(profiles/atlantis), cell 2 (“import pandas as pd”) stopped with DataError" in err
    assert snapshot(copy) == before


def test_plan_reads_reports_toml_and_refuses_what_it_cannot_do(copy):
    config = load_config(copy)
    jobs = plan(config, copy)
    assert [j.output for j in jobs] == PAGES
    assert jobs[0].parameters == {"first_year": 2012} and jobs[2].parameters == {"place": "SY01"}
    assert [j.root for j in jobs] == ["", "", "../", "../"]
    assert [j.output for j in plan(config, copy, overrides={"year": "2015"})] == ["places.html"]
    assert plan(config, copy, ["places"], {"year": "2015"})[0].parameters == {"year": 2015}
    with pytest.raises(StorykitError, match="No report called nope"):
        plan(config, copy, ["nope"])
    with pytest.raises(StorykitError, match="no report .*takes a parameter called 'colour'"):
        plan(config, copy, overrides={"colour": "red"})
    with pytest.raises(StorykitError, match="year takes a whole number"):
        plan(config, copy, overrides={"year": "last"})


def test_a_misspelt_report_or_parameter_is_answered_with_the_name_meant(copy):
    config = load_config(copy)
    with pytest.raises(StorykitError, match=r"No report called plases in reports.toml\. Did you mean 'places'\? "
                                            r"The reports are: toll, places, profile\."):
        plan(config, copy, ["plases"])
    with pytest.raises(StorykitError, match=r"parameter called 'yaer'\. Did you mean 'year'\? The parameters are: "):
        plan(config, copy, overrides={"yaer": "2015"})
    with pytest.raises(StorykitError) as far:  # nothing close: no guess, the list only
        plan(config, copy, overrides={"zzzzzz": "1"})
    assert "Did you mean" not in str(far.value) and "The parameters are: " in str(far.value)


def test_a_date_parameter_is_taken_only_as_year_month_day():
    assert typed("2017-03-01", "2016-12-30", "ceasefire") == "2017-03-01"
    for ambiguous in ("01/03/2017", "2017-02-30", "1 March 2017"):
        with pytest.raises(StorykitError, match=rf"-p ceasefire {ambiguous}: ceasefire is a date; write it as "
                                                r"year-month-day, as in its default '2016-12-30'"):
            typed(ambiguous, "2016-12-30", "ceasefire")
    assert typed("Idlib", "SY07", "governorate") == "Idlib"  # a text parameter that is no date is free text
    with pytest.raises(StorykitError, match=r"-p ratio x: ratio takes a number \(its default is 0\.5\)"):
        typed("x", 0.5, "ratio")


def test_a_failing_report_keeps_its_last_page_and_the_others_publish(copy):
    toll_before, places_before = read(copy, "toll.html"), read(copy, "places.html")
    nb_path = copy / "notebooks" / "toll.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(new_markdown_cell("In all, 14 places were hit."))
    nbformat.write(nb, nb_path)
    nb_path = copy / "notebooks" / "places.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(2, new_code_cell("raise ValueError('the table has no year column')"))
    nbformat.write(nb, nb_path)

    with pytest.raises(BuildError) as failed:
        build(log=lambda _: None)
    message = str(failed.value)
    assert "2 of 4 page(s) were not published" in message
    assert ("toll: notebooks/toll.ipynb, cell 6 (“In all, 14 places were hit.”): untraced figure(s) in the "
            "prose: '14'") in message
    assert ("places: notebooks/places.ipynb, cell 3 (“raise ValueError('the table has no year column')”) "
            "stopped with ValueError: the table has no year column") in message
    # Each keeps its last good page, with a notice that the update failed; the index says so too.
    for page, before in (("toll.html", toll_before), ("places.html", places_before)):
        html = read(copy, page)
        assert without_notice(html) == before
        assert "This page may be out of date.</strong> Data as of " in html and "The last update failed on " in html
    index = read(copy, "index.html")
    assert all(f'href="{p}"' in index for p in PAGES)
    assert index.count("The last update failed on") == 2
    executed = nbformat.read(copy / "build" / "executed" / "places.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells for o in c.get("outputs", []))


def test_the_kernel_reads_this_projects_data(copy):
    people = pd.read_csv(copy / "data" / "processed" / "people.csv")
    people.loc[people.pcode == "SY01", "people"] += 1
    people.to_csv(copy / "data" / "processed" / "people.csv", index=False)
    build(["profile"], log=lambda _: None)
    last = people[people.pcode == "SY01"].people.iloc[-1]
    assert f'<span class="fact">{last:,}</span>' in read(copy, "profiles/northland.html")
    assert set(PLACES) >= {"SY01"}


def test_a_cell_that_runs_too_long_is_stopped(copy):
    config = (copy / "reports.toml").read_text().replace("cell_timeout = 120", "cell_timeout = 3")
    (copy / "reports.toml").write_text(config)
    nb_path = copy / "notebooks" / "profile.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(new_code_cell("import time\ntime.sleep(600)"))
    nbformat.write(nb, nb_path)
    before = snapshot(copy)
    with pytest.raises(BuildError, match=r"profiles/northland: notebooks/profile.ipynb \(profiles/northland\), "
                                         r"cell 3 \(“import time”\) ran longer than the 3 s a cell may take"):
        build(params={"place": "SY01"}, log=lambda _: None)
    after = snapshot(copy)
    assert without_notice(after.pop("reports/profiles/northland.html").decode()) == \
        before.pop("reports/profiles/northland.html").decode()
    assert after.pop("reports/index.html") != before.pop("reports/index.html")
    after.pop("reports/ar/index.html"), before.pop("reports/ar/index.html")  # built anew, dated so, in each edition
    assert after == before


def test_any_spelling_of_a_governorate_builds_its_one_page(processed, tmp_path, monkeypatch):
    """`-p governorate Idlib` makes governorates/idleb.html with the P-code, not a page of its own."""

    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "processed").symlink_to(processed)
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    config = load_config(repo)
    for spelling in ("Idlib", "SY07", "إدلب"):
        [job] = plan(config, repo, ["governorate"], {"governorate": spelling})
        assert (job.output, job.parameters["governorate"]) == ("governorates/idleb.html", "SY07")
    [job] = plan(config, repo, ["governorate"], {"governorate": "Atlantis"})
    assert job.parameters["governorate"] == "Atlantis"  # left for the notebook to refuse, naming its cell


def test_the_build_names_the_reporters_outputs_that_will_not_reach_the_page(copy):
    path = copy / "notebooks" / "toll.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell("print('total so far', 3)"))
    checked = new_code_cell("print('key figure', 4)")
    checked.metadata["tags"] = ["nbval-check-output"]  # printed for the tests, not for readers
    nb.cells.append(checked)
    nbformat.write(nb, path)
    said = []
    build(["toll"], log=said.append)
    left = [line for line in said if "not on the page" in line]
    cell = len(nb.cells) - 1
    assert f"  not on the page: notebooks/toll.ipynb, cell {cell} (\u201cprint('total so far', 3)\u201d): printed " \
           "text (\u201ctotal so far 3\u201d); only page(), say() and charts.show() reach readers" in left
    assert any("a note for the reporter only" in line for line in left)  # the synthetic notebook's own
    assert not any("key figure" in line for line in left)
    assert "total so far" not in read(copy, "toll.html")
