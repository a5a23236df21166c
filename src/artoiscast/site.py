"""Static web pages and the partner embed (Jinja2, autoescaped, no external requests).

Pure: catalog + published episodes -> {path: bytes}. Pages: the show home, one per
theme, one per episode, ``embed/<theme>.html``, and the player assets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from artoiscast.catalog import Catalog, Feed
from artoiscast.published import PublishedEpisode
from artoiscast.transcripts import markdown_html

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
EMBED_MAX = 20  # the embed page holds this many; ?n= shows the first N


def frdate(dt: datetime) -> str:
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}"


def mmss(seconds: float) -> str:
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class FeedView:
    name: str
    title: str
    description: str
    short: str


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("artoiscast", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["frdate"] = frdate
    env.filters["mmss"] = mmss
    return env


def _short(feed: Feed, show_title: str) -> str:
    """'Radioscopie de l'Artois : énergie' -> 'énergie' for navigation."""
    title = feed.title
    for sep in (" : ", " - ", ": "):
        if title.startswith(show_title) and sep in title:
            return title.split(sep, 1)[1]
    return title


def _jsonld(catalog: Catalog, pe: PublishedEpisode, base_url: str) -> str:
    ep = pe.episode
    doc = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": ep.title,
        "url": base_url + pe.page,
        "datePublished": ep.published.date().isoformat(),
        "description": ep.summary,
        "timeRequired": f"PT{int(round(pe.duration))}S",
        "associatedMedia": {"@type": "MediaObject", "contentUrl": base_url + pe.media,
                            "encodingFormat": "audio/mpeg"},
        "partOfSeries": {"@type": "PodcastSeries", "name": catalog.podcast.title, "url": base_url},
        "actor": [{"@type": "Person", "name": g.name} for g in ep.guests],
    }
    if ep.location:
        doc["locationCreated"] = {"@type": "Place", "name": ep.location.name}
    # '</' cannot close the script element once escaped
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


def render_site(
    catalog: Catalog,
    items: dict[str, list[PublishedEpisode]],
    *,
    base_url: str,
    art: dict[str, str],
) -> dict[str, bytes]:
    """All pages by published path. ``items`` maps feed name -> its episodes, newest first."""
    env = _env()
    show = catalog.podcast
    views = {f.name: FeedView(f.name, f.title, f.description, _short(f, show.title)) for f in catalog.feeds.values()}
    themes = [views[n] for n in catalog.themes]
    common = {"show": show, "base_url": base_url, "art": art, "theme_feeds": themes, "feeds": views}
    out: dict[str, bytes] = {}

    def page(path: str, template: str, **ctx: object) -> None:
        out[path] = env.get_template(template).render(**common, **ctx).encode()

    page("index.html", "index.html", latest=items["all"][:10], all_feeds=list(views.values()),
         alternates=list(views.values()))
    for name in catalog.themes:
        page(f"themes/{name}/index.html", "theme.html", feed=views[name], items=items[name],
             alternates=[views[name], views["all"]])
        page(f"embed/{name}.html", "embed.html", feed=views[name], items=items[name][:EMBED_MAX])
    for pe in items["all"]:
        ep = pe.episode
        page(f"{pe.page}index.html", "episode.html", pe=pe, jsonld=_jsonld(catalog, pe, base_url),
             notes=markdown_html(ep.notes) if ep.notes else "",
             alternates=[views[t] for t in ep.themes if t in views] + [views["all"]])
    assets = resources.files("artoiscast") / "templates"
    out["assets/style.css"] = (assets / "style.css").read_bytes()
    out["assets/player.js"] = (assets / "player.js").read_bytes()
    return out
