"""The pipeline in one place: catalog -> ingest -> transcripts -> feeds and pages -> build/site.

Everything is gathered first; if any episode fails, nothing is written to ``build/site``
(the errors are reported together). The output is deterministic: the same catalog and
audio give the same bytes (build time from ``SOURCE_DATE_EPOCH`` or the newest episode).

A scheduled episode (dated after ``now``) is ingested and its side files checked, but nothing
of it reaches ``build/site`` (no media, transcript, chapters, art, page or manifest entry)
until its date; its guid and date go only to the private ``build/schedule.json``.

The stages live in their modules (``stamp``: the no-change fast path; ``artwork``; ``ingest``:
normalised and tagged MP3s; ``transcripts``; ``thumbnails``: the images' thumbnails and the
icons, cached in ``build/thumbs``; ``feeds``; ``site``; ``compress``: the ``.br`` and ``.gz``
sidecars of the text files, cached in ``build/compressed``); this one calls them in order
and writes the tree and ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from artoiscast import feeds as feedmod
from artoiscast import stamp, workspace
from artoiscast.artwork import FeedArt, episode_art, feed_art
from artoiscast.built import BuiltEpisode
from artoiscast.catalog import Catalog, Episode, load_catalog, soundbite_problems
from artoiscast.compress import sidecars
from artoiscast.errors import ArtoiscastError, ErrorList, WriteError
from artoiscast.feeds_fast import render_feeds_fast
from artoiscast.ingest import IngestRecord, Tagger, ingest_all, media_key
from artoiscast.ingest import file_sha256 as _file_sha256
from artoiscast.models import Chapter, MediaRecord
from artoiscast.progress import NULL, Events
from artoiscast.site import Thumbs, render_site, show_notes
from artoiscast.thumbnails import thumbnails
from artoiscast.transcribe.record import generated
from artoiscast.transcripts import (
    Transcript,
    chapters_json,
    load_chapters,
    load_transcript,
    side_files,
)
from artoiscast.values import with_slash

MANIFEST = "manifest.json"
SCHEDULE = "schedule.json"


@dataclass
class BuildResult:
    root: Path
    out: Path
    base_url: str
    files: dict[str, dict[str, object]]
    feeds: dict[str, list[str]]  # feed name -> slugs
    written: int = 0
    skipped: bool = False  # nothing changed since the last build: no work at all was done
    records: dict[str, IngestRecord] = field(default_factory=dict)
    _catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        """The catalog built (loaded on first use when the build was skipped)."""
        if self._catalog is None:
            self._catalog = load_catalog(self.root)
        return self._catalog


def build(
    root: Path,
    *,
    base_url: str | None = None,
    out: Path | None = None,
    jobs: int | None = None,
    now: datetime | None = None,
    events: Events = NULL,
    on_wait: Callable[[], None] | None = None,
) -> BuildResult:
    """Run the whole pipeline into ``out`` (default ``<root>/build/site``).

    ``base_url`` overrides the catalog's (the demo serves on 127.0.0.1). Episodes dated
    after ``now`` (default: the clock) are ingested but left out of ``out`` entirely, and
    listed in ``schedule.json`` beside it (never published). Returns a BuildResult. Raises
    ErrorList with every problem when anything fails; then nothing in ``out`` has changed.
    ``events`` is told how the ingest goes (see :func:`~artoiscast.ingest.ingest_all`). When nothing the build reads has changed since the last build (same files, sizes and
    mtimes; no scheduled episode come due), it returns at once with ``skipped`` set: no
    catalog load, no audio work, no rendering.

    One build at a time per checkout: the build holds ``build/.lock`` throughout (another
    one waits, after ``on_wait()``, and then finds its work done or does it), and first removes
    what a killed build left there (``workspace``). Raises WriteError when ``build/`` cannot be
    written (disk full, a file where a folder must be...): each file in ``out`` is then whole,
    the old one or the new, and the ingests that completed are kept in ``build/ingest``.
    """
    root = Path(root)
    out = out or root / "build" / "site"
    errors: list[ArtoiscastError] = []  # those found before a write fails are reported with it
    with workspace.lock(root / "build", on_wait=on_wait, root=root):
        try:
            with workspace.writing(root, root / "build", out):
                return _build(root, base_url=base_url, out=out, jobs=jobs, now=now, events=events, errors=errors)
        except ErrorList:  # it already holds ``errors``
            raise
        except ArtoiscastError as exc:
            if not errors:
                raise
            raise ErrorList([*errors, exc]) from exc


def _build(
    root: Path,
    *,
    base_url: str | None,
    out: Path,
    jobs: int | None,
    now: datetime | None,
    events: Events,
    errors: list[ArtoiscastError],
) -> BuildResult:
    """The pipeline, holding the lock of ``build/``; the problems found go to ``errors``."""
    now = now or datetime.now(timezone.utc)
    fingerprint = stamp.input_fingerprint(root, base_url, out)
    if (previous := stamp.unchanged(root, out / MANIFEST, fingerprint, now)) is not None:
        return BuildResult(root, out, previous.base_url, previous.files, previous.feeds, skipped=True)
    catalog = load_catalog(root)
    base = _base_url(catalog, base_url)
    art = feed_art(catalog)
    errors += art.errors
    records = _ingest(catalog, root, jobs, events, errors)
    (root / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tag-", dir=root / "build") as tmp:
        tagger = Tagger(catalog, feed_url=feedmod.feed_url(base, "all"), artwork=art.cover, folder=Path(tmp))
        episodes, episode_files, scheduled = assemble(catalog, records, base, tagger, now, errors)
        if errors:
            raise ErrorList(errors)
        built = build_time(catalog, [e for e in catalog.episodes if e.published <= now])
        items = feed_items(catalog, episodes, now)
        made = thumbnails(_images(art, episodes, episode_files), root / "build" / "thumbs", icons_from=art.paths.get("all"))
        files = {**art.files, **episode_files, **made.files, **render(catalog, items, base, art, built, made.thumbs)}
        files.update(sidecars(files, root / "build" / "compressed"))
        doc = manifest(catalog, base, built, files, items, episodes)
        files[MANIFEST] = listed = (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        written = write_tree(out, files)
        write_schedule(out, listed, scheduled)
    feeds = {name: [pe.slug for pe in v] for name, v in items.items()}
    stamp.write(root, fingerprint, base_url=base, feeds=feeds, manifest=out / MANIFEST, catalog=catalog, now=now)
    return BuildResult(root, out, base, doc["files"], feeds, written, records=records, _catalog=catalog)


# ---------------------------------------------------------------- the stages


def _base_url(catalog: Catalog, override: str | None) -> str:
    """The base URL of every published link: ``override`` (``--base-url``) or the catalog's, ending in /."""
    base = override or catalog.podcast.base_url
    return with_slash(base)


def _ingest(catalog: Catalog, root: Path, jobs: int | None, events: Events,
            errors: list[ArtoiscastError]) -> dict[str, IngestRecord]:
    """Every episode normalised into ``build/ingest``: the records by slug, the failures added to
    ``errors``. Raises ErrorList at once when a write failed (a full disk: tagging copies would only
    fail too)."""
    records, ingest_errors = ingest_all(catalog, root / "build" / "ingest", jobs=jobs, events=events)
    errors += ingest_errors
    if any(isinstance(e, WriteError) for e in ingest_errors):
        raise ErrorList(errors)
    return records


@dataclass
class _Sides:
    """One episode's side files, loaded and checked: what its feed item and page link to."""

    files: dict[str, bytes]  # published path -> bytes: transcripts, chapters, its image
    chapters: list[Chapter]
    transcript: Transcript | None
    transcripts: list[tuple[str, str]]  # (path, extension)
    chapters_path: str | None
    image: str | None
    generated: bool  # the transcript is a machine's (transcribe's record names it), not marked reviewed


def _side_files(catalog: Catalog, ep: Episode, rec: IngestRecord, base_url: str) -> _Sides:
    """Transcripts, chapters and image of one episode, their times (and its soundbites') checked
    against the audio's duration. Raises ArtoiscastError."""
    shown = f"episodes/{ep.slug}"
    if late := soundbite_problems(ep, rec.duration):
        raise ErrorList(list(late))
    chapters = load_chapters(ep.chapters, rec.duration, f"{shown}/{ep.chapters.name}") if ep.chapters else []
    transcript = load_transcript(ep.transcript, rec.duration, f"{shown}/{ep.transcript.name}") if ep.transcript else None
    files: dict[str, bytes] = {}
    paths: list[tuple[str, str]] = []
    if transcript:
        language = ep.language or catalog.podcast.language
        for ext, data in side_files(transcript, title=ep.title, language=language).items():
            files[f"transcripts/{ep.slug}.{ext}"] = data
            paths.append((f"transcripts/{ep.slug}.{ext}", ext))
    chapters_path = None
    if chapters:
        chapters_path = f"chapters/{ep.slug}.json"
        files[chapters_path] = chapters_json(chapters, title=ep.title, podcast=catalog.podcast.title, base_url=base_url)
    image = None
    if own := episode_art(ep):
        image, files[image] = own
    machine = transcript is not None and generated(ep.dir, ep.transcript, ep.transcript_reviewed)
    return _Sides(files, chapters, transcript, paths, chapters_path, image, machine)


def assemble_episode(catalog: Catalog, ep: Episode, rec: IngestRecord, base_url: str,
                     tagger: Tagger) -> tuple[BuiltEpisode, dict[str, bytes | Path]]:
    """One published episode: its side files and its tagged MP3 (by published path), and what the
    feeds and pages say of it. Raises ArtoiscastError."""
    sides = _side_files(catalog, ep, rec, base_url)
    tagged = tagger.tag(ep, rec, sides.chapters)
    media = media_key(ep.slug, rec)
    episode = BuiltEpisode(
        episode=ep, mp3=MediaRecord(media, tagged.stat().st_size, rec.duration, rec.after.as_dict()),
        notes_html=show_notes(ep, sides.chapters), transcript=sides.transcript,
        transcripts=tuple(sides.transcripts), generated=sides.generated, chapters=tuple(sides.chapters),
        chapters_path=sides.chapters_path, image=sides.image,
    )
    return episode, {**sides.files, media: tagged}


def assemble(catalog: Catalog, records: dict[str, IngestRecord], base_url: str, tagger: Tagger, now: datetime,
             errors: list[ArtoiscastError]) -> tuple[dict[str, BuiltEpisode], dict[str, bytes | Path],
                                                     list[Episode]]:
    """Every ingested episode dated by ``now`` assembled (:func:`assemble_episode`): (episodes by
    slug, their files by published path, the scheduled episodes). A scheduled episode's side files
    are checked now, so its day holds no surprise, but nothing of it (media, side files, art,
    manifest entry) is built before its date. Failures are added to ``errors``."""
    episodes: dict[str, BuiltEpisode] = {}
    files: dict[str, bytes | Path] = {}
    scheduled: list[Episode] = []
    for ep in catalog.episodes:
        if ep.slug not in records:
            continue
        try:
            if ep.published <= now:
                episodes[ep.slug], own = assemble_episode(catalog, ep, records[ep.slug], base_url, tagger)
                files.update(own)
            else:
                _side_files(catalog, ep, records[ep.slug], base_url)
                scheduled.append(ep)
        except ArtoiscastError as exc:
            errors.append(exc)
    return episodes, files, scheduled


def feed_items(catalog: Catalog, episodes: dict[str, BuiltEpisode],
               now: datetime) -> dict[str, list[BuiltEpisode]]:
    """Each feed's published episodes by feed name, newest first (``Catalog.feed_episodes``)."""
    return {name: [episodes[e.slug] for e in catalog.feed_episodes(feed, now)] for name, feed in catalog.feeds.items()}


def build_time(catalog: Catalog, published: list[Episode]) -> datetime | None:
    """SOURCE_DATE_EPOCH when set, else the newest published episode's date (never the wall clock);
    None when nothing is published yet (a new show: the feeds then carry no ``lastBuildDate``)."""
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return datetime.fromtimestamp(int(sde), tz=timezone.utc)
    if published:
        return max(e.published for e in published)
    return None


def _images(art: FeedArt, episodes: dict[str, BuiltEpisode], files: dict[str, bytes | Path]) -> dict[str, bytes]:
    """Every published image (the feeds' artwork, the published episodes' own) by published path."""
    images = dict(art.files)
    for pe in episodes.values():
        if pe.image and isinstance(data := files.get(pe.image), bytes):
            images[pe.image] = data
    return images


def render(catalog: Catalog, items: dict[str, list[BuiltEpisode]], base_url: str, art: FeedArt,
           built: datetime | None, thumbs: Thumbs | None = None) -> dict[str, bytes]:
    """The feeds (one per feed, and the publisher feed) and the pages, by published path.
    ``items`` maps feed name -> its episodes, newest first; ``thumbs`` an image's thumbnails."""
    # all feeds at once, each item serialised once: the bytes of feeds.render_feed, faster
    files = {f"feeds/{name}.xml": xml
             for name, xml in render_feeds_fast(catalog, items, base_url=base_url, art=art.paths, built=built).items()}
    files["feeds/publisher.xml"] = feedmod.render_publisher(catalog, base_url=base_url, art=art.paths, built=built)
    files.update(render_site(catalog, items, base_url=base_url, art=art.paths, thumbs=thumbs))
    return files


# ---------------------------------------------------------------- the manifest and the output tree


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def id3_size(path: Path) -> int:
    """Bytes of the ID3v2 tag at the start of an MP3 (header, frames, padding, footer), 0 if none."""
    with path.open("rb") as f:
        head = f.read(10)
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
    return 10 + size + (10 if head[5] & 0x10 else 0)


def manifest(catalog: Catalog, base: str, built: datetime | None, files: dict[str, bytes | Path],
             items: dict[str, list[BuiltEpisode]], published: dict[str, BuiltEpisode]) -> dict[str, Any]:
    """``manifest.json``'s content: every file of ``files`` (sha256, size) and every published
    episode (guid, media, length, duration, loudness, feeds, and where its audio starts)."""
    listing = {}
    for path, data in sorted(files.items()):
        digest = _file_sha256(data) if isinstance(data, Path) else sha256(data)
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        listing[path] = {"sha256": digest, "size": size}
    episodes = {}
    kbps = catalog.podcast.audio.kbps
    for slug, pe in sorted(published.items()):
        media = files.get(pe.media)
        episodes[slug] = {
            "guid": pe.episode.guid, "media": pe.media, "length": pe.length, "duration": round(pe.duration, 3),
            "loudness": pe.loudness, "feeds": [n for n, v in items.items() if pe in v],
            # what artoiscast stats needs for the IAB one-minute rule: one minute of audio is
            # audio_offset + 60 * bitrate * 1000 / 8 bytes (or the whole file when shorter)
            "bitrate": kbps, "audio_offset": id3_size(media) if isinstance(media, Path) else 0,
        }
    doc = {"version": 1, "base_url": base, "built": built.isoformat() if built else None, "episodes": episodes,
           "files": listing}
    if catalog.podcast.moved_to:  # the show has left: publish makes each feed a redirect there
        doc["moved_to"] = catalog.podcast.moved_to
    return doc


def write_schedule(out: Path, manifest: bytes, scheduled: list[Episode]) -> None:
    """``schedule.json`` beside ``out`` (never inside: it is not published): the scheduled episodes'
    guids and dates, so that publish can say that a published episode was postponed, and to when,
    without the date being public. It names the manifest it goes with; publish ignores it otherwise."""
    doc = {"manifest_sha256": sha256(manifest),
           "episodes": {e.slug: {"guid": e.guid, "date": e.published.isoformat()} for e in scheduled}}
    path = out.parent / SCHEDULE
    tmp = path.with_name(f".{SCHEDULE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError:  # only a better message depends on it: publish then says "removed, renamed or postponed"
        tmp.unlink(missing_ok=True)


def _same(dest: Path, data: bytes | Path) -> bool:
    if not dest.is_file():
        return False
    if isinstance(data, Path):
        return dest.stat().st_size == data.stat().st_size and _file_sha256(dest) == _file_sha256(data)
    return dest.stat().st_size == len(data) and dest.read_bytes() == data


def write_tree(out: Path, files: dict[str, bytes | Path]) -> int:
    """Make ``out`` hold exactly ``files``, writing only what differs (each file whole or not at
    all); the manifest goes last. Raises OSError (a full disk...): the caller says it in one line."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(files, key=lambda p: p == MANIFEST):
        data = files[path]
        dest = out / path
        if _same(dest, data):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        workspace.write_whole(dest, data)
        written += 1
    keep = {out / p for p in files}
    for old in sorted(out.rglob("*"), reverse=True):
        if old.is_file() and old not in keep:
            old.unlink()
        elif old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    return written
