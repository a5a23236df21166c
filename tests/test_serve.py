"""artoiscast serve: a real aiohttp server on 127.0.0.1, spoken to with http.client."""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import artoiscast
from artoiscast import serve
from artoiscast.serve import app as serve_app
from artoiscast.serve import cache as serve_cache
from artoiscast.errors import ArtoiscastError

MP3 = "/media/x/x-abcd1234.mp3"
SIZE = 100_000
FEED = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>t</title></channel></rss>\n'
QUOTED = r'(?:[^"\\]|\\.)*'  # a combined-log field: \" and \\ escaped
COMBINED = re.compile(r'^(?P<ip>\S+) - - \[(?P<time>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
                      rf'"(?P<request>{QUOTED})" (?P<status>\d{{3}}) (?P<bytes>\d+|-) '
                      rf'"(?P<referer>{QUOTED})" "(?P<agent>{QUOTED})"$')


def build_tree(root: Path) -> dict[str, bytes]:
    files = {
        "feeds/all.xml": FEED,
        "media/x/x-abcd1234.mp3": random.Random(1234).randbytes(SIZE),
        "chapters/x.json": b'{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}\n',
        "transcripts/x.vtt": b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour.\n",
        "transcripts/x.json": b'{"version": "1.0.0", "segments": []}\n',
        "index.html": b"<!doctype html><title>home</title>\n",
        "episodes/x/index.html": b"<!doctype html><title>x</title>\n",
        "manifest.json": b"{}\n",
        "embed/x.oembed.json": b'{"type": "rich", "version": "1.0"}\n',
        "art/cover-0123abcd.png": b"\x89PNG\r\n\x1a\n" + bytes(32),
    }
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return files


class Server:
    """serve.start() on port 0 in a background thread with its own event loop."""

    def __init__(self, root: Path, access_log: Path | None = None, verbose: bool = False, cache: bool = True):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        options: dict[str, Any] = {"verbose": True} if verbose else {}
        if not cache:
            options["cache"] = False
        self.runner, self.url = self._call(serve.start(root, port=0, access_log=access_log, **options))
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, timeout: float = 30
                ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp, resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self._call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, bytes], Path]]:
    base = tmp_path_factory.mktemp("serve")
    root = base / "public"
    root.mkdir()
    files = build_tree(root)
    (base / "secret.txt").write_bytes(b"outside the root\n")
    (root / "leak.txt").symlink_to(base / "secret.txt")
    (root / "leakdir").symlink_to(base)
    (root / "feeds" / "latest.xml").symlink_to(root / "feeds" / "all.xml")  # inside: fine
    server = Server(root)
    yield server, files, root
    server.stop()


# ---------------------------------------------------------------- pure functions


@pytest.mark.parametrize("raw, parts", [
    ("/", ()),
    ("/feeds/all.xml", ("feeds", "all.xml")),
    ("/episodes/x/", ("episodes", "x")),
    ("/a%20b.mp3?feed=energy", ("a b.mp3",)),
    ("/.well-known/x", (".well-known", "x")),
    ("/../etc/passwd", None),
    ("/%2e%2e/%2e%2e/etc/passwd", None),
    ("/a/%2E%2E%2Fb", None),
    ("//etc/passwd", None),
    ("/%2fetc%2fpasswd", None),
    ("/a/./b", None),
    ("/a%00b", None),
    ("/a%5c..%5cb", None),
    ("/%ff", None),
    ("/%zz", None),
    ("/100%.txt", None),
    ("/a%2", None),
    ("/feeds/.all.xml.123.part", None),
    ("etc/passwd", None),
])
def test_url_parts(raw: str, parts: tuple[str, ...] | None) -> None:
    assert serve.url_parts(raw) == parts


@pytest.mark.parametrize("key, ctype", [
    ("feeds/all.xml", "application/rss+xml; charset=utf-8"),
    ("sitemap.xml", "application/xml"),
    ("media/x/x-1.mp3", "audio/mpeg"),
    ("media/x/x-1.m4a", "audio/mp4"),
    ("transcripts/x.vtt", "text/vtt; charset=utf-8"),
    ("transcripts/x.srt", "application/x-subrip"),
    ("chapters/x.json", "application/json+chapters"),
    ("transcripts/x.json", "application/json"),
    ("index.html", "text/html; charset=utf-8"),
    ("player.js", "text/javascript; charset=utf-8"),
    ("art/c-1.jpeg", "image/jpeg"),
    ("art/c-1.svg", "image/svg+xml"),
    ("readme.unknown", "application/octet-stream"),
])
def test_content_types(key: str, ctype: str) -> None:
    assert serve.file_headers(key)["Content-Type"] == ctype


def test_cache_and_cors_table() -> None:
    # media keeps its key when its tags are edited (named by the sound): a day, then revalidated
    assert serve.file_headers("media/x/x-1.mp3")["Cache-Control"] == "public, max-age=86400"
    assert serve.file_headers("art/c-1.png")["Cache-Control"] == "public, max-age=31536000, immutable"
    assert serve.file_headers("feeds/all.xml")["Cache-Control"] == "public, max-age=300"
    assert serve.file_headers("manifest.json")["Cache-Control"] == "public, max-age=300"
    assert serve.file_headers("episodes/x/index.html")["Cache-Control"] == "public, max-age=3600"
    for key in ("feeds/all.xml", "transcripts/x.vtt", "chapters/x.json", "media/x/x.mp3", "art/c.png",
                "embed/x.oembed.json", "oembed/x.json"):
        assert serve.file_headers(key)["Access-Control-Allow-Origin"] == "*", key
    for key in ("index.html", "episodes/x/index.html", "manifest.json"):
        assert "Access-Control-Allow-Origin" not in serve.file_headers(key), key


BIG = "9" * 5000  # Python's int() refuses strings of more than 4300 digits
MTIME = 1445412479.25  # Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT (the second after)


@pytest.mark.parametrize("rng, if_range, action", [
    (None, None, "none"),
    ("bytes=0-99", None, "serve"),
    ("bytes=-10", None, "serve"),
    ("bytes=500000-", None, "serve"),  # byte_range says 416
    ("bytes=-0", None, "unsatisfiable"),
    ("bytes=-" + "0" * 5000, None, "unsatisfiable"),
    ("bytes=0-1,5-6", None, "ignore"),
    ("bytes=0-1,0-1,0-1", None, "ignore"),
    (",".join(f"bytes={i}-{i}" if i == 0 else f"{i}-{i}" for i in range(500)), None, "ignore"),
    ("bytes=0-99,", None, "serve"),  # an empty list element is no second range
    ("bytes=9-2", None, "ignore"),
    ("bytes=-", None, "ignore"),
    ("lines=1-2", None, "ignore"),
    ("bytes=\u0661-2", None, "ignore"),  # int() takes Arabic-Indic digits; HTTP does not
    (f"bytes={BIG}-", None, "serve"),  # byte_range says 416
    (f"bytes=0-{BIG}", None, "serve"),
    (f"bytes=-{BIG}", None, "serve"),
    (f"bytes={BIG}-{BIG[:-1]}", None, "ignore"),  # last before first, both huge
    (f"bytes=5-{BIG}", None, "serve"),
    ("bytes=0-99", '"abc"', "serve"),
    ("bytes=0-99", '"old"', "ignore"),
    ("bytes=0-99", 'W/"abc"', "ignore"),
    ("bytes=0-99", f'"{"a" * 8000}"', "ignore"),
    ("bytes=0-99", "Wed, 21 Oct 2015 07:28:00 GMT", "serve"),  # exactly the Last-Modified
    ("bytes=0-99", "Wed, 21 Oct 2015 07:28:01 GMT", "ignore"),  # RFC 9110: only an exact match
    ("bytes=0-99", "Wed, 21 Oct 2015 07:27:59 GMT", "ignore"),
    ("bytes=0-99", "Mon, 01 Jan 99999999999 00:00:00 GMT", "ignore"),  # aiohttp: OverflowError
    ("bytes=0-99", "garbage", "ignore"),
])
def test_range_action(rng: str | None, if_range: str | None, action: str) -> None:
    assert serve.range_action(rng, if_range, '"abc"', MTIME) == action


@pytest.mark.parametrize("value, stamp", [
    ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0),
    ("Wednesday, 21-Oct-15 07:28:00 GMT", 1445412480.0),
    ("Wed Oct 21 07:28:00 2015", 1445412480.0),
    ("Mon, 01 Jan 99999999999 00:00:00 GMT", None),  # aiohttp's parser: OverflowError
    ("Mon, 01 Jan 2001 99999999999999999999:00:00 GMT", None),
    (f"Mon, 01 Jan {BIG} 00:00:00 GMT", None),
    ("Mon, 31 Feb 2001 00:00:00 GMT", None),
    ("garbage", None),
    ("", None),
    (None, None),
])
def test_http_date(value: str | None, stamp: float | None) -> None:
    assert serve.http_date(value) == stamp


@pytest.mark.parametrize("rng, span", [
    ("bytes=0-99", (0, 99)),
    (f"bytes=0-{BIG}", (0, "BEYOND")),
    (f"bytes=-{BIG}", (None, "BEYOND")),
    (f"bytes={BIG}-", ("BEYOND", None)),
    ("bytes=007-", (7, None)),
    ("bytes=-0", (None, 0)),
    ("bytes=0-1,5-6", None),
])
def test_parse_range_caps_positions_at_beyond(rng: str, span: Any) -> None:
    expected = span and tuple(serve.BEYOND if side == "BEYOND" else side for side in span)
    assert serve.parse_range(rng) == expected
    assert serve.BEYOND == 10 ** 18  # past any file: no int() of thousands of digits


ETAG = '"abc"'


@pytest.mark.parametrize("headers, status, span", [
    ({}, 200, (0, 99)),
    ({"Range": "bytes=10-19"}, 206, (10, 19)),
    ({"Range": "bytes=100-"}, 416, None),
    ({"Range": "bytes=-0"}, 416, None),
    ({"If-Match": '"other"'}, 412, None),
    ({"If-Match": f'W/{ETAG}'}, 412, None),  # If-Match compares strongly
    ({"If-Match": f'"other", {ETAG}', "Range": "bytes=0-9"}, 206, (0, 9)),
    ({"If-Match": "*"}, 200, (0, 99)),
    ({"If-Match": ""}, 200, (0, 99)),  # empty: no precondition (as aiohttp)
    ({"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 412, None),
    ({"If-Unmodified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}, 200, (0, 99)),
    ({"If-Match": ETAG, "If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200, (0, 99)),
    ({"If-Unmodified-Since": "Mon, 01 Jan 99999999999 00:00:00 GMT"}, 200, (0, 99)),  # not a date: ignored
    ({"If-None-Match": f"W/{ETAG}"}, 304, None),
    ({"If-None-Match": '"other"', "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}, 200, (0, 99)),
    ({"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}, 304, None),
    ({"If-Match": '"other"', "If-None-Match": ETAG}, 412, None),  # 412 before 304 (RFC 9110 13.2.2)
    ({"Range": "bytes=0-9", "If-Range": '"other"'}, 200, (0, 99)),
])
def test_answer_follows_rfc_9110_order(headers: dict[str, str], status: int, span: Any) -> None:
    got = serve.answer(headers, ETAG, MTIME, 100)
    assert got.status == status
    if span is not None:
        assert (got.start, got.end) == span


# ---------------------------------------------------------------- over HTTP


def test_get_whole_file(site: Any) -> None:
    server, files, _ = site
    resp, body = server.request("GET", MP3)
    assert resp.status == 200
    assert body == files["media/x/x-abcd1234.mp3"]
    assert resp.getheader("Content-Length") == str(SIZE)
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert resp.getheader("Content-Type") == "audio/mpeg"
    assert resp.getheader("Cache-Control") == "public, max-age=86400"


def test_query_string_is_ignored(site: Any) -> None:
    server, files, _ = site
    resp, body = server.request("GET", MP3 + "?feed=energy")
    assert resp.status == 200 and body == files["media/x/x-abcd1234.mp3"]


def test_head(site: Any) -> None:
    server, _, _ = site
    resp, body = server.request("HEAD", MP3)
    assert resp.status == 200
    assert body == b""
    assert resp.getheader("Content-Length") == str(SIZE)
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert resp.getheader("ETag") and resp.getheader("Last-Modified")


def test_range(site: Any) -> None:
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-99"})
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes 0-99/{SIZE}"
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert body == data[:100]
    resp, body = server.request("GET", MP3, {"Range": "bytes=-10"})
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes {SIZE - 10}-{SIZE - 1}/{SIZE}"
    assert body == data[-10:]
    resp, body = server.request("GET", MP3, {"Range": f"bytes={SIZE - 5}-"})
    assert resp.status == 206 and body == data[-5:]


def test_range_not_satisfiable(site: Any) -> None:
    server, _, _ = site
    for rng in (f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"):
        resp, _ = server.request("GET", MP3, {"Range": rng})
        assert resp.status == 416, rng
        assert resp.getheader("Content-Range") == f"bytes */{SIZE}", rng
        assert resp.getheader("Accept-Ranges") == "bytes", rng


def test_ignored_ranges_give_whole_file(site: Any) -> None:
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    for rng in ("bytes=0-1,5-6", "bytes=9-2", "items=0-1"):
        resp, body = server.request("GET", MP3, {"Range": rng})
        assert resp.status == 200 and body == data, rng


def test_if_range(site: Any) -> None:
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    etag = server.request("HEAD", MP3)[0].getheader("ETag")
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-9", "If-Range": etag})
    assert resp.status == 206 and body == data[:10]
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-9", "If-Range": '"stale-etag"'})
    assert resp.status == 200 and body == data


def test_conditional_get(site: Any) -> None:
    server, _, _ = site
    first, _ = server.request("GET", "/feeds/all.xml")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert etag and modified
    assert email.utils.parsedate_to_datetime(modified)
    resp, body = server.request("GET", "/feeds/all.xml", {"If-None-Match": etag})
    assert resp.status == 304 and body == b""
    assert resp.getheader("ETag") == etag
    resp, body = server.request("GET", "/feeds/all.xml", {"If-Modified-Since": modified})
    assert resp.status == 304 and body == b""
    resp, _ = server.request("GET", "/feeds/all.xml", {"If-None-Match": '"something-else"'})
    assert resp.status == 200


@pytest.mark.parametrize("path, ctype", [
    ("/feeds/all.xml", "application/rss+xml; charset=utf-8"),
    (MP3, "audio/mpeg"),
    ("/chapters/x.json", "application/json+chapters"),
    ("/transcripts/x.vtt", "text/vtt; charset=utf-8"),
    ("/transcripts/x.json", "application/json"),
    ("/manifest.json", "application/json"),
    ("/index.html", "text/html; charset=utf-8"),
    ("/", "text/html; charset=utf-8"),
    ("/art/cover-0123abcd.png", "image/png"),
])
def test_content_type_over_http(site: Any, path: str, ctype: str) -> None:
    server, _, _ = site
    resp, _ = server.request("GET", path)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == ctype


def test_cors(site: Any) -> None:
    server, _, _ = site
    for path in ("/feeds/all.xml", "/chapters/x.json", "/transcripts/x.vtt", MP3, "/embed/x.oembed.json"):
        resp, _ = server.request("GET", path, {"Origin": "https://partner.example"})
        assert resp.getheader("Access-Control-Allow-Origin") == "*", path
        assert "Content-Range" in resp.getheader("Access-Control-Expose-Headers", ""), path
    resp, _ = server.request("GET", "/index.html")
    assert resp.status == 200
    assert resp.getheader("Cache-Control") == "public, max-age=3600"


def test_preflight(site: Any) -> None:
    server, _, _ = site
    resp, body = server.request("OPTIONS", MP3, {
        "Origin": "https://partner.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    assert resp.status == 204 and body == b""
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert set(resp.getheader("Access-Control-Allow-Methods").replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert "range" in resp.getheader("Access-Control-Allow-Headers").lower()


def test_other_methods_refused(site: Any) -> None:
    server, _, _ = site
    resp, _ = server.request("POST", "/feeds/all.xml")
    assert resp.status == 405


@pytest.mark.parametrize("path", [
    "/../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/feeds/..%2f..%2fsecret.txt",
    "//etc/passwd",
    "/leak.txt",
    "/leakdir/secret.txt",
    "/leakdir/",
    "/index.html%00.mp3",
    "/nope.mp3",
    "/index.html/",
])
def test_refused_or_missing(site: Any, path: str) -> None:
    server, _, _ = site
    resp, body = server.request("GET", path)
    assert resp.status == 404, path
    assert b"outside" not in body and b"root:" not in body
    assert resp.getheader("Content-Type").startswith("text/plain")


def test_symlink_inside_root_is_served(site: Any) -> None:
    server, files, _ = site
    resp, body = server.request("GET", "/feeds/latest.xml")
    assert resp.status == 200 and body == files["feeds/all.xml"]


def test_directory_redirect_and_index(site: Any) -> None:
    server, files, _ = site
    resp, _ = server.request("GET", "/episodes/x")
    assert resp.status == 301
    assert resp.getheader("Location") == "/episodes/x/"
    resp, _ = server.request("GET", "/episodes/x?t=1")
    assert resp.status == 301 and resp.getheader("Location") == "/episodes/x/?t=1"
    resp, body = server.request("GET", "/episodes/x/")
    assert resp.status == 200
    assert body == files["episodes/x/index.html"]
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    resp, body = server.request("GET", "/")
    assert resp.status == 200 and body == files["index.html"]
    resp, _ = server.request("GET", "/media/")  # a folder without index.html
    assert resp.status == 404


def test_access_log(tmp_path: Path) -> None:
    root = tmp_path / "public"
    root.mkdir()
    files = build_tree(root)
    log = tmp_path / "logs" / "access.log"
    server = Server(root, access_log=log)
    try:
        agent = 'AntennaPod/3.4 "beta"'
        server.request("GET", MP3 + "?feed=energy", {"User-Agent": agent, "Referer": "http://x.example/"})
        server.request("GET", MP3, {"Range": "bytes=0-1", "User-Agent": agent})
        server.request("HEAD", "/feeds/all.xml")
        server.request("GET", "/missing")
    finally:
        server.stop()  # the log is complete once the server has stopped
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    got = [COMBINED.match(line) for line in lines]
    assert all(got), lines
    full, probe, head, missing = (m.groupdict() for m in got if m)
    assert full["ip"] == "127.0.0.1"
    assert full["request"] == f"GET {MP3}?feed=energy HTTP/1.1"
    assert (full["status"], full["bytes"]) == ("200", str(SIZE))
    assert full["referer"] == "http://x.example/"
    assert full["agent"] == 'AntennaPod/3.4 \\"beta\\"'
    assert (probe["status"], probe["bytes"]) == ("206", "2")
    assert (head["request"], head["status"], head["bytes"]) == ("HEAD /feeds/all.xml HTTP/1.1", "200", "-")
    assert (missing["status"], missing["bytes"]) == ("404", str(len("404: not found\n")))
    assert files  # the tree was really built


def test_start_errors(tmp_path: Path) -> None:
    with pytest.raises(ArtoiscastError, match="not a folder"):
        serve.make_app(tmp_path / "nope")
    root = tmp_path / "public"
    root.mkdir()
    server = Server(root)
    try:
        with pytest.raises(ArtoiscastError, match="cannot listen"):
            server._call(serve.start(root, port=server.port))
    finally:
        server.stop()


# ---------------------------------------------------------------- the fast path


@pytest.mark.parametrize("header, size, span", [
    ("bytes=0-99", 1000, (0, 99)),
    ("bytes=990-2000", 1000, (990, 999)),
    ("bytes=-10", 1000, (990, 999)),
    ("bytes=-5000", 1000, (0, 999)),
    ("bytes=500-", 1000, (500, 999)),
    ("bytes=1000-", 1000, None),
    ("bytes=0-", 0, None),
    ("bytes=-1", 0, None),
    (f"bytes={BIG}-", 1000, None),
    (f"bytes=0-{BIG}", 1000, (0, 999)),
    (f"bytes=-{BIG}", 1000, (0, 999)),
    (f"bytes=10-{BIG}", 1000, (10, 999)),
    ("bytes=0-99,", 1000, (0, 99)),
])
def test_byte_range(header: str, size: int, span: tuple[int, int] | None) -> None:
    assert serve.byte_range(header, size) == span


@pytest.mark.parametrize("header, matches", [
    ('"abc"', True),
    ('W/"abc"', True),
    ('"x", "abc"', True),
    ("*", True),
    ('"abcd"', False),
    ('"x"', False),
])
def test_etag_matches(header: str, matches: bool) -> None:
    assert serve.etag_matches(header, '"abc"') is matches


def test_file_cache_keeps_small_bodies_within_budget(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    for name in "abc":
        (root / f"{name}.txt").write_bytes(name.encode() * 40)
    (root / "big.txt").write_bytes(b"x" * 200)
    cache = serve.FileCache(root, small=100, budget=100, routes=2)
    entries = {}
    for name in ("a", "b", "c", "big"):
        entry = cache.lookup(f"/{name}.txt")
        assert isinstance(entry, serve.Entry)
        cache.remember(entry, (root / f"{name}.txt").read_bytes())
        entries[name] = entry
    assert cache.cached_body(entries["a"]) is None  # the least recently used went first
    assert cache.cached_body(entries["b"]) == b"b" * 40 and cache.cached_body(entries["c"]) == b"c" * 40
    assert cache.cached_body(entries["big"]) is None  # above the small-file size
    assert cache.blob_bytes == 80
    assert len(cache._routes) == 2  # bounded: the oldest resolutions were dropped


def test_replaced_files_are_served_fresh(tmp_path: Path) -> None:
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)
    server = Server(root)
    try:
        first, body = server.request("GET", "/feeds/all.xml")
        assert body == FEED
        new = FEED.replace(b"<title>t</title>", b"<title>new</title>")
        tmp = root / "feeds" / ".all.xml.part"
        tmp.write_bytes(new)
        tmp.replace(root / "feeds" / "all.xml")  # how publish writes: a new inode renamed into place
        resp, body = server.request("GET", "/feeds/all.xml")
        assert resp.status == 200 and body == new
        assert resp.getheader("ETag") != first.getheader("ETag")
        resp, _ = server.request("GET", "/feeds/all.xml", {"If-None-Match": first.getheader("ETag")})
        assert resp.status == 200
        with (root / "feeds" / "all.xml").open("ab") as f:  # rewritten in place
            f.write(b"<!-- more -->\n")
        resp, body = server.request("GET", "/feeds/all.xml", {"Range": "bytes=-14"})
        assert resp.status == 206 and body == b"<!-- more -->\n"
        (root / "feeds" / "all.xml").unlink()
        assert server.request("GET", "/feeds/all.xml")[0].status == 404
    finally:
        server.stop()


def test_cached_paths_swapped_for_symlinks_out_of_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)
    outside = tmp_path / "outside"
    (outside / "x").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(b"outside the root\n")
    (outside / "x" / "x-abcd1234.mp3").write_bytes(b"outside the root\n")
    server = Server(root)
    try:
        for path in ("/feeds/all.xml", MP3, "/episodes/x/"):
            assert server.request("GET", path)[0].status == 200, path  # resolved and cached
        (root / "feeds" / "all.xml").unlink()
        (root / "feeds" / "all.xml").symlink_to(outside / "secret.txt")
        (root / "media" / "x").rename(tmp_path / "old-x")
        (root / "media" / "x").symlink_to(outside / "x", target_is_directory=True)  # a parent folder swapped
        (root / "episodes" / "x").rename(tmp_path / "old-ep")
        (root / "episodes" / "x").symlink_to(tmp_path / "old-ep", target_is_directory=True)
        for path in ("/feeds/all.xml", MP3, "/episodes/x/"):
            resp, body = server.request("GET", path, {"Range": "bytes=0-5"})
            assert resp.status == 404 and b"outside" not in body, path
    finally:
        server.stop()


def test_large_files_ranges_and_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above SMALL_FILE: ranges up to PREAD_MAX by pread, longer ones and whole files by sendfile."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    monkeypatch.setattr(serve_app, "PREAD_MAX", 5000)
    root = tmp_path / "public"
    root.mkdir()
    data = build_tree(root)["media/x/x-abcd1234.mp3"]
    log = tmp_path / "access.log"
    server = Server(root, access_log=log)
    try:
        resp, body = server.request("GET", MP3, {"Range": "bytes=1000-1999"})
        assert resp.status == 206 and body == data[1000:2000]
        assert resp.getheader("Content-Range") == f"bytes 1000-1999/{SIZE}"
        assert resp.getheader("Content-Type") == "audio/mpeg" and resp.getheader("ETag")
        resp, body = server.request("GET", MP3, {"Range": "bytes=10000-29999"})
        assert resp.status == 206 and body == data[10000:30000]
        resp, body = server.request("HEAD", MP3, {"Range": "bytes=0-99"})
        assert resp.status == 206 and body == b"" and resp.getheader("Content-Length") == "100"
        resp, body = server.request("GET", MP3)
        assert resp.status == 200 and body == data
        resp, _ = server.request("GET", MP3, {"Range": f"bytes={SIZE}-"})
        assert resp.status == 416 and resp.getheader("Content-Range") == f"bytes */{SIZE}"
    finally:
        server.stop()
    sizes = [m.group("bytes") for m in map(COMBINED.match, log.read_text().splitlines()) if m]
    assert sizes == ["1000", "20000", "-", str(SIZE), "-"]


def test_the_cache_answers_as_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same requests, twice each (the second from the cache), to a server with the route and
    body cache and one that resolves and reads every request afresh: the same status, headers
    (but Date) and body, through memory, pread and sendfile."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    monkeypatch.setattr(serve_app, "PREAD_MAX", 5000)
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)
    (root / "feeds" / "latest.xml").symlink_to(root / "feeds" / "all.xml")
    cached, plain = Server(root), Server(root, cache=False)
    try:
        etag = cached.request("HEAD", MP3)[0].getheader("ETag")
        modified = cached.request("HEAD", MP3)[0].getheader("Last-Modified")
        requests = [("GET", path, {}) for path in ("/", "/feeds/all.xml", "/feeds/latest.xml", "/episodes/x",
                                                    "/episodes/x/", "/nope", "/%zz", "/..%2fetc", MP3)]
        requests += [(method, MP3, headers) for method in ("GET", "HEAD") for headers in (
            {"Range": "bytes=0-9"}, {"Range": "bytes=1000-29999"}, {"Range": "bytes=-5"}, {"Range": f"bytes={SIZE}-"},
            {"Range": "bytes=0-1,5-6"}, {"If-None-Match": etag}, {"If-Match": '"other"'},
            {"If-Match": etag, "Range": "bytes=10-"}, {"Range": "bytes=0-9", "If-Range": modified},
            {"If-Modified-Since": modified}, {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})]
        requests += [("GET", "/feeds/all.xml", {"Range": "bytes=5-"}), ("HEAD", "/index.html", {})]
        for method, path, headers in requests * 2:
            got = []
            for server in (cached, plain):
                resp, body = server.request(method, path, headers)
                got.append((resp.status, sorted((k, v) for k, v in resp.getheaders() if k != "Date"), body))
            assert got[0] == got[1], (method, path, headers)
    finally:
        cached.stop()
        plain.stop()


def test_a_download_cut_short_logs_the_bytes_really_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client hanging up during a sendfile download: the access log counts the bytes that
    left, not the Content-Length."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    monkeypatch.setattr(serve_app, "PREAD_MAX", 5000)
    root = tmp_path / "public"
    (root / "media" / "x").mkdir(parents=True)
    size = 64 << 20  # far more than the socket buffers hold
    with (root / "media" / "x" / "big.mp3").open("wb") as f:
        f.truncate(size)
    log = tmp_path / "access.log"
    server = Server(root, access_log=log)
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            sock.sendall(b"GET /media/x/big.mp3 HTTP/1.1\r\nHost: x\r\n\r\n")
            received = 0
            while received < 1 << 20:
                received += len(sock.recv(1 << 16))
        time.sleep(0.5)
    finally:
        server.stop()
    sent = [m.group("bytes") for m in map(COMBINED.match, log.read_text().splitlines()) if m]
    assert len(sent) == 1 and 0 < int(sent[0]) < size, sent


def test_preconditions_and_if_range_dates(site: Any) -> None:
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    head = server.request("HEAD", MP3)[0]
    etag, modified = head.getheader("ETag"), head.getheader("Last-Modified")
    resp, body = server.request("GET", MP3, {"If-None-Match": f'"other", W/{etag}'})
    assert resp.status == 304 and body == b"" and resp.getheader("ETag") == etag
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    resp, _ = server.request("GET", MP3, {"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert resp.status == 200  # If-None-Match wins over If-Modified-Since
    resp, _ = server.request("GET", MP3, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert resp.status == 200
    resp, _ = server.request("GET", MP3, {"If-Match": '"other"'})
    assert resp.status == 412
    resp, body = server.request("GET", MP3, {"If-Match": etag, "Range": "bytes=0-9"})
    assert resp.status == 206 and body == data[:10]
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-9", "If-Range": modified})
    assert resp.status == 206 and body == data[:10]
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-9", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert resp.status == 200 and body == data


def test_a_file_swapped_between_check_and_read_is_resolved_again(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """If the folder is swapped for a symlink out of the root after the lstat check (a race),
    the read notices the different file and the path is resolved afresh: 404, never the outside file."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)
    outside = tmp_path / "outside" / "x"
    outside.mkdir(parents=True)
    (outside / "x-abcd1234.mp3").write_bytes(b"outside the root\n" * 10_000)
    server = Server(root)
    try:
        assert server.request("GET", MP3, {"Range": "bytes=0-9"})[0].status == 206  # resolved and cached
        monkeypatch.setattr(serve_cache, "still_holds", lambda entry: True)  # as if every lstat saw the old tree
        (root / "media" / "x").rename(tmp_path / "old-x")
        (root / "media" / "x").symlink_to(outside, target_is_directory=True)
        for headers in ({"Range": "bytes=0-9"}, {"Range": "bytes=100-50000"}, {}, {"If-Match": "*"}):
            resp, body = server.request("GET", MP3, headers)  # pread, pread, sendfile, sendfile after If-Match
            assert resp.status == 404 and b"outside" not in body, headers
    finally:
        server.stop()


def test_make_app_mounts_the_same_handler(tmp_path: Path) -> None:
    """make_app (for a larger aiohttp app) answers as ``serve`` does."""
    from aiohttp import web

    root = tmp_path / "public"
    root.mkdir()
    files = build_tree(root)
    server = Server(root)  # only for its event loop thread
    try:
        async def up() -> tuple[web.AppRunner, int]:
            runner = web.AppRunner(serve.make_app(root))
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner, runner.addresses[0][1]

        runner, port = server._call(up())
        server.port = port
        resp, body = server.request("GET", "/feeds/all.xml", {"Range": "bytes=0-4"})
        assert resp.status == 206 and body == files["feeds/all.xml"][:5]
        assert resp.getheader("Content-Type") == "application/rss+xml; charset=utf-8"
        assert server.request("OPTIONS", MP3)[0].getheader("Access-Control-Allow-Origin") == "*"
        assert server.request("POST", MP3)[0].status == 405
        assert server.request("GET", "/episodes/x")[0].getheader("Location") == "/episodes/x/"
        server._call(runner.cleanup())
    finally:
        server.stop()


# ---------------------------------------------------------------- hostile requests


def test_huge_range_numbers(site: Any) -> None:
    """A 5000-digit byte position (Python's int() refuses more than 4300 digits) is a position
    past any end: 416 for a first byte, the end of the file for a last byte (RFC 9110)."""
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    resp, body = server.request("GET", MP3, {"Range": f"bytes={BIG}-"})
    assert resp.status == 416 and resp.getheader("Content-Range") == f"bytes */{SIZE}"
    for rng in (f"bytes=0-{BIG}", f"bytes=-{BIG}", f"bytes=00-{BIG}"):
        resp, body = server.request("GET", MP3, {"Range": rng})
        assert resp.status == 206, rng
        assert resp.getheader("Content-Range") == f"bytes 0-{SIZE - 1}/{SIZE}" and body == data, rng
    resp, body = server.request("GET", MP3, {"Range": f"bytes={SIZE - 3}-{BIG}"})
    assert resp.status == 206 and body == data[-3:]
    resp, body = server.request("GET", MP3, {"Range": f"bytes={BIG[:3000]}-{BIG[:2999]}"})  # last before first
    assert resp.status == 200 and body == data
    resp, body = server.request("GET", MP3, {"Range": "bytes=-" + "0" * 5000})
    assert resp.status == 416


def test_many_and_overlapping_ranges_give_the_whole_file_once(site: Any) -> None:
    server, files, _ = site
    data = files["media/x/x-abcd1234.mp3"]
    for rng in ("bytes=" + ",".join(["0-"] * 500), "bytes=" + ",".join(f"{i}-{i}" for i in range(700)),
                f"bytes=0-{SIZE - 1},0-{SIZE - 1},0-{SIZE - 1}", f"bytes=0-1,{BIG}-"):
        resp, body = server.request("GET", MP3, {"Range": rng})
        assert resp.status == 200 and body == data, rng[:40]
        assert resp.getheader("Content-Length") == str(SIZE)
    resp, body = server.request("GET", MP3, {"Range": "bytes=0-9,"})  # one range and an empty element
    assert resp.status == 206 and body == data[:10]


def test_large_files_through_file_response_with_huge_numbers_and_bad_dates(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Long ranges (sendfile) and the rarer conditionals (If-Match, If-Unmodified-Since) take
    huge numbers as positions past any end, and ignore dates no datetime holds."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    monkeypatch.setattr(serve_app, "PREAD_MAX", 5000)
    root = tmp_path / "public"
    root.mkdir()
    data = build_tree(root)["media/x/x-abcd1234.mp3"]
    server = Server(root)
    overflow = "Mon, 01 Jan 99999999999 00:00:00 GMT"  # aiohttp's date parser: OverflowError
    try:
        etag = server.request("HEAD", MP3)[0].getheader("ETag")
        for headers in ({"Range": f"bytes=10-{BIG}"}, {"Range": f"bytes=10-{BIG}", "If-Match": etag}):
            resp, body = server.request("GET", MP3, headers)
            assert resp.status == 206 and body == data[10:], headers
            assert resp.getheader("Content-Range") == f"bytes 10-{SIZE - 1}/{SIZE}"
        for headers in ({"Range": f"bytes={BIG}-", "If-Match": etag}, {"Range": "bytes=-0", "If-Match": etag}):
            resp, _ = server.request("GET", MP3, headers)
            assert resp.status == 416 and resp.getheader("Content-Range") == f"bytes */{SIZE}", headers
        resp, body = server.request("GET", MP3, {"Range": f"bytes=-{BIG}", "If-Match": etag})
        assert resp.status == 206 and body == data
        for headers in ({"If-Unmodified-Since": overflow}, {"If-Modified-Since": overflow},
                        {"If-Match": etag, "If-Modified-Since": overflow},
                        {"Range": "bytes=0-9", "If-Range": overflow},
                        {"Range": "bytes=0-9", "If-Range": overflow, "If-Match": etag},
                        {"Range": "bytes=0-9999", "If-Range": "garbage"}):
            resp, body = server.request("GET", MP3, headers)
            assert resp.status == 200 and body == data, headers  # invalid dates are ignored (RFC 9110)
        modified = server.request("HEAD", MP3)[0].getheader("Last-Modified")
        resp, body = server.request("GET", MP3, {"Range": "bytes=0-9999", "If-Range": modified, "If-Match": etag})
        assert resp.status == 206 and body == data[:10000]
    finally:
        server.stop()


def test_dates_no_datetime_holds_are_ignored(site: Any) -> None:
    server, files, _ = site
    overflow = "Mon, 01 Jan 99999999999 00:00:00 GMT"
    for headers in ({"If-Modified-Since": overflow}, {"If-Unmodified-Since": overflow},
                    {"Range": "bytes=0-9", "If-Range": overflow}, {"Range": "bytes=0-9", "If-Range": "garbage"},
                    {"If-Modified-Since": f"Mon, 01 Jan {BIG} 00:00:00 GMT"}):
        resp, body = server.request("GET", "/feeds/all.xml", headers)
        assert resp.status == 200 and body == files["feeds/all.xml"], headers


def test_bad_percent_escape_is_a_bad_request(site: Any) -> None:
    server, _, _ = site
    for path in ("/%zz", "/feeds/all.xml%", "/feeds/%2"):
        resp, _ = server.request("GET", path)
        assert resp.status == 400, path
    assert server.request("GET", "/feeds/all%2Exml")[0].status == 200  # a good escape still works


def test_server_errors_are_one_line_on_the_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A bug of the server (an exception in the handler) is a 500, an access-log line and one
    line on stderr; the traceback only when verbose. Nothing goes through aiohttp.server."""
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)

    async def broken(request: Any, cache: Any) -> Any:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(serve_app, "handle", broken)
    for verbose in (False, True):
        log = tmp_path / f"access-{verbose}.log"
        server = Server(root, access_log=log, verbose=verbose)
        try:
            resp, _ = server.request("GET", "/feeds/all.xml")
            assert resp.status == 500
        finally:
            server.stop()
        err = capsys.readouterr().err
        lines = err.splitlines()
        assert lines[0].startswith("serve: ") and "RuntimeError: boom" in lines[0], err
        assert "second line" not in lines[0]
        if verbose:
            assert "Traceback (most recent call last)" in err
        else:
            assert lines == lines[:1] and "Traceback" not in err, err
        assert [m and m["status"] for m in map(COMBINED.match, log.read_text().splitlines())] == ["500"]
    assert not [r for r in caplog.records if r.name.startswith("aiohttp")]


def test_a_fifo_swapped_in_never_blocks_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file replaced by a FIFO between the lstat check and the open (a race: every lstat is
    made to see the old file here) is opened without blocking, seen to be another file, 404."""
    monkeypatch.setattr(serve_app, "SMALL_FILE", 1000)
    root = tmp_path / "public"
    root.mkdir()
    build_tree(root)
    server = Server(root)
    fifos = [root / "media" / "x" / "x-abcd1234.mp3", root / "index.html"]  # pread in the loop; thread pool
    try:
        assert server.request("GET", MP3, {"Range": "bytes=0-9"})[0].status == 206  # resolved and cached
        assert server.request("HEAD", "/index.html")[0].status == 200  # resolved, its body not read yet
        monkeypatch.setattr(serve_cache, "still_holds", lambda entry: True)
        for fifo in fifos:
            fifo.unlink()
            os.mkfifo(fifo)
        for path, headers in ((MP3, {"Range": "bytes=0-9"}), ("/index.html", {})):
            resp, _ = server.request("GET", path, headers, timeout=10)
            assert resp.status == 404, path
    finally:
        for fifo in fifos:  # a reader blocked in open() (the bug) gets its writer and returns
            with suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        server.stop()


# ---------------------------------------------------------------- malformed requests, a real `artoiscast serve`


class CliServer:
    """``python -m artoiscast serve --port 0`` as a subprocess, its stdout and stderr in files."""

    def __init__(self, base: Path):
        self.root = base / "public"
        self.root.mkdir()
        build_tree(self.root)
        self.log, self.out, self.err = base / "access.log", base / "stdout.txt", base / "stderr.txt"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(artoiscast.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "artoiscast", "serve", "--dir", str(self.root), "--port", "0",
                 "--access-log", str(self.log)], stdout=out, stderr=err, env=env, cwd=base)
        self.port = 0
        for _ in range(600):
            found = re.search(r"at http://127\.0\.0\.1:(\d+)/", self.out.read_text())
            if found:
                self.port = int(found.group(1))
                break
            assert self.proc.poll() is None, self.err.read_text()
            time.sleep(0.05)
        assert self.port, "the server never said where it listens"

    def send(self, *raws: bytes) -> list[int]:
        """Send raw requests on one new connection, each after the answer to the one before (HEAD:
        no body); the status codes of the responses, read until the server closes."""
        data = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            for answered, raw in enumerate(raws[:-1], start=1):
                sock.sendall(raw)
                while data.count(b"\r\n\r\n") < answered:
                    data += sock.recv(1 << 16) or b"\r\n\r\n"
            sock.sendall(raws[-1])
            with suppress(socket.timeout, ConnectionResetError):
                while chunk := sock.recv(1 << 16):
                    data += chunk
        return [int(code) for code in re.findall(rb"(?:^|\r\n)HTTP/1\.[01] (\d{3}) ", data)]

    def stop(self) -> int:
        """SIGTERM (the access log is flushed on shutdown); the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


@dataclass
class Outcome:
    statuses: list[int]  # as the client got them
    log: list[str]  # the access-log lines of this case
    stderr: bytes  # what the server printed meanwhile


@dataclass
class Hostile:
    cases: dict[str, Outcome]
    exit_code: int
    stdout: str
    stderr: str


def _get(path: bytes, *headers: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + b"".join(h + b"\r\n" for h in headers) + \
        b"Connection: close\r\n\r\n"


MP3B = MP3.encode()
OVERFLOW_DATE = b"Mon, 01 Jan 99999999999 00:00:00 GMT"
HOSTILE = [  # name, raw request(s), statuses; "-" in the access log for the requests aiohttp could not parse
    ("huge first byte", _get(MP3B, b"Range: bytes=" + BIG.encode() + b"-"), [416]),
    ("huge last byte", _get(MP3B, b"Range: bytes=0-" + BIG.encode()), [206]),
    ("huge suffix", _get(MP3B, b"Range: bytes=-" + BIG.encode()), [206]),
    ("If-Modified-Since year 99999999999", _get(MP3B, b"If-Modified-Since: " + OVERFLOW_DATE), [200]),
    ("If-Unmodified-Since year 99999999999", _get(MP3B, b"If-Unmodified-Since: " + OVERFLOW_DATE), [200]),
    ("If-Range year 99999999999", _get(MP3B, b"Range: bytes=0-9", b"If-Range: " + OVERFLOW_DATE), [200]),
    ("bad percent-escape", _get(b"/feeds/%zz.xml"), [400]),
    ("NUL in the path", _get(b"/index.html\x00.mp3"), [400]),
    ("very long URL", _get(b"/" + b"a" * 20_000), [400]),
    ("very long header", _get(b"/", b"X-Long: " + b"a" * 20_000), [400]),
    ("hundreds of ranges past the header limit", _get(MP3B, b"Range: bytes=" + b",".join(
        b"%d-%d" % (i, i) for i in range(1500))), [400]),
    ("hundreds of headers", _get(b"/", *(b"X-%d: 1" % i for i in range(300))), [400]),
    ("header without colon", _get(b"/", b"NoColonHere"), [400]),
    ("NUL in a header", _get(b"/", b"X-A: a\x00b"), [400]),
    ("bad Content-Length", _get(b"/", b"Content-Length: x"), [400]),
    ("bad HTTP version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", [400]),
    ("not HTTP", b"GET / HTTX/1.1\r\nHost: x\r\n\r\n", [400]),
    ("bad method after a good request", [b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n"],
     [200, 400]),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """Every HOSTILE case against one ``artoiscast serve``, each followed by a marker request
    (``GET /end-of/N``, 404) that closes its part of the access log; then SIGTERM."""
    server = CliServer(tmp_path_factory.mktemp("cli-serve"))
    sent: list[tuple[str, list[int], bytes]] = []
    try:
        for number, (name, raw, _) in enumerate(HOSTILE):
            err_before = server.err.read_bytes()
            statuses = server.send(*(raw if isinstance(raw, list) else [raw]))
            assert server.send(_get(b"/end-of/%d" % number)) == [404]
            sent.append((name, statuses, server.err.read_bytes()[len(err_before):]))
    finally:
        exit_code = server.stop()
    parts: list[list[str]] = [[]]
    for line in server.log.read_text(encoding="utf-8").splitlines():
        if re.search(r'"GET /end-of/\d+ HTTP/1\.1" 404 ', line):
            parts.append([])
        else:
            parts[-1].append(line)
    cases = {name: Outcome(statuses, parts[i] if i < len(parts) else [], err)
             for i, (name, statuses, err) in enumerate(sent)}
    return Hostile(cases, exit_code, server.out.read_text(), server.err.read_text())


@pytest.mark.parametrize("name, statuses", [(name, st) for name, _, st in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_hostile_request_gets_its_status_one_log_line_and_no_traceback(hostile: Hostile, name: str,
                                                                       statuses: list[int]) -> None:
    case = hostile.cases[name]
    assert case.stderr == b"", case.stderr.decode(errors="replace")
    assert case.statuses == statuses
    got = [COMBINED.match(line) for line in case.log]
    assert all(got) and [int(m["status"]) for m in got if m] == statuses, case.log
    for m in got:
        assert m is not None
        if m["status"] == "400" and not m["request"].startswith("GET /feeds/"):
            assert m["request"] == "-"  # aiohttp's stand-in request line is not logged as the client's


def test_hostile_requests_leave_the_console_quiet(hostile: Hostile) -> None:
    assert hostile.exit_code == 0
    assert hostile.stderr == ""
    assert hostile.stdout.count("\n") == 1 and "serving" in hostile.stdout  # "serving ... at ...; Ctrl-C stops"


def test_an_access_log_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    """``--access-log`` in a folder the user cannot write (root's, another user's): one line
    naming the file, exit 1, no traceback, nothing served."""
    from hostile import cli, run, unprivileged

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>x</title>\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run(unprivileged(cli("serve", "--dir", site, "--port", "0", "--access-log", locked / "access.log")),
                     timeout=60)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {locked / 'access.log'}: cannot be written (permission denied: " \
                                    "let the user running artoiscast write there)", result.stderr
