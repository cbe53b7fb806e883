"""Benchmark storykit against the hand-run baseline, in one run on this machine; prints one table.

    .venv/bin/python benchmarks/run.py      # needs data/processed and a built site: run `make report` first

Baseline: what a team would do by hand with the same notebooks: for each page of reports.toml,
`papermill` then `jupyter nbconvert --to html --no-input`, one after the other. Then, on the real
project: `storykit build --force`, `storykit build` with nothing changed, `storykit build` after one
processed table changed (as `storykit process` leaves it after a new release of its source),
the pages' weights and their charts' pictures, the provinces geometry a map page loads, the first
chart on screen in headless Chromium (benchmarks/first_paint.py), and `storykit process` from a warm
data/raw/, forced and with nothing changed. Every figure is wall-clock time of the command as a user
types it. The site ends as it started: built and current.
"""

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHANGED = "asylum_applications"  # the table rewritten for the incremental build (one source's, one page's)


def run(cmd, cwd=ROOT) -> tuple[float, str]:
    """Seconds the command took, and what it printed; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout + done.stderr


def storykit(*args) -> tuple[float, str]:
    return run([BIN / "storykit", *args])


def jobs() -> list[tuple[str, dict]]:
    """(notebook, parameters) for every page, as reports.toml lists them."""
    from storykit.site.build import load_config, plan

    return [(j.notebook, j.parameters) for j in plan(load_config(ROOT), ROOT)]


def baseline() -> tuple[float, int]:
    out = Path(tempfile.mkdtemp(prefix="storykit-baseline-"))
    pages = jobs()
    start = time.perf_counter()
    for i, (notebook, params) in enumerate(pages):
        executed = out / f"{i:02d}-{Path(notebook).name}"
        flags = [a for k, v in params.items() for a in ("-p", k, str(v))]
        run([BIN / "papermill", "--no-progress-bar", ROOT / "notebooks" / notebook, executed, *flags],
            cwd=ROOT / "notebooks")
        run([BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed])
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return elapsed, len(pages)


def made(output: str) -> int:
    """How many pages a build made, from what it printed."""
    return len(re.findall(r"^building ", output, re.M))


def incremental() -> tuple[float, int]:
    """One processed table rewritten (the same rows, new bytes), then `storykit build`."""
    path = ROOT / "data" / "processed" / f"{CHANGED}.parquet"
    original = path.read_bytes()
    import pandas as pd

    pd.read_parquet(path).to_parquet(path, index=False, compression="gzip")
    try:
        seconds, output = storykit("build")
    finally:
        path.write_bytes(original)
    storykit("build")  # the pages made from the rewritten file, made again from the original
    return seconds, made(output)


def page_weights() -> tuple[float, float, float, float, float]:
    """KB: largest, median and total page; the shared scripts and styles; the largest map geometry."""
    site = (ROOT / "reports").resolve()
    pages = [p.stat().st_size / 1024 for p in site.rglob("*.html")]
    assets = [p for p in (site / "assets").iterdir() if p.is_file()]
    shared = sum(p.stat().st_size for p in assets if not p.name.startswith("geo-")) / 1024
    geometry = max((p.stat().st_size for p in assets if p.name.startswith("geo-")), default=0) / 1024
    return max(pages), statistics.median(pages), sum(pages), shared, geometry


def picture_weights(site: Path | None = None) -> dict[str, tuple[float, float]]:
    """KB of the charts' pictures each page with charts shows, (on a phone, on a desktop): a browser
    fetches only the picture for its width."""
    site = (site or ROOT / "reports").resolve()
    out = {}
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        widths = [re.findall(r'srcset="(?:\.\./)*assets/(pictures/[\w.]+)"', html),
                  re.findall(r'<img alt="" src="(?:\.\./)*assets/(pictures/[\w.]+)"', html)]
        if widths[0]:
            out[str(page.relative_to(site))] = tuple(
                sum((site / "assets" / name).stat().st_size for name in set(names)) / 1024 for names in widths)
    return out


def first_chart() -> float:
    sys.path.insert(0, str(Path(__file__).parent))
    from first_paint import measure

    return statistics.median(first for _, first, _ in measure((ROOT / "reports").resolve()))


def machine() -> str:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{platform.node()}: {model or platform.processor()}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def main() -> None:
    print(f"storykit benchmarks, {date.today()}, {machine()}", flush=True)
    base, n = baseline()
    full, output = storykit("build", "--force")
    noop, output_noop = storykit("build")
    assert made(output) == n and made(output_noop) == 0, output + output_noop
    inc, inc_pages = incremental()
    largest, median, total, shared, geometry = page_weights()
    pictures = picture_weights()
    phone, desktop = ([p[i] for p in pictures.values()] or [0] for i in (0, 1))
    every = sum(p.stat().st_size for p in (ROOT / "reports" / "assets" / "pictures").resolve().glob("*.svg")) / 1024
    rows = [
        (f"full build, baseline (papermill + nbconvert per page, serially, {n} pages)", f"{base:.1f} s"),
        ("full build, storykit build --force", f"{full:.1f} s"),
        ("speed-up", f"{base / full:.1f}x"),
        ("storykit build, nothing changed (no kernel started)", f"{noop:.2f} s"),
        (f"storykit build after {CHANGED}.parquet changed ({inc_pages} page(s) made)", f"{inc:.1f} s"),
        ("page weight, largest / median / total", f"{largest:.0f} / {median:.0f} / {total:.0f} KB"),
        ("shared assets (plotly.js, charts.js, style.css)", f"{shared:.0f} KB"),
        ("provinces geometry (largest geo asset)", f"{geometry:.0f} KB"),
        ("charts' pictures a page shows, largest / median, phone",
         f"{max(phone):.0f} / {statistics.median(phone):.0f} KB"),
        ("charts' pictures a page shows, largest / median, desktop",
         f"{max(desktop):.0f} / {statistics.median(desktop):.0f} KB"),
        ("every picture of the site (assets/pictures/)", f"{every:.0f} KB"),
        ("first chart on screen in Chromium (median over pages)", f"{first_chart():.2f} s"),
        ("storykit process --force (every cleaner, warm data/raw)", f"{storykit('process', '--force')[0]:.1f} s"),
        ("storykit process, nothing changed", f"{storykit('process')[0]:.2f} s"),
    ]
    storykit("build")  # if processing rewrote a table differently, the site catches up (usually nothing)
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
