"""``build/``, the working folder of a checkout: one lock for the processes that write it, the
leftovers of a killed run removed by the next, and any failure to write it said in one line.

- :func:`lock`: every run that writes ``build/`` (``build``, and so ``publish`` and ``demo``;
  ``ingest``) holds ``build/.lock`` (``fcntl.flock``) from start to end. A second run in the same
  checkout waits for the first, then finds its work done (the no-change fast path) or does it.
- A run killed with SIGKILL cannot clean up: its temporaries stay (``.ingest.<pid>.<tid>.*`` in
  ``build/ingest/<slug>/``, a ``tag-*`` folder in ``build/``, ``.<name>.tmp`` in
  ``build/site/``). Each run marks ``build/`` with an empty ``.running`` file while it holds the
  lock and removes it when it ends, so the next run to take the lock knows its predecessor died
  and removes what it left: nothing then can own those files (the lock is free, and an
  ``.ingest.<pid>`` file is kept while process ``pid`` lives).
- :func:`write_whole`: each file a run writes in ``build/`` is whole, the old one or the new.
- :func:`writing`: an OSError raised while writing ``build/`` becomes one line naming the file
  (``WriteError``, exit 1): disk full, read-only, or a file where a folder must be.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from artoiscast.errors import CatalogError, read_reason, write_error

LOCK = ".lock"
RUNNING = ".running"  # present while a run holds the lock: left behind, it says that run was killed
_OWNED = re.compile(r"^\.ingest\.(\d+)\.")  # an ingest's temporary: .ingest.<pid>.<thread>.<ext>


@dataclass
class _Held:
    """The lock of one folder in this process: taken once from the kernel, then counted, so that
    ``build`` can hold it around ``ingest_all``, which takes it too."""

    thread: threading.RLock = field(default_factory=threading.RLock)
    fd: int = -1
    depth: int = 0


_held: dict[str, _Held] = {}
_guard = threading.Lock()


@contextmanager
def lock(folder: Path, *, on_wait: Callable[[], None] | None = None, root: Path | None = None) -> Iterator[None]:
    """Hold ``folder``'s lock (``folder/.lock``; the folder is made if missing) for the block.

    Waits while another process (or another thread here) holds it, calling ``on_wait()`` once
    first. Nested use in one thread is free. On taking it, removes what a killed predecessor
    left (see the module). Raises WriteError (paths shown relative to ``root``) if the folder or
    its lock cannot be made: ``build: is a file, not a folder (move it away)``.
    """
    key = os.path.realpath(folder)
    with _guard:
        held = _held.setdefault(key, _Held())
    if not held.thread.acquire(blocking=False):
        if on_wait:
            on_wait()
            on_wait = None
        held.thread.acquire()
    try:
        if held.depth == 0:
            held.fd = _take(folder, on_wait, root)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd >= 0:
                with suppress(OSError):
                    os.unlink(folder / RUNNING)  # a clean end: nothing for the next run to remove
                os.close(held.fd)  # releases the flock
                held.fd = -1
    finally:
        held.thread.release()


def _take(folder: Path, on_wait: Callable[[], None] | None, root: Path | None) -> int:
    """The flock of ``folder/.lock``, taken; the leftovers of a killed holder removed. -1 when
    the folder's parent is no catalog (no ``podcast.yaml``): nothing to protect, nothing made
    there, and the command says what is missing."""
    if not os.path.lexists(folder.parent / "podcast.yaml"):
        return -1
    try:
        folder.mkdir(exist_ok=True)
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise write_error(exc, root) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        if os.path.lexists(folder / RUNNING):
            sweep(folder)
        os.close(os.open(folder / RUNNING, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))  # an inode, no data
    except OSError as exc:
        os.close(fd)
        raise write_error(exc, root) from exc
    except BaseException:
        os.close(fd)
        raise
    return fd


def sweep(folder: Path) -> list[Path]:
    """Remove what killed runs left in ``folder`` (a ``build/``): ``.ingest.<pid>.*`` temporaries
    of processes that are gone, ``tag-*`` folders, and ``.*.tmp`` files in ``site/``. Call it
    holding the lock. Returns what was removed."""
    removed: list[Path] = []
    for slug in _entries(folder / "ingest"):
        if not slug.is_dir(follow_symlinks=False):
            continue
        for entry in _entries(Path(slug.path)):
            owner = _OWNED.match(entry.name)
            if owner and int(owner.group(1)) != os.getpid() and not _alive(int(owner.group(1))):
                removed += _remove(Path(entry.path))
    for entry in _entries(folder):
        if entry.name.startswith("tag-") and entry.is_dir(follow_symlinks=False):
            removed += _remove(Path(entry.path))
    site = folder / "site"
    if site.is_dir():
        for path in site.rglob(".*.tmp"):
            removed += _remove(path)
    return removed


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _remove(path: Path) -> list[Path]:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        return []
    return [path]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def write_whole(dest: Path, data: bytes | Path) -> None:
    """Write ``dest`` (``data``, or a copy of the file ``data``) whole or not at all: a temporary
    beside it, renamed over it once complete, removed if the write fails (a full disk). Only one
    run writes build/ at a time (its lock), so the temporary's name is free; a killed run's is
    removed by the next (:func:`sweep`). Raises OSError naming ``dest``."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        if isinstance(data, Path):
            shutil.copyfile(data, tmp)
        else:
            tmp.write_bytes(data)
        tmp.replace(dest)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):  # named by the file it was for (a failed write() names none)
            raise OSError(exc.errno, exc.strerror, str(dest)) from exc
        raise


@contextmanager
def writing(root: Path, *places: Path) -> Iterator[None]:
    """Turn an OSError raised in the block into one line naming its file (relative to ``root``):
    a WriteError (exit 1) for a file in one of ``places`` (what the block writes: ``build/``...),
    else a CatalogError (exit 2): an input that ``cannot be read (permission denied: ...)``."""
    try:
        yield
    except OSError as exc:
        name = exc.filename2 if exc.filename2 is not None else exc.filename
        path = Path(os.fsdecode(name)) if name is not None else None
        if path is None and places:  # a write() that failed: it can only be in what the block writes
            raise write_error(OSError(exc.errno, exc.strerror, str(places[0])), root) from exc
        if path is None or any(_inside(path, place) for place in places):
            raise write_error(exc, root) from exc
        raise CatalogError(read_reason(exc), path=_shown(path, root)) from exc


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder) or os.path.abspath(path).startswith(
        os.path.abspath(folder) + os.sep)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
