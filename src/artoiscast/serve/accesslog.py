"""The logs of ``artoiscast serve``: the access log (Apache combined format, buffered, body
bytes really sent) and what aiohttp reports on the console.

``artoiscast stats`` counts downloads from these lines, so the byte count is the body that
left (sendfile's own count for files sent that way) and the request line is the raw one.
Lines are buffered and flushed once a second and on shutdown: one write(2) per request
costs a busy server more than the rest of the line.

Every request gets one access-log line, a malformed one too (aiohttp answers it 400 itself);
the console gets nothing for those (:class:`ConsoleErrorLog`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http import HttpProcessingError

from artoiscast.errors import write_error

LOG_BUFFER = 1 << 16  # bytes of access log lines buffered between flushes
FLUSH_EVERY = 1.0  # seconds between access log flushes


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"') if ("\\" in value or '"' in value) else value


def body_bytes(request: web.BaseRequest, response: web.StreamResponse) -> int:
    """Body bytes sent: the sendfile count for files sent that way (``body_sent``), the body length otherwise."""
    if request.method == "HEAD" or response.status in (204, 304):
        return 0
    sent = getattr(response, "body_sent", None)
    if sent is not None:
        return int(sent)
    body = getattr(response, "body", None)
    return len(body) if isinstance(body, (bytes, bytearray)) else 0


def unparsed(request: web.BaseRequest, response: web.StreamResponse) -> bool:
    """True for the stand-in request aiohttp logs when it could not parse one (``UNKNOWN /
    HTTP/1.0``, no headers, answered 400): its request line is not the client's, so the log
    shows ``"-"`` as Apache does. ``artoiscast serve`` answers a real ``UNKNOWN`` 405."""
    return response.status == 400 and request.method == "UNKNOWN" and not request.headers


class ConsoleErrorLog(logging.Logger):
    """The ``logger`` of aiohttp's request handler, in place of ``aiohttp.server``: with no
    logging configured, that one prints a full traceback on stderr for every malformed request
    ("Error handling request from ...", then ``BadStatusLine``, ``LineTooLong``, ``InvalidURLError``).

    A request aiohttp could not parse (:class:`aiohttp.http.HttpProcessingError`: NUL bytes, a
    line, header or header count over the limits, a bad method, version or header) is the
    client's mistake: aiohttp answers 400 and the access log has its line; nothing more here.
    Anything else is a bug of ours (a 500, a dropped connection): one line on stderr, and the
    traceback with ``verbose``. Debug records (aiohttp's own, for non-HTTP noise such as TLS on
    the port) are dropped.
    """

    def __init__(self, verbose: bool = False) -> None:
        super().__init__("artoiscast.serve.errors", logging.INFO)
        self.propagate = False  # never reaches the root logger or logging.lastResort
        self.verbose = verbose
        self.addHandler(_OneLine(self))


class _OneLine(logging.Handler):
    def __init__(self, log: ConsoleErrorLog) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            return
        text = record.getMessage()
        if exc is not None:
            detail = str(exc).strip().splitlines()
            text += f": {type(exc).__name__}" + (f": {detail[0][:200]}" if detail else "")
            if not self.log.verbose:
                text += " (artoiscast -v serve shows the traceback)"
        with suppress(OSError, ValueError):  # no stderr left: nothing to tell
            sys.stderr.write(f"serve: {text}\n")
            if self.log.verbose and record.exc_info:
                sys.stderr.write(logging.Formatter().formatException(record.exc_info) + "\n")
            sys.stderr.flush()


class AccessLogFile(logging.Logger):
    """The access log file, buffered: lines are written whole, flushed every ``FLUSH_EVERY``
    seconds and on shutdown, never one write(2) per request.

    A :class:`logging.Logger` only because aiohttp hands its access log class a logger;
    :class:`CombinedAccessLogger` calls :meth:`write`, not the logging machinery.
    """

    def __init__(self, path: Path) -> None:
        super().__init__("artoiscast.serve.access", logging.INFO)
        self.propagate = False  # nothing per request reaches the terminal
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] | None = path.open("a", encoding="utf-8", buffering=LOG_BUFFER)
        except OSError as exc:  # the access log's folder not writable (another user's): one line, not a traceback
            raise write_error(exc) from None
        self._timer: asyncio.TimerHandle | None = None

    def write(self, line: str) -> None:
        if self._file is not None:
            self._file.write(line)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def start_flushing(self, loop: asyncio.AbstractEventLoop) -> None:
        """Flush every FLUSH_EVERY seconds on ``loop`` until :meth:`close`."""
        def tick() -> None:
            with suppress(OSError):  # a full disk loses log lines, not the server
                self.flush()
            self._timer = loop.call_later(FLUSH_EVERY, tick)

        self._timer = loop.call_later(FLUSH_EVERY, tick)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._file is not None:
            with suppress(OSError):
                self._file.close()
            self._file = None


_clock: list[Any] = [-1, ""]  # (second, formatted) shared by every connection's logger


def _log_time(when: float) -> str:
    second = int(when)
    if second != _clock[0]:
        _clock[1] = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(second))
        _clock[0] = second
    return str(_clock[1])


class CombinedAccessLogger(AbstractAccessLogger):
    """Apache combined format (``%a %l %u %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"``).

    aiohttp's stock AccessLogger has the format, but its ``%b`` counts header bytes
    and misses sendfile bodies, and its ``%r`` shows the decoded path; download
    statistics need the raw request line and the body bytes really delivered.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time_taken: float) -> None:
        version = request.version
        size = body_bytes(request, response)
        headers = request.headers
        if unparsed(request, response):
            request_line = "-"
        else:
            request_line = _quote(f"{request.method} {request.raw_path} HTTP/{version.major}.{version.minor}")
        line = (f'{request.remote or "-"} - - [{_log_time(time.time() - time_taken)}] '
                f'"{request_line}" '
                f'{response.status} {size or "-"} "{_quote(headers.get(hdrs.REFERER, "-"))}" '
                f'"{_quote(headers.get(hdrs.USER_AGENT, "-"))}"\n')
        write = getattr(self.logger, "write", None)
        if write is not None:
            write(line)
        else:  # a plain Logger handed in by a caller
            self.logger.info("%s", line[:-1])
