"""The real site as a reader meets it (issue 10's "Checked by"), in Chromium at 390x844 and
1280x900, every page served over HTTP from 127.0.0.1: no toolbar button that shares, zooms or pans;
no chart or map that zooms on the wheel (the page scrolls instead); every trace's hover text set by
the house, none of Plotly Express's `name=%{...}` defaults; with JavaScript off, a picture for every
chart; a layout shift of at most 0.05 with scroll anchoring off and the page scrolled as it loads;
each story's lead chart within the first phone screen; a chart on the index; no pipeline words or
fractional people in what a reader reads outside the "About the data" part; no table cell that may
break a number.

One browser for the module. Each page is opened once per screen with JavaScript (the shift is
measured as it loads, then the other checks look at it), and once more without."""

import json
import re

import pytest

from .browser import (BOTH_EDITIONS, GOVERNORATES, REAL_PAGES, STORIES, VIEWPORTS, axe_js, axe_violations, browser,  # noqa: F401
                      needs_chromium, serve)

pytestmark = needs_chromium

MAX_SHIFT = 0.05
TOOLBAR = re.compile(r"share|zoom|pan|autoscale|reset|cloud|chart studio", re.I)

# Before the page's own scripts: sum every layout shift not caused by input (buffered: from the
# start), turn scroll anchoring off, and scroll to the middle of the page as soon as it is parsed
# (before the deferred scripts draw a chart) and again once it is loaded.
SHIFTS = """
window.__sk = {cls: 0, shifts: []};
const describe = n => !n ? "?" : n.nodeType !== 1 ? n.nodeName : n.tagName.toLowerCase() + (n.id ? "#" + n.id : "")
  + (typeof n.className === "string" && n.className.trim() ? "." + n.className.trim().split(/\\s+/).join(".") : "");
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    window.__sk.cls += e.value;
    window.__sk.shifts.push([Math.round(e.value * 1000) / 1000, Math.round(e.startTime),
                             (e.sources || []).map(s => describe(s.node)).join(", ")]);
  }
}).observe({type: "layout-shift", buffered: true});
let anchored = false;
const noAnchoring = () => {
  if (anchored || !document.documentElement) return;
  const style = document.createElement("style");
  style.textContent = "* { overflow-anchor: none !important; }";
  (document.head || document.documentElement).appendChild(style);
  anchored = true;
};
const middle = () => {
  noAnchoring();
  scrollTo(0, Math.max(0, (document.documentElement.scrollHeight - innerHeight) / 2));
};
noAnchoring();
document.addEventListener("readystatechange", () => { if (document.readyState === "interactive") middle(); });
document.addEventListener("DOMContentLoaded", middle);
"""

DRAWN = """() => [...document.querySelectorAll("figure.sk-chart .sk-plot")]
  .every(d => d.classList.contains("js-plotly-plot") && d.querySelector("svg.main-svg"))"""
FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"

# What a plot shows of its data: every axis range, every map's projection (its scale as laid out and as
# drawn, and its centre).
VIEW = """d => {
  const L = d._fullLayout, out = {};
  for (const k of Object.keys(L)) {
    if (/^[xy]axis\\d*$/.test(k) && L[k] && L[k].range) out[k] = L[k].range.map(String);
    if (/^geo\\d*$/.test(k) && L[k] && L[k].projection) {
      const p = L[k]._subplot && L[k]._subplot.projection;
      out[k] = [L[k].projection.scale, p ? p.scale() : null, p ? p.translate() : null,
                L[k].center.lon, L[k].center.lat];
    }
  }
  return JSON.stringify(out);
}"""


@pytest.fixture(scope="module")
def site(real_site):
    with serve(real_site / "reports") as url:
        yield url


@pytest.fixture(scope="module")
def contexts(browser, site):
    """A browser context per screen, with JavaScript, measuring layout shift from the start."""
    made = {}
    for name, viewport in VIEWPORTS.items():
        made[name] = browser.new_context(viewport=viewport)
        made[name].add_init_script(SHIFTS)
    yield made
    for context in made.values():
        context.close()


class View:
    """One page at one screen, opened with JavaScript, loaded, every chart drawn."""

    def __init__(self, context, site: str, name: str, viewport: str):
        self.name, self.viewport, self.size = name, viewport, VIEWPORTS[viewport]
        self.page = context.new_page()
        self.errors, self.outside = [], []  # console errors; requests that would have left the site (refused)
        self.page.route("**", lambda route: route.continue_() if route.request.url.startswith(site)
                        else (self.outside.append(route.request.url), route.abort()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(site + name)
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(DRAWN, timeout=60_000)
        self.page.evaluate(FRAMES)  # what drawing the last chart moved is laid out and observed
        self.shifts = self.page.evaluate("window.__sk")


@pytest.fixture(scope="module", params=[(n, v) for n in BOTH_EDITIONS for v in VIEWPORTS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def view(request, contexts, site):
    name, viewport = request.param
    opened = View(contexts[viewport], site, name, viewport)
    yield opened
    opened.page.close()


@pytest.fixture(scope="module")
def static_pages(browser, site):
    """A page per screen with JavaScript off: what a reader without it (or before it runs) sees."""
    made = {}
    for name, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        context.route("**", lambda route: route.continue_() if route.request.url.startswith(site) else route.abort())
        made[name] = context.new_page()
    yield made
    for page in made.values():
        page.context.close()


# --- the page as it loads --------------------------------------------------------------------------


def test_the_page_barely_moves_as_it_loads_scrolled_without_scroll_anchoring(view):
    cls, shifts = view.shifts["cls"], view.shifts["shifts"]
    worst = sorted(shifts, key=lambda s: -s[0])[:4]
    assert cls <= MAX_SHIFT, (f"{view.name} at {view.viewport}: cumulative layout shift {cls:.3f} (at most "
                              f"{MAX_SHIFT}); largest (value, ms, moved): {worst}")


# --- chart chrome ----------------------------------------------------------------------------------


def test_every_real_page_draws_cleanly_and_passes_axe(view, axe_js):
    """This repository's own site, as a reader's browser opens it: every chart and map drawn, the
    console clean, nothing fetched from elsewhere, no sideways scrolling, no serious or critical
    axe-core violation."""
    page = view.page
    figures = page.locator("figure.sk-chart").count()
    assert figures >= 1 and page.locator(".js-plotly-plot svg.main-svg").count() >= figures
    maps = page.locator(".js-plotly-plot:has(path.choroplethlocation)")
    assert (maps.count() > 0) == (page.locator('script[src*="assets/geo-"]').count() > 0)
    assert [maps.nth(i).locator("path.choroplethlocation").count() for i in range(maps.count())] == \
        [len(GOVERNORATES)] * maps.count()  # each map draws every governorate
    lang = "ar" if view.name.startswith("ar/") else "en"
    assert page.evaluate("[document.documentElement.lang, document.dir]") == [lang, "rtl" if lang == "ar" else "ltr"]
    assert page.title()
    assert page.evaluate("document.documentElement.scrollWidth") <= view.size["width"]
    assert axe_violations(page, axe_js) == []
    assert view.errors == [] and view.outside == []


def test_no_toolbar_button_shares_zooms_or_pans(view):
    titles = view.page.evaluate("""() => [...document.querySelectorAll(".modebar-btn, .modebar [data-title]")]
        .map(b => b.getAttribute("data-title") || b.getAttribute("aria-label") || "")""")
    offending = sorted({t for t in titles if TOOLBAR.search(t)})
    assert offending == [], f"{view.name} at {view.viewport}: toolbar buttons {offending}"


def test_every_trace_has_house_hover_text(view):
    figures = view.page.evaluate("""() => [...document.querySelectorAll('script[type="application/json"]')]
        .filter(s => s.id.endsWith("-json")).map(s => [s.id.slice(0, -5), s.textContent])""")
    bad = []
    for plot, text in figures:
        figure = json.loads(text)
        traces = figure.get("data", [])
        for i, trace in enumerate(traces):
            label = f"{plot} trace {i} ({trace.get('type', 'scatter')} {trace.get('name', '')!r})"
            template = trace.get("hovertemplate")
            if trace.get("hoverinfo") in ("skip", "none"):
                continue
            if not template:
                bad.append(f"{label}: no hovertemplate")
            elif "=%{" in str(template):
                bad.append(f"{label}: Plotly Express's default {str(template)[:60]!r}")
        for frame in figure.get("frames", []):  # an animation's traces, merged onto the chart's own
            for i, trace in enumerate(frame.get("data", [])):
                if "=%{" in str(trace.get("hovertemplate", "")):
                    bad.append(f"{plot} frame {frame.get('name')!r} trace {i}: Plotly Express's default "
                               f"{str(trace['hovertemplate'])[:60]!r}")
    assert bad == [], f"{view.name}: {len(bad)} trace(s) without house hover text: {bad[:6]}"


# --- words and tables ------------------------------------------------------------------------------

PIPELINE = re.compile("|".join([
    r"\bscrap(?:e|ed|es|ing)\b", r"\bexport(?:s|ed|ing)?\b", r"\bpopstats\b",
    r"\b\d+(?:\.\d+){2,}\b",  # release codes: 652.1601.1911
    r"\b(?:GED|UCDP) ?\d+\.\d+\b", r"\bv\d+\.\d+", r"\brelease \d",  # within a block: never across cells
    r"\.(?:csv|xlsx|rda|ipynb|parquet)\b", r"\bsha-?256\b", r"\bchecksums?\b",
    r"\{[^{}\n]{1,40}\}",  # a placeholder left in: {refugees}, {n}
    r"\bmade by running\b", r"\bunverified\b", r"\bnot used in this release\b",
    r"\bfractions? of (?:a )?(?:people|person)\b",
]), re.I)
PEOPLE = (r"people|persons?|refugees?|deaths?|dead|killed|displaced|IDPs?|victims?|movements?|applicants?|"
          r"applications?|returnees?|asylum[- ]seekers?|civilians?|fighters?|soldiers?")
# A number with a decimal part counting people: at most one word between ("internally displaced people").
# Not a rate (per cent, "12.5% of"), a multiple ("2.5 times"), a unit (2.8 million), nor an average.
FRACTIONAL = re.compile(rf"(?<![\d.,])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)\.\d+(?!\d)"
                        rf"(?!\s*(?:%|per\s?cent|percent|million|thousand|billion|bn\b|m\b|k\b|times\b|x\b))"
                        rf" (?:[a-z-]+ )?(?:{PEOPLE})\b", re.I)
AVERAGE = re.compile(r"^ (?:a|per|each|every|on average)\b ?(?:day|week|month|year)?", re.I)


def reader_text(page) -> str:
    """What a reader reads in the page's main part, all of it (closed details too), less the
    "About the data" part and the scripts."""
    return page.evaluate("""() => {
        const main = document.querySelector("main").cloneNode(true);
        main.querySelectorAll(".about-data, script, style, template").forEach(e => e.remove());
        main.querySelectorAll("p, li, div, h1, h2, h3, h4, td, th, tr, figcaption, summary, caption, text, tspan")
          .forEach(e => e.append("\\n"));  // one block's words never run into the next one's
        return main.textContent.replace(/[ \\t\\r\\u00a0]+/g, " ").replace(/ ?\\n\\s*/g, "\\n");
    }""")


def fractional_people(text: str) -> list[str]:
    found = []
    for m in FRACTIONAL.finditer(text):
        before, after = text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 20]
        if re.search(r"\baverag", before, re.I) or AVERAGE.match(after):
            continue  # an average per day (or on average) may have a decimal part
        found.append(m.group())
    return found


def test_reader_text_has_no_pipeline_words_or_fractional_people(view):
    text = reader_text(view.page)
    pipeline = [text[max(0, m.start() - 30):m.end() + 30].replace("\n", " / ") for m in PIPELINE.finditer(text)]
    people = fractional_people(text)
    assert pipeline == [] and people == [], (
        f"{view.name}: pipeline words {len(pipeline)}x: {pipeline[:6]}; fractional people: {people[:6]}")


def test_no_table_cell_may_break_a_number(view):
    breakable = view.page.evaluate("""() => {
        const out = [];
        for (const cell of document.querySelectorAll("td, th")) {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            if (!/\\d/.test(t.data)) continue;
            const s = getComputedStyle(t.parentElement);
            const nowrap = ["nowrap", "pre"].includes(s.whiteSpace) || s.textWrapMode === "nowrap";
            if (!nowrap && (["anywhere", "break-word"].includes(s.overflowWrap)
                            || ["break-all", "break-word"].includes(s.wordBreak))) {
              out.push(`${t.data.trim().slice(0, 30)} (overflow-wrap: ${s.overflowWrap}; word-break: ${s.wordBreak})`);
              break;
            }
          }
        }
        return out;
    }""")
    assert breakable == [], (f"{view.name} at {view.viewport}: {len(breakable)} cell(s) may break a number: "
                             f"{breakable[:5]}")


# --- the wheel (last: it scrolls the page) -----------------------------------------------------------

# The wheel event, caught first (capture) and read after the chart's own handlers ran: a chart that
# zooms prevents the page's scroll.
WHEEL_SEEN = """() => { window.__wheel = null;
  addEventListener("wheel", e => { window.__wheel = e; }, {once: true, capture: true}); }"""


def test_the_wheel_scrolls_the_page_and_never_zooms_a_chart(view):
    page, zoomed = view.page, []
    plots = page.locator("figure.sk-chart .sk-plot")
    for i in range(plots.count()):
        plot = plots.nth(i)
        plot.evaluate("d => d.scrollIntoView({block: 'center'})")
        box = plot.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, max(1, min(box["y"] + box["height"] / 2, view.size["height"] - 2)))
        before, y = plot.evaluate(VIEW), page.evaluate("scrollY")
        room = page.evaluate("document.documentElement.scrollHeight - innerHeight - scrollY")
        page.evaluate(WHEEL_SEEN)
        page.mouse.wheel(0, 200 if room > 200 else -200)
        page.wait_for_function("() => window.__wheel", timeout=5_000)
        prevented = page.evaluate("window.__wheel.defaultPrevented")
        if not prevented:
            page.wait_for_function("y => scrollY !== y", arg=y, timeout=5_000)
        after = plot.evaluate(VIEW)
        if prevented or after != before:
            zoomed.append(f"{plot.get_attribute('id')}: {'the page did not scroll; ' if prevented else ''}"
                          f"{before} -> {after}")
    assert zoomed == [], f"{view.name} at {view.viewport}: the wheel zoomed {len(zoomed)} chart(s): {zoomed[:3]}"


# --- without JavaScript ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", BOTH_EDITIONS)
def test_without_javascript_every_chart_is_a_picture(static_pages, site, name, viewport):
    page = static_pages[viewport]
    page.goto(site + name)  # waits for the load event: every picture fetched (no lazy loading without scripts)
    missing = page.evaluate("""() => [...document.querySelectorAll("figure.sk-chart")].map(f => {
        const plot = f.querySelector(".sk-plot");
        const shown = plot && [...plot.querySelectorAll("img, svg")].find(p => {
          const r = p.getBoundingClientRect(), s = getComputedStyle(p);
          return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"
            && (p.tagName !== "IMG" || (p.complete && p.naturalWidth > 0 && p.naturalWidth <= plot.clientWidth + 1));
        });
        return shown ? null : (plot ? plot.id : f.querySelector(".sk-chart-title")?.textContent || "a chart");
    }).filter(Boolean)""")
    assert missing == [], f"{name} at {viewport}: no picture (or one drawn for a wider screen) for {missing}"


# --- where the story starts --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader_pages(contexts):
    """A page per screen with JavaScript, for the checks of where things are."""
    made = {name: context.new_page() for name, context in contexts.items()}
    yield made
    for page in made.values():
        page.close()


@pytest.mark.parametrize("name", STORIES + ["ar/" + s for s in STORIES])
def test_each_story_opens_with_its_lead_chart_on_the_first_phone_screen(reader_pages, site, name):
    page = reader_pages["phone"]
    page.goto(site + name, wait_until="domcontentloaded")
    page.wait_for_function(DRAWN, timeout=60_000)
    top = page.evaluate("""() => { const f = document.querySelector("figure.sk-chart");
                                   return f ? f.getBoundingClientRect().top + scrollY : null; }""")
    assert top is not None and top < VIEWPORTS["phone"]["height"], (
        f"{name}: the lead chart starts {top} px down, below the first {VIEWPORTS['phone']['height']} px of a phone")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_index_has_a_chart(reader_pages, site, viewport):
    page = reader_pages[viewport]
    page.goto(site + "index.html")
    assert page.locator("main figure.sk-chart").count() >= 1, "the index shows no chart"
