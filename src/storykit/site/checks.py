"""The checks a page and a version of the site pass before they may be published.

`check_published`: a page shows no code, prompt or traceback, names no local path, loads nothing
from another host and stays under the size limit. `check_page`: the file is complete, every local
file it loads or links is there, and its charts and traced figures are those its notebook recorded.
`check_version`: the whole version, before the switch: every page there and complete, nothing else
but assets.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import StorykitError
from ..notebook.contract import CHART_CLASS, DATA_SUFFIX, FACT_CLASS, PLOT_CLASS

# storykit.site.changes: what changed, and when (one log; its page and feed in each edition)
LOG_FILES = ("changes.json", "changes.html", "feed.xml", "ar/changes.html", "ar/feed.xml")
MAX_PAGE_BYTES = 250_000  # the shared assets aside (plotly.js, map shapes, the charts' pictures)


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PageError(StorykitError):
    """A notebook's output cannot be published as it is."""


def strip_ansi(text: str) -> str:
    """An error message without the terminal colours IPython gives tracebacks."""
    return ANSI.sub("", text)


LOCAL_PATH = re.compile(
    r"(?<![\w.:/])/(?:home|root|tmp|Users|work|var|opt|mnt|srv|private)/[\w.-]"
    r"|(?<!\w)[A-Za-z]:\\(?:[\w .-]+\\)+"  # C:\Users\...
    r"|file:/"
)
LEAKS = (
    ("Traceback (most recent call last)", "a Python traceback"),
    ("\x1b[", "terminal colour codes from a traceback"),
    ('class="jp-InputArea', "code input"),
    ('class="jp-InputPrompt', "an input prompt"),
    ('class="jp-OutputPrompt', "an output prompt"),
)
PROMPT = re.compile(r"\b(?:In|Out)\s?\[\s*\d*\s*\]:")
EMBEDDED = re.compile(r'base64,[A-Za-z0-9+/=]+|"bdata":"[^"]*"')  # encoded data may hold any letters


def check_published(html: str, where: str, local: tuple[str, ...] = ()) -> None:
    """Refuse a page that is too big, shows code, prompts or tracebacks, names a local path, or
    would load anything from another host."""
    size = len(html.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise PageError(f"{where}: the page weighs {size:,} bytes, over the {MAX_PAGE_BYTES:,} limit; "
                        "plot fewer points (aggregate by week or month) or split the page.")
    text = EMBEDDED.sub("", html)
    for needle, what in LEAKS:
        if needle in text:
            raise PageError(f"{where}: the page shows {what}; it must not be published.")
    if m := PROMPT.search(text):
        raise PageError(f"{where}: the page shows a notebook prompt {m.group()!r}.")
    for path in filter(None, local):
        if path in text:
            raise PageError(f"{where}: the page names the local path {path}; a page must not reveal the machine.")
    if m := LOCAL_PATH.search(text):
        raise PageError(f"{where}: the page names a local path near {text[max(0, m.start() - 30):m.end() + 30]!r}.")
    finder = _ExternalLoads()
    finder.feed(text)
    if finder.found:
        raise PageError(f"{where}: the page would load from another host: {', '.join(finder.found[:3])}. "
                        "Pages load only their own files (assets/); no CDN, no web fonts.")


class _ExternalLoads(HTMLParser):
    """URLs a browser would fetch on its own (not links a reader may follow) that leave the site."""

    FETCHED = {("script", "src"), ("link", "href"), ("img", "src"), ("img", "srcset"), ("iframe", "src"),
               ("source", "src"), ("source", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"),
               ("embed", "src"), ("object", "data"), ("input", "src"), ("track", "src"), ("image", "href")}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        self._in = tag
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in self.FETCHED and _is_external(value):
                self.found.append(value)
            if name == "style":
                self._css(value)

    def handle_data(self, data):
        if self._in == "style":
            self._css(data)
        elif self._in == "script":
            # Inside scripts (chart JSON, drawing code) any absolute URL would be fetched by plotly.js.
            self.found += re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", data)

    def handle_endtag(self, tag):
        self._in = None

    def _css(self, css: str):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", css):
            value = next(u for u in url if u)
            if _is_external(value):
                self.found.append(value)


def _is_external(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http:", "https:", "//", "ftp:", "ws:", "wss:")) or ("://" in url.split(",")[0]
                                                                              and not url.startswith("data:"))


class _Parts(HTMLParser):
    """What a page is made of: its charts (figure, plot, data), its marked figures, its local references."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures, self.plots, self.data, self.facts, self.refs = 0, [], set(), [], []
        self._fact: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "figure" and CHART_CLASS in classes:
            self.figures += 1
        elif tag == "div" and PLOT_CLASS in classes:
            self.plots.append(a.get("id"))
        elif tag == "script" and a.get("type") == "application/json":
            self.data.add(a.get("id"))
        elif tag == "span" and FACT_CLASS in classes:
            self._fact = []
        for name in ("src", "href"):
            if a.get(name):
                self.refs.append(a[name])
        if a.get("srcset"):  # candidates "url [descriptor]", comma-separated (a <picture>'s sources)
            self.refs += [c.split()[0] for c in a["srcset"].split(",") if c.strip()]

    def handle_data(self, data):
        if self._fact is not None:
            self._fact.append(data)

    def handle_endtag(self, tag):
        if tag == "span" and self._fact is not None:
            self.facts.append("".join(self._fact))
            self._fact = None


def check_page(html: str, rel: str, folder: Path, entry: dict | None = None, coming: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with the page `rel` of the version in `folder`: an incomplete file, a file it
    loads or links that is not there (or in `coming`), and (given its manifest entry) a chart or
    traced figure that differs from what the notebook recorded."""
    problems = []
    if not (html.startswith("<!doctype html>") and html.rstrip().endswith("</html>") and "</main>" in html):
        problems.append(f"{rel} is not a complete page")
    parts = _Parts()
    parts.feed(html)
    parts.close()
    base = (folder / rel).parent
    for ref in dict.fromkeys(parts.refs):
        target = urlsplit(ref)
        if target.scheme or target.netloc or not target.path:
            continue  # a link out of the site (a publisher's page), a data: URI, or #a-place on the page
        path = (base / unquote(target.path)).resolve()
        inside = path.is_relative_to(folder.resolve()) and path.relative_to(folder.resolve()).as_posix()
        if not inside or not (path.is_file() or inside in coming):
            problems.append(f"{rel} refers to {ref}, which is not in the site")
    if entry is not None:
        drawn = [p for p in parts.plots if f"{p}{DATA_SUFFIX}" in parts.data]
        if not parts.figures == len(drawn) == entry.get("charts", 0):
            problems.append(f"{rel} has {len(drawn)} complete chart(s) of the {entry.get('charts', 0)} its notebook "
                            "showed")
        changed = sorted(set(parts.facts) - {f["text"] for f in entry.get("facts", [])})
        if changed:
            problems.append(f"{rel} shows figure(s) {', '.join(changed)} that its notebook did not record")
    return problems


def check_version(folder: Path, pages: list[str], checked: set[str] = frozenset()) -> list[str]:
    """Problems of the version as a whole: every page there and complete, nothing else but assets.
    The pages in `checked` (the very files of a version checked before) are only looked for."""
    problems = []
    logged = {rel for rel in LOG_FILES if (folder / rel).is_file()}  # the site's log of changes, if it has one
    expected = set(pages) | {"index.html", "ar/index.html"}  # each edition's index (storykit.site.edition)
    for rel in sorted(expected | logged):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif rel not in checked and rel.endswith(".html"):
            problems += check_page(path.read_text(encoding="utf-8"), rel, folder)
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in expected | logged and not (rel.startswith("assets/") and not path.name.startswith(".")):
            problems.append(f"{rel} is not part of the site (a leftover file)")
    return problems
