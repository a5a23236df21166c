"""The files ``init`` and ``new`` write, as text: ``podcast.yaml``, ``feeds/<theme>.yaml``,
``episode.yaml`` and ``.gitignore``, each field with a comment saying what it is, and every field
the catalog takes that a producer should know of shown commented out.

Values go in as YAML double-quoted scalars written by PyYAML (:func:`scalar`), so no title,
however it is typed (quotes, ``#``, ``: ``, line separators), can change the file's structure;
``init`` and ``new`` read each file back with the catalog's own reader before it is kept. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

from artoiscast.catalog.schema import Guest

TODO = "TODO"
"""What a required field still to be written starts with; the catalog refuses it (``schema.EpisodeDoc``)."""

GITIGNORE = """\
# written by artoiscast: rebuilt from the catalog at every build, or published copies
/build/
/public/
.*.artoiscast-tmp
# a virtualenv and Python's caches, if artoiscast is installed here
/.venv/
__pycache__/
"""


def scalar(value: str) -> str:
    """``value`` as a YAML double-quoted scalar, on one line (escapes as PyYAML writes them)."""
    text: str = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 30)
    return text.rstrip("\n")


def _flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


@dataclass(frozen=True)
class ShowDoc:
    """What ``podcast.yaml`` is written from."""

    title: str
    description: str
    author: str
    language: str
    base_url: str
    artwork: str
    guid: uuid.UUID
    publisher_guid: uuid.UUID
    email: str | None = None


def podcast_yaml(show: ShowDoc) -> str:
    """``podcast.yaml`` for a new show, commented field by field."""
    owner = f"  email: {scalar(show.email)}\n" if show.email else \
        "  # email: \"you@example.org\"   # Apple asks for one; also feeds' podcast:locked owner\n"
    return f"""\
# The show: the "all" feed, the pages and every theme feed take their common fields from here.
# Everything here is public except storage settings (never put credentials here: S3 credentials
# come from the usual boto3 chain). Written by artoiscast init; artoiscast check judges it.

title: {scalar(show.title)}
description: {scalar(show.description)}   # what the show is about, plain text (apps show it)
author: {scalar(show.author)}   # itunes:author, the publisher feed's title
host: {scalar(show.author)}     # who hosts the episodes (an episode's own host: overrides it)
owner:                 # itunes:owner: who to contact about the show
  name: {scalar(show.author)}
{owner}language: {scalar(show.language)}   # ISO 639 code of the episodes' language (fr, en, fr-BE...)
# where the show is published: every URL of the feeds and pages starts with it (absolute https)
base_url: {scalar(show.base_url)}
# the show's cover: a square RGB JPEG or PNG of 1400 to 3000 px, inside this folder
artwork: {scalar(show.artwork)}
# podcast:guid of the show (the "all" feed), assigned once from the Podcasting 2.0 recipe (the
# namespace's UUIDv5 of the feed URL without its scheme) and kept forever, even if base_url moves
guid: "{show.guid}"
# podcast:guid of the publisher feed (feeds/publisher.xml), derived once the same way and kept
publisher_guid: "{show.publisher_guid}"
explicit: false        # true if the show has explicit content (itunes:explicit)

# Optional fields, shown here to be uncommented when wanted:
# link: "https://example.org/"        # the show's own website, when not base_url
# copyright: {scalar("© " + show.author)}
# license: "CC BY-SA 4.0"              # podcast:license: an SPDX identifier or a licence's name
# location:                            # podcast:location of the show
#   name: "Lens"
#   geo: "50.4292,2.8319"              # latitude,longitude
#   osm: "R113314"                     # OpenStreetMap id
#   country: FR                        # ISO 3166-1 alpha-2
# all_feed:                            # the "all" feed (every episode): title, description, Apple category
#   title: "... : tous les épisodes"
#   description: "..."
#   category: {{ text: "Society & Culture", sub: "Documentary" }}
#   update_frequency: {{ label: "Un jeudi sur deux", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH" }}
# audio:                               # how every episode is encoded (these are the defaults)
#   channels: 2                        # 1: mono
#   target_lufs: -16.0                 # integrated loudness of the MP3 (-19 for mono)
#   true_peak: -1.0                    # dBTP, maximum
#   tolerance: 1.0                     # LU either side of the target
#   bitrate: 128                       # kbps CBR (64 for mono)
#   id3_version: 3                     # 3 or 4
# storage:                             # where artoiscast publish uploads (default: the folder public/)
#   backend: local                     # or s3, with bucket, prefix, endpoint_url, region, path_style
#   path: public
# analytics:
#   prefix: "https://op3.dev/e/"       # an enclosure prefix counting downloads (OP3; see the README)
# funding:                             # podcast:funding: support links, in every feed and page footer
#   - {{ url: "https://example.org/soutenir", text: "Soutenir l'émission" }}
# apple_id: "1234567890"              # the show's Apple Podcasts ID: the pages link Apple, Overcast, Pocket Casts
# listen_on:                           # "Écouter sur" links of the pages (https)
#   - {{ name: "Spotify", url: "https://open.spotify.com/show/..." }}
# about: "L'émission, ses auteurs..."  # the about page's text (Markdown); unset: the description
# legal:                               # the about page's "mentions légales"
#   publisher: {scalar(show.author)}
#   director: {scalar(show.author)}    # directeur de la publication
#   address: "1 rue de l'Exemple, 62300 Lens"
#   contact: "contact@example.org"
#   host_name: "Hébergeur"             # the site's host company (hébergeur), its address and telephone
#   host_address: "Adresse de l'hébergeur"
#   host_phone: "+33 1 23 45 67 89"
#   extra: "Crédits photo..."          # more text (Markdown)
# txt:                                 # podcast:txt: ownership proofs a directory gives, carried as given
#   - {{ purpose: verify, value: "..." }}              # or purpose: applepodcastsverify (Apple's code)
# transcribe:                          # artoiscast transcribe: offline speech-to-text (these are the defaults)
#   backend: faster-whisper
#   model: whisper-base                # the packaged model; or a folder, or a model name to download once
# notify:                              # whom publish tells at once when a feed changed (see the README)
#   websub: ["https://pubsubhubbub.appspot.com/"]     # WebSub hubs, named in every feed (atom:link rel=hub)
#   podcast_index: true                # the Podcast Index's hub/pubnotify
#   podping: {{ token_env: PODPING_TOKEN }}           # Podping (podping.cloud), the token from that variable
# previous_urls: ["https://old-host.example/feed.xml"]  # the feed's old URLs, when the show came from elsewhere
# moved_to: "https://new-host.example/"               # only when the show LEAVES: its new base URL (redirects)
"""


@dataclass(frozen=True)
class FeedDoc:
    """What a ``feeds/<theme>.yaml`` is written from."""

    theme: str
    title: str
    description: str
    artwork: str
    guid: uuid.UUID


def feed_yaml(feed: FeedDoc) -> str:
    """``feeds/<theme>.yaml`` for one theme feed, commented field by field."""
    return f"""\
# The feed of the theme "{feed.theme}": every episode with {feed.theme} in its themes.
title: {scalar(feed.title)}
description: {scalar(feed.description)}   # what this feed's episodes are about (apps show it)
artwork: {scalar(feed.artwork)}   # beside this file: a square RGB JPEG or PNG of 1400 to 3000 px
# Apple's 2019 categories (https://podcasters.apple.com/support/1691-apple-podcasts-categories):
# text, and a sub of it, e.g. {{ text: "Business", sub: "Entrepreneurship" }}
category: {{ text: "Society & Culture" }}
themes: [{feed.theme}]   # the episode themes this feed takes (one or more)
# podcast:guid of this feed, assigned once from the feed URL and kept forever
guid: "{feed.guid}"
# update_frequency: {{ label: "Tous les mois", rrule: "FREQ=MONTHLY", complete: false }}   # else derived from the dates
"""


@dataclass(frozen=True)
class EpisodeText:
    """What an ``episode.yaml`` is written from (``audio_note``: what the probe found)."""

    title: str
    date: date | datetime
    themes: list[str]
    audio: str
    audio_note: str
    all_themes: list[str]
    guests: list[Guest] = field(default_factory=list)


def _guest(g: Guest) -> str:
    out = f"  - name: {scalar(g.name)}\n"
    if g.role:
        out += f"    role: {scalar(g.role)}\n"
    if g.organisation:
        out += f"    organisation: {scalar(g.organisation)}\n"
    return out + "    # url: \"https://...\"     # their page, and image: a photo URL\n"


def episode_yaml(ep: EpisodeText) -> str:
    """``episode.yaml`` for a new episode: the required fields (the summary a TODO that
    ``check`` refuses until it is written), every optional one commented out."""
    when = (ep.date.isoformat(timespec="seconds" if ep.date.second else "minutes") if isinstance(ep.date, datetime)
            else ep.date.isoformat())
    guests = ("guests:                    # the people interviewed (name; role, organisation, url, image optional)\n"
              + "".join(_guest(g) for g in ep.guests)) if ep.guests else \
        ("# guests:                  # the people interviewed (name; role, organisation, url, image optional)\n"
         "#   - name: \"Prénom Nom\"\n#     role: \"...\"\n#     organisation: \"...\"\n")
    return f"""\
# An episode: fill in the TODO, uncomment what you need, then run artoiscast check.
title: {scalar(ep.title)}
# publication: YYYY-MM-DD, or with a time (2025-06-01T10:00, Paris time unless an offset is given);
# a future date is scheduled: nothing of the episode is public until then
date: {when}
themes: {_flow(ep.themes)}   # one or more of: {", ".join(ep.all_themes)}
# plain text shown in apps (at most 4000 bytes): check refuses the episode until the TODO is replaced
summary: {scalar(TODO + ": what the episode is about, in a few sentences")}
audio: {scalar(ep.audio)}   # {ep.audio_note}
{guests}
# Optional fields:
# host: "..."               # who hosts this episode (default: podcast.yaml's host)
# recorded: "mardi 17 décembre 2024"   # when it was recorded, in your words (shown as written)
# location:                 # where it was recorded
#   name: "Lens"
#   geo: "50.4292,2.8319"   # latitude,longitude; or osm: "R113314"
#   country: FR
#   rel: subject            # subject (what the episode is about) or creator (where it was made)
# notes: |                  # show notes in Markdown (paragraphs, lists, links, bold, italic, ### headings)
#   **Au programme :**
#   - ...
# transcript: transcript.vtt   # .vtt, .srt or .txt beside this file (transcript.* is found by itself)
# transcript_reviewed: true    # once you have corrected a transcript made by artoiscast transcribe (ai-content false)
# chapters: chapters.yaml      # [{{start: "00:01:30", title: "..."}}] (chapters.yaml is found by itself)
# image: image.jpg             # the episode's own artwork: square RGB JPEG or PNG, 1400 to 3000 px
# season: 1                    # podcast:season / itunes:season (1 or more)
# season_name: "..."           # the season's name (podcast:season name; needs season)
# episode: 1                   # its number (itunes:episode)
# episode_display: "Bonus 1"   # shown instead of the number (podcast:episode display; needs episode)
# type: full                   # full, trailer or bonus
# explicit: false              # true if the episode has explicit content
# language: fr                 # only when it differs from the show's
# guid: "..."                  # default: derived from the show's guid and this folder's name; set it
#                              # only to keep an old guid after renaming the folder
# funding:                     # this episode's own support links (podcast:funding)
#   - {{ url: "https://example.org/soutenir", text: "Soutenir l'émission" }}
# soundbites:                  # podcast:soundbite: highlights (start, duration in seconds, 15 to 120; title)
#   - {{ start: "00:01:30", duration: 45, title: "..." }}
"""
