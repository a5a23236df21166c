"""The files of ``artoiscast serve``: a URL path mapped onto the root, and read or opened only
if it is still the very file that was found.

:func:`locate` resolves a path afresh (symlinks followed, never out of the root);
:class:`Entry` is what a response needs but the body; :func:`read_exact` and
:func:`open_exact` refuse a file replaced since it was found. :class:`PlainFiles` resolves
every request afresh and keeps nothing; :class:`artoiscast.serve.cache.FileCache` answers the
same :meth:`~PlainFiles.lookup` from memory, checked by ``lstat``.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from multidict import CIMultiDict

from artoiscast.mediatypes import compressible, sidecar_of
from artoiscast.serve.http import file_headers, last_modified, strong_etag, url_parts


@dataclass(frozen=True)
class Target:
    """Where a request path leads: a file to send, a redirect, or nothing."""

    kind: Literal["file", "redirect", "missing"]
    key: str = ""  # published path, for the header table ("episodes/x/index.html")
    path: Path | None = None
    st: os.stat_result | None = None
    location: str = ""


MISSING = Target("missing")


def _stat_inside(root: Path, candidate: Path) -> tuple[Path, os.stat_result] | None:
    """Resolve symlinks; None unless the real path exists and stays inside ``root``."""
    try:
        real = candidate.resolve(strict=True)
        if not real.is_relative_to(root):
            return None
        return real, real.stat()
    except (OSError, RuntimeError):  # missing, loop, permission
        return None


def locate(root: Path, raw_path: str) -> Target:
    """Map a raw request path (query allowed) onto ``root`` (absolute, resolved).

    A directory without its trailing slash redirects to the slash form; with it,
    serves its ``index.html``. A file with a trailing slash, anything refused by
    :func:`url_parts`, anything whose real path leaves ``root``, and anything that is
    not a regular file is missing.
    """
    parts = url_parts(raw_path)
    if parts is None:
        return MISSING
    path, _, query = raw_path.partition("?")
    found = _stat_inside(root, root.joinpath(*parts))
    if found is None:
        return MISSING
    real, st = found
    slash = path.endswith("/")
    if stat.S_ISDIR(st.st_mode):
        if not slash:
            return Target("redirect", location=path + "/" + (f"?{query}" if query else ""))
        parts = (*parts, "index.html")
        found = _stat_inside(root, real / "index.html")
        if found is None:
            return MISSING
        real, st = found
    elif slash:
        return MISSING
    if not stat.S_ISREG(st.st_mode):
        return MISSING
    return Target("file", key="/".join(parts), path=real, st=st)


@dataclass(slots=True)
class Entry:
    """A file found for a URL path, with everything a response needs but the body.

    ``ident`` (real path, device, inode, mtime_ns, size) names this version of the file.
    ``literal`` is set when the URL maps onto the real path with no symlink on the way;
    ``parents`` are then the folders between the root and the file, so that a few
    ``lstat`` calls tell whether the entry still holds (:func:`artoiscast.serve.cache.still_holds`).
    """

    key: str
    path: str
    ident: tuple[str, int, int, int, int]
    ctime_ns: int  # changes on chmod, rename and link too
    size: int
    mtime: float
    etag: str
    headers: CIMultiDict[str]
    literal: bool
    parents: tuple[str, ...]
    text: bool = False  # compressible: its sidecars (``X.br``, ``X.gz``) may be sent instead
    sidecar: bool = False  # a sidecar itself: never sent under its own name


def make_entry(root: str, target: Target) -> Entry:
    """The entry of a file :func:`locate` found under ``root``."""
    assert target.path is not None and target.st is not None
    st, path = target.st, str(target.path)
    etag = strong_etag(st)
    headers = CIMultiDict(file_headers(target.key))
    headers["ETag"] = etag
    headers["Last-Modified"] = last_modified(st.st_mtime)
    folders = target.key.split("/")[:-1]
    parents = tuple(os.path.join(root, *folders[:i + 1]) for i in range(len(folders)))
    return Entry(key=target.key, path=path, ident=(path, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size),
                 ctime_ns=st.st_ctime_ns, size=st.st_size, mtime=st.st_mtime, etag=etag, headers=headers,
                 literal=os.path.join(root, target.key) == path, parents=parents, text=compressible(target.key),
                 sidecar=sidecar_of(target.key) is not None)


def _open_same(entry: Entry) -> int | None:
    """A file descriptor of the entry's file, or None if it is no longer that file."""
    try:
        # O_NONBLOCK: a FIFO swapped in since the lstat must not block the event loop in open()
        fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if (st.st_ino, st.st_mtime_ns, st.st_size) != entry.ident[2:]:
        os.close(fd)
        return None
    return fd


def read_exact(entry: Entry, offset: int, length: int) -> bytes | None:
    """``length`` bytes at ``offset`` of the entry's file, or None if it is no longer that file."""
    fd = _open_same(entry)
    if fd is None:
        return None
    try:
        data = os.pread(fd, length, offset)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == length else None


def open_exact(entry: Entry) -> IO[bytes] | None:
    """The entry's file open for reading (unbuffered), or None if it is no longer that file."""
    fd = _open_same(entry)
    return None if fd is None else os.fdopen(fd, "rb", buffering=0)


class PlainFiles:
    """Every request resolved afresh with :func:`locate`; no body kept. What
    :class:`artoiscast.serve.cache.FileCache` must answer exactly as, only faster."""

    def __init__(self, root: Path, *, small: int) -> None:
        self.root = root
        self._root_str = str(root)
        self.small = small  # files up to this size are read whole, in the thread pool

    def lookup(self, raw_path: str) -> Entry | Target:
        """The entry for a raw request path, or the redirect / missing Target of :func:`locate`."""
        target = locate(self.root, raw_path)
        return make_entry(self._root_str, target) if target.kind == "file" else target

    def forget(self, raw_path: str) -> None:
        """Nothing to forget."""

    def cached_body(self, entry: Entry) -> bytes | None:
        """None: no body is kept."""
        return None

    def remember(self, entry: Entry, data: bytes) -> None:
        """Nothing is kept."""
