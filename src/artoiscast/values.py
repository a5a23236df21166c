"""Values judged the same way wherever they are written: http(s) URLs, the base URL, dates, times.

The catalog's models, ``chapters.yaml`` and the command line's options (``--base-url``,
``--endpoint-url``) all go through these functions, so a value refused in one place is
refused, with the same words, in every other. Pure: no files, no network; imports only errors.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from artoiscast.errors import CatalogError

URL_HINT = "write the full address, e.g. https://example.org/page"
BASE_URL_HINT = "give the show's address, e.g. https://artoiscast.fr/"
DATE_HINT = "use YYYY-MM-DD"
PREFIX_HINT = "give the service's prefix, e.g. https://op3.dev/e/"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d{1,3})?)$")
MAX_TIME = 100 * 3600.0  # no episode is longer: a start beyond is a typo (and 1e308 s would not format)
_HOST = re.compile(r"^[\w.-]+$|^[0-9a-f:.]+$")  # a name (IDN letters too), an IPv4 or IPv6 address


def show_value(value: Any) -> str:
    """A value as error lines quote it: strings in double quotes (cut at 60 characters)."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) < 60 else f'"{value[:57]}..."'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def http_url_problem(text: Any) -> str | None:
    """What keeps ``text`` from being an absolute http(s) URL (None when it is one).

    Only ``http://`` and ``https://`` with a host: ``javascript:``, ``data:``, ``vbscript:``,
    relative and schemeless (``//host``) values are refused, as are spaces, control
    characters and backslashes (which browsers read as slashes).
    """
    bad = f"{show_value(text)} is not an http(s) URL ({URL_HINT})"
    if not isinstance(text, str) or not text or any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in text):
        return bad
    if not text.lower().startswith(("http://", "https://")):
        return bad
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return bad
    if not parts.hostname or not _HOST.match(parts.hostname):
        return bad
    return None


def http_url_value(text: Any, field: str, path: str | None = None) -> str:
    """``text`` if it is an absolute http(s) URL. Raises CatalogError naming ``field`` otherwise.

    For any URL given on the command line (``--endpoint-url``) or in a file.
    """
    problem = http_url_problem(text)
    if problem:
        raise CatalogError(problem, path=path, field=field)
    return text


def with_slash(url: str) -> str:
    """``url`` ending with ``/``: a base URL is a folder (everything published is joined to it)."""
    return url if url.endswith("/") else url + "/"


def base_url_problem(text: Any) -> tuple[str | None, str]:
    """(problem or None, the base URL ending with ``/``): an absolute http(s) URL without a
    query or fragment; a missing final slash is added, as the catalog does for ``base_url``."""
    problem = http_url_problem(text)
    if problem:
        return problem.replace(URL_HINT, BASE_URL_HINT), text
    parts = urlsplit(text)
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return f"{show_value(text)} has a query or fragment (the base URL is a folder: {BASE_URL_HINT})", text
    return None, with_slash(text)


def prefix_problem(text: Any) -> str | None:
    """What keeps ``text`` from being an enclosure prefix (``analytics.prefix``), or None: an
    absolute https URL ending in ``/``, without a query or fragment, since the enclosure URL is
    written right after it (``https://op3.dev/e/`` + ``artoiscast.fr/media/...``). https only:
    every listener's request passes through it, and a plain-http hop would show it on the wire
    (the linter's ``https`` rule asks https of every URL a feed gives)."""
    problem = http_url_problem(text)
    if problem:
        return problem.replace(URL_HINT, PREFIX_HINT)
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        return f"{show_value(text)} is not https ({PREFIX_HINT})"
    if parts.query or parts.fragment or "?" in text or "#" in text:
        return f"{show_value(text)} has a query or fragment (the enclosure URL follows the prefix: {PREFIX_HINT})"
    if not text.endswith("/"):
        return f"{show_value(text)} does not end with / (the enclosure URL follows the prefix: {PREFIX_HINT})"
    return None


def base_url_value(text: Any, field: str, path: str | None = None) -> str:
    """The base URL as every published URL starts: ``text`` with a final ``/`` (added if missing).

    Used for ``base_url`` in ``podcast.yaml`` and for ``build --base-url``/``embed --base-url``.
    Raises CatalogError naming ``field`` when ``text`` is not an absolute http(s) URL.
    """
    problem, value = base_url_problem(text)
    if problem:
        raise CatalogError(problem, path=path, field=field)
    return value


def parse_date(value: Any) -> date | datetime:
    """A YAML date value: ``YYYY-MM-DD`` or an ISO date-time (``2024-12-17T10:05``, with or
    without an offset); a date or datetime given as such is kept. Raises ValueError for anything
    else: numbers (``20250619`` is not seconds since 1970), booleans, other strings."""
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE.fullmatch(text):
                return date.fromisoformat(text)
            if _DATETIME.fullmatch(text):
                return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass  # 2025-02-31, 25:00...
    raise ValueError(f"{show_value(value)} is not a date ({DATE_HINT})")


def parse_time(value: Any, *, negative: str = "the first chapter starts at 0") -> float:
    """``HH:MM:SS(.mmm)``, ``MM:SS`` or a number of seconds -> seconds, from 0 to MAX_TIME
    (chapter starts, soundbites).

    Raises ValueError saying what is wrong: not a time (``.nan`` included), negative (the
    ``negative`` hint says from where times count), or longer than any episode (``inf``, ``1e308``).
    """
    if isinstance(value, bool):
        raise ValueError(f"{show_value(value)} is not a time (use HH:MM:SS.mmm or seconds)")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _TIME.match(str(value).strip())
        if not m:
            raise ValueError(f"{show_value(str(value))} is not a time (use HH:MM:SS.mmm or seconds)")
        h, mnt, s = m.groups()
        seconds = int(h or 0) * 3600 + int(mnt) * 60 + float(s)
    if math.isnan(seconds):
        raise ValueError(f"{show_value(value)} is not a time (use HH:MM:SS.mmm or seconds)")
    if seconds < 0:
        raise ValueError(f"{show_value(value)} is negative ({negative})")
    if seconds > MAX_TIME:
        raise ValueError(f"{show_value(value)} is longer than any episode (at most {MAX_TIME / 3600:.0f} hours)")
    return seconds
