#!/usr/bin/env python3
"""Benchmark: `artoiscast stats` against GoAccess on the same combined log, in the same run.

    .venv/bin/python scripts/bench/stats.py [--lines 1000000 10000000] [--quick]

For each size: a combined log of that many lines over a year ending yesterday (--days 365;
tests/loggen.volume: app downloads, partial ranges, probes, bots, feed polls), then
  1. GoAccess (Debian `goaccess`, installed with apt-get if missing) writing its report of the
     file, the anchor: a full `artoiscast stats` run (a fresh database) / GoAccess: target <= 1.0,
     while applying the IAB v2.2 rules GoAccess does not;
  2. one new day, today, appended (1/365 of the lines: "a daily run on a year of logs") and `artoiscast stats` run again on the same
     database: target <= 5 % of the full run;
  3. the peak memory of each `artoiscast stats` process (its own maximum RSS from wait4):
     target flat from the smallest size to the largest.
Every run is a fresh process, timed from its start to its exit. Never run by the tests. Run it
alone on a quiet machine: it prints the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

import loggen


def need(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if not found:
        print(f"installing {package} (apt-get)", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which(tool)
    if not found:
        raise SystemExit(f"{tool} is missing (apt-get install {package})")
    return found


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of ``cmd`` run to its end as a fresh process (its stderr to a
    file: a pipe read only at the end fills up and stops a chatty process, as GoAccess on 10 M lines)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{cmd[0]} failed: {errors.read().decode(errors='replace').strip()[-2000:]}")
    return took, usage.ru_maxrss * 1024


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--quick", action="store_true", help="200,000 and 1,000,000 lines")
    ap.add_argument("--days", type=int, default=365, help="days of logs before the new one (default: a year)")
    ap.add_argument("--work", type=Path, default=None, help="keep the logs here (default: a temporary folder)")
    args = ap.parse_args()
    sizes = [200_000, 1_000_000] if args.quick else args.lines
    days = args.days
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    start = today - timedelta(days=days)  # the salts of the last days are still kept, as on a real daily run
    goaccess = need("goaccess", "goaccess")
    print(f"before: {load()}, {os.cpu_count()} cores; {days} days of logs, then one more")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    rows = []
    with tempfile.TemporaryDirectory(prefix="artoiscast-bench-stats-", dir=args.work) as tmp:
        work = Path(tmp)
        manifest = work / "manifest.json"
        manifest.write_text(json.dumps(loggen.manifest()), encoding="utf-8")
        for n in sizes:
            log = work / f"access-{n}.log"
            t = time.perf_counter()
            loggen.volume(log, n, start=start, days=days)
            print(f"{n:,} lines ({log.stat().st_size / 1e6:.0f} MB) written in {time.perf_counter() - t:.0f} s",
                  file=sys.stderr)
            anchor, _ = timed([goaccess, str(log), "--log-format=COMBINED", "--no-global-config",
                               "-o", str(work / "goaccess.html")])
            db = work / f"stats-{n}.duckdb"
            stats = [sys.executable, "-m", "artoiscast", "stats", str(log), "--root", str(work), "--db", str(db),
                     "--manifest", str(manifest)]
            full, full_rss = timed(stats, env)
            incremental = []
            for i, fmt in enumerate(("table", "json")):  # the daily run, then the same with every row as JSON
                day = today + timedelta(days=i)
                loggen.volume(work / "day.log", max(1, n // days), start=day, days=1, seed=2 + i)
                with log.open("ab") as out, (work / "day.log").open("rb") as new:
                    shutil.copyfileobj(new, out)
                incremental.append(timed([*stats, "--format", fmt], env))
            rows.append((n, anchor, full, full_rss, *incremental[0], incremental[1][0]))
            for path in (log, work / "day.log", db, Path(f"{db}.salts"), Path(f"{db}.wal")):
                path.unlink(missing_ok=True)
    print(f"after: {load()}")
    print()
    head = (f"{'lines':>11} {'GoAccess s':>10} {'stats s':>8} {'ratio':>6} {'peak RSS':>9} "
            f"{'+1 day s':>9} {'of full':>8} {'peak RSS':>9} {'+1 day json s':>14} {'of full':>8}")
    print(head)
    for n, anchor, full, full_rss, incremental, inc_rss, inc_json in rows:
        print(f"{n:>11,} {anchor:>10.2f} {full:>8.2f} {full / anchor:>6.2f} {full_rss / 2**20:>6.0f} MiB "
              f"{incremental:>9.2f} {incremental / full:>7.1%} {inc_rss / 2**20:>6.0f} MiB "
              f"{inc_json:>14.2f} {inc_json / full:>7.1%}")
    print("targets: full <= 1.0 x GoAccess; +1 day <= 5 % of the full run; peak RSS flat in the number of lines")


if __name__ == "__main__":
    main()
