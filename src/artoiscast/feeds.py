"""RSS 2.0 feeds with iTunes and Podcasting 2.0 tags, written with lxml.

Pure: catalog + built episodes + build time -> bytes. No file or network I/O.

Why lxml and not feedgen: feedgen 1.0 only accepts ``yes/no/clean`` for
``itunes:explicit`` (Apple documents ``true/false``) and has no ``podcast:`` namespace;
both would need a custom extension that is longer than writing the elements here.
"""

from __future__ import annotations

import html
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from artoiscast.built import BuiltEpisode
from artoiscast.catalog import (
    PARIS, Catalog, Episode, Feed, FundingLink, Location, NotifySettings, Podcast, UpdateFrequency, podcast_guid,
)
from artoiscast.rss import (
    ATOM, CONTENT, HTTP_URL, ITUNES, MARKUP_OPEN, MAX_DESCRIPTION, NSMAP, PODCAST, TRANSCRIPT_TYPES, prefixed,
)

GENERATOR = "artoiscast"


def _it(tag: str) -> str:
    return f"{{{ITUNES}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    if attrs:
        el = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    else:
        el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def rfc2822(dt: datetime) -> str:
    return format_datetime(dt.astimezone(PARIS))


# A candidate character reference, as html.unescape (the HTML5 algorithm) finds them.
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_PARTIAL_REF = re.compile(r"&[#A-Za-z0-9]*$")


def plain_html(text: str) -> str:
    """Plain text as HTML that displays the same text, for every plain-text field of a feed.

    RSS readers treat ``description`` (and often ``title``) as HTML, so a "<" that would open a
    tag becomes ``&lt;`` and a "&" that would start a character reference (``&amp;``, ``&#60;``,
    ``&copy`` as HTML5 reads them) becomes ``&amp;``. Nothing else changes: "Art & Essai",
    "a < b", "]]>", quotes and « » stay as typed, so a reader that shows the text as plain text
    shows what was typed. lxml then escapes the result for XML."""
    text = _CHARREF.sub(lambda m: "&amp;" + m.group(0)[1:] if html.unescape(m.group(0)) != m.group(0)
                        else m.group(0), text)
    return MARKUP_OPEN.sub("&lt;", text)


def _uncut(text: str) -> str:
    """``text`` (cut) without a character reference split at its end."""
    return _PARTIAL_REF.sub("", text)


def truncate_bytes(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a word boundary, with an ellipsis when cut
    (never inside a character reference of :func:`plain_html`'s output)."""
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - len("…".encode())].decode("utf-8", "ignore")
    space = cut.rfind(" ")
    return _uncut(cut[:space] if space > 0 else cut).rstrip() + "…"


def _plain(text: str, limit: int | None = None) -> str:
    """:func:`plain_html` of ``text``, at most ``limit`` characters (cut between references)."""
    out = plain_html(text)
    return out if limit is None or len(out) <= limit else _uncut(out[:limit]).rstrip()


_FREQ_LABELS = {
    "fr": {"DAILY": "Chaque jour", "WEEKLY": "Chaque semaine", "WEEKLY2": "Toutes les deux semaines",
           "MONTHLY": "Chaque mois", "MONTHLY2": "Tous les deux mois", "MONTHLY3": "Chaque trimestre",
           "MONTHLY6": "Deux fois par an", "YEARLY": "Chaque année"},
    "en": {"DAILY": "Daily", "WEEKLY": "Weekly", "WEEKLY2": "Every two weeks", "MONTHLY": "Monthly",
           "MONTHLY2": "Every two months", "MONTHLY3": "Quarterly", "MONTHLY6": "Twice a year", "YEARLY": "Yearly"},
}


# The cadences a derived podcast:updateFrequency may claim, with their period in days.
_CADENCES = (("DAILY", "FREQ=DAILY", 1.0), ("WEEKLY", "FREQ=WEEKLY", 7.0), ("WEEKLY2", "FREQ=WEEKLY;INTERVAL=2", 14.0),
             ("MONTHLY", "FREQ=MONTHLY", 30.44), ("MONTHLY2", "FREQ=MONTHLY;INTERVAL=2", 60.88),
             ("MONTHLY3", "FREQ=MONTHLY;INTERVAL=3", 91.31), ("MONTHLY6", "FREQ=MONTHLY;INTERVAL=6", 182.6),
             ("YEARLY", "FREQ=YEARLY", 365.25))
FREQUENCY_MIN_DAYS = 4  # distinct publication days before a cadence is claimed
FREQUENCY_FACTOR = 1.5  # a gap within this factor of the median, the median within it of the cadence
FREQUENCY_REGULAR = 0.75  # the share of gaps that must be regular


def update_frequency(dates: Sequence[datetime], language: str) -> UpdateFrequency | None:
    """``podcast:updateFrequency`` derived from publication instants, or None when the dates show
    no cadence. Only distinct publication days (Paris) count, so episodes published the same day
    are one update. A cadence is claimed only when it is honest: at least 4 distinct days, at
    least three quarters of the gaps between them within a factor of 1.5 of the median gap, and
    that median within a factor of 1.5 of the nearest cadence's period (daily, weekly,
    fortnightly, monthly, every 2/3/6 months, yearly)."""
    days = sorted({d.astimezone(PARIS).date() for d in dates})
    if len(days) < FREQUENCY_MIN_DAYS:
        return None
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    median = statistics.median(gaps)
    regular = sum(median / FREQUENCY_FACTOR <= g <= median * FREQUENCY_FACTOR for g in gaps)
    if regular < FREQUENCY_REGULAR * len(gaps):
        return None
    key, rule, period = min(_CADENCES, key=lambda c: abs(math.log(median / c[2])))
    if not period / FREQUENCY_FACTOR <= median <= period * FREQUENCY_FACTOR:
        return None
    labels = _FREQ_LABELS.get(language[:2], _FREQ_LABELS["en"])
    return UpdateFrequency(label=labels[key], rrule=rule)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def enclosure_base(base_url: str, prefix: str | None) -> str:
    """What every enclosure URL starts with: ``base_url``, behind ``prefix`` (``analytics.prefix``)
    when there is one, except for a loopback base URL (the demo, a local ``serve``): the service
    could not reach it, and a test listen is not a listener."""
    host = (urlsplit(base_url).hostname or "").lower()
    if not prefix or host in LOOPBACK_HOSTS or host.startswith("127."):
        return base_url
    return prefixed(base_url, prefix)


def feed_url(base_url: str, name: str) -> str:
    return f"{base_url}feeds/{name}.xml"


def new_feed_url(catalog: Catalog, name: str, base_url: str) -> str | None:
    """The feed's ``itunes:new-feed-url``: with ``moved_to`` (the show has left), the same feed at
    the new home, which apps and Apple follow (with the 301 that ``serve`` and S3 give); with
    ``previous_urls`` (the show came from elsewhere), the ``all`` feed names itself, as Apple asks
    of the new feed in a move; else None."""
    show = catalog.podcast
    if show.moved_to:
        return feed_url(show.moved_to, name)
    if show.previous_urls and name == "all":
        return feed_url(base_url, name)
    return None


def publisher_guid(catalog: Catalog) -> str:
    """The publisher feed's guid: ``publisher_guid`` of podcast.yaml, pinned like the feeds'
    guids; without it, derived from the catalog's public URL (never the demo's local one), which
    changes if the show moves (``artoiscast check`` warns)."""
    pinned = catalog.podcast.publisher_guid
    return str(pinned) if pinned else str(podcast_guid(feed_url(catalog.podcast.base_url, "publisher")))


def _category(channel: etree._Element, feed: Feed) -> None:
    cat = etree.SubElement(channel, _it("category"), text=feed.category.text)
    if feed.category.sub:
        etree.SubElement(cat, _it("category"), text=feed.category.sub)


def _absolute(url: str | None) -> str | None:
    """Only absolute http(s) URLs go into href/img attributes (a bare file name would not resolve)."""
    return url if url and HTTP_URL.match(url) else None


def _person(parent: etree._Element, name: str, role: str, href: str | None = None, img: str | None = None) -> None:
    _sub(parent, _pc("person"), _plain(name, 128), role=role, group="cast", href=_absolute(href), img=_absolute(img))


def _location(parent: etree._Element, loc: Location | None) -> None:
    if loc is None:
        return
    geo = f"geo:{loc.geo}" if loc.geo else None
    _sub(parent, _pc("location"), _plain(loc.name, 128), rel=loc.rel, geo=geo, osm=loc.osm, country=loc.country)


def _funding(parent: etree._Element, links: Iterable[FundingLink]) -> None:
    """``podcast:funding``: a support link and the text apps show beside it (channel or item)."""
    for link in links:
        _sub(parent, _pc("funding"), _plain(link.text, 128), url=link.url)


def _proofs(ch: etree._Element, show: Podcast) -> None:
    """The directories' ownership proofs, ``podcast:txt purpose="verify"`` and
    ``"applepodcastsverify"``: exactly as given (no markup can be given; lxml escapes the rest)."""
    for record in show.txt:
        _sub(ch, _pc("txt"), record.value, purpose=record.purpose)


def _trailers(ch: etree._Element, items: Sequence[BuiltEpisode], media: str, feed_name: str) -> None:
    """A channel ``podcast:trailer`` for each ``type: trailer`` episode of the feed, newest first:
    ``items`` are the feed's published episodes, so a scheduled trailer has none until its date.
    Its URL is the trailer item's own enclosure (with the feed's ``?feed=``)."""
    for pe in items:
        ep = pe.episode
        if ep.type == "trailer":
            _sub(ch, _pc("trailer"), _plain(ep.title, 128), url=f"{media}{pe.media}?feed={feed_name}",
                 pubdate=rfc2822(ep.published), length=str(pe.length), type="audio/mpeg",
                 season=str(ep.season) if ep.season else None)


def seconds_attr(seconds: float) -> str:
    """A time as the namespace writes it: seconds with at least one decimal (``73.5``, ``30.0``), to the ms."""
    text = f"{seconds:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _soundbites(it: etree._Element, ep: Episode) -> None:
    """``podcast:soundbite``: the episode's highlights (no title: apps show the episode's)."""
    for sb in ep.soundbites:
        _sub(it, _pc("soundbite"), _plain(sb.title, 128) if sb.title else None, startTime=seconds_attr(sb.start),
             duration=seconds_attr(sb.duration))


def channel_tree(
    catalog: Catalog,
    feed: Feed,
    items: Sequence[BuiltEpisode],
    *,
    base_url: str,
    art: dict[str, str],
    built: datetime | None,
) -> etree._Element:
    """The feed's ``<rss>`` element, its channel filled in and no item yet (``items``, the feed's
    published episodes newest first, only date its ``podcast:updateFrequency`` and give its
    ``podcast:trailer``s). The items go in with :func:`add_item`. ``built`` None (a show with
    nothing published yet): no ``lastBuildDate``, rather than a made-up one."""
    show = catalog.podcast
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    ch = _sub(rss, "channel")
    self_url = feed_url(base_url, feed.name)
    _self_and_hubs(ch, show.notify, self_url)
    _sub(ch, "title", plain_html(feed.title))
    link = base_url if feed.name == "all" else f"{base_url}themes/{feed.name}/"
    _sub(ch, "link", link)
    _sub(ch, "description", truncate_bytes(plain_html(feed.description)))
    _sub(ch, "language", show.language)
    if show.copyright:
        _sub(ch, "copyright", plain_html(show.copyright))
    if built is not None:
        _sub(ch, "lastBuildDate", rfc2822(built))
    _sub(ch, "generator", GENERATOR)
    image_url = feed_image(feed, base_url=base_url, art=art)
    img = _sub(ch, "image")
    _sub(img, "url", image_url)
    _sub(img, "title", plain_html(feed.title))
    _sub(img, "link", link)
    _sub(ch, _it("author"), plain_html(show.author))
    if show.owner:
        owner = _sub(ch, _it("owner"))
        _sub(owner, _it("name"), plain_html(show.owner.name))
        if show.owner.email:
            _sub(owner, _it("email"), show.owner.email)
    _sub(ch, _it("image"), href=image_url)
    _category(ch, feed)
    _sub(ch, _it("explicit"), "true" if show.explicit else "false")
    _sub(ch, _it("type"), "episodic")
    if moved := new_feed_url(catalog, feed.name, base_url):
        _sub(ch, _it("new-feed-url"), moved)
    _sub(ch, _pc("guid"), str(feed.guid))
    _sub(ch, _pc("locked"), "yes", owner=show.owner.email if show.owner and show.owner.email else None)
    _sub(ch, _pc("medium"), "podcast")
    if show.license:
        _sub(ch, _pc("license"), plain_html(show.license))
    if show.host:
        _person(ch, show.host, "host")
    _location(ch, show.location)
    siblings = [f for f in catalog.feeds.values() if f.name != feed.name]
    if siblings:
        roll = _sub(ch, _pc("podroll"))
        for sib in siblings:
            _sub(roll, _pc("remoteItem"), feedGuid=str(sib.guid), feedUrl=feed_url(base_url, sib.name),
                 title=plain_html(sib.title))
    pub = _sub(ch, _pc("publisher"))
    _sub(pub, _pc("remoteItem"), feedGuid=publisher_guid(catalog), feedUrl=feed_url(base_url, "publisher"),
         medium="publisher")
    freq = feed.update_frequency or update_frequency([pe.episode.published for pe in items], show.language)
    if freq:
        _sub(ch, _pc("updateFrequency"), _plain(freq.label, 128), complete="true" if freq.complete else None,
             rrule=freq.rrule)
    _funding(ch, show.funding)
    _proofs(ch, show)
    _trailers(ch, items, enclosure_base(base_url, show.analytics.prefix), feed.name)
    _podping(ch, show.notify)
    return rss


def _self_and_hubs(ch: etree._Element, notify: NotifySettings, self_url: str) -> None:
    """The feed's own URL (``atom:link rel="self"``, WebSub's topic) and one ``atom:link rel="hub"``
    per hub of ``notify.websub``, which ``publish`` tells of each change (see :mod:`artoiscast.notify`)."""
    _sub(ch, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    for hub in notify.websub:
        _sub(ch, f"{{{ATOM}}}link", href=hub, rel="hub")


def _podping(ch: etree._Element, notify: NotifySettings) -> None:
    """``podcast:podping usesPodping="true"``, only when Podping is set: apps that follow Podping
    may then stop polling the feed, so it must never claim it falsely."""
    if notify.podping is not None:
        _sub(ch, _pc("podping"), usesPodping="true")


def feed_image(feed: Feed, *, base_url: str, art: dict[str, str]) -> str:
    """The feed's image URL: an item without its own image shows it too."""
    return base_url + art[feed.name]


class ItemContext(NamedTuple):
    """What an item takes from the show rather than the episode."""

    base: str  # the base URL
    media: str  # what enclosure URLs start with (:func:`enclosure_base`)
    explicit: bool  # the show's explicit flag
    language: str  # the show's language


def item_context(catalog: Catalog, base_url: str) -> ItemContext:
    show = catalog.podcast
    return ItemContext(base_url, enclosure_base(base_url, show.analytics.prefix), show.explicit, show.language)


def to_bytes(rss: etree._Element) -> bytes:
    """A feed tree as the published UTF-8 bytes."""
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_feed(
    catalog: Catalog,
    feed: Feed,
    items: Iterable[BuiltEpisode],
    *,
    base_url: str,
    art: dict[str, str],
    built: datetime | None,
) -> bytes:
    """One feed as UTF-8 RSS bytes. ``items`` newest first; ``art`` maps feed name -> art path.

    Builds the whole tree and serialises it; reads its inputs and changes none of them. A build
    of thousands of episodes renders all the feeds at once with
    :func:`artoiscast.feeds_fast.render_feeds_fast`, which gives the same bytes."""
    items = list(items)
    rss = channel_tree(catalog, feed, items, base_url=base_url, art=art, built=built)
    ctx = item_context(catalog, base_url)
    image = feed_image(feed, base_url=base_url, art=art)
    for pe in items:
        add_item(rss[0], pe, ctx, feed_name=feed.name, feed_image=image)
    return to_bytes(rss)


def add_item(ch: etree._Element, pe: BuiltEpisode, ctx: ItemContext, *, feed_name: str, feed_image: str) -> None:
    """Append the episode's ``<item>`` to the channel element ``ch`` of the feed ``feed_name``."""
    ep = pe.episode
    base_url = ctx.base
    it = _sub(ch, "item")
    _sub(it, "title", plain_html(ep.title))
    _sub(it, "link", base_url + pe.page)
    # the catalog refuses summaries over 4000 bytes, but escaping can lengthen one
    summary = truncate_bytes(plain_html(ep.summary))
    _sub(it, "description", summary)
    enc = _sub(it, f"{{{CONTENT}}}encoded")
    enc.text = etree.CDATA(pe.notes_html.replace("]]>", "]]&gt;"))
    # after content:encoded: feedparser files a second summary as content, and content[0] must be the HTML
    _sub(it, _it("summary"), summary)
    _sub(it, "guid", ep.guid, isPermaLink="false")
    _sub(it, "pubDate", rfc2822(ep.published))
    _sub(it, "enclosure", url=f"{ctx.media}{pe.media}?feed={feed_name}", length=str(pe.length), type="audio/mpeg")
    _sub(it, _it("duration"), str(int(round(pe.duration))))
    _sub(it, _it("explicit"), "true" if ep.explicit or ctx.explicit else "false")
    _sub(it, _it("episodeType"), ep.type)
    if ep.season:
        _sub(it, _it("season"), str(ep.season))
        _sub(it, _pc("season"), str(ep.season), name=_plain(ep.season_name, 128) if ep.season_name else None)
    if ep.episode:
        _sub(it, _it("episode"), str(ep.episode))
        _sub(it, _pc("episode"), str(ep.episode),
             display=_plain(ep.episode_display, 32) if ep.episode_display else None)
    # PSP-1 recommends an item image: the episode's own, else the feed's
    _sub(it, _it("image"), href=base_url + pe.image if pe.image else feed_image)
    if ep.host:
        _person(it, ep.host, "host")
    for g in ep.guests:
        _person(it, g.name, "guest", href=g.url, img=g.image)
    _location(it, ep.location)
    _funding(it, ep.funding)
    _soundbites(it, ep)
    language = ep.language or ctx.language
    for path, ext in pe.transcripts:
        rel = "captions" if ext in ("vtt", "srt", "json") else None  # the timed formats
        _sub(it, _pc("transcript"), url=base_url + path, type=TRANSCRIPT_TYPES[ext], language=language, rel=rel)
    if pe.chapters_path:
        _sub(it, _pc("chapters"), url=base_url + pe.chapters_path, type="application/json+chapters")
    # a machine's transcript (artoiscast transcribe) that no one has marked reviewed; the rest is a person's
    _sub(it, _pc("txt"), "true" if pe.generated else "false", purpose="ai-content")


def render_publisher(catalog: Catalog, *, base_url: str, art: dict[str, str], built: datetime | None) -> bytes:
    """The ``medium=publisher`` feed that lists all the show's feeds (``built``: as for :func:`channel_tree`)."""
    show = catalog.podcast
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    ch = _sub(rss, "channel")
    _self_and_hubs(ch, show.notify, feed_url(base_url, "publisher"))
    _sub(ch, "title", plain_html(show.author))
    _sub(ch, "link", base_url)
    _sub(ch, "description", truncate_bytes(plain_html(show.description)))
    _sub(ch, "language", show.language)
    if built is not None:
        _sub(ch, "lastBuildDate", rfc2822(built))
    _sub(ch, "generator", GENERATOR)
    _sub(ch, _it("author"), plain_html(show.author))
    _sub(ch, _it("image"), href=base_url + art["all"])
    _sub(ch, _pc("guid"), publisher_guid(catalog))
    _sub(ch, _pc("medium"), "publisher")
    for f in catalog.feeds.values():
        _sub(ch, _pc("remoteItem"), feedGuid=str(f.guid), feedUrl=feed_url(base_url, f.name), medium="podcast")
    _podping(ch, show.notify)
    return to_bytes(rss)
