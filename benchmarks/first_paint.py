"""Time to the first chart on screen, for every built page with charts, opened from disk in headless Chromium.

    .venv/bin/python benchmarks/first_paint.py [SITE] [--phone] [--slowdown N]    # SITE: reports/

--phone opens the pages in a 390 px wide viewport; --slowdown N makes the CPU N times slower (as
Chrome's DevTools do), for a phone's processor.

Each page opens in a fresh browser context (nothing cached). A script installed before the page's own
records, on the page's clock (milliseconds since navigation start), when the first chart appears: a
static picture (`.storykit-static`, once the picture for the screen's width is loaded) or a chart
Plotly has drawn (`.js-plotly-plot .main-svg`), and then the next animation frame, when it is on
screen. It also records when every chart is interactive. Prints one line per page and the medians.
"""

import argparse
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

WATCH = """
(() => {
  const first = ".storykit-static, .js-plotly-plot .main-svg";
  window.__sk = {};
  const seen = () => {
    const shown = document.querySelector(first);
    if (!("first" in window.__sk) && shown) {
      window.__sk.first = performance.now();
      // A picture counts once it is decoded; then the next frame puts it on screen.
      const paint = () => requestAnimationFrame(() => { window.__sk.painted = performance.now(); });
      const img = shown.tagName === "PICTURE" ? shown.querySelector("img") : shown;  // a <picture>: its <img>
      img && img.tagName === "IMG" && !img.complete ? img.addEventListener("load", paint) : paint();
    }
    const plots = document.querySelectorAll("figure.sk-chart .sk-plot");
    if (!("all" in window.__sk) && plots.length
        && [...plots].every(d => d.classList.contains("js-plotly-plot") && d.querySelector(".main-svg"))) {
      window.__sk.all = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, {childList: true, subtree: true, attributes: true,
                                                 attributeFilter: ["class"]});
})();
"""


def measure(site: Path, phone: bool = False, slowdown: float = 1) -> list[tuple[str, float, float]]:
    from playwright.sync_api import sync_playwright

    pages = sorted(p for p in site.rglob("*.html") if 'class="sk-chart"' in p.read_text(encoding="utf-8"))
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path in pages:
            context = browser.new_context(viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900})
            context.route("**", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page = context.new_page()
            if slowdown > 1:
                context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
            page.add_init_script(WATCH)
            page.goto(path.as_uri(), wait_until="commit")
            page.wait_for_function("() => window.__sk && 'painted' in window.__sk && 'all' in window.__sk",
                                   timeout=60_000, polling=50)
            t = page.evaluate("window.__sk")
            rows.append((str(path.relative_to(site)), t["painted"] / 1000, t["all"] / 1000))
            context.close()
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "reports")
    parser.add_argument("--phone", action="store_true")
    parser.add_argument("--slowdown", type=float, default=1)
    args = parser.parse_args()
    rows = measure(args.site.resolve(), args.phone, args.slowdown)
    width = max(len(r[0]) for r in rows)
    print(f"{'page':<{width}}  first chart  all interactive")
    for name, first, every in rows:
        print(f"{name:<{width}}  {first:9.2f} s  {every:12.2f} s")
    print(f"{'median':<{width}}  {statistics.median(r[1] for r in rows):9.2f} s  "
          f"{statistics.median(r[2] for r in rows):12.2f} s")


if __name__ == "__main__":
    main()
