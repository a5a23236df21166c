"""`artoiscast demo` end to end, as a user runs it: a real process, a real server, real HTTP."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import feedparser

from conftest import make_catalog


def get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
    resp = conn.getresponse()
    resp.body = resp.read()  # type: ignore[attr-defined]
    conn.close()
    return resp


def test_demo_synthesises_builds_publishes_serves_and_stops_on_ctrl_c(tmp_path: Path, tools: None) -> None:
    root = make_catalog(tmp_path / "show", with_audio=False)
    for png in [root / "cover.png", *(root / "feeds").glob("*.png")]:
        png.unlink()  # the demo draws the artwork too
    proc = subprocess.Popen([sys.executable, "-m", "artoiscast", "demo", "--port", "0", "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300  # a bound, not a timing assertion
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"demo ended early: {proc.stderr.read()}"
            lines.append(line.rstrip())
            if line.startswith("serving at"):
                break
        feeds = dict(re.findall(r"^\s+(\w+)\s+\d+ episodes\s+(\S+)$", "\n".join(lines), re.M))
        assert set(feeds) == {"all", "economy", "energy"}
        base = re.search(r"^home page: (\S+)$", "\n".join(lines), re.M).group(1)
        assert base.startswith("http://127.0.0.1:")
        assert get(base).status == 200
        for name, url in feeds.items():
            assert url == f"{base}feeds/{name}.xml"
            resp = get(url)
            assert resp.status == 200 and resp.getheader("Content-Type").startswith("application/rss+xml")
            fp = feedparser.parse(resp.body)
            assert len(fp.entries) == {"all": 3, "economy": 2, "energy": 2}[name]
            for entry in fp.entries:
                href = entry.enclosures[0].href
                assert href.startswith(base)  # every URL works from this machine
                head = get(href, "HEAD")
                assert head.status == 200 and int(head.getheader("Content-Length")) == int(entry.enclosures[0].length)
                part = get(href, headers={"Range": "bytes=0-99"})
                assert part.status == 206 and len(part.body) == 100
                assert get(href, headers={"Range": "bytes=99999999-"}).status == 416
        # the catalog keeps its public URL
        assert "https://artoiscast.example/" in (root / "podcast.yaml").read_text()
        assert (root / "episodes" / "erbm-melanie-delots" / "audio.wav").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode in (0, 130)
    assert "Traceback" not in proc.stderr.read()
