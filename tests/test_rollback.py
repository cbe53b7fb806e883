"""Going back to the version of the site before, the versions kept for that, the record of the last
build, and what `storykit status` says of it."""

import json
import os
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storykit import cli
from storykit.atomic import locked, write_text
from storykit.errors import StorykitError
from storykit.site import history, kernels
from storykit.site.build import build
from storykit.site.config import load_config
from storykit.site.publish import Site, version_time
from storykit.site.state import State

from .synthetic_site import snapshot
from .test_publish import QUIET, set_site, whole

REPO = Path(__file__).resolve().parents[1]


def publish(site: Site, name: str) -> Path:
    """A small version whose one page says its name, committed."""
    version = site.begin(name, keep=set())
    write_text(f"<!doctype html><main>{name}</main></html>\n", version / "page.html")  # a new file, as a build writes
    site.commit(version, {"page.html": {"made": name}})
    return version


def stored(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ".site").iterdir())


def shown(root: Path) -> str:
    return (root / "reports" / "page.html").read_text()


# --- versions kept, and rolling back -----------------------------------------------------------------


def test_a_site_keeps_as_many_versions_as_it_is_told(tmp_path):
    site = Site(tmp_path, keep=3)
    for name in "12345":
        publish(site, name)
    assert stored(tmp_path) == ["3", "3.json", "4", "4.json", "5", "5.json"]
    Site(tmp_path).prune()  # the default: the version online and the one before
    assert stored(tmp_path) == ["4", "4.json", "5", "5.json"]


def test_a_rollback_goes_back_one_version_at_a_time_then_refuses(tmp_path):
    site = Site(tmp_path, keep=3)
    for name in "1234":
        publish(site, name)
    assert site.rollback() == (tmp_path / ".site" / "3").resolve()
    assert shown(tmp_path) == "<!doctype html><main>3</main></html>\n"
    assert site.manifest() == {"page.html": {"made": "3"}}
    assert (tmp_path / "reports").is_symlink() and not list(tmp_path.glob(".reports-*"))
    # The version left stays for the requests reading it until the next build clears it.
    assert stored(tmp_path) == ["2", "2.json", "3", "3.json", "4", "4.json"]
    assert site.rollback().name == "2"
    with pytest.raises(StorykitError, match=r"There is no earlier version of the site to go back to: .site/ holds "
                                            r"none older than the one online\. .*keep_versions in reports.toml"):
        site.rollback()
    assert shown(tmp_path) == "<!doctype html><main>2</main></html>\n"
    site.recover(log=lambda _: None)  # as the next build starts: the versions rolled back from go
    assert stored(tmp_path) == ["2", "2.json"]
    publish(site, "5")
    assert stored(tmp_path) == ["2", "2.json", "5", "5.json"]
    assert site.rollback().name == "2"  # never to a version a rollback left behind


def test_a_rollback_needs_a_version_of_storykit_build(tmp_path):
    (tmp_path / "reports").mkdir()  # the folder from git
    with pytest.raises(StorykitError, match=r"reports/ is not a version of the site made by `storykit build`"):
        Site(tmp_path).rollback()
    publish(Site(tmp_path), "1")
    with pytest.raises(StorykitError, match="no earlier version"):
        Site(tmp_path).rollback()
    assert shown(tmp_path) == "<!doctype html><main>1</main></html>\n"


def test_a_version_is_named_by_the_time_its_build_began(tmp_path):
    site = Site(tmp_path)
    began = datetime(2024, 3, 5, 4, 30, 12, 345678, tzinfo=timezone.utc)
    from storykit.site.publish import version_name

    assert version_time(publish(site, version_name(began))) == began
    other = publish(site, "1")  # a name of another form: when it was committed
    assert abs(version_time(other).timestamp() - (tmp_path / ".site" / "1.json").stat().st_mtime) < 1e-3


# --- keep_versions in reports.toml -------------------------------------------------------------------


def config_with(tmp_path: Path, line: str) -> Path:
    (tmp_path / "reports.toml").write_text(f'[site]\nintro = "x"\n{line}\n\n[[reports]]\nname = "a"\n'
                                           'notebook = "a.ipynb"\n')
    return tmp_path


def test_keep_versions_is_two_unless_reports_toml_says_more(tmp_path):
    assert load_config(config_with(tmp_path, "")).keep_versions == 2
    assert load_config(config_with(tmp_path, "keep_versions = 5")).keep_versions == 5


@pytest.mark.parametrize("value", ["1", "0", "-3", '"3"', "2.5", "true"])
def test_a_bad_keep_versions_is_refused_naming_the_file_key_and_value(tmp_path, value):
    with pytest.raises(StorykitError) as refused:
        load_config(config_with(tmp_path, f"keep_versions = {value}"))
    message = str(refused.value)
    assert f"reports.toml: [site] keep_versions = {value} is not allowed" in message
    assert "a whole number of at least 2" in message


def test_the_projects_reports_toml_documents_keep_versions_beside_the_other_site_settings():
    text = (REPO / "reports.toml").read_text()
    site = text[text.index("[site]"):text.index("[[reports]]")]
    assert "\n# keep_versions = 2  #" in site and "`storykit rollback`" in site
    assert load_config(REPO).keep_versions == 2


# --- the command, and a build after a rollback ---------------------------------------------------------


def new_intro(root: Path) -> None:
    """A change that makes the index again and no page: a build of it runs no notebook."""
    config = root / "reports.toml"
    config.write_text(config.read_text().replace("A made-up story", "A made-up story, told again", 1))


def test_storykit_rollback_publishes_the_version_before_and_the_next_build_makes_the_index_again(copy, capsys):
    first, before = Site(copy).version(), snapshot(copy)
    assert cli.main(["rollback"]) == 1  # one version only
    assert "storykit rollback: There is no earlier version" in capsys.readouterr().err
    new_intro(copy)
    started = kernels.started
    assert build(**QUIET) == []  # the index only
    second = Site(copy).version()
    assert second != first and "told again" in (copy / "reports" / "index.html").read_text()

    assert cli.main(["rollback"]) == 0
    out = capsys.readouterr().out
    assert f"reports/ now shows the site as built {history.moment(version_time(first))} (" in out
    assert "The next `storykit build`, a scheduled one too, makes again the pages changed since then" in out
    assert Site(copy).version() == first and snapshot(copy) == before
    whole(copy)
    # The build's state still names the version rolled back from: the index it made is not the one online.
    assert State(copy / "build").get("site") == second.name
    assert build(**QUIET) == []
    third = Site(copy).version()
    assert third not in (first, second) and "told again" in (copy / "reports" / "index.html").read_text()
    assert State(copy / "build").get("site") == third.name
    whole(copy)
    said = []
    assert build(log=said.append) == [] and Site(copy).version() == third
    assert any("nothing to make" in line for line in said)
    assert kernels.started == started  # none of these builds ran a notebook


def test_a_build_after_a_rollback_makes_again_the_pages_changed_since_that_version(copy):
    """The version before was made from an older notebook of one page (its key in the manifest)."""
    current = Site(copy).version()
    older = copy / ".site" / "20000101-000000-000000"  # sorts before any version a build names
    shutil.copytree(current, older, copy_function=os.link)
    manifest = json.loads((copy / ".site" / f"{current.name}.json").read_text())
    for field in ("key", "run"):
        manifest["toll.html"]["freeze"][field] = "made from an older toll.ipynb"
    (copy / ".site" / f"{older.name}.json").write_text(json.dumps(manifest))
    assert cli.main(["rollback"]) == 0 and Site(copy).version() == older
    kept = {page: (older / page).stat().st_ino for page in ("toll.html", "places.html")}
    assert build(**QUIET) == ["toll.html"]
    now = Site(copy).current()
    assert (now / "toll.html").stat().st_ino != kept["toll.html"]  # made again
    assert (now / "places.html").stat().st_ino == kept["places.html"]  # as the version rolled back to had it
    assert Site(copy).manifest()["toll.html"]["freeze"]["key"] != "made from an older toll.ipynb"
    whole(copy)


def test_a_rollback_waits_for_a_build_and_changes_nothing_if_it_cannot(copy, capsys):
    new_intro(copy)
    build(**QUIET)
    before, version = snapshot(copy), Site(copy).version()
    set_site(copy, lock_wait=0)
    with locked(copy / "build" / "build.lock", 0):
        assert cli.main(["rollback"]) == 1
    err = capsys.readouterr().err
    assert f"storykit rollback: Another build is running (pid {os.getpid()} on " in err and "Nothing was changed" in err
    assert snapshot(copy) == before and Site(copy).version() == version


# --- the record of the last build, and `storykit status` ----------------------------------------------


@pytest.fixture
def paris(monkeypatch):
    """The machine's time zone, one hour ahead of UTC in winter (a POSIX rule: no tz database needed)."""
    monkeypatch.setenv("TZ", "CET-1")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


BEGAN = datetime(2024, 3, 5, 4, 30, tzinfo=timezone.utc)


def keep_record(root: Path, **changes) -> None:
    values = {"started": BEGAN, "finished": BEGAN + timedelta(minutes=3, seconds=5), "published": ["toll.html"],
              "failed": {}, "executed": root / "build" / "executed", "version": None} | changes
    history.record(root / "build", **values)


def test_the_record_of_a_build_is_kept_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    assert history.last(tmp_path / "build") is None
    keep_record(tmp_path, failed={"places.html": "places: cell 4 stopped with KeyError: 'pcode'"}, version="v1")
    got = history.last(tmp_path / "build")
    assert got == {"started": BEGAN, "finished": BEGAN + timedelta(minutes=3, seconds=5), "published": ["toll.html"],
                   "failed": {"places.html": "places: cell 4 stopped with KeyError: 'pcode'"},
                   "executed": "build/executed", "version": "v1"}
    assert not list((tmp_path / "build").glob(".*.part"))  # written whole, by a rename


def test_a_record_that_cannot_be_read_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    (tmp_path / "build").mkdir()
    for text in ("{not json", '{"started": "2024-03-05T04:30:00+00:00"}'):
        (tmp_path / "build" / "last-build.json").write_text(text)
        with pytest.raises(StorykitError, match=r"^build/last-build.json cannot be read as the record of a build .*"
                                                r"Delete it: the next build writes it again\.$"):
            history.last(tmp_path / "build")


def test_the_record_reads_as_a_person_would_say_it(tmp_path, monkeypatch, paris):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    keep_record(tmp_path, published=["toll.html", "profiles/northland.html"], version="v1",
                failed={"places.html": "places: cell 4 stopped with KeyError\nsecond line"})
    now = BEGAN + timedelta(hours=3)
    assert history.describe(history.last(tmp_path / "build"), now=now) == [
        "Last build: finished Tuesday 5 March 2024 at 05:33 CET (2 hours ago), after 3 min 05 s.",
        "  published 2 page(s) and the index: toll.html, profiles/northland.html",
        "  1 page(s) failed (a version published before stays online, marked out of date):",
        "    places.html: places: cell 4 stopped with KeyError\n      second line",
        "  the notebooks as they ran: build/executed/",
    ]
    keep_record(tmp_path, published=[])
    assert history.describe(history.last(tmp_path / "build"), now=now)[1] == \
        "  published nothing: every page was up to date"


def test_how_long_ago():
    assert [history.ago(BEGAN, BEGAN + d) for d in (timedelta(seconds=-30), timedelta(seconds=59),
                                                    timedelta(minutes=1), timedelta(minutes=59), timedelta(hours=1),
                                                    timedelta(hours=47), timedelta(days=2), timedelta(days=400))] == [
        "just now", "just now", "1 minute ago", "59 minutes ago", "1 hour ago", "47 hours ago", "2 days ago",
        "400 days ago"]


def test_status_says_what_the_last_build_did_and_whether_it_was_rolled_back(copy, capsys):
    (copy / "build" / "last-build.json").unlink()  # as before any build recorded itself
    assert cli.main(["status"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no build has run yet"
    new_intro(copy)
    build(**QUIET)
    assert (copy / "build" / "last-build.json").is_file()  # the build's own record
    keep_record(copy, published=[], version=Site(copy).version().name)
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Last build: finished " in out and "  published the index only: no page needed making again" in out
    assert "rolled back" not in out
    assert cli.main(["rollback"]) == 0
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    back = history.moment(version_time(Site(copy).version()))
    assert f"  reports/ has been rolled back since: it shows the version built {back}" in capsys.readouterr().out
