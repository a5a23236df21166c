"""``artoiscast serve``: host the published folder on 127.0.0.1 with aiohttp.

Podcast apps and browsers on this machine fetch feeds, media, transcripts and pages
exactly as they would from the public host: Range (206/416), HEAD, ETag and
Last-Modified with 304 and 412, the Content-Type / Cache-Control / CORS table of
:mod:`artoiscast.mediatypes`, directory index and slash redirect, CORS preflight, and an
access log in Apache combined format, with the body bytes really sent, that
``artoiscast stats`` reads.

- :mod:`~artoiscast.serve.http`: pure HTTP semantics (URL paths, ranges, If-Range, ETags,
  conditional requests); no aiohttp.
- :mod:`~artoiscast.serve.files`: a URL path mapped onto the root; reads that refuse a
  file replaced since it was found.
- :mod:`~artoiscast.serve.cache`: the stat-checked route and small-body cache (speed only).
- :mod:`~artoiscast.serve.app`: the aiohttp handler, :func:`start` and :func:`run`.
- :mod:`~artoiscast.serve.accesslog`: the access log and the console's error lines.
"""

from artoiscast.serve.app import Handler, SentFile, handle, make_app, preflight, published_move, run, start
from artoiscast.serve.cache import FileCache, still_holds
from artoiscast.serve.files import Entry, PlainFiles, Target, locate, read_exact
from artoiscast.serve.http import (BEYOND, Answer, answer, byte_range, cors_headers, etag_matches,
                                   file_headers, http_date, parse_range, range_action, url_parts)

__all__ = ["BEYOND", "Answer", "Entry", "FileCache", "Handler", "PlainFiles", "SentFile", "Target", "answer",
           "byte_range", "cors_headers", "etag_matches", "file_headers", "handle", "http_date", "locate",
           "make_app", "parse_range", "preflight", "published_move", "range_action", "read_exact", "run", "start", "still_holds",
           "url_parts"]
