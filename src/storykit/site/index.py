"""The index page, and the notice a page carries while its last update failed."""

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

from .. import catalogue
from ..atomic import write_text
from ..paths import processed_dir
from . import govmap, marks, navigation
from .config import Config
from .edition import AR, EN, Edition


def index_key(config: Config, manifest: dict, stale: list, code: str) -> str:
    """What the index is made from: if it is unchanged, so is the index."""
    order = config.outputs()
    what = {"code": code, "catalogue": catalogue.PATH.read_text(encoding="utf-8"),
            "intro": config.intro, "reports": config.reports, "url": config.url,
            "map": govmap.layer_digest(processed_dir()),
            "pages": [[out, manifest[out]] for out in order if out in manifest],
            "stale": [[c.source, str(c.covers_to)] for c in stale]}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


def index_html(config: Config, manifest: dict, version: Path, built, stale: list, ed: Edition = EN) -> str:
    """The index of the edition `ed` lists its pages of the version, in the order of reports.toml, each
    with its notice."""
    from ..facts import format_date, in_arabic, is_noted
    from . import pages, sharecard
    from .checks import check_published

    stories, groups, folders, headlines, used = [], {}, {}, [], set()
    order = {out: i for i, out in enumerate(config.outputs())}
    entries = sorted(((out, e) for out, e in manifest.items() if out in order and navigation.published(manifest, out, ed)
                      and (version / ed.folder / out).is_file()), key=lambda oe: order[oe[0]])
    titles = {r.get("title", r["name"]): config.label(r, ed is AR) or r["name"] for r in config.reports}
    for out, e in entries:
        words = e[AR.code] if ed is AR else e
        page = pages.Page(title=words["title"], summary_html=words["summary_html"], as_of=words["as_of"], body="",
                          sources=e["sources"], facts=words["facts"], charts=words["charts"])
        item = {"href": out, "page": page, "notice": notice(e, ed) if e.get("failed") else None}
        used.update(e["sources"])
        if e["group"]:
            groups.setdefault(titles.get(e["group"], e["group"]), []).append(item)
            folders.setdefault(titles.get(e["group"], e["group"]), out.split("/")[0])  # the menu links here
            continue
        stories.append(item)
        headlines += [h | {"href": out, "report": page.title} for h in page.headlines if not is_noted(h)]
    old = [{"title": catalogue.get(c.source).title, "publisher": catalogue.get(c.source).publisher,
            "covers_to": (in_arabic if ed is AR else str)(format_date(c.covers_to))} for c in stale if c.source in used]
    lead = lead_chart(version / ed.folder / f"{config.lead}.html") if config.lead else None
    if lead:
        lead |= {"href": f"{config.lead}.html", "share": sharecard.in_figure(lead["html"]),  # the index's share image
                 "title": next(s["page"].title for s in stories if s["href"] == f"{config.lead}.html")}
    places = govmap.fan_map(config, manifest, processed_dir(), arabic=ed is AR)
    html = pages.render_index(intro=config.intro_ar if ed is AR else config.intro, stories=stories, built=built,
                              headlines=headlines, stale=old, lead=lead, edition=ed,
                              groups=[{"title": t, "pages": ps, "id": folders[t],
                                       "map": places if places and places["folder"] == folders[t] else None}
                                      for t, ps in groups.items()])
    check_published(html, f"reports/{ed.folder}index.html", local=(str(version.parents[1]),))
    # After the check: a canonical <link> names the site's own address, which no browser fetches.
    return navigation.stamp(html, navigation.blocks(config, manifest, f"{ed.folder}index.html"))


def lead_chart(page: Path) -> dict | None:
    """The first chart of a published story page, with the scripts that draw it, for the index."""
    if not page.is_file():
        return None
    html = page.read_text(encoding="utf-8")
    figure = re.search(r'<figure\b[^>]*\bclass="sk-chart"[^>]*>.*?</figure>', html, re.S)
    if figure is None:
        return None
    figure = figure.group(0)
    return {"html": figure, "plotly": re.search(r'src="(?:\.\./)*assets/(plotly[^"]*\.js)"', html).group(1),
            "geometries": [g for g in re.findall(r'src="(?:\.\./)*assets/(geo-[^"]+)\.js"', html) if g in figure]}


def notice(entry: dict, ed: Edition = EN) -> dict:
    from .history import utc_text

    as_of = entry[AR.code]["as_of"] if ed is AR else entry["as_of"]
    return {"as_of": as_of, "failed": utc_text(datetime.fromisoformat(entry["failed"]), ed.code),
            "built": utc_text(datetime.fromisoformat(entry["built"]), ed.code)}


def with_notice(html: str, notice_html: str) -> str:
    """The page with `notice_html` in its place at the top of <main> (replacing any notice before)."""
    if (done := marks.fill(html, "notice", notice_html)) is not None:
        return done
    return html.replace('<main id="main">', f'<main id="main">\n{marks.block("notice", notice_html)}', 1)  # a page from before notices


def mark_failed(failures: dict, manifest: dict, version: Path, built) -> list[str]:
    """A failed page that is online keeps its last good version, with a notice saying so, in both editions."""
    from . import pages

    marked = []
    for out in failures:
        if out not in manifest or not (version / out).is_file():
            continue  # never published (a new page, or a parameter value that does not exist)
        entry = manifest[out] = manifest[out] | {"failed": built.isoformat(timespec="seconds")}
        for ed in (EN, AR) if entry.get(AR.code) else (EN,):
            if (path := version / ed.folder / out).is_file():
                html = pages.environment().get_template("notice.html.j2").render(**notice(entry, ed), ed=ed, t=ed.t)
                write_text(with_notice(path.read_text(encoding="utf-8"), html), path)
        marked.append(out)
    return marked
