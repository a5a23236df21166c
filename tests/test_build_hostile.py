"""The build in a hostile world, through the real command line: a full disk, unreadable inputs,
symlink loops, a file where build/ should be, SIGKILL mid-ingest, two builds at once.

Each bad situation is one `error:` line, no traceback, exit 2 for bad input and 1 for a
failure; nothing half-written; what completed is kept.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from artoiscast import workspace
from artoiscast.build import build
from conftest import make_catalog, write_episode
from hostile import cli, on_small_disk, run, unprivileged

PAGE = 4096
LONG = "long-reportage"


@pytest.fixture
def root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single `error:` line of a failed command (and no traceback)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def clip(path: Path, seconds: float, *, rate: int = 44100, channels: int = 2, vol: float = 0.3) -> Path:
    """A long real clip (pink noise under a slow tremolo, like speech in level), made with sox."""
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path), "synth", str(seconds),
                    "pinknoise", "tremolo", "0.5", "60", "vol", str(vol)], check=True)
    return path


def add_long_episode(root: Path, seconds: float, **kw: object) -> Path:
    """The oldest episode, so it is the last one ingested (episodes go newest first)."""
    folder = write_episode(root, LONG, """\
        title: "Un long reportage"
        date: 2024-01-05
        themes: [energy]
        summary: "Un reportage de terrain."
        audio: audio.wav
        """)
    clip(folder / "audio.wav", seconds, **kw)  # type: ignore[arg-type]
    return folder


def pages(folder: Path) -> int:
    """Bytes a tmpfs needs for the files under ``folder`` (whole pages)."""
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in folder.rglob("*") if p.is_file())


def leftovers(build_dir: Path) -> list[str]:
    """Temporaries and half-written files: what a killed or failed run must not leave."""
    found = [p for p in build_dir.rglob(".ingest.*")]
    found += [p for p in build_dir.glob("tag-*")]
    found += [p for p in (build_dir / "site").rglob(".*.tmp")] if (build_dir / "site").is_dir() else []
    return sorted(str(p.relative_to(build_dir)) for p in found)


def assert_site_matches_manifest(site: Path) -> None:
    manifest = json.loads((site / "manifest.json").read_bytes())
    on_disk = {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*") if p.is_file()}
    del on_disk["manifest.json"]
    assert on_disk == {k: v["size"] for k, v in manifest["files"].items()}


# ---------------------------------------------------------------- 7. a full disk


def _build_on_small_disk(root: Path, size: int, keep: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``artoiscast build -j 1`` with build/ on a ``size``-byte tmpfs. Returns the run and the
    files left in build/; build/ingest and build/site are copied to ``keep`` (the tmpfs goes
    with the command)."""
    keep.mkdir()
    script = ('"$@" 2>"$KEEP/stderr"; rc=$?; (cd "$ROOT/build" && find . -type f) >"$KEEP/files"; '
              'cp -a "$ROOT/build/ingest" "$ROOT/build/site" "$KEEP" 2>/dev/null; exit $rc')
    cmd = on_small_disk(root / "build", size, ["sh", "-c", script, "sh", *cli("build", "--root", root, "-j", "1")])
    result = run(cmd, env={"ROOT": str(root), "KEEP": str(keep)})
    result.stderr = (keep / "stderr").read_text()
    return result, sorted((keep / "files").read_text().split())


def test_a_full_disk_during_the_ingest_is_one_line_and_keeps_the_finished_ingests(root: Path, tmp_path: Path) -> None:
    add_long_episode(root, 20)
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    assert run(cli("ingest", "--root", reference)).returncode == 0
    ingest = reference / "build" / "ingest"
    short = pages(ingest) - pages(ingest / LONG)
    # the three short episodes fit, the long one's encode does not (half its size is left for it)
    result, files = _build_on_small_disk(root, short + pages(ingest / LONG) // 2, tmp_path / "kept")
    assert result.returncode == 1, result.stderr
    assert one_error(result) == (f"error: build/ingest/{LONG}: cannot be written (disk full: free some space, "
                                 "then run it again)")
    kept = tmp_path / "kept" / "ingest"
    for slug in ("erbm-melanie-delots", "mine-de-soleil-marie-piotrowski", "gazonor-yann-fouant"):
        assert sorted(p.suffix for p in (kept / slug).iterdir()) == [".json", ".mp3"]
        (mp3,) = (kept / slug).glob("*.mp3")
        assert mp3.read_bytes() == (ingest / slug / mp3.name).read_bytes()  # whole: as a full disk's peer wrote it
    assert not (kept / LONG).exists() or not any((kept / LONG).iterdir())
    assert [f for f in files if "/." in f and not f.endswith("/.lock")] == []  # no temporary, no marker left
    assert not any(f.startswith("./site/") for f in files)  # a failed ingest writes no site
    # the next run (on a disk with room) starts from what was kept: only the long episode is encoded
    shutil.copytree(kept, root / "build" / "ingest")
    again = build(root)
    assert {s for s, r in again.records.items() if not r.cached} == {LONG}


def test_a_full_disk_while_writing_the_site_leaves_each_file_whole_or_absent(root: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(root, reference)
    assert run(cli("build", "--root", reference)).returncode == 0
    ingest, whole = pages(reference / "build" / "ingest"), pages(reference / "build")
    # the ingest fits, the tagged copies and the site only half
    result, files = _build_on_small_disk(root, ingest + (whole - ingest) // 2, tmp_path / "kept")
    assert result.returncode == 1, result.stderr
    line = one_error(result)
    assert line.startswith("error: build/") and line.endswith(
        ": cannot be written (disk full: free some space, then run it again)"), line
    assert [f for f in files if "/." in f and not f.endswith("/.lock")] == []  # no .<name>.tmp, no marker
    assert not any(f.startswith("./tag-") for f in files)  # nor the tagged copies' folder
    assert "./site/manifest.json" not in files  # the manifest goes last: an unfinished site has none
    site, ref_site = tmp_path / "kept" / "site", reference / "build" / "site"
    written = [p for p in site.rglob("*") if p.is_file()] if site.exists() else []
    for p in written:  # every file written is whole: the bytes the full build wrote
        assert p.read_bytes() == (ref_site / p.relative_to(site)).read_bytes(), p
    for slug in ("erbm-melanie-delots", "mine-de-soleil-marie-piotrowski", "gazonor-yann-fouant"):
        assert sorted(p.suffix for p in (tmp_path / "kept" / "ingest" / slug).iterdir()) == [".json", ".mp3"]


# ---------------------------------------------------------------- 9, 11. unreadable inputs, symlink loops


READ_DENIED = "cannot be read (permission denied: let the user running artoiscast read it)"

# An unreadable input is bad input the catalog finds before any audio work (as a missing one);
# one that turns unreadable after the catalog was read is the ingest's to report, per episode.
INGEST_AFTER_CHMOD = """
import json, sys
from pathlib import Path
from artoiscast.catalog import load_catalog
from artoiscast.ingest import ingest_all
root = Path(sys.argv[1])
catalog = load_catalog(root)
(root / "episodes" / "gazonor-yann-fouant" / "audio.wav").chmod(0)
records, errors = ingest_all(catalog, root / "build" / "ingest")
print(json.dumps({"records": sorted(records), "errors": [e.line() for e in errors]}))
"""


def test_unreadable_audio_is_one_line_and_the_other_episodes_ingest(root: Path) -> None:
    audio = root / "episodes" / "gazonor-yann-fouant" / "audio.wav"
    audio.chmod(0)
    result = run(unprivileged(cli("ingest", "--json", "--root", root)))
    assert result.returncode == 2, result.stderr
    assert one_error(result) == f'error: episodes/gazonor-yann-fouant/episode.yaml: audio: "audio.wav" {READ_DENIED}'
    assert not (root / "build" / "ingest").exists() or not list((root / "build" / "ingest").rglob("*.mp3"))
    # unreadable only once the catalog is read: the ingest says so for that episode, the others ingest
    audio.chmod(0o644)
    result = run(unprivileged([cli()[0], "-c", INGEST_AFTER_CHMOD, str(root)]))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["records"] == ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"]
    assert data["errors"] == [f'episodes/gazonor-yann-fouant/episode.yaml: audio: "audio.wav" {READ_DENIED}']
    cache = root / "build" / "ingest"
    assert sorted(p.name for p in cache.iterdir()) == ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"]
    for slug in ("erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"):
        assert sorted(p.suffix for p in (cache / slug).iterdir()) == [".json", ".mp3"]


@pytest.mark.parametrize("side", ["transcript.vtt", "chapters.yaml", "image"])
def test_an_unreadable_side_file_is_one_line_exit_2_and_the_ingests_are_kept(root: Path, side: str) -> None:
    folder = root / "episodes" / "erbm-melanie-delots"
    if side == "image":
        shutil.copyfile(root / "cover.png", folder / "cover.png")
        with (folder / "episode.yaml").open("a") as f:
            f.write("image: cover.png\n")
        side = "cover.png"
    assert run(cli("build", "--root", root)).returncode == 0
    site = {p: p.read_bytes() for p in (root / "build" / "site").rglob("*") if p.is_file()}
    (folder / side).chmod(0)
    os.utime(folder / side)  # an edit (a chmod alone leaves the built site valid: the build would skip)
    result = run(unprivileged(cli("build", "--root", root)))
    assert result.returncode == 2, result.stderr
    line = one_error(result)
    assert line.startswith("error: episodes/erbm-melanie-delots/") and line.endswith(READ_DENIED), line
    assert len(list((root / "build" / "ingest").glob("*/*.mp3"))) == 3  # the earlier ingests are kept
    assert {p: p.read_bytes() for p in (root / "build" / "site").rglob("*") if p.is_file()} == site  # untouched


def test_a_symlink_loop_as_audio_or_anywhere_in_the_catalog_is_no_crash(root: Path) -> None:
    folder = root / "episodes" / "gazonor-yann-fouant"
    (folder / "old.wav").symlink_to("old.wav")  # a loop no field names
    (folder / "draft.vtt").symlink_to(folder / "gone.vtt")  # a dangling link
    ok = run(cli("build", "--root", root))
    assert ok.returncode == 0, ok.stderr
    (root / "episodes" / "loop").symlink_to(root / "episodes" / "loop")  # an episode folder that is a loop
    result = run(cli("build", "--root", root))
    assert result.returncode == 2, result.stderr
    assert one_error(result).startswith("error: episodes/loop: ")
    (root / "episodes" / "loop").unlink()
    (folder / "audio.wav").unlink()
    (folder / "audio.wav").symlink_to("audio.wav")
    result = run(cli("publish", "--root", root))
    assert result.returncode == 2, result.stderr
    assert one_error(result).startswith('error: episodes/gazonor-yann-fouant/episode.yaml: audio: "audio.wav" ')


def test_ingest_reads_through_no_symlink_loop(root: Path) -> None:
    """Behind the catalog: the ingest itself says what a looping audio path is."""
    from artoiscast.catalog import load_catalog
    from artoiscast.ingest import ingest_all

    catalog = load_catalog(root)
    audio = root / "episodes" / "gazonor-yann-fouant" / "audio.wav"
    audio.unlink()
    audio.symlink_to(audio.name)
    records, errors = ingest_all(catalog, root / "build" / "ingest")
    assert sorted(records) == ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"]
    assert [e.line() for e in errors] == [
        'episodes/gazonor-yann-fouant/episode.yaml: audio: "audio.wav" cannot be read (a symlink loop: point the link '
        'at a real file)']


# ---------------------------------------------------------------- 15. a file where build/ should be


@pytest.mark.parametrize(("where", "command"), [("build", "build"), ("build", "ingest"),
                                                 ("build/ingest", "build"), ("build/ingest", "ingest"),
                                                 ("build/site", "build")])
def test_a_file_where_a_build_folder_should_be_is_one_clear_line(root: Path, where: str, command: str) -> None:
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text("not a folder\n")
    result = run(cli(command, "--root", root))
    assert result.returncode == 1, result.stderr
    assert one_error(result) == f"error: {where}: is a file, not a folder (move it away)"
    assert (root / where).read_text() == "not a folder\n"


# ---------------------------------------------------------------- 23, 24. killed builds, two builds at once


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of the live processes (zombies have none) that contain ``text``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(cmdline)
    return found


def _wait_for(condition, what: str, proc: subprocess.Popen[bytes] | None = None, limit: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the build ended ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}")
        time.sleep(0.02)


def test_builds_killed_mid_ingest_leave_nothing_the_next_run_does_not_remove(root: Path) -> None:
    folder = add_long_episode(root, 40)
    rng = random.Random(11)
    seen = 0
    for i in range(12):
        clip(folder / "audio.wav", 40, vol=0.25 + 0.005 * i)  # new sound: each run encodes it again
        proc = subprocess.Popen(cli("build", "--root", root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(lambda: any((root / "build" / "ingest" / LONG).glob(".ingest.*")), "the encode start", proc)
        except AssertionError:
            if proc.poll() is None:
                raise
            continue  # the encode was over between two looks: nothing to kill this time
        time.sleep(rng.uniform(0, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen += bool(leftovers(root / "build"))
    assert seen >= 3  # the kills did leave temporaries behind
    result = run(cli("build", "--root", root))
    assert result.returncode == 0, result.stderr
    assert leftovers(root / "build") == []
    assert not (root / "build" / workspace.RUNNING).exists()
    assert_site_matches_manifest(root / "build" / "site")


def test_a_killed_build_takes_its_ffmpeg_processes_with_it(root: Path, tmp_path: Path) -> None:
    folder = add_long_episode(root, 1800, rate=8000, channels=1)  # half an hour: minutes of encoding left
    proc = subprocess.Popen(cli("build", "--root", root, "-j", "1"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def encoding() -> bool:
        return any(p.stat().st_size > 0 for p in (root / "build" / "ingest" / LONG).glob(".ingest.*.mp3"))

    _wait_for(encoding, "the encoder writing", proc)
    assert _processes_mentioning(str(folder))  # ffmpeg runs on the source
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(str(tmp_path)) == []


def test_two_builds_at_once_in_one_checkout_both_succeed(root: Path) -> None:
    build(root)  # the audio is ingested once; the rounds below rebuild the whole site
    path = root / "podcast.yaml"
    text = path.read_text()
    for i in range(20):  # the crash this guards against came 1 run in 40
        # a new show title: every page, feed and tagged MP3 is written again, by both builds
        path.write_text(text.replace('title: "Radioscopie', f'title: "({i}) Radioscopie'))
        procs = [subprocess.Popen(cli("build", "--root", root), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (_out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0 and "Traceback" not in err, err
        assert f"({i}) Radioscopie" in (root / "build" / "site" / "feeds" / "energy.xml").read_text()
        assert_site_matches_manifest(root / "build" / "site")
        assert leftovers(root / "build") == []


def test_a_second_build_waits_for_the_first_then_finds_its_work_done(root: Path) -> None:
    with workspace.lock(root / "build"):  # a first build, here, holds the checkout's lock
        second = subprocess.Popen(cli("build", "--root", root), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        assert second.stderr is not None
        first_line = second.stderr.readline()
        assert first_line.strip() == "waiting for another build in this checkout"
        assert second.poll() is None
        first = build(root)  # the first build does the work meanwhile (nested: the lock is ours)
        assert not first.skipped
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "nothing changed since the last build" in out
    assert "Traceback" not in err


def test_the_lock_is_a_plain_flock_any_process_can_hold(root: Path) -> None:
    """Other tools (a deploy script) can keep builds out with flock(1) on build/.lock."""
    (root / "build").mkdir()
    with open(root / "build" / workspace.LOCK, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        proc = subprocess.Popen(cli("build", "--root", root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "waiting for another build in this checkout"
        assert not (root / "build" / "site").exists()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert (root / "build" / "site" / "manifest.json").is_file()


