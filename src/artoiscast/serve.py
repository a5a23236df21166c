"""``artoiscast serve``: host the published folder on 127.0.0.1 with aiohttp.

Podcast apps and browsers on this machine fetch feeds, media, transcripts and pages
exactly as they would from the public host: Range (206/416), HEAD, ETag and
Last-Modified with 304, the Content-Type / Cache-Control / CORS table of
:mod:`artoiscast.mediatypes`, and an access log in Apache combined format that
``artoiscast stats`` reads.

Speed: a request never waits for the thread pool once its file is known. A URL path
is resolved once (no way out of the root, symlinks included) and afterwards checked
with one ``lstat`` (:class:`FileCache`); small files (feeds, pages, transcripts) are
answered from memory, ranges of large files with one ``os.pread``, and only whole
large files go through :class:`aiohttp.web.FileResponse` (sendfile). Conditional
requests (``If-None-Match``, ``If-Modified-Since``, ``If-Range``) are answered here with
the ETag FileResponse would send; the rare ``If-Match`` and ``If-Unmodified-Since`` are
left to FileResponse, which is handed the Range and dates as decided here
(:func:`delegated_headers`). The access log is buffered and flushed once a second and on
shutdown.

Also added to aiohttp: directory index and slash redirect, explicit Content-Types,
CORS and its preflight, RFC 9110 handling of Range headers aiohttp would answer with a
wrong 416 (several ranges, ``bytes=0-99,``) or a 500 (numbers of more than 4300 digits,
which Python's int() refuses: positions are capped at :data:`BEYOND`, past any file), of
If-Range (evaluated here: ETag or exact Last-Modified date), of dates aiohttp's parser
raises OverflowError on (ignored, as RFC 9110 says), and an access log whose byte count is
the body actually sent. A request aiohttp cannot parse gets its 400 and one access-log line,
and no traceback on the console (:class:`artoiscast.accesslog.ConsoleErrorLog`).

The pure parts (:func:`url_parts`, :func:`file_headers`, :func:`parse_range`,
:func:`range_action`, :func:`byte_range`, :func:`http_date`, :func:`etag_matches`) take
strings and return values; :func:`locate` only stats files.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import os
import re
import signal
import stat
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal
from urllib.parse import unquote

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict, CIMultiDictProxy

from artoiscast.accesslog import AccessLogFile, CombinedAccessLogger, ConsoleErrorLog
from artoiscast.errors import ArtoiscastError
from artoiscast.mediatypes import cache_control, content_type, needs_cors


CORS_EXPOSE = "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified"
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, If-Range, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
ALLOW = "GET, HEAD, OPTIONS"
SHUTDOWN_TIMEOUT = 2.0  # seconds a Ctrl-C waits for downloads in flight
SMALL_FILE = 1 << 20  # files up to this size are answered from memory
CACHE_BYTES = 64 << 20  # total bytes of small files kept in memory
ROUTE_ENTRIES = 4096  # resolved URL paths remembered
PREAD_MAX = 1 << 20  # ranges of larger files up to this size are read with pread; longer ones use sendfile
BACKLOG = 1024  # pending connections (aiohttp's default is 128)
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII | re.IGNORECASE)
_SPEC_RE = re.compile(r"(\d*)-(\d*)", re.ASCII)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
POS_DIGITS = 18  # byte positions longer than this are all BEYOND
BEYOND = 10 ** POS_DIGITS  # a byte position past the end of any file
HTTP_DATE_MAX = 64  # characters; the longest HTTP-date form has 30


# ---------------------------------------------------------------- pure core


def url_parts(raw_path: str) -> tuple[str, ...] | None:
    """The path segments of a raw (percent-encoded) request path, or None if refused.

    Refused: anything not starting with ``/``, malformed (``%zz``) or undecodable
    percent-escapes, NUL or backslash, empty segments (``//etc``), ``.`` and ``..``, and
    hidden names (the local backend's ``.part`` files) except ``.well-known``. A trailing
    slash is dropped here; the caller decides what it means. ``/`` gives ``()``.
    """
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or malformed_path(path):
        return None
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    body = decoded[1:]
    if body.endswith("/"):
        body = body[:-1]
    if not body:
        return ()
    parts = tuple(body.split("/"))
    for part in parts:
        if part in ("", ".", "..") or (part.startswith(".") and part != ".well-known"):
            return None
    return parts


def is_oembed(key: str) -> bool:
    """oEmbed responses (``oembed/...json`` or ``*oembed.json``) are fetched cross-origin."""
    name = PurePosixPath(key).name
    return name.endswith(".json") and (key.startswith("oembed/") or name.endswith("oembed.json"))


def cors_headers(key: str) -> dict[str, str]:
    """CORS headers for a published path: feeds, transcripts, chapters, media, art, oEmbed."""
    if needs_cors(key) or is_oembed(key):
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": CORS_EXPOSE}
    return {}


def file_headers(key: str) -> dict[str, str]:
    """Content-Type, Cache-Control, Accept-Ranges and CORS for the file at ``key``."""
    return {
        "Content-Type": content_type(key),
        "Cache-Control": cache_control(key),
        "Accept-Ranges": "bytes",
        **cors_headers(key),
    }


def strong_etag(st: os.stat_result) -> str:
    """The ETag aiohttp's FileResponse sends for this stat, quoted."""
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def malformed_path(raw_path: str) -> bool:
    """True if the path holds a ``%`` not followed by two hex digits (RFC 3986): a bad request, not a name."""
    return "%" in raw_path and _BAD_ESCAPE.search(raw_path.partition("?")[0]) is not None


def _position(digits: str) -> int:
    """A byte position from its digits, capped at BEYOND: no int() of a 5000-digit string
    (Python refuses those with ValueError, and long ones cost time)."""
    digits = digits.lstrip("0")
    if len(digits) > POS_DIGITS:
        return BEYOND
    return int(digits) if digits else 0


def _greater(a: str, b: str) -> bool:
    """``a > b`` for two strings of digits of any length."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) > (len(b), b)


def parse_range(range_header: str) -> tuple[int | None, int | None] | None:
    """The single byte range of a Range header as (first, last), None for an absent side;
    numbers past BEYOND are BEYOND. None if the header is to be ignored (RFC 9110 section
    14.2): another unit, bad syntax, ``bytes=-``, a last before the first, or several ranges
    (the whole file answers those: no multipart, and no amplification by overlapping or
    hundreds of ranges). Empty list elements are allowed (``bytes=0-99,``).
    """
    value = range_header.strip()
    match = _RANGE_RE.fullmatch(value)
    if match is None:
        unit, eq, ranges = value.partition("=")
        if not eq or unit.lower() != "bytes" or "," not in ranges:
            return None
        specs = [spec for spec in (part.strip() for part in ranges.split(",")) if spec]
        if len(specs) != 1:
            return None
        match = _SPEC_RE.fullmatch(specs[0])
        if match is None:
            return None
    first, last = match.groups()
    if not first and not last:
        return None
    if first and last and _greater(first, last):
        return None
    return (_position(first) if first else None, _position(last) if last else None)


def http_date(value: str | None) -> float | None:
    """The timestamp of an HTTP-date, or None if ``value`` is not one (RFC 9110 says such
    a conditional is ignored). Unlike aiohttp's parser, a year no datetime can hold is not
    an OverflowError, and a long value is not parsed at all."""
    if value is None or len(value) > HTTP_DATE_MAX:
        return None
    parsed = email.utils.parsedate(value)
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc).timestamp()
    except (ValueError, OverflowError):
        return None


RangeAction = Literal["none", "serve", "ignore", "unsatisfiable"]


def range_action(range_header: str | None, if_range: str | None, etag: str, mtime: float) -> RangeAction:
    """What to do with a request's Range header (RFC 9110 section 14) for a file of this
    ETag and modification time.

    ``serve``: one well-formed byte range (:func:`byte_range` gives the span, or None for
    416). ``ignore``: answer 200 with the whole file: a multi-range or malformed Range
    (aiohttp would say 416 or raise), or a false ``If-Range``: an ETag that is not the
    current one (strong comparison), a date that is not the Last-Modified second, or
    anything else. ``unsatisfiable``: ``bytes=-0``.
    """
    if range_header is None:
        return "none"
    span = parse_range(range_header)
    if span is None:
        return "ignore"
    if if_range is not None:
        value = if_range.strip()
        if value.startswith(('"', "W/")):
            if value != etag:
                return "ignore"
        elif http_date(value) != math.ceil(mtime):
            return "ignore"
    if span == (None, 0):
        return "unsatisfiable"
    return "serve"


def canonical_range(range_header: str, action: RangeAction) -> str | None:
    """The Range header to hand aiohttp's FileResponse for ``action``: plain numbers it can
    int() (``bytes=0-`` + 5000 digits becomes ``bytes=0-10**18``), a range past any end for
    ``unsatisfiable``; None (drop it) for ``ignore`` and ``none``."""
    if action == "unsatisfiable":
        return f"bytes={BEYOND}-"
    span = parse_range(range_header) if action == "serve" else None
    if span is None:
        return None
    first, last = span
    return f"bytes={'' if first is None else first}-{'' if last is None else last}"


# ---------------------------------------------------------------- file system


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


# ---------------------------------------------------------------- the fast path


@dataclass(slots=True)
class Entry:
    """A file found for a URL path, with everything a response needs but the body.

    ``ident`` (real path, device, inode, mtime_ns, size) names this version of the file.
    ``literal`` is set when the URL maps onto the real path with no symlink on the way;
    ``parents`` are then the folders between the root and the file, so that a few
    ``lstat`` calls tell whether the entry still holds (:func:`still_holds`).
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


def _entry(root: str, target: Target) -> Entry:
    assert target.path is not None and target.st is not None
    st, path = target.st, str(target.path)
    etag = strong_etag(st)
    headers = CIMultiDict(file_headers(target.key))
    headers[hdrs.ETAG] = etag
    headers[hdrs.LAST_MODIFIED] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(math.ceil(st.st_mtime)))
    folders = target.key.split("/")[:-1]
    parents = tuple(os.path.join(root, *folders[:i + 1]) for i in range(len(folders)))
    return Entry(key=target.key, path=path, ident=(path, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size),
                 ctime_ns=st.st_ctime_ns, size=st.st_size, mtime=st.st_mtime, etag=etag, headers=headers,
                 literal=os.path.join(root, target.key) == path, parents=parents)


def still_holds(entry: Entry) -> bool:
    """True if the literal path still leads, through real folders only, to the very file
    the entry was made from: one ``lstat`` per path segment, no ``realpath``."""
    try:
        for folder in entry.parents:  # a folder swapped for a symlink could lead out of the root
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return False
        st = os.lstat(entry.path)
    except OSError:
        return False
    return (stat.S_ISREG(st.st_mode) and st.st_ino == entry.ident[2] and st.st_mtime_ns == entry.ident[3]
            and st.st_size == entry.size and st.st_ctime_ns == entry.ctime_ns and st.st_dev == entry.ident[1])


class FileCache:
    """Resolved URL paths and the bodies of small files, both bounded, both checked by stat.

    A URL path is resolved once (symlinks followed, the root enforced by :func:`locate`);
    later requests only ``lstat`` the path's folders and the file and compare the file's
    device, inode, mtime, ctime and size, so a file replaced (publish renames a new inode
    into place), removed, or swapped for a symlink, or a parent folder swapped for one, is
    resolved afresh and refused if it now leads out of the root. URLs that go through a
    symlink are resolved on every request. Bodies of files up to ``small`` bytes stay in
    memory, keyed by their ``ident``, the least recently used dropped first once they add up
    to more than ``budget`` bytes.
    """

    def __init__(self, root: Path, *, small: int = SMALL_FILE, budget: int = CACHE_BYTES,
                 routes: int = ROUTE_ENTRIES) -> None:
        self.root = root
        self._root_str = str(root)
        self.small, self.budget, self.max_routes = small, budget, routes
        self._routes: dict[str, Entry] = {}
        self._blobs: OrderedDict[tuple[str, int, int, int, int], bytes] = OrderedDict()
        self.blob_bytes = 0

    def lookup(self, raw_path: str) -> Entry | Target:
        """The entry for a raw request path, or the redirect / missing Target of :func:`locate`."""
        url = raw_path.partition("?")[0]
        entry = self._routes.get(url)
        if entry is not None:
            if still_holds(entry):
                return entry
            del self._routes[url]
        target = locate(self.root, raw_path)
        if target.kind != "file":
            return target
        entry = _entry(self._root_str, target)
        if entry.literal:
            if len(self._routes) >= self.max_routes:
                del self._routes[next(iter(self._routes))]
            self._routes[url] = entry
        return entry

    def forget(self, raw_path: str) -> None:
        """Drop the resolution of ``raw_path`` (the file changed between lstat and open)."""
        self._routes.pop(raw_path.partition("?")[0], None)

    def cached_body(self, entry: Entry) -> bytes | None:
        """The body of a small file if it is in memory (and mark it recently used)."""
        data = self._blobs.get(entry.ident)
        if data is not None:
            self._blobs.move_to_end(entry.ident)
        return data

    def remember(self, entry: Entry, data: bytes) -> None:
        """Keep ``data`` as the body of ``entry``, dropping the least recently used past the budget."""
        if entry.ident in self._blobs or len(data) > self.small:
            return
        self._blobs[entry.ident] = data
        self.blob_bytes += len(data)
        while self.blob_bytes > self.budget:
            _, old = self._blobs.popitem(last=False)
            self.blob_bytes -= len(old)


def read_exact(entry: Entry, offset: int, length: int) -> bytes | None:
    """``length`` bytes at ``offset`` of the entry's file, or None if it is no longer that file."""
    try:
        # O_NONBLOCK: a FIFO swapped in since the lstat must not block the event loop in open()
        fd = os.open(entry.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (st.st_ino, st.st_mtime_ns, st.st_size) != entry.ident[2:]:
            return None
        data = os.pread(fd, length, offset)
        return data if len(data) == length else None
    finally:
        os.close(fd)


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match: ``*`` or any listed tag equal to ``etag`` (weak comparison)."""
    value = header.strip()
    if value == "*":
        return True
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def byte_range(range_header: str, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a single range :func:`range_action` said to serve; None: 416.

    A last byte past the end is the last byte; a suffix longer than the file is the whole file.
    """
    span = parse_range(range_header)
    assert span is not None
    first, last = span
    if first is not None:
        start = first
        end = min(last, size - 1) if last is not None else size - 1
    else:
        assert last is not None
        start, end = max(size - last, 0), size - 1
    return (start, end) if start < size and start <= end else None


# ---------------------------------------------------------------- responses


class _FileResponse(web.FileResponse):
    """FileResponse that sees the request headers it is given and records the body bytes sent."""

    def __init__(self, path: Path, *, headers: dict[str, str], request_headers: CIMultiDict[str] | None) -> None:
        super().__init__(path, headers=headers)
        self.request_headers = request_headers
        self.body_sent: int | None = None  # None: aiohttp never reached _sendfile

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.request_headers is not None:
            request = request.clone(headers=self.request_headers)
        return await super().prepare(request)

    async def _sendfile(self, request: web.BaseRequest, fobj: IO[Any], offset: int,
                        count: int) -> AbstractStreamWriter:
        # asyncio leaves the file position after the bytes the kernel really sent,
        # also when the client hangs up: that is what the access log must count.
        try:
            return await super()._sendfile(request, fobj, offset, count)
        finally:
            with suppress(OSError, ValueError):
                self.body_sent = fobj.tell() - offset


def _not_found(raw: str) -> web.Response:
    """404, or 400 for a path no file can have a name for (a malformed percent-escape)."""
    if malformed_path(raw):
        return web.Response(status=400, text="400: Bad Request (malformed percent-escape in the path)\n")
    parts = url_parts(raw)
    key = "/".join(parts) if parts else ""
    return web.Response(status=404, text="404: not found\n", headers=cors_headers(key))


def _redirect(location: str) -> web.Response:
    return web.Response(status=301, text="301: Moved Permanently\n", headers={"Location": location})


def delegated_headers(headers: CIMultiDictProxy[str] | CIMultiDict[str], action: RangeAction
                      ) -> CIMultiDict[str] | None:
    """The request headers as aiohttp's FileResponse must see them, or None if they can go as
    they are: the Range decided here (:func:`canonical_range`: plain numbers, or none), no
    If-Range (decided here too), and no If-Modified-Since / If-Unmodified-Since that is not
    an HTTP-date (RFC 9110: ignored; aiohttp raises OverflowError on a year like 99999999999).
    """
    bad_dates = [name for name in (hdrs.IF_MODIFIED_SINCE, hdrs.IF_UNMODIFIED_SINCE)
                 if name in headers and http_date(headers[name]) is None]
    if action == "none" and not bad_dates and hdrs.IF_RANGE not in headers:
        return None
    new = CIMultiDict(headers)
    for name in bad_dates:
        del new[name]
    new.popall(hdrs.IF_RANGE, None)
    rng = canonical_range(new.get(hdrs.RANGE, ""), action)
    new.popall(hdrs.RANGE, None)
    if rng is not None:
        new[hdrs.RANGE] = rng
    return new


def _resolved_response(request: web.BaseRequest, root: Path, raw: str) -> web.StreamResponse:
    """The slow path, for whole large files and rare conditionals: resolve the path afresh (no
    cached resolution is trusted to open a file), then aiohttp's FileResponse (a thread-pool
    stat and open, then sendfile)."""
    target = locate(root, raw)
    if target.kind == "redirect":
        return _redirect(target.location)
    if target.kind == "missing" or target.path is None or target.st is None:
        return _not_found(raw)
    action = range_action(request.headers.get(hdrs.RANGE), request.headers.get(hdrs.IF_RANGE),
                          strong_etag(target.st), target.st.st_mtime)
    return _FileResponse(target.path, headers=file_headers(target.key),
                         request_headers=delegated_headers(request.headers, action))


def _not_modified(request: web.BaseRequest, entry: Entry) -> bool:
    none_match = request.headers.get(hdrs.IF_NONE_MATCH)
    if none_match is not None:
        return etag_matches(none_match, entry.etag)
    since = http_date(request.headers.get(hdrs.IF_MODIFIED_SINCE))
    return since is not None and entry.mtime <= since


async def handle(request: web.BaseRequest, cache: FileCache) -> web.StreamResponse:
    """GET/HEAD: a file of the root, a directory index or redirect, else 404.

    Answered from memory and ``os.pread`` (no thread-pool trip) except whole large files,
    which go out by sendfile, and the rare If-Match / If-Unmodified-Since requests, which
    :class:`aiohttp.web.FileResponse` answers.
    """
    raw = request.raw_path if request.raw_path.startswith("/") else request.rel_url.raw_path_qs
    found = cache.lookup(raw)
    if not isinstance(found, Entry):
        if found.kind == "redirect":
            return _redirect(found.location)
        return _not_found(raw)
    entry = found
    req_headers = request.headers
    range_header = req_headers.get(hdrs.RANGE)
    action = range_action(range_header, req_headers.get(hdrs.IF_RANGE), entry.etag, entry.mtime)
    if hdrs.IF_MATCH in req_headers or hdrs.IF_UNMODIFIED_SINCE in req_headers:
        return _resolved_response(request, cache.root, raw)
    if _not_modified(request, entry):
        return web.Response(status=304, headers=entry.headers)
    if action == "unsatisfiable":
        return _unsatisfiable(entry)
    size = entry.size
    start, end = 0, size - 1
    status = 200
    if action == "serve":
        assert range_header is not None
        span = byte_range(range_header, size)
        if span is None:
            return _unsatisfiable(entry)
        start, end = span
        status = 206
    length = end - start + 1
    headers = entry.headers.copy()
    if status == 206:
        headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD":
        headers[hdrs.CONTENT_LENGTH] = str(length)
        return web.Response(status=status, headers=headers)
    if size <= cache.small:
        data = cache.cached_body(entry)
        if data is None:
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, read_exact, entry, 0, size)
            if data is None:  # replaced since the lstat: resolve again
                cache.forget(raw)
                return _resolved_response(request, cache.root, raw)
            cache.remember(entry, data)
        body = data if status == 200 else data[start:end + 1]
    elif length <= PREAD_MAX:
        body = read_exact(entry, start, length)  # page cache: cheaper than a thread-pool trip
        if body is None:  # replaced since the lstat: resolve again
            cache.forget(raw)
            return _resolved_response(request, cache.root, raw)
    else:
        return _resolved_response(request, cache.root, raw)
    return web.Response(status=status, body=body, headers=headers)


def _unsatisfiable(entry: Entry) -> web.Response:
    headers = file_headers(entry.key)
    headers["Content-Range"] = f"bytes */{entry.size}"
    return web.Response(status=416, headers=headers)


def preflight(request: web.BaseRequest) -> web.Response:
    """OPTIONS: 204, with the CORS allow headers where CORS applies."""
    parts = url_parts(request.raw_path) or ()
    headers = {"Allow": ALLOW}
    if cors_headers("/".join(parts)):
        headers.update(PREFLIGHT)
    return web.Response(status=204, headers=headers)


# ---------------------------------------------------------------- app and server


class Handler:
    """Every request of the server: GET/HEAD files, OPTIONS preflight, 405 for the rest.

    It runs on aiohttp's low-level :class:`aiohttp.web.Server`: a static folder needs no
    router, middleware chain or signals, and skipping them is a tenth of each request.
    """

    def __init__(self, root: Path, access_log: Path | None = None) -> None:
        if not root.is_dir():
            raise ArtoiscastError("not a folder (publish first, or pass --dir)", path=root)
        self.root = root.resolve()
        self.cache = FileCache(self.root, small=SMALL_FILE, budget=CACHE_BYTES, routes=ROUTE_ENTRIES)
        self.log = AccessLogFile(access_log) if access_log is not None else None

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        if method == "GET" or method == "HEAD":
            return await handle(request, self.cache)
        if method == "OPTIONS":
            return preflight(request)
        return web.Response(status=405, text="405: Method Not Allowed\n", headers={"Allow": ALLOW})

    def close(self) -> None:
        """Flush and close the access log."""
        if self.log is not None:
            self.log.close()


def make_app(root: Path) -> web.Application:
    """An aiohttp Application serving ``root``, to mount in a larger aiohttp app (whose runner
    then decides about access logs; ``artoiscast serve`` runs :class:`Handler` on the
    low-level server instead).

    Raises ArtoiscastError if ``root`` is not a folder.
    """
    handler = Handler(root)

    async def serve_any(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", serve_any)
    return app


class _Runner(web.ServerRunner):
    """Closes the handler (its access log) once the connections have finished."""

    def __init__(self, handler: Handler, *, verbose: bool = False, **kwargs: Any) -> None:
        # logger: aiohttp's request handler reports errors there (a public argument of it);
        # its default, aiohttp.server, prints a traceback for every malformed request
        server = web.Server(handler, access_log=handler.log, access_log_class=CombinedAccessLogger,
                            logger=ConsoleErrorLog(verbose))
        super().__init__(server, **kwargs)
        self.handler = handler

    async def _cleanup_server(self) -> None:
        self.handler.close()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


async def start(root: Path, host: str = "127.0.0.1", port: int = 8000,
                access_log: Path | None = None, verbose: bool = False) -> tuple[web.BaseRunner, str]:
    """Start serving ``root``; return the runner (``await runner.cleanup()`` stops it)
    and the base URL actually bound (port 0 picks a free port). A malformed request gets
    aiohttp's 400 and its access-log line, nothing on the console; an error of the server
    itself one line on stderr (and its traceback if ``verbose``).

    Raises ArtoiscastError if the folder is missing or the address cannot be bound.
    """
    handler = Handler(root, access_log)
    runner = _Runner(handler, verbose=verbose, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    if handler.log is not None:
        handler.log.start_flushing(asyncio.get_running_loop())
    try:
        site = web.TCPSite(runner, host, port, backlog=BACKLOG)
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ArtoiscastError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                              "pick another with --port", field="serve") from exc
    bound_port = runner.addresses[0][1]
    return runner, _url(host, bound_port)


async def _serve(root: Path, host: str, port: int, access_log: Path | None,
                 on_ready: Callable[[str], None] | None, verbose: bool) -> None:
    runner, url = await start(root, host, port, access_log, verbose)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError, ValueError):  # not main thread / Windows
            loop.add_signal_handler(sig, stop.set)
    try:
        if on_ready is not None:
            on_ready(url)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        await runner.cleanup()


def run(root: Path, host: str = "127.0.0.1", port: int = 8000, access_log: Path | None = None,
        on_ready: Callable[[str], None] | None = None, verbose: bool = False) -> None:
    """Serve ``root`` until Ctrl-C or SIGTERM, then shut down cleanly (no traceback).

    ``on_ready`` gets the base URL once the socket listens; ``verbose`` adds the traceback
    to the one line an error of the server prints. Raises ArtoiscastError if the folder is
    missing or the address cannot be bound.
    """
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(root, host, port, access_log, on_ready, verbose))
