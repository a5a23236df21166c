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
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from artoiscast.apple import CATEGORIES
from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList
from artoiscast.parallel import in_two
from artoiscast.yamlio import load_yaml

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
PARIS = ZoneInfo("Europe/Paris")
TRANSCRIPT_NAMES = ("transcript.vtt", "transcript.srt", "transcript.txt")
RESERVED_FEEDS = {"all", "publisher"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


NonEmpty = Field(min_length=1)


class Guest(_Model):
    name: str = NonEmpty
    role: str | None = None
    organisation: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    image: str | None = None


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
    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool = False
    connect_timeout: float = Field(default=5.0, gt=0, le=600)  # seconds to open a connection to the store
    read_timeout: float = Field(default=20.0, gt=0, le=3600)  # seconds to wait for the store's next bytes


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
    base_url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?/$")
    link: str | None = Field(default=None, pattern=r"^https?://\S+$")
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

    @field_validator("base_url", mode="before")
    @classmethod
    def _slash(cls, v: Any) -> Any:
        return v + "/" if isinstance(v, str) and not v.endswith("/") else v


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
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            return date.fromisoformat(v.strip())  # ValueError -> "is not a date"
        return v

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
    for day, group in sorted(shared.items()):
        if len(group) < 2:
            continue
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


# ---------------------------------------------------------------- error wording


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """Turn one pydantic error into (field, reason-with-fix)."""
    loc = tuple(err["loc"])
    where = "date" if loc[:1] == ("date",) else _loc(loc)
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        parent_fields = _fields_at(model, err["loc"][:-1])
        near = difflib.get_close_matches(str(err["loc"][-1]), parent_fields, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"known keys: {', '.join(sorted(parent_fields))}"
        return where, f"unknown key ({hint})"
    if kind == "missing":
        return where, "required field is missing (add it)"
    if where == "date":
        return "date", f"{_show(value)} is not a date (use YYYY-MM-DD)"
    if kind == "string_pattern_mismatch":
        return where, f"{_show(value)} has the wrong form ({_pattern_hint(where)})"
    if kind in ("literal_error", "enum"):
        return where, f"{_show(value)} is not allowed ({err['msg'].replace('Input should be ', 'use ')})"
    if kind == "too_short" and isinstance(value, (list, str)):
        return where, "is empty (give at least one value)"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return where, f"{_show(value)}: {msg}" if kind.endswith("_type") or kind.endswith("_parsing") else msg


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if len(value) < 60 else f'"{value[:57]}..."'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _pattern_hint(where: str) -> str:
    last = where.split(".")[-1]
    return {
        "geo": 'latitude,longitude in decimal degrees, e.g. "50.4292,2.8319"',
        "osm": "N, W or R followed by the OpenStreetMap id, e.g. R113314",
        "country": "ISO 3166-1 alpha-2 in capitals, e.g. FR",
        "url": "an absolute http(s) URL",
        "link": "an absolute http(s) URL",
        "base_url": "an absolute http(s) URL ending with /",
        "language": "an ISO 639 code such as fr or fr-BE",
        "email": "an e-mail address",
    }.get(last, "see the catalog format in the README")


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    cur: Any = model
    for part in loc:
        if isinstance(part, int) or cur is None:
            continue
        info = cur.model_fields.get(part)
        cur = _inner_model(info.annotation) if info else None
    return list(cur.model_fields) if cur is not None else []


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found:
            return found
    return None


def _validate(model: type[BaseModel], data: Any, shown: str, errors: list[ArtoiscastError]) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append(CatalogError("the file must hold a mapping of keys to values", path=shown))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found: list[tuple[str, str]] = []
        for err in exc.errors(include_url=False):
            item = _message(dict(err), model)
            if item not in found:  # a union field reports once per member type
                found.append(item)
        # a misspelt key is one problem, not two: drop "missing" for the key it was meant to be
        meant = {where.rsplit(".", 1)[0] + "." + m.group(1) if "." in where else m.group(1)
                 for where, reason in found if (m := re.search(r"did you mean '([^']+)'", reason))}
        for where, reason in found:
            if not (reason.startswith("required field is missing") and where in meant):
                errors.append(CatalogError(reason, path=shown, field=where or None))
        return None


# ---------------------------------------------------------------- side files


def _side_file(folder: Path, rel: str, shown: str, fld: str, errors: list[ArtoiscastError]) -> Path | None:
    """Resolve a path written in an episode file; it must stay inside the episode folder."""
    if rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel) or ".." in Path(rel).parts:
        errors.append(CatalogError(f'"{rel}" leaves the episode folder (give a file name inside it)', path=shown, field=fld))
        return None
    path = folder / rel
    if _plain_file(folder, Path(rel).parts):
        return path
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        errors.append(CatalogError(f'"{rel}" not found (put the file beside episode.yaml)', path=shown, field=fld))
        return None
    if not real.is_relative_to(folder.resolve()):
        errors.append(CatalogError(f'"{rel}" is a link out of the episode folder (copy the file in)', path=shown, field=fld))
        return None
    if not real.is_file():
        errors.append(CatalogError(f'"{rel}" is not a file', path=shown, field=fld))
        return None
    return path


def _plain_file(folder: Path, parts: tuple[str, ...]) -> bool:
    """True when ``folder/parts`` is a regular file reached through real folders only (no symlink).

    Then it is inside the folder without resolving anything: one lstat per part instead of
    ``Path.resolve`` (an lstat per component of the whole path). Anything else (links, missing
    files) goes through the full check of ``_side_file``.
    """
    if not parts:
        return False
    cur = str(folder)
    for i, part in enumerate(parts):
        cur = os.path.join(cur, part)
        try:
            mode = os.lstat(cur).st_mode
        except OSError:
            return False
        if not (stat.S_ISREG(mode) if i == len(parts) - 1 else stat.S_ISDIR(mode)):
            return False
    return True


def _root_file(root: Path, base: Path, rel: str, shown: str, fld: str, errors: list[ArtoiscastError]) -> Path:
    path = base / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute():
        errors.append(CatalogError(f'"{rel}" leaves the catalog folder', path=shown, field=fld))
    elif not path.is_file():
        errors.append(
            CatalogError(f'"{rel}" not found (add the image, or run scripts/make_demo_audio for the demo)', path=shown, field=fld)
        )
    return path


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


def _load_clean(folders: Sequence[Path], *, root: Path, podcast: Podcast | None, themes: list[str]) -> list[Episode | None]:
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
    if not (root / "podcast.yaml").is_file():
        raise ErrorList([CatalogError("not found (run artoiscast init, or --root the catalog folder)", path="podcast.yaml")])
    podcast: Podcast | None = _read(root, root / "podcast.yaml", Podcast, errors)
    if podcast is not None:
        _root_file(root, root, podcast.artwork, "podcast.yaml", "artwork", files_errors)

    feeds: dict[str, Feed] = {}
    raw_themes: set[str] = set()
    feed_dir = root / "feeds"
    for path in sorted(feed_dir.glob("*.yaml")) if feed_dir.is_dir() else []:
        name, shown = path.stem, _rel(root, path)
        if not SLUG_RE.match(name) or name in RESERVED_FEEDS:
            errors.append(CatalogError(f'"{name}" is not a usable feed name (a-z, 0-9, -; not all/publisher)', path=shown))
            continue
        fd: FeedDef | None = _read(root, path, FeedDef, errors)
        if fd is None:  # still know its themes, so episodes are not blamed for a broken feed file
            raw_themes.update(_raw_themes(path, name))
            continue
        art = _root_file(root, feed_dir, fd.artwork, shown, "artwork", files_errors)
        url = f"{podcast.base_url if podcast else ''}feeds/{name}.xml"
        feeds[name] = Feed(name, fd.title, fd.description, art, fd.category, tuple(fd.themes), fd.guid or podcast_guid(url),
                           fd.update_frequency)
    if not feeds:
        errors.append(CatalogError("no feed definitions (add feeds/<name>.yaml)", path="feeds"))
    themes = sorted({t for f in feeds.values() for t in f.themes} | raw_themes)
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
    folders = _episode_folders(ep_dir)
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


def _episode_folders(ep_dir: Path) -> list[Path]:
    """The episode folders (not hidden), sorted by name."""
    try:
        with os.scandir(ep_dir) as it:
            names = sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [ep_dir / name for name in names]


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
    themes: list[str],
    errors: list[ArtoiscastError],
    files_errors: list[ArtoiscastError],
) -> Episode | None:
    shown = f"{_rel(root, folder)}/episode.yaml"
    if not SLUG_RE.match(folder.name):
        errors.append(CatalogError(
            f'folder name "{folder.name}" is not a valid slug (lower-case a-z, 0-9 and -, at most 80 characters)',
            path=_rel(root, folder)))
        return None
    try:
        with os.scandir(folder) as it:  # one directory read, not a stat per optional file
            entries = {e.name: e for e in it}
    except OSError:
        entries = {}

    def is_file(name: str) -> bool:
        return name in entries and entries[name].is_file()

    if not is_file("episode.yaml"):
        errors.append(CatalogError("missing (every episode folder needs one)", path=shown))
        return None
    doc: EpisodeDoc | None = _read(root, folder / "episode.yaml", EpisodeDoc, errors, shown)
    if doc is None:
        return None
    if doc.host is None and podcast is not None and podcast.host:
        doc = doc.model_copy(update={"host": podcast.host})
    for i, theme in enumerate(doc.themes):
        if theme not in themes:
            near = difflib.get_close_matches(theme, themes, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"one of: {', '.join(themes)}"
            errors.append(CatalogError(f'"{theme}" is not a theme of any feed ({hint})', path=shown, field=f"themes[{i}]"))
    audio = _side_file(folder, doc.audio, shown, "audio", files_errors) or folder / doc.audio
    transcript = chapters = image = None
    if doc.transcript:
        transcript = _side_file(folder, doc.transcript, shown, "transcript", errors)
    else:
        transcript = next((folder / n for n in TRANSCRIPT_NAMES if is_file(n)), None)
    if doc.chapters:
        chapters = _side_file(folder, doc.chapters, shown, "chapters", errors)
    elif is_file("chapters.yaml"):
        chapters = folder / "chapters.yaml"
    if doc.image:
        image = _side_file(folder, doc.image, shown, "image", errors)
    guid = doc.guid or (str(uuid.uuid5(podcast.guid, folder.name)) if podcast else folder.name)
    return Episode(folder.name, folder, doc, guid, audio, transcript, chapters, image)
