"""What a podcast feed is made of, shared by the writer (``feeds``) and the linter (``lint``):
XML namespaces, limits, and the redirect-prefix rule of measurement services (OP3).

Standard library only, so the linter reads feeds without the catalog or the renderer.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

HTTP_URL = re.compile(r"^https?://\S+$")  # a URL a feed may carry (the catalog judges them more strictly: values)

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
NSMAP = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "content": CONTENT}
MAX_DESCRIPTION = 4000  # bytes: Apple and PSP-1
TRANSCRIPT_TYPES = {  # podcast:transcript type of each file the build writes, by extension
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "html": "text/html",
    "txt": "text/plain",
}

# Where an HTML parser leaves text: "<" before a letter, "/", "!" or "?" opens a tag, an end tag, a
# comment or a declaration (HTML5 tokenizer, data state); any other "<", and every ">", is text.
MARKUP_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def prefixed(url: str, prefix: str | None) -> str:
    """``url`` behind a measurement service's redirect prefix, by OP3's rule: the prefix, then the
    URL without its scheme, except that a plain ``http`` URL keeps it
    (``https://op3.dev/e/`` + ``https://artoiscast.fr/media/x.mp3`` -> ``https://op3.dev/e/artoiscast.fr/media/x.mp3``,
    ``http://a.example/x.mp3`` -> ``https://op3.dev/e/http://a.example/x.mp3``). No prefix: ``url``."""
    if not prefix:
        return url
    return prefix + (url if url[:7].lower() == "http://" else url.split("://", 1)[-1])


def unprefixed(url: str, base_url: str | None) -> str:
    """The URL under ``base_url`` that ``url`` reaches through redirect prefixes, else ``url``:
    ``https://op3.dev/e/artoiscast.fr/media/x.mp3?feed=a`` -> ``https://artoiscast.fr/media/x.mp3?feed=a``
    (the target found in the path with or without its scheme, behind one prefix or a chain)."""
    if not base_url or url.startswith(base_url):
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url
    bare = base_url.split("://", 1)[-1]
    start = url.find("/", len(parts.scheme) + 3)  # the prefixed URL's own path
    found = url.find("/" + bare, start) if start >= 0 else -1
    return url if found < 0 else base_url + url[found + 1 + len(bare):]


def rfc2822_date(value: str) -> datetime | None:
    """An RFC 2822 date with a time zone (``pubDate``, a trailer's ``pubdate``), or None."""
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return dt if dt is not None and dt.tzinfo is not None else None
