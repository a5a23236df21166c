"""The HTTP semantics of ``artoiscast serve``: pure functions of strings and numbers, no I/O.

Which URL paths name a file of the root (:func:`url_parts`: no way out by ``..``, escapes,
NUL, backslash or hidden names), the headers of a published path (:func:`file_headers`), and
the answer to a request's conditionals and Range for a file of a given ETag, modification
time and size (:func:`answer`), in RFC 9110's order: If-Match / If-Unmodified-Since (412),
If-None-Match / If-Modified-Since (304), then Range with If-Range (206, 416, or 200).

Where this differs from aiohttp's FileResponse, RFC 9110 is followed: several ranges, or
``bytes=0-99,``, are not a 416; numbers of more than 4300 digits (which Python's int()
refuses) are positions past any file (:data:`BEYOND`); a date no datetime can hold is not an
HTTP-date, so its conditional is ignored.
"""

from __future__ import annotations

import email.utils
import math
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote

from artoiscast.mediatypes import ENCODINGS, cache_control, compressible, content_type, needs_cors

CORS_EXPOSE = "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified"
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, If-Range, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
ALLOW = "GET, HEAD, OPTIONS"
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII | re.IGNORECASE)
_SPEC_RE = re.compile(r"(\d*)-(\d*)", re.ASCII)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
POS_DIGITS = 18  # byte positions longer than this are all BEYOND
BEYOND = 10 ** POS_DIGITS  # a byte position past the end of any file
HTTP_DATE_MAX = 64  # characters; the longest HTTP-date form has 30


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


def malformed_path(raw_path: str) -> bool:
    """True if the path holds a ``%`` not followed by two hex digits (RFC 3986): a bad request, not a name."""
    return "%" in raw_path and _BAD_ESCAPE.search(raw_path.partition("?")[0]) is not None


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
    """Content-Type, Cache-Control, Accept-Ranges and CORS for the file at ``key``, and
    ``Vary: Accept-Encoding`` for text the build compresses (whichever coding is sent)."""
    headers = {
        "Content-Type": content_type(key),
        "Cache-Control": cache_control(key),
        "Accept-Ranges": "bytes",
        **cors_headers(key),
    }
    if compressible(key):
        headers["Vary"] = "Accept-Encoding"
    return headers


_CODING_RE = re.compile(r"\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:;\s*[qQ]\s*=\s*([0-9.]{1,5}))?\s*", re.ASCII)
_ALIASES = {"x-gzip": "gzip"}


def _qvalue(text: str | None) -> float:
    if text is None:
        return 1.0
    try:
        q = float(text)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0


def codings(accept_encoding: str | None) -> list[str]:
    """The content-codings to try, best first, for a request's ``Accept-Encoding`` (RFC 9110
    section 12.5.3): the sidecar codings (``br``, ``gzip``) it accepts and ``identity``, by
    q-value, ties going to the order of ``ENCODINGS`` then identity (unnamed, it comes last). A coding with q=0 is left
    out; identity too when it (or ``*`` without it) has q=0, but the caller then sends identity
    anyway if no sidecar is found (a response is better than a 406). No header: identity alone.
    A parameter other than q makes that element count for nothing."""
    if not accept_encoding:
        return ["identity"]
    q: dict[str, float] = {}
    for element in accept_encoding[:1024].split(","):
        if not element.strip():
            continue
        m = _CODING_RE.fullmatch(element)
        if m is None:
            continue
        name = m.group(1).lower()
        name = _ALIASES.get(name, name)
        q[name] = max(q.get(name, 0.0), _qvalue(m.group(2))) if name in q else _qvalue(m.group(2))
    star = q.get("*")
    ranked = []
    for order, name in enumerate([*ENCODINGS, "identity"]):
        # identity, when neither it nor * is named, is acceptable but after any coding named
        value = q.get(name, star if star is not None else (0.001 if name == "identity" else 0.0))
        if value > 0:
            ranked.append((-value, order, name))
    return [name for _, _, name in sorted(ranked)]


def coded_etag(mtime_ns: int, size: int, coding: str) -> str:
    """The ETag of a sidecar (of this mtime and size) sent as ``coding``: its own file's, marked with the coding."""
    return f'"{mtime_ns:x}-{size:x}-{coding}"'


def strong_etag(st: os.stat_result) -> str:
    """The ETag of a file of this stat, quoted (the form aiohttp's FileResponse sends)."""
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def last_modified(mtime: float) -> str:
    """The Last-Modified header of a file modified at ``mtime``: the second after, as aiohttp has it."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(math.ceil(mtime)))


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
    416). ``ignore``: answer 200 with the whole file: a multi-range or malformed Range, or a
    false ``If-Range``: an ETag that is not the current one (strong comparison), a date that
    is not the Last-Modified second, or anything else. ``unsatisfiable``: ``bytes=-0``.
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


def etag_matches(header: str, etag: str, *, strong: bool = False) -> bool:
    """``*`` or any listed tag equal to ``etag``: the weak comparison of If-None-Match, or
    with ``strong`` the one of If-Match (a ``W/`` tag never matches)."""
    value = header.strip()
    if value == "*":
        return True
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            if strong:
                continue
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


@dataclass(frozen=True)
class Answer:
    """What a GET or HEAD of a file gets: a status, and for 200 and 206 the bytes ``start``
    to ``end`` (inclusive) of the file."""

    status: Literal[200, 206, 304, 412, 416]
    start: int = 0
    end: int = -1

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def answer(headers: Mapping[str, str], etag: str, mtime: float, size: int) -> Answer:
    """The answer to a request with these ``headers`` (a case-insensitive mapping, such as
    aiohttp's) for a file of this ETag, modification time and size (RFC 9110 section 13.2.2).

    A non-empty If-Match that no strong ETag satisfies, or without one an If-Unmodified-Since
    before the modification, is 412. A matching If-None-Match, or without one an
    If-Modified-Since not before the modification, is 304. Then :func:`range_action`:
    206 with the span, 416, or 200 with the whole file.
    """
    if_match = headers.get("If-Match")
    if if_match:
        if not etag_matches(if_match, etag, strong=True):
            return Answer(412)
    else:
        since = http_date(headers.get("If-Unmodified-Since"))
        if since is not None and mtime > since:
            return Answer(412)
    none_match = headers.get("If-None-Match")
    if none_match is not None:
        if etag_matches(none_match, etag):
            return Answer(304)
    else:
        since = http_date(headers.get("If-Modified-Since"))
        if since is not None and mtime <= since:
            return Answer(304)
    range_header = headers.get("Range")
    action = range_action(range_header, headers.get("If-Range"), etag, mtime)
    if action == "unsatisfiable":
        return Answer(416)
    if action == "serve":
        assert range_header is not None
        span = byte_range(range_header, size)
        return Answer(416) if span is None else Answer(206, *span)
    return Answer(200, 0, size - 1)
