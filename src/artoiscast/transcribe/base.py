"""The speech-to-text protocol and its registry of backends.

A backend is a factory registered under a name, as a third party's would be:
``register("faster-whisper")(FasterWhisper.from_settings)``. The factory gets the settings, the
catalog folder, how many episodes will be transcribed at once and how many CPU threads each may
use, and returns a :class:`Backend`: one loaded model that several threads may call at once.
Nothing here loads a model or knows about feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artoiscast.errors import TranscribeError

if TYPE_CHECKING:  # pydantic's import is slow, and the build reads records without it
    from artoiscast.config import TranscribeSettings


@dataclass(frozen=True)
class Segment:
    """One stretch of speech as the engine heard it: times in seconds from the start of the audio."""

    start: float
    end: float
    text: str


Progress = Callable[[float, float], None]
"""``progress(done, total)``: seconds of audio transcribed so far, out of the audio's duration."""


@dataclass(frozen=True)
class ModelId:
    """What names a model in a transcript's record: a rerun with the same one does nothing."""

    name: str  # as the settings give it: whisper-base, a folder, a model name
    sha256: str  # of its weights (model.bin)
    folder: Path | None = None  # where it is, once known (the packaged model: once joined)


class Backend(Protocol):
    """A loaded speech-to-text model."""

    def transcribe(self, audio: Path, language: str, progress: Progress) -> Iterator[Segment]:
        """The segments of ``audio`` (any format ffmpeg reads) spoken in ``language`` (``fr``), in
        order, as they are found; ``progress`` is told the audio seconds done. Safe to call from
        several threads at once. Raises ArtoiscastError (an AudioError for audio it cannot decode)."""
        ...


class Factory(Protocol):
    """Makes a backend: resolves and loads its model (slow: called only when there is work)."""

    def __call__(self, settings: TranscribeSettings, root: Path, model: ModelId, *, workers: int,
                 threads: int) -> Backend: ...


@dataclass(frozen=True)
class Registered:
    """A backend's two entry points: ``identify`` names the model cheaply (no loading), ``load``
    loads it."""

    identify: Callable[[TranscribeSettings, Path], ModelId]
    load: Factory


REGISTRY: dict[str, Registered] = {}


def register(name: str, *, identify: Callable[[TranscribeSettings, Path], ModelId], load: Factory) -> None:
    """Make backend ``name`` available to ``transcribe.backend`` in podcast.yaml."""
    REGISTRY[name] = Registered(identify, load)


def _registry() -> dict[str, Registered]:
    import artoiscast.transcribe.whisper  # noqa: F401  (registers "faster-whisper"; imports no engine yet)

    return REGISTRY


def backend(name: str) -> Registered:
    """The backend registered as ``name``. Raises TranscribeError listing the valid names."""
    found = _registry().get(name)
    if found is None:
        names = ", ".join(sorted(_registry()))
        raise TranscribeError(f'unknown backend "{name}" (use one of: {names})', path="podcast.yaml",
                              field="transcribe.backend")
    return found
