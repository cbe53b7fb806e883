"""The links between pages: the menu of stories in every page's header, Next and Previous at the foot
of a story, the list of profiles at the foot of a profile, and each page's canonical address.

They depend on the whole site (the order of reports.toml, every page's title, [site] url), which a
page does not know when it is made. So a page is made with empty places for them, marked by HTML
comments, and the build fills them in every page of the new version once all its pages are there
(`stamp_site`), as it makes the index, whose key covers all they are made from: a change to the
list of stories rewrites the menus of pages it does not make again, and a page made from its last
run, without a kernel, gets them like any other.
"""

from pathlib import Path

from ..atomic import write_text
from . import marks
from .config import Config

PLACES = ("links", "menu", "foot")  # the canonical address in <head>; the menu; the links at the foot


def menu(config: Config, manifest: dict) -> list[dict]:
    """The menu's entries in the order of reports.toml, for the published pages only: a story is
    {"label", "href", "title", "pages": [its page]}; a fan-out is one entry for all its pages,
    leading to their list on the index ({"label", "href", "pages", "section": True})."""
    entries = []
    for r in config.reports:
        fan = r.get("fan_out")
        if fan:
            folder = fan.get("folder", r["name"])
            outs = [f"{folder}/{p}.html" for p in fan["pages"] if f"{folder}/{p}.html" in manifest]
            if outs:
                entries.append({"label": r.get("title", r["name"]), "href": f"index.html#{folder}",
                                "pages": outs, "section": True})
        elif (out := f"{r['name']}.html") in manifest:
            title = manifest[out]["title"]
            entries.append({"label": r.get("title") or title, "href": out, "title": title, "pages": [out]})
    return entries


def blocks(config: Config, manifest: dict, out: str, entries: list[dict] | None = None) -> dict[str, str]:
    """What goes in each place of the page `out` ("index.html" for the index), as HTML."""
    from .pages import SITE_TITLE, environment

    entries = menu(config, manifest) if entries is None else entries
    macros = environment().get_template("navigation.html.j2").module
    root = "../" * out.count("/")
    address = config.url + ("" if out == "index.html" else out) if config.url else ""
    foot = ""
    mine = next((e for e in entries if out in e["pages"]), None)
    if mine and mine.get("section"):
        at = mine["pages"].index(out)
        pages = [{"href": p, "title": manifest[p]["title"], "current": p == out} for p in mine["pages"]]
        foot = macros.profiles(root, mine["label"], pages, _near(pages, at))
    elif mine:
        stories = [e for e in entries if not e.get("section")]
        foot = macros.pager(root, _near([{"href": e["href"], "title": e["title"]} for e in stories],
                                        stories.index(mine)))
    return {"links": str(macros.links(address, root)), "menu": str(macros.menu(SITE_TITLE, root, entries, out)),
            "foot": str(foot)}


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
        else:
            a = html.find('<nav aria-label="Site">')
            b = html.find("</nav>", a)
            if a >= 0 and b >= 0:
                a += len('<nav aria-label="Site">')
                html = html[:a] + block + html[b:]
    return html


def stamp_site(config: Config, manifest: dict, version: Path) -> list[str]:
    """Fill the places of every page of the version; a page whose links are as they were is left as it
    is (the very file of the version before). Returns the pages rewritten."""
    entries, changed = menu(config, manifest), []
    for out in manifest:
        path = version / out
        if not path.is_file():
            continue
        html = path.read_text(encoding="utf-8")
        new = stamp(html, blocks(config, manifest, out, entries))
        if new != html:
            write_text(new, path)  # a new file: the version before keeps its own
            changed.append(out)
    return changed
