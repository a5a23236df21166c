"""Compressed copies of the built text files: ``X.br`` (brotli) and ``X.gz`` (gzip -9) beside ``X``.

Every text file of the site (``mediatypes.COMPRESSIBLE``: html, css, js, json, xml, vtt, srt,
txt, svg, ico) of at least :data:`MIN_SIZE` bytes gets each sidecar that is smaller than the
file itself (brotli at quality 6, 11 for the package's ``assets/``: see :data:`BROTLI_BEST`).
The bytes depend on the file's alone (gzip's header carries no name and mtime 0), and each is
kept in ``build/compressed/`` by the file's sha256, so a rebuild compresses only the files that
changed. ``serve`` sends a sidecar to a client whose ``Accept-Encoding`` takes
it; the manifest lists them like any file (publish copies them to a folder; S3 gets none: see
``storage``).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from pathlib import Path

import brotli

from artoiscast.mediatypes import ENCODINGS, compressible
from artoiscast.workspace import write_whole

MANIFEST = "manifest.json"  # build.MANIFEST: it lists the sidecars, so it has none itself
MIN_SIZE = 512  # bytes: below this a response fits in a packet or two anyway
# brotli's best quality (11) costs about 50 times its quality 6 for 10% less: it is kept for the files
# shipped with the package (assets/: the same bytes build after build, so compressed once and cached);
# pages, feeds and transcripts, which a change of the catalog rewrites, get quality 6
BROTLI_BEST = ("assets/",)
BROTLI_QUALITY = 6
VERSION = "1"  # in the cache's names: bump when the settings change


def gzipped(data: bytes) -> bytes:
    """``data`` in gzip at level 9, with no name and mtime 0 (the same bytes every time)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def brotlied(data: bytes, *, best: bool = False) -> bytes:
    """``data`` in brotli, at quality :data:`BROTLI_QUALITY` (11 with ``best``)."""
    return bytes(brotli.compress(data, quality=11 if best else BROTLI_QUALITY))


def sidecars(files: Mapping[str, bytes | Path], cache: Path) -> dict[str, bytes]:
    """The sidecars of ``files`` (published path -> bytes; files given by their Path, the media,
    are never text) by published path, made or taken from ``cache`` (``build/compressed``), whose
    entries no file uses any more are removed. Hold the build's lock. Raises OSError when the
    cache cannot be written."""
    out: dict[str, bytes] = {}
    used: set[str] = set()
    for key, data in sorted(files.items()):
        if not isinstance(data, bytes) or len(data) < MIN_SIZE or not compressible(key) or key == MANIFEST:
            continue
        digest = hashlib.sha256(data).hexdigest()
        best = key.startswith(BROTLI_BEST)
        for coding, suffix in ENCODINGS.items():
            name = f"{digest[:2]}/{digest}.{VERSION}{'b' if best and coding == 'br' else ''}{suffix}"
            used.add(name)
            kept = cache / name
            try:
                packed = kept.read_bytes()
            except OSError:
                packed = brotlied(data, best=best) if coding == "br" else gzipped(data)
                kept.parent.mkdir(parents=True, exist_ok=True)
                write_whole(kept, packed)
            if len(packed) < len(data):
                out[key + suffix] = packed
    if cache.is_dir():
        for old in cache.glob("*/*"):
            if f"{old.parent.name}/{old.name}" not in used:
                old.unlink(missing_ok=True)
    return out
