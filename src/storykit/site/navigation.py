"""The links between pages: the menu of stories in every page's header, Next and Previous at the foot
of a story, the list of profiles at the foot of a profile, and each page's canonical address.

They depend on the whole site (the order of reports.toml, every page's title, [site] url), which a
page does not know when it is made. So a page is made with empty places for them, marked by HTML
comments, and the build fills them in every page of the new version once all its pages are there
(`stamp_site`), as it makes the index, whose key covers all they are made from: a change to the
list of stories rewrites the menus of pages it does not make again, and a page made from its last
run, without a kernel, gets them like any other.
"""

import re
from pathlib import Path

from ..atomic import write_text
from . import edition, marks
from .checks import LOG_FILES
from .config import Config
from .edition import AR, EDITIONS, EN, Edition

ALWAYS = ("index.html",) + tuple(f for f in LOG_FILES if f.endswith(".html"))  # pages every edition has
PLACES = ("links", "menu", "foot", "other")  # the canonical address in <head>; the menu; the links at the foot;
# the link to the page in the other edition


def menu(config: Config, manifest: dict, ed: Edition = EN) -> list[dict]:
    """The menu's entries of the edition `ed` in the order of reports.toml, for its published pages only:
    a story is {"label", "href", "title", "pages": [its page]}; a fan-out is one entry for all its pages,
    leading to their list on the index ({"label", "href", "pages", "section": True}). Paths are the
    English ones: each edition's pages have the same, under its folder."""
    entries = []
    for r in config.reports:
        fan = r.get("fan_out")
        if fan:
            folder = fan.get("folder", r["name"])
            outs = [f"{folder}/{p}.html" for p in fan["pages"] if published(manifest, f"{folder}/{p}.html", ed)]
            if outs:
                entries.append({"label": config.label(r, ed is AR) or r["name"], "href": f"index.html#{folder}",
                                "pages": outs, "section": True})
        elif published(manifest, out := f"{r['name']}.html", ed):
            title = title_of(manifest[out], ed)
            entries.append({"label": config.label(r, ed is AR) or title, "href": out, "title": title, "pages": [out]})
    return entries


def published(manifest: dict, out: str, ed: Edition) -> bool:
    """Whether the page `out` (its English path) is published in the edition `ed`."""
    return out in manifest and (ed is EN or bool(manifest[out].get(AR.code)))


def title_of(entry: dict, ed: Edition) -> str:
    return entry[AR.code]["title"] if ed is AR else entry["title"]


def blocks(config: Config, manifest: dict, out: str, entries: list[dict] | None = None) -> dict[str, str]:
    """What goes in each place of the page `out` of either edition ("index.html" for the index,
    "ar/index.html" for the Arabic one), as HTML."""
    from .pages import environment

    ed, own = edition.of(out), edition.english(out)
    entries = menu(config, manifest, ed) if entries is None else entries
    macros = environment().get_template("navigation.html.j2").module
    root = "../" * out.count("/")
    home = root + ed.folder
    foot = ""
    mine = next((e for e in entries if own in e["pages"]), None)
    if mine and mine.get("section"):
        at = mine["pages"].index(own)
        pages = [{"href": p, "title": title_of(manifest[p], ed), "current": p == own} for p in mine["pages"]]
        foot = macros.profiles("../" * own.count("/"), mine["label"], pages, _near(pages, at), ed.t)
    elif mine:
        stories = [e for e in entries if not e.get("section")]
        foot = macros.pager("../" * own.count("/"), _near([{"href": e["href"], "title": e["title"]} for e in stories],
                                                          stories.index(mine)), ed.t)
    editions = [e for e in EDITIONS if own in ALWAYS or published(manifest, own, e)]
    alternates = [{"code": e.code, "href": _address(config, e.folder + own, root)} for e in editions] \
        if len(editions) > 1 else []
    other = next(({"href": root + e.folder + own, "code": e.code, "dir": e.dir, "label": ed.t["other_edition"]}
                  for e in editions if e is not ed), None)
    return {"links": str(macros.links(_address(config, out, "") if config.url else "", home, ed.t, alternates)),
            "menu": str(macros.menu(ed.t["site"], home, entries, own)), "foot": str(foot),
            "other": str(macros.other(other))}


def _address(config: Config, path: str, root: str) -> str:
    """The page at `path` (from the site's root): absolute under the site's address (an index as its
    folder), else relative."""
    return config.url + re.sub(r"(^|/)index\.html$", r"\1", path) if config.url else root + path


def _near(items: list[dict], at: int) -> dict:
    return {"previous": items[at - 1] if at > 0 else None, "next": items[at + 1] if at + 1 < len(items) else None}


def stamp(html: str, filled: dict[str, str]) -> str:
    """The page with each place filled (what it held before replaced). A page made before these places
    existed (the last good page of a report that fails) gets them where they belong."""
    for name, inner in filled.items():
        # The foot comes after the body, the others before it: a body quoting a marker never takes its place.
        if (done := marks.fill(html, name, inner, last=name == "foot")) is not None:
            html = done
            continue
        block = marks.block(name, inner)
        if name == "links":
            html = html.replace("</head>", f"{block}\n</head>", 1)
        elif name == "foot":
            k = html.rfind("</main>")
            html = html[:k] + block + "\n" + html[k:] if k >= 0 else html
        elif name == "other":
            html = html.replace("</header>", f"{block}\n</header>", 1)
        else:
            a = html.find('<nav aria-label="')
            a = html.find(">", a) + 1 if a >= 0 else -1
            b = html.find("</nav>", a)
            if a > 0 and b >= 0:
                html = html[:a] + block + html[b:]
    return html


def stamp_site(config: Config, manifest: dict, version: Path) -> list[str]:
    """Fill the places of every page of the version, in both editions; a page whose links are as they
    were is left as it is (the very file of the version before). Returns the pages rewritten."""
    entries, changed = {e.code: menu(config, manifest, e) for e in EDITIONS}, []
    for out in edition.pages(manifest):
        path = version / out
        if not path.is_file():
            continue
        html = path.read_text(encoding="utf-8")
        new = stamp(html, blocks(config, manifest, out, entries[edition.of(out).code]))
        if new != html:
            write_text(new, path)  # a new file: the version before keeps its own
            changed.append(out)
    return changed
