"""How long a reporter waits in `storykit preview`: from saving notebooks/truce.ipynb to the refreshed page.

    .venv/bin/python benchmarks/preview.py [ROUNDS]     # needs data/processed and a built site (make report)

Runs the real command, `storykit preview truce --port N`, in a copy of the project (so this checkout's
reports/ and build/ are never touched), opens the page in headless Chromium, then, ROUNDS times each
(default 5), saves the notebook as JupyterLab does (a new file renamed over the old one) with
- a sentence added to a Markdown cell (made again without a kernel), and
- a sentence added by a say() in a code cell (run again in the preview's warm kernel),
and times the wait until the browser shows the new sentence. Beside them: `storykit build --force
truce` in the same copy, the full run of the page the preview saves you from.
"""

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from storykit.site import firstpaint  # noqa: E402 (the build's own Chromium lookup)


def copy_project(dest: Path) -> Path:
    for name in ("notebooks", "data/processed"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "reports.toml", dest)
    return dest


def save(path: Path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb["cells"])
    temp = path.with_name(f".~{path.name}")
    temp.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def in_markdown(sentence):
    def change(cells):
        cell = next(c for c in cells if c["cell_type"] == "markdown")
        cell["source"] = "".join(cell["source"]).rstrip("\n") + f" {sentence}\n"
    return change


def in_code(sentence):
    def change(cells):
        cell = [c for c in cells if c["cell_type"] == "code" and "say(" in "".join(c["source"])][-1]
        cell["source"] = "".join(cell["source"]).rstrip("\n") + f"\nsay({sentence!r})\n"
    return change


def main(rounds: int) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        root = copy_project(Path(tmp) / "project")
        env = os.environ | {"STORYKIT_HOME": str(root)}
        start = time.perf_counter()
        subprocess.run([BIN / "storykit", "build", "--force", "truce"], env=env, cwd=root, check=True,
                       capture_output=True)
        full = time.perf_counter() - start
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = Path(tmp) / "preview.log"
        proc = subprocess.Popen([BIN / "storykit", "preview", "truce", "--port", str(port)], env=env, cwd=root,
                                stdout=log.open("w"), stderr=subprocess.STDOUT)
        try:
            while "http://127.0.0.1" not in log.read_text():
                if proc.poll() is not None:
                    sys.exit(log.read_text())
                time.sleep(0.2)
            browser = p.chromium.launch(executable_path=firstpaint.chromium(), args=firstpaint.ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/truce.html")
            times = {"Markdown cell (no kernel)": [], "code cell (warm kernel)": []}
            for i in range(rounds):
                for (what, took), change in zip(times.items(), (in_markdown, in_code)):
                    sentence = f"Sentence {chr(65 + i)} saved in a {what.split()[0].lower()} cell."
                    page.wait_for_selector("[role=status]")
                    saved = time.perf_counter()
                    save(root / "notebooks" / "truce.ipynb", change(sentence))
                    page.wait_for_function(f"document.body.innerText.includes({sentence!r})", timeout=120_000)
                    took.append(time.perf_counter() - saved)
            browser.close()
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"storykit build --force truce (the whole page, a new kernel): {full:.1f} s")
    for what, took in times.items():
        print(f"save to refreshed page, {what}: median {statistics.median(took):.2f} s "
              f"(min {min(took):.2f}, max {max(took):.2f}, {len(took)} saves)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
