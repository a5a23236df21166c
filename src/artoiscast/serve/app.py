"""The aiohttp side of ``artoiscast serve``: one handler on aiohttp's low-level server.

A GET or HEAD is looked up (:class:`~artoiscast.serve.cache.FileCache`, or
:class:`~artoiscast.serve.files.PlainFiles` with ``cache=False``), answered by
:func:`artoiscast.serve.http.answer`, and its body comes from memory (small files), one
``os.pread`` (ranges up to :data:`PREAD_MAX`) or ``loop.sendfile`` (:class:`SentFile`): a
request never waits for the thread pool once its file is known. A file found changed when it
is read is resolved afresh, once. Only public aiohttp and asyncio APIs are used.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
import signal
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict

from artoiscast.errors import ArtoiscastError
from artoiscast.serve.accesslog import AccessLogFile, CombinedAccessLogger, ConsoleErrorLog
from artoiscast.serve.cache import FileCache
from artoiscast.serve.files import Entry, PlainFiles, locate, make_entry, open_exact, read_exact
from artoiscast.mediatypes import ENCODINGS
from artoiscast.serve.http import (
    ALLOW,
    PREFLIGHT,
    answer,
    coded_etag,
    codings,
    cors_headers,
    file_headers,
    last_modified,
    malformed_path,
    url_parts,
)

SHUTDOWN_TIMEOUT = 2.0  # seconds a Ctrl-C waits for downloads in flight
SMALL_FILE = 1 << 20  # files up to this size are answered from memory
PREAD_MAX = 1 << 20  # ranges of larger files up to this size are read with pread; longer ones use sendfile
BACKLOG = 1024  # pending connections (aiohttp's default is 128)


class SentFile(web.StreamResponse):
    """``count`` bytes at ``first`` of an open file, sent after the headers by asyncio's
    ``loop.sendfile`` (the kernel's sendfile, or asyncio's own read-and-write fallback).

    ``body_sent`` is the count the access log shows: asyncio leaves the file position after
    the bytes really sent, also when the client hangs up.
    """

    def __init__(self, source: IO[bytes], first: int, count: int, *, status: int, headers: CIMultiDict[str]) -> None:
        super().__init__(status=status, headers=headers)
        self.content_length = count
        self.source, self.first, self.count = source, first, count
        self.body_sent: int | None = None  # None: nothing was sent

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.prepared:
            return await super().prepare(request)
        try:
            writer = await super().prepare(request)  # the headers go out now
            transport = request.transport
            if transport is None:
                raise ConnectionResetError("Connection lost")
            try:
                await asyncio.get_running_loop().sendfile(transport, self.source, self.first, self.count)
            finally:
                with suppress(OSError, ValueError):
                    self.body_sent = self.source.tell() - self.first
            return writer
        finally:
            self.source.close()


def _not_found(raw: str) -> web.Response:
    """404, or 400 for a path no file can have a name for (a malformed percent-escape)."""
    if malformed_path(raw):
        return web.Response(status=400, text="400: Bad Request (malformed percent-escape in the path)\n")
    parts = url_parts(raw)
    key = "/".join(parts) if parts else ""
    return web.Response(status=404, text="404: not found\n", headers=cors_headers(key))


MOVED_FEED = re.compile(r"^/feeds/([a-z0-9][a-z0-9-]{0,79}\.xml)$")  # what a moved show redirects


def published_move(root: Path) -> str | None:
    """``moved_to`` of the folder's published ``manifest.json`` (a moved show's new base URL), or None."""
    import json

    try:
        doc = json.loads((root / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    moved = doc.get("moved_to") if isinstance(doc, dict) else None
    return moved if isinstance(moved, str) and moved.startswith(("http://", "https://")) else None


def _redirect(location: str) -> web.Response:
    return web.Response(status=301, text="301: Moved Permanently\n", headers={"Location": location})


def _unsatisfiable(entry: Entry) -> web.Response:
    headers = file_headers(entry.key)
    headers["Content-Range"] = f"bytes */{entry.size}"
    return web.Response(status=416, headers=headers)


async def handle(request: web.BaseRequest, files: PlainFiles) -> web.StreamResponse:
    """GET/HEAD: a file of the root, a directory index or redirect, else 404."""
    raw = request.raw_path if request.raw_path.startswith("/") else request.rel_url.raw_path_qs
    found = files.lookup(raw)
    if not isinstance(found, Entry):
        return _redirect(found.location) if found.kind == "redirect" else _not_found(raw)
    if found.sidecar:  # X.br, X.gz: sent as X's coding, never as files of their own
        return _not_found(raw)
    if found.text and (coded := encoded(request, files, found)) is not None:
        return await respond(request, files, raw, coded)
    return await respond(request, files, raw, found)


def encoded(request: web.BaseRequest, files: PlainFiles, entry: Entry) -> Entry | None:
    """The sidecar of ``entry``'s file to send instead (``X.br`` or ``X.gz``, as an entry whose
    headers, ETag and Last-Modified are its coded representation's), or None for the file itself:
    no Accept-Encoding that takes one, a Range request (ranges are of the file itself), or no
    sidecar at least as recent as the file (one older is stale: publish writes sidecars after their files)."""
    headers = request.headers
    if hdrs.RANGE in headers:
        return None
    for coding in _ranked(headers.get(hdrs.ACCEPT_ENCODING)):
        if coding == "identity":
            return None
        side = files.lookup("/" + quote(entry.key + ENCODINGS[coding]))
        if isinstance(side, Entry) and side.ident[3] >= entry.ident[3]:
            return _coded(entry, side, coding)
    return None


@functools.lru_cache(maxsize=512)
def _ranked(accept_encoding: str | None) -> tuple[str, ...]:
    """:func:`codings`, remembered: clients send a handful of distinct headers."""
    return tuple(codings(accept_encoding))


_CODED: dict[tuple[str, tuple[object, ...], tuple[object, ...], str], Entry] = {}
_CODED_MAX = 4096  # entries; the memo starts afresh beyond


def _coded(entry: Entry, side: Entry, coding: str) -> Entry:
    """The entry sending ``side`` (a sidecar) as ``entry``'s file in ``coding``; made once per
    file and sidecar version (their idents: a replaced file or sidecar makes a new one)."""
    key = (entry.key, entry.ident, side.ident, coding)
    made = _CODED.get(key)
    if made is None:
        etag = coded_etag(side.ident[3], side.size, coding)
        coded = CIMultiDict(file_headers(entry.key))
        coded["ETag"] = etag
        coded["Last-Modified"] = last_modified(entry.mtime)
        coded["Content-Encoding"] = coding
        made = dataclasses.replace(side, key=entry.key, etag=etag, headers=coded, mtime=entry.mtime,
                                   text=True, sidecar=False)
        if len(_CODED) >= _CODED_MAX:
            _CODED.clear()
        _CODED[key] = made
    return made


async def respond(request: web.BaseRequest, files: PlainFiles, raw: str, entry: Entry,
                  again: bool = True) -> web.StreamResponse:
    """The response for the file of ``entry``. If the file is found replaced when it is read,
    the path is resolved afresh and answered once more (``again``), else 404."""
    ans = answer(request.headers, entry.etag, entry.mtime, entry.size)
    if ans.status == 304:
        return web.Response(status=304, headers=entry.headers)
    if ans.status == 412:
        return web.Response(status=412, headers=file_headers(entry.key))
    if ans.status == 416:
        return _unsatisfiable(entry)
    headers = entry.headers.copy()
    if ans.status == 206:
        headers[hdrs.CONTENT_RANGE] = f"bytes {ans.start}-{ans.end}/{entry.size}"
    if request.method == "HEAD":
        headers[hdrs.CONTENT_LENGTH] = str(ans.length)
        return web.Response(status=ans.status, headers=headers)
    body: bytes | None
    if entry.size <= files.small:
        body = files.cached_body(entry)
        if body is None:
            body = await asyncio.get_running_loop().run_in_executor(None, read_exact, entry, 0, entry.size)
            if body is not None:
                files.remember(entry, body)
        if body is not None and ans.status == 206:
            body = body[ans.start:ans.end + 1]
    elif ans.length <= PREAD_MAX:
        body = read_exact(entry, ans.start, ans.length)  # page cache: cheaper than a thread-pool trip
    else:
        source = open_exact(entry)
        if source is not None:
            return SentFile(source, ans.start, ans.length, status=ans.status, headers=headers)
        body = None
    if body is None:  # replaced since it was found
        files.forget(raw)
        target = locate(files.root, raw) if again else None
        if target is None or target.kind == "missing":
            return _not_found(raw)
        if target.kind == "redirect":
            return _redirect(target.location)
        return await respond(request, files, raw, make_entry(str(files.root), target), again=False)
    return web.Response(status=ans.status, body=body, headers=headers)


def preflight(request: web.BaseRequest) -> web.Response:
    """OPTIONS: 204, with the CORS allow headers where CORS applies."""
    parts = url_parts(request.raw_path) or ()
    headers = {"Allow": ALLOW}
    if cors_headers("/".join(parts)):
        headers.update(PREFLIGHT)
    return web.Response(status=204, headers=headers)


class Handler:
    """Every request of the server: GET/HEAD files, OPTIONS preflight, 405 for the rest.

    It runs on aiohttp's low-level :class:`aiohttp.web.Server`: a static folder needs no
    router, middleware chain or signals, and skipping them is a tenth of each request.
    ``cache=False`` resolves every request afresh (:class:`PlainFiles`).
    """

    def __init__(self, root: Path, access_log: Path | None = None, *, cache: bool = True,
                 moved_to: str | None = None) -> None:
        self.moved_to = moved_to  # the show has moved: every feed URL answers 301 there
        if not root.is_dir():
            raise ArtoiscastError("not a folder (publish first, or pass --dir)", path=root)
        self.root = root.resolve()
        self.files = FileCache(self.root, small=SMALL_FILE) if cache else PlainFiles(self.root, small=SMALL_FILE)
        self.log = AccessLogFile(access_log) if access_log is not None else None

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        method = request.method
        if method == "GET" or method == "HEAD":
            if self.moved_to and (feed := MOVED_FEED.match(request.path)):
                return _redirect(f"{self.moved_to}feeds/{feed.group(1)}")
            return await handle(request, self.files)
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

    async def cleanup(self) -> None:
        try:
            await super().cleanup()
        finally:
            self.handler.close()
def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


async def start(root: Path, host: str = "127.0.0.1", port: int = 8000,
                access_log: Path | None = None, verbose: bool = False, cache: bool = True,
                moved_to: str | None = None) -> tuple[web.BaseRunner, str]:
    """Start serving ``root``; return the runner (``await runner.cleanup()`` stops it)
    and the base URL actually bound (port 0 picks a free port). A malformed request gets
    aiohttp's 400 and its access-log line, nothing on the console; an error of the server
    itself one line on stderr (and its traceback if ``verbose``). ``cache=False`` resolves
    every request afresh (:class:`PlainFiles`), for tests that compare the two. ``moved_to``
    (a moved show's new base URL): every ``/feeds/<name>.xml`` answers 301 to the same feed there.

    Raises ArtoiscastError if the folder is missing or the address cannot be bound.
    """
    handler = Handler(root, access_log, cache=cache, moved_to=moved_to)
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
                 on_ready: Callable[[str], None] | None, verbose: bool, moved_to: str | None) -> None:
    runner, url = await start(root, host, port, access_log, verbose, moved_to=moved_to)
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
        on_ready: Callable[[str], None] | None = None, verbose: bool = False, moved_to: str | None = None) -> None:
    """Serve ``root`` until Ctrl-C or SIGTERM, then shut down cleanly (no traceback).

    ``on_ready`` gets the base URL once the socket listens; ``verbose`` adds the traceback
    to the one line an error of the server prints. Raises ArtoiscastError if the folder is
    missing or the address cannot be bound.
    """
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(root, host, port, access_log, on_ready, verbose, moved_to))
