"""What the render stage knows about a built episode: its catalog entry, media object and side files.

``build`` makes these from the ingest records and transcripts; ``feeds`` and ``site``
read them. Paths are relative to the base URL (the published layout). No audio stack here:
only the catalog's types and :mod:`artoiscast.models`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from artoiscast.catalog import Episode
from artoiscast.models import Chapter, MediaRecord, Transcript


@dataclass(frozen=True)
class BuiltEpisode:
    episode: Episode
    mp3: MediaRecord
    notes_html: str
    transcript: Transcript | None = None
    transcripts: tuple[tuple[str, str], ...] = ()  # (path, extension)
    generated: bool = False  # the transcript was made by a machine and no one has marked it reviewed
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

    @property
    def media(self) -> str:
        """The MP3's path under the base URL (``media/<slug>/<slug>-<sha8>.mp3``)."""
        return self.mp3.path

    @property
    def length(self) -> int:
        """Bytes of the tagged MP3."""
        return self.mp3.length

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.mp3.duration

    @property
    def loudness(self) -> dict[str, float]:
        return self.mp3.loudness
