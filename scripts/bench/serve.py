#!/usr/bin/env python3
"""Benchmark: `artoiscast serve` against nginx (1 worker, sendfile) on the same folder, with wrk.

    .venv/bin/python scripts/bench/serve.py [--quick] [--seconds N]

Prints, measured in the same run (nginx, wrk installed with apt-get if missing):
  full-file MB/s (target >= 0.9), requests/s for 64 concurrent 64 KiB Range requests and for
  a 40 KB feed (target >= 0.15), the same feed asked with Accept-Encoding: gzip (both send
  the prebuilt .gz sidecar: nginx by gzip_static; target >= 0.15), p99 latency at 64
  connections (target <= 30 ms). The load average it ran under is printed first.
Never run by the test suite. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
from artoiscast.compress import gzipped  # noqa: E402
MiB = 1024 * 1024
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  gzip_static on;
  gzip_vary on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {tmp}/b; proxy_temp_path {tmp}/p; fastcgi_temp_path {tmp}/f; uwsgi_temp_path {tmp}/u; scgi_temp_path {tmp}/s;
  types {{ audio/mpeg mp3; application/rss+xml xml; text/html html; }}
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


def need(tool: str, package: str) -> str:
    found = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if not found:
        print(f"installing {package} (apt-get)", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        found = shutil.which(tool) or f"/usr/sbin/{tool}"
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def wrk(wrk_bin: str, url: str, conns: int, seconds: int, header: str | None = None) -> dict[str, float]:
    cmd = [wrk_bin, "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    tr = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    mult = {"B": 1, "KB": 1e3 * 1.024, "MB": MiB, "GB": 1024 * MiB}[tr.group(2)]  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1, "s": 1000}[p99.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return {"rps": rps, "mbs": float(tr.group(1)) * mult / 1e6, "p99": float(p99.group(1)) * scale}  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 s per measurement, 20 MiB media file")
    ap.add_argument("--seconds", type=int, default=None)
    args = ap.parse_args()
    seconds = args.seconds or (3 if args.quick else 8)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    nginx, wrk_bin = need("nginx", "nginx-light"), need("wrk", "wrk")
    with tempfile.TemporaryDirectory(prefix="artoiscast-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's worker runs as nobody when started by root
        root = tmp / "site"
        (root / "media" / "ep").mkdir(parents=True)
        (root / "feeds").mkdir()
        (root / "index.html").write_text("<!doctype html><title>bench</title>\n")
        (root / "media" / "ep" / "ep-1234abcd.mp3").write_bytes(os.urandom((20 if args.quick else 100) * MiB))
        item = "<item><title>Episode</title><enclosure url='http://127.0.0.1/media/ep/ep-1234abcd.mp3'/></item>\n"
        feed = ("<rss>" + item * (40_000 // len(item)) + "</rss>\n").encode()
        (root / "feeds" / "all.xml").write_bytes(feed)
        (root / "feeds" / "all.xml.gz").write_bytes(gzipped(feed))  # what build writes beside it
        n_port, a_port = free_port(), free_port()
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=n_port, root=root))
        procs = [
            subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "artoiscast", "serve", "--dir", str(root), "--port", str(a_port),
                              "--access-log", str(tmp / "access.log")], stdout=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(REPO / "src")}),
        ]
        try:
            bases = {"nginx": f"http://127.0.0.1:{n_port}/", "artoiscast": f"http://127.0.0.1:{a_port}/"}
            for name, url in bases.items():
                wait_up(url + "feeds/all.xml")
                req = urllib.request.Request(url + "feeds/all.xml", headers={"Accept-Encoding": "gzip"})
                with urllib.request.urlopen(req) as r:  # both really send the sidecar
                    if r.headers.get("Content-Encoding") != "gzip" or "Accept-Encoding" not in r.headers.get("Vary", ""):
                        raise RuntimeError(f"{name} does not send the .gz sidecar with Vary: {dict(r.headers)}")
            cases = [
                ("full file MB/s (4 conns)", "media/ep/ep-1234abcd.mp3", 4, None, "mbs", ">= 0.90"),
                ("64 KiB Range req/s (64 conns)", "media/ep/ep-1234abcd.mp3", 64, "Range: bytes=65536-131071", "rps",
                 ">= 0.15"),
                ("40 KB feed req/s (64 conns)", "feeds/all.xml", 64, None, "rps", ">= 0.15"),
                ("40 KB feed, gzip, req/s (64 conns)", "feeds/all.xml", 64, "Accept-Encoding: gzip", "rps", ">= 0.15"),
                ("40 KB feed p99 ms (64 conns)", "feeds/all.xml", 64, None, "p99", "<= 30 ms"),
            ]
            rows = []
            cache: dict[tuple[str, str, int, str | None], dict[str, float]] = {}
            for label, path, conns, header, metric, target in cases:
                got = {}
                for name, base in bases.items():
                    key = (name, path, conns, header)
                    if key not in cache:
                        cache[key] = wrk(wrk_bin, base + path, conns, seconds, header)
                    got[name] = cache[key][metric]
                ratio = "" if metric == "p99" else f"{got['artoiscast'] / got['nginx']:.2f}"
                rows.append((label, f"{got['nginx']:.1f}", f"{got['artoiscast']:.1f}", ratio, target))
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    head = ("measure", "nginx", "artoiscast", "ratio", "target")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
