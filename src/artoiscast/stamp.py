"""The no-change fast path: a build that finds nothing changed since the last one does no work.

``build/stamp.json`` records a fingerprint of everything a build reads (file sizes and mtimes,
no contents: see :func:`input_fingerprint`), the sha256 of the manifest it wrote, the base URL,
the feeds' episodes and the date of the next scheduled episode. :func:`unchanged` gives that
record back when the fingerprint and the manifest still match, every file the manifest lists
is still there at its size, and no scheduled episode has come due; :func:`write` writes it after
a build.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from artoiscast.catalog import Catalog
from artoiscast.ingest import file_sha256
from artoiscast.transcribe.record import RECORD
from artoiscast.workspace import write_whole

STAMP = "stamp.json"
READ_HIDDEN = frozenset({RECORD})  # the hidden files a build reads: a transcript's record marks it generated


@dataclass(frozen=True)
class Stamp:
    """What the last build said of its output: enough to answer for it without doing it again."""

    base_url: str
    files: dict[str, dict[str, object]]  # the manifest's listing: path -> sha256, size
    feeds: dict[str, list[str]]  # feed name -> slugs


def input_fingerprint(root: Path, base_url: str | None, out: Path) -> str:
    """A hash of everything a build reads, from file metadata only (sizes and mtimes, no contents).

    Covers the catalog (podcast.yaml, feeds/, episodes/ with their audio and side files),
    the package itself (code and templates), the base URL override, SOURCE_DATE_EPOCH
    and the output folder.
    """
    from artoiscast import __version__
    from artoiscast.ingest import PIPELINE_VERSION

    h = hashlib.sha256(json.dumps([__version__, PIPELINE_VERSION, base_url, str(out),
                                   os.environ.get("SOURCE_DATE_EPOCH")]).encode())
    package = Path(__file__).resolve().parent
    for top in (root / "podcast.yaml", root / "feeds", root / "episodes", package):
        entries = [(top, top.stat())] if top.is_file() else _walk(top)
        for path, st in entries:
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _walk(top: Path | str) -> list[tuple[str, os.stat_result]]:
    """(path, stat) of every file under ``top`` that is not hidden (but those of READ_HIDDEN), by sorted name, each folder's
    files before its subfolders (as os.walk, top-down, not into linked folders, unreadable ones
    skipped; a link to a file gives its target's stat, a broken or looping link its own). Strings,
    not Paths: 20,000 files of a large catalog are stat'ed on every build."""
    found: list[tuple[str, os.stat_result]] = []
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return found
    subdirs = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.name.startswith(".") and entry.name != "__pycache__" and not entry.is_symlink():
                subdirs.append(entry.path)
        elif not entry.name.startswith(".") or entry.name in READ_HIDDEN:
            try:
                st = entry.stat()  # through a link: a changed target is a change
            except OSError:  # a symlink loop or a dangling link: the link itself (the catalog says what is wrong)
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
            found.append((entry.path, st))
    for sub in subdirs:
        found += _walk(sub)
    return found


def unchanged(root: Path, manifest: Path, fingerprint: str, now: datetime) -> Stamp | None:
    """The last build's stamp, if nothing a build reads has changed (``fingerprint``), its
    ``manifest`` and every file it lists (in the manifest's folder) are as it left them, and no
    scheduled episode has come due by ``now``; else None."""
    try:
        stamp = json.loads((root / "build" / STAMP).read_text())
        data = manifest.read_bytes()
    except (OSError, ValueError):
        return None
    due = stamp.get("next_change")
    if stamp.get("fingerprint") != fingerprint or hashlib.sha256(data).hexdigest() != stamp.get("manifest_sha256"):
        return None
    if due and now >= datetime.fromisoformat(due):
        return None
    files = json.loads(data)["files"]
    out = manifest.parent
    for key, info in files.items():  # the output itself must still be there
        try:
            if (out / key).stat().st_size != info["size"]:
                return None
        except OSError:
            return None
    return Stamp(stamp["base_url"], files, stamp["feeds"])


def write(root: Path, fingerprint: str, *, base_url: str, feeds: dict[str, list[str]], manifest: Path,
          catalog: Catalog, now: datetime) -> None:
    """Write ``build/stamp.json`` for a build of ``catalog`` at ``now`` that wrote ``manifest``.
    Raises OSError."""
    upcoming = [e.published for e in catalog.episodes if e.published > now]
    stamp = {
        "fingerprint": fingerprint, "base_url": base_url, "feeds": feeds,
        "manifest_sha256": file_sha256(manifest),
        "next_change": min(upcoming).isoformat() if upcoming else None,
    }
    (root / "build").mkdir(exist_ok=True)
    write_whole(root / "build" / STAMP, json.dumps(stamp, indent=1, sort_keys=True).encode())
