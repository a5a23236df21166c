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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, Template
from markupsafe import Markup

from artoiscast.built import BuiltEpisode
from artoiscast.catalog import Catalog, Episode, Feed, FundingLink, Podcast
from artoiscast.errors import CatalogError
from artoiscast.models import Chapter, Thumbs
from artoiscast.templating import environment
from artoiscast.transcripts import fmt_time, markdown_html_fast
from artoiscast.typography import french, french_date, french_html
from artoiscast.values import with_slash

EMBED_MAX = 20  # the embed page holds this many; ?n= shows the first N
# The embed's closed heights in CSS px, held by embed.css (fixed-height header, title clamped to two
# lines, one-line meta, fixed player rows, one row of toggles) at every width (tests/test_embed_fit.py
# measures them at 320, 375 and 1280 px). The snippet's script replaces the static height by the
# measured one; the static height is what a page that refuses scripts shows: n episodes with
# chapters, the most n closed episodes take (the embed scrolls inside when opened).
EMBED_HEAD_HEIGHT = 112  # header: artwork, title (h1), subscribe button
EMBED_FOOT_HEIGHT = 44  # footer: the show's name, support links (one line)
EMBED_PLAYER_HEIGHT = 172  # the player's box with its chapters row (embed.css), margins included
EMBED_PLAYER_BARE = 124  # the same without chapters
# one episode of a theme embed, closed: border 1, padding 8 + 8, title and meta 62, toggles 44
EMBED_ITEM_HEIGHT = 123 + EMBED_PLAYER_HEIGHT
EMBED_OEMBED_WIDTH = 640  # oEmbed width


def frdate(dt: datetime) -> str:
    """An episode's date as the pages show it: ``1er mars 2025`` (typography.french_date)."""
    return french_date(dt.date())


def mmss(seconds: float) -> str:
    """``115.6`` -> ``1:55``: whole seconds, floored as players show them (player.js's ``fmt``)."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


CSS = ("style.css", "player.css", "embed.css")  # concatenated, in this order, into assets/style.css
JS = ("player.js", "embed.js", "site.js")  # copied to assets/


@dataclass(frozen=True)
class FeedView:
    name: str
    title: str
    description: str
    short: str
    url: str = ""  # the feed's absolute URL
    page: str = ""  # its page under the base URL: themes/<name>/ (the all feed: archive/)
    count: int = 0  # episodes


PER_PAGE = 10  # episodes per page of the theme pages and the archive
OG_WIDTH = 1200  # the thumbnail Open Graph and twitter:card take, when made


@dataclass(frozen=True)
class PageMeta:
    """What every page's <head> says of it: title, description, canonical path, Open Graph image."""

    title: str
    description: str
    path: str  # under the base URL ("" for the home)
    image: str  # the published image path the og:image takes (its 1200 px thumbnail when made)
    large: bool = False  # the image is the 1200 px one (twitter:card summary_large_image)
    type: str = "website"
    headline: str = ""  # og:title when not the <title> (an episode's own title)


@dataclass(frozen=True)
class Pager:
    """One page of a paginated list: its number, the count, and the paths of its neighbours."""

    number: int
    count: int
    prev: str | None
    next: str | None


def subscribe_links(feed_url: str, title: str, apple_id: str | None = None) -> list[tuple[str, str]]:
    """(app, https URL) to subscribe to the feed at ``feed_url`` from a web page, with or without
    the app installed: AntennaPod's deeplink page and Podcast Addict's feed page take the feed URL
    (whole, scheme kept, percent-encoded); Apple Podcasts, Overcast and Pocket Casts take the show's
    Apple ID (``apple_id``: given for the show's own feed only)."""
    enc = quote(feed_url, safe="")
    links = []
    if apple_id:
        links.append(("Apple Podcasts", f"https://podcasts.apple.com/podcast/id{apple_id}"))
    links.append(("AntennaPod", f"https://antennapod.org/deeplink/subscribe?url={enc}&title={quote(title, safe='')}"))
    if apple_id:
        links += [("Overcast", f"https://overcast.fm/itunes{apple_id}"),
                  ("Pocket Casts", f"https://pca.st/itunes/{apple_id}")]
    links.append(("Podcast Addict", f"https://podcastaddict.com/feed/{enc}"))
    return links


def pitch(text: str, limit: int = 160) -> str:
    """The one-line pitch of a description: its first sentence, else its first ``limit``
    characters cut at a word (with an ellipsis)."""
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?…])(\s|$)", text)
    if m and len(m.group(1)) <= limit:
        return m.group(1)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _og_image(path: str, thumbs: Thumbs) -> tuple[str, bool]:
    """The image Open Graph names for ``path``: its 1200 px thumbnail when made, else itself."""
    for t in thumbs.get(path, ()):
        if t.width == OG_WIDTH:
            return t.path, True
    return path, False


def _small_image(path: str, thumbs: Thumbs, at_least: int = 128) -> str:
    """The smallest thumbnail of ``path`` at least ``at_least`` px wide (search results), else ``path``."""
    for t in thumbs.get(path, ()):
        if t.width >= at_least:
            return t.path
    return path


def _pages(items: Sequence[BuiltEpisode], first: str) -> list[tuple[str, Sequence[BuiltEpisode], Pager]]:
    """``items`` cut in pages of PER_PAGE: (path, items, pager); page 1 at ``first``, page N at
    ``first + "page/N/"``. An empty list is one empty page."""
    chunks = [items[i:i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [items]
    paths = [first] + [f"{first}page/{n}/" for n in range(2, len(chunks) + 1)]
    return [(paths[i], chunk, Pager(i + 1, len(chunks), paths[i - 1] if i else None,
                                    paths[i + 1] if i + 1 < len(chunks) else None))
            for i, chunk in enumerate(chunks)]


def search_index(items: Sequence[BuiltEpisode], art_of: Mapping[str, str], themes_of: Mapping[str, Sequence[str]],
                 thumbs: Thumbs) -> bytes:
    """The static search index (``search/index.json``) site.js searches in the browser: per
    episode its title, page, date, image, guests, place, themes, summary and transcript cues
    (``[start, text]``; a plain-text transcript as one cue at 0). Compact JSON, < > & escaped."""
    eps = []
    for pe in items:
        ep = pe.episode
        cues: list[list[object]] = []
        if pe.transcript is not None:
            if pe.transcript.timed:
                cues = [[round(c.start, 1), c.text] for c in pe.transcript.cues]
            elif pe.transcript.text.strip():
                cues = [[0, " ".join(pe.transcript.text.split())]]
        eps.append({
            "t": french(ep.title), "u": pe.page, "d": frdate(ep.published), "dt": ep.published.date().isoformat(),
            "i": _small_image(art_of[pe.slug], thumbs), "m": mmss(pe.duration),
            "g": [french(g.name) for g in ep.guests], "p": french(ep.location.name) if ep.location else "",
            "th": [french(t) for t in themes_of[pe.slug]], "s": french(ep.summary), "c": cues,
        })
    return (inert_json({"episodes": eps}, separators=(",", ":")) + "\n").encode()


def inert_json(value: object, **dumps: Any) -> str:
    """``value`` as JSON (UTF-8 kept unless ``ensure_ascii=True``) with ``< > &`` as ``\\u`` escapes:
    no text from the catalog can close a script element or open a comment where it is inlined."""
    text = json.dumps(value, **{"ensure_ascii": False, **dumps})
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _env() -> Environment:
    env = environment("artoiscast")
    env.filters["frdate"] = frdate
    env.filters["mmss"] = mmss
    env.filters["pitch"] = pitch
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
    return inert_json(doc, sort_keys=True)


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
    show = inert_json(origin(src), ensure_ascii=True)
    script = ("(function(f){addEventListener(\"message\",function(e){var d=e.data;"
              f"if(e.origin==={show}&&e.source===f.contentWindow&&d&&d.type===\"artoiscast:height\"&&d.height>0)"
              "f.style.height=Math.ceil(d.height)+\"px\"})})(document.currentScript.previousElementSibling)")
    return (f'<iframe src="{html.escape(src)}" title="{html.escape(title)}" width="100%" height="{height}" '
            f'style="border:0;width:100%;max-width:100%" loading="lazy"></iframe><script>{script}</script>')


def embed_height(count: int) -> int:
    """The static height of a theme embed of ``count`` episodes: closed, all with chapters (the
    most they take; an episode without chapters is EMBED_PLAYER_HEIGHT - EMBED_PLAYER_BARE less)."""
    return EMBED_HEAD_HEIGHT + EMBED_ITEM_HEIGHT * count + EMBED_FOOT_HEIGHT


def single_height(pe: BuiltEpisode) -> int:
    """The closed height of ``pe``'s single-episode embed (its title is the h1: the episode has
    the meta alone, 22 px), exact at any width: what oEmbed says."""
    player = EMBED_PLAYER_HEIGHT if pe.chapters else EMBED_PLAYER_BARE
    return EMBED_HEAD_HEIGHT + 83 + player + EMBED_FOOT_HEIGHT


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
    height = single_height(pe)
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
    ``art`` feed name -> its artwork's published path; ``thumbs`` an image's thumbnails.

    Pages: the home (latest episodes), ``archive/`` (every episode, PER_PAGE a page:
    ``archive/page/2/``...), ``themes/`` and each theme's pages (``themes/<name>/``,
    ``themes/<name>/page/2/``...), one per episode, ``about/``, ``search/`` with its index
    (``search/index.json``); the embeds and oEmbed; the assets."""
    env = _env()
    show = catalog.podcast
    thumbs = thumbs or {}
    views = {}
    for f in catalog.feeds.values():
        page_path = "archive/" if f.name == "all" else f"themes/{f.name}/"
        views[f.name] = FeedView(f.name, f.title, f.description, _short(f, show.title),
                                 f"{base_url}feeds/{f.name}.xml", page_path, len(items.get(f.name, [])))
    themes = [views[n] for n in catalog.themes]
    ep_feeds_of: dict[str, list[FeedView]] = {}
    art_of: dict[str, str] = {}
    for pe in items["all"]:
        # the theme feeds that take the episode (a feed may take several themes: feeds and themes
        # are named apart)
        ep_feeds_of[pe.slug] = [views[name] for name, f in catalog.feeds.items() if name != "all" and f.takes(pe.episode)]
        first = ep_feeds_of[pe.slug][0].name if ep_feeds_of[pe.slug] else "all"
        art_of[pe.slug] = pe.image or art[first]
    apple = show.apple_id

    def subscribe(feed: FeedView) -> list[tuple[str, str]]:
        return subscribe_links(feed.url, feed.title, apple if feed.name == "all" else None)

    def meta(title: str, description: str, path: str, image: str, kind: str = "website", headline: str = "") -> PageMeta:
        og, large = _og_image(image, thumbs)
        text = " ".join(description.split())
        return PageMeta(title, text if len(text) <= 300 else text[:299].rsplit(" ", 1)[0] + "…", path, og, large, kind,
                        headline or title)

    common = {"show": show, "base_url": base_url, "art": art, "thumbs": thumbs, "theme_feeds": themes,
              "feeds": views, "art_of": art_of, "ep_feeds_of": ep_feeds_of, "subscribe_of": subscribe,
              "all_feed": views["all"]}
    out: dict[str, bytes] = {}

    def page(path: str, template: str, **ctx: object) -> None:
        out[path] = env.get_template(template).render(**common, **ctx).encode()

    cover = art["all"]
    page("index.html", "index.html", latest=items["all"][:PER_PAGE], alternates=list(views.values()),
         meta=meta(show.title, show.description, "", cover), section="home")
    for path, chunk, pager in _pages(items["all"], "archive/"):
        title = "Tous les épisodes" + (f" (page {pager.number} sur {pager.count})" if pager.count > 1 else "")
        page(f"{path}index.html", "theme.html", feed=views["all"], items=chunk, pager=pager, archive=True,
             alternates=[views["all"]], meta=meta(f"{title} · {show.title}", show.description, path, cover),
             heading=title, section="archive", snippet="")
    page("themes/index.html", "themes.html", alternates=[views[n] for n in catalog.themes],
         meta=meta(f"Les thèmes · {show.title}", show.description, "themes/", cover), section="themes")
    for name in catalog.themes:
        feed = views[name]
        for path, chunk, pager in _pages(items[name], feed.page):
            title = feed.title + (f" (page {pager.number} sur {pager.count})" if pager.count > 1 else "")
            page(f"{path}index.html", "theme.html", feed=feed, items=chunk, pager=pager, archive=False,
                 alternates=[feed, views["all"]], meta=meta(title, feed.description, path, art[name]),
                 heading=feed.title, section="themes", snippet=theme_embed(base_url, name, feed.title, 5))
        page(f"embed/{name}.html", "embed.html", feed=views[name], items=items[name][:EMBED_MAX], single=False,
             source=name, funding=support_links(show), artwork=art.get(name) or art.get("all"),
             subscribe=f"{base_url}themes/{name}/#subscribe")
    about = markdown_html_fast(show.about) if show.about else ""
    extra = markdown_html_fast(show.legal.extra) if show.legal and show.legal.extra else ""
    page("about/index.html", "about.html", about=about, legal_extra=extra, alternates=[views["all"]],
         meta=meta(f"À propos · {show.title}", show.description, "about/", cover), section="about")
    page("search/index.html", "search.html", alternates=[views["all"]],
         meta=meta(f"Rechercher · {show.title}", f"Rechercher dans les épisodes de {show.title} : titres, invités, "
                   "lieux, transcriptions.", "search/", cover), section="search")
    out["search/index.json"] = search_index(items["all"], art_of,
                                            {slug: [f.short for f in fs] for slug, fs in ep_feeds_of.items()}, thumbs)
    for pe in items["all"]:
        ep = pe.episode
        ep_feeds = ep_feeds_of[pe.slug]
        alternates = ep_feeds + [views["all"]]
        page(f"{pe.page}index.html", "episode.html", pe=pe, jsonld=_jsonld(catalog, pe, base_url),
             notes=markdown_html_fast(ep.notes) if ep.notes else "", alternates=alternates, ep_feeds=ep_feeds,
             meta=meta(f"{ep.title} · {show.title}", ep.summary, pe.page, art_of[pe.slug], "article", ep.title),
             section="episode")
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
