"""Two publishes of one show at once, killed publishes and what they leave, prune against live feeds.

Real processes (``python -m artoiscast publish``), a real folder and the real S3 server; no timing
in the assertions: overlaps are made certain by stopping a process (SIGSTOP) while it holds the
lock, never by hoping two runs meet.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.cli import cli
from artoiscast.errors import StorageError
from artoiscast.mediatypes import sidecar_of
from artoiscast.prune import prune
from artoiscast.publish import publish
from artoiscast.storage.local import LocalStorage
from artoiscast.storage.s3 import S3Storage
from conftest import write_episode
from s3server import SeaweedS3

BUCKET = "show"
BUSY = "another publish is running on this show (since "
CHANGED = "another publish changed the show since this one started: run it again"


def site(root: Path) -> Path:
    return root / "build" / "site"


def manifest_of(path: Path) -> dict[str, Any]:
    return json.loads((path / "manifest.json").read_bytes())


@pytest.fixture(scope="module")
def rivals(built_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A (the session catalog, published first), and two clones of it that each add another episode."""
    base = tmp_path_factory.mktemp("rivals")
    clones = []
    for name in ("x", "y"):
        root = Path(shutil.copytree(built_catalog, base / name, symlinks=True))
        new = write_episode(root, f"terril-{name}", f"""\
            title: "Le terril {name}"
            date: 2025-04-0{1 if name == 'x' else 2}
            themes: [energy]
            summary: "Un épisode que seule la copie {name} du catalogue publie."
            audio: audio.wav
            """)
        shutil.copyfile(root / "episodes" / "gazonor-yann-fouant" / "audio.wav", new / "audio.wav")
        build(root)
        clones.append(root)
    return built_catalog, clones[0], clones[1]


@dataclass
class Target:
    """Where the rivals publish, and how to look at it from outside the publishing processes."""

    args: list[str]  # the publish options naming it
    storage: Any
    holder: Callable[[], int | None]  # the pid of the process holding the lock, read from the store
    env: dict[str, str]


@pytest.fixture
def s3(s3server: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> SeaweedS3:
    for name, value in s3server.env.items():
        monkeypatch.setenv(name, value)
    s3server.make_bucket(BUCKET)
    return s3server


def folder_target(folder: Path) -> Target:
    owner = folder.parent / f".{folder.name}.artoiscast-tmp" / "owner.json"

    def holder() -> int | None:
        try:
            return int(json.loads(owner.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None

    return Target(["--to", str(folder)], LocalStorage(folder), holder, dict(os.environ))


def s3_target(server: SeaweedS3, prefix: str) -> Target:
    client = server.client()

    def holder() -> int | None:
        try:
            return int(json.loads(client.get_object(Bucket=BUCKET, Key=f"{prefix}/.artoiscast-lock")["Body"].read())["pid"])
        except Exception:  # noqa: BLE001  (absent, or not a lock)
            return None

    storage = S3Storage(BUCKET, prefix=prefix, endpoint_url=server.endpoint, path_style=True)
    return Target(["--to", f"s3://{BUCKET}/{prefix}", "--endpoint-url", server.endpoint, "--path-style"], storage,
                  holder, {**os.environ, **server.env})


@pytest.fixture(params=["folder", "s3"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "folder":
        return folder_target(tmp_path / "www" / "public")
    server = request.getfixturevalue("s3")
    return s3_target(server, f"rivals-{tmp_path.name}")


def start(root: Path, t: Target) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "artoiscast", "publish", "--root", str(root), *t.args], env=t.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=300)
    lines = [line for line in stderr.splitlines() if line.strip()]
    return proc.returncode, "\n".join(lines)


def stop_when(proc: subprocess.Popen[str], seen: Callable[[], bool]) -> bool:
    """Run ``proc`` in small steps until ``seen()``, and leave it stopped there (True); False if it ended first."""
    os.kill(proc.pid, signal.SIGSTOP)
    while proc.poll() is None:
        if seen():
            return True
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.002)  # a step much shorter than the phase looked for (the copies, then the manifest)
        os.kill(proc.pid, signal.SIGSTOP)
    return False


def stop_while_holding(proc: subprocess.Popen[str], holder: Callable[[], int | None]) -> bool:
    """Stop ``proc`` while the store says it holds the lock."""
    return stop_when(proc, lambda: holder() == proc.pid)


def media_of(built: Path, slug: str) -> str:
    return next(k for k in manifest_of(built)["files"] if k.startswith(f"media/{slug}/"))


def enclosures(feed: bytes, base_url: str) -> set[str]:
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.bozo_exception
    return {enc.href[len(base_url):].split("?", 1)[0] for entry in parsed.entries for enc in entry.enclosures}


def assert_published(storage: Any, built: Path) -> None:
    """The store holds ``built`` exactly as its manifest says, and every stored feed's enclosures exist."""
    listing = storage.list()
    published = json.loads(storage.get("manifest.json") or b"")
    wanted = manifest_of(built)
    if not getattr(storage, "takes_sidecars", False):  # S3 gets no compressed sidecars (X.br, X.gz)
        wanted["files"] = {k: v for k, v in wanted["files"].items() if sidecar_of(k) is None}
    assert published["files"] == wanted["files"] and published["episodes"] == wanted["episodes"]
    for key, info in published["files"].items():
        stored = storage.stat(key)
        assert stored is not None and stored.size == info["size"] and stored.sha256 == info["sha256"], key
    live: set[str] = set()
    for key in (k for k in listing if k.startswith("feeds/") and k.endswith(".xml")):
        live |= enclosures(storage.get(key) or b"", published["base_url"])
    assert live and live <= set(published["files"]), live - set(published["files"])


# ---------------------------------------------------------------- two at once


def test_a_publish_stopped_mid_upload_makes_the_other_stop_with_one_line(rivals: tuple[Path, Path, Path],
                                                                        target: Target) -> None:
    """X is stopped once its new episode's media is stored (it is mid-publish); Y runs to its end meanwhile.
    Before the lock both exited 0 and the show ended up with X's manifest over Y's feeds, or the reverse."""
    a, x, y = rivals
    publish(site(a), target.storage)
    new_media = media_of(site(x), "terril-x")
    first = start(x, target)
    stopped = stop_when(first, lambda: target.storage.stat(new_media) is not None)
    try:
        assert stopped, "the first publish ended before it was seen uploading"
        holder = target.holder()
        code, line = finish(start(y, target))  # runs to its end while the first is stopped mid-publish
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert finish(first)[0] == 0
    assert code == 1, line  # before: 0, and one of the two changes was lost
    assert holder == first.pid  # the store said who holds the lock
    assert line.startswith(f"error: {target.storage.describe()}: {BUSY}"), line
    assert line.endswith("): run it again when it ends")
    assert_published(target.storage, site(x))


def test_two_publishes_started_together_one_wins_and_the_store_stays_whole(rivals: tuple[Path, Path, Path],
                                                                          target: Target) -> None:
    a, x, y = rivals
    publish(site(a), target.storage)
    procs = {x: start(x, target), y: start(y, target)}
    results = {root: finish(proc) for root, proc in procs.items()}
    winners = [root for root, (code, _) in results.items() if code == 0]
    assert len(winners) == 1, results
    (code, line), = [r for root, r in results.items() if root not in winners]
    assert code == 1 and len(line.splitlines()) == 1, line
    # stopped by the lock, by the manifest's version, or (if it came after) by the guard: the winner's episode
    # would leave the feeds
    assert BUSY in line or CHANGED in line or "is gone from the build" in line, line
    print(f"the loser said: {line}")
    assert_published(target.storage, site(winners[0]))


def test_a_manifest_changed_meanwhile_stops_the_publish_before_its_feeds(rivals: tuple[Path, Path, Path],
                                                                        target: Target) -> None:
    """The second line of defence: a writer that took no lock (an older artoiscast, a lock taken over)."""
    a, x, _ = rivals
    storage = target.storage
    publish(site(a), storage)
    feeds_before = {k: storage.get(k) for k in storage.list() if k.startswith("feeds/")}
    theirs = (site(a) / "manifest.json").read_bytes().replace(b'"built"', b'"other": true, "built"', 1)
    written: list[bool] = []

    def someone_else_publishes(key: str, n: int) -> None:
        if not written:
            written.append(True)
            if isinstance(storage, LocalStorage):
                (storage.folder / "manifest.json").write_bytes(theirs)
            else:
                storage.client.put_object(Bucket=BUCKET, Key=storage._key("manifest.json"), Body=theirs)

    with pytest.raises(StorageError) as info:
        publish(site(x), storage, on_upload=someone_else_publishes)
    assert info.value.line() == f"{storage.describe()}: {CHANGED}"
    assert storage.get("manifest.json") == theirs  # theirs stands
    assert {k: storage.get(k) for k in storage.list() if k.startswith("feeds/")} == feeds_before  # ours never went live


def test_the_manifest_is_written_only_over_the_version_read(s3: SeaweedS3) -> None:
    """put_if on the real server: If-Match / If-None-Match, and the compare-then-write of a store without them."""
    from artoiscast.storage.base import Changed

    storage = S3Storage(BUCKET, prefix="put-if", endpoint_url=s3.endpoint, path_style=True)
    args = {"content_type": "application/json", "cache_control": "no-cache", "sha256": "x"}
    storage.put_if("m.json", b"1", expect=None, **args)
    with pytest.raises(Changed):
        storage.put_if("m.json", b"2", expect=None, **args)  # it exists now
    _, tag = storage.get_tagged("m.json")
    storage.put_if("m.json", b"3", expect=tag, **args)
    with pytest.raises(Changed):
        storage.put_if("m.json", b"4", expect=tag, **args)  # the version read is gone
    storage._conditional = False  # as on a store that ignores the conditions: the same answers, by comparing
    with pytest.raises(Changed):
        storage.put_if("m.json", b"5", expect=tag, **args)
    storage.put_if("m.json", b"6", expect=storage.get_tagged("m.json")[1], **args)
    assert storage.get("m.json") == b"6"


# ---------------------------------------------------------------- locks of dead and live publishes


def test_a_killed_publishs_lock_is_taken_over_and_a_live_ones_is_not(rivals: tuple[Path, Path, Path],
                                                                   s3: SeaweedS3) -> None:
    a, x, _ = rivals
    t = s3_target(s3, "dead-lock")
    publish(site(a), t.storage)
    victim = start(x, t)
    assert stop_while_holding(victim, t.holder)
    victim.kill()  # SIGKILL: its lock object stays behind
    victim.wait()
    assert t.holder() == victim.pid
    code, line = finish(start(x, t))  # same machine, process gone: taken over at once
    assert code == 0, line
    assert_published(t.storage, site(x))
    assert t.holder() is None  # released at the end
    # a fresh lock of a publish on another machine is respected
    client = s3.client()
    client.put_object(Bucket=BUCKET, Key="dead-lock/.artoiscast-lock", Body=json.dumps(
        {"command": "publish", "machine": "elsewhere", "pid": 1, "since": "2030-01-01T00:00:00Z", "token": "t"}))
    storage = S3Storage(BUCKET, prefix="dead-lock", endpoint_url=s3.endpoint, path_style=True)
    with pytest.raises(StorageError) as info:
        publish(site(a), storage, allow_removed=["terril-x"])
    assert info.value.line() == (f"s3://{BUCKET}/dead-lock: another publish is running on this show "
                                 "(since 2030-01-01T00:00:00Z): run it again when it ends")
    # prune takes the same lock
    with pytest.raises(StorageError, match="another publish is running"):
        prune(storage, 0)
    assert_published(storage, site(x))  # nothing happened


def test_a_held_lock_is_refreshed_and_its_holder_notices_a_takeover(s3: SeaweedS3) -> None:
    from artoiscast.storage.base import Changed

    storage = S3Storage(BUCKET, prefix="beat", endpoint_url=s3.endpoint, path_style=True)
    client = s3.client()
    with storage.lock() as held:
        assert held.conditional  # SeaweedFS refused the second create
        before = client.get_object(Bucket=BUCKET, Key="beat/.artoiscast-lock")["ETag"]
        held.refresh()  # what the heartbeat does every LOCK_HEARTBEAT s
        assert client.get_object(Bucket=BUCKET, Key="beat/.artoiscast-lock")["ETag"] != before
        held.check()  # still ours
        client.put_object(Bucket=BUCKET, Key="beat/.artoiscast-lock", Body=b'{"token": "someone else"}')
        held.refresh()
        assert held.lost
        with pytest.raises(Changed):
            held.check()
    # a lost lock is not deleted on the way out: it is the taker's
    assert client.get_object(Bucket=BUCKET, Key="beat/.artoiscast-lock")["Body"].read() == b'{"token": "someone else"}'


def test_a_lock_not_refreshed_for_its_stale_time_is_dead() -> None:
    from artoiscast.storage.base import LOCK_STALE
    from artoiscast.storage.s3lock import S3Lock, this_machine

    lock = S3Lock(S3Storage(BUCKET, prefix="p"), "publish")
    elsewhere = {"machine": "elsewhere", "pid": 1, "token": "t"}
    assert not lock._dead(elsewhere, age=LOCK_STALE - 1)
    assert lock._dead(elsewhere, age=LOCK_STALE + 1)
    here = {"machine": this_machine(), "pid": os.getpid(), "token": "not-held"}
    assert lock._dead(here, age=1)  # this very process, which holds no such lock


# ---------------------------------------------------------------- what killed publishes leave behind


MiB = 1024 * 1024


def with_big_files(src: Path, dest: Path, sizes: list[int]) -> Path:
    """A copy of the built site ``src`` with media files of random bytes, listed in its manifest."""
    shutil.copytree(src, dest)
    manifest = manifest_of(dest)
    rng = random.Random(len(sizes))
    for i, size in enumerate(sizes):
        data = rng.randbytes(size)
        key = f"media/big-{i}/big-{i}-{hashlib.sha256(data).hexdigest()[:8]}.mp3"
        (dest / key).parent.mkdir(parents=True)
        (dest / key).write_bytes(data)
        manifest["files"][key] = {"sha256": hashlib.sha256(data).hexdigest(), "size": size}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return dest


def publish_process(built: Path, storage_code: str, jobs: int = 10) -> subprocess.Popen[bytes]:
    code = ("from pathlib import Path; from artoiscast.publish import publish; "
            "from artoiscast.storage.local import LocalStorage; from artoiscast.storage.s3 import S3Storage; "
            f"publish(Path({str(built)!r}), {storage_code}, jobs={jobs})")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_multipart_upload_is_aborted_by_the_next_publish_and_by_prune(
        built_catalog: Path, s3: SeaweedS3, tmp_path: Path) -> None:
    big = with_big_files(site(built_catalog), tmp_path / "site", [40 * MiB])
    client = s3.client()
    storage = S3Storage(BUCKET, prefix="multipart", endpoint_url=s3.endpoint, path_style=True)
    proc = publish_process(big, f"S3Storage({BUCKET!r}, prefix='multipart', endpoint_url={s3.endpoint!r}, "
                                "path_style=True)", jobs=1)  # one part at a time: five parts of 8 MiB
    try:
        while proc.poll() is None and not client.list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/").get("Uploads"):
            time.sleep(0.01)
        proc.kill()
    finally:
        proc.wait()
    left = client.list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/").get("Uploads", [])
    assert [u["Key"] for u in left] == [f"multipart/{k}" for k in manifest_of(big)["files"] if k.startswith("media/big")]
    plan = publish(big, storage)
    assert not client.list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/").get("Uploads")
    assert len(plan.swept) == 1 and plan.swept[0].startswith("media/big-0/")
    assert_published(storage, big)
    # prune too: --dry-run names it and leaves it, a prune aborts it
    upload = client.create_multipart_upload(Bucket=BUCKET, Key="multipart/media/x/x-00000000.mp3")["UploadId"]
    to = ["--to", f"s3://{BUCKET}/multipart", "--endpoint-url", s3.endpoint, "--path-style"]
    dry = CliRunner().invoke(cli, ["prune", "--root", str(built_catalog), *to, "--older-than", "0s", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 leftovers of interrupted publishes" in dry.stdout
    assert "  leftover  media/x/x-00000000.mp3 (unfinished upload started " in dry.stdout
    assert [u["UploadId"] for u in client.list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/")["Uploads"]] == [upload]
    done = CliRunner().invoke(cli, ["prune", "--root", str(built_catalog), *to, "--older-than", "30d"])
    assert done.exit_code == 0, done.output
    assert not client.list_multipart_uploads(Bucket=BUCKET, Prefix="multipart/").get("Uploads")


def test_killed_folder_publishes_never_show_a_temporary_file_and_the_next_run_removes_theirs(
        built_catalog: Path, tmp_path: Path) -> None:
    big = with_big_files(site(built_catalog), tmp_path / "site", [8 * MiB, 8 * MiB, 8 * MiB])
    folder = tmp_path / "www" / "public"
    final = set(manifest_of(big)["files"]) | {"manifest.json"}
    storage_code = f"LocalStorage(Path({str(folder)!r}))"
    # the window in which copies run: after the start-up and plan of a run with nothing to do, before a full one ends
    began = time.monotonic()
    publish_process(big, storage_code).wait()
    full = time.monotonic() - began
    began = time.monotonic()
    publish_process(big, storage_code).wait()
    idle = time.monotonic() - began
    # something to copy each time: the big media go again, and a file an older version left when killed
    seen: set[str] = set()
    watching = threading.Event()

    def watch() -> None:  # every name that ever appears in the published folder
        while not watching.is_set():
            for dirpath, dirnames, filenames in os.walk(folder):
                rel = Path(dirpath).relative_to(folder)
                seen.update((rel / n).as_posix() for n in dirnames + filenames)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(23)
    legacy = folder / "media" / ".old.mp3.4242.part"
    try:
        for _ in range(20):
            for key in final:
                if key.startswith("media/big"):
                    (folder / key).unlink(missing_ok=True)
            proc = publish_process(big, storage_code)
            time.sleep(idle + rng.uniform(0.0, 1.0) * max(full - idle, 0.05))
            proc.kill()
            proc.wait()
    finally:
        watching.set()
        watcher.join()
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_bytes(b"left by an older version")
    for key in final:  # the last killed run may have finished: give the next one work, so it takes the lock
        if key.startswith("media/big"):
            (folder / key).unlink(missing_ok=True)
    folders = {parent.as_posix() for k in final for parent in Path(k).parents if parent != Path(".")}
    strays = seen - final - folders
    assert not strays, sorted(strays)  # nothing temporary was ever visible under the public URL
    plan = publish(big, LocalStorage(folder))
    assert any(s.endswith(".old.mp3.4242.part") for s in plan.swept)
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob("*artoiscast-tmp*"))  # none anywhere
    assert_published(LocalStorage(folder), big)


def test_a_folder_whose_parent_is_read_only_stages_inside_and_says_so(built_catalog: Path, tmp_path: Path) -> None:
    from hostile import cli as cli_cmd, run, unprivileged

    parent = tmp_path / "ro"
    folder = parent / "public"
    folder.mkdir(parents=True)
    root = Path(shutil.copytree(built_catalog, tmp_path / "show", symlinks=True))
    parent.chmod(0o555)
    try:
        done = run(unprivileged(cli_cmd("publish", "--root", root, "--to", folder)))
    finally:
        parent.chmod(0o755)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [f"warning: {folder}: temporary files are staged in {folder}/.artoiscast-tmp, inside the "
                        f"published folder, while a publish runs (cannot use {parent}/.public.artoiscast-tmp: "
                        f"Permission denied; make {parent} writable, on the same filesystem as the folder, to keep "
                        "them out of the public URL)"]
    assert not (folder / ".artoiscast-tmp").exists()  # removed when the publish ended
    assert_published(LocalStorage(folder), site(root))


# ---------------------------------------------------------------- prune reads the live feeds


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_prune_never_deletes_what_a_live_feed_references(built_catalog: Path, tmp_path: Path, kind: str,
                                                         request: pytest.FixtureRequest) -> None:
    t = (folder_target(tmp_path / "public") if kind == "folder"
         else s3_target(request.getfixturevalue("s3"), f"live-{tmp_path.name}"))
    storage = t.storage
    publish(site(built_catalog), storage)
    manifest = manifest_of(site(built_catalog))
    old_media = next(k for k in manifest["files"] if k.startswith("media/gazonor"))
    newer_media = old_media.rsplit("-", 1)[0] + "-0badcafe.mp3"
    unused = "media/gone/gone-12345678.mp3"
    # a publish that stopped between its feeds and its manifest: a feed points at media the manifest lacks
    feed = (storage.get("feeds/all.xml") or b"").replace(old_media.encode(), newer_media.encode())
    for key, data in ((newer_media, b"newer audio"), (unused, b"old audio"), ("feeds/all.xml", feed)):
        tmp = tmp_path / "upload"
        tmp.write_bytes(data)
        storage.put(key, tmp, content_type="audio/mpeg", cache_control="public, max-age=300")
    dry = CliRunner().invoke(cli, ["prune", "--root", str(built_catalog), *t.args, "--older-than", "0s", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    deleted = [line.split()[-1] for line in dry.stdout.splitlines() if line.startswith("  delete  ")]
    assert deleted == [unused]
    assert "(1 of them only by a live feed or page)" in dry.stdout
    plan = prune(storage, 0)
    assert plan.delete == [unused] and plan.live == [newer_media]
    assert storage.get(newer_media) == b"newer audio"
