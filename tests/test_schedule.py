"""Scheduled episodes are private until their date; postponing a published one is refused (issue 11, items 4-5)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.catalog import load_catalog
from artoiscast.cli import cli
from artoiscast.publish import check_guids, publish, read_schedule
from artoiscast.storage.local import LocalStorage
from conftest import make_catalog, make_png

SLUG = "erbm-melanie-delots"  # has chapters, a transcript and (here) its own image
BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
AFTER = datetime(2031, 6, 2, tzinfo=timezone.utc)


@pytest.fixture
def root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def set_date(root: Path, slug: str, old: str, new: str) -> None:
    path = root / "episodes" / slug / "episode.yaml"
    text = path.read_text(encoding="utf-8")
    assert f"date: {old}" in text
    path.write_text(text.replace(f"date: {old}", f"date: {new}"), encoding="utf-8")


def mentions(folder: Path, needles: list[bytes]) -> list[str]:
    """Every file under ``folder`` whose path or bytes hold one of ``needles``."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if any(n in p.relative_to(folder).as_posix().encode() for n in needles)
                  or (p.is_file() and any(n in p.read_bytes() for n in needles)))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_scheduled_episode_is_nowhere_in_the_site_or_the_published_folder_before_its_date(
        root: Path, tmp_path: Path) -> None:
    folder = root / "episodes" / SLUG
    make_png(folder / "portrait.png", colour=(150, 30, 30))
    text = (folder / "episode.yaml").read_text(encoding="utf-8")
    (folder / "episode.yaml").write_text(text.replace("audio: audio.wav", "audio: audio.wav\nimage: portrait.png"),
                                         encoding="utf-8")
    set_date(root, SLUG, "2025-03-01", "2031-06-01")
    (ep,) = [e for e in load_catalog(root).episodes if e.slug == SLUG]
    needles = [SLUG.encode(), ep.guid.encode(), b"Renouveau du Bassin Minier"]
    storage = LocalStorage(tmp_path / "public")

    result = build(root, now=BEFORE)
    assert SLUG in result.records and result.records[SLUG].mp3.is_file()  # ingested: ready for its day
    site = root / "build" / "site"
    assert mentions(site, needles) == []  # no media, transcript, chapters, art, page, manifest entry
    manifest = json.loads((site / "manifest.json").read_bytes())
    assert SLUG not in manifest["episodes"] and not [k for k in manifest["files"] if SLUG in k]
    assert len([k for k in manifest["files"] if k.startswith("art/")]) == 3  # the feeds' artwork only
    publish(site, storage)
    assert mentions(tmp_path / "public", needles) == []
    assert build(root, now=BEFORE).skipped  # nothing came due

    result = build(root, now=AFTER)  # its date has come: the next build adds it, everywhere
    assert not result.skipped
    files = set(result.files)
    assert {f"transcripts/{SLUG}.vtt", f"chapters/{SLUG}.json", f"episodes/{SLUG}/index.html"} <= files
    assert [k for k in files if k.startswith(f"media/{SLUG}/")] and [k for k in files if k.startswith(f"art/{SLUG}-")]
    entries = feedparser.parse((site / "feeds" / "economy.xml").read_bytes()).entries
    assert entries[0].id == ep.guid
    publish(site, storage)
    published = json.loads((tmp_path / "public" / "manifest.json").read_bytes())
    assert published["episodes"][SLUG]["guid"] == ep.guid
    assert (tmp_path / "public" / published["episodes"][SLUG]["media"]).is_file()


def test_the_schedule_stays_beside_the_site(root: Path) -> None:
    set_date(root, SLUG, "2025-03-01", "2031-06-01T18:30:00+02:00")
    build(root, now=BEFORE)
    site = root / "build" / "site"
    assert not (site / "schedule.json").exists()
    scheduled = read_schedule(site, (site / "manifest.json").read_bytes())
    assert list(scheduled.values()) == ["2031-06-01T18:30:00+02:00"]
    assert read_schedule(site, b"another build's manifest") == {}  # a stale schedule is not believed


def test_postponing_a_published_episode_is_refused_until_allowed(root: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["publish", "--root", str(root)])
    assert first.exit_code == 0, first.output
    public = root / "public"
    before = tree(public)
    guid = json.loads(before["manifest.json"])["episodes"]["gazonor-yann-fouant"]["guid"]
    set_date(root, "gazonor-yann-fouant", "2024-11-02", "2099-06-01")

    refused = runner.invoke(cli, ["publish", "--root", str(root)])
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.strip() == (
        f"error: {public}/manifest.json: episodes.gazonor-yann-fouant: published episode is postponed to 2099-06-01 "
        "(its date moved into the future): it would leave every feed until then; set its date back, or publish "
        "with --allow-removed gazonor-yann-fouant to take it out until then")
    assert tree(public) == before  # nothing uploaded

    allowed = runner.invoke(cli, ["publish", "--root", str(root), "--allow-removed", "gazonor-yann-fouant"])
    assert allowed.exit_code == 0, allowed.output
    manifest = json.loads((public / "manifest.json").read_bytes())
    assert "gazonor-yann-fouant" not in manifest["episodes"]
    assert guid.encode() not in (public / "feeds" / "energy.xml").read_bytes()


def test_without_a_schedule_the_guard_still_names_postponing() -> None:
    old = {"files": {}, "episodes": {"a": {"guid": "g-a"}}}
    (gone,) = check_guids({"files": {}, "episodes": {}}, old, shown="m")
    assert "removed, renamed or postponed to a future date" in gone.line() and "--allow-removed a" in gone.line()
    (later,) = check_guids({"files": {}, "episodes": {}}, old, shown="m",
                           scheduled={"g-a": "2031-06-01T18:30:00+02:00"})
    assert "postponed to 2031-06-01 18:30" in later.line() and "--allow-removed a" in later.line()
    assert check_guids({"files": {}, "episodes": {}}, old, shown="m", scheduled={"g-a": "2031-06-01T00:00:00+02:00"},
                       allow_removed=["a"]) == []
