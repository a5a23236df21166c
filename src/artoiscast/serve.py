"""``artoiscast serve``: host the published folder on 127.0.0.1 with aiohttp.

Podcast apps and browsers on this machine fetch feeds, media, transcripts and pages
exactly as they would from the public host: Range (206/416), HEAD, ETag and
Last-Modified with 304, the Content-Type / Cache-Control / CORS table of
:mod:`artoiscast.mediatypes`, and an access log in Apache combined format that
``artoiscast stats`` reads.

Files go out through :class:`aiohttp.web.FileResponse` (sendfile, ranges, conditional
requests). On top of it this module adds what aiohttp does not do: safe path
resolution (no way out of the root, symlinks included), directory index and slash
redirect, explicit Content-Types, CORS and its preflight, ``If-Range`` with an ETag,
RFC 9110 handling of Range headers aiohttp would answer with a wrong 416, and an
access log whose byte count is the body actually sent.

The pure parts (:func:`url_parts`, :func:`file_headers`, :func:`range_action`) take
strings and return values; :func:`locate` only stats files.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import stat
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal
from urllib.parse import unquote

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger, AbstractStreamWriter

from artoiscast.errors import ArtoiscastError
from artoiscast.mediatypes import cache_control, content_type, needs_cors

ROOT_KEY = web.AppKey("artoiscast_root", Path)
ACCESS_LOG_KEY = web.AppKey("artoiscast_access_log", logging.Logger)

CORS_EXPOSE = "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified"
PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, If-Range, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
ALLOW = "GET, HEAD, OPTIONS"
SHUTDOWN_TIMEOUT = 2.0  # seconds a Ctrl-C waits for downloads in flight
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII | re.IGNORECASE)


# ---------------------------------------------------------------- pure core


def url_parts(raw_path: str) -> tuple[str, ...] | None:
    """The path segments of a raw (percent-encoded) request path, or None if refused.

    Refused: anything not starting with ``/``, undecodable percent-escapes, NUL or
    backslash, empty segments (``//etc``), ``.`` and ``..``, and hidden names (the
    local backend's ``.part`` files) except ``.well-known``. A trailing slash is
    dropped here; the caller decides what it means. ``/`` gives ``()``.
    """
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
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


RangeAction = Literal["none", "serve", "ignore", "unsatisfiable"]


def range_action(range_header: str | None, if_range: str | None, etag: str) -> RangeAction:
    """What to do with a request's Range header (RFC 9110 section 14).

    ``serve``: one well-formed byte range, let FileResponse answer 206 or 416.
    ``ignore``: answer 200 with the whole file: a multi-range or malformed Range
    (aiohttp would say 416), or an ``If-Range`` ETag that is not the current one
    (aiohttp only understands If-Range dates). ``unsatisfiable``: ``bytes=-0``.
    """
    if range_header is None:
        return "none"
    match = _RANGE_RE.fullmatch(range_header.strip())
    if match is None:
        return "ignore"
    first, last = match.groups()
    if not first and not last:
        return "ignore"
    if first and last and int(first) > int(last):
        return "ignore"
    if if_range is not None:
        value = if_range.strip()
        is_etag = value.startswith(('"', "W/"))
        if is_etag and value != etag:
            return "ignore"
    if not first and int(last) == 0:
        return "unsatisfiable"
    return "serve"


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


# ---------------------------------------------------------------- responses


class _FileResponse(web.FileResponse):
    """FileResponse that can drop the Range header and records the body bytes sent."""

    def __init__(self, path: Path, *, headers: dict[str, str], ignore_range: bool) -> None:
        super().__init__(path, headers=headers)
        self.ignore_range = ignore_range
        self.body_sent: int | None = None  # None: aiohttp never reached _sendfile

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.ignore_range and hdrs.RANGE in request.headers:
            headers = request.headers.copy()
            del headers[hdrs.RANGE]
            request = request.clone(headers=headers)
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


def _not_found(parts: tuple[str, ...] | None) -> web.Response:
    key = "/".join(parts) if parts else ""
    return web.Response(status=404, text="404: not found\n", headers=cors_headers(key))


async def handle(request: web.Request) -> web.StreamResponse:
    """GET/HEAD: a file of the root, a directory index or redirect, else 404."""
    root = request.app[ROOT_KEY]
    raw = request.raw_path if request.raw_path.startswith("/") else request.rel_url.raw_path_qs
    target = locate(root, raw)
    if target.kind == "redirect":
        raise web.HTTPMovedPermanently(target.location)
    if target.kind == "missing":
        return _not_found(url_parts(raw))
    assert target.path is not None and target.st is not None
    headers = file_headers(target.key)
    action = range_action(request.headers.get(hdrs.RANGE), request.headers.get(hdrs.IF_RANGE),
                          strong_etag(target.st))
    if action == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{target.st.st_size}"
        return web.Response(status=416, headers=headers)
    return _FileResponse(target.path, headers=headers, ignore_range=action == "ignore")


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS: 204, with the CORS allow headers where CORS applies."""
    parts = url_parts(request.raw_path) or ()
    headers = {"Allow": ALLOW}
    if cors_headers("/".join(parts)):
        headers.update(PREFLIGHT)
    return web.Response(status=204, headers=headers)


# ---------------------------------------------------------------- access log


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def body_bytes(request: web.BaseRequest, response: web.StreamResponse) -> int:
    """Body bytes sent: the sendfile count for files, the body length otherwise."""
    if request.method == "HEAD" or response.status in (204, 304):
        return 0
    sent = getattr(response, "body_sent", None)
    if sent is not None:
        return int(sent)
    if isinstance(response, web.FileResponse):
        return (response.content_length or 0) if response.status in (200, 206) else 0
    body = getattr(response, "body", None)
    return len(body) if isinstance(body, (bytes, bytearray)) else 0


class CombinedAccessLogger(AbstractAccessLogger):
    """Apache combined format (``%a %l %u %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"``).

    aiohttp's stock AccessLogger has the format, but its ``%b`` counts header bytes
    and misses sendfile bodies, and its ``%r`` shows the decoded path; download
    statistics need the raw request line and the body bytes really delivered.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time_taken: float) -> None:
        start = time.time() - time_taken
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(start))
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        line = f"{request.method} {request.raw_path} {version}"
        size = body_bytes(request, response)
        referer = request.headers.get(hdrs.REFERER, "-")
        agent = request.headers.get(hdrs.USER_AGENT, "-")
        self.logger.info('%s - - [%s] "%s" %d %s "%s" "%s"', request.remote or "-", when, _quote(line),
                         response.status, size or "-", _quote(referer), _quote(agent))


def _file_logger(path: Path) -> logging.Logger:
    """A logger writing bare lines to ``path`` (FileHandler flushes after each line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A private Logger, not registered with logging.getLogger: no parent, so nothing per
    # request reaches the terminal, and two apps never share (or leak) handlers.
    logger = logging.Logger("artoiscast.serve.access", logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


async def _close_log(app: web.Application) -> None:
    logger = app.get(ACCESS_LOG_KEY)
    if logger is not None:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


# ---------------------------------------------------------------- app and server


def make_app(root: Path, *, access_log: Path | None = None) -> web.Application:
    """The aiohttp application serving ``root``; requests go to ``access_log`` if given.

    Raises ArtoiscastError if ``root`` is not a folder.
    """
    if not root.is_dir():
        raise ArtoiscastError("not a folder (publish first, or pass --dir)", path=root)
    app = web.Application()
    app[ROOT_KEY] = root.resolve()
    if access_log is not None:
        app[ACCESS_LOG_KEY] = _file_logger(access_log)
        app.on_cleanup.append(_close_log)
    app.router.add_get("/{tail:.*}", handle, allow_head=True)
    app.router.add_route("OPTIONS", "/{tail:.*}", preflight)
    return app


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


async def start(root: Path, host: str = "127.0.0.1", port: int = 8000,
                access_log: Path | None = None) -> tuple[web.AppRunner, str]:
    """Start serving ``root``; return the runner (``await runner.cleanup()`` stops it)
    and the base URL actually bound (port 0 picks a free port).

    Raises ArtoiscastError if the folder is missing or the address cannot be bound.
    """
    app = make_app(root, access_log=access_log)
    logger = app.get(ACCESS_LOG_KEY)
    runner = web.AppRunner(app, access_log=logger, access_log_class=CombinedAccessLogger,
                           handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ArtoiscastError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                              "pick another with --port", field="serve") from exc
    bound_port = runner.addresses[0][1]
    return runner, _url(host, bound_port)


async def _serve(root: Path, host: str, port: int, access_log: Path | None,
                 on_ready: Callable[[str], None] | None) -> None:
    runner, url = await start(root, host, port, access_log)
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
        on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``root`` until Ctrl-C or SIGTERM, then shut down cleanly (no traceback).

    ``on_ready`` gets the base URL once the socket listens. Raises ArtoiscastError if
    the folder is missing or the address cannot be bound.
    """
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(root, host, port, access_log, on_ready))
