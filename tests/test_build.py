"""The whole pipeline: deterministic bytes, nothing rewritten when nothing changed, escaping, publishing."""

from __future__ import annotations

import os
import hashlib
import json
import re
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
    kinds = [k.split("/")[0] for k in plan.uploads if not k.endswith((".br", ".gz"))]  # sidecars: after the feeds
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


def _set_date(root: Path, slug: str, date: str) -> None:
    path = root / "episodes" / slug / "episode.yaml"
    path.write_text(re.sub(r"(?m)^date: .*$", f"date: {date}", path.read_text()))


def test_episodes_sharing_a_date_get_one_instant_each_used_everywhere(built_catalog: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Three episodes on 2025-03-01 (a bare date): a minute apart from midnight Paris time in slug
    order, the same instant and order in every feed (feedparser, podcastparser), on the pages,
    in JSON-LD, lastBuildDate and the schedule; check warns and suggests a time."""
    import io

    import lxml.html
    import podcastparser

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = tmp_path / "show"
    shutil.copytree(built_catalog, root, symlinks=True)  # with the ingest cache: no audio work
    erbm, gazonor, mine = "erbm-melanie-delots", "gazonor-yann-fouant", "mine-de-soleil-marie-piotrowski"
    for slug in (erbm, gazonor, mine):
        _set_date(root, slug, "2025-03-01")
    instants = {erbm: "2025-03-01T00:00:00+01:00", gazonor: "2025-03-01T00:01:00+01:00",
                mine: "2025-03-01T00:02:00+01:00"}
    site = root / "build" / "site"
    # the schedule uses the same instants: at 00:01:30 the third one is not out yet
    build(root, now=datetime(2025, 2, 28, 23, 1, 30, tzinfo=timezone.utc))
    fp = feedparser.parse((site / "feeds" / "all.xml").read_bytes())
    assert [e.link.split("/")[-2] for e in fp.entries] == [gazonor, erbm]
    assert not build(root, now=datetime(2025, 2, 28, 23, 2, tzinfo=timezone.utc)).skipped  # it came due

    expected = {"all": [mine, gazonor, erbm], "economy": [mine, erbm], "energy": [mine, gazonor]}
    for name, slugs in expected.items():
        raw = (site / "feeds" / f"{name}.xml").read_bytes()
        fp = feedparser.parse(raw)
        assert [e.link.split("/")[-2] for e in fp.entries] == slugs
        assert [e.published for e in fp.entries] == [
            datetime.fromisoformat(instants[s]).strftime("%a, %d %b %Y %H:%M:%S +0100") for s in slugs]
        assert fp.feed.updated == "Sat, 01 Mar 2025 00:02:00 +0100"  # lastBuildDate: the newest instant
        pp = podcastparser.parse(f"https://artoiscast.example/feeds/{name}.xml", io.BytesIO(raw))
        assert [(e["link"].split("/")[-2], e["published"]) for e in pp["episodes"]] == [
            (s, int(datetime.fromisoformat(instants[s]).timestamp())) for s in slugs]
    assert json.loads((site / "manifest.json").read_bytes())["built"] == instants[mine]
    home = lxml.html.fromstring((site / "index.html").read_bytes())
    listed = home.xpath("//section[@aria-labelledby='last']//article")
    assert [(a.xpath(".//h3/a/@href")[0].split("/")[-2], a.xpath(".//time/@datetime")[0]) for a in listed] == [
        (s, instants[s]) for s in expected["all"]]
    theme = lxml.html.fromstring((site / "themes" / "energy" / "index.html").read_bytes())
    assert [h.split("/")[-2] for h in theme.xpath("//ol[@class='episodes']//h3/a/@href")] == expected["energy"]
    for slug, instant in instants.items():
        page = lxml.html.fromstring((site / "episodes" / slug / "index.html").read_bytes())
        assert page.xpath("//p[@class='meta']/time/@datetime") == [instant]
        assert page.xpath("//p[@class='meta']/time/text()") == ["1er mars 2025"]
        assert json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)["datePublished"] == instant
        assert page.xpath("//meta[@property='article:published_time']/@content") == [instant]

    check = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert check.exit_code == 0, check.output
    warned = [line for line in check.stderr.splitlines() if line.startswith("warning:")]
    assert warned == [
        f"warning: episodes/{slug}/episode.yaml: date: 2025-03-01 is also the date of 2 other episode(s): published at "
        f"{instants[slug][11:16]} Paris time, in slug order (give each a time to set their order, e.g. "
        "date: 2025-03-01T10:00)" for slug in (erbm, gazonor, mine)]
    assert CliRunner().invoke(cli, ["check", "--catalog-only", "--strict", "--root", str(root)]).exit_code == 1

    # a time orders them as given (Paris time without an offset), and then nothing is shared
    _set_date(root, mine, "2025-03-01T08:30")
    _set_date(root, erbm, '"2025-03-01T09:15:00+00:00"')  # 10:15 in Paris
    _set_date(root, gazonor, "2025-03-01T10:05")
    build(root)
    fp = feedparser.parse((site / "feeds" / "all.xml").read_bytes())
    assert [(e.link.split("/")[-2], e.published) for e in fp.entries] == [
        (erbm, "Sat, 01 Mar 2025 10:15:00 +0100"), (gazonor, "Sat, 01 Mar 2025 10:05:00 +0100"),
        (mine, "Sat, 01 Mar 2025 08:30:00 +0100")]
    check = CliRunner().invoke(cli, ["check", "--catalog-only", "--strict", "--root", str(root)])
    assert check.exit_code == 0 and "warning:" not in check.stderr, check.output


def test_a_publish_logged_to_a_file_has_no_blank_lines_from_the_bars(root: Path) -> None:
    """Bars are for a terminal: a log (stderr to a file or pipe) gets the lines, not one blank line per bar."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    done = subprocess.run([sys.executable, "-m", "artoiscast", "publish", "--root", str(root)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "\n\n" not in done.stderr and not done.stderr.startswith("\n"), repr(done.stderr)
    assert done.stdout.startswith("uploaded ")
