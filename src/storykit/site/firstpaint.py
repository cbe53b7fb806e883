"""Static pictures of the charts: each chart drawn at build time by plotly.js itself, in headless
Chromium, as SVG, at a phone's width and at a desktop's. A page shows them at once, and without
JavaScript, until assets/charts.js draws the live chart in the same box.

Pictures are files, assets/pictures/<key>.svg (`Pictures`), each named by the hash of everything it is
drawn from: the figure, its size, the plotly.js, Chromium's version and this module's code. The same name
is thus the same picture, a site keeps one file for a picture many pages show, and a build draws only
the pictures its site does not have yet. A reader's browser fetches only the width it needs.

Chromium runs in a worker process (`python -m storykit.site.firstpaint`), started when a build stages its
assets (so while its kernels start) or on first use: it loads each plotly.js once, and each map's
shapes once, then turns each figure it is sent into SVG at every width asked. It ends when the process
that started it does (its input closes) or after IDLE seconds without work, and it never inherits
STORYKIT_HOME (it reads no project data). Without Chromium (STORYKIT_CHROMIUM names one, else the
first of CHROMIUM on the PATH) pages get no pictures, and the build says so once, in one line on
standard error.
"""

import base64
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

from ..notebook.contract import geometry_key

# A chart's width (style.css): on a wide screen a 46rem column, charts 6rem wider on each side, less the
# padding; on a 390 px phone the screen less main's 1rem padding on each side. Screens up to PHONE_MEDIA
# show the phone's picture, wider ones the desktop's; a screen of another width shows the picture scaled
# down to fit its box (never up), until the live chart replaces it.
WIDTH = 896
PHONE = 390 - 2 * 16
WIDTHS = (PHONE, WIDTH)
PHONE_MEDIA = "(max-width: 40rem)"
HEIGHT = 420  # the house template's, for a figure that sets none
IDLE = 20  # seconds the worker waits for work before it ends
WAIT = 60  # seconds the build waits for the worker to start or to draw one chart
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

DRAW = """async ([figure, widths, height]) => {
  const assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  assets.topojson = assets.topojson || {};
  assets.topojson.world_110m = assets.topojson.world_110m || {type: "Topology", objects: {}, arcs: []};
  figure.data.forEach((trace, i) => { trace.uid = trace.uid || "t" + i; });  // not random: the same each build
  const drawn = [];
  for (const width of widths) {
    const url = await Plotly.toImage({data: figure.data, layout: figure.layout, config: figure.config || {}},
                                     {format: "svg", width: width, height: height});
    drawn.push(decodeURIComponent(url.slice(url.indexOf(",") + 1)));
  }
  return drawn;
}"""


SHAPES = """([key, shapes]) => {
  (window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}})[key] = shapes;
}"""


def chromium() -> str | None:
    return os.environ.get("STORYKIT_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM)), None)


def _version_of(binary: str | None) -> str | None:
    """'150.0.7871.100' from `chromium --version`, as the browser itself reports it once started."""
    if binary is None:
        return None
    try:
        said = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"\b\d+(?:\.\d+){3}\b", said)
    return found.group() if found else None


class _Worker:
    """The parent's end: one request at a time (a lock), a new worker if the last one ended."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.ready = False
        self.pid = os.getpid()
        self.failed: str | None = None  # why there are no pictures in this process
        self.sent: set[str] = set()  # the map shapes this worker has, by key
        self.version: str | None = None  # Chromium's, once it has started

    def prepare(self):
        with self.lock:
            self._spawn()

    def chromium_version(self) -> str | None:
        """Chromium's version (it lays out the text: part of what a picture is drawn from), or None without it."""
        with self.lock:
            if self.version is None:  # asked of the binary: no browser started when every picture exists
                self.version = _version_of(chromium())
            if self.version is None:
                self._start()
            return None if self.failed else self.version

    def draw(self, request: dict, shapes: dict[str, dict]) -> list[str] | None:
        with self.lock:
            for attempt in (1, 2):  # a worker that ended (idle) since the last request is started again
                if not self._start():
                    return None
                new = {k: v for k, v in shapes.items() if k not in self.sent}
                try:
                    self.proc.stdin.write(json.dumps(request | {"shapes": new}) + "\n")
                    self.proc.stdin.flush()
                    reply = self._reply()
                except OSError:
                    reply = None
                if reply is None and not self.failed:
                    self.proc = None
                    continue
                if reply is None:
                    return None
                self.sent |= set(new)
                if "error" in reply:
                    raise RuntimeError(reply["error"])
                return reply["svg"] if "svg" in reply else reply["png"]  # a share card (sharecard)
            return None

    def _start(self) -> bool:
        """A worker whose Chromium has started (a new one if the last ended); False if there is none."""
        self._spawn()
        if not self.ready and not self.failed:
            ready = self._reply() or {"error": "the worker process ended before it started Chromium."}
            self.ready = "ready" in ready
            if self.ready:
                self.version = ready.get("version") or ready["ready"]
            elif not self.failed:
                self._fail(ready["error"])
        return not self.failed

    def _spawn(self):
        """Start a worker if none runs; it starts Chromium while the build goes on."""
        if self.pid != os.getpid():  # a forked child: the parent's worker is not ours
            self.__init__()
        if self.failed or (self.proc is not None and self.proc.poll() is None):
            return
        env = {k: v for k, v in os.environ.items() if k != "STORYKIT_HOME"}
        self.proc = subprocess.Popen([sys.executable, "-m", __spec__.name], env=env, text=True,
                                     encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.ready, self.sent = False, set()

    def _reply(self) -> dict | None:
        """The worker's next line, or None if it ended; no more pictures if it takes over WAIT s."""
        if not select.select([self.proc.stdout], [], [], WAIT)[0]:
            self._fail(f"Chromium did not answer within {WAIT} s.")
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def _fail(self, why: str):
        self.failed = why
        self.proc.kill()
        self.proc.wait()
        say(f"No static pictures of the charts on the pages: {why}")


_worker = _Worker()


def say(line: str) -> None:
    """One plain line for whoever runs the build: no code, no path of storykit's."""
    print(f"storykit: {line}", file=sys.stderr, flush=True)


def prepare() -> None:
    """Start Chromium now, in the background, for the pages about to be made."""
    _worker.prepare()


def height_of(figure: dict) -> int:
    """The height the figure is drawn at: its own, else its template's, else the house's."""
    layout = figure.get("layout", {})
    return layout.get("height") or layout.get("template", {}).get("layout", {}).get("height") or HEIGHT


def _drawable(figure: dict) -> tuple[dict, dict[str, dict]]:
    """What the worker draws (data and layout, each map's shapes named by their key) and those shapes."""
    drawable, shapes = {"data": [dict(t) for t in figure.get("data", [])], "layout": figure.get("layout", {})}, {}
    # Its language (an Arabic chart's month names and digits, storykit.arabic.CONFIG), nothing else of its config.
    if locale := {k: v for k, v in figure.get("config", {}).items() if k in ("locale", "locales")}:
        drawable["config"] = locale
    for trace in drawable["data"]:
        if isinstance(trace.get("geojson"), dict):
            trace["geojson"] = geometry_key(shapes_of := trace["geojson"])
            shapes[trace["geojson"]] = shapes_of
    return drawable, shapes


def _draw(figure: dict, plotly: Path, widths) -> list[str] | None:
    """The figure as SVG at each of `widths`; None if there is no Chromium or plotly.js cannot draw it."""
    drawable, shapes = _drawable(figure)
    request = {"plotly": str(plotly), "figure": drawable, "widths": list(widths), "height": height_of(figure)}
    try:
        drawn = _worker.draw(request, shapes)  # map shapes go to the worker once, by key, as pages share them
    except RuntimeError as e:  # the live chart will say more, in the reader's console
        say(f"No static picture for a chart: plotly.js could not draw it ({e}).")
        return None
    return [_compact(_tidy(d)) for d in drawn] if drawn is not None else None


@cache
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Pictures:
    """The pictures of a site's charts, assets/pictures/<name>, each named by the hash of what it is drawn
    from. `folder`: that folder in the version being made, whose pictures are not drawn again (a new
    version starts as the current one); `new` holds those drawn since the last `take`, to be written there."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.new: dict[str, str] = {}
        self.taken: set[str] = set()  # handed to the caller to write

    def draw(self, figure: dict, plotly: Path) -> list[tuple[str, int, int]] | None:
        """The chart's pictures, (file name, width, height) at each of WIDTHS, phone first; None without
        Chromium, or if plotly.js cannot draw the chart."""
        version = _worker.chromium_version()
        if version is None:
            return None
        drawable, _ = _drawable(figure)
        height = height_of(figure)
        made_of = {"figure": drawable, "height": height, "plotly": _digest(Path(plotly)), "chromium": version,
                   "code": _digest(Path(__file__))}
        names = [hashlib.sha256(json.dumps(made_of | {"width": w}, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode("utf-8")).hexdigest()[:20] + ".svg"
                 for w in WIDTHS]
        if not all(self.has(name) for name in names):
            if (drawn := _draw(figure, plotly, WIDTHS)) is None:
                return None
            self.new |= {name: text for name, text in zip(names, drawn) if not self.has(name)}
        return [(name, width, height) for name, width in zip(names, WIDTHS)]

    def has(self, name: str) -> bool:
        return name in self.new or name in self.taken or (self.folder is not None and (self.folder / name).is_file())

    def take(self) -> dict[str, str]:
        """The pictures drawn since the last call, by file name, for the caller to write."""
        new, self.new = self.new, {}
        self.taken |= set(new)
        return new


def _tidy(text: str) -> str:
    """Smaller and the same from one build to the next: coordinates to a tenth of a pixel, polylines
    (a map's shapes, most of its bytes) to whole pixels, plotly.js's random id replaced, attributes
    sorted."""
    text = re.sub(r'(\s(d|transform|points)=")([^"]*)"', lambda m: m.group(1) + (
        _polyline(m.group(3)) if m.group(2) == "d" else _tenths(m.group(3))) + '"', text)
    if uid := re.search(r'<defs id="defs-(\w+)"', text):
        text = text.replace(uid.group(1), "static")
    # plotly.js sets some attributes in an order that varies with timing: put them in one order.
    return re.sub(r'<([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(/?)>', lambda m: "<" + m.group(1) + "".join(
        " " + a for a in sorted(re.findall(r'[\w:-]+="[^"]*"', m.group(2))) if a != 'style=""') + m.group(3) + ">", text)


_STYLE = re.compile(r'\sstyle="([^"]*)"')
_INITIAL = {("vector-effect", "none"), ("opacity", "1")}  # initial values, and not inherited: saying them does nothing
_INHERITED = ("font-family", "white-space")  # said once, on the root, when every text says the same
_EMPTY = re.compile(r'<g\b[^>]*/>|<g\b[^>]*></g>|<text\b[^>]*></text>|<path(?![^>]*\sd="[^"])[^>]*/>')


def _compact(text: str) -> str:
    """The picture without what draws nothing (classes: no style sheet reaches a picture; empty groups and
    paths; groups without attributes; initial values), colours in hex, and the font said once: pixel for
    pixel the same picture, in about 40% fewer bytes. A picture that has a style sheet is left as it is."""
    if "<style" in text:
        return text
    text = re.sub(r'\sclass="[^"]*"', "", text)

    def declarations(style: str) -> list[tuple[str, str]] | None:
        if "&" in style:  # an escaped quote or semicolon: left as drawn
            return None
        out = []
        for part in style.split(";"):
            name, _, value = part.partition(":")
            name, value = name.strip(), re.sub(r",\s+", ",", value.strip())
            value = re.sub(r"\brgb\((\d+),(\d+),(\d+)\)",
                           lambda c: "#%02x%02x%02x" % tuple(map(int, c.groups())), value)
            if name and (name, value) not in _INITIAL:
                out.append((name, value))
        return out

    styles = {m.group(1): declarations(m.group(1)) for m in _STYLE.finditer(text)}
    texts = [dict(styles.get(m.group(1), None) or []) if m else {} for m in
             (_STYLE.search(tag) for tag in re.findall(r"<text\b[^>]*>", text))]
    root = []
    if texts and not re.match(r"<svg\b[^>]*\sstyle=", text):
        for name in _INHERITED:
            values = {v for ds in styles.values() if ds for n, v in ds if n == name}
            if (len(values) == 1 and all(name in t for t in texts)
                    and not any(ds is None and name in style for style, ds in styles.items())):
                root.append((name, values.pop()))

    def style(m):
        ds = styles[m.group(1)]
        if ds is None:
            return m.group()
        kept = [f"{n}:{v}" for n, v in ds if (n, v) not in root]
        return f' style="{";".join(kept)}"' if kept else ""

    text = _STYLE.sub(style, text)
    if root:
        text = re.sub(r"<svg\b", "<svg style=\"" + ";".join(f"{n}:{v}" for n, v in root) + '"', text, count=1)
    while (smaller := _EMPTY.sub("", text)) != text:
        text = smaller
    out, groups = [], []  # a group without attributes groups nothing: keep only what it holds
    for token in re.split(r"(<[^>]+>)", text):
        if token == "<g>":
            groups.append(False)
            continue
        if token.startswith("<g "):
            groups.append(True)
        elif token == "</g>" and not groups.pop():
            continue
        out.append(token)
    return "".join(out)


def _polyline(d: str) -> str:
    """A path of straight lines (M, L, Z) in whole pixels, relative, without repeated points; any
    other path to a tenth of a pixel."""
    if not d.startswith("M") or re.search(r"[^MLZ\d.,\s-]", d):
        return _tenths(d)
    out, x, y, start = [], 0, 0, (0, 0)
    for command, numbers in re.findall(r"([MLZ])([^MLZ]*)", d):
        if command == "Z":
            out.append("z")
            x, y = start  # closing a ring goes back to where it began
            continue
        values = [round(float(v)) for v in re.findall(r"-?\d+(?:\.\d+)?", numbers)]
        for px, py in zip(values[::2], values[1::2]):
            if command == "L" and (px, py) == (x, y):
                continue
            out.append(f"{'m' if command == 'M' else 'l'}{px - x},{py - y}".replace(",-", "-"))
            if command == "M":
                start = (px, py)
            command, x, y = "L", px, py
    return "".join(out)


def _tenths(text: str) -> str:
    return re.sub(r"(\d\.\d)\d+", r"\1", text)


# --- the worker process -------------------------------------------------------------------------


def _shoot(context, html: str, size: list[int]) -> str:
    """In the worker: a share card (storykit.site.sharecard) as PNG (base64), `size` [width, height]."""
    tab = context.new_page()
    tab.set_viewport_size({"width": size[0], "height": size[1]})
    try:
        tab.set_content(html)
        tab.wait_for_function("Array.from(document.images).every(i => i.complete)")
        return base64.b64encode(tab.screenshot(type="png")).decode("ascii")
    finally:
        tab.close()


def _serve() -> None:
    """Answer one JSON request a line with {"svg": ...} or {"error": ...}, after a first line that
    says whether Chromium started."""
    from playwright.sync_api import sync_playwright

    def say(reply: dict):
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()

    path = chromium()
    if path is None:
        say({"error": "no Chromium found (install chromium, or set STORYKIT_CHROMIUM to its path)."})
        return
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=path, args=ARGS)
        except Exception as e:
            say({"error": f"Chromium ({path}) did not start: {str(e).splitlines()[0]}"})
            return
        context = browser.new_context()
        context.route("**", lambda route: route.abort())  # nothing is fetched: every script is given inline
        tabs, shapes, has = {}, {}, {}  # a tab per plotly.js; every map's shapes; the shapes each tab has
        say({"ready": path, "version": browser.version})
        while select.select([sys.stdin], [], [], IDLE)[0]:
            line = sys.stdin.readline()
            if not line:
                break
            request = json.loads(line)
            shapes |= request["shapes"]
            try:
                if "card" in request:  # a page's share image, laid out by storykit.site.sharecard
                    say({"png": _shoot(context, request["card"], request["size"])})
                    continue
                if (tab := tabs.get(request["plotly"])) is None:
                    tab = tabs[request["plotly"]] = context.new_page()
                    tab.set_content("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>")
                    tab.add_script_tag(content=Path(request["plotly"]).read_text(encoding="utf-8"))
                    has[request["plotly"]] = set()
                for key in {t["geojson"] for t in request["figure"]["data"] if "geojson" in t} - has[request["plotly"]]:
                    tab.evaluate(SHAPES, [key, shapes[key]])
                    has[request["plotly"]].add(key)
                say({"svg": tab.evaluate(DRAW, [request["figure"], request["widths"], request["height"]])})
            except Exception as e:
                say({"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"})
        browser.close()


if __name__ == "__main__":
    _serve()
