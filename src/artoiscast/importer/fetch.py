"""Fetch a feed and download its files: http(s) only, bounded, resumable, in parallel.

The feed is read whole (at most :data:`MAX_FEED` bytes) from an http(s) URL or a local file
path (never a ``file:`` URL, which a feed could also name). Downloads go to ``<dest>.part``
first: a rerun asks for the rest with a Range request and appends, a complete file is renamed
into place, so a killed import leaves no file that looks whole. Redirects are followed only to
http(s). Each download is retried, then reported: one failure never stops the others.
"""

from __future__ import annotations

import concurrent.futures
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from artoiscast import __version__
from artoiscast.errors import ArtoiscastError
from artoiscast.progress import NULL, Events
from artoiscast.values import http_url_problem

MAX_FEED = 64 * 2**20  # bytes: a feed larger than this is not a podcast feed
MAX_SIDE = 16 * 2**20  # bytes: a transcript, chapters file or image
MAX_MEDIA = 4 * 2**30  # bytes: one enclosure
TIMEOUT = 30.0  # seconds without a byte
CHUNK = 256 * 1024
USER_AGENT = f"artoiscast/{__version__} (import)"


class FetchError(ArtoiscastError):
    """A URL that could not be fetched (unreachable, an HTTP error, too large): exit 1."""


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only (urllib would follow one to ftp:), and records them."""

    def __init__(self) -> None:
        self.chain: list[tuple[int, str]] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if http_url_problem(newurl):
            raise urllib.error.HTTPError(newurl, code, f"redirect to a URL that is not http(s): {newurl[:80]}",
                                         headers, fp)
        self.chain.append((code, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(url: str, headers: dict[str, str] | None = None) -> tuple[object, list[tuple[int, str]]]:
    handler = _HttpOnly()
    opener = urllib.request.build_opener(handler)
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    return opener.open(req, timeout=TIMEOUT), handler.chain


def _why(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}" if exc.code else str(exc.reason)
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable ({getattr(exc.reason, 'strerror', None) or exc.reason})"
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str  # where it was finally read from (after redirects)
    redirects: list[tuple[int, str]]


def read_limited(resp: object, limit: int, shown: str) -> bytes:
    out = resp.read(limit + 1)  # type: ignore[attr-defined]
    if len(out) > limit:
        raise FetchError(f"is larger than {limit // 2**20} MiB (not a podcast feed or file)", path=shown)
    return bytes(out)


def fetch_feed(source: str) -> Fetched:
    """The bytes of the feed at ``source``: an http(s) URL or a local file. Raises
    :class:`FetchError` (unreachable, HTTP error, too large) or :class:`~artoiscast.errors.UsageError`
    (another scheme, a missing file)."""
    from artoiscast.errors import UsageError

    if "://" in source or source.lower().startswith(("file:", "javascript:", "data:")):
        if problem := http_url_problem(source):
            raise UsageError(problem.replace("is not an http(s) URL", "is not an http(s) URL or a file"),
                             field="FEED_URL_OR_FILE")
        try:
            resp, chain = _open(source)
            with resp:  # type: ignore[attr-defined]
                return Fetched(read_limited(resp, MAX_FEED, source), resp.geturl(), chain)  # type: ignore[attr-defined]
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise FetchError(_why(exc), path=source) from None
    path = Path(source)
    try:
        with path.open("rb") as fh:
            return Fetched(read_limited(fh, MAX_FEED, source), path.resolve().as_uri(), [])
    except FileNotFoundError:
        raise UsageError("no such file (give a feed URL, http:// or https://, or a feed file)", path=source) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a feed file", path=source) from None
    except OSError as exc:
        raise UsageError(f"cannot be read ({exc.strerror})", path=source) from None


def fetch_small(url: str, limit: int = MAX_SIDE) -> bytes:
    """A small file (chapters, transcript, image) whole. Raises :class:`FetchError`."""
    if problem := http_url_problem(url):
        raise FetchError(problem, path=url)
    try:
        resp, _ = _open(url)
        with resp:  # type: ignore[attr-defined]
            return read_limited(resp, limit, url)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(_why(exc), path=url) from None


@dataclass(frozen=True)
class Download:
    """One file to download: ``url`` to ``dest``, ``length`` the size the feed declares (or None)."""

    url: str
    dest: Path
    length: int | None
    label: str  # how reports name it (the episode's slug)


@dataclass(frozen=True)
class Outcome:
    download: Download
    error: str | None  # None: the file is at ``dest``
    warning: str | None = None  # done, but not as the feed said (its size)


def _get(d: Download, job: object) -> str | None:
    """Download ``d`` once, resuming a ``.part`` file; returns a size warning or None."""
    part = d.dest.with_name(d.dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        resp, _ = _open(d.url, headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have and (d.length is None or have == d.length):  # the part is whole already
            part.replace(d.dest)
            return None
        raise
    with resp:  # type: ignore[attr-defined]
        status = resp.status  # type: ignore[attr-defined]
        mode = "ab" if status == 206 and have else "wb"
        if mode == "wb":
            have = 0
        total = have
        with part.open(mode) as fh:
            while chunk := resp.read(CHUNK):  # type: ignore[attr-defined]
                total += len(chunk)
                if total > MAX_MEDIA:
                    raise FetchError(f"is larger than {MAX_MEDIA // 2**30} GiB", path=d.url)
                fh.write(chunk)
                job.advance(len(chunk))  # type: ignore[attr-defined]
    if total == 0:
        part.unlink()
        raise FetchError("is empty", path=d.url)
    part.replace(d.dest)
    if d.length is not None and d.length != total:
        return f"{d.label}: {d.dest.name}: {total} bytes, the feed said {d.length} (kept: the feed's length was wrong)"
    return None


def _remaining(d: Download) -> int | None:
    """Bytes still to fetch for ``d`` (its declared length less a ``.part`` already there)."""
    if d.length is None:
        return None
    part = d.dest.with_name(d.dest.name + ".part")
    return max(0, d.length - (part.stat().st_size if part.exists() else 0))


def download_all(todo: Sequence[Download], *, events: Events = NULL, workers: int = 4, tries: int = 3,
                 pause: float = 0.5) -> list[Outcome]:
    """Download every file of ``todo`` (``workers`` at a time), each tried ``tries`` times with a
    growing pause; a file already at its ``dest`` is skipped. Returns one :class:`Outcome` per
    download, in order; never raises for one file's failure. Progress in bytes on ``events``."""
    todo = list(todo)
    known = [_remaining(d) for d in todo if not d.dest.exists()]
    total = sum(n for n in known if n) if all(n is not None for n in known) else None
    job = events.start(total, "downloading", unit="B")

    def one(d: Download) -> Outcome:
        if d.dest.exists():
            return Outcome(d, None)
        error = "not tried"
        for attempt in range(tries):
            try:
                return Outcome(d, None, _get(d, job))
            except (urllib.error.URLError, OSError, ValueError, ArtoiscastError) as exc:
                error = exc.reason if isinstance(exc, ArtoiscastError) else _why(exc)
                if isinstance(exc, urllib.error.HTTPError) and exc.code in (401, 403, 404, 410):
                    break  # it will not come back by asking again
                time.sleep(pause * (attempt + 1))
        return Outcome(d, f"{d.url}: {error}")

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, 16))) as pool:
            return list(pool.map(one, todo))
    finally:
        job.done()
