"""Ingest: source audio -> normalised MP3 (cached by content hash) + its measurements.

An episode whose source and audio settings are unchanged is not re-encoded: the cache
key is the sha256 of the source file and of the settings. A batch runs one ffmpeg
pipeline per core and goes on past a bad episode.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from artoiscast.audio import loudness
from artoiscast.catalog import AudioSettings, Catalog, Episode
from artoiscast.errors import ArtoiscastError, AudioError

PIPELINE_VERSION = 1  # bump when the normalisation method changes: everything re-encodes


@dataclass(frozen=True)
class IngestRecord:
    slug: str
    key: str
    mp3: Path
    before: loudness.Loudness
    after: loudness.Loudness
    duration: float
    attempts: int
    seconds: float  # time taken by the encode that produced the file
    cached: bool

    def to_json(self) -> dict[str, object]:
        return {
            "slug": self.slug, "key": self.key, "before": self.before.as_dict(), "after": self.after.as_dict(),
            "duration": self.duration, "attempts": self.attempts, "seconds": self.seconds,
        }


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(source_sha: str, settings: AudioSettings) -> str:
    blob = json.dumps({"v": PIPELINE_VERSION, "src": source_sha, "audio": settings.model_dump(mode="json")},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _from_cache(folder: Path, slug: str, key: str) -> IngestRecord | None:
    meta, mp3 = folder / f"{key}.json", folder / f"{key}.mp3"
    if not (meta.is_file() and mp3.is_file()):
        return None
    try:
        d = json.loads(meta.read_text())
        return IngestRecord(slug, key, mp3, _loud(d["before"]), _loud(d["after"]), d["duration"], d["attempts"],
                            d["seconds"], cached=True)
    except (ValueError, KeyError):
        return None


def _loud(d: dict[str, float]) -> loudness.Loudness:
    return loudness.Loudness(d["I"], d["LRA"], d["TP"])


def ingest_episode(episode: Episode, settings: AudioSettings, cache_dir: Path) -> IngestRecord:
    """Normalise one episode's source audio into ``cache_dir/<slug>/<key>.mp3``.

    Returns the cached record when source and settings are unchanged. Raises
    AudioError (naming the episode file and the ``audio`` field) on bad audio.
    """
    where = f"episodes/{episode.slug}/episode.yaml"
    src = episode.audio
    if not src.is_file():
        raise AudioError(f'"{src.name}" not found (put the file beside episode.yaml)', path=where, field="audio")
    key = cache_key(file_sha256(src), settings)
    folder = cache_dir / episode.slug
    cached = _from_cache(folder, episode.slug, key)
    if cached:
        return cached
    try:
        loudness.probe(src)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.mp3"
        started = time.perf_counter()
        result = loudness.normalise(
            src, tmp, target=settings.target, true_peak=settings.true_peak, tolerance=settings.tolerance,
            bitrate=settings.bitrate, channels=settings.channels,
        )
        duration = loudness.probe(tmp).duration
    except AudioError as exc:
        raise AudioError(exc.reason, path=where, field="audio") from exc
    record = IngestRecord(episode.slug, key, folder / f"{key}.mp3", result.before, result.after, duration,
                          result.attempts, round(time.perf_counter() - started, 3), cached=False)
    tmp.replace(record.mp3)
    (folder / f"{key}.json").write_text(json.dumps(record.to_json(), indent=1, sort_keys=True))
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
    on_start: Callable[[Episode], None] | None = None,
) -> tuple[dict[str, IngestRecord], list[ArtoiscastError]]:
    """Ingest every episode, one ffmpeg pipeline per core.

    Returns the records by slug and the errors (one per failed episode); a failed
    episode does not stop the others.
    """
    settings = catalog.podcast.audio
    records: dict[str, IngestRecord] = {}
    errors: list[ArtoiscastError] = []
    workers = max(1, jobs or os.cpu_count() or 1)

    def one(ep: Episode) -> IngestRecord:
        if on_start:
            on_start(ep)
        return ingest_episode(ep, settings, cache_dir)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(one, ep): ep for ep in catalog.episodes}
        for fut in as_completed(futures):
            ep = futures[fut]
            try:
                rec = fut.result()
            except ArtoiscastError as exc:
                errors.append(exc)
                if on_done:
                    on_done(ep, None, exc)
                continue
            records[ep.slug] = rec
            if on_done:
                on_done(ep, rec, None)
    errors.sort(key=lambda e: e.line())
    return records, errors
