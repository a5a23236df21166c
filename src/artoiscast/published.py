"""What the render stage knows about a published episode: its media object and side files.

``build`` makes these from the ingest records and transcripts; ``feeds`` and ``site``
read them. Paths are relative to the base URL (the published layout in the README).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from artoiscast.audio.tags import Chapter
from artoiscast.catalog import Episode
from artoiscast.transcripts import Transcript

TRANSCRIPT_TYPES = {
    "vtt": "text/vtt",
    "srt": "application/x-subrip",
    "json": "application/json",
    "html": "text/html",
    "txt": "text/plain",
}


@dataclass(frozen=True)
class PublishedEpisode:
    episode: Episode
    media: str  # media/<slug>/<slug>-<sha8>.mp3, sha8 of the sound (the untagged MP3), not of its tags
    length: int  # bytes of the tagged MP3
    duration: float  # seconds
    loudness: dict[str, float]
    notes_html: str
    transcript: Transcript | None = None
    transcripts: tuple[tuple[str, str], ...] = ()  # (path, extension)
    chapters: tuple[Chapter, ...] = ()
    chapters_path: str | None = None
    image: str | None = None  # art path of the episode image, if any
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.episode.slug

    @property
    def page(self) -> str:
        return f"episodes/{self.slug}/"
