"""The pipeline in one place: catalog -> ingest -> transcripts -> feeds and pages -> build/site.

Everything is gathered first; if any episode fails, nothing is written to ``build/site``
(the errors are reported together). The output is deterministic: the same catalog and
audio give the same bytes (build time from ``SOURCE_DATE_EPOCH`` or the newest episode).

A scheduled episode (dated after ``now``) is ingested and its side files checked, but nothing
of it reaches ``build/site`` (no media, transcript, chapters, art, page or manifest entry)
until its date; its guid and date go only to the private ``build/schedule.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from artoiscast import feeds as feedmod, workspace
from artoiscast.artwork import check_artwork
from artoiscast.audio.tags import Chapter, TagData, cover_jpeg, write_tags
from artoiscast.catalog import Catalog, Episode, load_catalog
from artoiscast.errors import ArtoiscastError, ErrorList, WriteError
from artoiscast.ingest import IngestRecord, file_sha256 as _file_sha256, ingest_all
from artoiscast.progress import NULL, Events
from artoiscast.published import PublishedEpisode
from artoiscast.site import render_site
from artoiscast.transcripts import (
    Transcript, chapters_json, fmt_time, load_chapters, load_transcript, markdown_html, side_files,
)

MANIFEST = "manifest.json"
ISO639_2 = {"fr": "fra", "en": "eng", "nl": "nld", "de": "deu", "es": "spa", "it": "ita"}


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


# ---------------------------------------------------------------- no-change fast path

STAMP = "stamp.json"


def input_fingerprint(root: Path, base_url: str | None, out: Path) -> str:
    """A hash of everything a build reads, from file metadata only (sizes and mtimes, no contents).

    Covers the catalog (podcast.yaml, feeds/, episodes/ with their audio and side files),
    the package itself (code and templates), the base URL override, SOURCE_DATE_EPOCH
    and the output folder.
    """
    from artoiscast import __version__
    from artoiscast.ingest import PIPELINE_VERSION

    h = hashlib.sha256(json.dumps([__version__, PIPELINE_VERSION, base_url, str(out),
                                   os.environ.get("SOURCE_DATE_EPOCH")]).encode())
    package = Path(__file__).resolve().parent
    for top in (root / "podcast.yaml", root / "feeds", root / "episodes", package):
        entries = [(top, top.stat())] if top.is_file() else _walk(top)
        for path, st in entries:
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _walk(top: Path | str) -> list[tuple[str, os.stat_result]]:
    """(path, stat) of every file under ``top`` that is not hidden, by sorted name, each folder's
    files before its subfolders (as os.walk, top-down, not into linked folders, unreadable ones
    skipped; a link to a file gives its target's stat, a broken or looping link its own). Strings,
    not Paths: 20,000 files of a large catalog are stat'ed on every build."""
    found: list[tuple[str, os.stat_result]] = []
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return found
    subdirs = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.name.startswith(".") and entry.name != "__pycache__" and not entry.is_symlink():
                subdirs.append(entry.path)
        elif not entry.name.startswith("."):
            try:
                st = entry.stat()  # through a link: a changed target is a change
            except OSError:  # a symlink loop or a dangling link: the link itself (the catalog says what is wrong)
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
            found.append((entry.path, st))
    for sub in subdirs:
        found += _walk(sub)
    return found


def _skip(root: Path, out: Path, fingerprint: str, now: datetime) -> BuildResult | None:
    """The previous result, if nothing a build reads has changed and no scheduled episode has come due."""
    try:
        stamp = json.loads((root / "build" / STAMP).read_text())
        manifest = (out / MANIFEST).read_bytes()
    except (OSError, ValueError):
        return None
    due = stamp.get("next_change")
    if stamp.get("fingerprint") != fingerprint or sha256(manifest) != stamp.get("manifest_sha256"):
        return None
    if due and now >= datetime.fromisoformat(due):
        return None
    files = json.loads(manifest)["files"]
    for key, info in files.items():  # the output itself must still be there
        try:
            if (out / key).stat().st_size != info["size"]:
                return None
        except OSError:
            return None
    return BuildResult(root, out, stamp["base_url"], files, stamp["feeds"], skipped=True)


def _write_stamp(root: Path, fingerprint: str, result: BuildResult, catalog: Catalog, now: datetime) -> None:
    upcoming = [e.published for e in catalog.episodes if e.published > now]
    stamp = {
        "fingerprint": fingerprint, "base_url": result.base_url, "feeds": result.feeds,
        "manifest_sha256": _file_sha256(result.out / MANIFEST),
        "next_change": min(upcoming).isoformat() if upcoming else None,
    }
    (root / "build").mkdir(exist_ok=True)
    _write_whole(root / "build" / STAMP, json.dumps(stamp, indent=1, sort_keys=True).encode())


def build_time(catalog: Catalog, published: list[Episode]) -> datetime:
    """SOURCE_DATE_EPOCH when set, else the newest published episode's date (never the wall clock)."""
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return datetime.fromtimestamp(int(sde), tz=timezone.utc)
    if published:
        return max(e.published for e in published)
    return datetime(2000, 1, 1, tzinfo=timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _notes_html(ep: Episode, chapters: list[Chapter]) -> str:
    """Show notes for content:encoded: the summary and Markdown notes, then guests, place and chapters."""
    parts = [f"<p>{html.escape(ep.summary)}</p>"]
    if ep.notes:
        parts.append(markdown_html(ep.notes))
    if ep.guests:
        items = "".join(
            "<li>" + html.escape(g.name) + (f", {html.escape(g.role)}" if g.role else "")
            + (f" ({html.escape(g.organisation)})" if g.organisation else "") + "</li>"
            for g in ep.guests
        )
        parts.append(f"<h3>Invités</h3><ul>{items}</ul>")
    if ep.location:
        parts.append(f"<p><strong>Lieu :</strong> {html.escape(ep.location.name)}</p>")
    if chapters:
        items = "".join(f"<li>{fmt_time(c.start)[:8]} {html.escape(c.title)}</li>" for c in chapters)
        parts.append(f"<h3>Chapitres</h3><ol>{items}</ol>")
    return "\n".join(parts)


def _side_files(catalog: Catalog, ep: Episode, rec: IngestRecord, base_url: str,
                files: dict[str, bytes | Path]) -> tuple[list[Chapter], Transcript | None, list[tuple[str, str]],
                                                          str | None, str | None]:
    """Transcripts, chapters and image of one episode, added to ``files``: (chapters, transcript,
    transcript paths, chapters path, image path). Raises ArtoiscastError."""
    shown = f"episodes/{ep.slug}"
    chapters = load_chapters(ep.chapters, rec.duration, f"{shown}/{ep.chapters.name}") if ep.chapters else []
    transcript = load_transcript(ep.transcript, rec.duration, f"{shown}/{ep.transcript.name}") if ep.transcript else None
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
    if ep.image:
        data, ext = check_artwork(ep.image, f"{shown}/episode.yaml", "image")
        image = f"art/{ep.slug}-{sha256(data)[:8]}.{ext}"
        files[image] = data
    return chapters, transcript, paths, chapters_path, image


def media_key(slug: str, rec: IngestRecord) -> str:
    """``media/<slug>/<slug>-<sha8>.mp3``, named by the sound alone: the sha256 of the normalised,
    untagged MP3. A metadata edit (title, summary, base URL...) rewrites the tag of the same object,
    so apps do not download the episode again; only new audio gives a new URL."""
    return f"media/{slug}/{slug}-{(rec.sha256 or _file_sha256(rec.mp3))[:8]}.mp3"


def _publish_episode(catalog: Catalog, ep: Episode, rec: IngestRecord, base_url: str, cover: bytes | None,
                     files: dict[str, bytes | Path], tmp: Path) -> PublishedEpisode:
    """Side files and the tagged MP3 of one episode, added to ``files``. Raises ArtoiscastError."""
    chapters, transcript, paths, chapters_path, image = _side_files(catalog, ep, rec, base_url, files)
    show = catalog.podcast
    tagged = tmp / f"{ep.slug}.mp3"
    shutil.copyfile(rec.mp3, tagged)
    artists = [p for p in [ep.host or show.host] if p] + [g.name for g in ep.guests]
    write_tags(tagged, TagData(
        title=ep.title, artists=artists or [show.author], album=show.title, date=ep.published.date().isoformat(),
        summary=ep.summary, language=ISO639_2.get((ep.language or show.language)[:2], "und"),
        copyright=show.copyright, publisher=show.author, feed_url=feedmod.feed_url(base_url, "all"), guid=ep.guid,
        duration=rec.duration, cover_jpeg=cover,
        loudness={"LOUDNESS_I": f"{rec.after.integrated:.1f} LUFS", "LOUDNESS_TP": f"{rec.after.true_peak:.1f} dBTP",
                  "LOUDNESS_LRA": f"{rec.after.lra:.1f} LU"},
        chapters=chapters,
    ), version=show.audio.id3_version)
    media = media_key(ep.slug, rec)
    files[media] = tagged
    return PublishedEpisode(
        episode=ep, media=media, length=tagged.stat().st_size, duration=rec.duration,
        loudness=rec.after.as_dict(), notes_html=_notes_html(ep, chapters), transcript=transcript,
        transcripts=tuple(paths), chapters=tuple(chapters), chapters_path=chapters_path, image=image,
    )


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
    """``build``, holding the lock of ``build/``; the problems found go to ``errors``."""
    now = now or datetime.now(timezone.utc)
    fingerprint = input_fingerprint(root, base_url, out)
    previous = _skip(root, out, fingerprint, now)
    if previous is not None:
        return previous
    catalog = load_catalog(root)
    base = base_url or catalog.podcast.base_url
    if not base.endswith("/"):
        base += "/"

    art: dict[str, str] = {}
    files: dict[str, bytes | Path] = {}
    for feed in catalog.feeds.values():
        shown = "podcast.yaml" if feed.name == "all" else f"feeds/{feed.name}.yaml"
        try:
            data, ext = check_artwork(feed.artwork, shown, "artwork")
        except ArtoiscastError as exc:
            errors.append(exc)
            continue
        art[feed.name] = f"art/{feed.name}-{sha256(data)[:8]}.{ext}"
        files[art[feed.name]] = data
    cover = cover_jpeg(catalog.feeds["all"].artwork) if "all" in art else None

    records, ingest_errors = ingest_all(catalog, root / "build" / "ingest", jobs=jobs, events=events)
    errors += ingest_errors
    if any(isinstance(e, WriteError) for e in ingest_errors):  # a full disk: tagging copies would only fail too
        raise ErrorList(errors)
    published: dict[str, PublishedEpisode] = {}
    (root / "build").mkdir(exist_ok=True)
    scheduled: list[Episode] = []
    with tempfile.TemporaryDirectory(prefix="tag-", dir=root / "build") as tmpdir:
        for ep in catalog.episodes:
            if ep.slug not in records:
                continue
            try:
                if ep.published <= now:
                    published[ep.slug] = _publish_episode(catalog, ep, records[ep.slug], base, cover, files,
                                                          Path(tmpdir))
                else:  # scheduled: ingested and checked now, so its day holds no surprise, but nothing
                    # of it (media, side files, art, manifest entry) is built before its date
                    _side_files(catalog, ep, records[ep.slug], base, {})
                    scheduled.append(ep)
            except ArtoiscastError as exc:
                errors.append(exc)
        if errors:
            raise ErrorList(errors)

        live = [e for e in catalog.episodes if e.published <= now]
        built = build_time(catalog, live)
        items = {name: [published[e.slug] for e in catalog.feed_episodes(f, now)] for name, f in catalog.feeds.items()}
        for name, feed in catalog.feeds.items():
            files[f"feeds/{name}.xml"] = feedmod.render_feed(catalog, feed, items[name], base_url=base, art=art,
                                                             built=built)
        files["feeds/publisher.xml"] = feedmod.render_publisher(catalog, base_url=base, art=art, built=built)
        files.update(render_site(catalog, items, base_url=base, art=art))
        manifest = _manifest(catalog, base, built, files, items, published)
        files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        written = _write_tree(out, files)
        _write_schedule(out, files[MANIFEST], scheduled)
    result = BuildResult(root, out, base, manifest["files"], {n: [p.slug for p in v] for n, v in items.items()},
                         written, records=records, _catalog=catalog)
    _write_stamp(root, fingerprint, result, catalog, now)
    return result


def id3_size(path: Path) -> int:
    """Bytes of the ID3v2 tag at the start of an MP3 (header, frames, padding, footer), 0 if none."""
    with path.open("rb") as f:
        head = f.read(10)
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _manifest(catalog: Catalog, base: str, built: datetime, files: dict[str, bytes | Path],
              items: dict[str, list[PublishedEpisode]], published: dict[str, PublishedEpisode]) -> dict[str, object]:
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
    return {"version": 1, "base_url": base, "built": built.isoformat(), "episodes": episodes, "files": listing}


SCHEDULE = "schedule.json"


def _write_schedule(out: Path, manifest: bytes, scheduled: list[Episode]) -> None:
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


def _write_whole(dest: Path, data: bytes | Path) -> None:
    """Write ``dest`` whole or not at all: a temporary beside it, renamed over it once complete,
    removed if the write fails (a full disk). Only one build writes build/ at a time (its lock),
    so the temporary's name is free; a killed build's is removed by the next."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        if isinstance(data, Path):
            shutil.copyfile(data, tmp)
        else:
            tmp.write_bytes(data)
        tmp.replace(dest)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):  # named by the file it was for (a failed write() names none)
            raise OSError(exc.errno, exc.strerror, str(dest)) from exc
        raise


def _write_tree(out: Path, files: dict[str, bytes | Path]) -> int:
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
        _write_whole(dest, data)
        written += 1
    keep = {out / p for p in files}
    for path in sorted(out.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written
