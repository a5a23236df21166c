"""The rules of ``artoiscast check`` over feed XML (Apple, PSP-1, Podcasting 2.0): pure, no I/O.

:func:`lint_feed` judges one feed's bytes, :func:`lint_feeds` every feed and the rules across
them. Each problem is one :class:`Finding`, printed as
``feeds/<name>.xml: item <guid>: <rule>: <what is wrong>``. Errors break an app or a
directory's rules; warnings are advice (``--strict`` fails on them).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from lxml import etree

from artoiscast.apple import CATEGORIES
from artoiscast.lint.namespace import funding, locked_owner, names, soundbites, trailers, txt
from artoiscast.rss import ATOM, CONTENT, HTTP_URL, ITUNES, MARKUP_OPEN, MAX_DESCRIPTION, PODCAST, unprefixed
from artoiscast.rss import rfc2822_date as _pubdate

NS = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "content": CONTENT}
ENCLOSURE_TYPES = {"audio/mpeg"}
TRANSCRIPT_TYPES = {"text/plain", "text/html", "text/vtt", "application/json", "application/x-subrip", "application/srt"}
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "publisher", "course", "mixed"}
MEDIUMS |= {m + "L" for m in MEDIUMS - {"publisher", "mixed"}}
# Every tag of the Podcasting 2.0 namespace (1.0); anything else there is non-standard.
PODCAST_TAGS = {
    "transcript", "locked", "funding", "chapters", "soundbite", "person", "location", "season", "episode", "trailer",
    "license", "alternateEnclosure", "source", "integrity", "guid", "value", "valueRecipient", "valueTimeSplit",
    "medium", "liveItem", "contentLink", "socialInteract", "block", "txt", "remoteItem", "podroll",
    "updateFrequency", "podping", "chat", "publisher", "image",
}
DEPRECATED = {f"{{{PODCAST}}}images": "podcast:images is deprecated (use podcast:image)"}
CHANNEL_REQUIRED = ("atom:link[@rel='self']", "title", "description", "link", "language", "itunes:image",
                    "itunes:category", "itunes:explicit")
CHANNEL_RECOMMENDED = ("podcast:locked", "podcast:guid", "itunes:author")
ITEM_RECOMMENDED = ("link", "pubDate", "description", "itunes:duration", "itunes:image", "itunes:explicit")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")
_GEO = re.compile(r"^geo:-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?(,-?\d+(\.\d+)?)?(;.*)?$")
_OSM = re.compile(r"^[NWR]\d+(#\d+)?$")
_RRULE = re.compile(r"^FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Za-z0-9,+-]+)*$")


@dataclass(frozen=True)
class Finding:
    """One problem: where (feed file, channel or item), which rule, what is wrong."""

    feed: str  # "feeds/all.xml"
    where: str  # "channel" or "item <guid or title>"
    rule: str
    message: str
    level: Literal["error", "warning"] = "error"

    def line(self) -> str:
        return f"{self.feed}: {self.where}: {self.rule}: {self.message}"


class _Feed:
    """Collects the findings of one feed."""

    def __init__(self, path: str):
        self.path = path
        self.found: list[Finding] = []

    def error(self, where: str, rule: str, message: str) -> None:
        self.found.append(Finding(self.path, where, rule, message))

    def warn(self, where: str, rule: str, message: str) -> None:
        self.found.append(Finding(self.path, where, rule, message, "warning"))


def _text(el: etree._Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path, NS)
    if found is None:
        return None
    if path.startswith("atom:link"):
        return found.get("href")
    return (found.text or "").strip() or ("" if found.get("href") is None and found.get("text") is None else "x")


def item_label(item: etree._Element) -> str:
    """How a finding names an item: its guid, else its title."""
    guid = (item.findtext("guid") or "").strip()
    return f"item {guid}" if guid else f"item {(item.findtext('title') or '?').strip()!r}"


def is_uuid5(value: str) -> bool:
    """True for a canonical lower-case UUID of version 5 and the RFC 4122 variant."""
    try:
        u = uuid.UUID(value)
    except ValueError:
        return False
    return str(u) == value and u.version == 5 and u.variant == uuid.RFC_4122


# ---------------------------------------------------------------- one feed


def lint_feed(
    name: str,
    data: bytes,
    *,
    base_url: str | None = None,
    sizes: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Every rule of one feed's bytes. Returns the findings (empty when clean).

    ``base_url`` gives the expected self link and the https rule; ``sizes`` maps published
    paths (``media/...mp3``) to their byte size for the enclosure length rule; ``now``
    (aware) flags items dated in the future (scheduled episodes must stay out).
    """
    f = _Feed(f"feeds/{name}.xml")
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        f.error("channel", "xml", f"not well-formed XML ({exc})")
        return f.found
    if not data.lstrip().startswith(b"<?xml") or b'encoding="UTF-8"' not in data[:100].replace(b"'", b'"'):
        f.warn("channel", "encoding", "no XML declaration with encoding UTF-8")
    if root.tag != "rss" or root.get("version") != "2.0":
        f.error("channel", "rss", f"root is <{root.tag} version={root.get('version')!r}>, not <rss version=\"2.0\">")
        return f.found
    for prefix in ("itunes", "podcast", "atom"):
        if root.nsmap.get(prefix) != NS[prefix]:
            f.error("channel", "namespace", f"xmlns:{prefix} is {root.nsmap.get(prefix)!r}, not {NS[prefix]!r}")
    ch = root.find("channel")
    if ch is None:
        f.error("channel", "required", "no <channel>")
        return f.found
    medium = (ch.findtext("podcast:medium", namespaces=NS) or "podcast").strip()
    https = bool(base_url and base_url.startswith("https://"))
    _nonstandard(f, root)
    if medium == "publisher":
        _publisher_channel(f, ch)
    else:
        _channel(f, name, ch, base_url, now)
        _items(f, ch, sizes, now, base_url)
    if https:
        _https(f, root)
    return f.found


def _nonstandard(f: _Feed, root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        where = "channel" if el.getparent() is None or el.getparent().tag in ("rss", "channel") else \
            item_label(next((a for a in el.iterancestors("item")), el))
        if el.tag in DEPRECATED:
            f.error(where, "deprecated", DEPRECATED[el.tag])
        elif el.tag.startswith(f"{{{PODCAST}}}") and el.tag.split("}")[1] not in PODCAST_TAGS:
            f.error(where, "non-standard", f"podcast:{el.tag.split('}')[1]} is not a Podcasting 2.0 tag")


def _channel(f: _Feed, name: str, ch: etree._Element, base_url: str | None, now: datetime | None = None) -> None:
    for path in CHANNEL_REQUIRED:
        if not _text(ch, path):
            f.error("channel", "required", f"<{path.split('[')[0]}> is missing or empty")
    for path in CHANNEL_RECOMMENDED:
        if not _text(ch, path):
            f.warn("channel", "recommended", f"<{path}> is missing (PSP-1 recommends it)")
    self_link = _text(ch, "atom:link[@rel='self']")
    if self_link and base_url and self_link != f"{base_url}feeds/{name}.xml":
        f.error("channel", "self-link", f"atom:link rel=self is {self_link}, not {base_url}feeds/{name}.xml")
    _length(f, "channel", ch)
    lang = (ch.findtext("language") or "").strip()
    if lang and not _LANG.match(lang):
        f.error("channel", "language", f"{lang!r} is not an ISO 639 code (e.g. fr, fr-BE)")
    _explicit(f, "channel", ch)
    cats = ch.findall("itunes:category", NS)
    for cat in cats:
        text = cat.get("text") or ""
        if text not in CATEGORIES:
            f.error("channel", "category", f"{text!r} is not an Apple Podcasts category")
            continue
        for sub in cat.findall("itunes:category", NS):
            if sub.get("text") not in CATEGORIES[text]:
                f.error("channel", "category", f"{sub.get('text')!r} is not a subcategory of {text!r}")
    guid = (ch.findtext("podcast:guid", namespaces=NS) or "").strip()
    if guid and not is_uuid5(guid):
        f.error("channel", "podcast-guid", f"{guid!r} is not a UUIDv5 (use the namespace recipe)")
    locked = ch.findtext("podcast:locked", namespaces=NS)
    if locked is not None and locked.strip() not in ("yes", "no"):
        f.error("channel", "locked", f"podcast:locked is {locked!r}, not yes or no")
    locked_owner(f, ch)
    medium = ch.findtext("podcast:medium", namespaces=NS)
    if medium is not None and medium.strip() not in MEDIUMS:
        f.error("channel", "medium", f"podcast:medium {medium!r} is not in the list")
    kind = (ch.findtext("itunes:type", namespaces=NS) or "episodic").strip()
    if kind not in ("episodic", "serial"):
        f.error("channel", "type", f"itunes:type is {kind!r}, not episodic or serial")
    elif kind == "serial":
        for item in ch.findall("item"):
            if not (item.findtext("itunes:episode", namespaces=NS) or "").strip():
                f.error(item_label(item), "type", "a serial show needs itunes:episode on every item")
    freq = ch.find("podcast:updateFrequency", NS)
    if freq is not None:  # optional: a feed whose dates show no cadence honestly has none
        if not (freq.text or "").strip() or len(freq.text.strip()) > 128:
            f.error("channel", "update-frequency", "the label must be 1-128 characters")
        rule = freq.get("rrule")
        if rule is not None and not _RRULE.match(rule):
            f.error("channel", "update-frequency", f"rrule {rule!r} is not an RFC 5545 rule (e.g. FREQ=WEEKLY)")
    publisher = ch.findall("podcast:publisher/podcast:remoteItem", NS)
    if ch.find("podcast:publisher", NS) is not None and (
            len(publisher) != 1 or publisher[0].get("medium") != "publisher" or not publisher[0].get("feedUrl")):
        f.error("channel", "publisher", 'podcast:publisher needs exactly one remoteItem medium="publisher" with feedUrl')
    for remote in ch.iterfind(".//podcast:remoteItem", NS):
        if not is_uuid5(remote.get("feedGuid") or ""):
            f.error("channel", "remote-item", f"remoteItem feedGuid {remote.get('feedGuid')!r} is not a UUIDv5")
    _persons_locations(f, "channel", ch)
    funding(f, "channel", ch)
    trailers(f, ch, now)
    txt(f, "channel", ch)
    _markup(f, "channel", ch)
    title = (ch.findtext("title") or "").strip()
    if len(title) > 255:
        f.warn("channel", "text-length", f"title is {len(title)} characters (Apple: at most 255)")


def _publisher_channel(f: _Feed, ch: etree._Element) -> None:
    for path in ("atom:link[@rel='self']", "title", "link", "podcast:guid"):
        if not _text(ch, path):
            f.error("channel", "required", f"<{path.split('[')[0]}> is missing or empty")
    remotes = ch.findall("podcast:remoteItem", NS)
    if not remotes:
        f.error("channel", "publisher", "a publisher feed lists its feeds as podcast:remoteItem")
    for r in remotes:
        if not is_uuid5(r.get("feedGuid") or ""):
            f.error("channel", "remote-item", f"remoteItem feedGuid {r.get('feedGuid')!r} is not a UUIDv5")


def _markup(f: _Feed, where: str, el: etree._Element) -> None:
    """Readers treat title, description and itunes:summary as HTML: they must hold none (a "<"
    that opens a tag, comment or declaration), only escaped text; HTML goes in content:encoded."""
    for path in ("title", "description", "itunes:summary"):
        if MARKUP_OPEN.search(el.findtext(path, namespaces=NS) or ""):
            f.warn(where, "html", f"{path} holds HTML markup (escape the text; put HTML in CDATA content:encoded)")


def _length(f: _Feed, where: str, el: etree._Element) -> None:
    text = el.findtext("description")
    if text is not None and len(text.encode()) > MAX_DESCRIPTION:
        f.error(where, "description-length", f"description is {len(text.encode())} bytes (at most {MAX_DESCRIPTION})")


def _explicit(f: _Feed, where: str, el: etree._Element) -> None:
    value = el.findtext("itunes:explicit", namespaces=NS)
    if value is not None and value.strip() not in ("true", "false"):
        f.error(where, "explicit", f"itunes:explicit is {value!r}; Apple wants true or false")


def _persons_locations(f: _Feed, where: str, el: etree._Element) -> None:
    for p in el.findall("podcast:person", NS):
        name = (p.text or "").strip()
        if not name or len(name) > 128:
            f.error(where, "person", "podcast:person needs a name of 1-128 characters")
        for attr in ("href", "img"):
            if p.get(attr) is not None and not HTTP_URL.match(p.get(attr)):
                f.error(where, "person", f"podcast:person {attr}={p.get(attr)!r} is not an absolute URL")
    for loc in el.findall("podcast:location", NS):
        name = (loc.text or "").strip()
        if not name or len(name) > 128:
            f.error(where, "location", "podcast:location needs a name of 1-128 characters")
        checks = (("geo", _GEO, "geo:lat,lon"), ("osm", _OSM, "N, W or R and an id"),
                  ("country", re.compile(r"^[A-Z]{2}$"), "ISO 3166-1 alpha-2"),
                  ("rel", re.compile(r"^(subject|creator)$"), "subject or creator"))
        for attr, rx, hint in checks:
            if loc.get(attr) is not None and not rx.match(loc.get(attr)):
                f.error(where, "location", f"podcast:location {attr}={loc.get(attr)!r} is not {hint}")


def _items(f: _Feed, ch: etree._Element, sizes: Mapping[str, int] | None, now: datetime | None,
           base_url: str | None = None) -> None:
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    previous: datetime | None = None
    if not ch.findall("item"):
        f.warn("channel", "items", "the feed has no episode (Apple needs one before submission)")
    for item in ch.findall("item"):
        where = item_label(item)
        if not (item.findtext("title") or "").strip():
            f.error(where, "required", "<title> is missing or empty")
        guid_el = item.find("guid")
        guid = (guid_el.text or "").strip() if guid_el is not None else ""
        if not guid:
            f.error(where, "required", "<guid> is missing or empty")
        elif guid in seen_guids:
            f.error(where, "guid-unique", f"guid {guid!r} is used by another item of this feed")
        seen_guids.add(guid)
        for path in ITEM_RECOMMENDED:
            if not _text(item, path):
                f.warn(where, "recommended", f"<{path}> is missing (PSP-1 recommends it)")
        _enclosure(f, where, item, sizes, seen_urls, base_url)
        date = item.findtext("pubDate")
        if date is not None:
            when = _pubdate(date.strip())
            if when is None:
                f.error(where, "pubdate", f"pubDate {date!r} is not an RFC 2822 date with a time zone")
            else:
                if previous is not None and when > previous:
                    f.error(where, "order", "items are not newest first")
                if now is not None and when > now:
                    f.error(where, "scheduled", f"pubDate {date} is in the future (a scheduled episode is in the feed)")
                previous = when
        duration = item.findtext("itunes:duration", namespaces=NS)
        if duration is not None and not re.fullmatch(r"\d+", duration.strip()):
            f.error(where, "duration", f"itunes:duration {duration!r} is not a whole number of seconds")
        _length(f, where, item)
        _markup(f, where, item)
        _explicit(f, where, item)
        for tag in ("itunes:season", "itunes:episode", "podcast:season"):
            value = item.findtext(tag, namespaces=NS)
            if value is not None and not re.fullmatch(r"[1-9]\d*", value.strip()):
                f.error(where, "season-episode", f"{tag} {value!r} is not a non-zero integer")
        ep = item.findtext("podcast:episode", namespaces=NS)
        if ep is not None and not re.fullmatch(r"\d+(\.\d+)?", ep.strip()):
            f.error(where, "season-episode", f"podcast:episode {ep!r} is not a number")
        kind = item.findtext("itunes:episodeType", namespaces=NS)
        if kind is not None and kind.strip() not in ("full", "trailer", "bonus"):
            f.error(where, "episode-type", f"itunes:episodeType {kind!r} is not full, trailer or bonus")
        for t in item.findall("podcast:transcript", NS):
            if not t.get("url") or t.get("type") not in TRANSCRIPT_TYPES:
                f.error(where, "transcript", f"podcast:transcript needs url and a known type (got {t.get('type')!r})")
            if t.get("rel") not in (None, "captions"):
                f.error(where, "transcript", f"podcast:transcript rel={t.get('rel')!r} (only captions is defined)")
        chapters = item.findall("podcast:chapters", NS)
        if len(chapters) > 1:
            f.error(where, "chapters", "more than one podcast:chapters")
        for c in chapters:
            if not c.get("url") or c.get("type") != "application/json+chapters":
                f.error(where, "chapters", f"podcast:chapters needs url and type application/json+chapters "
                                           f"(got {c.get('type')!r})")
        txt(f, where, item)
        _persons_locations(f, where, item)
        funding(f, where, item)
        soundbites(f, where, item)
        names(f, where, item)
        title = (item.findtext("title") or "").strip()
        if len(title) > 255:
            f.warn(where, "text-length", f"title is {len(title)} characters (Apple: at most 255)")


def _enclosure(f: _Feed, where: str, item: etree._Element, sizes: Mapping[str, int] | None, seen: set[str],
               base_url: str | None = None) -> None:
    """One enclosure; behind a measurement prefix (``analytics.prefix``: ``https://op3.dev/e/...``)
    its length is checked against the object the prefix redirects to."""
    encs = item.findall("enclosure")
    if len(encs) != 1:
        f.error(where, "enclosure", f"{len(encs)} enclosures (exactly one is needed)")
        if not encs:
            return
    enc = encs[0]
    url, length, kind = enc.get("url"), enc.get("length"), enc.get("type")
    if not url or length is None or not kind:
        f.error(where, "enclosure", "enclosure needs url, length and type")
    if kind and kind not in ENCLOSURE_TYPES:
        f.error(where, "enclosure-type", f"enclosure type is {kind!r}, not audio/mpeg")
    if url:
        if url in seen:
            f.error(where, "enclosure-unique", f"enclosure URL {url} is used by another item (Apple ignores it)")
        seen.add(url)
    if length is not None and not re.fullmatch(r"\d+", length):
        f.error(where, "enclosure-length", f"length {length!r} is not a byte count")
    elif length is not None and sizes is not None and url:
        path = urlsplit(unprefixed(url, base_url)).path
        key = next((k for k in sizes if path.endswith("/" + k)), None)
        if key is None:
            f.error(where, "enclosure-length", f"{url} is not a file of the built site")
        elif int(length) != sizes[key]:
            f.error(where, "enclosure-length", f"length is {length} but {key} has {sizes[key]} bytes")


_HYPERTEXT = {  # tag -> attributes holding a URL to a hypertext resource (None: the element's text)
    "link": (None,), "url": (None,), f"{{{ATOM}}}link": ("href",), "enclosure": ("url",),
    f"{{{ITUNES}}}image": ("href",), f"{{{PODCAST}}}transcript": ("url",), f"{{{PODCAST}}}chapters": ("url",),
    f"{{{PODCAST}}}person": ("href", "img"), f"{{{PODCAST}}}remoteItem": ("feedUrl",),
    f"{{{PODCAST}}}funding": ("url",), f"{{{PODCAST}}}trailer": ("url",),
}


def _https(f: _Feed, root: etree._Element) -> None:
    """Podcasting 2.0: every URL to a hypertext resource is https (a warning: apps still follow http)."""
    for el in root.iter(*_HYPERTEXT):
        item = next(el.iterancestors("item"), None)
        where = item_label(item) if item is not None else "channel"
        for attr in _HYPERTEXT[el.tag]:
            value = ((el.get(attr) if attr else el.text) or "").strip()
            if value.startswith("http://"):
                tag = el.tag.replace(f"{{{ITUNES}}}", "itunes:").replace(f"{{{PODCAST}}}", "podcast:")
                tag = tag.replace(f"{{{ATOM}}}", "atom:")
                f.warn(where, "https", f"{tag}{' ' + attr if attr else ''} {value} is not https")



# ---------------------------------------------------------------- across feeds


def lint_feeds(feeds: Mapping[str, bytes], *, base_url: str | None = None, sizes: Mapping[str, int] | None = None,
               now: datetime | None = None) -> list[Finding]:
    """Every feed's rules, then the rules across feeds: one guid per episode everywhere, and a
    publisher feed that lists every feed. ``feeds`` maps a name (``all``) to its bytes."""
    found: list[Finding] = []
    for name, data in sorted(feeds.items()):
        found += lint_feed(name, data, base_url=base_url, sizes=sizes, now=now)
    by_media: dict[str, tuple[str, str]] = {}  # media path -> (guid, feed)
    by_guid: dict[str, tuple[str, str]] = {}  # guid -> (media path, feed)
    listed: set[str] = set()
    for name, data in sorted(feeds.items()):
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        if name == "publisher":
            listed = {r.get("feedUrl", "") for r in root.iterfind("channel/podcast:remoteItem", NS)}
            continue
        for item in root.iterfind("channel/item"):
            guid = (item.findtext("guid") or "").strip()
            enc = item.find("enclosure")
            if not guid or enc is None or not enc.get("url"):
                continue
            media = urlsplit(unprefixed(enc.get("url"), base_url)).path
            where = f"feeds/{name}.xml"
            if media in by_media and by_media[media][0] != guid:
                found.append(Finding(where, item_label(item), "guid-across-feeds",
                                     f"this episode's guid is {by_media[media][0]!r} in feeds/{by_media[media][1]}.xml"))
            if guid in by_guid and by_guid[guid][0] != media:
                found.append(Finding(where, item_label(item), "guid-across-feeds",
                                     f"the same guid names another file in feeds/{by_guid[guid][1]}.xml"))
            by_media.setdefault(media, (guid, name))
            by_guid.setdefault(guid, (media, name))
    if "publisher" not in feeds:
        found.append(Finding("feeds/publisher.xml", "channel", "publisher", "no publisher feed"))
    elif base_url:
        for name in sorted(set(feeds) - {"publisher"}):
            if f"{base_url}feeds/{name}.xml" not in listed:
                found.append(Finding("feeds/publisher.xml", "channel", "publisher", f"feeds/{name}.xml is not listed"))
    return found

def summary(findings: Iterable[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    items = list(findings)
    return sum(f.level == "error" for f in items), sum(f.level == "warning" for f in items)
