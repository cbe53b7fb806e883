"""Charts: the house style and chrome, the two-part mimebundle, hover text, colours, descriptions, the
table view, CSV and picture downloads, and maps."""

import base64
import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from storykit import catalogue, charts
from storykit.notebook.contract import geometry_key
from storykit.site import assets
from storykit.errors import StorykitError
from storykit.facts import UntracedFigure, check_prose, fact, md
from .browser import browser, needs_chromium  # noqa: F401 (a fixture)
from .synthetic_site import PLACES, squares


@pytest.fixture
def toll():
    return pd.DataFrame({"year": [2011, 2012, 2013, 2014], "deaths": [1195, 50367, 71970, 65591]})


def embedded(html: str, dom_id: str | None = None) -> dict:
    dom_id = dom_id or plot_of(html)
    m = re.search(rf'<script type="application/json" id="{dom_id}-json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def plot_of(html: str) -> str:
    return re.search(r'<div class="sk-plot" id="([^"]+)"', html).group(1)


def bundle_of(fig, data, **kw):
    bundle, _ = charts.chart_bundle(fig, data, **({"title": "T", "source": "ucdp_country_year"} | kw))
    return bundle


def drawn(fig, data, **kw) -> dict:
    """The figure as the page's JSON has it (the house applied)."""
    return embedded(bundle_of(fig, data, **kw)["text/html"])


def test_house_style_is_what_a_new_figure_and_its_page_get(toll):
    assert pio.templates.default == "storykit"
    # A figure made with no template named takes the house one: its series, in order, in the house colours ...
    two = pd.concat([toll.assign(series="a"), toll.assign(series="b"), toll.assign(series="c")])
    fig = px.line(two, x="year", y="deaths", color="series")
    assert [t.line.color for t in fig.data] == list(charts.OKABE_ITO[:3])
    # ... and the page draws it with the house layout and config.
    bundle, _ = charts.chart_bundle(fig, two, title="Battle deaths", source="ucdp_country_year")
    html = bundle["text/html"]
    spec = embedded(html)
    layout = spec["layout"]["template"]["layout"]
    assert layout["colorway"] == list(charts.OKABE_ITO)
    assert [t["line"]["color"] for t in spec["data"]] == list(charts.OKABE_ITO[:3])  # names not in COLOURS keep theirs
    assert layout["legend"]["orientation"] == "h" and layout["legend"]["y"] > 1  # above the plot, clear of the x-axis title
    assert layout["font"]["family"].startswith("system-ui") and layout["font"]["family"].endswith("sans-serif")
    assert not re.search(r"@font-face|\.woff|fonts\.googleapis", html)  # the reader's own fonts: none fetched
    config = bundle["application/vnd.plotly.v1+json"]["config"]
    assert config["responsive"] is True and config == spec["config"]


# --- chrome -----------------------------------------------------------------------------------------


def test_no_chart_has_a_mode_bar_or_zooms_whatever_the_notebook_did(toll, people):
    grid = make_subplots(rows=1, cols=2)
    grid.add_trace(go.Bar(x=toll.year, y=toll.deaths), row=1, col=1)
    grid.add_trace(go.Scatter(x=toll.year, y=toll.deaths), row=1, col=2)
    grid.update_layout(dragmode="zoom")  # the notebook asked for zoom: the house says no
    grid.update_xaxes(fixedrange=False)
    maps = charts.choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016")
    for fig, data in ((px.line(toll, x="year", y="deaths"), toll), (grid, toll), (maps, people)):
        bundle = bundle_of(fig, data)
        spec = embedded(bundle["text/html"])
        for config in (spec["config"], bundle["application/vnd.plotly.v1+json"]["config"]):
            assert config["displayModeBar"] is False  # nothing shares to Plotly's cloud, zooms or pans
            assert config["scrollZoom"] is False and config["doubleClick"] is False and config["responsive"] is True
        assert spec["layout"]["dragmode"] is False
        axes = {k: v for k, v in spec["layout"].items() if re.fullmatch(r"[xy]axis\d*", k)}
        assert all(a["fixedrange"] is True for a in axes.values())
        assert len(axes) == (4 if fig is grid else 0 if fig is maps else 2)  # a map gets no cartesian axes
    assert grid.layout.dragmode == "zoom"  # the notebook's own figure is left as it was


def test_the_plot_reserves_the_height_it_draws_at(toll):
    html = bundle_of(px.bar(toll, x="year", y="deaths"), toll)["text/html"]
    assert re.search(r'<div class="sk-plot" id="[^"]+" style="height:(\d+)px"></div>', html).group(1) == \
        str(charts.TEMPLATE.layout.height)
    tall = px.bar(toll, x="year", y="deaths").update_layout(height=560)
    assert 'style="height:560px"' in bundle_of(tall, toll)["text/html"]


# --- the figure's HTML ------------------------------------------------------------------------------


def test_show_bundle_has_plotly_json_and_a_figure_the_page_draws(toll):
    fig = px.line(toll, x="year", y="deaths")
    bundle, meta = charts.chart_bundle(fig, toll, title="Battle deaths", source="ucdp_country_year",
                                       subtitle="Deaths a year", notes="Best estimates.")
    assert set(bundle) >= {"application/vnd.plotly.v1+json", "text/html"}
    html = bundle["text/html"]
    spec = embedded(html)
    assert spec["data"][0]["type"] == "scatter" and spec["layout"]["template"]["layout"]["font"]["family"] == charts.FONT
    assert "<script>" not in html and "cdn" not in html.lower()  # the page's assets/charts.js draws it
    title = re.search(r'<h2 class="sk-chart-title" id="[^"]+-title">Battle deaths</h2>\n'
                      r'<p class="sk-chart-subtitle">Deaths a year</p>\n<div class="sk-plot"', html)
    assert title, "the title, then the subtitle right under it, then the plot"
    assert '<p class="sk-notes">Best estimates.</p>' in html
    arabic = meta["storykit"].pop("ar")  # written in English alone: no chart on the Arabic page, and why
    assert arabic["missing"] and "title and subtitle and notes have no Arabic" in arabic["problem"]
    assert meta == {"storykit": {"kind": "chart", "title": "Battle deaths", "sources": ["ucdp_country_year"],
                                 "facts": [], "geometries": []}}
    check_prose(html, [], "chart", generated_ok=True)  # generated numbers are exempt; the title has none
    assert "sk-chart-subtitle" not in bundle_of(fig, toll)["text/html"]  # no subtitle, no empty paragraph


def test_the_source_line_names_publishers_and_datasets_in_plain_words_and_no_licence(toll):
    ids = ("ucdp_country_year", "ucdp_ged_syria_2016_2019", "ocha_idp_movements")
    html = bundle_of(px.line(toll, x="year", y="deaths"), toll, source=ids)["text/html"]
    s = [catalogue.get(i) for i in ids]
    assert s[0].publisher == s[1].publisher != s[2].publisher
    line = re.search(r'<p class="sk-source sk-generated">(.*?)</p>', html).group(1)
    # Datasets by their names for readers (catalogue.toml's `name`), never the titles with release codes.
    assert line == f"Source: {s[0].publisher}, {s[0].name} and {s[1].name}; {s[2].publisher}, {s[2].name}."
    assert all(source.name != source.title and source.title not in line for source in s)
    caption = html[html.index("<figcaption>"):]
    for source in s:
        assert source.licence not in caption
    assert "licence" not in caption.lower() and "unverified" not in html


def test_the_picture_a_reader_saves_carries_title_subtitle_and_credit(toll, people):
    n = fact(int(toll.deaths.sum()), source="ucdp_country_year", what="deaths")
    bundle, _ = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, title=md("In all, {n} *deaths*", n=n),
                                    subtitle="Per year", source="ucdp_country_year")
    html = bundle["text/html"]
    spec = embedded(html)
    ucdp = catalogue.get("ucdp_country_year")
    assert spec["storykit"] == {"title": f"In all, {n} deaths", "subtitle": "Per year", "font": charts.FONT,
                                "name": "in-all-" + str(n).replace(",", "-") + "-deaths",
                                "credit": f"Source: {ucdp.publisher} · Licence: {ucdp.licence} · {charts.SITE_NAME}"}
    assert "title" not in spec["layout"] and "storykit" not in bundle["application/vnd.plotly.v1+json"]
    # The buttons sit beside the CSV link, hidden until charts.js has drawn the chart.
    download = re.search(r'<p class="sk-download sk-generated">(.*?)</p>', html).group(1)
    buttons = re.findall(r'<button type="button" class="sk-image" data-format="(\w+)" hidden [^>]*>(\w+)</button>',
                         download)
    assert download.startswith("<a download=") and buttons == [("png", "PNG"), ("svg", "SVG")]
    # A map's picture credits the boundaries too, without the licence's doubts.
    m = embedded(bundle_of(charts.choropleth(people, color="people", geojson=squares(),
                                             boundary_source="ocha_admin1_2016"), people,
                           source="unhcr_population")["text/html"])
    unhcr, ocha = catalogue.get("unhcr_population"), catalogue.get("ocha_admin1_2016")
    assert m["storykit"]["credit"].startswith(f"Source: {unhcr.publisher}, {ocha.publisher} · Licence: {unhcr.licence}; ")
    assert ocha.licence.startswith(m["storykit"]["credit"].split("; ")[1].split(" · ")[0] + " (")


def test_the_credit_keeps_licences_and_drops_their_doubts():
    base = catalogue.get("ucdp_country_year")
    made = [dataclasses.replace(base, publisher=p, licence=lic) for p, lic in (
        ("A", "CC BY 4.0 (per A; unverified for this release)"), ("B", "unverified"), ("A", "CC BY 4.0"),
        ("C", "No open licence found: publish aggregates with attribution only"), ("D", "No licence"))]
    assert charts.credit(made) == f"Source: A, B, C, D · Licence: CC BY 4.0; no open licence · {charts.SITE_NAME}"
    assert charts.credit(made[1:2]) == f"Source: B · {charts.SITE_NAME}"


def test_the_csv_link_holds_exactly_the_data_after_a_byte_order_mark(toll):
    bundle, _ = charts.chart_bundle(px.bar(toll, x="year", y="deaths"), toll, title="Toll", source="ucdp_country_year")
    href = re.search(r'download="toll.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', bundle["text/html"])
    csv = base64.b64decode(href.group(1))
    assert csv.startswith(b"\xef\xbb\xbf")  # so a spreadsheet on Windows reads it as UTF-8
    assert csv.decode("utf-8-sig") == toll.to_csv(index=False)
    indexed = toll.set_index("year")
    bundle, _ = charts.chart_bundle(px.bar(toll, x="year", y="deaths"), indexed, title="T", source="ucdp_country_year")
    href = re.search(r'base64,([^"]+)"', bundle["text/html"])
    assert base64.b64decode(href.group(1)).decode("utf-8-sig") == indexed.to_csv()


def test_title_subtitle_and_notes_are_checked_prose_with_facts(toll):
    total = fact(int(toll.deaths.sum()), source="ucdp_country_year", what="deaths")
    peak = fact(int(toll.deaths.max()), source="ucdp_country_year", what="most deaths in a year")
    bundle, meta = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, title="Deaths since 2011",
                                       subtitle=md("At most {p} a year", p=peak),
                                       source="ucdp_country_year", notes=md("In all {t}.", t=total))
    assert meta["storykit"]["facts"] == [peak.record(), total.record()]
    assert f'<p class="sk-chart-subtitle">At most <span class="fact">{peak}</span> a year</p>' in bundle["text/html"]
    check_prose(bundle["text/html"], meta["storykit"]["facts"], "chart", generated_ok=True)
    for kw in ({"title": "Deaths in 14 places"}, {"title": "T", "subtitle": "Deaths in 14 places"}):
        bundle, meta = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, source="ucdp_country_year", **kw)
        with pytest.raises(UntracedFigure, match=r"chart: untraced figure\(s\) in the prose: '14'"):
            check_prose(bundle["text/html"], meta["storykit"]["facts"], "chart", generated_ok=True)


def test_text_from_data_is_escaped(toll):
    named = toll.assign(place="<b>Dar'a</b>")
    bundle, _ = charts.chart_bundle(px.line(named, x="year", y="deaths"), named, title="<script>alert(1)</script>",
                                    source="ucdp_country_year")
    html = bundle["text/html"]
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>Dar" not in html and "&lt;b&gt;Dar&#x27;a&lt;/b&gt;" in html  # in the table too


def test_show_refuses_bad_input(toll):
    fig = px.line(toll, x="year", y="deaths")
    with pytest.raises(TypeError, match="data must be the DataFrame the chart plots, for the CSV download"):
        charts.chart_bundle(fig, toll.to_dict(), title="T", source="ucdp_country_year")
    with pytest.raises(StorykitError, match="There is no source called 'nowhere' in the catalogue. Known sources: "):
        charts.chart_bundle(fig, toll, title="T", source="nowhere")
    geo = go.Figure(go.Choropleth(locations=["SY01"], z=[1]))
    with pytest.raises(StorykitError, match=r"The map 'Map' has no boundary source: make it with "
                                            r"storykit\.charts\.choropleth\(\.\.\.\)"):
        charts.chart_bundle(geo, toll, title="Map", source="ucdp_country_year")


# --- hover text -------------------------------------------------------------------------------------


def hovers(fig, data) -> list[str]:
    return [t.get("hovertemplate") for t in drawn(fig, data)["data"]]


def test_hover_text_replaces_plotly_expresss_defaults(toll):
    [one] = hovers(px.line(toll, x="year", y="deaths", labels={"deaths": "Battle deaths"}), toll)
    assert one == "%{x:d}<br>Battle deaths: %{y:,.0f}<extra></extra>"  # years plain, thousands separated
    months = pd.DataFrame({"month": pd.date_range("2016-10-01", periods=3, freq="MS").repeat(2),
                           "side": ["Before the cease-fire", "Other side"] * 3, "n": [1.5, 2, 3, 4, 5, 6]})
    months["low"] = months.n / 2
    fig = px.bar(months, x="month", y="n", color="side", custom_data=["low"], hover_data=["low"],
                 labels={"n": "Share", "side": ""})
    assert "=%{" in fig.data[0].hovertemplate and "customdata" in fig.data[0].hovertemplate
    first, second = hovers(fig, months)
    assert first == "<b>Before the cease-fire</b><br>%{x|%B %Y}<br>Share: %{y:.2~f}<extra></extra>"
    assert second.startswith("<b>Other side</b><br>%{x|%B %Y}<br>")  # a name in bold when there are several
    assert "customdata" not in first + second


def test_hover_text_names_the_period_and_whole_people():
    days = pd.DataFrame({"day": pd.to_datetime(["2016-12-29", "2017-01-01"]), "people": [1000.4, 2500.6]})
    [day] = hovers(px.line(days, x="day", y="people", labels={"people": "IDPs"}), days)
    assert day == "%{x|%-d %B %Y}<br>IDPs: %{y:,.0f}<extra></extra>"  # fractions of people never shown
    years = days.assign(day=pd.to_datetime(["2016-01-01", "2017-01-01"]), people=[1.25, 40.5])
    [year] = hovers(px.line(years, x="day", y="people", labels={"people": "Rate"}), years)
    assert year == "%{x|%Y}<br>Rate: %{y:,.1f}<extra></extra>"
    hosts = pd.DataFrame({"host": ["Lebanon", "Jordan"], "refugees": [5, 9]})
    fig = px.bar(hosts, x="refugees", y="host", orientation="h", labels={"refugees": "Syrian refugees", "host": ""})
    assert hovers(fig, hosts) == ["%{y}<br>Syrian refugees: %{x:,.0f}<extra></extra>"]  # horizontal: swapped


def test_hover_text_the_notebook_wrote_is_kept_and_heat_maps_get_the_house(toll):
    fig = px.bar(toll, x="year", y="deaths").update_traces(hovertemplate="%{x}: %{y:,} deaths<extra></extra>")
    assert hovers(fig, toll) == ["%{x}: %{y:,} deaths<extra></extra>"]
    grid = pd.DataFrame([[1, 2], [3, 4]], index=["Aleppo", "Homs"],
                        columns=pd.to_datetime(["2016-01-01", "2016-04-01"]))
    heat = px.imshow(grid, labels={"x": "Quarter", "color": "Deaths"})
    assert hovers(heat, grid) == ["%{y} · %{x|%B %Y}<br>Deaths: %{z:,.0f}<extra></extra>"]


# --- colours and legends ----------------------------------------------------------------------------


def test_an_entity_has_one_colour_on_every_chart():
    both = pd.DataFrame({"year": [2015, 2016] * 3, "n": range(6),
                         "publisher": ["UNHCR"] * 2 + ["IDMC"] * 2 + ["Somebody else"] * 2})
    line = drawn(px.line(both, x="year", y="n", color="publisher"), both)["data"]
    flipped = both.iloc[::-1]
    bars = drawn(px.bar(flipped, x="year", y="n", color="publisher", barmode="group"), flipped)["data"]
    colours = {t["name"]: t["line"]["color"] for t in line}
    assert colours == {t["name"]: t["marker"]["color"] for t in bars}  # whatever the order and kind of chart
    assert colours["UNHCR"] == charts.COLOURS["UNHCR"] and colours["IDMC"] == charts.COLOURS["IDMC"]
    assert len(set(colours.values())) == 3  # the trace outside COLOURS takes a colour no named one wears
    periods = pd.DataFrame({"when": ["Before the cease-fire", "After the cease-fire"], "n": [3, 1]})
    fig = px.bar(periods, x="when", y="n", color="when")
    assert [t["marker"]["color"] for t in drawn(fig, periods)["data"]] == [charts.GREY, charts.COLOURS["After the cease-fire"]]


def test_a_trace_outside_the_mapping_keeps_its_colour_unless_a_named_one_wears_it():
    names = pd.DataFrame({"x": [1, 2, 3], "n": [1, 2, 3], "who": ["Austria", "Germany", "Greece"]})
    fig = px.bar(names, x="x", y="n", color="who")
    before = {t.name: t.marker.color for t in fig.data}
    after = {t["name"]: t["marker"]["color"] for t in drawn(fig, names)["data"]}
    assert after["Germany"] == charts.COLOURS["Germany"]
    assert after["Greece"] == before["Greece"] != after["Germany"]  # no clash: kept
    assert before["Austria"] == charts.COLOURS["Germany"] != after["Austria"]  # a clash: changed
    assert len(set(after.values())) == 3


def test_legends_read_in_the_order_the_marks_are_drawn():
    stack = pd.DataFrame({"x": [1, 1, 2, 2], "n": [1, 2, 3, 4], "part": ["low", "high"] * 2})

    def order(fig):
        return drawn(fig, stack)["layout"].get("legend", {}).get("traceorder")

    assert order(px.bar(stack, x="x", y="n", color="part")) == "reversed"  # a vertical stack: top first
    assert order(px.area(stack, x="x", y="n", color="part")) == "reversed"
    assert order(px.bar(stack, x="x", y="n", color="part", barmode="group")) is None  # left to right, as drawn
    assert order(px.bar(stack, x="n", y="x", color="part", orientation="h")) is None
    mine = px.bar(stack, x="x", y="n", color="part").update_layout(legend_traceorder="normal")
    assert order(mine) == "normal"


# --- descriptions and the table ---------------------------------------------------------------------


def test_description_is_computed_from_the_plotted_values(toll):
    text = charts.describe(px.line(toll, x="year", y="deaths"))
    lo, hi, last = toll.loc[toll.deaths.idxmin()], toll.loc[toll.deaths.idxmax()], toll.iloc[-1]
    assert text == (f"Line chart: {len(toll)} values from {toll.year.iloc[0]} to {toll.year.iloc[-1]}. "
                    f"Lowest {lo.deaths:,} ({lo.year}); highest {hi.deaths:,} ({hi.year}); "
                    f"latest {last.deaths:,} ({last.year}).")
    horizontal = charts.describe(go.Figure(go.Bar(x=[5, 9], y=["Lebanon", "Jordan"], orientation="h")))
    assert "highest 9 (Jordan)" in horizontal
    pie = charts.describe(px.pie(pd.DataFrame({"host": ["Lebanon", "Jordan"], "n": [5, 9]}), names="host", values="n"))
    assert pie == "Pie chart: 2 slices. Lowest 5 (Lebanon); highest 9 (Jordan)."


def test_a_label_wrapped_for_the_axis_is_read_as_one_line():
    wrapped = go.Figure(go.Bar(x=["Kept from<br>medical help", "Shot"], y=[1, 9]))
    text = charts.describe(wrapped)
    assert "<br" not in text and "Lowest 1 (Kept from medical help)" in text


def test_descriptions_write_dates_in_plain_english_to_the_period_of_the_series():
    two = pd.DataFrame({"day": pd.to_datetime(["2016-12-29", "2016-12-30"] * 2), "n": [3, 1, 4, 2],
                        "side": ["a", "a", "b", "b"]})
    text = charts.describe(px.bar(two, x="day", y="n", color="side"))
    assert text.startswith("Bar chart a: 2 values from 29 December 2016 to 30 December 2016. Lowest 1 (30 December 2016)")
    assert "Bar chart b:" in text and "highest 4 (29 December 2016)" in text
    months = pd.DataFrame({"m": pd.to_datetime(["2016-10-01", "2016-11-01"]), "n": [1, 2]})
    assert "from October 2016 to November 2016" in charts.describe(px.line(months, x="m", y="n"))
    years = months.assign(m=pd.to_datetime(["2016-01-01", "2017-01-01"]))
    assert "from 2016 to 2017. Lowest 1 (2016)" in charts.describe(px.line(years, x="m", y="n"))
    people = months.assign(n=[1000.4, 2000.6])
    assert "Lowest 1,000 (October 2016); highest 2,001 (November 2016)" in charts.describe(
        px.line(people, x="m", y="n", labels={"n": "Displaced people"}))  # whole people, never a fraction


class Table(HTMLParser):
    """The cells of the first table, as (tag, attributes, text)."""

    def __init__(self):
        super().__init__()
        self.cells, self.caption, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td", "caption"):
            self._cell = [tag, dict(attrs), ""]

    def handle_data(self, data):
        if self._cell:
            self._cell[2] += data

    def handle_endtag(self, tag):
        if self._cell and tag == self._cell[0]:
            (self.cells.append(tuple(self._cell)) if tag != "caption" else setattr(self, "caption", self._cell[2]))
            self._cell = None


def test_each_chart_has_a_table_of_its_data():
    data = pd.DataFrame({"month": pd.to_datetime(["2016-10-01", "2016-11-01"]), "governorate": ["Homs", "Dar'a"],
                         "deaths_best": [12345.6, 7.0], "idps": [1500.4, 20], "share": [0.25, 0.5]})
    html = bundle_of(px.bar(data, x="month", y="deaths_best"), data, title="Deaths by month")["text/html"]
    details = re.search(r'<details class="sk-table sk-generated"><summary>Table</summary>(.*?)</details>', html, re.S)
    assert details and html.index("</details>") < html.index("<figcaption>")
    table = Table()
    table.feed(details.group(1))
    assert table.caption == "Deaths by month"
    head = [c for c in table.cells if c[1].get("scope") == "col"]
    assert [c[2] for c in head] == ["Month", "Governorate", "Deaths (best estimate)", "IDPs", "Share"]
    rows = [c for c in table.cells if c[1].get("scope") != "col"]
    assert [(c[0], c[2]) for c in rows[:5]] == [("th", "October 2016"), ("th", "Homs"), ("td", "12,346"),
                                                ("td", "1,500"), ("td", "0.25")]  # whole people; labels head rows
    assert all(c[1] == {"scope": "row"} for c in rows if c[0] == "th")
    assert rows[5][2] == "November 2016" and rows[6][2] == "Dar'a"


def test_a_long_table_shows_its_first_rows_and_sends_readers_to_the_csv():
    rows = charts.words.TABLE_ROWS
    days = pd.DataFrame({"day": pd.date_range("2016-01-01", periods=rows + 3, freq="D"), "year": 2016,
                         "events": range(rows + 3)})
    html = bundle_of(px.bar(days, x="day", y="events"), days)["text/html"]
    body = re.search(r"<tbody>(.*?)</tbody>", html).group(1)
    assert body.count("<tr>") == rows and "<th scope=\"row\">1 January 2016</th><th scope=\"row\">2016</th><td>0</td>" in body
    assert f"<p>The first {rows:,} of {rows + 3:,} rows; the CSV has them all.</p></details>" in html
    short = bundle_of(px.bar(days.head(3), x="day", y="events"), days.head(3))["text/html"]
    assert "the CSV has them all" not in short
    indexed = days.head(2).set_index("day")  # the CSV holds the index: so does the table
    assert '<th scope="col">Day</th>' in bundle_of(px.bar(days.head(2), x="day", y="events"), indexed)["text/html"]


# --- maps ---------------------------------------------------------------------------------------


@pytest.fixture
def people():
    return pd.DataFrame([{"year": y, "pcode": c, "people": 1000 * (i + 1) + y} for y in (2015, 2016)
                         for i, c in enumerate(PLACES)])


def with_a_small_place() -> dict:
    """The three squares and a much smaller one beside them."""
    layer = squares()
    ring = [[39.0, 33.0], [39.0, 33.1], [39.1, 33.1], [39.1, 33.0], [39.0, 33.0]]
    layer["features"].append({"type": "Feature", "properties": {"pcode": "SY04", "name_en": "Smalltown",
                                                                "name_ar": "ص"},
                              "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return layer


def test_choropleth_uses_pcodes_names_and_clockwise_shapes(people, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    fig = charts.choropleth(people[people.year == 2016], color="people", label="People", geojson=squares(),
                            boundary_source="ocha_admin1_2016")
    trace = fig.data[0]
    assert trace.featureidkey == "properties.pcode" and fig.layout.geo.fitbounds == "locations"
    assert fig.layout.margin.to_plotly_json() == {"l": 0, "r": 0, "t": 0, "b": 0}  # Syria fills its frame
    assert list(trace.customdata[0]) == list(PLACES["SY01"])  # English and Arabic names on hover
    assert trace.hovertemplate == "<b>%{customdata[0]}</b> · %{customdata[1]}<br>People: %{z:,.0f}<extra></extra>"
    for feature in trace.geojson["features"]:
        ring = feature["geometry"]["coordinates"][0]
        signed_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
        assert signed_area < 0  # clockwise, as plotly's geo maps need
    bundle, meta = charts.chart_bundle(fig, people, title="People", source="unhcr_population")
    assert meta["storykit"]["sources"] == ["unhcr_population", "ocha_admin1_2016"]
    html = bundle["text/html"]
    assert "do not imply official endorsement or acceptance by the United Nations" in html
    assert "Quneitra includes the Israeli-occupied Golan" in html
    # The page names the shapes; they are published once, as an asset, from the inline JupyterLab JSON.
    key = geometry_key(trace.geojson.to_plotly_json() if hasattr(trace.geojson, "to_plotly_json")
                       else trace.geojson)
    assert meta["storykit"]["geometries"] == [key]
    page_spec = embedded(html)
    assert page_spec["data"][0]["geojson"] == key
    inline = bundle["application/vnd.plotly.v1+json"]
    assert assets.page_geometries(inline, [key]) == {key: inline["data"][0]["geojson"]}
    asset = assets.geometry_asset(key, inline["data"][0]["geojson"])
    assert asset.startswith('(window.PlotlyGeoAssets=window.PlotlyGeoAssets||{topojson:{}})["' + key + '"]={')
    assert json.loads(asset[asset.index("={") + 1:-2]) == inline["data"][0]["geojson"]


def test_a_map_names_the_places_with_room_and_its_names_are_not_data(people):
    data = pd.concat([people[people.year == 2016], pd.DataFrame({"year": [2016], "pcode": ["SY04"], "people": [7.5]})])
    fig = charts.choropleth(data, color="people", geojson=with_a_small_place(), boundary_source="ocha_admin1_2016")
    [shapes, names] = fig.data
    assert names.type == "scattergeo" and names.mode == "text" and names.hoverinfo == "skip"
    assert list(names.text) == [en for en, _ in PLACES.values()]  # the small one has no room for its name
    assert names.customdata[0] == pytest.approx(1 / (3 + 0.1 ** 2), abs=1e-3)  # its share of the area, for phones
    for lon, lat in zip(names.lon, names.lat):  # each name inside its square
        assert 33 < lat < 34 and any(36 + i < lon < 37 + i for i in range(3))
    text = charts.describe(fig)
    lowest = data.loc[data.people.idxmin()]
    assert text.startswith(f"Map: 4 places. Lowest {lowest.people:,.0f} (Smalltown)")  # whole people
    assert text.count("Map") == 1  # the names are no series
    bundle, meta = charts.chart_bundle(fig, data, title="People", source="unhcr_population")
    assert len(meta["storykit"]["geometries"]) == 1
    assert bundle["text/html"].count("<tr>") == len(data) + 1  # the table: the data's rows and a header


def test_a_highlighted_governorate_is_outlined_and_marked_if_small(people):
    layer = with_a_small_place()
    data = pd.DataFrame({"pcode": ["SY01", "SY02", "SY03", "SY04"], "people": [4, 3, 2, 1]})
    fig = charts.choropleth(data, color="people", geojson=layer, boundary_source="ocha_admin1_2016", highlight="SY04")
    names, outline, mark = fig.data[1:]
    assert all(t.meta == charts.LABELS and t.hoverinfo == "skip" for t in (names, outline, mark))
    ring = layer["features"][3]["geometry"]["coordinates"][0]
    assert outline.mode == "lines" and {(x, y) for x, y in zip(outline.lon, outline.lat) if x is not None} == \
        {tuple(p) for p in ring}
    assert mark.mode == "markers+text" and list(mark.text) == ["Smalltown"]
    assert 39 < mark.lon[0] < 39.1 and 33 < mark.lat[0] < 33.1
    big = charts.choropleth(data, color="people", geojson=layer, boundary_source="ocha_admin1_2016", highlight="SY02")
    names, _, mark = big.data[1:]
    assert mark.mode == "text" and list(mark.text) == ["Southland"] and "Southland" not in names.text  # named once
    with pytest.raises(StorykitError, match="codes the map layer lacks: SY99"):
        charts.choropleth(data, color="people", geojson=layer, boundary_source="ocha_admin1_2016", highlight="SY99")


def test_a_change_gets_the_diverging_palette_centred_on_zero(people):
    change = pd.DataFrame({"pcode": list(PLACES), "change": [-5, 12.5, 3]})
    fig = charts.choropleth(change, color="change", geojson=squares(), boundary_source="ocha_admin1_2016",
                            diverging=True)
    axis = fig.layout.coloraxis
    reach = change.change.abs().max()
    assert (axis.cmin, axis.cmax, axis.cmid) == (-reach, reach, 0)
    assert [c for _, c in axis.colorscale] == list(charts.DIVERGING)
    counts = charts.choropleth(people[people.year == 2016], color="people", geojson=squares(),
                               boundary_source="ocha_admin1_2016").layout.coloraxis
    assert (counts.cmin, counts.cmax) == (0, people[people.year == 2016].people.max())  # counts from zero
    assert [c for _, c in counts.colorscale] == list(charts.SEQUENTIAL) and counts.cmid is None
    assert "%{z:,.1f}" in fig.data[0].hovertemplate  # a change that is not a count of people keeps its decimal


def test_a_slider_map_opens_on_its_latest_frame_with_one_colour_scale_and_light_frames(people):
    shuffled = people.sort_values("year", ascending=False)
    fig = charts.choropleth(shuffled, color="people", geojson=squares(), boundary_source="ocha_admin1_2016",
                            animation_frame="year")
    assert [f.name for f in fig.frames] == ["2015", "2016"]
    assert all(tr.geojson is None for f in fig.frames for tr in f.data)
    assert fig.layout.coloraxis.cmin == 0 and fig.layout.coloraxis.cmax == people.people.max()
    latest = people[people.year == 2016]
    shown = dict(zip(fig.data[0].locations, fig.data[0].z))
    assert shown == dict(zip(latest.pcode, latest.people)) == dict(zip(fig.frames[-1].data[0].locations,
                                                                       fig.frames[-1].data[0].z))
    slider = fig.layout.sliders[0]
    assert slider.active == len(slider.steps) - 1 and slider.currentvalue.prefix == "Year: "
    text = charts.describe(fig)
    assert text.endswith("A slider shows 2 frames, from 2015 to 2016; the map above shows 2016.")
    assert f"highest {latest.people.max():,}" in text
    assert fig.data[0].hovertemplate == fig.frames[0].data[0].hovertemplate


def test_choropleth_defaults_to_the_processed_provinces(people, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    with pytest.raises(StorykitError, match=r"data/processed/provinces\.geojson is missing: run `storykit process` first"):
        charts.choropleth(people, color="people")
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "provinces.geojson").write_text(json.dumps(squares()))
    (processed / "datapackage.json").write_text(json.dumps(
        {"resources": [{"name": "provinces", "sources": [{"id": "ocha_admin1_2016"}, {"id": "ocha_admin1_2016"}]}]}))
    fig = charts.choropleth(people[people.year == 2016], color="people")
    assert fig._storykit_boundary == ("ocha_admin1_2016",)
    with pytest.raises(StorykitError, match="Map data column 'pcode' has codes the map layer lacks: SY99"):
        charts.choropleth(pd.DataFrame({"pcode": ["SY99"], "people": [1]}), color="people")


# --- plotly.js for the site ---------------------------------------------------------------------


def test_trace_types_include_animation_frames(people):
    fig = charts.choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016",
                            animation_frame="year")
    fig.frames[0].data = (go.Bar(x=[1], y=[2]),)
    assert assets.trace_types(json.loads(fig.to_json())) == {"choropleth", "scattergeo", "bar"}
    assert assets.trace_types({"data": [{"y": [1]}]}) == {"scatter"}  # plotly.js's default type


def test_pages_load_the_partial_bundle_unless_a_chart_needs_more(people):
    fig = charts.choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016")
    assert assets.page_plotly(assets.trace_types(json.loads(fig.to_json())) | {"scatter", "bar", "heatmap"}) == \
        "plotly-storykit.min.js"  # maps with their names
    assert assets.page_plotly({"bar", "pie"}) == "plotly.min.js"


def test_the_partial_bundle_is_built_for_the_plotly_package_and_registers_the_pages_trace_types():
    from plotly.offline import get_plotlyjs_version

    bundle = assets.plotly_bundle()
    assert bundle is not None, "run `make bundle` (it needs npm)"
    assert bundle.startswith(f"/*! plotly.js v{get_plotlyjs_version()} ")
    assert len(bundle) < len(assets.plotly_file(assets.PLOTLY_FULL).read_text()) / 3
    entry = (Path(__file__).resolve().parents[1] / "js" / "entry.js").read_text(encoding="utf-8")
    registered = set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) - {"core"}
    assert registered | {"scatter"} == assets.BUNDLE_TRACES  # scatter comes with the core
    assert set(assets.site_assets()) == {"style.css", "charts.js", "plotly.min.js", "plotly-storykit.min.js"}


@pytest.fixture
def static(tmp_path, monkeypatch):
    """A static folder of our own, and plotly_bundle() reading it afresh."""
    monkeypatch.setattr(assets, "STATIC", tmp_path)
    assets.plotly_bundle.cache_clear()
    yield tmp_path
    assets.plotly_bundle.cache_clear()


def bundle_in(folder, text: str, checksum: str | None = None):
    import hashlib

    (folder / "plotly-storykit.min.js").write_text(text, encoding="utf-8")
    checksum = checksum or hashlib.sha256(text.encode()).hexdigest()
    (folder / "plotly-storykit.min.js.sha256").write_text(f"{checksum}  plotly-storykit.min.js\n")


def test_without_the_partial_bundle_pages_load_the_full_plotly(static):
    (static / "charts.js").write_text("/* draws */")
    assert assets.plotly_bundle() is None and assets.page_plotly({"bar"}) == "plotly.min.js"
    assert set(assets.site_assets()) == {"style.css", "charts.js", "plotly.min.js"}


def test_a_bundle_for_another_plotly_js_is_not_used(static):
    bundle_in(static, "/*! plotly.js v0.0.1 (scatter) */ var Plotly;")
    assert assets.plotly_bundle() is None and assets.page_plotly({"scatter"}) == "plotly.min.js"


def test_a_bundle_that_is_not_the_one_js_builds_is_refused(static):
    bundle_in(static, "/*! plotly.js v9 (scatter) */ var Plotly;", checksum="0" * 64)
    with pytest.raises(StorykitError, match=r"plotly-storykit.min.js is not the bundle js/ builds.*make bundle"):
        assets.plotly_bundle()


def test_the_published_provinces_stay_small(processed):
    """The provinces layer (about 59 KB) and the asset a page loads for it stay under 100 KB."""
    path = processed / "provinces.geojson"
    assert path.stat().st_size < 100_000
    codes = [f["properties"]["pcode"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    fig = charts.choropleth(pd.DataFrame({"pcode": codes, "n": range(len(codes))}), color="n", geojson=str(path),
                            boundary_source="ocha_admin1_2016")
    bundle, meta = charts.chart_bundle(fig, pd.DataFrame({"n": [1]}), title="Map", source="ocha_admin1_2016")
    [key] = meta["storykit"]["geometries"]
    shapes = assets.page_geometries(bundle["application/vnd.plotly.v1+json"], [key])[key]
    assert len(assets.geometry_asset(key, shapes).encode("utf-8")) < 100_000


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture
def chart_page(tmp_path, toll, people):
    """A page with a line chart and a map, drawn by the site's charts.js and partial plotly.js."""
    line = px.line(toll, x="year", y="deaths", labels={"deaths": "Battle deaths"})
    line, _ = charts.chart_bundle(line, toll, title="Deaths fell after the peak", subtitle="Battle deaths a year",
                                  source="ucdp_country_year")
    fig = charts.choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016")
    m, meta = charts.chart_bundle(fig, people, title="People by place", source="unhcr_population")
    (tmp_path / "assets").mkdir()
    shapes = assets.page_geometries(m["application/vnd.plotly.v1+json"], meta["storykit"]["geometries"])
    scripts = [assets.PLOTLY_BUNDLE] + [f"{k}.js" for k in shapes] + ["charts.js"]
    for key, gj in shapes.items():
        (tmp_path / "assets" / f"{key}.js").write_text(assets.geometry_asset(key, gj), encoding="utf-8")
    for name in (assets.PLOTLY_BUNDLE, "charts.js"):
        (tmp_path / "assets" / name).write_text(assets.site_assets()[name], encoding="utf-8")
    head = "".join(f'<script defer src="assets/{s}"></script>' for s in scripts)
    page = tmp_path / "page.html"
    page.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8">{head}</head><body style="width:'
                    f'800px">{line["text/html"]}{m["text/html"]}</body></html>', encoding="utf-8")
    return page


@needs_chromium
def test_in_chromium_charts_have_no_toolbar_maps_ignore_the_wheel_and_pictures_carry_the_credit(chart_page, browser):
    outside = []
    context = browser.new_context(viewport={"width": 900, "height": 900}, accept_downloads=True)
    try:
        context.route("**", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                      else (outside.append(r.request.url), r.abort()))
        page = context.new_page()
        page.goto(chart_page.as_uri())
        page.wait_for_function("document.querySelectorAll('.sk-plot .main-svg').length >= 2")
        assert page.locator(".modebar, .modebar-btn").count() == 0  # plotly.js leaves only an empty container
        assert page.locator("button.sk-image:visible").count() == 4  # shown once drawn
        plots = page.locator(".sk-plot")
        assert plots.first.evaluate("d => d.getBoundingClientRect().height") == 420  # as reserved
        shape = page.locator("path.choroplethlocation").first
        before = shape.get_attribute("d")
        box = shape.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(300)
        assert shape.get_attribute("d") == before  # the wheel scrolls the page; the map keeps its scale
        assert page.locator(".scattergeo text").count() == len(PLACES)  # names on the map
        with page.expect_download() as svg:
            page.locator('button.sk-image[data-format="svg"]').first.click()
        assert svg.value.suggested_filename == "deaths-fell-after-the-peak.svg"
        picture = Path(svg.value.path()).read_text(encoding="utf-8")
        ucdp = catalogue.get("ucdp_country_year")
        for text in ("Deaths fell after the peak", "Battle deaths a year",
                     f"Source: {ucdp.publisher} · Licence: {ucdp.licence} · {charts.SITE_NAME}"):
            assert f">{text}</text>" in picture
        width = max(640, plots.first.evaluate("d => d.clientWidth"))  # the plot's width, at least 640 px
        assert re.search(r'<svg xmlns="http://www.w3.org/2000/svg" width="(\d+)"', picture).group(1) == str(width)
        with page.expect_download() as png:
            page.locator('button.sk-image[data-format="png"]').last.click()
        assert png.value.suggested_filename == "people-by-place.png"
        data = Path(png.value.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 2 * width  # scale 2
    finally:
        context.close()
    assert outside == []  # nothing fetched from any host
