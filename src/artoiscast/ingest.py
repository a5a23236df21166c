"""Ingest: source audio -> normalised MP3 (cached by content hash) + its measurements, and the
tagged copy of it that is published.

An episode whose source and audio settings are unchanged is not re-encoded: the cache
key is the sha256 of the source file and of the settings (the sha256 itself is reused while
the file's size, modification time and inode stay the same). A batch runs one ffmpeg
pipeline per core and goes on past a bad episode. :class:`Tagger` copies a normalised MP3
and writes its ID3 tag (the cached MP3 itself stays untagged: it names the published object).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from artoiscast.audio import loudness
from artoiscast.audio.tags import TagData, cover_jpeg, mp3_length, write_tags
from artoiscast.catalog import Catalog, Episode
from artoiscast.config import AudioSettings
from artoiscast.errors import ArtoiscastError, AudioError, read_reason, write_error
from artoiscast.models import Chapter
from artoiscast.parallel import cores
from artoiscast.progress import NULL, Events, Job

PIPELINE_VERSION = 4  # bump when the normalisation method changes: everything re-encodes
ISO639_2 = {"fr": "fra", "en": "eng", "nl": "nld", "de": "deu", "es": "spa", "it": "ita"}


@dataclass(frozen=True)
class IngestRecord:
    slug: str
    key: str
    mp3: Path
    before: loudness.Loudness
    after: loudness.Loudness
    duration: float
    attempts: int
    seconds: float  # time taken by the ingest that produced the file (hash, probe, measure, encodes)
    cached: bool
    bytes: int = 0  # size of the normalised MP3 (before tagging)
    sha256: str = ""  # of the normalised, untagged MP3: the sound alone, which names the published object

    def to_json(self) -> dict[str, object]:
        return {
            "slug": self.slug, "key": self.key, "before": self.before.as_dict(), "after": self.after.as_dict(),
            "duration": self.duration, "attempts": self.attempts, "seconds": self.seconds, "bytes": self.bytes,
            "sha256": self.sha256,
        }


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def media_key(slug: str, rec: IngestRecord) -> str:
    """``media/<slug>/<slug>-<sha8>.mp3``, named by the sound alone: the sha256 of the normalised,
    untagged MP3. A metadata edit (title, summary, base URL...) rewrites the tag of the same object,
    so apps do not download the episode again; only new audio gives a new URL."""
    return f"media/{slug}/{slug}-{(rec.sha256 or file_sha256(rec.mp3))[:8]}.mp3"


def cache_key(source_sha: str, settings: AudioSettings) -> str:
    blob = json.dumps({"v": PIPELINE_VERSION, "src": source_sha, "audio": settings.model_dump(mode="json")},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _from_cache(folder: Path, slug: str, key: str) -> IngestRecord | None:
    """The record of a finished encode, or None. A record written before it kept the MP3's sha256
    gets it now (hashed once, then written back), so a build never hashes an unchanged MP3 again."""
    meta, mp3 = folder / f"{key}.json", folder / f"{key}.mp3"
    if not (meta.is_file() and mp3.is_file()):
        return None
    try:
        d = json.loads(meta.read_text())
        sha = d.get("sha256")
        record = IngestRecord(slug, key, mp3, _loud(d["before"]), _loud(d["after"]), d["duration"], d["attempts"],
                              d["seconds"], cached=True, bytes=mp3.stat().st_size,
                              sha256=sha if isinstance(sha, str) and len(sha) == 64 else file_sha256(mp3))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no usable record: encoded again
    if record.sha256 != sha:
        try:
            _write_json(meta, d | {"sha256": record.sha256})
        except OSError:
            pass  # a cache that cannot be improved still serves: the MP3 is hashed again next time
    return record


def _write_json(path: Path, data: dict[str, object]) -> None:
    """Write a record whole or not at all (a build and an ingest may read it at the same time)."""
    tmp = path.with_name(f".ingest.{os.getpid()}.{threading.get_ident()}.json")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _loud(d: dict[str, float]) -> loudness.Loudness:
    return loudness.Loudness(d["I"], d["LRA"], d["TP"])


def _known_sha256(folder: Path, stamp: list[int]) -> str | None:
    """The source's sha256 as the last ingest recorded it, if the file has not been touched since:
    same size, modification time to the nanosecond and inode (git trusts its index the same way)."""
    for meta in folder.glob("*.json"):  # only the current record is kept
        try:
            source = json.loads(meta.read_text()).get("source", {})
        except (OSError, ValueError, AttributeError):
            continue
        if source.get("stat") == stamp and isinstance(source.get("sha256"), str):
            return str(source["sha256"])
    return None


def _write_record(folder: Path, record: IngestRecord, stamp: list[int], sha: str) -> None:
    data = record.to_json() | {"source": {"stat": stamp, "sha256": sha}}
    _write_json(folder / f"{record.key}.json", data)


def ingest_episode(episode: Episode, settings: AudioSettings, cache_dir: Path,
                   on_progress: Callable[[float, float], None] | None = None) -> IngestRecord:
    """Normalise one episode's source audio into ``cache_dir/<slug>/<key>.mp3``.

    Returns the cached record when source and settings are unchanged (a source not touched
    since the last ingest is not even read again). Raises AudioError (naming the episode
    file and the ``audio`` field) on bad or unreadable audio, OSError when ``cache_dir``
    cannot be written (disk full); then nothing new is left in ``cache_dir``.
    ``on_progress(done, total)`` counts seconds of audio processed (a measure pass and an
    encode pass: total is twice the length).
    """
    shown = f"episodes/{episode.slug}/episode.yaml"
    src = episode.audio
    try:
        st = src.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a symlink loop, a folder that cannot be searched...
        raise AudioError(f'"{src.name}" {read_reason(exc)}', path=shown, field="audio") from None
    if st is None or not src.is_file():
        raise AudioError(f'"{src.name}" not found (put the file beside episode.yaml)', path=shown, field="audio")
    stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
    folder = cache_dir / episode.slug
    known = _known_sha256(folder, stamp)
    if known:
        cached = _from_cache(folder, episode.slug, cache_key(known, settings))
        if cached:
            return cached
    # a new or changed source, or new settings: the work starts now and the source is hashed meanwhile
    try:  # read by ffprobe, ffmpeg and the hash at once: one line now rather than three ways of failing
        os.close(os.open(src, os.O_RDONLY | os.O_CLOEXEC))
    except OSError as exc:
        raise AudioError(f'"{src.name}" {read_reason(exc)}', path=shown, field="audio") from None
    started = time.perf_counter()
    pending = loudness.PendingProbe(src)
    tmp = folder / f".ingest.{os.getpid()}.{threading.get_ident()}.mp3"
    encoder = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # the encode stages start now: their start-up overlaps the hash, the probe and the measure
        encoder = loudness.Encoder(src, tmp, bitrate=settings.kbps, channels=settings.channels)
        sha = known or file_sha256(src)
        key = cache_key(sha, settings)
        cached = _from_cache(folder, episode.slug, key)
        if cached:  # touched, not changed: remember it as it is now
            encoder.close()
            pending.cancel()
            _write_record(folder, cached, stamp, sha)
            return cached
        info = pending.result()
        total = 2 * info.duration
        result = loudness.normalise(
            src, tmp, target=settings.target, true_peak=settings.true_peak, tolerance=settings.tolerance,
            bitrate=settings.kbps, channels=settings.channels, declared=info.duration, rate=info.sample_rate,
            check_length=not info.estimated, encoder=encoder,
            on_progress=(lambda done: on_progress(min(done, total), total)) if on_progress else None,
        )
        duration = mp3_length(tmp)
    except BaseException as exc:
        if encoder is not None:
            encoder.close()
        pending.cancel()
        with contextlib.suppress(OSError):  # the cleanup must not hide why it is needed (build/ a file...)
            tmp.unlink(missing_ok=True)
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if isinstance(exc, AudioError):
            raise AudioError(exc.reason, path=shown, field="audio") from exc
        if isinstance(exc, OSError) and exc.filename == str(tmp):  # the encode's file: say which episode's
            raise OSError(exc.errno, exc.strerror, str(folder)) from exc
        raise
    record = IngestRecord(episode.slug, key, folder / f"{key}.mp3", result.before, result.after, duration,
                          result.attempts, round(time.perf_counter() - started, 3), cached=False,
                          bytes=tmp.stat().st_size, sha256=file_sha256(tmp))
    tmp.replace(record.mp3)
    _write_record(folder, record, stamp, sha)
    for old in folder.iterdir():  # keep only the current encode
        if not old.name.startswith((key, ".")):
            old.unlink(missing_ok=True)
    return record


def ingest_all(
    catalog: Catalog,
    cache_dir: Path,
    *,
    jobs: int | None = None,
    on_done: Callable[[Episode, IngestRecord | None, ArtoiscastError | None], None] | None = None,
    events: Events = NULL,
) -> tuple[dict[str, IngestRecord], list[ArtoiscastError]]:
    """Ingest every episode, one ffmpeg pipeline per core.

    Returns the records by slug and the errors (one per failed episode: bad audio, or a
    WriteError when its files cannot be written, e.g. on a full disk); a failed episode does
    not stop the others, and those that completed are kept in ``cache_dir``.
    ``on_done(episode, record, error)`` is told each episode's outcome as it ends. ``events`` is
    told the episodes (``start(n, "ingest")``, one ``advance()`` each) and, for each episode
    being encoded, the seconds of audio processed (a job of unit ``"s"`` named by its slug). Raises WriteError if ``cache_dir`` cannot be made (``build`` is a file...).
    Commands hold ``workspace.lock`` on the cache's folder (``build/``) around it.
    """
    settings = catalog.podcast.audio
    records: dict[str, IngestRecord] = {}
    errors: list[ArtoiscastError] = []
    workers = max(1, jobs or cores())
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, catalog.root) from exc

    def one(ep: Episode) -> IngestRecord:
        job: Job | None = None
        seen = 0.0

        def report(done: float, total: float) -> None:
            nonlocal job, seen
            if job is None:
                job = events.start(total, f"  {ep.slug[:30]}", unit="s")
            job.advance(done - seen)
            seen = done

        try:
            return ingest_episode(ep, settings, cache_dir, report)
        finally:
            if job is not None:
                job.done()

    overall = events.start(len(catalog.episodes), "ingest")
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=workers) as pool:
        stack.callback(overall.done)
        futures = {pool.submit(one, ep): ep for ep in catalog.episodes}
        for fut in as_completed(futures):
            ep = futures[fut]
            try:
                try:
                    rec = fut.result()
                except OSError as exc:  # one episode's failure, in one line; the batch goes on
                    if exc.filename is not None and Path(os.fsdecode(exc.filename)) == ep.audio:
                        raise AudioError(f'"{ep.audio.name}" {read_reason(exc)}', field="audio",
                                         path=f"episodes/{ep.slug}/episode.yaml") from exc
                    if exc.filename is None:  # a failed write() names no file: it was in the episode's cache
                        exc = OSError(exc.errno, exc.strerror, str(cache_dir / ep.slug))
                    raise write_error(exc, catalog.root) from exc
            except ArtoiscastError as exc:
                errors.append(exc)
                overall.advance()
                if on_done:
                    on_done(ep, None, exc)
                continue
            records[ep.slug] = rec
            overall.advance()
            if on_done:
                on_done(ep, rec, None)
    errors.sort(key=lambda e: e.line())
    return records, errors


class Tagger:
    """Tagged copies of normalised MP3s, in ``folder``: what the published files are.

    Made once per build: the show's fields, ``feed_url`` (the WFED frame: the ``all`` feed) and
    the cover (a 600 px JPEG of ``artwork``, judged before by ``artwork.check_artwork``; no cover
    when None) are shared by every episode's tag.
    """

    def __init__(self, catalog: Catalog, *, feed_url: str, artwork: Path | None, folder: Path):
        self.show = catalog.podcast
        self.feed_url = feed_url
        self.cover = cover_jpeg(artwork) if artwork is not None else None
        self.folder = folder

    def tag_data(self, ep: Episode, rec: IngestRecord, chapters: list[Chapter]) -> TagData:
        """The ID3 fields of one episode: its own, the show's where it has none, loudness, chapters."""
        show = self.show
        artists = [p for p in [ep.host or show.host] if p] + [g.name for g in ep.guests]
        return TagData(
            title=ep.title, artists=artists or [show.author], album=show.title, date=ep.published.date().isoformat(),
            summary=ep.summary, language=ISO639_2.get((ep.language or show.language)[:2], "und"),
            copyright=show.copyright, publisher=show.author, feed_url=self.feed_url, guid=ep.guid,
            duration=rec.duration, cover_jpeg=self.cover,
            loudness={"LOUDNESS_I": f"{rec.after.integrated:.1f} LUFS",
                      "LOUDNESS_TP": f"{rec.after.true_peak:.1f} dBTP", "LOUDNESS_LRA": f"{rec.after.lra:.1f} LU"},
            chapters=chapters,
        )

    def tag(self, ep: Episode, rec: IngestRecord, chapters: list[Chapter]) -> Path:
        """``folder/<slug>.mp3``: a copy of ``rec``'s MP3 with the episode's ID3 tag. Returns its path.
        Raises AudioError (the tag), OSError (the copy)."""
        tagged = self.folder / f"{ep.slug}.mp3"
        shutil.copyfile(rec.mp3, tagged)
        write_tags(tagged, self.tag_data(ep, rec, chapters), version=self.show.audio.id3_version)
        return tagged
