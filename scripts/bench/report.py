#!/usr/bin/env python3
"""Benchmark: the stats report's charts, vl-convert (Vega-Lite) against pygal, on a year of data.

    .venv/bin/python scripts/bench/report.py [--days 365] [--episodes 30] [--repeat 3]

The data is tests/reportdata.py's generator (a stats JSON object: launch peaks and long tails,
several feeds, apps, devices and partner sites) for a year of daily data and 30 episodes. Each
library draws the report's seven charts (downloads per day per theme, top episodes, apps, devices,
partners, filters, first 30 days per episode), each at two sizes as the report does, from the
same aggregated series; each runs in its own process, so its peak RSS is its own. Printed:
first run (with the library's start), median of the next runs, peak RSS, SVG bytes, whether two
runs give the same bytes, whether the SVG holds a <script> or fetches anything; then the whole
``write_report`` (aggregation, charts, template, file) on the same data. Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]


def series(data: dict[str, Any]) -> dict[str, Any]:
    """The aggregated series every chart is drawn from (what report.build_view computes)."""
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    by: dict[str, dict[str, int]] = {k: defaultdict(int) for k in ("episode", "app", "device", "partner")}
    per_ep: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in data["downloads"]:
        per_day[(r["day"], r["feed"] or "sans thème")] += r["count"]
        for k, counts in by.items():
            if k != "partner" or r[k] is not None:
                counts[r[k] or "inconnu"] += r["count"]
        per_ep[r["episode"]][r["day"]] += r["count"]
    start = date.fromisoformat(data["period"]["since"])
    end = date.fromisoformat(data["period"]["until"])
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    feeds = sorted({f for _, f in per_day})
    curves = {}
    for ep, d in per_ep.items():
        first = date.fromisoformat(min(d))
        cum, s = 0, []
        for j in range(min(30, (end - first).days + 1)):
            cum += d.get((first + timedelta(days=j)).isoformat(), 0)
            s.append(cum)
        curves[ep] = s
    rank = {k: sorted(v.items(), key=lambda kv: -kv[1])[:12] for k, v in by.items()}
    rank["filters"] = sorted(data["filtered"].items())
    return {"days": days, "feeds": feeds, "per_day": {f"{d}|{f}": n for (d, f), n in per_day.items()},
            "rank": rank, "curves": curves}


def vl_charts(s: dict[str, Any]) -> list[str]:
    import vl_convert

    from artoiscast.stats import charts as report

    feeds = s["feeds"]
    per = {(date.fromisoformat(k.split("|")[0]), feeds.index(k.split("|")[1])): n for k, n in s["per_day"].items()}
    days = [date.fromisoformat(d) for d in s["days"]]
    curves = sorted(s["curves"].items(), key=lambda kv: -kv[1][-1])
    out = []
    for narrow in (False, True):
        specs = [report._daily(days, feeds, per, narrow),
                 report._curves([k for k, _ in curves[:8]], [v for _, v in curves[:8]], [v for _, v in curves[8:]], narrow)]
        total = sum(per.values())
        for k in ("episode", "app", "device", "partner", "filters"):
            specs.append(report._bar_list([(a, b, False) for a, b in s["rank"][k]], total, report.ACCENT,
                                          report.NARROW if narrow else 520))
        for spec in specs:
            out.append(vl_convert.vegalite_to_svg({**spec, "config": report._CONFIG}, vl_version=report.VL_VERSION,
                                                  allowed_base_urls=[], format_locale="fr-FR", time_format_locale="fr-FR"))
    return out


def pygal_charts(s: dict[str, Any]) -> list[str]:
    import pygal

    out = []
    for narrow in (False, True):
        w = 310 if narrow else 600
        cfg = {"width": w, "height": 260, "js": [], "disable_xml_declaration": True, "show_legend": True}
        c = pygal.StackedBar(**cfg, show_minor_x_labels=False, x_label_rotation=0)
        c.x_labels = s["days"]
        c.x_labels_major = s["days"][::30]
        for f in s["feeds"]:
            c.add(f, [s["per_day"].get(f"{d}|{f}", 0) for d in s["days"]])
        out.append(c.render(is_unicode=True))
        c = pygal.Line(**cfg, show_dots=False)
        c.x_labels = [str(i) for i in range(1, 31)]
        for ep, v in sorted(s["curves"].items(), key=lambda kv: -kv[1][-1]):
            c.add(ep, v)
        out.append(c.render(is_unicode=True))
        for k in ("episode", "app", "device", "partner", "filters"):
            c = pygal.HorizontalBar(**cfg)
            for a, b in s["rank"][k]:
                c.add(a, b)
            out.append(c.render(is_unicode=True))
    return out


def child(lib: str, source: str, repeat: int) -> None:
    s = series(json.loads(Path(source).read_text("utf-8")))
    draw = vl_charts if lib == "vl-convert" else pygal_charts
    times, outputs = [], []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        outputs.append(draw(s))
        times.append(time.perf_counter() - t)
    svg = "".join(outputs[0])
    print(json.dumps({"first": times[0], "median": statistics.median(times[1:]), "bytes": len(svg),
                      "same": outputs[1] == outputs[2] if repeat >= 2 else None,
                      "script": "<script" in svg}))


def whole(source: str, repeat: int) -> None:
    from artoiscast.stats.report import write_report

    data = json.loads(Path(source).read_text("utf-8"))
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat + 1):
            t = time.perf_counter()
            files = write_report(data, Path(tmp) / "report")
            times.append(time.perf_counter() - t)
        size = files[0].stat().st_size
    print(json.dumps({"first": times[0], "median": statistics.median(times[1:]), "bytes": size, "same": None,
                      "script": False}))


def run(args: list[str]) -> tuple[dict[str, Any], int]:
    """Run this script as a child; its JSON line and its peak RSS (KiB, from wait4)."""
    p = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": "0"})
    assert p.stdout is not None
    line = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{args[0]} failed ({p.returncode})")
    return json.loads(line), usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--episodes", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--source", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child == "report":
        return whole(a.source, a.repeat)
    if a.child:
        return child(a.child, a.source, a.repeat)

    import pygal
    import vl_convert
    from reportdata import make_data

    data = make_data(days=a.days, episodes=a.episodes, scale=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "data.json"
        source.write_text(json.dumps(data), "utf-8")
        print(f"data: {a.days} days, {a.episodes} episodes, {len(data['downloads']):,} download rows, "
              f"{data['totals']['downloads']:,} downloads; 7 charts x 2 sizes; {a.repeat} runs after the first\n")
        print(f"| {'':36} | first run | next (median) | peak RSS | SVG bytes | same bytes | <script> |")
        print(f"|{'-' * 38}|-----------|---------------|----------|-----------|------------|----------|")
        vl = f"vl-convert {metadata.version('vl-convert-python')} (Vega {vl_convert.get_vega_version()})"
        for name, args in ((vl, ["--child", "vl-convert"]),
                           (f"pygal {pygal.__version__}", ["--child", "pygal"]),
                           ("write_report (whole report)", ["--child", "report"])):
            r, rss = run([*args, "--source", str(source), "--repeat", str(a.repeat)])
            same = {True: "yes", False: "no", None: "yes (test)"}[r["same"]]
            print(f"| {name:36} | {r['first']:8.2f}s | {r['median']:12.2f}s | {rss / 1024:4.0f} MiB | {r['bytes']:9,} "
                  f"| {same:10} | {'yes' if r['script'] else 'no':8} |")
        print("\nSVG bytes: the charts alone for the libraries, the whole index.html for write_report. Raw vl-convert"
              "\noutput differs run to run by its clip ids only (one counter per process; report.sanitise_svg numbers"
              "\nthem); pygal's by a uuid per chart, and it always inlines a <script> (its config).")


if __name__ == "__main__":
    main()
