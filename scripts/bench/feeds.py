#!/usr/bin/env python3
"""Feed build for a synthetic 10,000-episode catalog, as ratios to anchors measured in the same run.

No audio work: the episodes are real YAML files (each a copy of a real catalog episode with its
own title, date and themes) and the ingest stage is replaced by pre-ingested records (media path,
length, duration), as build.py would get from its cache.

    full build  = load_catalog (10,000 episode.yaml) + BuiltEpisode per episode
                  + render every feed and the publisher feed + write the files
    lxml writer = lxml alone writing the same XML (element by element, same bytes, checked)
                  from data already in memory, and writing the files
    no-change   = what build() does when nothing changed: the input fingerprint (stat of every
                  catalog and package file) and the stamp check; it returns without loading
                  the catalog (re-rendering unchanged input, the slow path, is shown too)

Usage: .venv/bin/python scripts/bench/feeds.py [--episodes 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree
from PIL import Image

from artoiscast import build as buildmod
from artoiscast import feeds as feedmod
from artoiscast import stamp
from artoiscast.built import BuiltEpisode
from artoiscast.catalog import load_catalog
from artoiscast.feeds_fast import render_feeds_fast
from artoiscast.models import MediaRecord
from artoiscast.site import show_notes

HERE = Path(__file__).resolve().parents[2]
THEMES = ["economy", "energy", "culture", "llv"]
PODCAST = """\
title: "Radioscopie de l'Artois"
description: "Pour comprendre et s'impliquer dans ce territoire d'avenir."
author: "René Lavergne"
host: "René Lavergne"
owner: {name: "René Lavergne"}
language: fr
base_url: "https://artoiscast.fr/"
copyright: "René Lavergne"
artwork: cover.png
location: {name: "Lens", country: FR}
guid: "280ae253-4f31-5072-ace9-84d33e389796"
"""


def make_catalog(root: Path, n: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "podcast.yaml").write_text(PODCAST, encoding="utf-8")
    Image.new("RGB", (1400, 1400), (40, 60, 90)).save(root / "cover.png")
    (root / "feeds").mkdir(exist_ok=True)
    for t in THEMES:
        (root / "feeds" / f"{t}.yaml").write_text(
            f'title: "Radioscopie de l\'Artois : {t}"\ndescription: "Les sujets {t}."\nartwork: {t}.png\n'
            f'category: {{text: "Business", sub: "Entrepreneurship"}}\nthemes: [{t}]\n', encoding="utf-8")
        (root / "feeds" / f"{t}.png").write_bytes((root / "cover.png").read_bytes())
    template = (HERE / "episodes" / "atlantic-billy-berclau" / "episode.yaml").read_text(encoding="utf-8")
    for i in range(n):
        folder = root / "episodes" / f"ep-{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        day = datetime.fromordinal(datetime(2000, 1, 1).toordinal() + i)
        text = re.sub(r"(?m)^date: .*$", f"date: {day:%Y-%m-%d}", template)
        text = re.sub(r"(?m)^themes: .*$", f"themes: [{THEMES[i % 4]}, {THEMES[(i // 4) % 4]}]", text)
        text = re.sub(r'(?m)^title: "', f'title: "{i}. ', text)
        (folder / "episode.yaml").write_text(text, encoding="utf-8")
        (folder / "audio.wav").write_bytes(b"")


def feeds_stage(root: Path, out: Path) -> int:
    """load + BuiltEpisode + render + write: the build's feed stage without audio. Returns files written."""
    catalog = load_catalog(root)
    base = catalog.podcast.base_url
    art = {name: f"art/{name}-0123abcd.png" for name in catalog.feeds}
    published = {
        e.slug: BuiltEpisode(episode=e, mp3=MediaRecord(f"media/{e.slug}/{e.slug}-0123abcd.mp3", 1_234_567 + i,
                                                       1800.0 + i % 600, {}), notes_html=show_notes(e, []))
        for i, e in enumerate(catalog.episodes)
    }
    now = datetime(2100, 1, 1, tzinfo=timezone.utc)
    built = buildmod.build_time(catalog, catalog.episodes)
    items = {name: [published[e.slug] for e in catalog.feed_episodes(feed, now)] for name, feed in catalog.feeds.items()}
    files: dict[str, bytes | Path] = {f"feeds/{name}.xml": xml for name, xml in
                                      render_feeds_fast(catalog, items, base_url=base, art=art, built=built).items()}
    files["feeds/publisher.xml"] = feedmod.render_publisher(catalog, base_url=base, art=art, built=built)
    return buildmod.write_tree(out, files)


# ---------------------------------------------------------------- the anchor

Node = tuple  # (tag, attrib items, text, is_cdata, children)


def to_nodes(el: etree._Element) -> Node:
    cdata = el.tag == f"{{{feedmod.CONTENT}}}encoded"
    return (el.tag, tuple(el.attrib.items()), el.text if len(el) == 0 else None, cdata,
            tuple(to_nodes(c) for c in el))


def lxml_write(nodes: Node, path: Path) -> bytes:
    """lxml alone: create every element and attribute, serialise, write."""
    tag, attrib, _, _, children = nodes
    root = etree.Element(tag, dict(attrib), nsmap=feedmod.NSMAP)

    def add(parent: etree._Element, node: Node) -> None:
        tag, attrib, text, cdata, children = node
        el = etree.SubElement(parent, tag, dict(attrib))
        if text is not None:
            el.text = etree.CDATA(text) if cdata else text
        for child in children:
            add(el, child)

    for child in children:
        add(root, child)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    path.write_bytes(data)
    return data


def best(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as tmp:
        root = Path(tmp) / "show"
        t = time.perf_counter()
        make_catalog(root, args.episodes)
        print(f"synthetic catalog: {args.episodes} episodes in {time.perf_counter() - t:.1f} s")

        out = Path(tmp) / "site"
        full_times = []
        for i in range(args.repeat):  # each from scratch: an empty output folder
            target = out.with_name(f"site-{i}")
            t = time.perf_counter()
            feeds_stage(root, target)
            full_times.append(time.perf_counter() - t)
        full = min(full_times)
        built = out.with_name("site-0")
        written = []
        rerender = best(lambda: written.append(feeds_stage(root, built)), args.repeat)
        assert written == [0] * args.repeat, written
        listing = {p.relative_to(built).as_posix(): {"size": p.stat().st_size} for p in built.rglob("*.xml")}
        (built / buildmod.MANIFEST).write_text(json.dumps({"files": listing}))
        stamp_now = datetime(2100, 1, 1, tzinfo=timezone.utc)
        stamp.write(root, stamp.input_fingerprint(root, None, built), base_url="https://artoiscast.fr/", feeds={},
                    manifest=built / buildmod.MANIFEST, catalog=load_catalog(root), now=stamp_now)

        def skip() -> None:
            assert stamp.unchanged(root, built / buildmod.MANIFEST, stamp.input_fingerprint(root, None, built),
                                   stamp_now) is not None

        nochange = best(skip, args.repeat)

        parsed = {p.name: to_nodes(etree.parse(str(p)).getroot()) for p in sorted((built / "feeds").glob("*.xml"))}
        anchor_dir = Path(tmp) / "anchor"
        anchor_dir.mkdir()
        anchor = best(lambda: [lxml_write(n, anchor_dir / name) for name, n in parsed.items()], args.repeat)
        for name in parsed:  # the anchor wrote the same bytes
            assert (anchor_dir / name).read_bytes() == (built / "feeds" / name).read_bytes(), name

        load = best(lambda: load_catalog(root), args.repeat)
        size = sum(p.stat().st_size for p in (built / "feeds").glob("*.xml"))
        print(f"feeds: {len(parsed)} files, {size / 1e6:.1f} MB; times are the best of {args.repeat}")
        print()
        print(f"{'measure':<46} {'seconds':>8} {'ratio':>7}  target")
        print(f"{'lxml-only writer of the same XML (anchor)':<46} {anchor:8.3f} {1:7.2f}")
        print(f"{'catalog load alone (episode.yaml files)':<46} {load:8.3f} {load / anchor:7.2f}")
        print(f"{'full build: load + render + write':<46} {full:8.3f} {full / anchor:7.2f}  <= 1.5")
        print(f"{'no-change rebuild (fingerprint + stamp check)':<46} {nochange:8.3f} {nochange / full:7.2f}  < 0.10 (of full)")
        print(f"{'re-render of unchanged input (writes 0 files)':<46} {rerender:8.3f} {rerender / full:7.2f}  (slow path)")


if __name__ == "__main__":
    main()
