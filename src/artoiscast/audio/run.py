"""Running ffmpeg: finding the tools, reading their errors, and pipelines of processes.

Shared by ``probe`` and ``loudness``; nothing here knows about loudness or MP3.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from typing import IO

from artoiscast.errors import ToolMissing

PIPE_SIZE = 1 << 20  # bytes of pipe between stages (Linux default 64 KiB: more wake-ups)
STDERR_TAIL = 1 << 16  # bytes of a tool's stderr kept in memory
# ebur128's per-block log lines ("t: 1.2 TARGET:-23 LUFS M: ..."): never an error's last line
_BLOCK_LINE = re.compile(r"\bt:\s*[\d.]+\s+TARGET:")

Progress = Callable[[float], None]  # called with the seconds of audio processed so far


def tool(name: str) -> str:
    """Path of an ffmpeg tool. Raises ToolMissing."""
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found (apt-get install ffmpeg)", path=name)
    return found


def last_error_line(stderr: str) -> str:
    """The reason an ffmpeg tool gave last, without its log prefix."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("size=", "video:"))]
    lines = [ln for ln in lines if not _BLOCK_LINE.search(ln)]
    lines = [re.sub(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*", "", ln) for ln in lines]
    return lines[-1] if lines else "ffmpeg gave no reason"


_STRERRORS = sorted(((os.strerror(code), code) for code in errno.errorcode), key=lambda t: -len(t[0]))
_WRITE_FAILED = re.compile(r"Error (?:writing|closing)|muxer #\d+ failed|Error opening output")


def write_failure(stderr: str, path: object) -> OSError | None:
    """The OSError an ffmpeg stage met writing ``path``, read from its stderr, or None.

    ffmpeg prints the system's reason (``No space left on device``) but, in version 5, still
    exits 0 when the trailer or the close of its output fails: the log is the only witness.
    """
    if not _WRITE_FAILED.search(stderr):
        return None
    for text, code in _STRERRORS:
        if text in stderr:
            # a broken pipe is the next stage's failure, which says why itself
            return OSError(code, text, str(path)) if code != errno.EPIPE else None
    return OSError(errno.EIO, last_error_line(stderr), str(path))


@functools.cache
def _pdeathsig() -> list[str]:
    """The prefix that makes a command die with the thread that started it, or [] without one."""
    setpriv = shutil.which("setpriv")  # util-linux; --pdeathsig since 2.33
    if setpriv is None:
        return []
    try:
        ok = subprocess.run([setpriv, "--pdeathsig", "KILL", "--", "true"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return [setpriv, "--pdeathsig", "KILL", "--"] if ok else []


def bound(cmd: list[str]) -> list[str]:
    """``cmd`` run so that it ends with us: a killed ``publish`` must not leave ffmpeg encoding.

    The kernel sends SIGKILL to the command when the thread that started it ends
    (PR_SET_PDEATHSIG, set by ``setpriv`` just before it executes the command; a
    ``preexec_fn`` would run Python in the child of a threaded process). Every process is
    started and waited for by the same thread (an ingest worker), which lives until the
    processes are done, so only the death of the whole process can trigger it.
    """
    return [*_pdeathsig(), *cmd]




class Pipeline:
    """Processes started together (connected stdout -> stdin, or side by side), stderr each to
    a temporary file (no deadlock), each ending with this process (``bound``). A process started
    with ``progress`` gets its own ``-progress`` pipe, read by a thread; ``on_progress`` gets the
    sum of their seconds."""

    def __init__(self, on_progress: Progress | None) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.errs: list[IO[bytes]] = []
        self.on_progress = on_progress
        self.done: list[float] = []  # seconds reported, per process started with progress
        self._threads: list[threading.Thread] = []

    def _follow(self, fd: int, slot: int) -> None:
        with os.fdopen(fd, "rb") as f:
            for raw in f:
                if raw.startswith(b"out_time_us=") and raw[12:].strip().isdigit():
                    self.done[slot] = int(raw[12:]) / 1e6
                    if self.on_progress:
                        self.on_progress(sum(self.done))

    def start(self, cmd: list[str], *, progress: bool = False, stdin: IO[bytes] | None = None,
              stdout: int | None = None, give: tuple[int, ...] = (), nice: int = 0) -> subprocess.Popen[bytes]:
        """Start ``cmd``; ``give`` are file descriptors handed over to it (closed here); ``nice``
        lowers its priority, so that a stage off the critical path yields its core."""
        err = tempfile.TemporaryFile()
        self.errs.append(err)
        fds: tuple[int, ...] = give
        if progress:
            read, write = os.pipe()
            fds += (write,)
            cmd = [cmd[0], "-progress", f"pipe:{write}", *cmd[1:]]
            self.done.append(0.0)
            thread = threading.Thread(target=self._follow, args=(read, len(self.done) - 1), daemon=True)
            thread.start()
            self._threads.append(thread)
        try:
            proc = subprocess.Popen(bound(cmd), stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                    stdout=stdout, stderr=err, pass_fds=fds)
        finally:
            for fd in fds:
                os.close(fd)  # the child holds it now: its exit is the reader's end of file
        self.procs.append(proc)
        if nice:
            try:
                os.setpriority(os.PRIO_PROCESS, proc.pid, nice)
            except (AttributeError, OSError):  # not on this system, or already gone
                pass
        if stdout == subprocess.PIPE and proc.stdout is not None:
            grow_pipe(proc.stdout.fileno())
        if stdin is not None:
            stdin.close()  # the child holds it now: EOF and SIGPIPE travel along the pipeline
        return proc

    def wait(self, scan: Callable[[int, IO[bytes]], None] | None = None) -> list[tuple[int, str]]:
        """(return code, the end of its stderr) of each process, in start order: the reason of a
        failure and a filter's summary are at the end. ``scan(i, file)`` first reads process i's
        whole stderr, for a log too long to hold (ebur128's line per 100 ms)."""
        codes = [p.wait() for p in self.procs]
        for thread in self._threads:
            thread.join()
        out = []
        for i, (code, err) in enumerate(zip(codes, self.errs, strict=False)):
            if scan is not None:
                err.seek(0)
                scan(i, err)
            size = err.seek(0, os.SEEK_END)
            err.seek(max(0, size - STDERR_TAIL))
            out.append((code, err.read().decode("utf-8", "replace")))
            err.close()
        return out

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for err in self.errs:
            err.close()


def grow_pipe(fd: int) -> None:
    """Widen a pipe to PIPE_SIZE where the system allows it."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    except (ImportError, AttributeError, OSError):  # not Linux, or over /proc/sys/fs/pipe-max-size
        pass
