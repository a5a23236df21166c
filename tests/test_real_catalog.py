"""The README's main command on the real catalog: every episode of the seed pages, synthesised,
ingested, built and published, each MP3 measured again here with ffmpeg's ebur128.

The test catalogs elsewhere hold three short clips; this one holds the demo's jingle (plucked,
sharp attacks) at the start and end of every episode, which is what pushes MP3 peaks up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser

from conftest import ebur128


def test_demo_on_the_real_catalog_publishes_every_episode_within_target(tmp_path: Path, real_show: Path) -> None:
    root = tmp_path / "show"  # the repository's catalog with the demo's media, ingested once for the session
    shutil.copytree(real_show, root, symlinks=True)
    episodes = sorted(p.name for p in (root / "episodes").iterdir() if (p / "episode.yaml").is_file())
    assert len(episodes) >= 29
    proc = subprocess.run([sys.executable, "-m", "artoiscast", "demo", "--no-serve", "--port", "0", "--root", str(root)],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    public = root / "public"
    feed = feedparser.parse((public / "feeds" / "all.xml").read_bytes())
    assert len(feed.entries) == len(episodes)
    media = sorted(public.glob("media/*/*.mp3"))
    assert len(media) == len(episodes)
    for mp3 in media:
        i, tp = ebur128(mp3)
        assert -17.0 <= i <= -15.0, (mp3.name, i)
        assert tp <= -1.0, (mp3.name, tp)
