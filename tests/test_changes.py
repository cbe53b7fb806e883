"""What changed, and when: the site's log of changed figures and corrections (storykit.site.changes),
on each page, in reports/changes.html and in reports/feed.xml, kept whole through failed, killed and
private builds and rollbacks."""

import json
import os
import signal
from datetime import date

import feedparser
import pytest

from storykit import alerts, cli
from storykit.errors import StorykitError
from storykit.site import changes, checks
from storykit.site.figures import figures
from storykit.site.build import BuildError, build
from storykit.site.publish import Site

from .synthetic_site import snapshot
from .test_publish import QUIET, read_until, start_build, whole

TOTAL = "deaths in the years shown"  # what the toll's headline figure counts, as its notebook says


def log(root) -> dict:
    return json.loads((root / "reports" / "changes.json").read_text())


def feed(root):
    parsed = feedparser.parse((root / "reports" / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")  # well-formed XML, read as Atom
    assert parsed.version == "atom10" and parsed.feed.title and parsed.feed.id and parsed.feed.updated
    return parsed.entries


def figure(root, page: str, what: str) -> str:
    return figures(Site(root).manifest()[page])[json.dumps([what, ["ucdp_country_year"]])]["text"]


def first_year(root, year: int) -> None:
    config = root / "reports.toml"
    text = config.read_text()
    start = text.index("first_year = ") + len("first_year = ")
    config.write_text(text[:start] + str(year) + text[start + 4:])


def test_a_changed_setting_is_logged_on_the_page_in_the_log_and_in_the_feed(copy):
    assert feed(copy) == [] and "No figure on this page has changed" in (copy / "reports" / "toll.html").read_text()
    old, published = figure(copy, "toll.html", TOTAL), log(copy)["published"]["toll.html"]
    first_year(copy, 2014)
    assert build(**QUIET) == ["toll.html"]
    assert log(copy)["published"]["toll.html"] == published  # the first time it went online, kept
    new = figure(copy, "toll.html", TOTAL)
    assert new != old
    page = (copy / "reports" / "toll.html").read_text()
    part = page[page.index('id="changes"'):page.index('class="about-data"')]
    assert f"{TOTAL}</span>:\n <span class=\"change-new\">{new}</span>, was <span class=\"change-old\">{old}</span>" \
        in part
    assert "the page&#39;s setting first_year went from" in part and "Updated <a href=\"#changes\">" in page
    everything = (copy / "reports" / "changes.html").read_text()
    assert new in everything and old in everything and 'href="toll.html#changes"' in everything
    [entry] = feed(copy)
    assert entry.link.endswith("toll.html#changes") and new in entry.content[0].value
    assert "No figure on this page has changed" in (copy / "reports" / "places.html").read_text()
    whole(copy)

    before = snapshot(copy)  # a build with nothing to make adds nothing
    build(**QUIET)
    assert snapshot(copy) == before and len(feed(copy)) == 1
    first_year(copy, 2012)  # back as it was: another entry
    build(**QUIET)
    assert len(feed(copy)) == 2 and figure(copy, "toll.html", TOTAL) == old


def test_a_failed_or_killed_build_loses_nothing_and_doubles_nothing(copy):
    first_year(copy, 2014)
    with pytest.MonkeyPatch.context() as mp:  # its own: the copy's (STORYKIT_HOME) stays
        mp.setattr("storykit.site.build.check_version", lambda *a, **k: ["made to fail"])
        with pytest.raises(BuildError, match="made to fail"):
            build(**QUIET)
    assert log(copy)["entries"] == []
    proc = start_build(copy)
    read_until(proc, "checking the new site and publishing it")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    build(**QUIET)  # whatever the killed build left: one entry, never two
    assert len(log(copy)["entries"]) == 1 and len(feed(copy)) == 1
    whole(copy)


def test_a_rollback_is_an_entry_and_keeps_the_log(copy, capsys):
    old = figure(copy, "toll.html", TOTAL)
    first_year(copy, 2014)
    build(**QUIET)
    assert cli.main(["rollback"]) == 0
    assert "logged on 1 page(s)" in capsys.readouterr().out
    kinds = [e["kind"] for e in log(copy)["entries"]]
    assert kinds == ["change", "rollback"] and figure(copy, "toll.html", TOTAL) == old
    assert "Figures put back" in (copy / "reports" / "toll.html").read_text() and len(feed(copy)) == 2
    assert checks.check_version(Site(copy).current(), list(Site(copy).manifest())) == []
    assert cli.main(["status"]) == 0
    assert "Latest changes" in capsys.readouterr().out


def test_a_private_build_writes_nothing_to_the_log(copy):
    before = snapshot(copy)
    built = build(["toll"], params={"first_year": "2015"}, **QUIET)  # not what reports.toml publishes: a trial
    assert built.private is not None and snapshot(copy) == before
    assert (built.private / "changes.json").samefile(copy / "reports" / "changes.json")


def test_a_correction_shows_on_the_pages_of_its_figure_until_it_changes(copy):
    (copy / "corrections.toml").write_text(
        f'[[corrections]]\npage = "toll.html"\ndate = {date.today()}\nfigure = "{TOTAL}"\n'
        'text = "An earlier version counted a year twice."\n')
    assert build(**QUIET) == []  # no page made again: the correction alone is published
    assert "An earlier version counted a year twice." in (copy / "reports" / "toll.html").read_text()
    assert "An earlier version" not in (copy / "reports" / "places.html").read_text()
    assert [e.title for e in feed(copy)] == ["Correction: The toll"]
    first_year(copy, 2014)  # the figure changes again: the page no longer shows the correction
    build(**QUIET)
    page = (copy / "reports" / "toll.html").read_text()
    assert "An earlier version" not in page and "An earlier version" in (copy / "reports" / "changes.html").read_text()


@pytest.mark.parametrize("text, said", [
    ('[[corrections]]\npage = "nowhere.html"\ndate = 2020-01-01\ntext = "x"\n',
     r"corrections.toml, correction 1 \(page 'nowhere.html'\): `page` = 'nowhere.html' is no page of the site"),
    ('[[corrections]]\npage = "toll.html"\ndate = "2020-01-01"\ntext = "x"\n',
     r"corrections.toml, correction 1 \(page 'toll.html'\): `date` = '2020-01-01' is not a date"),
    ('[[corrections]]\npage = "toll.html"\ndate = 2020-01-01\n', r"correction 1 .*the field `text` is missing"),
    ('[[corrections]]\npage = "toll.html"\ndate = 2020-01-01\ntext = "x"\nfigure = "no such thing"\n',
     r"`figure` = 'no such thing' is no figure of that page"),
])
def test_a_bad_correction_is_refused_naming_the_file_the_entry_and_the_field(copy, text, said):
    (copy / "corrections.toml").write_text(text)
    before = snapshot(copy)
    with pytest.raises(StorykitError, match=said):
        build(**QUIET)
    assert snapshot(copy) == before


def test_the_alert_names_the_headline_figures_that_changed(copy):
    first_year(copy, 2014)
    build(**QUIET)
    text = alerts.changed_headlines(log(copy)["entries"])
    assert f"The toll (toll.html): {TOTAL}: {figure(copy, 'toll.html', TOTAL)}, was " in text
    assert alerts.changed_headlines([]) is None
