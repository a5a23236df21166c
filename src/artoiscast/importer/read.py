"""Read a podcast RSS feed (any host's) into plain records: the show and its items.

Pure: bytes + the feed's URL -> :class:`FeedShow`. Parsed with lxml (already the feeds' writer)
rather than feedparser because the ``podcast:`` namespace (guid, locked, person, chapters,
transcript, location, season/episode) must be read attribute by attribute, which feedparser and
podcastparser expose only in part; entities are never resolved, nothing is fetched.

Every text field of RSS is HTML to readers: titles and summaries are turned into plain text
(tags dropped, references decoded); the show notes stay HTML here (``write`` converts them).
Every URL is made absolute against the feed's URL and kept only if it is http(s): a
``javascript:`` or ``file:`` link is dropped and reported in :attr:`FeedShow.warnings`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from artoiscast.errors import ArtoiscastError
from artoiscast.rss import ATOM, CONTENT, ITUNES, PODCAST
from artoiscast.values import http_url_problem

MAX_NUMBER = 100_000  # a season, episode number or duration (hours) beyond this is not believed
MAX_LENGTH = 20 * 2**30  # bytes: an enclosure said to be larger is not believed (20 GiB)


class FeedError(ArtoiscastError):
    """The source is not a podcast feed that can be imported (bad input: exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # podcast:person role, lower case: host, guest...
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Place:
    name: str
    geo: str | None = None
    osm: str | None = None
    country: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class Link:
    url: str
    type: str | None = None
    language: str | None = None


@dataclass
class FeedItem:
    """One ``<item>``, as the feed gives it."""

    guid: str
    title: str
    published: datetime | None
    summary: str  # plain text
    notes_html: str  # content:encoded (or the description when it is HTML), unsanitised
    enclosure: Link | None
    length: int | None  # the enclosure's declared length, None when missing or unbelievable
    season: int | None = None
    episode: int | None = None
    type: str = "full"
    explicit: bool = False
    image: str | None = None
    persons: list[Person] = field(default_factory=list)
    location: Place | None = None
    chapters: Link | None = None
    transcripts: list[Link] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)  # item categories and itunes:keywords
    link: str | None = None  # the item's page


@dataclass
class FeedShow:
    """The channel, its items in feed order, and what was dropped on the way (one line each)."""

    url: str
    title: str
    description: str
    author: str | None
    owner_name: str | None
    owner_email: str | None
    language: str | None
    link: str | None
    copyright: str | None
    license: str | None
    explicit: bool
    image: str | None
    category: tuple[str, str | None] | None
    guid: str | None
    locked: bool
    locked_owner: str | None
    generator: str | None
    new_feed_url: str | None
    persons: list[Person]
    location: Place | None
    publisher_guid: str | None  # podcast:publisher's feedGuid
    self_url: str | None  # atom:link rel=self: where the feed says it lives
    items: list[FeedItem]
    warnings: list[str]


def _it(tag: str) -> str:
    return f"{{{ITUNES}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST}}}{tag}"


_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|blockquote)\s*>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")


def plain_text(text: str | None) -> str:
    """HTML (or plain text, which is HTML too) -> the text a reader shows: tags dropped (a block's
    end is a paragraph break), character references decoded, runs of spaces folded."""
    if not text:
        return ""
    import nh3

    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))  # drops tags and script/style contents
    text = _TAG.sub("", text)  # a "<b>" that was written as &lt;b&gt; is text: only nh3 drops tags
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return el.text.strip() or None


def _child(parent: etree._Element, tag: str) -> str | None:
    return _text(parent.find(tag))


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("yes", "true", "explicit")


def _number(value: str | None, limit: int = MAX_NUMBER) -> int | None:
    """A positive integer no larger than ``limit``, else None (``"1e999"``, ``"-3"``, ``"12a"``)."""
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 12:
        return None
    n = int(value)
    return n if 1 <= n <= limit else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class _Urls:
    """Makes a feed's URLs absolute and keeps only http(s) ones, noting each one dropped."""

    def __init__(self, base: str, warnings: list[str]):
        self.base, self.warnings = base, warnings

    def __call__(self, value: str | None, where: str) -> str | None:
        if not value or not value.strip():
            return None
        value = value.strip()
        try:
            url = urljoin(self.base, value) if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) else value
        except ValueError:
            url = value
        if http_url_problem(url):
            shown = value if len(value) < 60 else value[:57] + "..."
            self.warnings.append(f"{where}: {shown!r} is not an http(s) URL (dropped)")
            return None
        return url


def _persons(parent: etree._Element, urls: _Urls, where: str) -> list[Person]:
    out = []
    for el in parent.findall(_pc("person")):
        name = plain_text(el.text)
        if not name:
            continue
        role = (el.get("role") or "host").strip().lower()
        out.append(Person(name[:128], role, urls(el.get("href"), f"{where}: podcast:person href"),
                          urls(el.get("img"), f"{where}: podcast:person img")))
    return out


def _place(parent: etree._Element) -> Place | None:
    el = parent.find(_pc("location"))
    name = plain_text(el.text) if el is not None else ""
    if el is None or not name:
        return None
    geo = (el.get("geo") or "").removeprefix("geo:").split(";")[0] or None
    if geo and not re.match(r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$", geo):
        geo = None
    osm = el.get("osm") if re.match(r"^[NWR]\d+$", el.get("osm") or "") else None
    country = (el.get("country") or "").upper() or None
    rel = el.get("rel") if el.get("rel") in ("subject", "creator") else None
    return Place(name[:128], geo, osm, country if country and re.match(r"^[A-Z]{2}$", country) else None, rel)


def _item(el: etree._Element, n: int, urls: _Urls, warnings: list[str]) -> FeedItem:
    title = plain_text(_child(el, "title")) or plain_text(_child(el, _it("title")))
    guid = _child(el, "guid")
    enc_el = el.find("enclosure")
    enclosure = length = None
    where = f"item {guid or n + 1}"
    if enc_el is not None:
        url = urls(enc_el.get("url"), f"{where}: enclosure")
        if url:
            enclosure = Link(url, enc_el.get("type"))
        raw_length = (enc_el.get("length") or "").strip()
        length = _number(raw_length, MAX_LENGTH) if raw_length.isdigit() else None
    description = _child(el, "description")
    notes = _child(el, f"{{{CONTENT}}}encoded") or description or ""
    summary = plain_text(_child(el, _it("summary")) or description or _child(el, f"{{{CONTENT}}}encoded"))
    image_el = el.find(_it("image"))
    image = urls(image_el.get("href") if image_el is not None else None, f"{where}: itunes:image")
    chapters = None
    if (ch := el.find(_pc("chapters"))) is not None and (url := urls(ch.get("url"), f"{where}: podcast:chapters")):
        chapters = Link(url, ch.get("type"))
    transcripts = []
    for tr in el.findall(_pc("transcript")):
        if url := urls(tr.get("url"), f"{where}: podcast:transcript"):
            transcripts.append(Link(url, (tr.get("type") or "").lower() or None, tr.get("language")))
    keywords = [plain_text(c.text) for c in el.findall("category") if c.text]
    keywords += [k.strip() for k in (_child(el, _it("keywords")) or "").split(",") if k.strip()]
    etype = (_child(el, _it("episodeType")) or "full").lower()
    return FeedItem(
        guid=guid or "",
        title=title,
        published=_date(_child(el, "pubDate")),
        summary=summary,
        notes_html=notes,
        enclosure=enclosure,
        length=length,
        season=_number(_child(el, _pc("season")) or _child(el, _it("season"))),
        episode=_number(_child(el, _pc("episode")) or _child(el, _it("episode"))),
        type=etype if etype in ("full", "trailer", "bonus") else "full",
        explicit=_bool(_child(el, _it("explicit"))),
        image=image,
        persons=_persons(el, urls, where),
        location=_place(el),
        chapters=chapters,
        transcripts=transcripts,
        keywords=[k for k in keywords if k],
        link=urls(_child(el, "link"), f"{where}: link"),
    )


def _publisher(ch: etree._Element) -> str | None:
    import uuid

    el = ch.find(f"{_pc('publisher')}/{_pc('remoteItem')}")
    try:
        return str(uuid.UUID(el.get("feedGuid") or "")) if el is not None else None
    except ValueError:
        return None


def parse_feed(data: bytes, url: str) -> FeedShow:
    """The show and items of the RSS feed ``data`` fetched from ``url`` (its declared encoding is
    honoured). Raises :class:`FeedError` when it is not XML or not RSS with a channel."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise FeedError(f"is not an XML feed ({str(exc).splitlines()[0][:120]})", path=url) from None
    ch = root.find("channel") if root.tag == "rss" else None
    if ch is None:
        raise FeedError(f"is not an RSS feed (its root element is <{etree.QName(root).localname}>, not <rss><channel>)",
                        path=url)
    warnings: list[str] = []
    urls = _Urls(url, warnings)
    owner = ch.find(_it("owner"))
    image_el = ch.find(_it("image"))
    image = urls(image_el.get("href") if image_el is not None else None, "channel: itunes:image") or \
        urls(_child(ch, "image/url"), "channel: image")
    cat_el = ch.find(_it("category"))
    category = None
    if cat_el is not None and cat_el.get("text"):
        sub = cat_el.find(_it("category"))
        category = (cat_el.get("text", ""), sub.get("text") if sub is not None else None)
    locked_el = ch.find(_pc("locked"))
    new_url = urls(_child(ch, _it("new-feed-url")), "channel: itunes:new-feed-url")
    items = [_item(el, n, urls, warnings) for n, el in enumerate(ch.findall("item"))]
    return FeedShow(
        url=url,
        title=plain_text(_child(ch, "title")) or plain_text(_child(ch, _it("title"))) or "",
        description=plain_text(_child(ch, "description") or _child(ch, _it("summary"))),
        author=plain_text(_child(ch, _it("author"))) or None,
        owner_name=plain_text(_child(owner, _it("name"))) or None if owner is not None else None,
        owner_email=_child(owner, _it("email")) if owner is not None else None,
        language=(_child(ch, "language") or "").lower() or None,
        link=urls(_child(ch, "link"), "channel: link"),
        copyright=plain_text(_child(ch, "copyright")) or None,
        license=plain_text(_child(ch, _pc("license"))) or None,
        explicit=_bool(_child(ch, _it("explicit"))),
        image=image,
        category=category,
        guid=_child(ch, _pc("guid")),
        locked=_bool(locked_el.text if locked_el is not None else None),
        locked_owner=locked_el.get("owner") if locked_el is not None else None,
        generator=_child(ch, "generator"),
        new_feed_url=new_url,
        persons=_persons(ch, urls, "channel"),
        location=_place(ch),
        publisher_guid=_publisher(ch),
        self_url=next((h for a in ch.findall(f"{{{ATOM}}}link") if a.get("rel") == "self"
                       and (h := a.get("href")) and not http_url_problem(h)), None),
        items=items,
        warnings=warnings,
    )
