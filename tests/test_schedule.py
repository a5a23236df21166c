"""Scheduled episodes are private until their date; postponing a published one is refused (issue 11, items 4-5);
``publish --watch`` brings them out at their date (a fake clock), and ``schedule`` prints a timer that does."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

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
    assert len([k for k in manifest["files"] if k.startswith("art/") and not k.startswith("art/thumbs/")]) == 3  # the feeds' artwork only
    assert not [k for k in manifest["files"] if k.startswith(f"art/thumbs/{SLUG}-")]  # nor its thumbnails
    publish(site, storage)
    assert mentions(tmp_path / "public", needles) == []
    assert build(root, now=BEFORE).skipped  # nothing came due

    result = build(root, now=AFTER)  # its date has come: the next build adds it, everywhere
    assert not result.skipped
    files = set(result.files)
    assert {f"transcripts/{SLUG}.vtt", f"chapters/{SLUG}.json", f"episodes/{SLUG}/index.html"} <= files
    assert [k for k in files if k.startswith(f"media/{SLUG}/")] and [k for k in files if k.startswith(f"art/{SLUG}-")]
    assert [k for k in files if k.startswith(f"art/thumbs/{SLUG}-")]
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


# ---------------------------------------------------------------- publish --watch (issue 14, item 4)


class FakeClock:
    """A clock that never sleeps: ``sleep`` moves time on, then runs the next scripted action
    (which may edit the catalog, or raise KeyboardInterrupt as Ctrl-C would)."""

    def __init__(self, start: datetime, actions: list[Callable[[], None]] | None = None):
        self.t = start
        self.slept: list[float] = []
        self.actions = list(actions or [])

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)
        if self.actions:
            self.actions.pop(0)()


def feed_guids(root: Path, name: str = "economy") -> list[str]:
    return [e.id for e in feedparser.parse((root / "public" / "feeds" / f"{name}.xml").read_bytes()).entries]


def utc(hour: int, minute: int) -> datetime:
    return datetime(2031, 6, 1, hour, minute, tzinfo=timezone.utc)


def test_watch_publishes_a_scheduled_episode_exactly_when_the_clock_passes_its_date(root: Path) -> None:
    from artoiscast.schedule import watch

    set_date(root, SLUG, "2025-03-01", "2040-01-01")
    (ep,) = [e for e in load_catalog(root).episodes if e.slug == SLUG]
    clock = FakeClock(utc(7, 25))  # 09:25 in Paris; the episode is re-dated to 10:00 Paris (08:00 UTC) below
    seen: list[tuple[datetime, bool, str]] = []

    def on_run(run: Any) -> None:
        assert run.ok, run.line()
        seen.append((run.at, ep.guid in feed_guids(root), run.line()))
        if len(seen) == 1:  # while the watch sleeps, the producer brings the date forward
            set_date(root, SLUG, "2040-01-01", "2031-06-01T10:00")

    assert watch(root, clock=clock, recheck=600, runs=6, on_run=on_run) == 6
    assert [at for at, _, _ in seen] == [utc(7, 25), utc(7, 35), utc(7, 45), utc(7, 55), utc(8, 0), utc(8, 10)]
    assert [out for _, out, _ in seen] == [False, False, False, False, True, True]  # at its date, not before
    assert clock.slept == [600, 600, 600, 300, 600]  # the recheck, then straight to the date
    lines = [line for _, _, line in seen]
    assert lines[0].startswith("2031-06-01 09:25:00+02:00 published ")
    assert f"next episode {SLUG} at 2040-01-01 00:00:00+01:00; next run 2031-06-01 09:35:00+02:00" in lines[0]
    assert lines[3] == (f"2031-06-01 09:55:00+02:00 nothing changed; next episode {SLUG} at 2031-06-01 "
                        "10:00:00+02:00; next run 2031-06-01 10:00:00+02:00")
    assert f"out now: {SLUG}" in lines[4] and "feeds: all, economy, energy, publisher" in lines[4]
    assert lines[4].endswith("no episode scheduled; next run 2031-06-01 10:10:00+02:00")
    assert lines[5].startswith("2031-06-01 10:10:00+02:00 nothing changed;")


def test_a_broken_catalog_mid_watch_is_one_logged_run_and_ctrl_c_stops_cleanly(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the command line: a run whose catalog is being edited fails alone, the next one
    publishes what came due meanwhile, and Ctrl-C while it sleeps ends it with exit 0."""
    from artoiscast import schedule

    set_date(root, SLUG, "2025-03-01", "2031-06-01T10:00")
    broken = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    good = broken.read_text(encoding="utf-8")

    def ctrl_c() -> None:
        raise KeyboardInterrupt

    clock = FakeClock(utc(7, 55), [lambda: broken.write_text("title: [half typed\n", encoding="utf-8"),
                                   lambda: broken.write_text(good, encoding="utf-8"), ctrl_c])
    monkeypatch.setattr(schedule, "SystemClock", lambda: clock)
    res = CliRunner().invoke(cli, ["publish", "--root", str(root), "--watch", "--recheck", "10m"])
    assert res.exit_code == 0, res.output
    assert clock.slept == [300, 600, 600]  # to the date; the catalog unreadable, the recheck; Ctrl-C in the third
    runs = [line for line in res.stdout.splitlines() if line.startswith("2031-")]
    assert [line[:25] for line in runs] == ["2031-06-01 09:55:00+02:00", "2031-06-01 10:10:00+02:00"]
    assert f"out now: {SLUG}" in runs[1]
    errors = res.stderr.splitlines()
    assert errors[0].startswith("2031-06-01 10:00:00+02:00 error: episodes/gazonor-yann-fouant/episode.yaml: ")
    assert errors[0].endswith("no episode scheduled; next run 2031-06-01 10:10:00+02:00")
    assert errors[1:] == ["stopped after 3 runs"]
    (ep,) = [e for e in load_catalog(root).episodes if e.slug == SLUG]
    assert ep.guid in feed_guids(root)


@pytest.mark.parametrize("args, line", [
    (["--watch", "--dry-run"], "error: --watch: --watch publishes: it does not go with --dry-run"),
    (["--recheck", "5m"], "error: --recheck: only goes with --watch"),
    (["--watch", "--recheck", "1s"], 'error: --recheck: "1s" is not a duration from 10s to 7d'),
    (["--watch", "--recheck", "soon"], 'error: --recheck: "soon" is not a duration from 10s to 7d'),
])
def test_bad_watch_options_are_one_line_before_anything_runs(tmp_path: Path, args: list[str], line: str) -> None:
    root = make_catalog(tmp_path / "show", with_audio=False)
    res = CliRunner().invoke(cli, ["publish", "--root", str(root), *args])
    assert res.exit_code == 2 and res.stderr.startswith(line) and len(res.stderr.splitlines()) == 1, res.output
    assert not (root / "build").exists()


# ---------------------------------------------------------------- schedule --systemd | --cron


ODD = "my show 100% $HOME"  # a space, systemd's specifier, a shell variable


def test_schedule_systemd_units_verify_and_run_publish_for_this_folder(tmp_path: Path) -> None:
    import configparser
    import shlex
    import shutil
    import subprocess

    root = make_catalog(tmp_path / ODD, with_audio=False)
    res = CliRunner().invoke(cli, ["schedule", "--systemd", "--root", str(root)])
    assert res.exit_code == 0, res.output
    files: dict[str, str] = {}
    for chunk in res.stdout.split("\n# /")[1:] if not res.stdout.startswith("# /") else ("\n" + res.stdout).split("\n# /")[1:]:
        head, text = chunk.split("\n", 1)
        files[Path("/" + head).name] = text.split("\n# save each file")[0].rstrip("\n") + "\n"
    assert sorted(files) == ["artoiscast-my-show-100-home.service", "artoiscast-my-show-100-home.timer"]
    written = CliRunner().invoke(cli, ["schedule", "--systemd", "--root", str(root), "--write", str(tmp_path / "u")])
    assert written.exit_code == 0, written.output
    assert {p.name: p.read_text() for p in (tmp_path / "u").iterdir()} == files  # what it prints is what it writes

    units = {}
    for name, text in files.items():
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(text)
        units[name.rsplit(".", 1)[1]] = parser
    service, timer = units["service"], units["timer"]
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["WorkingDirectory"] == str(root).replace("%", "%%")
    words = shlex.split(service["Service"]["ExecStart"].replace("%%", "%").replace("$$", "$"))
    assert words[1:] == ["publish", "--root", str(root)]
    assert Path(words[0]).is_absolute() and os.access(words[0], os.X_OK)
    assert timer["Timer"]["Persistent"] == "true" and timer["Timer"]["OnCalendar"] == "*-*-* *:00/5:00"
    assert timer["Timer"]["Unit"] == "artoiscast-my-show-100-home.service"
    assert timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        paths = sorted(str(p) for p in (tmp_path / "u").iterdir())
        proc = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == "", proc.stderr
        cal = subprocess.run(["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]], capture_output=True,
                             text=True)
        assert cal.returncode == 0 and "Normalized form: *-*-* *:00/5:00" in cal.stdout


@pytest.mark.parametrize("every, calendar, cron", [
    ("1m", "*-*-* *:00/1:00", "* * * * *"), ("15m", "*-*-* *:00/15:00", "*/15 * * * *"),
    ("1h", "*-*-* 00/1:00:00", "0 * * * *"), ("6h", "*-*-* 00/6:00:00", "0 */6 * * *"),
    ("24h", "*-*-* 00:00:00", "0 0 * * *"),
])
def test_schedule_intervals(every: str, calendar: str, cron: str) -> None:
    from artoiscast.schedule import cron_schedule, on_calendar, parse_every

    minutes = parse_every(every)
    assert on_calendar(minutes) == calendar and cron_schedule(minutes) == cron


def test_schedule_cron_line_runs_publish_as_cron_would(tmp_path: Path, tools: None) -> None:
    import shlex
    import subprocess

    root = make_catalog(tmp_path / ODD)
    res = CliRunner().invoke(cli, ["schedule", "--cron", "--every", "10m", "--root", str(root)])
    assert res.exit_code == 0, res.output
    (line,) = res.stdout.splitlines()
    fields = line.split(" ", 5)
    assert fields[:5] == ["*/10", "*", "*", "*", "*"]
    command = fields[5]
    assert "%" not in command.replace("\\%", "")  # cron would cut the line at a bare %
    command = command.replace("\\%", "%")  # what cron hands to the shell
    assert shlex.split(command)[:2] == ["cd", str(root)]
    src = Path(__file__).resolve().parents[1] / "src"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh", "PYTHONPATH": str(src)}
    proc = subprocess.run(["/bin/sh", "-c", command], cwd="/", env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    log = (root / "build" / "publish.log").read_text(encoding="utf-8")
    assert "uploaded" in log and f"to {root}/public" in log
    assert feedparser.parse((root / "public" / "feeds" / "all.xml").read_bytes()).entries


@pytest.mark.parametrize("args, line", [
    ([], "error: schedule: say which: --systemd or --cron"),
    (["--cron", "--every", "7m"], 'error: --every: "7m" is not an interval that divides an hour or a day'),
    (["--cron", "--write", "x"], "error: --write: only goes with --systemd"),
    (["--systemd", "--root", "nowhere"], "error: "),
])
def test_bad_schedule_input_is_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    root = make_catalog(tmp_path / "show", with_audio=False)
    res = CliRunner().invoke(cli, ["schedule", "--root", str(root), *args])
    if "nowhere" in args:
        res = CliRunner().invoke(cli, ["schedule", *args[:1], "--root", str(tmp_path / "nowhere")])
        line = f"error: {tmp_path / 'nowhere' / 'podcast.yaml'}: not found: this is not a show folder"
    assert res.exit_code == 2 and res.stderr.startswith(line) and len(res.stderr.splitlines()) == 1, res.output
