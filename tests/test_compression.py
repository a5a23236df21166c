"""Compressed sidecars: build writes X.br and X.gz beside the text files, serve sends them by
Accept-Encoding (real HTTP on 127.0.0.1), a folder publish copies them, an S3 publish does not."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import brotli
import pytest

from artoiscast.build import build
from artoiscast.compress import MIN_SIZE, sidecars
from artoiscast.publish import publish
from artoiscast.serve.http import codings
from artoiscast.storage.local import LocalStorage
from artoiscast.storage.s3 import S3Storage
from conftest import make_catalog
from s3server import SeaweedS3
from test_serve import Server

PAGE = ("<!doctype html><title>Radioscopie</title>" + "<p>L’Artois, aujourd’hui et demain.</p>\n" * 60).encode()


def test_sidecars_are_smaller_deterministic_and_cached(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(4000)
    files: dict[str, bytes | Path] = {"index.html": PAGE, "feeds/all.xml": PAGE, "tiny.css": b"a{}" * 10,
                                      "noise.txt": noise, "art/x.png": PAGE, "media/a.mp3": tmp_path,
                                      "manifest.json": PAGE}
    made = sidecars(files, tmp_path / "c")
    assert set(made) == {"index.html.br", "index.html.gz", "feeds/all.xml.br", "feeds/all.xml.gz"}
    assert brotli.decompress(made["index.html.br"]) == PAGE and gzip.decompress(made["index.html.gz"]) == PAGE
    assert all(len(v) < len(PAGE) for v in made.values())
    assert made["index.html.gz"][4:8] == b"\0\0\0\0"  # gzip mtime 0
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "c").rglob("*") if p.is_file()}
    assert sidecars(files, tmp_path / "c") == made
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "c").rglob("*") if p.is_file()} == cached  # not again
    assert sidecars(files, tmp_path / "fresh") == made  # the same bytes from scratch
    assert sidecars({"other.html": PAGE + b"x"}, tmp_path / "c") and \
        len([p for p in (tmp_path / "c").rglob("*") if p.is_file()]) == 2  # the unused ones removed
    assert len(PAGE) > MIN_SIZE


@pytest.mark.parametrize(("header", "expected"), [
    (None, ["identity"]), ("", ["identity"]), ("gzip", ["gzip", "identity"]), ("br, gzip", ["br", "gzip", "identity"]),
    ("gzip;q=1, br;q=0.5", ["gzip", "br", "identity"]), ("br;q=0, gzip;q=0", ["identity"]),
    ("identity", ["identity"]), ("*", ["br", "gzip", "identity"]), ("*;q=0, gzip", ["gzip"]),
    ("gzip, identity;q=0", ["gzip"]), ("x-gzip", ["gzip", "identity"]), ("BR;Q=0.9, deflate", ["br", "identity"]),
    ("gzip;q=abc, br;q=2", ["identity"]), ("gzip;level=9", ["identity"]),
])
def test_accept_encoding(header: str | None, expected: list[str]) -> None:
    assert codings(header) == expected


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_catalog(tmp_path_factory.mktemp("z") / "show")
    build(root)
    return root


@pytest.fixture(scope="module")
def server(built: Path):  # type: ignore[no-untyped-def]
    srv = Server(built / "build" / "site")
    yield srv
    srv.stop()


def test_build_writes_and_lists_sidecars(built: Path) -> None:
    site = built / "build" / "site"
    listed = json.loads((site / "manifest.json").read_bytes())["files"]
    for key in ("index.html", "feeds/all.xml", "assets/style.css", "assets/player.js"):
        assert key + ".br" in listed and key + ".gz" in listed, key
        data = (site / key).read_bytes()
        assert brotli.decompress((site / (key + ".br")).read_bytes()) == data
        assert gzip.decompress((site / (key + ".gz")).read_bytes()) == data
    css, page = (site / "assets" / "style.css").read_bytes(), (site / "index.html").read_bytes()
    assert (site / "assets" / "style.css.br").read_bytes() == brotli.compress(css, quality=11)  # the package's: best
    assert (site / "index.html.br").read_bytes() == brotli.compress(page, quality=6)
    assert not any(k.endswith((".mp3.gz", ".mp3.br", ".png.gz", ".webp.br", "manifest.json.gz")) for k in listed)


def test_serve_negotiates(server: Server, built: Path) -> None:
    site = built / "build" / "site"
    page = (site / "index.html").read_bytes()
    plain, body = server.request("GET", "/", {})
    assert body == page and plain.getheader("Content-Encoding") is None and plain.getheader("Vary") == "Accept-Encoding"
    br, body = server.request("GET", "/", {"Accept-Encoding": "gzip, deflate, br"})
    assert br.getheader("Content-Encoding") == "br" and brotli.decompress(body) == page
    assert br.getheader("Vary") == "Accept-Encoding" and br.getheader("Content-Type") == "text/html; charset=utf-8"
    assert int(br.getheader("Content-Length")) == len(body) < len(page)
    gz, body = server.request("GET", "/index.html", {"Accept-Encoding": "br;q=0.1, gzip"})
    assert gz.getheader("Content-Encoding") == "gzip" and gzip.decompress(body) == page
    none, body = server.request("GET", "/", {"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert none.getheader("Content-Encoding") is None and body == page
    ident, body = server.request("GET", "/", {"Accept-Encoding": "identity"})
    assert ident.getheader("Content-Encoding") is None and body == page
    etags = {plain.getheader("ETag"), br.getheader("ETag"), gz.getheader("ETag")}
    assert len(etags) == 3  # one per representation
    head, body = server.request("HEAD", "/", {"Accept-Encoding": "br"})
    assert body == b"" and head.getheader("Content-Encoding") == "br"
    assert head.getheader("Content-Length") == br.getheader("Content-Length") and head.getheader("Vary")


def test_range_and_conditionals(server: Server, built: Path) -> None:
    feed = (built / "build" / "site" / "feeds" / "all.xml").read_bytes()
    part, body = server.request("GET", "/feeds/all.xml", {"Accept-Encoding": "br, gzip", "Range": "bytes=0-99"})
    assert part.status == 206 and body == feed[:100] and part.getheader("Content-Encoding") is None
    assert part.getheader("Vary") == "Accept-Encoding"
    br, _ = server.request("GET", "/feeds/all.xml", {"Accept-Encoding": "br"})
    gz, _ = server.request("GET", "/feeds/all.xml", {"Accept-Encoding": "gzip"})
    same, body = server.request("GET", "/feeds/all.xml", {"Accept-Encoding": "br", "If-None-Match": br.getheader("ETag")})
    assert same.status == 304 and body == b"" and same.getheader("ETag") == br.getheader("ETag")
    assert same.getheader("Vary") == "Accept-Encoding"
    other, body = server.request("GET", "/feeds/all.xml", {"Accept-Encoding": "gzip", "If-None-Match": br.getheader("ETag")})
    assert other.status == 200 and gzip.decompress(body) == feed and other.getheader("ETag") == gz.getheader("ETag")
    plain, body = server.request("GET", "/feeds/all.xml", {"If-None-Match": gz.getheader("ETag")})
    assert plain.status == 200 and body == feed


def test_sidecars_are_not_pages_and_media_is_not_varied(server: Server, built: Path) -> None:
    assert server.request("GET", "/index.html.gz", {})[0].status == 404
    assert server.request("GET", "/feeds/all.xml.br", {"Accept-Encoding": "br"})[0].status == 404
    listed = json.loads((built / "build" / "site" / "manifest.json").read_bytes())["files"]
    media = next(k for k in listed if k.endswith(".mp3"))
    resp, _ = server.request("HEAD", f"/{media}", {"Accept-Encoding": "br, gzip"})
    assert resp.status == 200 and resp.getheader("Vary") is None and resp.getheader("Content-Encoding") is None


def test_a_stale_sidecar_is_never_sent(tmp_path: Path) -> None:
    root = tmp_path / "public"
    root.mkdir()
    (root / "a.html").write_bytes(PAGE)
    (root / "a.html.gz").write_bytes(gzip.compress(PAGE))
    old = os.stat(root / "a.html").st_mtime_ns
    os.utime(root / "a.html.gz", ns=(old - 10**9, old - 10**9))  # older than its file: of a previous version
    srv = Server(root)
    try:
        resp, body = srv.request("GET", "/a.html", {"Accept-Encoding": "gzip"})
        assert resp.getheader("Content-Encoding") is None and body == PAGE
        os.utime(root / "a.html.gz", ns=(old + 10**9, old + 10**9))
        resp, body = srv.request("GET", "/a.html", {"Accept-Encoding": "gzip"})
        assert resp.getheader("Content-Encoding") == "gzip" and gzip.decompress(body) == PAGE
    finally:
        srv.stop()


def test_a_sidecar_that_leads_out_of_the_folder_is_never_sent(tmp_path: Path) -> None:
    """``a.html.gz`` a symlink to a file outside the served folder (a planted secret, gzipped):
    the page itself is sent, the outside file never, under either name."""
    root = tmp_path / "public"
    root.mkdir()
    (root / "a.html").write_bytes(PAGE)
    secret = tmp_path / "secret.gz"
    secret.write_bytes(gzip.compress(b"SECRET " * 200))
    (root / "a.html.gz").symlink_to(secret)
    srv = Server(root)
    try:
        resp, body = srv.request("GET", "/a.html", {"Accept-Encoding": "gzip"})
        assert resp.status == 200 and resp.getheader("Content-Encoding") is None and body == PAGE
        resp, _ = srv.request("GET", "/a.html.gz", {"Accept-Encoding": "gzip"})
        assert resp.status == 404
    finally:
        srv.stop()


def test_folder_publish_copies_sidecars_and_serve_sends_them(built: Path, tmp_path: Path) -> None:
    site = built / "build" / "site"
    plan = publish(site, LocalStorage(tmp_path / "www"))
    assert "index.html.br" in plan.uploads and plan.uploads.index("index.html.br") > plan.uploads.index("feeds/all.xml")
    srv = Server(tmp_path / "www")
    try:
        resp, body = srv.request("GET", "/", {"Accept-Encoding": "br"})
        assert resp.getheader("Content-Encoding") == "br" and brotli.decompress(body) == (site / "index.html").read_bytes()
    finally:
        srv.stop()


def test_s3_gets_no_sidecars(s3server: SeaweedS3, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in s3server.env.items():
        monkeypatch.setenv(name, value)
    s3server.make_bucket("zipped")
    storage = S3Storage("zipped", prefix="show", endpoint_url=s3server.endpoint, path_style=True)
    site = built / "build" / "site"
    plan = publish(site, storage)
    stored = storage.list()
    assert "index.html" in stored and not any(k.endswith((".br", ".gz")) for k in stored)
    published = json.loads(storage.get("manifest.json") or b"{}")
    built_files = json.loads((site / "manifest.json").read_bytes())["files"]
    assert set(published["files"]) == {k for k in built_files if not k.endswith((".br", ".gz"))}
    assert set(plan.uploads) == set(published["files"]) | {"manifest.json"}
    assert publish(site, storage).uploads == []  # nothing to do the second time
