"""The files of a site's assets/ folder: the style sheet, the charts' script, plotly.js, map shapes.

Pages load the smallest plotly.js that draws their charts: `make bundle` builds one with only the
trace types in BUNDLE_TRACES (js/); a page with any other type, or a machine without that bundle,
loads the plotly package's full plotly.min.js. A site publishes only the assets its pages use.
Imports neither pandas nor plotly.express: a build never needs them.
"""

import hashlib
import json
import re
from functools import cache
from html import escape
from pathlib import Path

from ..errors import StorykitError
from ..notebook.contract import STATIC_CLASS, geometry_key

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STYLE = HERE / "templates" / "style.css"
PLOTLY_FULL = "plotly.min.js"  # the plotly package's own: every trace type
PLOTLY_BUNDLE = "plotly-storykit.min.js"  # built by `make bundle` from js/: only these trace types
BUNDLE_TRACES = frozenset({"scatter", "bar", "heatmap", "choropleth", "scattergeo"})  # keep in step with js/entry.js
PICTURES = "pictures"  # assets/pictures/: the charts' static pictures (storykit.site.firstpaint)
USED = re.compile(r'assets/((?:[\w.-]+/)?[\w.-]+)"')  # how a page names an asset it loads
# The picture inside its <picture>, which style.css lays over the plot div.
PICTURE_STYLE = "display:block;width:100%;height:100%;object-fit:scale-down;object-position:left top"


def geometry_asset(key: str, geojson: dict) -> str:
    """assets/<key>.js: registers the shapes with plotly.js, so a map names them instead of holding them."""
    text = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    return f'(window.PlotlyGeoAssets=window.PlotlyGeoAssets||{{topojson:{{}}}})["{key}"]={text};\n'


def page_geometries(plotly_json: dict, keys: list[str]) -> dict[str, dict]:
    """The shapes behind `keys`, taken from the inline figure JSON of a chart's output."""
    found = {}
    for trace in plotly_json.get("data", []):
        gj = trace.get("geojson")
        if isinstance(gj, dict) and (key := geometry_key(gj)) in keys:
            found[key] = gj
    missing = set(keys) - set(found)
    if missing:
        raise StorykitError(f"A map's shapes ({', '.join(sorted(missing))}) are not in its output; show it again.")
    return found


def trace_types(figure: dict) -> set[str]:
    """The trace types a figure's JSON draws, its animation frames included."""
    traces = list(figure.get("data", [])) + [t for fr in figure.get("frames", []) for t in fr.get("data", [])]
    return {t.get("type", "scatter") for t in traces}


def with_static(html: str, dom_id: str, phone: tuple[str, int, int], desktop: tuple[str, int, int], *,
                lazy: bool = False) -> str:
    """`html` with static pictures of the chart `dom_id` in its plot div, shown until the live chart is
    drawn, and without JavaScript: `phone` and `desktop` are (src, width, height), the phone's for
    screens up to PHONE_MEDIA. The picture fills its plot's box (style.css places it there), scaled
    down to fit and never up, so nothing moves when it loads or when the live chart takes its place.
    Decorative (alt=""): the figure's text description says what the chart shows. `lazy`: fetched
    only as the reader nears it (browsers fetch every picture when JavaScript is off); else first."""
    from .firstpaint import PHONE_MEDIA

    (phone_src, phone_w, phone_h), (src, width, height) = phone, desktop
    when = ' loading="lazy"' if lazy else ' fetchpriority="high"'
    picture = (f'<picture class="{STATIC_CLASS}"><source media="{PHONE_MEDIA}" srcset="{escape(phone_src)}" '
               f'width="{phone_w}" height="{phone_h}"><img alt="" src="{escape(src)}" width="{width}" '
               f'height="{height}" decoding="async"{when} style="{PICTURE_STYLE}"></picture>')
    div = re.compile(rf'<div\b[^>]*\bid="{re.escape(dom_id)}"[^>]*>')
    return div.sub(lambda m: m.group() + picture, html, count=1)


def plotly_file(name: str) -> Path:
    """Where the plotly.js asset `name` comes from."""
    if name == PLOTLY_BUNDLE:
        return STATIC / PLOTLY_BUNDLE
    import plotly  # the package alone: it imports neither numpy nor pandas

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_FULL


def _version(text: str) -> str | None:
    found = re.search(r"plotly\.js v(\S+)", text[:300])
    return found.group(1) if found else None


@cache
def plotly_bundle() -> str | None:
    """The partial bundle `make bundle` built, or None if it was not built (no npm) or is for another
    plotly.js than the plotly package writes figures for (`make bundle` again after updating js/)."""
    path = STATIC / PLOTLY_BUNDLE
    if not path.is_file():
        return None
    data = path.read_bytes()
    expected = (STATIC / f"{PLOTLY_BUNDLE}.sha256").read_text(encoding="utf-8").split()[0]
    if hashlib.sha256(data).hexdigest() != expected:
        raise StorykitError(f"{path} is not the bundle js/ builds: its SHA-256 differs from the one in "
                            f"{PLOTLY_BUNDLE}.sha256. Run `make bundle` to build it again.")
    text = data.decode("utf-8")
    return text if _version(text) == _version(plotly_file(PLOTLY_FULL).read_text(encoding="utf-8")) else None


def page_plotly(types) -> str:
    """The plotly.js asset a page whose charts draw trace types `types` loads."""
    return PLOTLY_BUNDLE if plotly_bundle() is not None and set(types) <= BUNDLE_TRACES else PLOTLY_FULL


def site_assets() -> dict[str, str]:
    """The assets a site may use, by name: the style sheet, the drawing script, plotly.js (the partial
    bundle too, if built). A version keeps only those its pages name (`unused`)."""
    found = {"style.css": STYLE.read_text(encoding="utf-8"),
             "charts.js": (STATIC / "charts.js").read_text(encoding="utf-8"),
             PLOTLY_FULL: plotly_file(PLOTLY_FULL).read_text(encoding="utf-8")}
    if (bundle := plotly_bundle()) is not None:
        found[PLOTLY_BUNDLE] = bundle
    return found


def unused(version: Path) -> list[Path]:
    """The files of the version's assets/ (pictures/ too) that none of its pages loads."""
    used = set()
    for page in version.rglob("*.html"):
        used |= set(USED.findall(page.read_text(encoding="utf-8")))
    folder = version / "assets"
    return [a for a in sorted(folder.rglob("*")) if a.is_file() and a.relative_to(folder).as_posix() not in used]
