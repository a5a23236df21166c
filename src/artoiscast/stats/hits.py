"""What a log parser yields: one :class:`Hit` per request line. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Hit:
    """One request as a log line tells it.

    ``path`` is the URL path as logged (percent-encoded as received), without scheme, host or
    query; ``query`` the raw query string without its ``?``. ``ip`` is never stored raw: the
    engine hashes it with the day's salt before anything is written.
    """

    time: datetime  # timezone-aware, UTC
    ip: str  # as logged (IPv4 or IPv6 text)
    method: str  # "GET", "HEAD"... ("-" when the request line could not be read)
    path: str  # e.g. "/media/x/x-1a2b3c4d.mp3"
    query: str  # e.g. "feed=llv&embed=https%3A%2F%2Fpartner.fr", "" if none
    status: int
    sent: int  # body bytes sent (0 for "-")
    user_agent: str  # "" for "-" or missing
    referer: str  # "" for "-" or missing
    range: str | None  # the Range request header when the format logs it, else None
