"""The whole pipeline: deterministic bytes, nothing rewritten when nothing changed, escaping, publishing."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.cli import cli
from artoiscast.publish import publish
from artoiscast.storage.local import LocalStorage
from conftest import make_catalog
from readers import shown


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def test_building_twice_gives_identical_bytes_even_from_scratch(root: Path, tmp_path: Path) -> None:
    build(root)
    first = tree(root / "build" / "site")
    again = build(root)
    assert again.written == 0  # nothing changed, nothing written
    assert tree(root / "build" / "site") == first
    shutil.rmtree(root / "build")  # no cache at all: re-encode everything
    build(root)
    assert tree(root / "build" / "site") == first
    assert any(k.startswith("media/") for k in first) and "feeds/all.xml" in first


def test_manifest_matches_the_files(root: Path) -> None:
    result = build(root)
    site = result.out
    manifest = json.loads((site / "manifest.json").read_bytes())
    files = tree(site)
    del files["manifest.json"]
    assert {k: v["sha256"] for k, v in manifest["files"].items()} == files
    assert manifest["built"] == "2025-03-15T00:00:00+01:00"  # the newest episode, not the wall clock
    assert manifest["episodes"]["mine-de-soleil-marie-piotrowski"]["feeds"] == ["all", "economy", "energy"]


def test_source_date_epoch_sets_last_build_date(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    build(root)
    fp = feedparser.parse((root / "build" / "site" / "feeds" / "all.xml").read_bytes())
    assert fp.feed.updated == "Thu, 01 Jan 2026 01:00:00 +0100"


def test_scheduled_episode_is_left_out_until_its_date(root: Path) -> None:
    path = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    path.write_text(path.read_text().replace("date: 2024-11-02", "date: 2031-06-01"))
    build(root, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    fp = feedparser.parse((root / "build" / "site" / "feeds" / "energy.xml").read_bytes())
    assert [e.title for e in fp.entries] == ["Mine de Soleil"]
    build(root, now=datetime(2031, 6, 2, tzinfo=timezone.utc))
    fp = feedparser.parse((root / "build" / "site" / "feeds" / "energy.xml").read_bytes())
    assert [e.title for e in fp.entries] == ["Gazonor", "Mine de Soleil"]


def test_markup_in_yaml_cannot_inject_into_feeds_or_pages(root: Path) -> None:
    path = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    evil = "<script>alert(1)</script> & ]]> fin"
    text = path.read_text().replace('title: "Gazonor"', f"title: '{evil}'")
    text = text.replace("summary: \"L'activité", "notes: '<img src=x onerror=alert(1)> ]]> [x](javascript:alert(1))'\n"
                                                   "summary: \"L'activité")
    path.write_text(text)
    build(root)
    site = root / "build" / "site"
    fp = feedparser.parse((site / "feeds" / "energy.xml").read_bytes())
    assert not fp.bozo
    entry = [e for e in fp.entries if "fin" in e.title][0]
    assert shown(entry.title_detail) == evil  # shown as the text typed
    html = entry.content[0].value
    assert "<img" not in html and "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    page = (site / "episodes" / "gazonor-yann-fouant" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_publish_to_local_folder_then_nothing_to_do(root: Path) -> None:
    result = build(root)
    storage = LocalStorage(root / "public")
    plan = publish(result.out, storage)
    assert plan.uploads[-1] == "manifest.json"
    kinds = [k.split("/")[0] for k in plan.uploads]
    assert kinds.index("feeds") > max(i for i, k in enumerate(kinds) if k in ("media", "chapters", "transcripts", "art"))
    assert tree(root / "public") == tree(result.out)
    again = publish(result.out, storage)
    assert again.uploads == []


def test_publish_dry_run_changes_nothing(root: Path) -> None:
    result = CliRunner().invoke(cli, ["publish", "--dry-run", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "would upload" in result.stdout and "new  feeds/all.xml" in result.stdout
    assert not (root / "public").exists()


def test_embed_snippet(root: Path) -> None:
    result = CliRunner().invoke(cli, ["embed", "energy", "--n", "3", "--root", str(root)])
    assert result.exit_code == 0
    assert result.stdout.startswith('<iframe src="https://artoiscast.example/embed/energy.html?n=3" ')
    bad = CliRunner().invoke(cli, ["embed", "sport", "--root", str(root)])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == 'error: theme: "sport" is not a theme (one of: economy, energy)'


def test_a_rebuild_with_nothing_changed_does_no_work_and_a_change_rebuilds(root: Path) -> None:
    first = build(root)
    assert not first.skipped
    cache = root / "build" / "ingest"
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}
    again = build(root)
    assert again.skipped and again.written == 0
    assert again.feeds == first.feeds and again.files == first.files and again.base_url == first.base_url
    assert again.catalog.podcast.title == "Radioscopie de l'Artois"  # loaded on demand
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == before
    # a changed summary: rebuilt, no re-encode (the audio is unchanged), the feed changes
    path = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    path.write_text(path.read_text().replace("gaz de mine dans", "grisou dans"))
    third = build(root)
    assert not third.skipped and third.written > 0
    assert all(r.cached for r in third.records.values())
    assert "grisou dans" in (root / "build" / "site" / "feeds" / "energy.xml").read_text()
    # another base URL is another build
    assert not build(root, base_url="http://127.0.0.1:9/").skipped


def test_a_scheduled_episode_coming_due_triggers_a_rebuild(root: Path) -> None:
    path = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    path.write_text(path.read_text().replace("date: 2024-11-02", "date: 2031-06-01"))
    assert not build(root, now=datetime(2026, 1, 1, tzinfo=timezone.utc)).skipped
    assert build(root, now=datetime(2026, 1, 2, tzinfo=timezone.utc)).skipped
    later = build(root, now=datetime(2031, 6, 2, tzinfo=timezone.utc))
    assert not later.skipped and "gazonor-yann-fouant" in later.feeds["energy"]
