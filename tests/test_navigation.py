"""The links between pages: the menu of stories on every page, Next and Previous between stories, the
profiles linked to each other and from the index's map, the canonical address from [site] url; and
every local link of a built site leads to a file that is there."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from storykit.errors import StorykitError
from storykit.site import navigation
from storykit.site.build import build
from storykit.site.config import load_config
from .browser import browser, needs_chromium, serve  # noqa: F401 (browser: a fixture)

STORIES = ["toll.html", "places.html"]
PROFILES = ["profiles/northland.html", "profiles/southland.html"]


class _Links(HTMLParser):
    """Every href and src of a page, the ids it has, and the menu's links with their aria-current."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.ids, self.menu, self.canonical, self._menu = [], set(), [], None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "ul" and a.get("class") == "site-menu":
            self._menu = True
        if tag == "a" and self._menu:
            self.menu.append((a["href"], a.get("aria-current")))
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        self.refs += [a[n] for n in ("href", "src") if a.get(n)]

    def handle_endtag(self, tag):
        if tag == "ul":
            self._menu = False


def parsed(path: Path) -> _Links:
    links = _Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def broken_links(site: Path) -> list[str]:
    """Every local href or src of every page that leads to no file, or to no element of its page."""
    site, broken = site.resolve(), []
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        for ref in parsed(page).refs:
            target = urlsplit(ref)
            if target.scheme or target.netloc:
                continue  # another site, or a data: URI
            path = (page.parent / unquote(target.path)).resolve() if target.path else page
            if not path.is_relative_to(site) or not path.is_file():
                broken.append(f"{page.relative_to(site)}: {ref}")
            elif target.fragment and path.suffix == ".html" and target.fragment not in parsed(path).ids:
                broken.append(f"{page.relative_to(site)}: {ref} (no such place on the page)")
    return broken


def test_every_local_link_of_the_real_site_resolves(real_site):
    assert broken_links(real_site / "reports") == []


def test_every_page_has_the_menu_in_the_order_of_reports_toml(synthetic_site):
    site = synthetic_site / "reports"
    menu = ["toll.html", "places.html", "index.html#profiles"]
    for out in ["index.html", *STORIES, *PROFILES]:
        links = parsed(site / out)
        root = "../" * out.count("/")
        assert [href for href, _ in links.menu] == [root + m for m in menu], out
        current = [href for href, mark in links.menu if mark]
        assert current == ([] if out == "index.html" else [root + ("index.html#profiles" if "/" in out else out)])
        assert links.canonical is None  # reports.toml names no address
    assert 'aria-current="page">' in (site / "index.html").read_text(encoding="utf-8")  # the site's name
    profile = (site / PROFILES[0]).read_text(encoding="utf-8")
    assert 'aria-current="true">Place profiles</a>' in profile  # its section; the page itself is in the list below
    assert re.search(r'href="../profiles/northland.html" aria-current="page">Profile: Northland<', profile)
    assert re.search(r'rel="next" href="../profiles/southland.html"><span class="pager-way">Next:</span> '
                     r'Profile: Southland</a>', profile) and 'rel="prev"' not in profile
    toll = (site / "toll.html").read_text(encoding="utf-8")
    assert re.search(r'rel="next" href="places.html"><span class="pager-way">Next:</span> Where people went', toll)
    assert 'rel="prev"' not in toll and 'rel="prev" href="toll.html"' in (site / "places.html").read_text("utf-8")
    assert broken_links(site) == []


def test_the_index_map_links_each_profile(synthetic_site):
    html = (synthetic_site / "reports" / "index.html").read_text(encoding="utf-8")
    svg = re.search(r'<section id="profiles".*?(<svg .*?</svg>)', html, re.S).group(1)
    assert re.findall(r'<a href="([^"]+)"', svg) == PROFILES
    assert '<title>Profile: Northland</title>' in svg
    assert svg.count("<path") == 3  # the place without a page is drawn, not linked
    assert len(svg) < 20_000


def test_a_change_to_reports_toml_remakes_the_menus_without_a_kernel(copy, monkeypatch):
    toml = copy / "reports.toml"
    text = toml.read_text(encoding="utf-8")
    toll, places = text.index('[[reports]]\nname = "toll"'), text.index('[[reports]]\nname = "places"')
    profile = text.index('[[reports]]\nname = "profile"')
    # places first, a menu name for the toll, and the site's address
    text = (text[:toll] + text[places:profile] + text[toll:places].replace('notebook = "toll.ipynb"',
            'notebook = "toll.ipynb"\ntitle = "Deaths"') + text[profile:])
    toml.write_text(text.replace('kernel = "python3"', 'kernel = "python3"\nurl = "https://example.org/made-up"'),
                    encoding="utf-8")
    from storykit.site import kernels

    monkeypatch.setattr(kernels.Pool, "for_site", lambda *a, **k: pytest.fail("a kernel was started"))
    build(log=lambda _: None)
    site = copy / "reports"
    for out in ["index.html", *STORIES, *PROFILES]:
        links = parsed(site / out)
        root = "../" * out.count("/")
        assert [h for h, _ in links.menu] == [root + m for m in ("places.html", "toll.html", "index.html#profiles")]
        address = "https://example.org/made-up/" + ("" if out == "index.html" else out)
        assert links.canonical == address
        assert f'<meta property="og:url" content="{address}">' in (site / out).read_text(encoding="utf-8")
    assert ">Deaths</a>" in (site / "places.html").read_text(encoding="utf-8")
    assert 'rel="next" href="toll.html"' in (site / "places.html").read_text(encoding="utf-8")
    assert broken_links(site) == []
    # And back: no address, no canonical link.
    toml.write_text(toml.read_text(encoding="utf-8").replace('url = "https://example.org/made-up"\n', ""),
                    encoding="utf-8")
    build(log=lambda _: None)
    assert all(parsed(site / out).canonical is None for out in ["index.html", *STORIES, *PROFILES])


@pytest.mark.parametrize("value", ['"example.org"', '"ftp://example.org/"', '"https://"', "true", '"https://a b/"',
                                   '"https://example.org/?page=1"'])
def test_a_bad_url_is_a_clear_error(tmp_path, value):
    (tmp_path / "reports.toml").write_text(f'[site]\nurl = {value}\n', encoding="utf-8")
    with pytest.raises(StorykitError) as e:
        load_config(tmp_path)
    message = str(e.value)
    assert "reports.toml" in message and "[site] url" in message and "https://" in message


def test_a_good_url_ends_with_a_slash(tmp_path):
    (tmp_path / "reports.toml").write_text('[site]\nurl = "http://example.org/syria"\n', encoding="utf-8")
    assert load_config(tmp_path).url == "http://example.org/syria/"
    (tmp_path / "reports.toml").write_text("[site]\n", encoding="utf-8")
    assert load_config(tmp_path).url == ""


def test_a_page_from_before_the_menus_gets_them():
    old = ('<!doctype html><html><head><title>t</title></head><body><header class="site-header">'
           '<nav aria-label="Site"><a class="site-name" href="index.html">S</a></nav></header>'
           '<main id="main"><p>text</p></main></body></html>')
    filled = navigation.stamp(old, {"links": "<link rel=canonical href=x>", "menu": "MENU", "foot": "FOOT"})
    assert '<nav aria-label="Site"><!--sk-menu-->MENU<!--/sk-menu--></nav>' in filled
    assert "<!--sk-foot-->FOOT<!--/sk-foot-->\n</main>" in filled
    assert "<!--sk-links--><link rel=canonical href=x><!--/sk-links-->\n</head>" in filled
    assert navigation.stamp(filled, {"menu": "NEW"}).count("NEW") == 1 and "MENU" not in \
        navigation.stamp(filled, {"menu": "NEW"})


@needs_chromium
def test_the_menu_and_the_map_in_chromium(synthetic_site, browser):  # noqa: F811
    with serve(synthetic_site / "reports") as base:
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(base + "toll.html")
        # The menu stays one row on a phone: the headline is not pushed far down.
        assert phone.locator("h1").bounding_box()["y"] < 160
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the row scrolls, not the page
        phone.goto(base + "index.html")
        link = phone.locator('.place-map-svg a[href="profiles/southland.html"]')
        assert link.get_attribute("aria-label") == "Profile: Southland"
        phone.focus('.place-map-svg a[href="profiles/northland.html"]')
        phone.keyboard.press("Tab")  # the keyboard goes from one place to the next
        assert phone.evaluate("document.activeElement.getAttribute('href')") == "profiles/southland.html"
        fill = "a => getComputedStyle(a.querySelector('path')).fill"
        assert link.evaluate(fill) != phone.locator('.place-map-svg a[href="profiles/northland.html"]').evaluate(fill)
        phone.keyboard.press("Enter")
        phone.wait_for_url("**/profiles/southland.html")
        assert phone.locator("h1").inner_text() == "Profile: Southland"
        phone.click(".site-menu >> text=Place profiles")  # the menu leads back to the list and the map
        phone.wait_for_url("**/index.html#profiles")
        assert phone.locator("#profiles .place-map-svg").is_visible()
        phone.close()


def test_the_profiles_entry_is_one_per_fan_out(synthetic_site):
    config = load_config(synthetic_site)
    manifest = json.loads(sorted((synthetic_site / ".site").glob("*.json"))[-1].read_text(encoding="utf-8"))
    entries = navigation.menu(config, manifest)
    assert [e["label"] for e in entries] == ["The toll", "Where people went", "Place profiles"]
    assert entries[-1]["pages"] == PROFILES
