"""The files of an imported episode beside its audio: artwork made usable, chapters (JSON, or
the MP3's own ID3 CHAP frames), transcripts, the episode image; then ``episode.yaml``, and the
whole folder moved into ``episodes/``.

Every timed file is read back with the catalog's own readers against the audio's length (as
``build`` will), so a chapter past the end is dropped here, with a warning, not at build time.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

from artoiscast.errors import ArtoiscastError
from artoiscast.importer import write
from artoiscast.importer.fetch import FetchError, fetch_small

MIN_ART, MAX_ART = 1400, 3000


def fit_artwork(data: bytes) -> bytes | None:
    """``data`` as a square RGB PNG of 1400-3000 px (padded, scaled as needed), or None when it is
    no image (a decompression bomb is refused before decoding)."""
    from PIL import Image

    from artoiscast.artwork import BadImage, open_image

    try:
        im = open_image(data)
        im.load()
    except (BadImage, OSError, ValueError):
        return None
    with im:
        rgb = im.convert("RGB")
    side = max(rgb.size)
    square = Image.new("RGB", (side, side), (0, 0, 0))
    square.paste(rgb, ((side - rgb.width) // 2, (side - rgb.height) // 2))
    target = min(max(side, MIN_ART), MAX_ART)
    if target != side:
        square = square.resize((target, target), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "PNG", optimize=False)
    return out.getvalue()


def id3_chapters(audio: Path) -> str | None:
    """An MP3's ID3 CHAP frames as ``chapters.yaml`` text, or None."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(audio)
    except (ID3NoHeaderError, OSError, ValueError):
        return None
    chapters: list[dict[str, Any]] = []
    for frame in sorted(tags.getall("CHAP"), key=lambda f: f.start_time):
        title = frame.sub_frames.get("TIT2")
        text = str(title.text[0]).strip() if title and title.text else ""
        start = frame.start_time / 1000
        if text and (not chapters or start > chapters[-1]["start"]):
            chapters.append({"start": round(start, 3), "title": text})
    return write.dump(chapters) if chapters else None


def _duration(audio: Path) -> float:
    from artoiscast.audio.probe import probe

    return probe(audio).duration


def _side(url: str, warnings: list[str], label: str) -> bytes | None:
    try:
        return fetch_small(url)
    except FetchError as exc:
        warnings.append(f"{label}: {exc.line()} (not imported)")
        return None


def _keep_timed(path: Path, duration: float, kind: str, warnings: list[str], label: str) -> bool:
    """Read ``path`` back as the build will; remove it (and say why) when the build would refuse it."""
    from artoiscast.transcripts import load_chapters, load_transcript

    try:
        (load_chapters if kind == "chapters" else load_transcript)(path, duration, path.name)
        return True
    except ArtoiscastError as exc:
        warnings.append(f"{label}: {exc.line()} (not imported)")
        path.unlink()
        return False


def finish_episode(planned: Any, audio: Path, into: Path, *, host: str | None, own: bool, show_image: str | None,
                   warnings: list[str]) -> None:
    """Complete the staged folder of ``planned`` (its audio downloaded to ``audio``) and move it
    to ``episodes/<slug>``. Raises ArtoiscastError when the episode cannot be imported."""
    from artoiscast.catalog.schema import EpisodeDoc
    from artoiscast.importer import validated

    item, slug, stage = planned.item, planned.slug, audio.parent
    for name in ("chapters.yaml", "episode.yaml", "image.png", "transcript.vtt", "transcript.srt", "transcript.txt"):
        if (stage / name).is_symlink():  # left in .import/ by someone else: never written through
            (stage / name).unlink()
    duration = _duration(audio)  # AudioError: not audio ffmpeg can open (an HTML error page...)
    if item.chapters and (data := _side(item.chapters.url, warnings, f"{slug}: chapters")) is not None:
        chapters = write.chapters_list(data)
        if not chapters:
            warnings.append(f"{slug}: chapters: {item.chapters.url}: not JSON chapters (not imported)")
        for late in [c for c in chapters if c["start"] >= duration]:
            warnings.append(f"{slug}: chapters: {late['title']!r} starts after the end of the audio (left out)")
        if chapters := [c for c in chapters if c["start"] < duration]:
            (stage / "chapters.yaml").write_text(write.dump(chapters), encoding="utf-8")
            _keep_timed(stage / "chapters.yaml", duration, "chapters", warnings, slug)
    if not (stage / "chapters.yaml").exists() and audio.suffix == ".mp3" and (text := id3_chapters(audio)):
        (stage / "chapters.yaml").write_text(text, encoding="utf-8")
        _keep_timed(stage / "chapters.yaml", duration, "chapters", warnings, slug)
    picked = write.pick_transcript(item.transcripts)
    if picked and (data := _side(picked[0].url, warnings, f"{slug}: transcript")) is not None:
        link, ext = picked
        if ext == "json":
            data, ext = write.json_transcript_vtt(data), "vtt"
        if data is None:
            warnings.append(f"{slug}: transcript: {link.url}: not a JSON transcript (not imported)")
        else:
            (stage / f"transcript.{ext}").write_bytes(data)
            _keep_timed(stage / f"transcript.{ext}", duration, "transcript", warnings, slug)
    doc = write.episode_doc(item, theme_list=planned.themes, audio=audio.name, own=own, host_default=host,
                            warnings=warnings)
    if item.image and item.image != show_image:
        data = _side(item.image, warnings, f"{slug}: itunes:image")
        art = fit_artwork(data) if data is not None else None
        if art is not None:
            (stage / "image.png").write_bytes(art)
            doc["image"] = "image.png"
    doc = validated(EpisodeDoc, doc, f"episodes/{slug}/episode.yaml", warnings,
                    frozenset({"title", "date", "themes", "summary", "audio"}))
    (stage / "episode.yaml").write_text(write.dump(doc), encoding="utf-8")
    dest = into / "episodes" / slug
    if dest.exists():
        raise ArtoiscastError("is already there (move it away, or import into another folder)",
                              path=f"episodes/{slug}")
    shutil.move(str(stage), str(dest))
