"""Lint a built site: its ``feeds/*.xml``, with the base URL and file sizes of its manifest."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from artoiscast.lint.rules import Finding, lint_feeds


def lint_site(site: Path, *, now: datetime | None = None) -> list[Finding]:
    """Lint the feeds of a built site (``build/site``): reads ``feeds/*.xml`` and, for the
    base URL and the file sizes, ``manifest.json`` (sizes of files present on disk otherwise)."""
    feeds = {p.stem: p.read_bytes() for p in sorted((site / "feeds").glob("*.xml"))}
    base_url = None
    manifest = site / "manifest.json"
    if manifest.is_file():
        try:
            base_url = json.loads(manifest.read_bytes()).get("base_url")
        except ValueError:
            pass
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in (site / "media").rglob("*.mp3")} \
        if (site / "media").is_dir() else {}
    return lint_feeds(feeds, base_url=base_url, sizes=sizes, now=now)


def lint_built(root: Path, *, now: datetime | None = None) -> list[Finding]:
    """Lint ``<root>/build/site`` when it has been built; [] otherwise. ``now`` defaults to the
    wall clock (for the scheduled-episode rule only: it changes no output)."""
    site = root / "build" / "site"
    if not (site / "feeds").is_dir():
        return []
    return lint_site(site, now=now or datetime.now(timezone.utc))
