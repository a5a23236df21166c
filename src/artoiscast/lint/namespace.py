"""The rules of the Podcasting 2.0 tags a producer sets, over feed XML: ``funding``, channel
``trailer``, ``soundbite``, ``txt`` (``verify``, ``applepodcastsverify``, ``ai-content``), the
``owner`` of ``locked``, season names and episode displays. Pure, no I/O; :mod:`.rules` calls
them for each channel and item, and reports through its collector (any object with ``error``
and ``warn``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from lxml import etree

from artoiscast.rss import HTTP_URL, rfc2822_date
from artoiscast.rss import NSMAP as NS

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SECONDS = re.compile(r"^\d+(\.\d+)?$")
TEXT_MAX = 128  # characters: the namespace's limit for funding, trailer and soundbite texts, season names
DISPLAY_MAX = 32  # characters of podcast:episode display
TXT_MAX = 4000  # characters of a podcast:txt value
SOUNDBITE_RECOMMENDED = (15.0, 120.0)  # seconds


class Report(Protocol):
    """Where findings go (``rules._Feed``): ``where`` is ``channel`` or ``item <guid>``."""

    def error(self, where: str, rule: str, message: str) -> None: ...

    def warn(self, where: str, rule: str, message: str) -> None: ...


def locked_owner(f: Report, ch: etree._Element) -> None:
    """``podcast:locked owner``: optional in the namespace, but without it a platform asked to
    import the feed has no address to verify a move with, and some ignore the lock altogether."""
    locked = ch.find("podcast:locked", NS)
    if locked is None:
        return
    owner = locked.get("owner")
    if owner is None:
        f.warn("channel", "locked-owner", "podcast:locked has no owner e-mail: a platform asked to import the feed "
                                         "cannot verify a move, and some ignore the lock without one (set "
                                         "owner.email in podcast.yaml)")
    elif not _EMAIL.match(owner.strip()):
        f.error("channel", "locked-owner", f"podcast:locked owner={owner!r} is not an e-mail address")


def _texts(f: Report, where: str, tag: str, text: str | None, limit: int = TEXT_MAX) -> None:
    """The namespace asks texts not to exceed ``limit`` characters (aggregators may cut them)."""
    if text is not None and len(text.strip()) > limit:
        f.warn(where, "text-length", f"{tag} is {len(text.strip())} characters (the namespace: at most {limit})")


def funding(f: Report, where: str, el: etree._Element) -> None:
    for fund in el.findall("podcast:funding", NS):
        url = (fund.get("url") or "").strip()
        if not HTTP_URL.match(url):
            f.error(where, "funding", f"podcast:funding url={fund.get('url')!r} is not an absolute http(s) URL")
        if not (fund.text or "").strip():
            f.warn(where, "funding", "podcast:funding has no text (apps then show the bare address)")
        _texts(f, where, "podcast:funding", fund.text)


def trailers(f: Report, ch: etree._Element, now: datetime | None) -> None:
    """``podcast:trailer``: url and an RFC 2822 pubdate required, a title, a byte count, a
    season number; never one dated after ``now`` (a scheduled trailer)."""
    for tr in ch.findall("podcast:trailer", NS):
        if not HTTP_URL.match((tr.get("url") or "").strip()):
            f.error("channel", "trailer", f"podcast:trailer url={tr.get('url')!r} is not an absolute http(s) URL")
        when = rfc2822_date((tr.get("pubdate") or "").strip())
        if when is None:
            f.error("channel", "trailer", f"podcast:trailer pubdate={tr.get('pubdate')!r} is not an RFC 2822 date "
                                          "with a time zone")
        elif now is not None and when > now:
            f.error("channel", "scheduled", f"podcast:trailer pubdate {tr.get('pubdate')} is in the future "
                                            "(a scheduled trailer is in the feed)")
        if not (tr.text or "").strip():
            f.error("channel", "trailer", "podcast:trailer needs a title")
        _texts(f, "channel", "podcast:trailer", tr.text)
        if tr.get("length") is not None and not re.fullmatch(r"\d+", tr.get("length")):
            f.error("channel", "trailer", f"podcast:trailer length={tr.get('length')!r} is not a byte count")
        if not tr.get("type"):
            f.warn("channel", "trailer", "podcast:trailer has no type (the namespace recommends the MIME type)")
        if tr.get("season") is not None and not re.fullmatch(r"[1-9]\d*", tr.get("season")):
            f.error("channel", "trailer", f"podcast:trailer season={tr.get('season')!r} is not a season number")


def txt(f: Report, where: str, el: etree._Element) -> None:
    for record in el.findall("podcast:txt", NS):
        purpose, value = record.get("purpose"), (record.text or "").strip()
        if purpose == "ai-content" and value not in ("true", "false"):
            f.error(where, "txt", f"podcast:txt ai-content is {record.text!r}, not true or false")
        elif purpose in ("verify", "applepodcastsverify") and not value:
            f.error(where, "txt", f"podcast:txt {purpose} is empty (paste the token the directory gave)")
        if len(value) > TXT_MAX:
            f.error(where, "txt", f"podcast:txt is {len(value)} characters (at most {TXT_MAX}: a cut token "
                                  "proves nothing)")
        if purpose is not None and len(purpose) > TEXT_MAX:
            f.warn(where, "txt", f"podcast:txt purpose is {len(purpose)} characters (at most {TEXT_MAX})")


def soundbites(f: Report, where: str, item: etree._Element) -> None:
    """``podcast:soundbite``: startTime and duration in seconds, inside the episode
    (``itunes:duration``, whole seconds), the duration recommended between 15 and 120 s."""
    length = (item.findtext("itunes:duration", namespaces=NS) or "").strip()
    total = float(length) if re.fullmatch(r"\d+", length) else None
    low, high = SOUNDBITE_RECOMMENDED
    for sb in item.findall("podcast:soundbite", NS):
        start, duration = (sb.get("startTime") or "").strip(), (sb.get("duration") or "").strip()
        if not _SECONDS.match(start) or not _SECONDS.match(duration) or float(duration) == 0:
            f.error(where, "soundbite", f"podcast:soundbite needs startTime and a duration in seconds "
                                        f"(got {sb.get('startTime')!r}, {sb.get('duration')!r})")
            continue
        end = float(start) + float(duration)
        if total is not None and end > total + 1:  # itunes:duration is rounded to the second
            f.error(where, "soundbite", f"podcast:soundbite ends at {end:g} s, after the episode's end ({total:g} s)")
        if not low <= float(duration) <= high:
            f.warn(where, "soundbite", f"podcast:soundbite lasts {float(duration):g} s (the namespace recommends "
                                       f"{low:g} to {high:g})")
        _texts(f, where, "podcast:soundbite", sb.text)


def names(f: Report, where: str, item: etree._Element) -> None:
    season, episode = item.find("podcast:season", NS), item.find("podcast:episode", NS)
    if season is not None:
        _texts(f, where, "podcast:season name", season.get("name"))
    if episode is not None:
        _texts(f, where, "podcast:episode display", episode.get("display"), DISPLAY_MAX)
