"""The checks a version of the site passes before it is published (storykit.site.checks), each fed
the fault it is there to refuse: a page cut short, an asset or a linked page that is not there, a
chart or a figure that is not what the notebook recorded, a file that is no part of the site. Then
the same faults in a real build: a page that fails its check keeps its last version and the others
publish; a version that fails the whole-version check publishes nothing. Last, the real site (this
repository's notebooks on the real data) passes every check, page by page."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from storykit.site import assets, edition, firstpaint
from storykit.site import build as build_module
from storykit.site.build import BuildError, build
from storykit.site.checks import PageError, check_page, check_published, check_version
from storykit.site.publish import Site

from .synthetic_site import PAGES, snapshot

QUIET = {"log": lambda _: None}
SITE = ["index.html"] + PAGES
REAL = ["index.html", "truce.html", "casualties.html", "refugees.html", "displacement.html", "returns.html", "claims.html"] + [
    f"governorates/{g}.html" for g in ("damascus", "aleppo", "rural-damascus", "homs", "hama", "lattakia", "idleb",
                                       "al-hasakeh", "deir-ez-zor", "tartous", "ar-raqqa", "daraa", "as-sweida",
                                       "quneitra")]
BOTH = REAL + ["ar/" + rel for rel in REAL]  # each page in English and in Arabic (storykit.site.edition)
FIGURE = re.compile(r'<figure [^>]*class="sk-chart"[^>]*>.*?</figure>', re.DOTALL)


@pytest.fixture
def manifest(synthetic_site) -> dict:
    return Site(synthetic_site).manifest()


@pytest.fixture
def version(synthetic_site, tmp_path) -> Path:
    """A version about to be published: a copy of the synthetic site's current one, which faults may change."""
    folder = tmp_path / ".site" / "staged"
    shutil.copytree(Site(synthetic_site).current(), folder)
    return folder


def read(folder: Path, rel: str) -> str:
    return (folder / rel).read_text(encoding="utf-8")


def write(folder: Path, rel: str, html: str) -> None:
    (folder / rel).unlink()  # a new file, as the build writes: never the fixture's through a hard link
    (folder / rel).write_text(html, encoding="utf-8")


def with_link(html: str, tag: str) -> str:
    """The page with `tag` added at the end of its <main>."""
    assert html.count("</main>") == 1
    return html.replace("</main>", f"<p>{tag}</p>\n</main>")


def page_problems(folder: Path, manifest: dict) -> list[str]:
    """What check_page finds on every page of the version, each given its manifest entry (the index: none)."""
    return [p for rel in SITE for p in check_page(read(folder, rel), rel, folder, manifest.get(rel))]


def test_the_built_version_passes_every_check(version, manifest):
    assert sorted(manifest) == sorted(PAGES)
    assert page_problems(version, manifest) == []
    assert check_version(version, list(manifest)) == []


# --- a page cut short ---------------------------------------------------------------------------


@pytest.mark.parametrize("cut", ["half", "before </html>", "before </main>", "empty"])
def test_an_incomplete_page_is_refused(version, manifest, cut):
    html = read(version, "toll.html")
    short = {"half": html[: len(html) // 2], "before </html>": html[: html.rindex("</html>")],
             "before </main>": html[: html.index("</main>")], "empty": ""}[cut]
    write(version, "toll.html", short)
    assert "toll.html is not a complete page" in check_page(short, "toll.html", version, manifest["toll.html"])
    problems = check_version(version, list(manifest))
    assert problems[0] == "toll.html is not a complete page"
    assert all(p.startswith("toll.html ") for p in problems)  # the other pages are as they were


def test_a_page_without_its_main_is_incomplete_even_if_it_ends_well(version, manifest):
    html = read(version, "profiles/southland.html").replace("</main>", "")
    write(version, "profiles/southland.html", html)
    assert check_version(version, list(manifest)) == ["profiles/southland.html is not a complete page"]


# --- files that are not there ---------------------------------------------------------------------


@pytest.mark.parametrize("asset", ["charts.js", "style.css", "plotly-storykit.min.js", "geo-*.js"])
def test_a_missing_asset_is_named_on_every_page_that_loads_it(version, manifest, asset):
    [path] = (version / "assets").glob(asset)
    users = [rel for rel in SITE if f'assets/{path.name}"' in read(version, rel)]
    assert users, f"no page loads {path.name}"
    # the log's pages, and the Arabic edition's index (the synthetic notebooks have no Arabic)
    logged = [rel for rel in ("changes.html", "ar/changes.html", "ar/index.html") if f'assets/{path.name}"' in read(version, rel)]
    path.unlink()
    expected = [f"{rel} refers to {'../' * rel.count('/')}assets/{path.name}, which is not in the site"
                for rel in sorted(users + logged)]
    assert check_version(version, list(manifest)) == expected
    expected = [e for e in expected if not e.startswith(("changes.html ", "ar/"))]
    assert page_problems(version, manifest) == sorted(expected, key=lambda p: SITE.index(p.split()[0]))


needs_chromium = pytest.mark.skipif(firstpaint.chromium() is None, reason="no Chromium: the pages have no pictures")


@needs_chromium
@pytest.mark.parametrize("which", ["srcset", "src"])  # the phone's (a <source>) or the desktop's (the <img>)
def test_a_missing_picture_is_named_on_every_page_that_shows_it(version, manifest, which):
    shown = {rel: re.findall(rf'{which}="((?:\.\./)*assets/pictures/[\w.]+)"', read(version, rel)) for rel in SITE}
    assert all(shown[rel] for rel in PAGES) and not shown["index.html"]  # every chart has its pictures
    name = shown["toll.html"][0].rsplit("/", 1)[1]
    (version / "assets" / "pictures" / name).unlink()
    expected = [f"{rel} refers to {ref}, which is not in the site" for rel in sorted(SITE) for ref in
                dict.fromkeys(shown[rel]) if ref.endswith(name)]
    assert expected and check_version(version, list(manifest)) == expected


@needs_chromium
def test_the_sweep_of_unused_assets_keeps_every_picture_a_page_shows(version):
    pictures = version / "assets" / "pictures"
    shown = {m for rel in SITE for m in re.findall(r'assets/pictures/([\w.]+)"', read(version, rel))}
    assert shown and {p.name for p in pictures.iterdir()} == shown
    (pictures / "0123456789abcdef0123.svg").write_text("<svg/>")  # a picture of a chart no page shows any more
    (version / "assets" / "geo-0123456789abcdef.js").write_text("")
    assert [p.relative_to(version).as_posix() for p in assets.unused(version)] == [
        "assets/geo-0123456789abcdef.js", "assets/pictures/0123456789abcdef0123.svg"]


def test_a_missing_page_is_named_and_so_is_every_link_to_it(version, manifest):
    (version / "profiles" / "southland.html").unlink()
    assert check_version(version, list(manifest)) == [
        "index.html refers to profiles/southland.html, which is not in the site",
        # the profiles link to each other (storykit.site.navigation)
        "profiles/northland.html refers to ../profiles/southland.html, which is not in the site",
        "profiles/southland.html is missing"]


@pytest.mark.parametrize("rel, tag, ref", [
    ("toll.html", '<a href="method.html">How we counted</a>', "method.html"),
    ("toll.html", '<a href="places.html#nowhere">x</a> <a href="method.html?v=2#top">y</a>', "method.html?v=2#top"),
    ("index.html", '<a href="profiles/eastland.html">Eastland</a>', "profiles/eastland.html"),
    ("profiles/northland.html", '<a href="eastland.html">Eastland</a>', "eastland.html"),
    ("profiles/northland.html", '<a href="../toll%20old.html">x</a>', "../toll%20old.html"),
    ("places.html", '<img alt="" src="assets/legend.png">', "assets/legend.png"),
    ("places.html", '<a href="profiles/">the profiles</a>', "profiles/"),  # a folder is no page
])
def test_a_broken_local_link_is_named(version, manifest, rel, tag, ref):
    write(version, rel, with_link(read(version, rel), tag))
    expected = [f"{rel} refers to {ref}, which is not in the site"]
    assert check_page(read(version, rel), rel, version, manifest.get(rel)) == expected
    assert check_version(version, list(manifest)) == expected


def test_a_link_out_of_the_version_is_refused_even_to_a_file_that_exists(version, manifest):
    # The version's parent holds the manifests and the other versions: nothing a reader may be sent to.
    (version.parent / "outside.html").write_text("<!doctype html><main></main></html>")
    write(version, "profiles/southland.html", with_link(read(version, "profiles/southland.html"),
                                                        '<a href="../../outside.html">out</a>'))
    assert check_version(version, list(manifest)) == [
        "profiles/southland.html refers to ../../outside.html, which is not in the site"]


def test_links_to_pages_that_exist_or_are_coming_and_links_out_of_the_site_pass(version, manifest):
    html = with_link(read(version, "toll.html"), '<a href="profiles/southland.html#people">s</a> '
                     '<a href="./places.html?year=2016">p</a> <a href="https://example.org/report.pdf">pdf</a> '
                     '<a href="mailto:desk@example.org">mail</a> <a href="#main">top</a>')
    write(version, "toll.html", html)
    assert check_page(html, "toll.html", version, manifest["toll.html"]) == []
    (version / "index.html").unlink()  # the build writes the index last
    assert check_page(html, "toll.html", version, manifest["toll.html"], coming=("index.html",)) == []
    assert check_page(html, "toll.html", version, manifest["toll.html"]) == [
        "toll.html refers to index.html, which is not in the site",
        "toll.html refers to index.html#profiles, which is not in the site"]  # the menu's link to the profiles


# --- charts and figures that differ from what the notebook recorded -----------------------------------


def test_a_chart_missing_from_the_page_is_refused(version, manifest):
    html = read(version, "toll.html")
    assert len(FIGURE.findall(html)) == manifest["toll.html"]["charts"] == 1
    html = FIGURE.sub("", html)
    assert check_page(html, "toll.html", version, manifest["toll.html"]) == [
        "toll.html has 0 complete chart(s) of the 1 its notebook showed"]


def test_a_chart_without_its_data_is_refused(version, manifest):
    html = read(version, "places.html")
    assert manifest["places.html"]["charts"] == 2
    html, n = re.subn(r'<script [^>]*id="sk-people-by-place-2-json"[^>]*>.*?</script>', "", html,
                      flags=re.DOTALL)
    assert n == 1
    assert check_page(html, "places.html", version, manifest["places.html"]) == [
        "places.html has 1 complete chart(s) of the 2 its notebook showed"]


def test_a_chart_whose_data_belongs_to_no_plot_is_refused(version, manifest):
    html = read(version, "places.html").replace('id="sk-people-by-place-2-json"', 'id="sk-people-by-place-9-json"')
    assert check_page(html, "places.html", version, manifest["places.html"]) == [
        "places.html has 1 complete chart(s) of the 2 its notebook showed"]


def test_a_page_with_more_charts_than_its_notebook_showed_is_refused(version, manifest):
    html = read(version, "places.html")
    entry = manifest["places.html"] | {"charts": 1}
    assert check_page(html, "places.html", version, entry) == [
        "places.html has 2 complete chart(s) of the 1 its notebook showed"]


def test_a_changed_figure_is_refused(version, manifest):
    html = read(version, "toll.html")
    recorded = {f["text"] for f in manifest["toll.html"]["facts"]}
    shown = re.findall(r'<span class="fact">([^<]*)</span>', html)
    assert shown and set(shown) <= recorded
    first = shown[0]
    html = html.replace(f'<span class="fact">{first}</span>', '<span class="fact">999,999</span>', 1)
    assert check_page(html, "toll.html", version, manifest["toll.html"]) == [
        "toll.html shows figure(s) 999,999 that its notebook did not record"]


def test_a_figure_of_another_page_is_refused(version, manifest):
    """Northland's profile showing Southland's count: a figure, but not one its notebook recorded there."""
    north, south = (manifest[f"profiles/{p}.html"]["facts"][0]["text"] for p in ("northland", "southland"))
    assert north != south
    html = read(version, "profiles/northland.html").replace(f'<span class="fact">{north}</span>',
                                                             f'<span class="fact">{south}</span>')
    assert check_page(html, "profiles/northland.html", version, manifest["profiles/northland.html"]) == [
        f"profiles/northland.html shows figure(s) {south} that its notebook did not record"]


# --- files that are no part of the site ---------------------------------------------------------------


@pytest.mark.parametrize("leftover", ["notes.txt", "profiles/eastland.html", ".toll.html.x1y2.part",
                                      "assets/.charts.js.k3j4.part", "drafts/toll.ipynb"])
def test_a_leftover_file_is_refused(version, manifest, leftover):
    (version / leftover).parent.mkdir(parents=True, exist_ok=True)
    (version / leftover).write_text("<!doctype html><main></main></html>")
    assert check_version(version, list(manifest)) == [f"{leftover} is not part of the site (a leftover file)"]


def test_a_page_the_manifest_no_longer_names_is_a_leftover(version, manifest):
    del manifest["profiles/southland.html"]
    assert check_version(version, list(manifest)) == [
        "profiles/southland.html is not part of the site (a leftover file)"]


# --- the same faults in a build ------------------------------------------------------------------------


def store(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ".site").iterdir())


def without_notice(html: str) -> str:
    return re.sub(r"<!--sk-notice-->.*?<!--/sk-notice-->", "<!--sk-notice--><!--/sk-notice-->", html, flags=re.DOTALL)


def nothing_partial(root: Path) -> None:
    """Online is one whole, committed version that passes its checks; nothing half-made is left."""
    site = Site(root)
    current, manifest = site.current(), site.manifest()
    assert current is not None and current.parent == (root / ".site").resolve()
    assert check_version(current, list(manifest)) == []
    for rel in manifest:
        assert check_page(read(current, rel), rel, current, manifest[rel]) == [], rel
    versions = [p for p in (root / ".site").iterdir() if p.is_dir()]
    assert all((root / ".site" / f"{v.name}.json").is_file() for v in versions)  # no unfinished version
    assert not list(root.glob(".reports-*")) and not list((root / "build").glob("staging-*"))
    assert not [p for p in current.rglob("*") if p.name.endswith(".part")]


def add_markdown(root: Path, notebook: str, text: str) -> None:
    path = root / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_markdown_cell(text))
    nbformat.write(nb, path)


def test_a_page_that_fails_its_check_in_a_build_keeps_its_last_version_and_the_others_publish(copy):
    """A notebook whose prose links a file the site does not have: its page is refused at build time."""
    before, old = snapshot(copy), Site(copy).manifest()
    old_current = Site(copy).current()
    add_markdown(copy, "toll.ipynb", "Read [how we counted](method.html) before the figures.")
    with pytest.raises(BuildError, match=r"1 of 4 page\(s\) were not published") as failed:
        build(force=True, **QUIET)
    assert ("toll: the page failed its check: toll.html refers to method.html, which is not in the site."
            in str(failed.value))
    assert not any(page in str(failed.value) for page in PAGES if page != "toll.html")

    after, new = snapshot(copy), Site(copy).manifest()
    current = Site(copy).current()
    assert current != old_current  # a new version was published
    # The refused page: the one online before, the same bytes but for the notice that its update failed.
    toll = after["toll.html"].decode()
    assert "The last update failed on " in toll and "method.html" not in toll
    assert without_notice(toll).encode() == before["toll.html"]
    assert new["toll.html"].pop("failed") and new["toll.html"] == old["toll.html"]
    # The others were made again (new files, new manifest entries) and published.
    for page in PAGES:
        if page != "toll.html":
            assert (current / page).stat().st_ino != (old_current / page).stat().st_ino, page
            assert new[page]["built"] > old[page]["built"] and "failed" not in new[page], page
            assert "The last update failed" not in after[page].decode(), page
    assert sorted(after) == sorted(before) and after["index.html"] != before["index.html"]
    assert after["index.html"].decode().count("The last update failed on") == 1
    assert not list(copy.rglob("method.html"))
    nothing_partial(copy)
    assert len([p for p in (copy / ".site").iterdir() if p.is_dir()]) == 2  # this one and the one before


def test_a_stray_file_in_the_published_site_stops_the_next_build_and_changes_nothing(copy):
    """A file dropped by hand into reports/ (the live version) would be carried into the next one."""
    (copy / "reports" / "notes.txt").write_text("a reporter's notes")
    before, versions, manifest = snapshot(copy), store(copy), Site(copy).manifest()
    with pytest.raises(BuildError, match=r"The new site failed its check, so nothing was published:\n"
                                         r"  notes\.txt is not part of the site \(a leftover file\)$"):
        build(["toll"], force=True, **QUIET)
    assert snapshot(copy) == before
    assert store(copy) == versions and Site(copy).manifest() == manifest
    assert not list(copy.glob(".reports-*"))


def test_a_leftover_in_the_new_version_found_by_the_last_check_publishes_nothing(copy, monkeypatch):
    """The index's writer leaves the temporary file of an atomic write behind in the new version."""
    write_index = build_module.index_html

    def leaving_a_part(config, manifest, version, built, stale, ed):
        (version / ".index.html.zz9.part").write_text("<!doctype html>")
        return write_index(config, manifest, version, built, stale, ed)

    monkeypatch.setattr(build_module, "index_html", leaving_a_part)
    before, versions, manifest = snapshot(copy), store(copy), Site(copy).manifest()
    current = Site(copy).current()
    said = []
    with pytest.raises(BuildError, match=r"nothing was published:\n  \.index\.html\.zz9\.part is not part of the "
                                         r"site \(a leftover file\)$"):
        build(["toll"], force=True, log=said.append)
    assert "checking the new site and publishing it" in said  # the pages passed; the whole version did not
    assert snapshot(copy) == before
    assert Site(copy).current() == current and store(copy) == versions and Site(copy).manifest() == manifest
    assert not list(copy.glob(".reports-*")) and not list(copy.rglob("*.zz9.part"))


def test_a_page_linking_a_new_page_that_fails_its_check_does_not_stop_the_others(copy):
    """toll.html links extra.html, a new report (never published) whose page fails its check."""
    config = (copy / "reports.toml").read_text()
    (copy / "reports.toml").write_text(config.replace('[[reports]]\nname = "places"',
                                                      '[[reports]]\nname = "extra"\nnotebook = "extra.ipynb"\n\n'
                                                      '[[reports]]\nname = "places"', 1))
    shutil.copy(copy / "notebooks" / "toll.ipynb", copy / "notebooks" / "extra.ipynb")
    add_markdown(copy, "extra.ipynb", "Read [how we counted](method.html) before the figures.")
    add_markdown(copy, "toll.ipynb", "See also [the extra page](extra.html).")
    places = (copy / "reports" / "places.html").stat().st_ino
    with pytest.raises(BuildError, match=r"extra: the page failed its check: extra\.html refers to method\.html"):
        build(["toll", "extra", "places"], force=True, **QUIET)
    assert (copy / "reports" / "places.html").stat().st_ino != places  # places.html was made again and published
    assert not (copy / "reports" / "extra.html").exists()
    nothing_partial(copy)


# --- the real site --------------------------------------------------------------------------------------


def test_every_page_of_the_real_site_passes_every_check(real_site):
    site = Site(real_site)
    current, manifest = site.current(), site.manifest()
    assert current is not None and (real_site / "reports").resolve() == current
    assert (real_site / ".site" / f"{current.name}.json").is_file()
    assert sorted(manifest) == sorted(REAL[1:])
    pages = sorted(p.relative_to(current).as_posix() for p in current.rglob("*.html"))
    embeds = [p for p in pages if p.startswith("assets/embed/")]  # a page per chart (storykit.site.embeds)
    # and the log's page in each edition (storykit.site.changes)
    assert sorted(set(pages) - set(embeds)) == sorted(BOTH + ["changes.html", "ar/changes.html"])
    assert len(embeds) == sum(entry["charts"] + entry["ar"]["charts"] for entry in manifest.values())  # both editions
    for rel in embeds:
        try:
            check_published(read(current, rel), rel, local=(str(real_site),))
        except PageError as e:
            pytest.fail(str(e))
    for rel in BOTH:
        html = read(current, rel)
        entry = manifest.get(rel) or (manifest.get(rel.removeprefix("ar/")) or {}).get("ar")
        try:
            check_published(html, rel, local=(str(real_site),))
        except PageError as e:
            pytest.fail(str(e))
        assert check_page(html, rel, current, entry) == [], rel
        if entry is not None:
            assert entry["charts"] >= 1 and entry["facts"], rel
            assert len(FIGURE.findall(html)) == entry["charts"], rel
            assert set(re.findall(r'<span class="fact">([^<]*)</span>', html)) <= {f["text"] for f in entry["facts"]}
    assert check_version(current, edition.pages(manifest)) == []


def test_every_real_page_describes_itself_for_search_and_shared_links(real_site):
    current = (real_site / "reports").resolve()
    descriptions = {}
    for rel in REAL:
        html = read(current, rel)
        meta = dict(re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', html))
        title = re.search(r"<h1>(.*?)</h1>", html, re.S)
        assert meta["description"] and meta["og:description"] == meta["description"], rel
        assert title is None or meta["description"] != title.group(1), rel  # its standfirst, not its title again
        # a large card when the page has a share image (drawn by Chromium: tests/test_sharing.py)
        assert meta["og:title"] and meta["twitter:card"] == ("summary_large_image" if "og:image" in meta
                                                             else "summary"), rel
        assert '<link rel="icon" href="data:image/svg+xml,' in html, rel  # inline: no request, no 404
        descriptions[rel] = meta["description"]
    assert len(set(descriptions.values())) == len(REAL)  # each page its own
