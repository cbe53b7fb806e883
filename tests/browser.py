"""What the browser tests share: Chromium found by the build's own lookup, the pages of this
repository's site, the two screens a reader brings, one browser per test module, and a real HTTP
server on 127.0.0.1 for a built site."""

import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storykit.site import firstpaint

CHROMIUM = firstpaint.chromium()  # the build's own lookup: STORYKIT_CHROMIUM, else the PATH
GOVERNORATES = ["damascus", "aleppo", "rural-damascus", "homs", "hama", "lattakia", "idleb", "al-hasakeh",
                "deir-ez-zor", "tartous", "ar-raqqa", "daraa", "as-sweida", "quneitra"]
STORIES = ["truce.html", "casualties.html", "refugees.html", "displacement.html", "returns.html", "claims.html"]
REAL_PAGES = ["index.html"] + STORIES + [f"governorates/{g}.html" for g in GOVERNORATES]
BOTH_EDITIONS = REAL_PAGES + ["ar/" + p for p in REAL_PAGES]  # every page, and the same page in Arabic
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install chromium (.ci/run does), or set "
                                                           "STORYKIT_CHROMIUM to its path")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=firstpaint.ARGS)
        yield b
        b.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path):
    """The folder over HTTP, as a web server would publish it; yields its address, ending in /."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder.resolve())))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def axe_js() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, axe_js: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    # preload: false, or axe itself would try to re-read the stylesheets (refused for file:// pages).
    page.add_script_tag(content=axe_js)
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations'], preload: false}))
        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""")
