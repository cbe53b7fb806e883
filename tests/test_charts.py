"""Charts: the house style, the two-part mimebundle, descriptions, CSV downloads and maps."""

import base64
import json
import re

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from pathlib import Path

import pytest

from storykit import catalogue, charts
from storykit.notebook.contract import geometry_key
from storykit.site import assets
from storykit.errors import StorykitError
from storykit.facts import check_prose, fact, md
from .synthetic_site import PLACES, squares


@pytest.fixture
def toll():
    return pd.DataFrame({"year": [2011, 2012, 2013, 2014], "deaths": [1195, 50367, 71970, 65591]})


def embedded(html: str, dom_id: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{dom_id}-json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_house_style_is_what_a_new_figure_and_its_page_get(toll):
    assert pio.templates.default == "storykit"
    # A figure made with no template named takes the house one: its series, in order, in the house colours ...
    two = pd.concat([toll.assign(series="a"), toll.assign(series="b"), toll.assign(series="c")])
    fig = px.line(two, x="year", y="deaths", color="series")
    assert [t.line.color for t in fig.data] == list(charts.OKABE_ITO[:3])
    # ... and the page draws it with the house layout and config.
    bundle, _ = charts.chart_bundle(fig, two, title="Battle deaths", source="ucdp_country_year")
    html = bundle["text/html"]
    spec = embedded(html, re.search(r'<div class="sk-plot" id="([^"]+)"', html).group(1))
    layout = spec["layout"]["template"]["layout"]
    assert layout["colorway"] == list(charts.OKABE_ITO)
    assert layout["legend"]["orientation"] == "h" and layout["legend"]["y"] > 1  # above the plot, clear of the x-axis title
    assert layout["font"]["family"].startswith("system-ui") and layout["font"]["family"].endswith("sans-serif")
    assert not re.search(r"@font-face|\.woff|fonts\.googleapis", html)  # the reader's own fonts: none fetched
    config = bundle["application/vnd.plotly.v1+json"]["config"]
    assert config["responsive"] is True and config["displaylogo"] is False


def test_show_bundle_has_plotly_json_and_a_figure_the_page_draws(toll):
    fig = px.line(toll, x="year", y="deaths")
    bundle, meta = charts.chart_bundle(fig, toll, title="Battle deaths", source="ucdp_country_year",
                                       notes="Best estimates.")
    assert set(bundle) >= {"application/vnd.plotly.v1+json", "text/html"}
    assert bundle["application/vnd.plotly.v1+json"]["config"]["responsive"] is True
    html = bundle["text/html"]
    dom_id = re.search(r'<div class="sk-plot" id="([^"]+)"', html).group(1)
    spec = embedded(html, dom_id)
    assert spec["data"][0]["type"] == "scatter" and spec["layout"]["template"]["layout"]["font"]["family"] == charts.FONT
    assert "<script>" not in html and "cdn" not in html.lower()  # the page's assets/charts.js draws it
    assert '<h2 class="sk-chart-title"' in html and ">Battle deaths</h2>" in html
    ucdp = catalogue.get("ucdp_country_year")
    assert f"Source: {ucdp.publisher}, {ucdp.title} (licence: {ucdp.licence})" in html
    assert '<p class="sk-notes">Best estimates.</p>' in html
    assert meta == {"storykit": {"kind": "chart", "title": "Battle deaths", "sources": ["ucdp_country_year"],
                                 "facts": [], "geometries": []}}
    check_prose(html, [], "chart", generated_ok=True)  # generated numbers are exempt; the title has none


def test_the_csv_link_holds_exactly_the_data(toll):
    bundle, _ = charts.chart_bundle(px.bar(toll, x="year", y="deaths"), toll, title="Toll", source="ucdp_country_year")
    href = re.search(r'download="toll.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', bundle["text/html"])
    assert base64.b64decode(href.group(1)).decode() == toll.to_csv(index=False)
    indexed = toll.set_index("year")
    bundle, _ = charts.chart_bundle(px.bar(toll, x="year", y="deaths"), indexed, title="T", source="ucdp_country_year")
    href = re.search(r'base64,([^"]+)"', bundle["text/html"])
    assert base64.b64decode(href.group(1)).decode() == indexed.to_csv()


def test_description_is_computed_from_the_plotted_values(toll):
    text = charts.describe(px.line(toll, x="year", y="deaths"))
    lo, hi, last = toll.loc[toll.deaths.idxmin()], toll.loc[toll.deaths.idxmax()], toll.iloc[-1]
    assert text == (f"Line chart: {len(toll)} values from {toll.year.iloc[0]} to {toll.year.iloc[-1]}. "
                    f"Lowest {lo.deaths:,} ({lo.year}); highest {hi.deaths:,} ({hi.year}); "
                    f"latest {last.deaths:,} ({last.year}).")
    two = pd.DataFrame({"day": pd.to_datetime(["2016-12-29", "2016-12-30"] * 2), "n": [3, 1, 4, 2],
                        "side": ["a", "a", "b", "b"]})
    text = charts.describe(px.bar(two, x="day", y="n", color="side"))
    assert text.startswith("Bar chart a: 2 values from 2016-12-29 to 2016-12-30. Lowest 1 (2016-12-30)")
    assert "Bar chart b:" in text and "highest 4 (2016-12-29)" in text
    horizontal = charts.describe(go.Figure(go.Bar(x=[5, 9], y=["Lebanon", "Jordan"], orientation="h")))
    assert "highest 9 (Jordan)" in horizontal
    pie = charts.describe(px.pie(pd.DataFrame({"host": ["Lebanon", "Jordan"], "n": [5, 9]}), names="host", values="n"))
    assert pie == "Pie chart: 2 slices. Lowest 5 (Lebanon); highest 9 (Jordan)."


def test_title_and_notes_are_checked_prose_with_facts(toll):
    total = fact(int(toll.deaths.sum()), source="ucdp_country_year", what="deaths")
    bundle, meta = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, title="Deaths since 2011",
                                       source="ucdp_country_year", notes=md("In all {t}.", t=total))
    assert meta["storykit"]["facts"] == [total.record()]
    check_prose(bundle["text/html"], meta["storykit"]["facts"], "chart", generated_ok=True)
    bundle, meta = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, title="Deaths in 14 places",
                                       source="ucdp_country_year")
    with pytest.raises(ValueError, match=r"chart: untraced figure\(s\) in the prose: '14'"):
        check_prose(bundle["text/html"], meta["storykit"]["facts"], "chart", generated_ok=True)


def test_text_from_data_is_escaped(toll):
    bundle, _ = charts.chart_bundle(px.line(toll, x="year", y="deaths"), toll, title="<script>alert(1)</script>",
                                    source="ucdp_country_year")
    assert "<script>alert" not in bundle["text/html"] and "&lt;script&gt;" in bundle["text/html"]


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


@pytest.fixture
def people():
    return pd.DataFrame([{"year": y, "pcode": c, "people": 1000 * (i + 1) + y} for y in (2015, 2016)
                         for i, c in enumerate(PLACES)])


def test_choropleth_uses_pcodes_names_and_clockwise_shapes(people, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYKIT_HOME", str(tmp_path))
    fig = charts.choropleth(people[people.year == 2016], color="people", label="People", geojson=squares(),
                            boundary_source="ocha_admin1_2016")
    trace = fig.data[0]
    assert trace.featureidkey == "properties.pcode" and fig.layout.geo.fitbounds == "locations"
    assert list(trace.customdata[0]) == list(PLACES["SY01"])  # English and Arabic names on hover
    assert "%{customdata[0]}" in trace.hovertemplate and "%{customdata[1]}" in trace.hovertemplate
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
    page_spec = embedded(html, re.search(r'<div class="sk-plot" id="([^"]+)"', html).group(1))
    assert page_spec["data"][0]["geojson"] == key
    inline = bundle["application/vnd.plotly.v1+json"]
    assert assets.page_geometries(inline, [key]) == {key: inline["data"][0]["geojson"]}
    asset = assets.geometry_asset(key, inline["data"][0]["geojson"])
    assert asset.startswith('(window.PlotlyGeoAssets=window.PlotlyGeoAssets||{topojson:{}})["' + key + '"]={')
    assert json.loads(asset[asset.index("={") + 1:-2]) == inline["data"][0]["geojson"]


def test_animated_choropleth_has_one_colour_scale_and_light_frames(people):
    fig = charts.choropleth(people, color="people", geojson=squares(), boundary_source="ocha_admin1_2016",
                            animation_frame="year")
    assert [f.name for f in fig.frames] == ["2015", "2016"]
    assert all(tr.geojson is None for f in fig.frames for tr in f.data)
    assert fig.layout.coloraxis.cmin == 0 and fig.layout.coloraxis.cmax == people.people.max()
    assert "A slider shows 2 frames, from 2015 to 2016" in charts.describe(fig)


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
    assert assets.trace_types(json.loads(fig.to_json())) == {"choropleth", "bar"}
    assert assets.trace_types({"data": [{"y": [1]}]}) == {"scatter"}  # plotly.js's default type


def test_pages_load_the_partial_bundle_unless_a_chart_needs_more():
    assert assets.page_plotly({"scatter", "bar", "heatmap", "choropleth"}) == "plotly-storykit.min.js"
    assert assets.page_plotly({"bar", "pie"}) == "plotly.min.js"
    assert assets.page_plotly({"scattergeo"}) == "plotly.min.js"


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
