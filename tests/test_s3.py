"""Publishing to a real S3 server (SeaweedFS on 127.0.0.1): read-back, idempotence, guard, faults, prune."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.cli import cli
from artoiscast.errors import StorageError
from artoiscast.mediatypes import cache_control, content_type
from artoiscast.prune import prune
from artoiscast.publish import publish
from artoiscast.storage.s3 import S3Storage
from conftest import write_episode
from s3server import SeaweedS3

BUCKET = "show"


@pytest.fixture
def s3(s3server: SeaweedS3, monkeypatch: pytest.MonkeyPatch) -> SeaweedS3:
    for name, value in s3server.env.items():
        monkeypatch.setenv(name, value)
    s3server.make_bucket(BUCKET)
    return s3server


def store(server: SeaweedS3, prefix: str) -> S3Storage:
    return S3Storage(BUCKET, prefix=prefix, endpoint_url=server.endpoint, path_style=True)


def site(root: Path) -> Path:
    return root / "build" / "site"


def s3_files(root: Path) -> dict[str, Any]:
    """The built manifest's files as an S3 publish lists them: without the compressed sidecars."""
    return {k: v for k, v in json.loads((site(root) / "manifest.json").read_bytes())["files"].items()
            if not k.endswith((".br", ".gz"))}


def copy_catalog(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


@pytest.fixture(scope="module")
def two_builds(built_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A (the session catalog) and B (A + one episode + a changed title): new media, pages, feeds."""
    base = tmp_path_factory.mktemp("ab")
    a = copy_catalog(built_catalog, base / "a")
    b = copy_catalog(built_catalog, base / "b")
    new = write_episode(b, "terril-nouveau", """\
        title: "Le terril nouveau"
        date: 2025-04-01
        themes: [energy]
        summary: "Un épisode de plus, pour que la publication ait un média neuf à envoyer."
        audio: audio.wav
        """)
    shutil.copyfile(b / "episodes" / "gazonor-yann-fouant" / "audio.wav", new / "audio.wav")
    yaml = b / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    yaml.write_text(yaml.read_text().replace('title: "Gazonor"', 'title: "Gazonor, le gaz de mine"'))
    build(b)
    return a, b


def enclosure_keys(feed: bytes, base_url: str) -> list[str]:
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.bozo_exception
    keys = []
    for entry in parsed.entries:
        for enc in entry.enclosures:
            assert enc.href.startswith(base_url)
            keys.append(enc.href[len(base_url):].split("?", 1)[0])
    return keys


def assert_consistent(storage: S3Storage) -> dict[str, Any]:
    """The published manifest lists only stored objects; every stored feed parses and its enclosures exist."""
    listing = storage.list()
    data = storage.get("manifest.json")
    assert data is not None
    manifest = json.loads(data)
    assert set(manifest["files"]) <= set(listing), set(manifest["files"]) - set(listing)
    for key in (k for k in listing if k.startswith("feeds/")):
        feed = storage.get(key)
        assert feed is not None
        for media in enclosure_keys(feed, manifest["base_url"]):
            assert media in listing, f"{key} points at missing {media}"
    return manifest


def test_publish_to_s3_reads_back_through_boto3_and_http_then_nothing_to_do(s3: SeaweedS3, built_catalog: Path) -> None:
    storage = store(s3, "show/v1")
    storage.setup_cors()
    plan = publish(site(built_catalog), storage)
    manifest = json.loads((site(built_catalog) / "manifest.json").read_bytes())
    # S3 takes no compressed sidecars (X.br, X.gz): see tests/test_compression.py
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.endswith((".br", ".gz"))}
    assert set(plan.uploads) == set(manifest["files"]) | {"manifest.json"}
    client = s3.client()
    for key, info in sorted(manifest["files"].items()):
        local = (site(built_catalog) / key).read_bytes()
        obj = client.get_object(Bucket=BUCKET, Key=f"show/v1/{key}")
        assert obj["Body"].read() == local, key
        assert obj["ContentType"] == content_type(key)
        assert obj["CacheControl"] == cache_control(key)
        assert obj["Metadata"]["sha256"] == info["sha256"]
        # plain HTTP, as a podcast app fetches it (anonymous read, like a public bucket)
        req = urllib.request.Request(f"{s3.endpoint}/{BUCKET}/show/v1/{key}", headers={"Origin": "https://partner.example"})
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 200 and resp.read() == local
            assert resp.headers["Content-Type"] == content_type(key)
            assert resp.headers["Access-Control-Allow-Origin"] in ("*", "https://partner.example")
    media = next(k for k in manifest["files"] if k.endswith(".mp3"))
    req = urllib.request.Request(f"{s3.endpoint}/{BUCKET}/show/v1/{media}", headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206 and len(resp.read()) == 100
    assert_consistent(storage)
    again = publish(site(built_catalog), storage)
    assert again.uploads == [] and again.verified == 0
    assert len(again.kept) == len(manifest["files"]) + 1


def test_cli_publish_to_s3_then_guard_refuses_a_renamed_slug(s3: SeaweedS3, built_catalog: Path, tmp_path: Path) -> None:
    root = copy_catalog(built_catalog, tmp_path / "show")
    to = ["--to", f"s3://{BUCKET}/guard", "--endpoint-url", s3.endpoint, "--path-style"]
    first = CliRunner().invoke(cli, ["publish", "--root", str(root), *to])
    assert first.exit_code == 0, first.output
    assert f"to s3://{BUCKET}/guard" in first.stdout
    storage = store(s3, "guard")
    before = storage.list()
    (root / "episodes" / "gazonor-yann-fouant").rename(root / "episodes" / "gazonor")
    refused = CliRunner().invoke(cli, ["publish", "--root", str(root), *to])
    assert refused.exit_code == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: s3://{BUCKET}/guard/manifest.json: episodes.gazonor-yann-fouant: ")
    assert "--allow-removed gazonor-yann-fouant" in lines[0]
    assert storage.list() == before  # nothing uploaded
    allowed = CliRunner().invoke(cli, ["publish", "--root", str(root), *to, "--allow-removed", "gazonor-yann-fouant"])
    assert allowed.exit_code == 0, allowed.output
    after = assert_consistent(storage)
    assert "gazonor" in after["episodes"] and "gazonor-yann-fouant" not in after["episodes"]
    assert set(before) <= set(storage.list())  # the old media stays until prune
    # prune: the dry run deletes nothing, an age of 0 deletes only what the manifest no longer lists
    dry = prune(storage, 0, dry_run=True)
    assert dry.delete and all(k not in after["files"] for k in dry.delete)
    assert any(k.startswith("media/gazonor-yann-fouant/") for k in dry.delete)
    assert set(storage.list()) >= set(dry.delete)
    young = prune(storage, 30 * 86400)
    assert young.delete == [] and young.in_grace == dry.delete
    done = prune(storage, 0)
    assert done.delete == dry.delete and not set(done.delete) & set(storage.list())
    assert_consistent(storage)


def test_unreachable_or_refusing_endpoint_is_one_line(s3: SeaweedS3, built_catalog: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_catalog(built_catalog, tmp_path / "show")
    runner = CliRunner()
    down = runner.invoke(cli, ["publish", "--root", str(root), "--to", f"s3://{BUCKET}/x",
                               "--endpoint-url", "http://127.0.0.1:1", "--path-style"])
    assert down.exit_code == 1
    assert down.stderr.strip() == (f"error: s3://{BUCKET}/x: cannot reach http://127.0.0.1:1: connection refused "
                           "(check storage.endpoint_url)")
    monkeypatch.setenv("ARTOISCAST_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("ARTOISCAST_STORAGE_BUCKET", "no-such-bucket")
    monkeypatch.setenv("ARTOISCAST_STORAGE_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("ARTOISCAST_STORAGE_PATH_STYLE", "true")
    missing = runner.invoke(cli, ["publish", "--root", str(root)])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: s3://no-such-bucket: the bucket does not exist (create it, or check storage.bucket)"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    monkeypatch.setenv("ARTOISCAST_STORAGE_BUCKET", BUCKET)
    denied = runner.invoke(cli, ["publish", "--root", str(root)])
    assert denied.exit_code == 1 and len(denied.stderr.strip().splitlines()) == 1
    assert denied.stderr.strip().startswith(f"error: s3://{BUCKET}: access denied (") and "wrong" not in denied.stderr
    assert s3.client().list_objects_v2(Bucket=BUCKET, Prefix="x/").get("KeyCount") == 0


def _publish_cmd(root: Path, server: SeaweedS3, prefix: str) -> list[str]:
    return [sys.executable, "-m", "artoiscast", "publish", "--root", str(root), "--to", f"s3://{BUCKET}/{prefix}",
            "--endpoint-url", server.endpoint, "--path-style"]


def test_publish_killed_at_random_points_leaves_whole_feeds_and_a_rerun_finishes(
        s3: SeaweedS3, two_builds: tuple[Path, Path]) -> None:
    a, b = two_builds
    env = {**os.environ, **s3.env}
    # how long a publish of B over A takes, to spread the kills over it
    publish(site(a), store(s3, "kill/timing"))
    start = time.monotonic()
    subprocess.run(_publish_cmd(b, s3, "kill/timing"), env=env, check=True, capture_output=True)
    span = time.monotonic() - start
    rng = random.Random(20250301)
    interrupted = 0
    for run in range(20):
        storage = store(s3, f"kill/{run}")
        publish(site(a), storage)
        proc = subprocess.Popen(_publish_cmd(b, s3, f"kill/{run}"), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.0) * span)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        published = assert_consistent(storage)
        b_files = s3_files(b)  # as the killed run's build left it
        interrupted += published["files"] != b_files
        listing = storage.list()
        plan = publish(site(b), storage)
        for key in plan.uploads:  # the rerun sent only what was missing or different
            info = storage.stat(key)
            assert key not in listing or key == "manifest.json" or info is not None
        assert not {k for k in plan.kept if k not in listing}
        assert assert_consistent(storage)["files"] == b_files
        assert publish(site(b), storage).uploads == []
    print(f"{interrupted}/20 publishes were killed before their manifest was stored (span {span:.2f} s)")


def test_s3_server_stopped_mid_publish_is_a_clear_error_and_a_rerun_finishes(
        two_builds: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_builds
    server = SeaweedS3(tmp_path / "data")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        server.make_bucket(BUCKET)
        publish(site(a), store(server, "p"))
        stopped: list[str] = []

        def stop_on_first_upload(key: str, n: int) -> None:
            if not stopped:
                stopped.append(key)
                server.stop(timeout=0.5)

        with pytest.raises(StorageError) as info:
            publish(site(b), store(server, "p"), on_upload=stop_on_first_upload)
        assert stopped and info.value.line().startswith(f"s3://{BUCKET}/p: ")
        # the gateway may still answer while its storage stops (a 500 after boto3's retries) or be gone already
        assert re.match(r"(cannot reach|the store refused: InternalError|.*connection)", info.value.reason), info.value.reason
        cli_run = CliRunner().invoke(cli, ["publish", "--root", str(b), "--to", f"s3://{BUCKET}/p",
                                           "--endpoint-url", server.endpoint, "--path-style"])
        assert cli_run.exit_code == 1 and cli_run.stderr.strip().startswith(f"error: s3://{BUCKET}/p: cannot reach ")
        assert len(cli_run.stderr.strip().splitlines()) == 1
        server.start()  # the same data dir
        storage = store(server, "p")
        assert assert_consistent(storage)["files"] == s3_files(a)
        plan = publish(site(b), storage)
        assert plan.uploads and "manifest.json" in plan.uploads
        assert assert_consistent(storage)["files"] == s3_files(b)
        assert publish(site(b), storage).uploads == []
    finally:
        server.stop()


# ---------------------------------------------------------------- requests


def test_a_publish_with_nothing_to_do_lists_once_and_uploads_nothing(s3: SeaweedS3, built_catalog: Path) -> None:
    """Counted on boto3's own client (its ``before-call`` event, one per request): a publish with
    nothing changed reads the manifest, lists its prefix once, and sends nothing."""
    publish(site(built_catalog), store(s3, "counted"))
    storage = store(s3, "counted")
    assert storage.get("manifest.json")  # the endpoint has answered: from now on, one (retrying) client
    calls: list[str] = []
    storage.client.meta.events.register("before-call.s3", lambda model, **kw: calls.append(model.name))
    plan = publish(site(built_catalog), storage)
    assert plan.uploads == []
    assert calls.count("ListObjectsV2") == 1, calls
    assert not [c for c in calls if c.startswith(("Put", "CreateMultipart", "UploadPart", "Delete", "Copy"))], calls
