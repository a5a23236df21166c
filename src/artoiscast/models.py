"""Plain records the stages hand each other: chapters, transcripts, the published MP3, thumbnails.

Standard library only: ``feeds`` and ``site`` read these without loading the audio stack
(mutagen, Pillow, ffmpeg), and ``transcripts`` makes them without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    """One chapter of an episode (``chapters.yaml``; ID3 CHAP, JSON chapters, the show notes)."""

    start: float  # seconds
    title: str
    url: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Cue:
    """One timed line of a transcript."""

    start: float  # seconds
    end: float  # seconds
    speaker: str | None
    text: str


@dataclass(frozen=True)
class Transcript:
    """A validated transcript: its cues, or only its text when it is plain text."""

    cues: list[Cue]  # empty for a plain-text transcript
    text: str  # the whole text, for .txt transcripts and search

    @property
    def timed(self) -> bool:
        return bool(self.cues)


@dataclass(frozen=True)
class MediaRecord:
    """The published MP3 of one episode, as the feeds, pages and manifest describe it."""

    path: str  # media/<slug>/<slug>-<sha8>.mp3 under the base URL, sha8 of the sound (the untagged MP3)
    length: int  # bytes of the tagged MP3
    duration: float  # seconds
    loudness: dict[str, float]  # measured after normalisation: I (LUFS), TP (dBTP), LRA (LU)


@dataclass(frozen=True)
class Thumb:
    """One thumbnail of a published image: its published path, size in px and media type."""

    path: str
    width: int
    height: int
    mime: str


Thumbs = Mapping[str, Sequence[Thumb]]  # published image path -> its thumbnails, smallest first
