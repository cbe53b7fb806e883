"""Charts that travel: every chart of a page gets, in the version being made,

- an embed page, assets/embed/<page>--<chart>.html: the chart alone, with its title, subtitle, source
  line, licence and a link back to its story (in the top window), drawn by the site's own plotly.js,
  map shapes and charts.js (nothing from another host). It tells the page that frames it its height
  (window.parent.postMessage), so the snippet's few lines of script fit the frame to it;
- its data as a file, assets/data/<page>--<chart>.csv (UTF-8 with a byte-order mark, as the page's
  download), and beside it <...>.metadata.json: title, subtitle, sources, publishers, licences,
  attribution, the page's address and the date the data runs to, as Our World in Data ships its CSVs;
- beside it on the story page: a link to the embed page, an "Embed" <details> with the <iframe> code
  (a textarea anyone can select, and a Copy button once charts.js runs), and the metadata's link
  beside the CSV download.

The files live under assets/ (a site version holds pages and assets, nothing else), named flat, one
folder deep, as every asset a page names is. Addresses are absolute when reports.toml's [site] sets
`url`, else relative. The build calls `publish` with each page it makes (storykit.site.make).
"""

import base64
import csv
import io
import json
import re
from html import escape, unescape
from pathlib import Path

from .. import catalogue
from ..atomic import atomic_path, write_text
from .checks import check_published
from .edition import edition_of

EMBED, DATA = "embed", "data"  # assets/embed/, assets/data/
HEIGHT_MESSAGE = "storykit-embed-height"  # the key of the message an embed page posts to its parent
CHROME = 230  # what an embed page adds to its plot's height (title, subtitle, source, licence): the default frame
# The snippet's script: it sets the height of the frame that sent the message, and nothing else.
LISTENER = ('<script>window.addEventListener("message",function(e){var h=e.data&&e.data["' + HEIGHT_MESSAGE +
            '"];if(typeof h!=="number")return;document.querySelectorAll("iframe[data-storykit-embed]")'
            '.forEach(function(f){if(f.contentWindow===e.source)f.style.height=Math.ceil(h)+"px";});});</script>')
FIGURE = re.compile(r'<figure\b[^>]*\bclass="sk-chart"[^>]*>.*?</figure>', re.S)


def page_slug(out: str) -> str:
    """The page's place in file names: "profiles/northland.html" -> "profiles-northland"."""
    return re.sub(r"[^\w-]+", "-", out.removesuffix(".html")).strip("-")


def chart_name(out: str, dom_id: str) -> str:
    """The name of a chart's files: its page's and its id on that page (the same from one build to the next)."""
    return f"{page_slug(out)}--{dom_id.removeprefix('sk-')}"


def address(path: str, url: str, relative: str) -> str:
    """`path` (from the site's root) as a link: absolute under `url` (reports.toml's, ending in "/"), else from
    where `relative` leads."""
    return f"{url}{path}" if url else f"{relative}{path}"


def publish(version: Path, out: str, root: str, page, html: str, *, url: str = "", share: dict | None = None) -> str:
    """Write the embed page, CSV and metadata of every chart of `page` (rendered as `html`, to be
    published as `out`) into `version`; return the page with the links beside its charts."""
    for n, plot in enumerate(page.plots):
        found = next((m for m in FIGURE.finditer(html) if f'id="{plot["id"]}"' in m.group()), None)
        if found is None:
            continue
        figure = found.group()
        name, said, t = chart_name(out, plot["id"]), about(figure), edition_of(page.edition).t
        _write_files(version, out, page, plot, figure, said, name, url)
        added = _with_links(figure, said, root, name, url, plot["id"], t)
        if n == 0 and share:  # the index, whose lead graphic this chart may be, takes its share image from it
            added = added.replace("<figure ", f'<figure data-share="{escape(share["url"])}" '
                                              f'data-share-alt="{escape(share["alt"])}" ', 1)
        html = html[:found.start()] + added + html[found.end():]
    return html


def chart_json(html: str, dom_id: str | None = None) -> dict:
    """The JSON a chart carries on its page (its figure, and storykit's words about it under "storykit"):
    the chart `dom_id`'s, or the first in `html`; {} if there is none."""
    key = re.escape(dom_id) if dom_id else r'[^"]*'
    found = re.search(rf'<script type="application/json" id="{key}-json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else {}


def about(html: str, dom_id: str | None = None) -> dict:
    """What the chart's JSON says about it (storykit.charts: title, subtitle, credit, name)."""
    return chart_json(html, dom_id).get("storykit", {})


def csv_bytes(figure: str) -> bytes | None:
    """The chart's data exactly as its download link gives it (a byte-order mark first)."""
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', figure)
    return base64.b64decode(href.group(1)) if href else None


def _write_files(version: Path, out: str, page, plot: dict, figure: str, said: dict, name: str, url: str) -> None:
    folder = version / "assets"
    story = address(out, url, "../../")
    data = csv_bytes(figure)
    if data is not None:
        with atomic_path(folder / DATA / f"{name}.csv") as tmp:
            tmp.write_bytes(data)
    meta = metadata(said, page, plot.get("sources", []), story=address(out, url, ""),
                    embed=address(f"assets/{EMBED}/{name}.html", url, ""),
                    csv_name=f"{name}.csv" if data is not None else None, data=data)
    write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", folder / DATA / f"{name}.metadata.json")
    html = embed_page(figure, said, page, story=story, csv_name=meta["data"]["file"])
    check_published(html, f"the embed page of a chart of {out}")  # as the page itself: nothing from another host
    write_text(html, folder / EMBED / f"{name}.html")


def metadata(said: dict, page, ids: list[str], *, story: str, embed: str, csv_name: str | None, data) -> dict:
    """The chart's metadata file: what it shows, from which sources, under which licences."""
    sources = [catalogue.get(s) for s in dict.fromkeys(ids)]
    rows = len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) - 1 if data else 0
    return {
        "title": said.get("title", ""),
        "subtitle": said.get("subtitle", ""),
        "citation": said.get("credit", ""),
        "page": {"title": page.title, "url": story},
        "embed": embed,
        "data_as_of": page.as_of,
        "data": {"file": csv_name, "rows": rows, "encoding": "UTF-8, with a byte-order mark"},
        "sources": [{"name": s.name or s.title, "title": s.title, "publisher": s.publisher, "url": s.page,
                     "licence": s.licence, "attribution": s.attribution} for s in sources],
        "publishers": list(dict.fromkeys(s.publisher for s in sources)),
        "licences": list(dict.fromkeys(s.licence for s in sources)),
        "attribution": " ".join(dict.fromkeys(s.attribution for s in sources)),
        "site": edition_of(page.edition).t["site"],
    }


def _licence(credit: str, t: dict) -> str:
    return next((part for part in credit.split(" \u00b7 ") if part.startswith(t["licence"] + ":")), "")


def embed_page(figure: str, said: dict, page, *, story: str, csv_name: str | None = None) -> str:
    """The chart alone: the figure without its table, downloads and page links, its title the page's h1,
    its pictures and assets reached from assets/embed/, and a credit line with the link back."""
    from . import assets, pages

    body = re.sub(r'<details class="sk-table\b.*?</details>\s*', "", figure, flags=re.S)
    body = re.sub(r'<p class="sk-download\b.*?</p>\s*', "", body, flags=re.S)
    body = re.sub(r"<h[23]( class=\"sk-chart-title\"[^>]*>)(.*?)</h[23]>", r"<h1\1\2</h1>", body, count=1, flags=re.S)
    body = re.sub(r'(src|srcset)="[^"]*?assets/pictures/', r'\1="../pictures/', body)
    body = body.replace(' loading="lazy"', ' fetchpriority="high"')
    ed = edition_of(page.edition)
    t = ed.t
    licence = _licence(said.get("credit", ""), t)
    link = t["from"].format(link=f'<a href="{escape(story)}" target="_top">{escape(page.title)}</a>',
                            site=escape(t["site"]))
    data = f' \u00b7 <a href="../{DATA}/{escape(csv_name)}" download>{t["data_csv"]}</a>' if csv_name else ""
    credit = (f'<p class="sk-embed-credit sk-generated">{escape(licence)}{". " if licence else ""}{link}'
              f'{data}</p>\n')
    body = body.replace("</figcaption>", credit + "</figcaption>", 1)
    figure_json = chart_json(figure)
    keys = list(dict.fromkeys(t["geojson"] for t in figure_json.get("data", []) if isinstance(t.get("geojson"), str)))
    return pages.environment().get_template("embed.html.j2").render(
        title=unescape(said.get("title", page.title)), **pages.words(ed, "../../"), figure=body, geometries=keys,
        plotly=assets.page_plotly(assets.trace_types(figure_json)))


def snippet(src: str, title: str, height: int) -> str:
    """The code a reader pastes: a frame that works alone at a default height, and the script that fits it."""
    frame = (f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" height="{height}" '
             f'style="border:0;width:100%;max-width:100%" loading="lazy" data-storykit-embed></iframe>')
    return f"{frame}\n{LISTENER}"


def _with_links(figure: str, said: dict, root: str, name: str, url: str, dom_id: str, t: dict) -> str:
    height = int(m.group(1)) if (m := re.search(r'class="sk-plot"[^>]*style="height:(\d+)px"', figure)) else 420
    embed_href = f"{root}assets/{EMBED}/{name}.html"
    code = snippet(address(f"assets/{EMBED}/{name}.html", url, root), said.get("title", ""), height + CHROME)
    meta = (f' <span class="sk-meta">\u00b7 <a href="{root}assets/{DATA}/{name}.metadata.json" '
            f'type="application/json">{t["meta"]}</a></span>')
    share = (f'<div class="sk-share sk-generated">\n<a class="sk-alone" href="{embed_href}">{t["alone"]}</a>\n'
             f'<details class="sk-embed"><summary>{t["embed"]}</summary>\n'
             f'<label for="{dom_id}-embed">{t["embed_label"]}</label>\n'
             f'<textarea id="{dom_id}-embed" class="sk-embed-code" readonly rows="5" spellcheck="false" dir="ltr">'
             f"{escape(code)}</textarea>\n"
             f'<p><button type="button" class="sk-copy" data-copy="{dom_id}-embed" data-copied="{t["copied"]}" '
             f'data-selected="{t["selected"]}" hidden>{t["copy"]}</button> '
             '<span class="sk-copied" aria-live="polite"></span></p>\n</details>\n</div>\n')
    # The page's download is the file beside its metadata (the notebook's, which has no site, is inline).
    figure = re.sub(r'href="data:text/csv;[^"]*"', f'href="{root}assets/{DATA}/{name}.csv"', figure, count=1)
    download = re.search(r'(<p class="sk-download\b[^>]*>.*?)(</p>\s*)', figure, re.S)
    if download is None:
        return figure.replace("</figcaption>", share + "</figcaption>", 1)
    return figure[:download.start()] + download.group(1) + meta + download.group(2) + share + figure[download.end():]
