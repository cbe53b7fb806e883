"""A page's figures as the log of changes and the corrections know them from build to build: by what
each counts and its source, not by where it stands on the page."""

import json


def figures(entry: dict | None) -> dict:
    """A page's figures by what they count and their source: {key: {"what", "source", "text", "headline"}}.
    Values written with noted() are no figures of the data."""
    out = {}
    for f in (entry or {}).get("facts", []):
        if f.get("why"):
            continue
        key = json.dumps([f["what"], sorted(f["source"])])
        got = out.setdefault(key, {"what": f["what"], "source": sorted(f["source"]), "texts": [], "headline": False})
        got["texts"] += [f["text"]] if f["text"] not in got["texts"] else []
        got["headline"] |= bool(f.get("headline"))
    return {k: {"what": v["what"], "source": v["source"], "text": " / ".join(v["texts"]), "headline": v["headline"]}
            for k, v in out.items()}
