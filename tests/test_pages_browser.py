"""The built pages in real Chromium, opened from disk (the synthetic site's, and every page of this
repository's own site built on the real data): charts draw, the console stays clean, no
request leaves the machine, phones get no sideways scrolling, and axe-core finds no serious or
critical accessibility violation. The first chart is on screen before plotly.js has loaded (a
static picture drawn at build time for the reader's width, as every chart has); charts come from the
partial plotly.js, drawn one per frame in page order, and each answers the pointer."""

from pathlib import Path

import pytest

from storykit.site.assets import BUNDLE_TRACES

from .browser import VIEWPORTS, axe_js, axe_violations, browser, needs_chromium  # noqa: F401 (fixtures)
from .synthetic_site import PLACES

PAGES = ["index.html", "toll.html", "places.html", "profiles/northland.html", "profiles/southland.html"]

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(synthetic_site) -> Path:
    return synthetic_site / "reports"


class Tab:
    """One page of the browser at one width, reused page after page: what its pages wrote to the
    console as errors, and the requests that would have left the machine (refused)."""

    def __init__(self, browser, viewport: str):
        self.width = VIEWPORTS[viewport]["width"]
        self.context = browser.new_context(viewport=VIEWPORTS[viewport])
        self.errors, self.outside = [], []
        self.context.route("**", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _only_local(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


@pytest.fixture(scope="module")
def tabs(browser):
    made = {viewport: Tab(browser, viewport) for viewport in VIEWPORTS}
    yield made
    for tab in made.values():
        tab.context.close()


def open_and_check(tab: Tab, path: Path, axe_js: str, shapes: int | None = None) -> None:
    """Open the page and check it as a reader's browser would: every chart draws, the console stays
    clean, nothing is fetched from elsewhere, no sideways scrolling, no serious or critical axe-core
    violation. `shapes`: the places each map must draw."""
    page = tab.page
    tab.errors.clear()
    tab.outside.clear()
    page.goto(path.as_uri())
    figures = page.locator("figure.sk-chart").count()
    if path.name != "index.html":
        assert figures >= 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.sk-chart .sk-plot')]"
        ".every(d => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg'))",
        timeout=30_000)
    assert page.locator(".js-plotly-plot svg.main-svg").count() >= figures
    if shapes is not None:  # a page that loads map shapes has maps, and each drew one shape per place
        maps = page.locator(".js-plotly-plot:has(path.choroplethlocation)")
        assert (maps.count() > 0) == (page.locator('script[src*="assets/geo-"]').count() > 0)
        assert [maps.nth(i).locator("path.choroplethlocation").count() for i in range(maps.count())] == \
            [shapes] * maps.count()
    assert page.evaluate("document.documentElement.lang") == "en" and page.title()
    assert page.evaluate("document.documentElement.scrollWidth") <= tab.width
    page.wait_for_load_state("load")
    assert tab.errors == [] and tab.outside == []

    assert axe_violations(page, axe_js) == []
    assert tab.errors == [] and tab.outside == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_in_chromium(site, tabs, axe_js, name, viewport):
    open_and_check(tabs[viewport], site / name, axe_js, shapes=len(PLACES) if name == "places.html" else None)
    if name == "places.html":  # the one map is there
        assert tabs[viewport].page.locator("path.choroplethlocation").count() == len(PLACES)


# Before the page's own scripts: count animation frames, and note the frame in which each chart
# began to be drawn (Plotly marks its div js-plotly-plot).
DRAW_ORDER = """
window.__sk = {frame: 0, drawn: []};
(function tick() { window.__sk.frame++; requestAnimationFrame(tick); })();
new MutationObserver(records => records.forEach(r => {
  const d = r.target;
  if (d.classList && d.classList.contains("sk-plot") && d.classList.contains("js-plotly-plot")
      && !window.__sk.drawn.some(x => x[0] === d.id)) window.__sk.drawn.push([d.id, window.__sk.frame]);
})).observe(document, {subtree: true, attributes: true, attributeFilter: ["class"]});
"""


@pytest.mark.parametrize("name", [p for p in PAGES if p != "index.html"])
def test_charts_come_from_the_partial_plotly_one_per_frame_and_answer_the_pointer(site, browser, name):
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    loaded = []
    context.route("**", lambda route: (loaded.append(route.request.url), route.continue_()
                                       if route.request.url.startswith("file://") else route.abort()))
    page = context.new_page()
    page.add_init_script(DRAW_ORDER)
    try:
        page.goto((site / name).as_uri())
        plots = page.locator("figure.sk-chart .sk-plot")
        ids = [plots.nth(i).get_attribute("id") for i in range(plots.count())]
        page.wait_for_function(f"() => window.__sk.drawn.length === {len(ids)}", timeout=30_000)
        scripts = [u.rsplit("/", 1)[-1] for u in loaded if u.endswith(".js")]
        assert "plotly-storykit.min.js" in scripts and "plotly.min.js" not in scripts
        assert sorted(page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)")) == sorted(BUNDLE_TRACES)

        drawn = page.evaluate("window.__sk.drawn")
        assert [d[0] for d in drawn] == ids  # in page order
        frames = [d[1] for d in drawn]
        assert frames == sorted(set(frames))  # each chart in a frame of its own
        page.locator(".storykit-static").wait_for(state="detached")  # the live chart took its place

        for plot in plots.all():
            page.wait_for_function("d => d.querySelector('svg.main-svg')", arg=plot.element_handle())
            plot.scroll_into_view_if_needed()
            label = plot.locator(".hoverlayer .hovertext")
            places = plot.locator("path.choroplethlocation")
            if places.count():  # a map: the pointer over a place shows its names
                for place in places.all():
                    box = place.bounding_box()
                    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                    if label.count():
                        break
            else:
                plot.evaluate("d => { const t = d._fullData[0]; Plotly.Fx.hover(d, [{curveNumber: 0, pointNumber: 0}],"
                              " t.xaxis + t.yaxis); }")
            label.first.wait_for(state="attached", timeout=5_000)
            page.mouse.move(0, 0)
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", [p for p in PAGES if p != "index.html"])
def test_before_plotly_loads_every_chart_is_already_a_picture_for_the_readers_width(site, browser, axe_js, name,
                                                                                   viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    context.route("**", lambda route: route.abort() if "/plotly" in route.request.url or
                  not route.request.url.startswith("file://") else route.continue_())
    page = context.new_page()
    try:
        page.goto((site / name).as_uri())
        plots = page.locator("figure.sk-chart .sk-plot")
        assert page.locator(".sk-plot > picture.storykit-static img[alt='']").count() == plots.count() >= 1
        first = plots.first
        picture = first.locator(".storykit-static img")
        drawn_for = 358 if viewport == "phone" else 896  # the phone's picture on a phone, the desktop's on a desktop
        assert picture.evaluate("img => img.complete && img.naturalWidth") == drawn_for and picture.is_visible()
        box, plot = picture.bounding_box(), first.bounding_box()
        assert box["x"] == plot["x"] and box["y"] == plot["y"] and box["width"] == plot["width"]  # over its plot
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
        page.add_script_tag(content=axe_js)
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations'], preload: false}))
            .violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
        assert violations == []
    finally:
        context.close()
