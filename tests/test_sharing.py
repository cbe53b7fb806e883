"""Charts that travel (issue 13), on this repository's own site: every page's share image, every
chart's embed page, snippet, CSV and metadata, and links from each story to every other."""

import json
import re
import struct
from html import unescape
from pathlib import Path

import pytest

from .browser import REAL_PAGES, STORIES, browser, needs_chromium, serve  # noqa: F401
from storykit.site import firstpaint, sharecard
from storykit.site.pages import Page

BOM = b"\xef\xbb\xbf"


def read(site: Path, rel: str) -> str:
    return (site / "reports" / rel).read_text(encoding="utf-8")


def meta(html: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', html)}


def embeds(html: str) -> list[str]:
    """The embed pages a page links beside its charts, from the site's root."""
    return [h.lstrip("./") for h in re.findall(r'<a class="sk-alone" href="([^"]+)"', html)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@needs_chromium
@pytest.mark.parametrize("page", REAL_PAGES)
def test_every_page_has_a_share_image_of_its_own(real_site, page):
    tags = meta(read(real_site, page))
    assert tags["twitter:card"] == "summary_large_image" and tags["og:image:alt"]
    image = (real_site / "reports" / page).parent / tags["og:image"]  # relative: reports.toml names no url
    data = image.read_bytes()
    assert png_size(data) == (sharecard.WIDTH, sharecard.HEIGHT) == (1200, 630)
    assert len(data) < 400_000
    assert (int(tags["og:image:width"]), int(tags["og:image:height"])) == (1200, 630)


def test_every_chart_has_an_embed_page_a_snippet_and_its_data_with_sources(real_site):
    reports = real_site / "reports"
    for page in REAL_PAGES[1:]:
        html = read(real_site, page)
        figures = re.findall(r'<figure\b[^>]*class="sk-chart".*?</figure>', html, re.S)
        assert figures and len(embeds(html)) == len(figures), page
        root = "../" * page.count("/")
        for figure in figures:
            [alone] = embeds(figure)
            assert (reports / alone).is_file(), alone
            code = unescape(re.search(r'<textarea[^>]*class="sk-embed-code"[^>]*>(.*?)</textarea>', figure, re.S)[1])
            frame = re.search(r'<iframe src="([^"]+)"[^>]*data-storykit-embed', code)
            assert frame and frame[1] == root + alone and "postMessage" not in code and "message" in code
            csv = re.search(r'href="([^"]+\.csv)"', figure)[1]
            assert (reports / page).parent.joinpath(csv).read_bytes().startswith(BOM), csv
            sources = json.loads((reports / page).parent.joinpath(csv.replace(".csv", ".metadata.json")).read_text())
            assert sources["data"]["file"] == Path(csv).name and sources["page"]["url"] == page
            assert sources["sources"] and all(s["licence"] and s["publisher"] for s in sources["sources"])
            assert sources["data"]["rows"] >= 1


def test_each_story_page_links_to_every_other_story_page(real_site):
    for page in STORIES:
        links = set(re.findall(r'href="([^"#]+)', read(real_site, page)))
        assert set(STORIES) - {page} <= links, page


@pytest.fixture(scope="module")
def served(real_site):
    with serve(real_site / "reports") as base:
        yield base


@needs_chromium
def test_an_embed_page_draws_its_chart_alone_with_a_clean_console_and_nothing_from_elsewhere(real_site, served,
                                                                                               browser):  # noqa: F811
    pages = sorted({e for page in REAL_PAGES[1:] for e in embeds(read(real_site, page))})
    # one of each kind: a bar chart, a map, a heat map (the files are named by page, then chart)
    chosen = [next(p for p in pages if p.startswith(f"assets/embed/{k}")) for k in ("truce--", "casualties--",
                                                                                     "governorates-idleb--")]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    for rel in chosen:
        tab, errors, elsewhere = context.new_page(), [], []
        tab.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("request", lambda r: None if r.url.startswith((served, "data:", "blob:")) else elsewhere.append(r.url))
        tab.goto(served + rel, wait_until="load")
        tab.wait_for_selector(".js-plotly-plot svg.main-svg", timeout=30_000)
        assert tab.locator("h1").count() == 1 and tab.locator("figure.sk-chart").count() == 1
        back = tab.locator('.sk-embed-credit a[target="_top"]').first.get_attribute("href")
        assert (real_site / "reports" / "assets" / "embed" / back).resolve().is_file()
        assert tab.locator("details.sk-table, details.sk-embed, .site-header").count() == 0  # the chart alone
        assert errors == [] and elsewhere == [], rel
        tab.close()
    context.close()


@needs_chromium
def test_the_snippet_frame_takes_the_height_of_its_chart(real_site, served, browser, tmp_path):  # noqa: F811
    figure = re.search(r'<figure\b[^>]*class="sk-chart".*?</figure>', read(real_site, "truce.html"), re.S)[0]
    code = unescape(re.search(r'<textarea[^>]*class="sk-embed-code"[^>]*>(.*?)</textarea>', figure, re.S)[1])
    default = int(re.search(r'height="(\d+)"', code)[1])
    # Another site (another origin: a second server) pastes the code, its src made absolute.
    code = re.sub(r'src="(?:\.\./)*', f'src="{served}', code, count=1)
    (tmp_path / "host.html").write_text(f"<!doctype html><title>host</title><p>A newsroom's story.</p>{code}")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    with serve(tmp_path) as host:
        tab = context.new_page()
        tab.goto(host + "host.html", wait_until="load")
        frame = tab.frame_locator("iframe").locator(".js-plotly-plot svg.main-svg")
        frame.first.wait_for(timeout=30_000)
        tab.wait_for_function(f"document.querySelector('iframe').getBoundingClientRect().height != {default}",
                              timeout=10_000)
        inner = tab.frames[1].evaluate("document.documentElement.scrollHeight")
        outer = tab.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
        assert abs(outer - inner) <= 2
        # the frame shows the whole chart: nothing scrolls inside it
        assert tab.frames[1].evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    context.close()


def test_without_chromium_a_page_has_no_share_image_and_says_summary(monkeypatch):
    monkeypatch.setattr(firstpaint._worker, "chromium_version", lambda: None)
    assert sharecard.for_page(Path("/nonexistent"), Page(title="A title", summary_html="", as_of="", body=""),
                              Path(__file__)) is None
