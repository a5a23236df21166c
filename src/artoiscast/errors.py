"""One error tree. Every error names a file, a field and what is wrong (and how to fix it).

The CLI prints each as one line, ``error: <path>: <field>: <reason>``, and exits 1
(2 for bad input). Library code raises; it never prints.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class ArtoiscastError(Exception):
    """Base class. ``path`` and ``field`` locate the problem; ``reason`` says what is wrong."""

    exit_code = 1

    def __init__(self, reason: str, *, path: str | Path | None = None, field: str | None = None):
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.field = field
        super().__init__(self.line())

    def line(self) -> str:
        parts = [p for p in (self.path, self.field) if p]
        parts.append(self.reason)
        return ": ".join(parts)


class CatalogError(ArtoiscastError):
    """Bad input in the catalog (YAML, fields, paths)."""

    exit_code = 2


class AudioError(ArtoiscastError):
    """An audio file that cannot be probed, decoded, normalised or tagged."""

    exit_code = 2


class TranscriptError(ArtoiscastError):
    """A transcript or chapters file that is malformed."""

    exit_code = 2


class TranscribeError(ArtoiscastError):
    """A transcription that cannot be done: bad settings, no model or a model that fails its
    check, a language the engine does not know (bad input, exit 2)."""

    exit_code = 2


class RenderError(ArtoiscastError):
    """Feeds or pages could not be rendered."""


class UsageError(ArtoiscastError):
    """A bad command-line flag or value (``--older-than 3x``, ``--setup-cors`` for a folder): exit 2."""

    exit_code = 2


class StorageError(ArtoiscastError):
    """A storage backend refused or could not be reached."""


class StorageSettingsError(StorageError):
    """A storage setting that cannot be used (unknown backend, bad target, URL, boolean or timeout): bad input."""

    exit_code = 2


class ToolMissing(ArtoiscastError):
    """A required external program (ffmpeg, ffprobe...) is not installed."""


class WriteError(ArtoiscastError):
    """A file of the build could not be written: disk full, read-only, no permission, or a file
    where a folder should be. A failure of the machine, not of the input: exit 1."""


# What an OSError means to someone who has to fix it: (what is wrong, how to fix it).
_READ = {
    errno.EACCES: ("permission denied", "let the user running artoiscast read it"),
    errno.EPERM: ("permission denied", "let the user running artoiscast read it"),
    errno.ELOOP: ("a symlink loop", "point the link at a real file"),
    errno.ENOENT: ("not found", "put the file there, or fix the name"),
    errno.EISDIR: ("a folder, not a file", "name a file"),
    errno.EIO: ("input/output error", "check the disk, or copy the file again"),
}
_WRITE = {
    errno.ENOSPC: ("disk full", "free some space, then run it again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space, then run it again"),
    errno.EROFS: ("read-only file system", "build on a writable disk"),
    errno.EACCES: ("permission denied", "let the user running artoiscast write there"),
    errno.EPERM: ("permission denied", "let the user running artoiscast write there"),
    errno.EIO: ("input/output error", "check the disk"),
}


def read_reason(exc: OSError) -> str:
    """``cannot be read (<what>: <fix>)`` for an OSError met reading an input file."""
    what, fix = _READ.get(exc.errno or 0, ((exc.strerror or str(exc)).lower(), "check the file"))
    return f"cannot be read ({what}: {fix})"


def write_error(exc: OSError, root: Path | None = None) -> WriteError:
    """One line for an OSError met writing ``exc.filename`` (shown relative to ``root``).

    A file where a folder must be (``build`` or ``build/ingest`` made a file by mistake) is named
    itself: ``build: is a file, not a folder (move it away)``. Everything else names the file and
    says what is wrong: ``build/site/index.html: cannot be written (disk full: free some space,
    then run it again)``.
    """
    name = exc.filename2 if exc.filename2 is not None else exc.filename  # a copy's or a rename's target
    path = Path(os.fsdecode(name)) if name is not None else None

    def shown(p: Path) -> str:
        if root is not None:
            try:
                return p.relative_to(root).as_posix()
            except ValueError:
                pass
        return str(p)

    if path is not None and exc.errno in (errno.ENOTDIR, errno.EEXIST):
        for parent in [*reversed(path.parents), path]:  # the outermost file standing where a folder must be
            if root is not None and (parent == root or not parent.is_relative_to(root)):
                continue
            if parent.exists() and not parent.is_dir():
                return WriteError("is a file, not a folder (move it away)", path=shown(parent))
    what, fix = _WRITE.get(exc.errno or 0, ((exc.strerror or str(exc)).lower(), "check the disk"))
    return WriteError(f"cannot be written ({what}: {fix})", path=shown(path) if path is not None else None)


class ErrorList(ArtoiscastError):
    """Many problems at once (validate everything, then stop): ``errors``, one line each.

    An :class:`ArtoiscastError` itself, so one ``except ArtoiscastError`` catches both; its exit
    code is the highest of its errors'."""

    def __init__(self, errors: list[ArtoiscastError] | None = None):
        self.errors: list[ArtoiscastError] = []
        for e in errors or []:  # one flat list, however the lists were gathered
            self.errors += e.errors if isinstance(e, ErrorList) else [e]
        super().__init__("\n".join(e.line() for e in self.errors) or "no problems")

    @property
    def exit_code(self) -> int:  # type: ignore[override]  # a class attribute in the base, computed here
        return max((e.exit_code for e in self.errors), default=1)

    def line(self) -> str:
        return "\n".join(e.line() for e in self.errors)

    def __str__(self) -> str:
        return self.line()

    def __reduce__(self) -> tuple[type[ErrorList], tuple[list[ArtoiscastError]]]:  # pickles as its errors
        return ErrorList, (self.errors,)
