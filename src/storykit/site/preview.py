"""`storykit preview`: pages built privately, served on this machine, made again at each change.

The pages are built as a trial (storykit.site.build with private=True: in build/preview/, never
reports/ or .site/, no notice, no alert, no record of a build), served by a real HTTP server on
127.0.0.1 at the paths they have on the site, and made again when a notebook, the data or
reports.toml changes: only the pages affected (the build's own freeze rules), in kernels kept warm
between changes, and a change of prose alone with no kernel at all. A change to storykit's own code
starts the preview again, since the code that makes pages has changed under it.

The browser reloads by itself: each HTML page is served with a small script of ours (never in the
files, so what is previewed is what would be published) that listens to /_storykit/events, a
server-sent event stream saying which version of the preview is current and whether a build is
running or failed. No third-party script, no request to another host.
"""

import json
import os
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..errors import StorykitError
from ..paths import project_root
from . import assets, freeze
from .config import load_config
from .make import PRIVATE
from .plan import plan

HOST = "127.0.0.1"  # this machine only: a preview is the reporter's, not the newsroom's
EVENTS, SCRIPT = "/_storykit/events", "/_storykit/live.js"
LIVE_JS = assets.STATIC / "live.js"  # never one of the site's assets: only the preview serves it
PING = 15  # seconds between keep-alive comments on the event stream (a closed tab is noticed then)


class Live:
    """What the browser is told: the preview's current version, and whether a build runs or failed."""

    def __init__(self):
        self.changed = threading.Condition()
        self.state = {"version": "", "building": False, "error": ""}

    def update(self, **values) -> None:
        with self.changed:
            self.state = self.state | values
            self.changed.notify_all()

    def wait(self, seen: dict, timeout: float) -> dict:
        with self.changed:
            self.changed.wait_for(lambda: self.state != seen, timeout)
            return dict(self.state)


def serve(site: Path, live: Live, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the folder `site` (a link switched by each build) on 127.0.0.1:`port`."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == EVENTS:
                return self._events()
            if path == SCRIPT:
                return self._send(LIVE_JS.read_bytes(), "text/javascript; charset=utf-8")
            local = Path(self.translate_path(path))
            if local.is_dir():
                local = local / "index.html"
            if local.suffix == ".html" and local.is_file():
                return self._send(_with_script(local.read_text(encoding="utf-8"), live.state["version"]),
                                  "text/html; charset=utf-8")
            return super().do_GET()

        def _send(self, body: str | bytes, kind: str) -> None:
            body = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")  # a reload shows the page as it is now
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen: dict = {}
            try:
                while True:
                    state = live.wait(seen, PING)
                    self.wfile.write(f"data: {json.dumps(state)}\n\n".encode() if state != seen else b": ping\n\n")
                    self.wfile.flush()
                    seen = state
            except (BrokenPipeError, ConnectionResetError):
                pass  # the tab was closed or reloaded

        def log_message(self, format, *args):  # noqa: A002 (the terminal is for the build's messages)
            pass

    ThreadingHTTPServer.allow_reuse_address = True  # a preview started again takes its port back at once
    try:
        server = ThreadingHTTPServer((HOST, port), Handler)
    except OSError as e:
        raise StorykitError(f"Port {port} on {HOST} is taken ({e.strerror}): another preview or program uses "
                            "it. Choose another with --port N.") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _with_script(html: str, version: str) -> str:
    tag = f'<script src="{SCRIPT}" data-version="{version}"></script>'
    return html.replace("</body>", tag + "</body>", 1) if "</body>" in html else html + tag


def preview(reports: list[str], params: dict, port: int, log=print, argv: list[str] | None = None) -> None:
    """Build `reports` privately, serve them, and make them again at each change, until interrupted."""
    import watchfiles

    from . import kernels
    from .build import build

    root = project_root()
    os.environ["STORYKIT_HOME"] = str(root)  # the kernels read this project's data, wherever started
    config = load_config(root)
    plan(config, root, reports, params)  # a misspelt report or parameter stops here, before anything is served
    live = Live()
    site = root / PRIVATE / "site"
    server = serve(site, live, port)
    pool = kernels.Pool.for_site(config, root, len(reports) or len(config.reports))
    restart = False
    with pool:
        def make() -> None:
            live.update(building=True)
            try:
                build(reports, params=params, private=True, pool=pool, log=log)
                live.update(error="")
            except StorykitError as e:
                log(str(e))
                live.update(error=str(e))
            live.update(building=False, version=_version(site))

        make()
        first = f"{reports[0]}.html" if len(reports) == 1 and (site / f"{reports[0]}.html").is_file() else ""
        log(f"Preview (private, not published): http://{HOST}:{server.server_port}/{first}\n"
            "It is made again each time a notebook, the data or storykit changes. Ctrl-C stops it.")
        for changes in watchfiles.watch(*_watched(root), watch_filter=_relevant, debounce=400, step=30):
            if any(_is_code(Path(path)) for _, path in changes):
                restart = True
                break
            make()
    server.shutdown()
    server.server_close()
    if restart:
        log("storykit's code changed: starting the preview again")
        os.execv(sys.executable, [sys.executable, "-m", "storykit", *(argv or sys.argv[1:])])


def _version(site: Path) -> str:
    return site.resolve().name if site.exists() else ""


def _watched(root: Path) -> list[Path]:
    folders = [root / "notebooks", root / "data" / "processed", root / "reports.toml", freeze.PACKAGE]
    return [f for f in folders if f.exists()]


def _relevant(change, path: str) -> bool:
    p = Path(path)
    hidden = any(part.startswith(".") for part in p.parts[-3:])  # checkpoints, temporary files of atomic writes
    return not hidden and "__pycache__" not in p.parts and not p.name.endswith((".part", ".lock", "~"))


def _is_code(path: Path) -> bool:
    return path.is_relative_to(freeze.PACKAGE) and path.suffix in (".py", ".j2", ".css", ".js", ".toml")


def check(notebook: str, log=print) -> list[str]:
    """Run every page check on the pages of `notebook` (a path, or a name in notebooks/), privately;
    return the pages that passed. Raises StorykitError naming each problem."""
    from .build import build

    root = project_root()
    config = load_config(root)
    path = next((p for p in (Path(notebook), root / notebook, root / "notebooks" / notebook) if p.is_file()), None)
    if path is None:
        raise StorykitError(f"{notebook}: no such notebook (looked here, in the project and in its notebooks/).")
    rel = path.resolve().relative_to((root / "notebooks").resolve()).as_posix() \
        if path.resolve().is_relative_to((root / "notebooks").resolve()) else None
    names = [r["name"] for r in config.reports if r["notebook"] == rel]
    if not names:
        raise StorykitError(f"{notebook} is not in reports.toml, so no page is made from it: register it with a "
                            "[[reports]] entry (storykit new NAME makes a notebook and its entry).")
    return build(names, force=True, private=True, log=log)
