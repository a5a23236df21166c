"""One error tree. Every error names a file, a field and what is wrong (and how to fix it).

The CLI prints each as one line, ``error: <path>: <field>: <reason>``, and exits 1
(2 for bad input). Library code raises; it never prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class RenderError(ArtoiscastError):
    """Feeds or pages could not be rendered."""


class StorageError(ArtoiscastError):
    """A storage backend refused or could not be reached."""


class StorageSettingsError(StorageError):
    """A storage setting that cannot be used (unknown backend, bad target, URL, boolean or timeout): bad input."""

    exit_code = 2


class ToolMissing(ArtoiscastError):
    """A required external program (ffmpeg, ffprobe...) is not installed."""


@dataclass
class ErrorList(Exception):
    """Many problems at once (validate everything, then stop)."""

    errors: list[ArtoiscastError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((e.exit_code for e in self.errors), default=1)

    def __str__(self) -> str:
        return "\n".join(e.line() for e in self.errors)
