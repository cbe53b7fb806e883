"""storykit fetch against a real HTTP server on 127.0.0.1 serving the mirror."""

import hashlib
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storykit import catalogue
from storykit.errors import FetchError, StorykitError
from storykit.ingest.fetch import fetch, file_sha256

from .conftest import mirror

SMALL = "idmc_idps"  # one small file
SHAPES = "ocha_admin1_2016"  # five member files


class MirrorHandler(SimpleHTTPRequestHandler):
    """Serves the mirror; `faults` maps a path suffix to a list of faults to play, one per request."""

    faults: dict[str, list[str]] = {}
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requests.append(self.path)
        for suffix, plan in self.faults.items():
            if self.path.endswith(suffix) and plan:
                return self._fault(plan.pop(0))
        return super().do_GET()

    def _fault(self, kind: str):
        if kind in ("404", "500"):
            self.send_error(int(kind))
            return
        body = Path(self.translate_path(self.path)).read_bytes()
        if kind == "altered":
            body = body[:-1] + bytes([body[-1] ^ 1])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "cut":  # half the promised bytes, then the connection drops
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    root = mirror()
    if root.startswith("http"):
        pytest.fail("these tests serve a local mirror folder; set STORYKIT_MIRROR to a folder")
    handler = type("H", (MirrorHandler,), {"faults": {}, "requests": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=root))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_downloads_every_member_and_checks_it(server, tmp_path):
    handler, url = server
    assert fetch([SMALL, SHAPES], root=tmp_path, mirror=url) == [SMALL, SHAPES]
    for sid in (SMALL, SHAPES):
        source = catalogue.get(sid)
        for f in source.files:
            assert file_sha256(source.local_path(f.name, tmp_path)) == f.sha256
    assert not [p for p in leftovers(tmp_path) if p.name.endswith(".part")]


def test_a_second_fetch_downloads_nothing(server, tmp_path):
    handler, url = server
    fetch([SMALL], root=tmp_path, mirror=url)
    handler.requests.clear()
    assert fetch([SMALL], root=tmp_path, mirror=url) == []
    assert handler.requests == []


def test_a_damaged_local_copy_is_fetched_again(server, tmp_path):
    handler, url = server
    fetch([SMALL], root=tmp_path, mirror=url)
    target = catalogue.get(SMALL).local_path(root=tmp_path)
    target.write_bytes(b"damaged")
    assert fetch([SMALL], root=tmp_path, mirror=url) == [SMALL]
    assert file_sha256(target) == catalogue.get(SMALL).files[0].sha256


def test_a_connection_cut_half_way_is_retried(server, tmp_path):
    handler, url = server
    handler.faults["idmc.rda"] = ["cut"]
    assert fetch([SMALL], root=tmp_path, mirror=url) == [SMALL]
    assert len(handler.requests) == 2
    source = catalogue.get(SMALL)
    assert file_sha256(source.local_path(root=tmp_path)) == source.files[0].sha256  # whole, the second time


def test_a_connection_that_keeps_dropping_leaves_nothing(server, tmp_path):
    handler, url = server
    handler.faults["syr_admin1.dbf"] = ["cut"] * 5
    with pytest.raises(FetchError, match=rf"Source {SHAPES}: could not download \S+/syr_admin1\.dbf after 3 attempts"
                                         r".*run `storykit fetch` again"):
        fetch([SHAPES], root=tmp_path, mirror=url)
    assert leftovers(tmp_path) == []  # not even the members that did arrive


def test_a_checksum_mismatch_names_source_and_both_hashes(server, tmp_path):
    handler, url = server
    handler.faults["idmc.rda"] = ["altered"]
    f = catalogue.get(SMALL).files[0]
    body = (Path(mirror()) / f.path).read_bytes()
    actual = hashlib.sha256(body[:-1] + bytes([body[-1] ^ 1])).hexdigest()  # what the server sent, hashed here
    with pytest.raises(FetchError, match=rf"Source {SMALL}: {re.escape(f.name)} from \S+ does not match the catalogue\.\n"
                                         rf"  expected SHA-256 {f.sha256}\n  actual SHA-256   {actual}\nNothing was kept"):
        fetch([SMALL], root=tmp_path, mirror=url)
    assert leftovers(tmp_path) == []
    assert fetch([SMALL], root=tmp_path, mirror=url) == [SMALL]  # the good mirror still works


@pytest.mark.parametrize("status", ["404", "500"])
def test_server_errors_are_reported(server, tmp_path, status):
    handler, url = server
    handler.faults["idmc.rda"] = [status] * 5
    advice = "check the mirror's layout" if status == "404" else r"Try again later, or use another mirror"
    with pytest.raises(FetchError, match=rf"Source {SMALL}: the server answered {status} for \S+/idmc\.rda\. .*{advice}"):
        fetch([SMALL], root=tmp_path, mirror=url)
    assert leftovers(tmp_path) == []
    assert len(handler.requests) == (1 if status == "404" else 3)


def test_a_mirror_folder_without_the_file_is_reported(tmp_path):
    with pytest.raises(FetchError, match=rf"Source {SMALL}: \S+ does not exist\. Check that STORYKIT_MIRROR points"):
        fetch([SMALL], root=tmp_path / "raw", mirror=str(tmp_path / "nowhere"))
    assert not (tmp_path / "raw").exists() or leftovers(tmp_path / "raw") == []


def test_an_unknown_source_id_lists_the_known_ones(tmp_path):
    with pytest.raises(StorykitError, match="There is no source called 'nope' in the catalogue. Known sources: .*idmc_idps"):
        fetch(["nope"], root=tmp_path, mirror=mirror())


def test_catalogue_covers_every_mirrored_file():
    root = Path(mirror())
    mirrored = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".md"}
    catalogued = {f.path for s in catalogue.sources().values() for f in s.files if not f.package}
    assert catalogued == mirrored


PACKAGED = "gapminder_population"  # shipped inside the plotly package (catalogue.toml)


def test_a_packaged_file_comes_from_the_installed_package_whatever_the_mirror(tmp_path):
    assert fetch([PACKAGED], root=tmp_path / "raw", mirror=str(tmp_path / "nowhere")) == [PACKAGED]
    source = catalogue.get(PACKAGED)
    assert file_sha256(source.local_path(root=tmp_path / "raw")) == source.files[0].sha256


def test_a_packaged_file_from_another_version_of_its_package_is_refused_by_name(tmp_path, monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1")
    with pytest.raises(FetchError, match=r"gapminder.csv.gz comes with the Python package plotly 7\.1\.0, and "
                                         r"plotly 0\.0\.1 is installed: install the pinned one"):
        fetch([PACKAGED], root=tmp_path / "raw")
    assert not (tmp_path / "raw").exists() or leftovers(tmp_path / "raw") == []
