"""Publish logic on the local backend and in pure functions: guard, resume, prune, settings overrides."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from artoiscast.cli import cli
from artoiscast.config import StorageSettings
from artoiscast.errors import StorageError
from artoiscast.prune import parse_age, prune
from artoiscast.publish import check_guids, publish
from artoiscast.storage.base import resolve_settings
from artoiscast.storage.local import LocalStorage

OLD = {"files": {}, "episodes": {"a": {"guid": "g-a"}, "b": {"guid": "g-b"}}}


def test_guard_allows_the_same_episodes_and_new_ones() -> None:
    new = {"files": {}, "episodes": {"a": {"guid": "g-a"}, "b": {"guid": "g-b"}, "c": {"guid": "g-c"}}}
    assert check_guids(new, OLD, shown="m") == []
    assert check_guids(new, {"files": {}}, shown="m") == []


def test_guard_names_each_broken_episode_and_the_option_that_accepts_it() -> None:
    new = {"files": {}, "episodes": {"a": {"guid": "g-other"}, "b2": {"guid": "g-b"}}}
    errors = check_guids(new, OLD, shown="public/manifest.json")
    assert [e.field for e in errors] == ["episodes.a", "episodes.b"]
    assert "--allow-guid-change a" in errors[0].line() and "g-a" in errors[0].line()
    assert "would move to episode b2" in errors[1].line() and "--allow-guid-change b" in errors[1].line()
    assert check_guids(new, OLD, shown="m", allow_guid_change=["a", "b"]) == []
    gone = check_guids({"files": {}, "episodes": {"a": {"guid": "g-a"}}}, OLD, shown="m")
    assert len(gone) == 1 and "--allow-removed b" in gone[0].line()
    assert check_guids({"files": {}, "episodes": {"a": {"guid": "g-a"}}}, OLD, shown="m", allow_removed=["b"]) == []


def test_a_local_publish_resumes_without_copying_again(built_catalog: Path, tmp_path: Path) -> None:
    site = built_catalog / "build" / "site"
    manifest = json.loads((site / "manifest.json").read_bytes())
    public = tmp_path / "public"
    # an interrupted publish: the media made it, then the process died before the manifest
    for key in manifest["files"]:
        if key.startswith("media/"):
            (public / key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(site / key, public / key)
    storage = LocalStorage(public)
    plan = publish(site, storage)
    assert not [k for k in plan.uploads if k.startswith("media/")]
    assert plan.verified == len([k for k in manifest["files"] if k.startswith("media/")])
    assert publish(site, storage).uploads == []


def test_prune_keeps_referenced_and_young_objects(built_catalog: Path, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "public")
    with pytest.raises(StorageError, match="nothing published here"):
        prune(storage, 0)
    publish(built_catalog / "build" / "site", storage)
    old = tmp_path / "public" / "media" / "gone" / "gone-1234abcd.mp3"
    young = tmp_path / "public" / "media" / "gone" / "gone-5678abcd.mp3"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    young.write_bytes(b"young")
    month_ago = time.time() - 40 * 86400
    os.utime(old, (month_ago, month_ago))
    runner = CliRunner()
    dry = runner.invoke(cli, ["prune", "--root", str(built_catalog), "--to", str(tmp_path / "public"),
                              "--older-than", "30d", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would delete 1 objects" in dry.stdout and "delete  media/gone/gone-1234abcd.mp3" in dry.stdout
    assert old.exists()
    done = runner.invoke(cli, ["prune", "--root", str(built_catalog), "--to", str(tmp_path / "public"),
                               "--older-than", "30d"])
    assert done.exit_code == 0, done.output
    assert not old.exists() and young.exists()
    assert publish(built_catalog / "build" / "site", storage).uploads == []  # nothing referenced was touched
    bad = runner.invoke(cli, ["prune", "--root", str(built_catalog), "--older-than", "soon"])
    assert bad.exit_code == 2 and bad.stderr.strip() == 'error: --older-than: "soon" is not an age (use e.g. 30d, 12h, 2w)'


def test_parse_age() -> None:
    assert parse_age("30d") == 30 * 86400 and parse_age("12h") == 43200 and parse_age("2w") == 14 * 86400


def test_storage_settings_from_env_then_options() -> None:
    base = StorageSettings()
    env = {"ARTOISCAST_STORAGE_BACKEND": "s3", "ARTOISCAST_STORAGE_BUCKET": "b",
           "ARTOISCAST_STORAGE_PREFIX": "/site/", "ARTOISCAST_STORAGE_PATH_STYLE": "yes"}
    got = resolve_settings(base, env)
    assert (got.backend, got.bucket, got.prefix, got.path_style) == ("s3", "b", "site", True)
    got = resolve_settings(base, env, to="s3://other/p/q", endpoint_url="http://127.0.0.1:9", region=None)
    assert (got.bucket, got.prefix, got.endpoint_url, got.region) == ("other", "p/q", "http://127.0.0.1:9", None)
    assert resolve_settings(base, {}, to="out").path == "out"
    with pytest.raises(StorageError, match="not a boolean"):
        resolve_settings(base, {"ARTOISCAST_STORAGE_PATH_STYLE": "maybe"})
    with pytest.raises(StorageError, match="names no bucket"):
        resolve_settings(base, {}, to="s3://")


def test_s3_without_a_bucket_is_one_line(built_catalog: Path) -> None:
    result = CliRunner().invoke(cli, ["prune", "--root", str(built_catalog), "--older-than", "1d"],
                                env={"ARTOISCAST_STORAGE_BACKEND": "s3"})
    assert result.exit_code == 2  # a setting missing is bad input
    assert result.stderr.strip().startswith("error: podcast.yaml: storage.bucket: the s3 backend needs a bucket")


def test_prune_counts_the_grace_period_from_retirement(built_catalog: Path, tmp_path: Path) -> None:
    """An object unreferenced today is within its grace period, however old its last write; the date carries forward."""
    # A holds one object more than B, that no page or feed references (an episode's old transcript)
    site_b = built_catalog / "build" / "site"
    site_a = tmp_path / "site-a"
    shutil.copytree(site_b, site_a)
    manifest = json.loads((site_b / "manifest.json").read_bytes())
    dropped = "transcripts/gone-episode.vtt"
    (site_a / dropped).write_text("WEBVTT\n")
    with_dropped = json.loads((site_a / "manifest.json").read_bytes())
    with_dropped["files"][dropped] = {"sha256": hashlib.sha256(b"WEBVTT\n").hexdigest(), "size": 7}
    (site_a / "manifest.json").write_text(json.dumps(with_dropped, indent=1, sort_keys=True) + "\n")
    storage = LocalStorage(tmp_path / "public")
    t0 = 1_800_000_000.0
    publish(site_a, storage, now=t0 - 400 * 86400)
    assert "unreferenced" not in json.loads(storage.get("manifest.json") or b"")  # nothing unreferenced: the build's bytes
    assert storage.get("manifest.json") == (site_a / "manifest.json").read_bytes()
    year_ago = t0 - 365 * 86400
    os.utime(tmp_path / "public" / dropped, (year_ago, year_ago))  # written long ago
    publish(site_b, storage, now=t0)
    published = json.loads(storage.get("manifest.json") or b"")
    assert published["unreferenced"] == {dropped: "2027-01-15T08:00:00Z"}
    assert published["files"] == manifest["files"]
    assert publish(site_b, storage, now=t0 + 5 * 86400).uploads == []  # carried forward, unchanged
    assert json.loads(storage.get("manifest.json") or b"")["unreferenced"] == {dropped: "2027-01-15T08:00:00Z"}
    plan = prune(storage, 30 * 86400, now=t0 + 10 * 86400)
    assert plan.delete == [] and plan.in_grace == [dropped]
    plan = prune(storage, 30 * 86400, now=t0 + 31 * 86400, dry_run=True)
    assert plan.delete == [dropped]
    prune(storage, 30 * 86400, now=t0 + 31 * 86400)
    assert storage.get(dropped) is None
    plan = publish(site_b, storage, now=t0 + 32 * 86400)  # the record forgets what the store no longer holds
    assert plan.uploads == ["manifest.json"]
    assert "unreferenced" not in json.loads(storage.get("manifest.json") or b"")
    publish(site_a, storage, now=t0 + 33 * 86400)  # referenced again: not unreferenced any more
    assert "unreferenced" not in json.loads(storage.get("manifest.json") or b"")


def test_a_manifest_published_with_the_old_retired_record_is_read_and_rewritten(built_catalog: Path,
                                                                               tmp_path: Path) -> None:
    """Manifests published before the rename carry ``retired``: its dates still count, and the next publish
    writes them as ``unreferenced``."""
    site = built_catalog / "build" / "site"
    storage = LocalStorage(tmp_path / "public")
    t0 = 1_800_000_000.0
    publish(site, storage, now=t0)
    dropped = "transcripts/gone-episode.vtt"
    (tmp_path / "public" / dropped).write_text("WEBVTT\n")
    old = json.loads(storage.get("manifest.json") or b"")
    old["files"][dropped] = {"sha256": hashlib.sha256(b"WEBVTT\n").hexdigest(), "size": 7}
    old["retired"] = {"transcripts/older.vtt": "2027-01-01T00:00:00Z"}
    (tmp_path / "public" / "transcripts" / "older.vtt").write_text("WEBVTT\n")
    (tmp_path / "public" / "manifest.json").write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
    assert prune(storage, 30 * 86400, now=t0, dry_run=True).in_grace == ["transcripts/older.vtt"]
    publish(site, storage, now=t0 + 86400)
    published = json.loads(storage.get("manifest.json") or b"")
    assert "retired" not in published
    assert published["unreferenced"] == {"transcripts/older.vtt": "2027-01-01T00:00:00Z",
                                         dropped: "2027-01-16T08:00:00Z"}
