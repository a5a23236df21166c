"""Static web pages and the partner embed (Jinja2, autoescaped, no external requests).

Pure: catalog + built episodes -> {path: bytes}; and the show notes of a feed item
(:func:`show_notes`, ``notes.html``). Pages: the show home, one per
theme, one per episode, the partner embeds (``embed/<theme>.html?n=5`` and
``embed/episode/<slug>.html``), one oEmbed JSON per episode (``oembed/<slug>.json``),
and the player assets. Every text from the catalog goes through Jinja2's autoescape
(notes through ``markdown_html``'s sanitiser, by its fast path ``markdown_html_fast``); the
pages request nothing outside the base URL. Support links (``funding:``) are in every page's
footer, on the episode's page and in the embeds (opening a new tab from an embed). Every audio
URL says where it was played: ``?feed=web`` on the show's pages, ``?feed=<theme>&embed=-``
in the embeds, where player.js replaces ``-`` by the partner page's origin (see the README).
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from urllib.parse import urlsplit

from jinja2 import Environment, Template
from markupsafe import Markup

from artoiscast.built import BuiltEpisode
from artoiscast.catalog import Catalog, Episode, Feed, FundingLink, Podcast
from artoiscast.errors import CatalogError
from artoiscast.models import Chapter
from artoiscast.templating import environment
from artoiscast.transcripts import fmt_time, markdown_html_fast
from artoiscast.typography import french, french_html
from artoiscast.values import with_slash

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
EMBED_MAX = 20  # the embed page holds this many; ?n= shows the first N
# The embed's closed heights in CSS px, held by embed.css (fixed-height header, title clamped to two
# lines, one-line meta, one row of toggles) at every width (tests/test_embed_fit.py measures them at
# 320, 375 and 1280 px). The snippet's script replaces them by the measured height; they are what a
# page that refuses scripts shows (the embed then scrolls inside when opened or longer).
EMBED_HEAD_HEIGHT = 112  # header: artwork, title (h1), subscribe button
EMBED_FOOT_HEIGHT = 44  # footer: the show's name, support links (one line)
EMBED_PLAYER_HEIGHT = 200  # the player's box (embed.css: min-height, chapters row or not), margins included
# one episode of a theme embed, closed: border 1, padding 8 + 8, title and meta 62, toggles 44
EMBED_ITEM_HEIGHT = 123 + EMBED_PLAYER_HEIGHT
# the single-episode embed, closed (its title is the h1, so its episode has the meta alone: 22)
EMBED_SINGLE_HEIGHT = EMBED_HEAD_HEIGHT + 83 + EMBED_PLAYER_HEIGHT + EMBED_FOOT_HEIGHT
EMBED_OEMBED_WIDTH = 640  # oEmbed width


def frdate(dt: datetime) -> str:
    return f"{dt.day}{'er' if dt.day == 1 else ''} {MONTHS[dt.month - 1]} {dt.year}"


def mmss(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class Thumb:
    """One thumbnail of a published image: its published path, size in px and media type."""

    path: str
    width: int
    height: int
    mime: str


Thumbs = Mapping[str, Sequence[Thumb]]  # published image path -> its thumbnails, smallest first

CSS = ("style.css", "player.css", "embed.css")  # concatenated, in this order, into assets/style.css
JS = ("player.js", "embed.js", "site.js")  # copied to assets/


@dataclass(frozen=True)
class FeedView:
    name: str
    title: str
    description: str
    short: str


def _env() -> Environment:
    env = environment("artoiscast")
    env.filters["frdate"] = frdate
    env.filters["mmss"] = mmss
    env.filters["hesc"] = lambda text: Markup(html.escape(text))  # the stdlib's escaping: &#x27; for '
    env.filters["hms"] = lambda seconds: fmt_time(seconds)[:8]  # HH:MM:SS
    env.filters["fr"] = french  # display text only (typography), never URLs or machine values
    env.filters["fr_html"] = lambda markup: Markup(french_html(str(markup)))
    return env


@functools.lru_cache(maxsize=1)
def _notes_template() -> Template:
    """``notes.html``, compiled once for the whole build (a feed item each)."""
    return _env().get_template("notes.html")


def show_notes(ep: Episode, chapters: Sequence[Chapter]) -> str:
    """The HTML show notes of a feed item (``content:encoded``): the summary and the sanitised
    Markdown notes, then the guests, the place and the ``chapters`` (``notes.html``)."""
    notes = markdown_html_fast(ep.notes) if ep.notes else ""
    return _notes_template().render(ep=ep, notes=notes, chapters=chapters)


def support_links(show: Podcast, ep: Episode | None = None) -> list[FundingLink]:
    """The support links to show beside ``ep`` (its own first, then the show's; an address
    once), or the show's alone: ``podcast:funding``, on the pages and in the embeds."""
    seen: set[str] = set()
    out = []
    for link in [*(ep.funding if ep else []), *show.funding]:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out


def _short(feed: Feed, show_title: str) -> str:
    """'Radioscopie de l'Artois : énergie' -> 'énergie' for navigation."""
    title = feed.title
    for sep in (" : ", " - ", ": "):
        if title.startswith(show_title) and sep in title:
            return title.split(sep, 1)[1]
    return title


def _jsonld(catalog: Catalog, pe: BuiltEpisode, base_url: str) -> str:
    ep = pe.episode
    doc = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": ep.title,
        "url": base_url + pe.page,
        "datePublished": ep.published.isoformat(),
        "description": ep.summary,
        "timeRequired": f"PT{int(round(pe.duration))}S",
        "associatedMedia": {"@type": "MediaObject", "contentUrl": base_url + pe.media,
                            "encodingFormat": "audio/mpeg"},
        "partOfSeries": {"@type": "PodcastSeries", "name": catalog.podcast.title, "url": base_url},
        "actor": [{"@type": "Person", "name": g.name, **({"jobTitle": g.role} if g.role else {})} for g in ep.guests],
    }
    if ep.location:
        doc["locationCreated"] = {"@type": "Place", "name": ep.location.name}
    if pe.transcripts:
        doc["transcript"] = base_url + dict((ext, path) for path, ext in pe.transcripts).get("html", pe.transcripts[0][0])
    # < > & as \u escapes: no text from the catalog can close the script element or open a comment
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def origin(url: str) -> str:
    """The web origin of an http(s) URL: scheme://host[:port], default ports dropped."""
    parts = urlsplit(url)
    scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}" + (f":{port}" if port and port != default else "")


def iframe_snippet(src: str, title: str, height: int) -> str:
    """The one-line snippet a partner site pastes (``artoiscast embed``, the theme page, oEmbed
    ``html``): the ``<iframe>`` at its static ``height`` (what a page that strips scripts keeps),
    then a short script that sets that iframe's height from the embed's ``artoiscast:height``
    messages, taking only those that come from the show's origin and from that very iframe."""
    show = json.dumps(origin(src)).replace("<", "\\u003c").replace(">", "\\u003e")
    script = ("(function(f){addEventListener(\"message\",function(e){var d=e.data;"
              f"if(e.origin==={show}&&e.source===f.contentWindow&&d&&d.type===\"artoiscast:height\"&&d.height>0)"
              "f.style.height=Math.ceil(d.height)+\"px\"})})(document.currentScript.previousElementSibling)")
    return (f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" width="100%" height="{height}" '
            f'style="border:0;width:100%;max-width:100%" loading="lazy"></iframe><script>{script}</script>')


def embed_height(count: int) -> int:
    """The static height of a theme embed of ``count`` episodes, closed."""
    return EMBED_HEAD_HEIGHT + EMBED_ITEM_HEIGHT * count + EMBED_FOOT_HEIGHT


def theme_embed(base_url: str, theme: str, title: str, count: int, scheme: str = "auto") -> str:
    """The snippet that shows the theme's ``count`` latest episodes, in ``scheme`` (auto, light, dark)."""
    query = f"?n={count}" + (f"&theme={scheme}" if scheme != "auto" else "")
    return iframe_snippet(f"{base_url}embed/{theme}.html{query}", title, embed_height(count))


def embed_snippet(catalog: Catalog, theme: str, count: int, base_url: str | None = None,
                  scheme: str = "auto") -> str:
    """The one-line snippet showing ``theme``'s ``count`` latest episodes, served from
    ``base_url`` (default: the catalog's; a final / added), in ``scheme``. Raises CatalogError
    when ``theme`` is not one of the catalog's themes (the message lists them)."""
    if theme not in catalog.themes:
        raise CatalogError(f'"{theme}" is not a theme (one of: {", ".join(catalog.themes)})', field="theme")
    base = base_url or catalog.podcast.base_url
    return theme_embed(with_slash(base), theme, catalog.feeds[theme].title, count, scheme)


def _oembed(catalog: Catalog, pe: BuiltEpisode, base_url: str) -> bytes:
    """oEmbed 1.0 ``rich`` response for one episode: its single-episode embed in an iframe, whose
    closed height (embed.css fixes it) is ``height`` at any width."""
    show = catalog.podcast
    height = EMBED_SINGLE_HEIGHT
    doc = {
        "version": "1.0",
        "type": "rich",
        "title": pe.episode.title,
        "author_name": pe.episode.host or show.author,
        "provider_name": show.title,
        "provider_url": base_url,
        "cache_age": 86400,
        "html": iframe_snippet(f"{base_url}embed/episode/{pe.slug}.html", pe.episode.title, height),
        "width": EMBED_OEMBED_WIDTH,
        "height": height,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def render_site(
    catalog: Catalog,
    items: dict[str, list[BuiltEpisode]],
    *,
    base_url: str,
    art: dict[str, str],
    thumbs: Thumbs | None = None,
) -> dict[str, bytes]:
    """All pages by published path. ``items`` maps feed name -> its episodes, newest first;
    ``art`` feed name -> its artwork's published path; ``thumbs`` an image's thumbnails."""
    env = _env()
    show = catalog.podcast
    views = {f.name: FeedView(f.name, f.title, f.description, _short(f, show.title)) for f in catalog.feeds.values()}
    themes = [views[n] for n in catalog.themes]
    common = {"show": show, "base_url": base_url, "art": art, "thumbs": thumbs or {}, "theme_feeds": themes,
              "feeds": views}
    out: dict[str, bytes] = {}

    def page(path: str, template: str, **ctx: object) -> None:
        out[path] = env.get_template(template).render(**common, **ctx).encode()

    page("index.html", "index.html", latest=items["all"][:10], all_feeds=list(views.values()),
         alternates=list(views.values()))
    for name in catalog.themes:
        page(f"themes/{name}/index.html", "theme.html", feed=views[name], items=items[name],
             alternates=[views[name], views["all"]], snippet=theme_embed(base_url, name, views[name].title, 5))
        page(f"embed/{name}.html", "embed.html", feed=views[name], items=items[name][:EMBED_MAX], single=False,
             source=name, funding=support_links(show), artwork=art.get(name) or art.get("all"),
             subscribe=f"{base_url}themes/{name}/#subscribe")
    for pe in items["all"]:
        ep = pe.episode
        # the theme feeds that take the episode (a feed may take several themes: feeds and themes
        # are named apart), then all
        ep_feeds = [views[name] for name, f in catalog.feeds.items() if name != "all" and f.takes(ep)]
        alternates = ep_feeds + [views["all"]]
        page(f"{pe.page}index.html", "episode.html", pe=pe, jsonld=_jsonld(catalog, pe, base_url),
             notes=markdown_html_fast(ep.notes) if ep.notes else "", alternates=alternates, ep_feeds=ep_feeds)
        # the episode embed plays as its first feed (the marker's feed= names a built feed), its own
        # marker embed= telling it from that feed's app downloads
        home = f"{base_url}themes/{ep_feeds[0].name}/" if ep_feeds and ep_feeds[0].name in catalog.themes else base_url
        page(f"embed/episode/{pe.slug}.html", "embed.html", feed=alternates[0], items=[pe], single=True,
             source=ep_feeds[0].name if ep_feeds else "web", funding=support_links(show, ep),
             artwork=pe.image or art.get(alternates[0].name) or art.get("all"), subscribe=home + "#subscribe")
        out[f"oembed/{pe.slug}.json"] = _oembed(catalog, pe, base_url)
    assets = resources.files("artoiscast") / "templates"
    out["assets/style.css"] = b"".join((assets / name).read_bytes() for name in CSS)
    for name in JS:
        out[f"assets/{name}"] = (assets / name).read_bytes()
    return out
