"""The catalog: ``podcast.yaml``, ``feeds/*.yaml``, ``episodes/<slug>/episode.yaml``.

Reads only; never writes. Everything is read and every problem of every file is
collected before anything is returned, so the producer sees all of them at once
(:class:`~artoiscast.errors.ErrorList`).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from artoiscast.apple import CATEGORIES
from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList
from artoiscast.parallel import in_two
from artoiscast.paths import Unsafe, found_file, list_folder, safe_file
from artoiscast.values import base_url_problem, http_url_problem, parse_date, prefix_problem
from artoiscast.values import base_url_value as base_url_value  # the checks the CLI options share
from artoiscast.values import http_url_value as http_url_value
from artoiscast.wording import validate as _validate
from artoiscast.yamlio import load_yaml


SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
PARIS = ZoneInfo("Europe/Paris")
TRANSCRIPT_NAMES = ("transcript.vtt", "transcript.srt", "transcript.txt")
RESERVED_FEEDS = {"all", "publisher"}


def _http_url(value: str) -> str:
    problem = http_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _base_url(value: str) -> str:
    problem, value = base_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _prefix_url(value: str) -> str:
    problem = prefix_problem(value)
    if problem:
        raise ValueError(problem)
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""Every URL field of the catalog: an absolute http(s) URL (no javascript:, data:, relative...)."""
BaseUrl = Annotated[str, AfterValidator(_base_url)]
"""``base_url``: an absolute http(s) URL, a final ``/`` added when missing (``--base-url`` too)."""
PrefixUrl = Annotated[str, AfterValidator(_prefix_url)]
"""``analytics.prefix``: an absolute https URL ending in ``/`` (no query, no fragment)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


NonEmpty = Field(min_length=1)


class Guest(_Model):
    name: str = NonEmpty
    role: str | None = None
    organisation: str | None = None
    url: HttpUrl | None = None
    image: HttpUrl | None = None


class Location(_Model):
    name: str = Field(min_length=1, max_length=128)
    geo: str | None = Field(default=None, pattern=r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$")
    osm: str | None = Field(default=None, pattern=r"^[NWR]\d+$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    rel: Literal["subject", "creator"] | None = None


class Category(_Model):
    text: str
    sub: str | None = None

    @model_validator(mode="after")
    def _apple(self) -> Category:
        if self.text not in CATEGORIES:
            near = difflib.get_close_matches(self.text, CATEGORIES, n=1)
            hint = f"did you mean {near[0]!r}?" if near else "see Apple's 2019 category list"
            raise ValueError(f"{self.text!r} is not an Apple Podcasts category ({hint})")
        if self.sub is not None and self.sub not in CATEGORIES[self.text]:
            subs = ", ".join(CATEGORIES[self.text]) or "none"
            raise ValueError(f"{self.sub!r} is not a subcategory of {self.text!r} (one of: {subs})")
        return self


class Owner(_Model):
    name: str = NonEmpty
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AudioSettings(_Model):
    target_lufs: float | None = Field(default=None, ge=-30, le=-10)
    true_peak: float = Field(default=-1.0, ge=-6, le=0)
    tolerance: float = Field(default=1.0, gt=0, le=3)
    bitrate: int | None = Field(default=None, ge=32, le=320)
    channels: Literal[1, 2] = 2
    id3_version: Literal[3, 4] = 3

    @property
    def kbps(self) -> int:
        """MP3 CBR bitrate: 128 kbps stereo, 64 kbps mono unless set."""
        if self.bitrate is not None:
            return self.bitrate
        return 128 if self.channels == 2 else 64

    @property
    def target(self) -> float:
        """Integrated loudness target: -16 LUFS stereo, -19 LUFS mono unless set."""
        if self.target_lufs is not None:
            return self.target_lufs
        return -16.0 if self.channels == 2 else -19.0


class StorageSettings(_Model):
    backend: str = "local"
    path: str = "public"
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: HttpUrl | None = None
    region: str | None = None
    path_style: bool = False
    connect_timeout: float = Field(default=5.0, gt=0, le=600)  # seconds to open a connection to the store
    read_timeout: float = Field(default=20.0, gt=0, le=3600)  # seconds to wait for the store's next bytes


class AnalyticsSettings(_Model):
    """``analytics:`` in podcast.yaml. ``prefix``: a measurement service's redirect prefix (OP3:
    ``https://op3.dev/e/``) put before every enclosure URL of every feed (see feeds.enclosure_base)."""

    prefix: PrefixUrl | None = None


class UpdateFrequency(_Model):
    """``podcast:updateFrequency``: a label shown in apps and an RFC 5545 rule (derived from the dates when absent)."""

    label: str = Field(min_length=1, max_length=128)
    rrule: str | None = Field(default=None, pattern=r"^FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Za-z0-9,+-]+)*$")
    complete: bool = False


class AllFeed(_Model):
    title: str | None = None
    description: str | None = None
    category: Category | None = None
    update_frequency: UpdateFrequency | None = None


class Podcast(_Model):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1)
    author: str = NonEmpty
    host: str | None = None
    owner: Owner | None = None
    language: str = Field(default="fr", pattern=r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")
    base_url: BaseUrl
    link: HttpUrl | None = None
    copyright: str | None = None
    license: str | None = None
    explicit: bool = False
    artwork: str = NonEmpty
    location: Location | None = None
    guid: uuid.UUID
    publisher_guid: uuid.UUID | None = None  # the publisher feed's podcast:guid, pinned (see feeds.publisher_guid)
    all_feed: AllFeed = AllFeed()
    audio: AudioSettings = AudioSettings()
    storage: StorageSettings = StorageSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()


class FeedDef(_Model):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1)
    artwork: str = NonEmpty
    category: Category
    themes: list[str] = Field(min_length=1)
    guid: uuid.UUID | None = None
    update_frequency: UpdateFrequency | None = None


class EpisodeDoc(_Model):
    """The fields of one ``episode.yaml``."""

    title: str = Field(min_length=1, max_length=255)
    date: datetime | date
    recorded: str | None = None
    themes: list[str] = Field(min_length=1)
    host: str | None = None
    guests: list[Guest] = []
    location: Location | None = None
    summary: str = Field(min_length=1)
    notes: str | None = None
    audio: str = NonEmpty
    transcript: str | None = None
    chapters: str | None = None
    image: str | None = None
    season: int | None = Field(default=None, ge=1)
    episode: int | None = Field(default=None, ge=1)
    type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool = False
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")
    guid: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return parse_date(v)  # only dates and date-times: 20250619 is not seconds since 1970

    @field_validator("summary")
    @classmethod
    def _summary_len(cls, v: str) -> str:
        if len(v.encode()) > 4000:
            raise ValueError(f"is {len(v.encode())} bytes; apps show at most 4000 (move detail to notes)")
        return v


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

    def __getattr__(self, name: str) -> Any:  # doc fields read as episode fields
        if name.startswith("__") or name == "doc":  # pickle looks up __setstate__ before doc is set
            raise AttributeError(name)
        return getattr(self.doc, name)

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


def _catalog_warnings(podcast: Podcast, episodes: Sequence[Episode]) -> list[ArtoiscastError]:
    """Advice ``artoiscast check`` prints (``--strict`` fails on it): episodes sharing a bare date,
    an unpinned publisher guid."""
    out: list[ArtoiscastError] = []
    if podcast.publisher_guid is None:
        derived = podcast_guid(f"{podcast.base_url}feeds/publisher.xml")
        out.append(CatalogError(
            f'not set: the publisher feed\'s guid is derived from base_url and would change with it (pin it: '
            f'publisher_guid: "{derived}")', path="podcast.yaml", field="publisher_guid"))
    shared: dict[date, list[Episode]] = {}
    for ep in episodes:
        if not isinstance(ep.doc.date, datetime):
            shared.setdefault(ep.doc.date, []).append(ep)
    for day in sorted(d for d, group in shared.items() if len(group) > 1):
        group = shared[day]
        for ep in sorted(group, key=lambda e: e.slug):
            out.append(CatalogError(
                f"{day.isoformat()} is also the date of {len(group) - 1} other episode(s): published at "
                f"{ep.published:%H:%M} Paris time, in slug order (give each a time to set their order, e.g. "
                f"date: {day.isoformat()}T10:00)", path=f"episodes/{ep.slug}/episode.yaml", field="date"))
    return out


def podcast_guid(feed_url: str) -> uuid.UUID:
    """Podcasting 2.0 ``podcast:guid``: UUIDv5 of the feed URL without scheme and trailing slashes."""
    name = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), name)


# ---------------------------------------------------------------- side files

EPISODE_FOLDER = "episode folder"
CATALOG = "catalog folder"
NO_PODCAST = ("not found (create it with title, description, author, base_url, artwork and guid: see the README's "
              "catalog section, or --root the catalog folder)")


def _side_file(folder: Path, rel: str, shown: str, fld: str, errors: list[ArtoiscastError]) -> Path | None:
    """Resolve a path written in an episode file; it must stay inside the episode folder."""
    try:
        return safe_file(folder, rel, folder, scope=EPISODE_FOLDER, missing="not found (put the file beside episode.yaml)")
    except Unsafe as exc:
        errors.append(CatalogError(f'"{rel}" {exc.reason}', path=shown, field=fld))
        return None


def _found_file(root: Path, folder: Path, entry: os.DirEntry[str], errors: list[ArtoiscastError], *,
                within: Path | None = None, scope: str = EPISODE_FOLDER) -> Path | None:
    """A file found by its name in ``folder`` (``transcript.vtt``, ``chapters.yaml``, ``episode.yaml``...):
    the same rules as a path written in a file, inside ``folder`` (or ``within``)."""
    try:
        return found_file(folder, entry, within or folder, scope=scope)
    except Unsafe as exc:
        errors.append(CatalogError(exc.reason, path=_rel(root, folder / entry.name)))
        return None


def _root_file(root: Path, base: Path, rel: str, shown: str, fld: str, errors: list[ArtoiscastError]) -> Path:
    """The show's own files (artwork of podcast.yaml and feeds/*.yaml): inside the catalog folder."""
    try:
        return safe_file(base, rel, root, scope=CATALOG,
                         missing="not found (add the image, or run artoiscast demo --media-only for the demo)")
    except Unsafe as exc:
        errors.append(CatalogError(f'"{rel}" {exc.reason}', path=shown, field=fld))
        return base / rel


# ---------------------------------------------------------------- loading


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read(root: Path, path: Path, model: type[BaseModel], errors: list[ArtoiscastError], shown: str | None = None) -> Any:
    """``path`` validated as ``model`` (``shown``: the path as reported), or None with its errors added."""
    shown = shown or _rel(root, path)
    try:
        data = load_yaml(path, shown)
    except ArtoiscastError as exc:
        errors.append(exc)
        return None
    return _validate(model, data, shown, errors)


# From this many episodes a second process loads half of them (reading, parsing and validating
# 10,000 files takes seconds); below, starting it costs more than it saves.
PARALLEL_FILES = 1000


def _load_clean(folders: Sequence[Path], *, root: Path, podcast: Podcast | None,
                themes: list[str] | None) -> list[Episode | None]:
    """Each folder's Episode, or None when it has any problem (``load_catalog`` loads those again
    to report them in order). Runs in a second process for half of a large catalog."""
    out: list[Episode | None] = []
    for folder in folders:
        problems: list[ArtoiscastError] = []
        ep = _load_episode(root, folder, podcast, themes, problems, problems)
        out.append(ep if not problems else None)
    return out


def load_catalog(root: Path, *, check_files: bool = True) -> Catalog:
    """Read and validate the whole catalog under ``root``.

    Returns a :class:`Catalog` with episodes newest first. Raises :class:`ErrorList`
    with every problem found (one per line) when anything is wrong. With
    ``check_files=False`` missing audio and artwork are not errors (``check --catalog-only``).
    """
    root = Path(root)
    errors: list[ArtoiscastError] = []
    ignore: list[ArtoiscastError] = []
    files_errors = errors if check_files else ignore
    podcast: Podcast | None = None
    try:
        safe_file(root, "podcast.yaml", root, scope="catalog folder", missing=NO_PODCAST)
    except Unsafe as exc:
        if exc.reason == NO_PODCAST:  # most likely not the catalog folder: nothing else to say
            raise ErrorList([CatalogError(NO_PODCAST, path="podcast.yaml")]) from None
        errors.append(CatalogError(exc.reason, path="podcast.yaml"))
    else:
        podcast = _read(root, root / "podcast.yaml", Podcast, errors)
    if podcast is not None:
        _root_file(root, root, podcast.artwork, "podcast.yaml", "artwork", files_errors)

    feeds: dict[str, Feed] = {}
    raw_themes: set[str] = set()
    feed_dir = root / "feeds"
    n_errors = len(errors)
    feed_entries = _listing(root, feed_dir, errors)
    feeds_unread = len(errors) > n_errors  # feeds/ is there but cannot be read
    for file_name in sorted(n for n in feed_entries or {} if n.endswith(".yaml")):
        path = feed_dir / file_name
        name, shown = path.stem, _rel(root, path)
        if not SLUG_RE.match(name) or name in RESERVED_FEEDS:
            errors.append(CatalogError(f'"{name}" is not a usable feed name (a-z, 0-9, -; not all/publisher)', path=shown))
            continue
        entry = feed_entries[file_name]  # type: ignore[index]
        if not entry.is_file(follow_symlinks=False) and not _found_file(root, feed_dir, entry, errors, within=root, scope=CATALOG):
            raw_themes.add(name)  # not read: its name is the best guess of its theme
            continue
        fd: FeedDef | None = _read(root, path, FeedDef, errors)
        if fd is None:  # still know its themes, so episodes are not blamed for a broken feed file
            raw_themes.update(_raw_themes(path, name))
            continue
        art = _root_file(root, feed_dir, fd.artwork, shown, "artwork", files_errors)
        url = f"{podcast.base_url if podcast else ''}feeds/{name}.xml"
        feeds[name] = Feed(name, fd.title, fd.description, art, fd.category, tuple(fd.themes), fd.guid or podcast_guid(url),
                           fd.update_frequency)
    if not feeds and not feeds_unread:
        errors.append(CatalogError("no feed definitions (add feeds/<name>.yaml)", path="feeds"))
    # unknown when feeds/ cannot be read: then no episode is blamed for its themes
    themes = None if feeds_unread else sorted({t for f in feeds.values() for t in f.themes} | raw_themes)
    if podcast is not None:
        af = podcast.all_feed
        feeds = {
            "all": Feed(
                "all",
                af.title or podcast.title,
                af.description or podcast.description,
                root / podcast.artwork,
                af.category or (next(iter(feeds.values())).category if feeds else Category(text="Society & Culture")),
                (),
                podcast.guid,
                af.update_frequency,
            ),
            **feeds,
        }

    episodes: list[Episode] = []
    ep_dir = root / "episodes"
    folders = _episode_folders(root, ep_dir, errors)
    loaded: list[Episode | None] = [None] * len(folders)
    if len(folders) >= PARALLEL_FILES:
        loaded = in_two(functools.partial(_load_clean, root=root, podcast=podcast, themes=themes), folders,
                        at_least=PARALLEL_FILES)
    for folder, ep in zip(folders, loaded):
        if ep is None:  # not loaded yet, or with problems: (again) here, its errors in folder order
            ep = _load_episode(root, folder, podcast, themes, errors, files_errors)
        if ep is not None:
            episodes.append(ep)

    seen: dict[str, str] = {}
    for ep in episodes:
        if ep.guid in seen:
            errors.append(
                CatalogError(f'"{ep.guid}" is also the guid of {seen[ep.guid]} (guids must be unique)',
                             path=f"episodes/{ep.slug}/episode.yaml", field="guid")
            )
        seen.setdefault(ep.guid, ep.slug)
    if errors or podcast is None:
        raise ErrorList(errors)
    episodes = spread_same_day(episodes)
    episodes.sort(key=lambda e: (e.published, e.slug), reverse=True)
    return Catalog(root, podcast, feeds, episodes, _catalog_warnings(podcast, episodes))


def _episode_folders(root: Path, ep_dir: Path, errors: list[ArtoiscastError]) -> list[Path]:
    """The episode folders (not hidden), sorted by name."""
    entries = _listing(root, ep_dir, errors) or {}
    return [ep_dir / name for name in sorted(n for n, e in entries.items() if not n.startswith(".") and e.is_dir())]


def _listing(root: Path, folder: Path, errors: list[ArtoiscastError]) -> dict[str, os.DirEntry[str]] | None:
    """``folder``'s entries by name; None when it is missing, or unreadable (with its error added)."""
    try:
        return list_folder(folder)
    except Unsafe as exc:
        errors.append(CatalogError(exc.reason, path=_rel(root, folder)))
        return None


def _raw_themes(path: Path, name: str) -> set[str]:
    try:
        data = load_yaml(path)
    except ArtoiscastError:
        return {name}
    themes = data.get("themes") if isinstance(data, dict) else None
    if isinstance(themes, list) and all(isinstance(t, str) for t in themes):
        return set(themes)
    return {name}


def _load_episode(
    root: Path,
    folder: Path,
    podcast: Podcast | None,
    themes: list[str] | None,
    errors: list[ArtoiscastError],
    files_errors: list[ArtoiscastError],
) -> Episode | None:
    shown = f"{_rel(root, folder)}/episode.yaml"
    if not SLUG_RE.match(folder.name):
        errors.append(CatalogError(
            f'folder name "{folder.name}" is not a valid slug (lower-case a-z, 0-9 and -, at most 80 characters)',
            path=_rel(root, folder)))
        return None
    try:  # one directory read, not a stat per optional file
        entries = list_folder(folder) or {}
    except Unsafe as exc:  # not the same as empty: not "episode.yaml: missing"
        errors.append(CatalogError(exc.reason, path=_rel(root, folder)))
        return None
    if "episode.yaml" not in entries:
        errors.append(CatalogError("missing (every episode folder needs one)", path=shown))
        return None
    if not entries["episode.yaml"].is_file(follow_symlinks=False) and not _found_file(root, folder, entries["episode.yaml"], errors):
        return None  # a link out of the folder, a loop, a folder...: only a plain file is read as is
    doc: EpisodeDoc | None = _read(root, folder / "episode.yaml", EpisodeDoc, errors, shown)
    if doc is None:
        return None
    if doc.host is None and podcast is not None and podcast.host:
        doc = doc.model_copy(update={"host": podcast.host})
    for i, theme in enumerate(doc.themes):
        if themes is not None and theme not in themes:
            near = difflib.get_close_matches(theme, themes, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"one of: {', '.join(themes)}"
            errors.append(CatalogError(f'"{theme}" is not a theme of any feed ({hint})', path=shown, field=f"themes[{i}]"))
    audio = _side_file(folder, doc.audio, shown, "audio", files_errors) or folder / doc.audio
    transcript = chapters = image = None
    if doc.transcript:
        transcript = _side_file(folder, doc.transcript, shown, "transcript", errors)
    elif found := next((n for n in TRANSCRIPT_NAMES if n in entries), None):  # found by name: the same checks
        transcript = _found_file(root, folder, entries[found], errors)
    if doc.chapters:
        chapters = _side_file(folder, doc.chapters, shown, "chapters", errors)
    elif "chapters.yaml" in entries:
        chapters = _found_file(root, folder, entries["chapters.yaml"], errors)
    if doc.image:
        image = _side_file(folder, doc.image, shown, "image", errors)
    guid = doc.guid or (str(uuid.uuid5(podcast.guid, folder.name)) if podcast else folder.name)
    return Episode(folder.name, folder, doc, guid, audio, transcript, chapters, image)
