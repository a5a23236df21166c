"""The validated catalog the loader returns: :class:`Catalog`, its :class:`Feed` and
:class:`Episode` records, and the publication instants every feed, page and schedule share.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from artoiscast.catalog.schema import (
    Category,
    EpisodeDoc,
    Guest,
    Location,
    Podcast,
    Soundbite,
    UpdateFrequency,
)
from artoiscast.config import FundingLink
from artoiscast.errors import ArtoiscastError, CatalogError

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Feed:
    """A feed to render: a theme feed from ``feeds/<name>.yaml`` or the implicit ``all``."""

    name: str
    title: str
    description: str
    artwork: Path
    category: Category
    themes: tuple[str, ...]
    guid: uuid.UUID
    update_frequency: UpdateFrequency | None = None

    def takes(self, episode: Episode) -> bool:
        return not self.themes or any(t in self.themes for t in episode.themes)


@dataclass(frozen=True)
class Episode:
    """One validated episode, with its resolved side files."""

    slug: str
    dir: Path
    doc: EpisodeDoc
    guid: str
    audio: Path
    transcript: Path | None
    chapters: Path | None
    image: Path | None
    same_day: int = 0  # rank (by slug) among the episodes that share this bare date: minutes after midnight

    # the fields of episode.yaml that mean the same here (audio, guid... are resolved above)
    @property
    def title(self) -> str:
        return self.doc.title

    @property
    def date(self) -> datetime | date:
        return self.doc.date

    @property
    def recorded(self) -> str | None:
        return self.doc.recorded

    @property
    def themes(self) -> list[str]:
        return self.doc.themes

    @property
    def host(self) -> str | None:
        return self.doc.host

    @property
    def guests(self) -> list[Guest]:
        return self.doc.guests

    @property
    def location(self) -> Location | None:
        return self.doc.location

    @property
    def summary(self) -> str:
        return self.doc.summary

    @property
    def notes(self) -> str | None:
        return self.doc.notes

    @property
    def season(self) -> int | None:
        return self.doc.season

    @property
    def episode(self) -> int | None:
        return self.doc.episode

    @property
    def season_name(self) -> str | None:
        return self.doc.season_name

    @property
    def episode_display(self) -> str | None:
        return self.doc.episode_display

    @property
    def funding(self) -> list[FundingLink]:
        return self.doc.funding

    @property
    def soundbites(self) -> list[Soundbite]:
        return self.doc.soundbites

    @property
    def type(self) -> Literal["full", "trailer", "bonus"]:
        return self.doc.type

    @property
    def explicit(self) -> bool:
        return self.doc.explicit

    @property
    def language(self) -> str | None:
        return self.doc.language

    @property
    def transcript_reviewed(self) -> bool:
        return self.doc.transcript_reviewed

    @functools.cached_property  # read for every feed an episode is in, and to sort
    def published(self) -> datetime:
        """Publication instant, in Europe/Paris time: the one every feed, page and schedule uses.

        A date with a time is that instant (Paris time when it has no offset). A bare date is
        midnight, Paris time, plus ``same_day`` minutes: episodes sharing a bare date are
        published a minute apart in ascending slug order (see :func:`spread_same_day`)."""
        d = self.doc.date
        if isinstance(d, datetime):
            return (d if d.tzinfo else d.replace(tzinfo=PARIS)).astimezone(PARIS)
        return datetime.combine(d, time(0, 0), tzinfo=PARIS) + timedelta(minutes=min(self.same_day, 1439))


@dataclass
class Catalog:
    root: Path
    podcast: Podcast
    feeds: dict[str, Feed]
    episodes: list[Episode]  # newest first
    warnings: list[ArtoiscastError] = field(default_factory=list)  # advice: check prints it, --strict fails

    def feed_episodes(self, feed: Feed, now: datetime | None = None) -> list[Episode]:
        """Episodes of ``feed``, newest first, leaving out those scheduled after ``now``."""
        return [e for e in self.episodes if feed.takes(e) and (now is None or e.published <= now)]

    @property
    def themes(self) -> list[str]:
        return [n for n in self.feeds if n != "all"]


def spread_same_day(episodes: Sequence[Episode]) -> list[Episode]:
    """``episodes`` with distinct instants for those that share a bare date (no time): in ascending
    slug order they get midnight, 00:01, 00:02... Paris time (``Episode.same_day``), so every feed
    and page orders them the same way. Episodes with a time are left as they are."""
    by_day: dict[date, list[int]] = {}
    for i, ep in enumerate(episodes):
        if not isinstance(ep.doc.date, datetime):
            by_day.setdefault(ep.doc.date, []).append(i)
    out = list(episodes)
    for indexes in by_day.values():
        if len(indexes) == 1 and not episodes[indexes[0]].same_day:
            continue  # alone on its day: midnight, as it is
        for rank, i in enumerate(sorted(indexes, key=lambda i: episodes[i].slug)):
            if rank != episodes[i].same_day:
                out[i] = dataclasses.replace(episodes[i], same_day=rank)
    return out


SOUNDBITE_RECOMMENDED = (15.0, 120.0)  # seconds: the namespace's recommendation for a soundbite's duration
SOUNDBITE_SLACK = 0.05  # seconds a soundbite may pass the audio's end (the encoder's rounding)


def soundbite_problems(ep: Episode, duration: float) -> list[CatalogError]:
    """The soundbites of ``ep`` that end after the audio does (``duration``, seconds, known once
    it is ingested): one error each, naming the file and the soundbite."""
    out = []
    for i, sb in enumerate(ep.soundbites):
        end = sb.start + sb.duration
        if end > duration + SOUNDBITE_SLACK:
            out.append(CatalogError(
                f"ends at {end:.1f} s ({sb.start:g} + {sb.duration:g}), after the end of the audio ({duration:.1f} s): "
                f"move its start or shorten it", path=f"episodes/{ep.slug}/episode.yaml", field=f"soundbites[{i}]"))
    return out


def podcast_guid(feed_url: str) -> uuid.UUID:
    """Podcasting 2.0 ``podcast:guid``: UUIDv5 of the feed URL without scheme and trailing slashes."""
    name = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), name)
