"""Run a command as an attacker's circumstances would: without root's read-everything power,
or with a folder on a nearly full disk. Real kernels, no mocks.

- :func:`unprivileged` drops ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` (``setpriv`` from
  util-linux, always on Debian): the process keeps uid 0 but obeys file modes, so a ``chmod 000``
  file or folder is unreadable to it, as it is to any producer's own account.
- :func:`on_small_disk` runs the command in its own mount namespace (``unshare -m``) with a tmpfs
  of ``size`` bytes mounted on ``folder``: writes past it fail with ENOSPC, as on a full disk.
  Nothing is mounted outside the command's namespace.
- :func:`cli` is the command line of ``artoiscast`` in this interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str | Path) -> list[str]:
    """``python -m artoiscast ARGS`` with this interpreter (the virtualenv's)."""
    return [sys.executable, "-m", "artoiscast", *map(str, args)]


def unprivileged(cmd: list[str]) -> list[str]:
    """``cmd`` run without the capabilities that let root read files whatever their mode."""
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--", *cmd]


def on_small_disk(folder: Path, size: int, cmd: list[str]) -> list[str]:
    """``cmd`` run with a ``size``-byte tmpfs on ``folder`` (created if missing; its contents are
    hidden under the mount for that command only)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = 'mount -t tmpfs -o size="$1" artoiscast-test "$2" && shift 2 && exec "$@"'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(size), str(folder), *cmd]


def run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` and capture its output as text (COLUMNS wide, so lines are not folded)."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "250", **(env or {})})
