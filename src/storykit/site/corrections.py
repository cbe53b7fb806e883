"""Editors' corrections, in corrections.toml at the project's root, checked before a build makes anything.

    [[corrections]]
    page = "truce.html"                       # the page corrected, as reports/ names it
    date = 2026-12-01                         # when it was corrected (a TOML date, no quotes)
    figure = "deaths in Aleppo, before"       # optional: what the corrected figure counts, as the page says
    text = "An earlier version of this page counted the deaths of a later month."

A correction of a figure shows on every page that shows that figure as corrected, until it changes
again; one without a figure shows on its page. Once published, a correction stays in the site's log
(storykit.site.changes): its text may be put right, but the record of it is never taken back.
"""

import json
import tomllib
from datetime import date, datetime
from pathlib import Path

from ..errors import StorykitError
from .figures import figures

CORRECTIONS = "corrections.toml"
FIELDS = {"page": "the page corrected, e.g. page = \"truce.html\"",
          "date": "when it was corrected, a date without quotes, e.g. date = 2026-12-01",
          "text": "what was wrong and what was put right, in quotes",
          "figure": "what the corrected figure counts, as the page's table of figures says it (optional)"}


def load(root: Path, pages: list[str]) -> list[dict]:
    """The corrections of `root`/corrections.toml, checked ([] without the file); `pages` are those the
    site publishes. Raises StorykitError naming the file, the correction and the field."""
    path = root / CORRECTIONS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise StorykitError(f"{CORRECTIONS} cannot be read: {e}. Nothing was built; fix the file and build again.") \
            from None
    if set(data) - {"corrections"} or not isinstance(data.get("corrections", []), list):
        raise StorykitError(f"{CORRECTIONS}: write each correction as a [[corrections]] table (found "
                            f"{', '.join(sorted(set(data) - {'corrections'})) or 'corrections of another kind'}).")
    found, keys = [], set()
    for n, c in enumerate(data.get("corrections", []), start=1):
        at = f"{CORRECTIONS}, correction {n}" + (f" (page {c['page']!r})" if isinstance(c.get("page"), str) else "")
        if unknown := sorted(set(c) - set(FIELDS)):
            raise StorykitError(f"{at}: unknown field(s) {', '.join(unknown)}; a correction has "
                                f"{', '.join(FIELDS)}.")
        for name in ("page", "date", "text"):
            if name not in c:
                raise StorykitError(f"{at}: the field `{name}` is missing: {FIELDS[name]}.")
        for name in ("page", "text", "figure"):
            if name in c and not (isinstance(c[name], str) and c[name].strip()):
                raise StorykitError(f"{at}: `{name}` must be text in quotes: {FIELDS[name]}.")
        if c["page"] not in pages:
            raise StorykitError(f"{at}: `page` = {c['page']!r} is no page of the site; it may be one of "
                                f"{', '.join(pages)}.")
        day = c["date"]
        if isinstance(day, datetime) or not isinstance(day, date):
            raise StorykitError(f"{at}: `date` = {day!r} is not a date: {FIELDS['date']}.")
        if day > date.today():
            raise StorykitError(f"{at}: `date` = {day} is in the future: write the day it was corrected.")
        key = json.dumps([c["page"], day.isoformat(), c.get("figure")])
        if key in keys:
            raise StorykitError(f"{at}: another correction has the same page, date and figure; make them one.")
        keys.add(key)
        found.append({"key": key, "page": c["page"], "date": day, "text": c["text"].strip(),
                      "figure": c.get("figure")})
    return found


def figure_of(correction: dict, manifest: dict) -> dict | None:
    """The corrected figure as the page shows it now ({"key", "what", "text"}), or None for a correction
    of the page as a whole."""
    if not correction["figure"]:
        return None
    for key, f in figures(manifest.get(correction["page"])).items():
        if f["what"] == correction["figure"]:
            return {"key": key, "what": f["what"], "text": f["text"]}
    return None


def check_figures(found: list[dict], manifest: dict, entries: list[dict]) -> None:
    """Refuse a new correction whose figure its page does not show (one published already may outlive it)."""
    logged = {e.get("key") for e in entries if e.get("kind") == "correction"}
    for c in found:
        if c["key"] in logged or not c["figure"] or figure_of(c, manifest) is not None:
            continue
        whats = [f["what"] for f in figures(manifest.get(c["page"])).values()]
        raise StorykitError(f"{CORRECTIONS}: the correction of {c['page']} dated {c['date']}: `figure` = "
                            f"{c['figure']!r} is no figure of that page. Write what it counts as the page's table of "
                            f"figures says it, e.g. {', '.join(repr(w) for w in whats[:3])}.")
