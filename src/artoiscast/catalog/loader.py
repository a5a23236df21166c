"""Loading the catalog: ``podcast.yaml``, ``feeds/*.yaml``, ``episodes/<slug>/episode.yaml``.

Reads only; never writes. Everything is read and every problem of every file is
collected before anything is returned, so the producer sees all of them at once
(:class:`~artoiscast.errors.ErrorList`).
"""

from __future__ import annotations

import difflib
import functools
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from artoiscast.catalog.files import (
    CATALOG,
    NO_PODCAST,
    episode_folders,
    listing,
    named_file,
    root_file,
    side_file,
)
from artoiscast.catalog.messages import validate
from artoiscast.catalog.records import (
    SOUNDBITE_RECOMMENDED,
    Catalog,
    Episode,
    Feed,
    podcast_guid,
    spread_same_day,
)
from artoiscast.catalog.schema import Category, EpisodeDoc, FeedDef, Podcast
from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList
from artoiscast.parallel import in_two
from artoiscast import paths
from artoiscast.paths import Unsafe, list_folder, safe_file
from artoiscast.yamlio import load_yaml

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
TRANSCRIPT_NAMES = ("transcript.vtt", "transcript.srt", "transcript.txt")
RESERVED_FEEDS = {"all", "publisher"}


def _catalog_warnings(podcast: Podcast, episodes: Sequence[Episode]) -> list[ArtoiscastError]:
    """Advice ``artoiscast check`` prints (``--strict`` fails on it): episodes sharing a bare date,
    an unpinned publisher guid, soundbites outside the recommended length, a season named two ways."""
    out: list[ArtoiscastError] = []
    if podcast.publisher_guid is None:
        derived = podcast_guid(f"{podcast.base_url}feeds/publisher.xml")
        out.append(CatalogError(
            f'not set: the publisher feed\'s guid is derived from base_url and would change with it (pin it: '
            f'publisher_guid: "{derived}")', path="podcast.yaml", field="publisher_guid"))
    if podcast.previous_urls and podcast.guid == podcast_guid(f"{podcast.base_url}feeds/all.xml"):
        old = podcast_guid(podcast.previous_urls[0])  # moved in, yet the guid is the new URL's: a new show to apps
        out.append(CatalogError(
            f"is derived from this base_url, not from the feed the show came from: apps and indexes would see a "
            f'new show (keep the old feed\'s podcast:guid; without one, its URL\'s: guid: "{old}")',
            path="podcast.yaml", field="guid"))
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
    return out + _tag_warnings(episodes)


def _tag_warnings(episodes: Sequence[Episode]) -> list[ArtoiscastError]:
    """Soundbites shorter or longer than the namespace recommends (apps still play them), and a
    season number given two names (apps would group its episodes under either)."""
    out: list[ArtoiscastError] = []
    low, high = SOUNDBITE_RECOMMENDED
    names: dict[int, tuple[str, str]] = {}  # season -> (name, slug that gave it first)
    for ep in sorted(episodes, key=lambda e: e.slug):
        shown = f"episodes/{ep.slug}/episode.yaml"
        for i, sb in enumerate(ep.soundbites):
            if not low <= sb.duration <= high:
                out.append(CatalogError(
                    f"{sb.duration:g} s: the namespace recommends {low:g} to {high:g} s for a soundbite "
                    f"(apps may skip it)", path=shown, field=f"soundbites[{i}].duration"))
        if ep.season is not None and ep.season_name is not None:
            first = names.setdefault(ep.season, (ep.season_name, ep.slug))
            if first[0] != ep.season_name:
                out.append(CatalogError(
                    f'"{ep.season_name}" names season {ep.season}, which episodes/{first[1]} calls "{first[0]}" '
                    f"(give every episode of a season the same name)", path=shown, field="season_name"))
    return out


def _read(root: Path, path: Path, model: type[BaseModel], errors: list[ArtoiscastError], shown: str | None = None) -> Any:
    """``path`` validated as ``model`` (``shown``: the path as reported), or None with its errors added."""
    shown = shown or paths.shown(path, root)
    try:
        data = load_yaml(path, shown)
    except ArtoiscastError as exc:
        errors.append(exc)
        return None
    return validate(model, data, shown, errors)


def load_catalog(root: Path, *, check_files: bool = True, fast: bool = True) -> Catalog:
    """Read and validate the whole catalog under ``root``.

    Returns a :class:`Catalog` with episodes newest first. Raises :class:`ErrorList`
    with every problem found (one per line) when anything is wrong. With
    ``check_files=False`` missing audio and artwork are not errors (``check --catalog-only``).
    With ``fast=False`` the episodes are loaded by :func:`load_episodes` alone, never by the
    fast path :func:`load_episodes_in_two` (the result is the same; tests compare them).
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
        root_file(root, root, podcast.artwork, "podcast.yaml", "artwork", files_errors)

    feeds: dict[str, Feed] = {}
    raw_themes: set[str] = set()
    feed_dir = root / "feeds"
    n_errors = len(errors)
    feed_entries = listing(root, feed_dir, errors)
    feeds_unread = len(errors) > n_errors  # feeds/ is there but cannot be read
    for file_name in sorted(n for n in feed_entries or {} if n.endswith(".yaml")):
        path = feed_dir / file_name
        name, shown = path.stem, paths.shown(path, root)
        if not SLUG_RE.match(name) or name in RESERVED_FEEDS:
            errors.append(CatalogError(f'"{name}" is not a usable feed name (a-z, 0-9, -; not all/publisher)', path=shown))
            continue
        entry = feed_entries[file_name]  # type: ignore[index]
        if not entry.is_file(follow_symlinks=False) and not named_file(root, feed_dir, entry, errors, within=root, scope=CATALOG):
            raw_themes.add(name)  # not read: its name is the best guess of its theme
            continue
        fd: FeedDef | None = _read(root, path, FeedDef, errors)
        if fd is None:  # still know its themes, so episodes are not blamed for a broken feed file
            raw_themes.update(_raw_themes(path, name))
            continue
        art = root_file(root, feed_dir, fd.artwork, shown, "artwork", files_errors)
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

    folders = episode_folders(root, root / "episodes", errors)
    load = load_episodes_in_two if fast else load_episodes
    episodes = load(root, folders, podcast, themes, errors, files_errors)

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


def load_episodes(root: Path, folders: Sequence[Path], podcast: Podcast | None, themes: list[str] | None,
                  errors: list[ArtoiscastError], files_errors: list[ArtoiscastError]) -> list[Episode]:
    """The episodes of ``folders``, in order, read one after the other; the problems of each are
    added to ``errors`` (those about missing files to ``files_errors``) in folder order."""
    out: list[Episode] = []
    for folder in folders:
        ep = _load_episode(root, folder, podcast, themes, errors, files_errors)
        if ep is not None:
            out.append(ep)
    return out


# From this many episodes a second process loads half of them (reading, parsing and validating
# 10,000 files takes seconds); below, starting it costs more than it saves.
PARALLEL_FILES = 1000


def _load_clean(folders: Sequence[Path], *, root: Path, podcast: Podcast | None,
                themes: list[str] | None) -> list[Episode | None]:
    """Each folder's Episode, or None when it has any problem (:func:`load_episodes_in_two` loads
    those again to report them in order). Runs in a second process for half of a large catalog."""
    out: list[Episode | None] = []
    for folder in folders:
        problems: list[ArtoiscastError] = []
        ep = _load_episode(root, folder, podcast, themes, problems, problems)
        out.append(ep if not problems else None)
    return out


def load_episodes_in_two(root: Path, folders: Sequence[Path], podcast: Podcast | None, themes: list[str] | None,
                         errors: list[ArtoiscastError], files_errors: list[ArtoiscastError]) -> list[Episode]:
    """Fast path of :func:`load_episodes`, with the same result: from ``PARALLEL_FILES`` folders on,
    a forked child reads, parses and validates half of them (:func:`artoiscast.parallel.in_two`).
    Folders with any problem are then loaded again here, in order, so the errors read as
    :func:`load_episodes` gives them. Below ``PARALLEL_FILES`` it is :func:`load_episodes`."""
    if len(folders) < PARALLEL_FILES:
        return load_episodes(root, folders, podcast, themes, errors, files_errors)
    loaded: list[Episode | None] = in_two(functools.partial(_load_clean, root=root, podcast=podcast, themes=themes),
                                          folders, at_least=PARALLEL_FILES)
    out: list[Episode] = []
    for folder, ep in zip(folders, loaded, strict=True):
        if ep is None:  # with problems: again here, its errors in folder order
            ep = _load_episode(root, folder, podcast, themes, errors, files_errors)
        if ep is not None:
            out.append(ep)
    return out


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
    shown = f"{paths.shown(folder, root)}/episode.yaml"
    if not SLUG_RE.match(folder.name):
        errors.append(CatalogError(
            f'folder name "{folder.name}" is not a valid slug (lower-case a-z, 0-9 and -, at most 80 characters)',
            path=paths.shown(folder, root)))
        return None
    try:  # one directory read, not a stat per optional file
        entries = list_folder(folder) or {}
    except Unsafe as exc:  # not the same as empty: not "episode.yaml: missing"
        errors.append(CatalogError(exc.reason, path=paths.shown(folder, root)))
        return None
    if "episode.yaml" not in entries:
        errors.append(CatalogError("missing (every episode folder needs one)", path=shown))
        return None
    if not entries["episode.yaml"].is_file(follow_symlinks=False) and not named_file(root, folder, entries["episode.yaml"], errors):
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
    audio = side_file(folder, doc.audio, shown, "audio", files_errors) or folder / doc.audio
    transcript = chapters = image = None
    if doc.transcript:
        transcript = side_file(folder, doc.transcript, shown, "transcript", errors)
    elif found := next((n for n in TRANSCRIPT_NAMES if n in entries), None):  # found by name: the same checks
        transcript = named_file(root, folder, entries[found], errors)
    if doc.chapters:
        chapters = side_file(folder, doc.chapters, shown, "chapters", errors)
    elif "chapters.yaml" in entries:
        chapters = named_file(root, folder, entries["chapters.yaml"], errors)
    if doc.image:
        image = side_file(folder, doc.image, shown, "image", errors)
    guid = doc.guid or (str(uuid.uuid5(podcast.guid, folder.name)) if podcast else folder.name)
    return Episode(folder.name, folder, doc, guid, audio, transcript, chapters, image)
