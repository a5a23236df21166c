"""Storage settings are input: a bad one is one line and exit 2, before anything is built; an S3
endpoint that says nothing costs one timeout and one line; a connection lost mid-publish says so."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from artoiscast.config import StorageSettings
from artoiscast.cli import cli
from artoiscast.errors import StorageError
from artoiscast.publish import publish
from artoiscast.storage.s3 import S3Storage
from conftest import make_catalog
from hostile import run
from s3server import SeaweedS3

BUCKET = "show"


def one_line(result: object) -> str:
    """The only line on stderr (the progress bar may leave blank ones)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def unbuilt(tmp_path: Path) -> Path:
    """A catalog with no audio and no build: anything that builds before checking the settings fails otherwise."""
    return make_catalog(tmp_path / "show", with_audio=False)


BAD = [
    ({"ARTOISCAST_STORAGE_BACKEND": "gcs"}, [],
     'error: ARTOISCAST_STORAGE_BACKEND: unknown backend "gcs" (use one of: local, s3)'),
    ({"ARTOISCAST_STORAGE_PATH_STYLE": "maybe"}, [],
     'error: ARTOISCAST_STORAGE_PATH_STYLE: "maybe" is not a boolean (use true or false)'),
    ({}, ["--to", "s3://"], 'error: --to: "s3://" names no bucket (use s3://BUCKET/PREFIX)'),
    ({}, ["--to", "gs://show/site"],
     'error: --to: "gs://show/site" is not a storage target (use s3://BUCKET/PREFIX or a folder)'),
    ({}, ["--to", "s3://show/site", "--read-timeout", "-1"],
     'error: --read-timeout: "-1" is not a timeout (give a number of seconds above 0 and at most 3600, e.g. 5)'),
    ({"ARTOISCAST_STORAGE_CONNECT_TIMEOUT": "soon"}, ["--to", "s3://show/site"],
     'error: ARTOISCAST_STORAGE_CONNECT_TIMEOUT: "soon" is not a timeout (give a number of seconds above 0 and at '
     'most 600, e.g. 5)'),
    ({}, ["--to", "s3://show/site", "--endpoint-url", "notaurl"],
     'error: --endpoint-url: "notaurl" is not an S3 endpoint (give an absolute http(s) URL, e.g. '
     'https://s3.fr-par.scw.cloud or http://127.0.0.1:8333)'),
    ({"ARTOISCAST_STORAGE_ENDPOINT_URL": "ftp://127.0.0.1:21"}, ["--to", "s3://show/site"],
     'error: ARTOISCAST_STORAGE_ENDPOINT_URL: "ftp://127.0.0.1:21" is not an S3 endpoint (give an absolute '
     'http(s) URL, e.g. https://s3.fr-par.scw.cloud or http://127.0.0.1:8333)'),
]


@pytest.mark.parametrize("command", ["publish", "prune"])
@pytest.mark.parametrize(("env", "args", "line"), BAD, ids=["backend", "path-style", "no-bucket", "gs", "timeout",
                                                           "timeout-env", "endpoint", "endpoint-env"])
def test_a_bad_storage_setting_is_one_line_exit_2_before_anything_is_built(
        unbuilt: Path, command: str, env: dict[str, str], args: list[str], line: str) -> None:
    extra = ["--older-than", "30d"] if command == "prune" else []
    result = CliRunner().invoke(cli, [command, "--root", str(unbuilt), *args, *extra], env=env)
    assert result.exit_code == 2, result.output
    assert one_line(result) == line
    assert not (unbuilt / "build").exists()  # refused before the build (publish) or the catalog (prune)


@pytest.mark.parametrize(("storage", "line"), [
    ("{backend: gcs}", 'error: podcast.yaml: storage.backend: unknown backend "gcs" (use one of: local, s3)'),
    ("{backend: s3, bucket: show, endpoint_url: 'http//nohost'}",
     # podcast.yaml's URLs are all judged by the catalog's one URL type (values.http_url_problem)
     'error: podcast.yaml: storage.endpoint_url: "http//nohost" is not an http(s) URL (write the full address, '
     'e.g. https://example.org/page)'),
    ("{backend: s3}", "error: podcast.yaml: storage.bucket: the s3 backend needs a bucket (set storage.bucket, "
                      "ARTOISCAST_STORAGE_BUCKET or --to s3://BUCKET/PREFIX)"),
])
def test_a_bad_storage_setting_in_podcast_yaml_names_it(unbuilt: Path, storage: str, line: str) -> None:
    with (unbuilt / "podcast.yaml").open("a") as f:
        f.write(f"storage: {storage}\n")
    result = CliRunner().invoke(cli, ["prune", "--root", str(unbuilt), "--older-than", "30d"])
    assert result.exit_code == 2, result.output
    assert one_line(result) == line


def test_a_negative_timeout_in_podcast_yaml_is_bad_input(unbuilt: Path) -> None:
    with (unbuilt / "podcast.yaml").open("a") as f:
        f.write("storage: {backend: s3, bucket: show, read_timeout: -3}\n")
    result = CliRunner().invoke(cli, ["prune", "--root", str(unbuilt), "--older-than", "30d"])
    assert result.exit_code == 2, result.output
    assert one_line(result) == "error: podcast.yaml: storage.read_timeout: Input should be greater than 0"


def test_timeouts_come_from_podcast_yaml_then_env_then_options() -> None:
    from artoiscast.storage.base import resolve_settings
    from artoiscast.storage.s3 import TIMEOUTS

    yaml = StorageSettings(backend="s3", bucket="b", connect_timeout=2, read_timeout=9)
    assert (StorageSettings().connect_timeout, StorageSettings().read_timeout) == TIMEOUTS  # one set of defaults
    got = resolve_settings(yaml, {"ARTOISCAST_STORAGE_READ_TIMEOUT": "7.5"}, connect_timeout="3")
    assert (got.connect_timeout, got.read_timeout) == (3.0, 7.5)
    storage = S3Storage.from_settings(got, Path("."))
    assert storage.timeouts == (3.0, 7.5)


# ---------------------------------------------------------------- an endpoint that says nothing


@pytest.fixture
def silent() -> Iterator[tuple[str, list[socket.socket]]]:
    """An endpoint that accepts every connection and never says a word; the connections it took."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    taken: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                taken.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}", taken
    srv.close()
    for conn in taken:
        conn.close()


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """An endpoint whose connection queue is full: a connect gets no SYN-ACK, as with a blackholed address."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    filler = socket.create_connection(srv.getsockname())
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    filler.close()
    srv.close()


@pytest.fixture
def built_copy(built_catalog: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built_catalog, tmp_path / "show", symlinks=True))


KEYS = {"AWS_ACCESS_KEY_ID": "artoiscast-test", "AWS_SECRET_ACCESS_KEY": "artoiscast-test-secret"}


@pytest.mark.parametrize("path_style", [True, False], ids=["signed-GET-fast-path", "boto3"])
def test_an_endpoint_that_never_answers_costs_one_read_timeout_and_one_line(
        built_copy: Path, silent: tuple[str, list[socket.socket]], path_style: bool) -> None:
    endpoint, taken = silent
    with (built_copy / "podcast.yaml").open("a") as f:  # the timeout from podcast.yaml, the rest from options
        f.write("storage: {read_timeout: 1}\n")
    cmd = [sys.executable, "-m", "artoiscast", "publish", "--root", str(built_copy), "--to", f"s3://{BUCKET}/x",
           "--endpoint-url", endpoint] + (["--path-style"] if path_style else [])
    done = run(cmd, env=KEYS, timeout=60)  # the old code waited about 250 s
    assert done.returncode == 1, done.stderr
    assert one_line(done) == (f"error: s3://{BUCKET}/x: no answer from {endpoint} within 1 s "
                              "(check storage.endpoint_url, or raise storage.read_timeout)")
    assert len(taken) == 1  # one attempt: no retry multiplied the wait


def test_an_endpoint_that_never_accepts_costs_one_connect_timeout_and_one_line(built_copy: Path,
                                                                               full_backlog: str) -> None:
    cmd = [sys.executable, "-m", "artoiscast", "publish", "--root", str(built_copy), "--to", f"s3://{BUCKET}/x",
           "--endpoint-url", full_backlog, "--path-style"]
    done = run(cmd, env={**KEYS, "ARTOISCAST_STORAGE_CONNECT_TIMEOUT": "1"}, timeout=60)
    assert done.returncode == 1, done.stderr
    assert one_line(done) == (f"error: s3://{BUCKET}/x: no answer from {full_backlog} within 1 s "
                              "(check storage.endpoint_url, or raise storage.connect_timeout)")


# ---------------------------------------------------------------- a connection lost mid-publish


def test_a_server_killed_mid_publish_is_a_lost_connection_and_a_rerun_resumes(
        built_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = built_catalog / "build" / "site"
    server = SeaweedS3(tmp_path / "data")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        server.make_bucket(BUCKET)
        killed: list[str] = []

        def kill_on_first_upload(key: str, n: int) -> None:
            if not killed and server.process is not None:
                killed.append(key)
                os.kill(server.process.pid, signal.SIGKILL)  # gone at once: no 500s from a gateway shutting down
                server.process.wait()
                server.process = None

        storage = S3Storage(BUCKET, prefix="lost", endpoint_url=server.endpoint, path_style=True, read_timeout=5)
        with pytest.raises(StorageError) as info:
            publish(site, storage, on_upload=kill_on_first_upload)
        assert killed
        line = info.value.line()
        assert line.startswith(f"s3://{BUCKET}/lost: connection to {server.endpoint} lost (")
        assert line.endswith(", 3 attempts): run it again, it resumes where it stopped"), line
        assert "check storage.endpoint_url" not in line
        server.start()  # the same data dir
        storage = S3Storage(BUCKET, prefix="lost", endpoint_url=server.endpoint, path_style=True)
        publish(site, storage)  # the dead run's lock is taken over at once: its process (this one) let go of it
        published = json.loads(storage.get("manifest.json") or b"")
        built = json.loads((site / "manifest.json").read_bytes())["files"]
        assert published["files"] == {k: v for k, v in built.items() if not k.endswith((".br", ".gz"))}  # S3: no sidecars
        again = publish(site, storage)
        assert again.uploads == [], (f"new {again.new}, changed {again.changed}, listed sizes "
                                     f"{ {k: v.size for k, v in storage.list().items() if k in again.uploads} }, "
                                     f"built sizes { {k: again.sizes[k] for k in again.uploads} }")
    finally:
        server.stop()
