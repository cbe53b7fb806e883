"""Pages: what an executed notebook publishes, and what makes a page unpublishable."""

import re

import nbformat
import pandas as pd
import plotly.express as px
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from storykit import catalogue, charts, facts


from storykit.site import pages
from storykit.facts import UntracedFigure, fact
from storykit.site import assets, firstpaint
from storykit.site.checks import MAX_PAGE_BYTES, PageError, check_published

needs_chromium = pytest.mark.skipif(firstpaint.chromium() is None, reason="no Chromium: install chromium (.ci/run does), "
                                    "or set STORYKIT_CHROMIUM to its path")


@pytest.fixture
def captured(monkeypatch):
    shown = []
    monkeypatch.setattr(facts, "_display", lambda bundle, meta: shown.append(new_output(
        "display_data", data=bundle, metadata=meta)))
    return shown


def page_output(captured, **kw):
    args = dict(title="The toll", summary="UCDP counted {n}.", as_of=2016,
                n=fact(285010, source="ucdp_country_year", what="battle deaths 2011-2016", headline=True)) | kw
    facts.page(**args)
    return captured.pop()


def say_output(captured, template, **values):
    facts.say(template, **values)
    return captured.pop()


def chart_output(title="Deaths by year"):
    data = pd.DataFrame({"year": [2015, 2016], "deaths": [51058, 44829]})
    bundle, meta = charts.chart_bundle(px.line(data, x="year", y="deaths"), data, title=title,
                                       source="ucdp_country_year")
    return new_output("display_data", data=bundle, metadata=meta)


def notebook(*cells) -> nbformat.NotebookNode:
    out = []
    for c in cells:
        if isinstance(c, str):
            out.append(new_markdown_cell(c))
        else:
            out.append(new_code_cell("secret_code = 1  # /home/reporter/notes", outputs=list(c)))
    return new_notebook(cells=out)


def good(captured):
    return notebook(
        [page_output(captured)],
        "## Year by year\n\nThe war's deadliest years came early, from 2012 to 2014.",
        [new_output("stream", name="stdout", text="a print for the reporter /tmp/x\n"),
         new_output("execute_result", data={"text/html": "<table><tr><td>77</td></tr></table>",
                                            "text/plain": "77"}, execution_count=3),
         new_output("stream", name="stderr", text="FutureWarning: in /work/main/notebooks\n")],
        [say_output(captured, "In 2016, {n} died.", n=fact(44829, source="ucdp_country_year", what="2016")),
         chart_output()],
    )


def test_collect_keeps_only_what_the_helpers_showed(captured):
    page = pages.collect(good(captured), "notebooks/toll.ipynb")
    assert page.title == "The toll" and page.as_of == "2016" and page.charts == 1
    assert page.summary_html.strip() == '<p>UCDP counted <span class="fact">285,010</span>.</p>'
    assert page.sources == ["ucdp_country_year"]
    assert [f["text"] for f in page.facts] == ["285,010", "44,829"]
    assert [h["what"] for h in page.headlines] == ["battle deaths 2011-2016"]
    body = page.body
    assert "<h2>Year by year</h2>" in body and '<span class="fact">44,829</span>' in body
    assert 'class="sk-chart"' in body
    for hidden in ("secret_code", "a print", "<table>", "FutureWarning", "UCDP counted"):
        assert hidden not in body
    # The reporter's own print and table are named for the build to report; a warning is not.
    assert page.left_out == ["notebooks/toll.ipynb, cell 3 (\u201csecret_code = 1  # /home/reporter/notes\u201d): "
                             "printed text (\u201ca print for the reporter /tmp/x\u201d)",
                             "notebooks/toll.ipynb, cell 3 (\u201csecret_code = 1  # /home/reporter/notes\u201d): "
                             "a table (a DataFrame shown as the cell's result)"]


def test_render_gives_a_complete_page(captured):
    page = pages.collect(good(captured), "notebooks/toll.ipynb")
    html = pages.render(page, root="../", notebook="notebooks/toll.ipynb", parameters={"first_year": 2011})
    assert html.startswith("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">")
    assert "<title>The toll · Syria&#39;s war in numbers</title>" in html
    # The partial plotly.js (the page draws a line), then the script that draws the charts.
    bundle = html.index('<script defer src="../assets/plotly-storykit.min.js"></script>')
    assert bundle < html.index('<script defer src="../assets/charts.js"></script>') < html.index("</head>")
    assert page.traces == ["scatter"] and "plotly.min.js" not in html
    assert '<link rel="stylesheet" href="../assets/style.css">' in html
    assert "<h1>The toll</h1>" in html and "Data as of 2016." in html and "Page built " in html
    assert html.count('href="../index.html"') >= 2
    for f in catalogue.get("ucdp_country_year").files:
        assert f.sha256 in html and f.url in html
    assert "<code>first_year = 2011</code>" in html
    check_published(html, "toll")
    assert len(re.findall(r"<main", html)) == 1 and "<nav" in html and "<footer" in html


PICTURE = re.compile(r'<div class="sk-plot" id="([^"]+)"[^>]*><picture class="storykit-static"><source '
                     r'media="\(max-width: 40rem\)" srcset="((?:\.\./)*)assets/pictures/(\w+\.svg)" width="358" '
                     r'height="(\d+)"><img alt="" src="((?:\.\./)*)assets/pictures/(\w+\.svg)" width="896" '
                     r'height="(\d+)" decoding="async"( loading="lazy"| fetchpriority="high") style="[^"]*"></picture>')


@needs_chromium
def test_every_chart_is_drawn_at_build_time_as_pictures_for_a_phone_and_a_desktop(captured):
    page = pages.collect(notebook([page_output(captured)], [chart_output(), chart_output("Deaths again")]), "nb")
    assert [p["id"] for p in page.plots] == re.findall(r'<div class="sk-plot" id="([^"]+)"', page.body)
    built = pages.now()
    pictures = firstpaint.Pictures()
    html = pages.render(page, root="../", built=built, pictures=pictures)
    found = PICTURE.findall(html)
    assert [f[0] for f in found] == [p["id"] for p in page.plots] and html.count("storykit-static") == 2
    assert all(f[1] == f[4] == "../" and f[3] == f[6] == "420" for f in found)
    # The first at once, before all else; the others as the reader nears them.
    assert [f[7] for f in found] == [' fetchpriority="high"', ' loading="lazy"']
    drawn = pictures.take()
    assert sorted(drawn) == sorted({f[2] for f in found} | {f[5] for f in found})  # 2 charts, 2 widths each
    for _, _, phone, _, _, desktop, *_ in found:
        for name, width in ((phone, 358), (desktop, 896)):
            svg = drawn[name]
            assert svg.startswith("<svg ") and f'width="{width}"' in svg and 'height="420"' in svg
            assert ">deaths</text>" in svg and "class=" not in svg  # the y-axis title; nothing a style sheet needs
    # The same names and pictures each build (no random ids), and no picture drawn twice in a build.
    again = firstpaint.Pictures()
    assert pages.render(page, root="../", built=built, pictures=again) == html and again.take() == drawn
    assert pages.render(page, root="../", built=built, pictures=pictures) == html and pictures.take() == {}
    assert "storykit-static" not in pages.render(page, built=built, first_paint=False)


@needs_chromium
def test_a_picture_the_site_has_is_not_drawn_again(captured, tmp_path, monkeypatch):
    page = pages.collect(notebook([page_output(captured)], [chart_output()]), "nb")
    first = firstpaint.Pictures(tmp_path)
    html = pages.render(page, pictures=first)
    for name, svg in first.take().items():
        (tmp_path / name).write_text(svg)
    monkeypatch.setattr(firstpaint, "_draw", lambda *a: pytest.fail("drawn again"))
    later = firstpaint.Pictures(tmp_path)
    assert pages.render(page, pictures=later, built=None).count("storykit-static") == 1 and later.take() == {}
    assert PICTURE.findall(html)


@needs_chromium
def test_a_picture_is_named_by_all_it_is_drawn_from(captured):
    page = pages.collect(notebook([page_output(captured)], [chart_output()]), "nb")
    figure = page.plots[0]["figure"]
    plotly = assets.plotly_file(assets.PLOTLY_BUNDLE)
    names = [n for n, _, _ in firstpaint.Pictures().draw(figure, plotly)]
    taller = {**figure, "layout": {**figure["layout"], "height": 500}}
    assert [(w, h) for _, w, h in firstpaint.Pictures().draw(taller, plotly)] == [(358, 500), (896, 500)]
    assert not set(names) & {n for n, _, _ in firstpaint.Pictures().draw(taller, plotly)}
    full = assets.plotly_file(assets.PLOTLY_FULL)  # another plotly.js may draw it otherwise
    assert not set(names) & {n for n, _, _ in firstpaint.Pictures().draw(figure, full)}
    assert names == [n for n, _, _ in firstpaint.Pictures().draw(figure, plotly)]


@needs_chromium
def test_a_worker_that_ended_is_started_again(captured):
    page = pages.collect(notebook([page_output(captured)], [chart_output()]), "nb")
    assert "storykit-static" in pages.render(page)
    firstpaint._worker.proc.kill()  # as when it ends after IDLE seconds without work
    firstpaint._worker.proc.wait()
    assert "storykit-static" in pages.render(page)


def test_without_chromium_a_page_has_no_pictures_and_says_so_in_one_plain_line(captured, monkeypatch, capsys):
    monkeypatch.setattr(firstpaint, "_worker", firstpaint._Worker())
    monkeypatch.setenv("STORYKIT_CHROMIUM", "/nonexistent/chromium")
    page = pages.collect(notebook([page_output(captured)], [chart_output(), chart_output("Again")]), "nb")
    pictures = firstpaint.Pictures()
    html = pages.render(page, pictures=pictures)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("storykit: No static pictures of the charts on the pages: Chromium "
                           "(/nonexistent/chromium) did not start"), line
    assert "firstpaint.py" not in line and "warn(" not in line  # no source file or code line, as warnings show
    assert "storykit-static" not in html and html.count('class="sk-plot"') == 2 and pictures.take() == {}
    assert "storykit-static" not in pages.render(page)
    assert capsys.readouterr().err == ""  # said once


def test_a_map_picture_keeps_its_shapes_in_whole_pixels():
    from storykit.site.firstpaint import _tidy

    ring = '<path class="choroplethlocation" d="M10.4,20.6L11.2,20.6L11.24,20.4L5,7Z M3,4L3.2,4L1,1Z"/>'
    assert _tidy(ring) == '<path class="choroplethlocation" d="m10,21l1,0l0-1l-6-13zm-7-17l-2-3z"/>'
    bars = '<path d="M0,0V100.123456H20Z" transform="translate(80.25,100.75)"/>'
    assert _tidy(bars) == '<path d="M0,0V100.1H20Z" transform="translate(80.2,100.7)"/>'
    assert _tidy('<defs id="defs-3f9a1c"><clipPath id="clip3f9a1cxyplot">') == \
        '<defs id="defs-static"><clipPath id="clip3f9a1cxyplot">'.replace("3f9a1c", "static")


def test_a_picture_keeps_only_what_it_draws():
    from storykit.site.firstpaint import _compact

    font = "font-family: system-ui, 'Segoe UI', sans-serif; font-size: 14px; fill: rgb(26, 26, 26); white-space: pre;"
    svg = (f'<svg class="main-svg" height="9" width="9"><g class="layer"><g class="shapelayer"/>'
           f'<path class="xlines-below"/><g class="point"><path d="M0,0H2" style="vector-effect: none; opacity: 1; '
           f'fill: rgb(0, 114, 178); fill-opacity: 0.5;"/></g></g><g class="g-title"></g>'
           f'<text style="{font}" x="1">2016</text><text style="{font} font-weight: bold;" x="2">2017</text></svg>')
    assert _compact(svg) == (
        '<svg style="font-family:system-ui,\'Segoe UI\',sans-serif;white-space:pre" height="9" width="9">'
        '<path d="M0,0H2" style="fill:#0072b2;fill-opacity:0.5"/><text style="font-size:14px;fill:#1a1a1a" x="1">2016'
        '</text><text style="font-size:14px;fill:#1a1a1a;font-weight:bold" x="2">2017</text></svg>')
    # A font said differently by one text stays on each text; a picture with a style sheet is left as drawn.
    other = svg.replace("font-weight: bold;", "").replace("'Segoe UI', sans", "serif, sans", 1)
    assert "font-family:system-ui,'Segoe UI',sans-serif;font-size" in _compact(other)
    assert _compact(svg.replace("<svg ", "<svg><style>.x{}</style>")) == svg.replace("<svg ", "<svg><style>.x{}</style>")


def test_a_page_without_charts_loads_no_plotly(captured):
    html = pages.render(pages.collect(notebook([page_output(captured)]), "nb"))
    assert "plotly" not in html and "charts.js" not in html


def test_a_chart_the_partial_bundle_cannot_draw_makes_its_page_load_the_full_plotly(captured):
    data = pd.DataFrame({"side": ["a", "b"], "n": [3, 4]})
    bundle, meta = charts.chart_bundle(px.pie(data, names="side", values="n"), data, title="Shares",
                                       source="ucdp_country_year")
    page = pages.collect(notebook([page_output(captured)], [chart_output(), new_output(
        "display_data", data=bundle, metadata=meta)]), "nb")
    assert page.traces == ["pie", "scatter"]
    html = pages.render(page)
    assert '<script defer src="assets/plotly.min.js"></script>' in html and "plotly-storykit" not in html


def test_every_site_has_the_style_the_drawing_script_and_plotly():
    found = pages.prepare_assets()
    assert set(found) == {"style.css", "charts.js", "plotly.min.js", "plotly-storykit.min.js"}
    assert found["plotly.min.js"] == assets.plotly_file(assets.PLOTLY_FULL).read_text() and found["plotly-storykit.min.js"] == assets.plotly_bundle()
    assert "Plotly.newPlot" in found["charts.js"] and "world_110m" in found["charts.js"]  # no base map fetched


@pytest.mark.parametrize("make, message", [
    (lambda c: notebook([page_output(c)], [new_output("error", ename="KeyError", evalue="\x1b[31m'year'\x1b[0m",
                                                      traceback=["Traceback..."])]),
     r"nb, cell 2 \(“secret_code = 1  # /home/reporter/notes”\): the notebook stopped with KeyError: 'year'"),
    (lambda c: notebook([page_output(c)], [new_output("display_data", data={
        "application/vnd.plotly.v1+json": {"data": []}, "text/plain": "Figure"})]),
     (r"cell 2 \(“secret.*”\): a chart was shown with fig.show\(\), which a page cannot keep; use "
      r"storykit\.charts\.show\(fig, data, title=\.\.\., source=\.\.\.\)")),
    (lambda c: notebook([page_output(c)], "All 14 governorates."), r"cell 2 \(“All 14 governorates.”\): untraced figure\(s\) in the prose: '14'"),
    (lambda c: notebook("No page here."), (r"nb: call storykit\.facts\.page\(title=\.\.\., summary=\.\.\., "
                                           r"as_of=\.\.\.\) exactly once \(found 0 calls\)")),
    (lambda c: notebook([page_output(c)], [page_output(c)]),
     r"nb: call storykit\.facts\.page\(.*\) exactly once \(found 2 calls\)"),
    (lambda c: notebook([page_output(c, summary="{n} died, of 22 million.")]), r"cell 1 \(“secret.*”\): untraced.*'22'"),
    (lambda c: notebook([page_output(c)], '<span class="fact">1,000</span> died'),
     (r"cell 2 \(“.*”\): the figure\(s\) '1,000' are marked as facts but no fact with that text was "
      r"recorded; use storykit\.facts\.say\(\), never hand-written spans")),
    (lambda c: notebook([page_output(c)], [chart_output(title="The 14 governorates")]), r"cell 2 \(“secret.*”\): untraced.*'14'"),
])
def test_collect_refuses(captured, make, message):
    with pytest.raises((PageError, UntracedFigure), match=message):
        pages.collect(make(captured), "nb")


def test_a_tampered_fact_is_refused(captured):
    out = say_output(captured, "{n} died.", n=fact(44829, source="ucdp_country_year", what="2016"))
    out.data["text/markdown"] = out.data["text/markdown"].replace("44,829", "54,829")
    with pytest.raises(UntracedFigure, match="'54,829' are marked as facts"):
        pages.collect(notebook([page_output(captured)], [out]), "nb")


PAGE = '<!doctype html><html lang="en"><head><title>t</title>{head}</head><body><main>{body}</main></body></html>'


def another_host(url: str) -> str:
    return (rf"p: the page would load from another host: {re.escape(url)}\. Pages load only their own files "
            r"\(assets/\); no CDN, no web fonts")


TOO_BIG = PAGE.format(head="", body="x" * (MAX_PAGE_BYTES + 1))


@pytest.mark.parametrize("head, body, message", [
    ("", "<p>Traceback (most recent call last):</p>", "p: the page shows a Python traceback; it must not be published"),
    ("", "<pre>In [3]: x</pre>", r"p: the page shows a notebook prompt 'In \[3\]:'"),
    ("", "<p>read from /home/reporter/data.csv</p>", r"p: the page names a local path near '.*/home/reporter/data\.csv"),
    ("", "<p>C:\\Users\\me</p>", r"p: the page names a local path near '.*C:\\\\Users\\\\me"),  # as repr() writes it
    ("", "<p>saved in /srv/storykit/x</p>", "p: the page names the local path /srv/storykit; a page must not reveal the machine"),
    ('<script src="https://cdn.plot.ly/plotly.min.js"></script>', "", another_host("https://cdn.plot.ly/plotly.min.js")),
    ('<link rel="stylesheet" href="//fonts.googleapis.com/css">', "", another_host("//fonts.googleapis.com/css")),
    ("<style>@import 'https://example.org/a.css';</style>", "", another_host("https://example.org/a.css")),
    ("", '<div style="background: url(http://example.org/x.png)"></div>', another_host("http://example.org/x.png")),
    ("", '<img src="https://example.org/x.png" alt="x">', another_host("https://example.org/x.png")),
    ("", '<script type="application/json">{"images":[{"source":"https://example.org/x.png"}]}</script>',
     another_host("https://example.org/x.png")),
    ("", "x" * (MAX_PAGE_BYTES + 1),
     f"p: the page weighs {len(TOO_BIG.encode()):,} bytes, over the {MAX_PAGE_BYTES:,} limit; plot fewer points"),
])
def test_check_published_refuses(head, body, message):
    with pytest.raises(PageError, match=message):
        check_published(PAGE.format(head=head, body=body), "p", local=("/srv/storykit",))


def test_check_published_allows_links_and_embedded_data():
    body = ('<a href="https://ucdp.uu.se/downloads/">UCDP</a><a href="data:text/csv;base64,L3RtcC9h/home/x">csv</a>'
            '<script type="application/json">{"y":{"dtype":"i4","bdata":"/tmp/AAAA/home/"}}</script>'
            '<script defer src="assets/plotly.min.js"></script><img src="data:image/png;base64,AAAA" alt="">')
    check_published(PAGE.format(head='<link rel="stylesheet" href="../assets/style.css">', body=body), "p")


def test_index_lists_reports_groups_and_headlines(captured):
    page = pages.collect(good(captured), "nb")
    html = pages.render_index(intro="Since 2011.", stories=[{"href": "toll.html", "page": page}],
                              groups=[{"title": "Profiles", "pages": [{"href": "g/a.html", "page": page}]}],
                              headlines=[h | {"href": "toll.html", "report": page.title} for h in page.headlines])
    assert "<h1>Syria&#39;s war in numbers</h1>" in html and "Since 2011." in html
    assert '<span class="fact">285,010</span>' in html and "battle deaths 2011-2016" in html
    assert f"Source: {catalogue.get('ucdp_country_year').publisher}" in html
    assert '<a href="toll.html">The toll</a>' in html and '<a href="g/a.html">The toll</a>' in html
    assert "plotly.min.js" not in html
    with pytest.raises(UntracedFigure, match=r"untraced figure\(s\) in the prose: '12'"):
        pages.render_index(intro="In 12 places.", stories=[], groups=[], headlines=[])


def test_text_from_notebooks_is_escaped_on_the_page(captured):
    out = page_output(captured, title="<script>alert('x')</script> Idleb", summary="{p} had {n}.",
                      p="<img src=x onerror=alert(x)>")
    html = pages.render(pages.collect(notebook([out]), "nb"))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Idleb" in html
