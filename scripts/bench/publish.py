#!/usr/bin/env python3
"""Benchmark: artoiscast publish to S3 against s3transfer and the AWS CLI, on a SeaweedFS started here.

    .venv/bin/python scripts/bench/publish.py [--quick]

Prints, measured in the same run on the same files:
  1. upload throughput of publish() / s3transfer TransferManager with every file queued
     (200 x 5 MiB, then 20 x 50 MiB; --quick: 40 x 5 MiB, 4 x 50 MiB); target >= 0.9
  2. a publish with nothing changed / `aws s3 sync --dryrun` of the same tree to the same prefix
     (AWS CLI from PyPI `awscli`, the `bench` extra), both as fresh processes; target <= 1.0.
     The publish must make one listing of its prefix and no upload (tests/test_s3.py counts them).
Never run by the test suite. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from s3server import SeaweedS3  # noqa: E402

MiB = 1024 * 1024
BUCKET = "bench"


def aws_cli() -> list[str]:
    """The AWS CLI command (the `bench` extra: pip install awscli)."""
    try:
        import awscli  # noqa: F401
    except ImportError:
        sys.exit("the AWS CLI is missing: pip install awscli (or the project's bench extra)")
    return [sys.executable, "-m", "awscli"]


def make_tree(folder: Path, count: int, size: int) -> None:
    """A built site: ``count`` media files of ``size`` bytes and a manifest listing them."""
    files = {}
    for i in range(count):
        key = f"media/ep{i:03d}/ep{i:03d}-{size // MiB}m.mp3"
        data = os.urandom(size)
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
        files[key] = {"sha256": hashlib.sha256(data).hexdigest(), "size": size}
    manifest = {"version": 1, "base_url": "http://127.0.0.1/", "episodes": {}, "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


def clear(server: SeaweedS3, prefix: str) -> None:
    client = server.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


def anchor_upload(server: SeaweedS3, tree: Path, prefix: str) -> float:
    """s3transfer TransferManager, default config, every file queued at once."""
    import boto3
    from s3transfer.manager import TransferManager

    client = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1")
    files = sorted(p for p in tree.rglob("*.mp3"))
    start = time.perf_counter()
    with TransferManager(client) as manager:
        futures = [manager.upload(str(p), BUCKET, f"{prefix}/{p.relative_to(tree).as_posix()}") for p in files]
        for fut in futures:
            fut.result()
    return time.perf_counter() - start


def ours_upload(server: SeaweedS3, tree: Path, prefix: str) -> float:
    from artoiscast.publish import publish
    from artoiscast.storage.s3 import S3Storage

    storage = S3Storage(BUCKET, prefix=prefix, endpoint_url=server.endpoint, path_style=True)
    start = time.perf_counter()
    plan = publish(tree, storage)
    took = time.perf_counter() - start
    assert len(plan.uploads) == len(list(tree.rglob("*.mp3"))) + 1
    return took


NO_CHANGE = """
import sys
from pathlib import Path
from artoiscast.publish import publish
from artoiscast.storage.s3 import S3Storage
plan = publish(Path(sys.argv[1]), S3Storage("bench", prefix=sys.argv[2], endpoint_url=sys.argv[3], path_style=True))
assert plan.uploads == [], plan.uploads
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer files (40 x 5 MiB, 4 x 50 MiB)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per measurement (median)")
    args = ap.parse_args()
    aws = aws_cli()
    before = os.getloadavg()
    sets = [(40, 5), (4, 50)] if args.quick else [(200, 5), (20, 50)]
    with tempfile.TemporaryDirectory(prefix="artoiscast-bench-") as tmp:
        base = Path(tmp)
        server = SeaweedS3(base / "weed").start()
        try:
            os.environ.update(server.env)
            server.make_bucket(BUCKET)
            env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
            rows = []
            for count, size in sets:
                tree = base / f"tree-{count}x{size}"
                make_tree(tree, count, size * MiB)
                total = count * size * MiB
                anchors, ours = [], []
                for r in range(args.rounds):
                    anchors.append(anchor_upload(server, tree, f"anchor{r}"))
                    clear(server, f"anchor{r}")
                    ours.append(ours_upload(server, tree, f"ours{r}"))
                    if r < args.rounds - 1:
                        clear(server, f"ours{r}")
                a, o = statistics.median(anchors), statistics.median(ours)
                rows.append((f"upload {count} x {size} MiB", f"{total / MiB / a:.0f} MiB/s", f"{total / MiB / o:.0f} MiB/s",
                             f"{(total / o) / (total / a):.2f}", ">= 0.90 (throughput)"))
                # a publish with nothing changed vs the AWS CLI's sync of the same tree to the same
                # prefix (dry run: it lists and compares, and would upload only the manifest, excluded)
                last = f"ours{args.rounds - 1}"
                aws_cmd = [*aws, "s3", "sync", "--dryrun", "--no-progress", str(tree), f"s3://{BUCKET}/{last}",
                           "--endpoint-url", server.endpoint, "--exclude", "manifest.json"]
                out = subprocess.run(aws_cmd, check=True, env=env, capture_output=True, text=True).stdout
                assert "upload" not in out, out  # nothing to do for it either
                py_cmd = [sys.executable, "-c", NO_CHANGE, str(tree), last, server.endpoint]
                cli_times, py_times = [], []
                for _ in range(3):  # alternating, so that both see the same machine load
                    cli_times.append(timed(aws_cmd, env))
                    py_times.append(timed(py_cmd, env))
                cli, py = statistics.median(cli_times), statistics.median(py_times)
                rows.append((f"no-change publish, {count} files", f"aws s3 sync --dryrun {cli * 1000:.0f} ms",
                             f"{py * 1000:.0f} ms", f"{py / cli:.2f}", "<= 1.0 (time)"))
                clear(server, last)
                shutil.rmtree(tree)
        finally:
            server.stop()
    widths = [max(len(str(r[i])) for r in rows + [HEAD]) for i in range(5)]
    for row in [HEAD, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    load = " ".join(f"{x:.2f}" for x in before), " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load[0]}; after: {load[1]} ({os.cpu_count()} cores; run it alone)")


HEAD = ("measure", "anchor", "artoiscast", "ratio", "target")

if __name__ == "__main__":
    main()
