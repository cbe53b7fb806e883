"""A build on a full disk: one plain message, an alert, nothing published; with space back, it builds.

The disk is real: a small tmpfs mounted in a mount namespace of the test's own (unshare), holding a
copy of the built synthetic project, filled until a few kilobytes are left.
"""

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

SCRIPT = r"""
set -u
mount -t tmpfs -o size={size}k tmpfs "$DISK"
cp -a "$PROJECT" "$DISK/project"
cd "$DISK/project"
rm -rf build/executed  # the build would free their space (each page's run replaces its own), not leave it full
snapshot() {{ (cd reports/ && find -L . -type f -print0 | sort -z | xargs -0 sha256sum); }}
snapshot > "$OUT/before"
dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null
truncate -s -{left}K "$DISK/filler"
"$PYTHON" -m storykit build --force >"$OUT/full.out" 2>"$OUT/full.err"; echo $? >"$OUT/full.rc"
snapshot > "$OUT/after"
ls -a .site > "$OUT/store"
rm "$DISK/filler"
"$PYTHON" -m storykit build --force >"$OUT/again.out" 2>"$OUT/again.err"; echo $? >"$OUT/again.rc"
"""


class Listener(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):
        self.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = HTTPServer(("127.0.0.1", 0), Listener)
    Listener.posts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Listener.posts
    server.shutdown()


def size_kib(folder) -> int:
    du = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return int(du.stdout.split()[0])


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux) for a disk of its own")
def test_a_build_on_a_full_disk_stops_in_one_line_publishes_nothing_and_builds_once_space_is_back(
        synthetic_site, tmp_path, listener):
    url, posts = listener
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    script = SCRIPT.format(size=size_kib(synthetic_site) + 2048, left=24)
    env = {"PATH": "/usr/bin:/bin", "DISK": str(disk), "PROJECT": str(synthetic_site), "OUT": str(out),
           "PYTHON": sys.executable, "STORYKIT_HOME": str(disk / "project"), "STORYKIT_ALERT_WEBHOOK": url,
           "HOME": str(tmp_path)}
    run = subprocess.run(["unshare", "--mount", "--map-root-user", "bash", "-c", script], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    read = lambda name: (out / name).read_text()  # noqa: E731
    assert read("full.rc").strip() == "1", read("full.err")
    err = read("full.err").strip()
    message = [line for line in err.splitlines() if line.startswith("storykit build:")]
    assert len(message) == 1 and "Traceback" not in err, err
    assert "disk is full" in message[0] and "Free some space" in message[0] and "Nothing was published" in message[0]
    assert "could not be run" not in err  # not blamed on the pages
    assert read("before") == read("after") and read("before").strip()  # the site online is byte-identical
    assert not [n for n in read("store").split() if n.startswith(".") and n not in (".", "..")]  # no part left
    assert any("disk is full" in p["text"] for p in posts), posts
    assert read("again.rc").strip() == "0", read("again.err")
