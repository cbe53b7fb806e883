"""A page's share image: the picture a link to it shows when shared (og:image), 1200 x 630 PNG.

Drawn at build time by the Chromium the build already drives for the charts' pictures
(storykit.site.firstpaint): plotly.js draws the page's lead (first) chart as SVG in the worker's tab,
this module lays it out on a card with the page's title and the chart's source line, and the worker
takes a screenshot of that card. A page without a chart gets a plain title card.

A card is a file, assets/share/<key>.png, named by the hash of everything it is drawn from (the
card's words, the figure, the plotly.js, Chromium's version, this module's and firstpaint's code), so
an unchanged page reuses the file of the version it started as and draws nothing. Without Chromium
there is no card and no og:image; the build says so once.
"""

import base64
import hashlib
import json
import re
from html import escape, unescape
from pathlib import Path

from ..atomic import atomic_path
from .. import arabic
from ..notebook.prose import plain_text
from . import embeds, firstpaint
from .edition import edition_of

WIDTH, HEIGHT = 1200, 630
MAX_BYTES = 400_000  # what the larger sharing services accept without shrinking it themselves
FOLDER = "share"  # assets/share/
CHART = (760, 300)  # the size the chart is drawn at; the card shows it scaled up (larger text) to fit
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
_told: list[str] = []  # said once per build process


def for_page(version: Path, page, plotly: Path, *, root: str = "", site_url: str = "") -> dict | None:
    """The share image of a page (storykit.site.pages.Page; {"url", "alt", "width", "height"}), drawn into
    `version`/assets/share/ unless it is there already, in the page's language; None without Chromium."""
    ed = edition_of(page.edition)
    title, lead = page.title, page.plots[0] if page.plots else None
    about = embeds.about(page.body, lead["id"]) if lead else {}
    words = {"title": title, "chart": about.get("title", ""), "credit": about.get("credit", ""),
             "summary": "" if lead else plain_text(page.summary_html), "site": ed.t["site"], "lang": ed.code,
             "dir": ed.dir}
    version_of = firstpaint._worker.chromium_version()
    if version_of is None:
        _tell("No share images (og:image) for the pages either: they are drawn by Chromium too.")
        return None
    figure = _figure(lead["figure"]) if lead else None
    made_of = {"words": words, "figure": firstpaint._drawable(figure)[0] if figure else None,
               "plotly": firstpaint._digest(Path(plotly)), "chromium": version_of,
               "code": [firstpaint._digest(Path(__file__)), firstpaint._digest(Path(firstpaint.__file__))]}
    name = hashlib.sha256(json.dumps(made_of, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]
    path = version / "assets" / FOLDER / f"{name}.png"
    if not path.is_file():
        png = _draw(words, figure, plotly)
        if png is None:
            return None
        with atomic_path(path) as tmp:
            tmp.write_bytes(png)
    alt = (ed.t["card_alt"].format(chart=words["chart"], title=title) if lead
           else f"\u201c{title}\u201d{ed.t['comma']} {words['site']}")
    where = f"assets/{FOLDER}/{name}.png"
    url = embeds.address(where, site_url, root)
    return {"url": url, "alt": alt, "width": WIDTH, "height": HEIGHT}


def in_figure(figure_html: str) -> dict | None:
    """The share image a page's first chart carries (storykit.site.embeds marks it), for the index,
    whose lead graphic that chart is."""
    found = re.search(r'<figure\b[^>]*\bdata-share="([^"]*)"[^>]*\bdata-share-alt="([^"]*)"', figure_html)
    return found and {"url": unescape(found.group(1)), "alt": unescape(found.group(2)), "width": WIDTH,
                      "height": HEIGHT}


def _tell(line: str) -> None:
    if line not in _told:
        _told.append(line)
        firstpaint.say(line)


def _figure(figure: dict) -> dict:
    """The lead chart as the card draws it: at CHART's size, without a play button or slider."""
    layout = {k: v for k, v in figure.get("layout", {}).items() if k not in ("updatemenus", "sliders")}
    layout |= {"width": CHART[0], "height": CHART[1]}
    return {"data": figure.get("data", []), "layout": layout, "config": figure.get("config", {})}


def _draw(words: dict, figure: dict | None, plotly: Path) -> bytes | None:
    chart = None
    if figure is not None:
        drawn = firstpaint._draw(figure, plotly, (CHART[0],))
        if drawn is None:
            return None
        chart = "data:image/svg+xml;base64," + base64.b64encode(drawn[0].encode("utf-8")).decode("ascii")
    try:
        png = firstpaint._worker.draw({"card": card_html(words, chart), "size": [WIDTH, HEIGHT]}, {})
    except RuntimeError as e:
        firstpaint.say(f"No share image for a page: Chromium could not draw it ({e}).")
        return None
    if png is None:
        return None
    data = base64.b64decode(png)
    if len(data) > MAX_BYTES:
        firstpaint.say(f"No share image for a page: it came out at {len(data):,} bytes, over {MAX_BYTES:,}.")
        return None
    return data


def card_html(words: dict, chart: str | None) -> str:
    """The card as a page of its own, WIDTH x HEIGHT: everything inline, nothing to fetch."""
    w = {k: escape(v) for k, v in words.items()}
    middle = (f'<img alt="" src="{chart}">' if chart else f'<p class="summary">{w["summary"]}</p>')
    foot = w["credit"] or w["site"]
    font = arabic.FONT if words.get("dir") == "rtl" else FONT
    return f"""<!doctype html><html lang="{w.get('lang', 'en')}" dir="{w.get('dir', 'ltr')}"><head><meta charset="utf-8"><style>
html, body {{ margin: 0; width: {WIDTH}px; height: {HEIGHT}px; overflow: hidden; background: #fff; }}
body {{ box-sizing: border-box; padding: 36px 48px 28px; display: flex; flex-direction: column;
  font-family: {font}; color: #1a1a1a; border-top: 12px solid #0072b2; }}
h1 {{ margin: 0; font-size: {44 if chart else 64}px; line-height: 1.15; display: -webkit-box;
  -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }}
.chart {{ flex: 1; min-height: 0; margin: 18px 0 12px; display: flex; }}
.chart img {{ width: 100%; height: 100%; object-fit: contain; object-position: {"right" if words.get("dir") == "rtl" else "left"} top; }}
.summary {{ font-size: 30px; line-height: 1.35; color: #4d4d4d; margin: 24px 0 0; display: -webkit-box;
  -webkit-line-clamp: 5; -webkit-box-orient: vertical; overflow: hidden; }}
footer {{ font-size: 20px; color: #4d4d4d; border-top: 1px solid #d9d9d9; padding-top: 12px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
</style></head><body><h1>{w["title"]}</h1><div class="chart">{middle}</div><footer>{foot}</footer></body></html>"""
