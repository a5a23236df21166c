"""Inputs of ``artoiscast stats``, and what of them was already read.

Inputs are files, folders (every file inside, dotfiles left out) and globs, plain or gzipped,
or the objects under a prefix of the show's storage. Each is cut into :class:`Region` s: a
plain-text file (the log itself, or a temporary holding only the new lines) with the number of
its first line, which the engine parses.

What was read is kept in the database, so a run reads only what it has not seen:

- a file's content is a **stream**, known by a SHA-256 of its first bytes (up to 4 KiB) and
  read up to an offset. A file whose first bytes are a known stream's is that stream: an
  appended log is read from the offset on; a rotated one (renamed, or copied then truncated, or
  compressed: its decompressed first bytes are the same) is not read again; a truncated or new
  file has other first bytes and is read from its start.
- a file read to its end is remembered by device, inode, size and modification time, and
  skipped at once the next time (a year of rotated logs costs a stat each).
- a storage object is remembered by key, size and modification time (its ETag too).

A last line without its newline is left for the next run while the file changed in the last
ten minutes (a writer may be in the middle of it), and read after that.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artoiscast.errors import ArtoiscastError, CatalogError, read_reason
from artoiscast.stats.logs import COMBINED, LogFormat, cloudfront, detect

HEAD = 4096  # bytes of a stream's start that name it
CHUNK = 1 << 20
SETTLED = 600.0  # seconds without a change after which a last line without newline is read

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS log_stream_ids;
CREATE TABLE IF NOT EXISTS log_streams (id BIGINT PRIMARY KEY, head_len INTEGER, head_sha VARCHAR, "offset" BIGINT,
    lines BIGINT, format VARCHAR, fields VARCHAR, path VARCHAR, updated DOUBLE);
CREATE TABLE IF NOT EXISTS log_files (dev UBIGINT, ino UBIGINT, size BIGINT, mtime_ns BIGINT, stream BIGINT, path VARCHAR);
CREATE TABLE IF NOT EXISTS log_objects (place VARCHAR, key VARCHAR, size BIGINT, modified DOUBLE, etag VARCHAR,
    lines BIGINT, updated DOUBLE);
"""


class InputError(CatalogError):
    """A log input that does not exist or cannot be read: bad input (exit 2)."""


@dataclass
class Region:
    """New lines of one input, as a plain-text file the parsers read."""

    source: str  # the input as shown in messages (its path, or s3://bucket/key)
    path: Path  # a plain-text file: the log itself, or a temporary
    fmt: LogFormat
    first_line: int  # the number, in ``source``, of the first line of ``path``
    last_line: int | None  # the number of the last complete line to read (None: all of ``path``)
    python: bool  # holds a carriage return or U+0001, or is not UTF-8: the reference parser reads it
    known: bool = True  # False: no line looked like a known format (every line will be unparsed)
    commit: Callable[[], None] = field(default=lambda: None)
    temporary: bool = False
    size: int | None = None  # read in place: the size it had when scanned (a writer may add to it)
    tmp: Path | None = None

    def grew(self) -> bool:
        """Read in place, and the file changed size since it was scanned (a writer is adding lines)."""
        return self.size is not None and self.path.stat().st_size != self.size

    def copied(self) -> Region:
        """The same region, as a temporary copy of the bytes scanned."""
        assert self.size is not None
        fd, name = tempfile.mkstemp(prefix="stats-", suffix=".log", dir=self.tmp)
        with self.path.open("rb") as f, os.fdopen(fd, "wb") as out:
            left = self.size
            while left > 0 and (chunk := f.read(min(CHUNK, left))):
                out.write(chunk)
                left -= len(chunk)
        return Region(self.source, Path(name), self.fmt, self.first_line, self.last_line, self.python, self.known,
                      self.commit, True, None, self.tmp)


@dataclass(frozen=True)
class Input:
    """A file to read; ``named`` when the user named it (not found in a folder or by a glob)."""

    path: Path
    named: bool


def expand(inputs: list[str], *, exclude: tuple[Path, ...] = ()) -> list[Input]:
    """Every file named by ``inputs`` (files, folders, globs), in a stable order, each once,
    without the ``exclude`` d ones (the statistics database and its salts).

    Raises InputError for an input that names nothing."""
    out: list[Input] = []
    for item in inputs:
        if any(c in item for c in "*?["):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if not found:
                raise InputError("matches no file (give a log file, a folder or a glob)", path=item)
            out += [Input(p, False) for p in found]
            continue
        path = Path(item)
        if path.is_dir():
            out += [Input(p, False) for p in sorted(path.rglob("*")) if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)]
        elif path.is_file():
            out.append(Input(path, True))
        elif path.exists():
            raise InputError("is not a regular file (give a log file, a folder or a glob)", path=item)
        else:
            raise InputError("not found (give a log file, a folder or a glob)", path=item)
    seen = {p.resolve() for p in exclude}
    unique = []
    for i in out:
        if i.path.resolve() not in seen:
            seen.add(i.path.resolve())
            unique.append(i)
    return unique


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _open(path: Path, gz: bool) -> Any:
    return gzip.open(path, "rb") if gz else path.open("rb")


def _format(head: bytes, stream: tuple[Any, ...] | None) -> tuple[LogFormat, bool]:
    """The stream's format (remembered, or detected from its first lines) and whether one was found."""
    if stream is not None and stream[5]:
        return (LogFormat("cloudfront", tuple(stream[6].split())) if stream[5] == "cloudfront"
                else LogFormat(stream[5])), True
    lines = head.decode("utf-8", "replace").split("\n")[:50]
    for line in lines:
        if line.startswith("#Fields:"):
            fmt = cloudfront(line)
            return (fmt, True) if fmt else (COMBINED, False)
    fmt = detect(line.rstrip("\r") for line in lines)
    return (fmt, True) if fmt else (COMBINED, False)


class Scan:
    """Newlines, carriage returns and U+0001 counted while bytes pass (copied or only read)."""

    def __init__(self) -> None:
        self.lines = 0
        self.odd = False  # a carriage return or U+0001: DuckDB's reader would split or drop there
        self.last = b"\n"

    def feed(self, data: bytes) -> None:
        if data:
            self.lines += data.count(b"\n")
            self.odd = self.odd or b"\r" in data or b"\x01" in data
            self.last = data[-1:]


class Cursors:
    """The database's memory of what was read (tables ``log_streams``, ``log_files``, ``log_objects``)."""

    def __init__(self, con: Any, tmp: Path):
        self.con = con
        self.tmp = tmp
        con.execute(SCHEMA)

    # ---------------------------------------------------------------- files

    def _stream(self, head: bytes) -> tuple[Any, ...] | None:
        best = None
        for row in self.con.execute('SELECT id, head_len, head_sha, "offset", lines, format, fields FROM log_streams '
                                    "WHERE head_len <= ?", [len(head)]).fetchall():
            if hashlib.sha256(head[:row[1]]).hexdigest() == row[2] and (best is None or row[3] > best[3]):
                best = row
        return best

    def file_regions(self, inputs: list[Input], now: float | None = None,
                     skipped: list[str] | None = None) -> Iterator[Region]:
        """A region per file with lines not read yet; a file found in a folder or by a glob whose
        first lines are no log's is left out (and added to ``skipped``). Raises InputError for a
        file that cannot be read."""
        for item in inputs:
            path = item.path
            try:
                region = self._file(path, time.time() if now is None else now, item.named)
            except OSError as exc:
                raise InputError(read_reason(exc), path=str(path)) from exc
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise InputError(f"is a damaged gzip file ({exc}: copy it again, or leave it out)",
                                 path=str(path)) from exc
            if region is None:
                continue
            if not region.known and not item.named:
                if region.temporary:
                    region.path.unlink(missing_ok=True)
                if skipped is not None:
                    skipped.append(str(path))
                continue
            yield region

    def _file(self, path: Path, now: float, named: bool = True) -> Region | None:
        st = path.stat()
        ident = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
        if self.con.execute("SELECT 1 FROM log_files WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ?",
                            ident).fetchone():
            return None
        gz = _is_gzip(path)
        with _open(path, gz) as f:
            head = f.read(HEAD)
        if not head:
            return None
        stream = self._stream(head)
        offset, lines = (int(stream[3]), int(stream[4])) if stream else (0, 0)
        fmt, known = _format(head, stream)
        scan = Scan()
        in_place = not gz and offset == 0
        if in_place:  # scan it where it is; read it there too if it is whole
            end = 0
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    scan.feed(chunk)
                    end += len(chunk)
            target, temporary = path, False
        else:  # the new part only, to a temporary
            fd, name = tempfile.mkstemp(prefix="stats-", suffix=".log", dir=self.tmp)
            target, temporary = Path(name), True
            end = offset
            with _open(path, gz) as f, os.fdopen(fd, "wb") as out:
                if gz:  # gzip cannot seek: read and drop what was read before
                    skip = offset
                    while skip > 0:
                        skip -= len(f.read(min(CHUNK, skip)) or b"x" * skip)
                else:
                    f.seek(offset)
                while chunk := f.read(CHUNK):
                    scan.feed(chunk)
                    out.write(chunk)
                    end += len(chunk)
        complete_end, complete_lines = end, scan.lines
        partial = scan.last != b"\n" and end > offset
        if partial and not gz and now - st.st_mtime < SETTLED:  # a writer may be mid-line: leave it for later
            complete_end = self._last_newline(target, end if not temporary else end - offset) + (
                0 if not temporary else offset)
        elif partial:
            complete_lines += 1  # a last line without newline, in a settled or compressed file
        new_lines = complete_lines
        if complete_end <= offset or new_lines == 0:
            if temporary:
                target.unlink(missing_ok=True)
            if complete_end >= end:
                self._remember_file(stream[0] if stream else None, ident, path, head, offset, lines, fmt)
            return None
        read_whole = complete_end >= end >= st.st_size if not gz else True

        def commit() -> None:
            sid = self._save_stream(stream[0] if stream else None, head, complete_end, lines + new_lines, fmt, path)
            if read_whole:
                self._remember_file(sid, ident, path, head, complete_end, lines + new_lines, fmt)

        region = Region(str(path), target, fmt, lines + 1, lines + new_lines, scan.odd, known, commit, temporary,
                        end if in_place else None, self.tmp)
        if in_place and complete_end < end:  # a line still being written: read only the complete ones, from a copy
            region.size = complete_end
            copy = region.copied()
            return copy
        return region

    @staticmethod
    def _last_newline(path: Path, size: int) -> int:
        """The offset just after the last newline in the first ``size`` bytes of ``path`` (0 if none)."""
        with path.open("rb") as f:
            pos = size
            while pos > 0:
                start = max(0, pos - CHUNK)
                f.seek(start)
                i = f.read(pos - start).rfind(b"\n")
                if i >= 0:
                    return start + i + 1
                pos = start
        return 0

    def _save_stream(self, sid: int | None, head: bytes, offset: int, lines: int, fmt: LogFormat, path: Path) -> int:
        values = [len(head), hashlib.sha256(head).hexdigest(), offset, lines, fmt.name, " ".join(fmt.fields),
                  str(path), time.time()]
        if sid is None:
            sid = int(self.con.execute("SELECT nextval('log_stream_ids')").fetchone()[0])
            self.con.execute('INSERT INTO log_streams VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [sid, *values])
        else:
            self.con.execute('UPDATE log_streams SET head_len = ?, head_sha = ?, "offset" = ?, lines = ?, format = ?, '
                             "fields = ?, path = ?, updated = ? WHERE id = ?", [*values, sid])
        return sid

    def _remember_file(self, sid: int | None, ident: list[int], path: Path, head: bytes, offset: int, lines: int,
                       fmt: LogFormat) -> None:
        if sid is None:
            sid = self._save_stream(None, head, offset, lines, fmt, path)
        self.con.execute("INSERT INTO log_files VALUES (?, ?, ?, ?, ?, ?)", [*ident, sid, str(path)])

    # ---------------------------------------------------------------- storage objects

    def object_regions(self, storage: Any, prefix: str) -> Iterator[Region]:
        """A region per object under ``prefix`` (relative to the storage's own prefix) not read
        yet, each downloaded (and decompressed) to a temporary. Raises StorageError if the store
        cannot be listed or read."""
        place = storage.describe()
        listing = storage.list()
        for key in sorted(k for k in listing if k.startswith(prefix)):
            info = listing[key]
            if self.con.execute("SELECT 1 FROM log_objects WHERE place = ? AND key = ? AND size = ? "
                                "AND modified IS NOT DISTINCT FROM ?", [place, key, info.size, info.modified]).fetchone():
                continue
            data, etag = storage.get_tagged(key)
            if data is None:
                continue
            source = f"{place.rstrip('/')}/{key}"
            if data[:2] == b"\x1f\x8b":
                try:
                    data = gzip.decompress(data)
                except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                    raise ArtoiscastError(f"is a damaged gzip object ({exc})", path=source) from exc
            scan = Scan()
            scan.feed(data)
            lines = scan.lines + (1 if data and scan.last != b"\n" else 0)

            def commit(key: str = key, size: int = info.size, modified: float | None = info.modified,
                       etag: str | None = etag, lines: int = lines) -> None:
                self.con.execute("DELETE FROM log_objects WHERE place = ? AND key = ?", [place, key])
                self.con.execute("INSERT INTO log_objects VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [place, key, size, modified, etag, lines, time.time()])

            if not lines:
                commit()
                continue
            fd, name = tempfile.mkstemp(prefix="stats-", suffix=".log", dir=self.tmp)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            fmt, known = _format(data[:HEAD], None)
            yield Region(source, Path(name), fmt, 1, lines, scan.odd, known, commit, True, None, self.tmp)
