"""What changed, and when: the site's own log of changed figures and corrections.

Each build compares every page's figures with those of the version it replaces, a figure being
matched by what it counts and its source (not by where it stands on the page), and logs a dated
entry for a page whose figures changed: each figure, old and new, and what changed under it (a
source's new release, a setting, the notebook, storykit's code). Editors' corrections come from
corrections.toml at the project's root (storykit.site.corrections). A rollback is an entry too.

The log is a file of the version, changes.json, beside changes.html (every entry) and feed.xml (an
Atom feed of them): it is published, or not, with the version, in the same rename, so a failed,
killed or concurrent build can neither lose nor double an entry. A private build (a trial, a
preview) never adds one. Each page shows its entries in its "What changed" part and its dates
("Published", the first time it went online; "Updated", the last time its figures changed), both
filled in every page of the version, in places the page template marks with HTML comments.

Standard library only at import: a build with nothing to make imports it.
"""

import hashlib
import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

from ..atomic import write_text
from ..errors import StorykitError
from . import corrections as editors, marks
from .checks import LOG_FILES as FILES
from .figures import figures
from . import edition
from .edition import AR, EDITIONS, EN, Edition
from .history import utc_text

LOG, PAGE, FEED = FILES[:3]
SHOWN = 6  # figures of an entry shown before the rest fold away
KINDS = ("change", "rollback", "correction")


# --- the log ------------------------------------------------------------------------------------


def read(version: Path | None) -> dict:
    """The log a version holds ({"published": {page: when}, "entries": [...]}), empty if none."""
    try:
        data = json.loads((version / LOG).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            return {"published": dict(data.get("published") or {}), "entries": data["entries"]}
    except (TypeError, OSError, ValueError):
        pass
    return {"published": {}, "entries": []}


def diff(old: dict | None, new: dict | None) -> list[dict]:
    """The figures that differ between two manifest entries of a page, headlines first: each with its
    old and new text (None for a figure that came or went)."""
    before, after = figures(old), figures(new)
    out = []
    for key in list(after) + [k for k in before if k not in after]:
        was, now = before.get(key), after.get(key)
        if was and now and was["text"] == now["text"]:
            continue
        f = now or was
        out.append({"what": f["what"], "source": f["source"], "headline": f["headline"],
                    "old": was and was["text"], "new": now and now["text"]})
    return sorted(out, key=lambda f: (not f["headline"], f["old"] is None or f["new"] is None))


def causes(old: dict, new: dict, defaults: dict) -> list[str]:
    """What changed under a page's figures between two of its manifest entries, in words."""
    from .. import catalogue

    said = []
    was, now = old.get("parameters") or {}, new.get("parameters") or {}
    for name in sorted(set(was) | set(now)):
        a, b = was.get(name, defaults.get(name)), now.get(name, defaults.get(name))
        if a != b:
            said.append(f"the page's setting {name} went from {a} to {b}")
    a, b = (old.get("freeze") or {}).get("inputs", {}), (new.get("freeze") or {}).get("inputs", {})
    released = [k.split(":", 1)[1] for k in b if k.startswith("catalogue:") and k in a and a[k] != b[k]]
    for sid in released:
        try:
            source = catalogue.get(sid)
            said.append(f"a new release of {source.title}, from {source.publisher}")
        except StorykitError:  # a source gone from the catalogue since
            said.append(f"a new release of the source {sid}")
    tables = sorted({Path(k.split(":", 1)[1]).stem for k in b if k.startswith(("file:", "resource:"))
                     and k in a and a[k] != b[k]})
    if tables and not released:
        said.append(f"the processed data it reads ({', '.join(tables)})")
    made_a, made_b = old.get("made_from") or {}, new.get("made_from") or {}
    if made_a.get("notebook") and made_a.get("notebook") != made_b.get("notebook"):
        said.append(f"its notebook, {made_b.get('path', 'changed')}")
    if made_a.get("code") and made_a.get("code") != made_b.get("code"):
        said.append("storykit's code, which makes the pages")
    return said


def _entry(kind: str, page: str, title: str, when: datetime, **fields) -> dict:
    stamp = when.astimezone(timezone.utc).isoformat(timespec="seconds")
    name = f"{kind}|{page}|{stamp}|{fields.get('key', '')}"
    return {"id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'storykit:' + name)}", "kind": kind, "page": page,
            "title": title, "date": fields.pop("date", stamp), "logged": stamp} | fields


def update(log: dict, old: dict, new: dict, when: datetime, found: list[dict], defaults: dict) -> dict:
    """The log with the entries of a build: `old` and `new` are the manifests of the version replaced
    and of the new one; `found` the corrections of corrections.toml; `defaults` {page: its notebook's
    parameters}. Pure: the caller writes it."""
    log = {"published": dict(log["published"]), "entries": list(log["entries"])}
    for out, entry in new.items():
        if out not in log["published"]:  # a page online before the log began: its oldest date known
            log["published"][out] = (old.get(out) or {}).get("built") or when.isoformat(timespec="seconds")
        if out in old and (changed := diff(old[out], entry)):
            log["entries"].append(_entry("change", out, entry.get("title", out), when, figures=changed,
                                         causes=causes(old[out], entry, defaults.get(out, {}))))
    known = {e.get("key"): e for e in log["entries"] if e.get("kind") == "correction"}
    for c in found:
        if c["key"] in known:  # published already: its text may be put right, its figure stays as it was
            if known[c["key"]]["text"] != c["text"]:
                log["entries"] = [e | {"text": c["text"]} if e is known[c["key"]] else e for e in log["entries"]]
            continue
        figure = editors.figure_of(c, new)
        log["entries"].append(_entry("correction", c["page"], new[c["page"]].get("title", c["page"]), when,
                                     date=f"{c['date'].isoformat()}T00:00:00+00:00", key=c["key"], text=c["text"],
                                     figure=figure))
    return log


def rolled_back(log: dict, now: dict, back: dict, when: datetime, back_built: datetime) -> dict:
    """The log once the version with manifest `back` replaces the one with `now`: an entry for each
    page whose figures it changes back."""
    log = {"published": dict(log["published"]), "entries": list(log["entries"])}
    for out, entry in back.items():
        if out in now and (changed := diff(now[out], entry)):
            log["entries"].append(_entry("rollback", out, entry.get("title", out), when, figures=changed,
                                         causes=[f"the site went back to its version of {utc_text(back_built)}"]))
    return log


# --- what a page shows --------------------------------------------------------------------------


def day_text(when: str) -> str:
    when = datetime.fromisoformat(when)
    return f"{when.day} {when:%B %Y}"


def shown_on(log: dict, manifest: dict, out: str) -> list[dict]:
    """The entries the page `out` shows, newest first: its own changes and rollbacks, and every
    correction of a figure it shows as it was corrected (until that figure changes again)."""
    mine = figures(manifest.get(out))
    shown = []
    for e in log["entries"]:
        if e.get("kind") == "correction":
            f = e.get("figure")
            if (f is None and e["page"] == out) or (f and (m := mine.get(f["key"])) and m["text"] == f["text"]):
                shown.append(e)
        elif e.get("page") == out:
            shown.append(e)
    return sorted(shown, key=lambda e: e["date"], reverse=True)


def _view(e: dict, root: str, ed: Edition = EN, manifest: dict | None = None) -> dict:
    kind = e.get("kind")
    when = arabic_day(e["date"]) if kind == "correction" and ed is AR else \
        day_text(e["date"]) if kind == "correction" else utc_text(e["date"], ed.code)
    view = e | {"label": ed.t["kinds"].get(kind, kind), "when": when, "href": f"{root}{e['page']}",
                "anchor": html_id(e), "figures": e.get("figures", []), "causes": e.get("causes", [])}
    return in_arabic(view, manifest or {}) if ed is AR else view


def arabic_day(when: str) -> str:
    from .. import arabic

    return arabic.day_text(datetime.fromisoformat(when))


def dates(log: dict, out: str, ed: Edition = EN) -> dict:
    published = log["published"].get(out)
    updated = max((e["date"] for e in log["entries"] if e.get("page") == out and e.get("kind") != "correction"),
                  default=None)
    return {"published": published and utc_text(published, ed.code), "published_iso": published,
            "updated": updated and utc_text(updated, ed.code), "updated_iso": updated}


def page_parts(log: dict, manifest: dict, out: str) -> dict[str, str]:
    """The HTML of the page's dates and of its "What changed" part, in the language of its edition."""
    from .pages import environment

    ed, own = edition.of(out), edition.english(out)
    root = "../" * own.count("/")
    parts = environment().get_template("change.html.j2").module
    entries = [_view(e, root, ed, manifest) for e in shown_on(log, manifest, own)]
    when = dates(log, own, ed)
    return {"dates": str(parts.dates(when, ed.t)).strip() if when["published"] else None,
            "changes": str(parts.section(entries, root, when, SHOWN, ed.t)).strip()}


def splice(html: str, parts: dict[str, str | None]) -> str:
    """The page with each part in its marked place (what was there before replaced)."""
    for name, inner in parts.items():
        if inner is not None:
            html = marks.fill(html, name, inner) or html
    return html


# --- writing it in a version ---------------------------------------------------------------------


def write(version: Path, log: dict, manifest: dict, config, built: datetime) -> list[str]:
    """Fill every page of the version with its dates and entries, and write the log, the page of every
    change and the feed there too (each only if it differs). Returns the files of the log, for the
    version's check."""
    for out in edition.pages(manifest):
        path = version / out
        if path.is_file():
            html = path.read_text(encoding="utf-8")
            new = splice(html, page_parts(log, manifest, out))
            if new != html:
                write_text(new, path)  # a new file: the version before keeps its own
    _put(version / LOG, json.dumps(log, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    for ed in EDITIONS:  # the log is one; each edition has its page of every change and its feed
        _put(version / ed.folder / PAGE, changes_page(log, manifest, config, built, ed))
        _put(version / ed.folder / FEED, feed(log, manifest, config, ed))
    return list(FILES)


def _put(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_text(text, path)


def _newest(log: dict) -> list[dict]:
    return sorted(log["entries"], key=lambda e: (e["date"], e.get("logged", "")), reverse=True)


def changes_page(log: dict, manifest: dict, config, built: datetime, ed: Edition = EN) -> str:
    from . import navigation
    from .checks import check_published
    from .pages import environment, words

    entries = [_view(e, "", ed, manifest) | {"online": navigation.published(manifest, e["page"], ed)}
               for e in _newest(log)]
    # dated by the log, not the build: a build that changes nothing leaves this page as it was
    changed = datetime.fromisoformat(_updated(log)) if log["entries"] or log["published"] else built
    html = environment().get_template("changes.html.j2").render(
        **words(ed, "../" * ed.folder.count("/")), entries=entries, shown=SHOWN, built=utc_text(changed, ed.code),
        charts=0)
    check_published(html, f"reports/{ed.folder}{PAGE}")
    return navigation.stamp(html, navigation.blocks(config, manifest, ed.folder + PAGE))


def feed(log: dict, manifest: dict, config, ed: Edition = EN) -> str:
    """An Atom feed (RFC 4287) of every entry, newest first, each linking to its page's "What changed"."""
    from .pages import SITE_TITLE, environment, words

    base = config.url + ed.folder if config.url else ""
    entries = [_view(e, base, ed, manifest) | {"updated": e["date"]} for e in _newest(log)]
    # The English feed's id is the site's (as it always was); the Arabic one has its own.
    site_id = config.url + ed.folder if config.url else \
        f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'storykit:' + SITE_TITLE + (':' + ed.code if ed.folder else ''))}"
    return environment().get_template("feed.xml.j2").render(
        **words(ed, ""), site_id=site_id, base=base, updated=_updated(log), entries=entries, shown=SHOWN)


# What changed under a page's figures (`causes`), as the Arabic edition says it.
CAUSES_AR = (
    (r"the page's setting (\S+) went from (.*) to (.*)", "تغيّر إعداد الصفحة {0} من {1} إلى {2}"),
    (r"a new release of (.*), from (.*)", "إصدار جديد من <span lang=\"en\">{0}</span> عن <span lang=\"en\">{1}</span>"),
    (r"a new release of the source (.*)", "إصدار جديد من المصدر {0}"),
    (r"the processed data it reads \((.*)\)", "البيانات المعالَجة التي تقرؤها ({0})"),
    (r"its notebook, (.*)", "دفتر الملاحظات <span dir=\"ltr\">{0}</span>"),
    (r"storykit's code, which makes the pages", "شيفرة storykit التي تصنع الصفحات"),
    (r"the site went back to its version of (.*)", "عاد الموقع إلى نسخته الصادرة في {0}"),
)


def in_arabic(view: dict, manifest: dict) -> dict:
    """An entry of the log as the Arabic edition shows it: the page's Arabic title, each figure named by
    its Arabic sentence, the causes in Arabic; what has no Arabic stays English, marked so."""
    from html import escape

    from markupsafe import Markup

    arabic = (manifest.get(view["page"]) or {}).get(AR.code) or {}
    said = {(f["what"], tuple(f["source"])): f.get("what_ar") for f in arabic.get("facts", [])}
    figures = [f | ({"what": w} if (w := said.get((f["what"], tuple(f["source"])))) else {"lang": "en"})
               for f in view["figures"]]
    causes = []
    for cause in view["causes"]:
        for pattern, ar in CAUSES_AR:
            if m := re.fullmatch(pattern, cause):
                causes.append(Markup(ar.format(*map(escape, m.groups()))))
                break
        else:
            causes.append(Markup(f'<span lang="en">{escape(cause)}</span>'))
    return view | {"title": arabic.get("title", view["title"]), "figures": figures, "causes": causes,
                   "text": view.get("text_ar") or view.get("text"), "text_lang": None if view.get("text_ar") else "en"}


def _updated(log: dict) -> str:
    """When the log last changed: its newest entry, else the first page's publication."""
    return max((e["logged"] for e in log["entries"]), default=None) or \
        min(log["published"].values(), default="2000-01-01T00:00:00+00:00")


# --- the build's and the rollback's part ----------------------------------------------------------


def sources_key(root: Path) -> str:
    """What the log takes from the repository (corrections.toml): a change to it publishes the site again."""
    try:
        return hashlib.sha256((root / editors.CORRECTIONS).read_bytes()).hexdigest()
    except FileNotFoundError:
        return "none"


def publish(run) -> list[str]:
    """The log of the build `run` in its new version (storykit.site.build calls it once every page is
    there): new entries, then every page's dates and entries. A private build only shows the published
    log. Returns the log's files in the version."""
    from .parameters import defaults
    from .publish import Site
    from .freeze import notebook_cells

    if run.private:  # a trial or a preview shows the log as published, and adds nothing to it
        return write(run.version, read(Site(run.root).current()), run.manifest, run.config, run.built)
    found = editors.load(run.root, run.config.outputs())
    built, nbs = run.built.isoformat(timespec="seconds"), {}
    for job in run.jobs:  # pages made by this build: what they were made from
        entry = run.manifest.get(job.output)
        if entry is not None and entry.get("built") == built:
            nb = nbs.setdefault(job.notebook, json.loads(run.texts[job.notebook]))
            cells = hashlib.sha256(json.dumps(notebook_cells(nb), sort_keys=True).encode()).hexdigest()
            entry["made_from"] = {"notebook": cells, "code": run.code, "path": f"notebooks/{job.notebook}"}
    editors.check_figures(found, run.manifest, read(run.site.current())["entries"])
    old = run.site.manifest(legacy=run.work / "site.json")
    params = {j.output: defaults(nbs.get(j.notebook) or _parsed(run.texts[j.notebook])) for j in run.jobs}
    log = update(read(run.site.current()), old, run.manifest, run.built, found, params)
    return write(run.version, log, run.manifest, run.config, run.built)


def _parsed(text: str) -> dict:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def roll_back(root: Path, config, now: Path, back: Path) -> int:
    """Before `storykit rollback` publishes the version `back` again in place of `now`: its log becomes
    the one online with an entry for each page it changes back. Returns the entries added."""
    from .publish import version_time

    def manifest(version: Path) -> dict:
        try:
            return json.loads((version.parent / f"{version.name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    was, mine = read(now), read(back)
    log = rolled_back(was, manifest(now), manifest(back), datetime.now(timezone.utc), version_time(back))
    for out, when in mine["published"].items():
        log["published"].setdefault(out, when)
    if log == mine:
        return 0  # the version rolled back to says all there is: it stays exactly as it was
    write(back, log, manifest(back), config, version_time(back))
    return len(log["entries"]) - len(was["entries"])


def tell(run, log=print) -> None:
    """Alert the webhook of the headline figures this build changed (storykit.alerts)."""
    from .. import alerts

    if run.private:
        return
    built = run.built.isoformat(timespec="seconds")
    new = [e for e in read(run.version)["entries"] if e.get("logged") == built]
    if text := alerts.changed_headlines(new):
        alerts.send(text, log)


def latest(root: Path, count: int = 5) -> list[dict]:
    """The newest entries of the log online, for `storykit status`."""
    from .publish import Site

    return _newest(read(Site(root).current()))[:count]


def html_id(entry: dict) -> str:
    return "change-" + re.sub(r"[^0-9a-f]", "", entry["id"].rsplit(":", 1)[-1])[:12]
