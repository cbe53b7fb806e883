"""A static first paint: a page's first chart drawn at build time by plotly.js itself, in headless
Chromium, as an SVG picture the page shows at once, until assets/charts.js draws the live chart.

Chromium runs in a worker process (`python -m storykit.site.firstpaint`), started when a build stages its
assets (so while its kernels start) or on first use: it loads each plotly.js once, and each map's
shapes once, then turns each figure it is sent into SVG. It ends when the process that
started it does (its input closes) or after IDLE seconds without work, and it never inherits
STORYKIT_HOME (it reads no project data). Without Chromium (STORYKIT_CHROMIUM names one, else the
first of CHROMIUM on the PATH) pages get no static first paint, and the build says so once, in one
line on standard error.
"""

import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from ..notebook.contract import geometry_key

# A chart's width on a wide screen (style.css: a 46rem column, charts 6rem wider on each side, less
# the padding); narrower screens scale the picture down until the live chart replaces it.
WIDTH = 896
HEIGHT = 420  # the house template's, for a figure that sets none
IDLE = 20  # seconds the worker waits for work before it ends
WAIT = 60  # seconds the build waits for the worker to start or to draw one chart
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

DRAW = """async ([figure, width, height]) => {
  const assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  assets.topojson = assets.topojson || {};
  assets.topojson.world_110m = assets.topojson.world_110m || {type: "Topology", objects: {}, arcs: []};
  figure.data.forEach((trace, i) => { trace.uid = trace.uid || "t" + i; });  // not random: the same each build
  const url = await Plotly.toImage({data: figure.data, layout: figure.layout, config: {}},
                                   {format: "svg", width: width, height: height});
  return decodeURIComponent(url.slice(url.indexOf(",") + 1));
}"""


SHAPES = """([key, shapes]) => {
  (window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}})[key] = shapes;
}"""


def chromium() -> str | None:
    return os.environ.get("STORYKIT_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM)), None)


class _Worker:
    """The parent's end: one request at a time (a lock), a new worker if the last one ended."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.ready = False
        self.pid = os.getpid()
        self.failed: str | None = None  # why there is no static first paint in this process
        self.sent: set[str] = set()  # the map shapes this worker has, by key

    def prepare(self):
        with self.lock:
            self._spawn()

    def draw(self, request: dict, shapes: dict[str, dict]) -> str | None:
        with self.lock:
            for attempt in (1, 2):  # a worker that ended (idle) since the last request is started again
                self._spawn()
                if not self.ready and not self.failed:
                    ready = self._reply() or {"error": "the worker process ended before it started Chromium."}
                    self.ready = "ready" in ready
                    if not self.ready and not self.failed:
                        self._fail(ready["error"])
                if self.failed:
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
                return reply["svg"]
            return None

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
        """The worker's next line, or None if it ended; no more static first paint if it takes over WAIT s."""
        if not select.select([self.proc.stdout], [], [], WAIT)[0]:
            self._fail(f"Chromium did not answer within {WAIT} s.")
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def _fail(self, why: str):
        self.failed = why
        self.proc.kill()
        self.proc.wait()
        say(f"No static first paint on the pages: {why}")


_worker = _Worker()


def say(line: str) -> None:
    """One plain line for whoever runs the build: no code, no path of storykit's."""
    print(f"storykit: {line}", file=sys.stderr, flush=True)


def prepare() -> None:
    """Start Chromium now, in the background, for the pages about to be made."""
    _worker.prepare()


def svg(figure: dict, plotly: Path, width: int = WIDTH) -> str | None:
    """The figure as SVG, drawn by the plotly.js in the file `plotly`; None if there is no Chromium."""
    layout = figure.get("layout", {})
    height = layout.get("height") or layout.get("template", {}).get("layout", {}).get("height") or HEIGHT
    # Map shapes go to the worker once, by key, as pages share them (a map of each governorate).
    figure, shapes = {**figure, "data": [dict(t) for t in figure.get("data", [])]}, {}
    for trace in figure["data"]:
        if isinstance(trace.get("geojson"), dict):
            trace["geojson"] = geometry_key(shapes_of := trace["geojson"])
            shapes[trace["geojson"]] = shapes_of
    try:
        drawn = _worker.draw({"plotly": str(plotly), "figure": figure, "width": width, "height": height}, shapes)
    except RuntimeError as e:  # the live chart will say more, in the reader's console
        say(f"No static first paint for a chart: plotly.js could not draw it ({e}).")
        return None
    return _tidy(drawn) if drawn is not None else None


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
        say({"ready": path})
        while select.select([sys.stdin], [], [], IDLE)[0]:
            line = sys.stdin.readline()
            if not line:
                break
            request = json.loads(line)
            shapes |= request["shapes"]
            try:
                if (tab := tabs.get(request["plotly"])) is None:
                    tab = tabs[request["plotly"]] = context.new_page()
                    tab.set_content("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>")
                    tab.add_script_tag(content=Path(request["plotly"]).read_text(encoding="utf-8"))
                    has[request["plotly"]] = set()
                for key in {t["geojson"] for t in request["figure"]["data"] if "geojson" in t} - has[request["plotly"]]:
                    tab.evaluate(SHAPES, [key, shapes[key]])
                    has[request["plotly"]].add(key)
                say({"svg": tab.evaluate(DRAW, [request["figure"], request["width"], request["height"]])})
            except Exception as e:
                say({"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"})
        browser.close()


if __name__ == "__main__":
    _serve()
