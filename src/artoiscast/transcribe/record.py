"""The record a generated transcript keeps beside itself: ``episodes/<slug>/.transcript.json``.

It says which file was generated, from which audio (sha256), by which backend, model (and the
sha256 of its weights) and settings, and the sha256 of the bytes written. From it:

- the build marks the transcript generated (``podcast:txt purpose="ai-content"`` true) while the
  record names the episode's transcript file and ``transcript_reviewed`` is not set
  (:func:`generated`);
- ``artoiscast transcribe`` tells its own untouched output (rewritten when the audio, model or
  settings change) from a transcript a person wrote or edited (never rewritten: no record, or a
  file whose hash is not the one recorded) (:func:`state`).

Standard library only: the build reads it without loading any engine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

RECORD = ".transcript.json"
OUTPUT = "transcript.vtt"
VERSION = 1


@dataclass(frozen=True)
class Record:
    """What one run of ``artoiscast transcribe`` made of one episode."""

    output: str  # the transcript's file name, in the episode folder
    output_sha256: str
    audio: str  # the audio's file name, in the episode folder
    audio_sha256: str
    backend: str
    model: str
    model_sha256: str
    settings: dict[str, Any] = field(default_factory=dict)  # language and the engine's options
    previous_sha256: str | None = None  # the generated file this one replaced (see :func:`state`)
    version: int = VERSION

    def same_work(self, other: Record) -> bool:
        """Whether ``other`` comes from the same audio, backend, model and settings."""
        keys = ("audio_sha256", "backend", "model_sha256", "settings", "version")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


class BadRecord(Exception):
    """A record that exists but cannot be read or understood."""


def read(folder: Path) -> Record | None:
    """The record in episode folder ``folder``, or None when there is none. Raises BadRecord when
    it exists but cannot be read (the reason in its message)."""
    path = folder / RECORD
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadRecord(exc.strerror or str(exc)) from None
    except ValueError:
        raise BadRecord("not JSON") from None
    try:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise TypeError
        return Record(**data)
    except TypeError:
        raise BadRecord(f"not a record of version {VERSION}") from None


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class State(Enum):
    """Where an episode's transcript stands, as far as ``transcribe`` is concerned."""

    NONE = "no transcript"
    GENERATED = "generated"  # ours, untouched since written: may be rewritten
    UNFINISHED = "left by an interrupted run"  # the generated file the record's one was to replace
    HAND = "written by hand"  # no record names it
    EDITED = "edited since it was generated"  # its bytes are not those recorded
    REVIEWED = "marked reviewed"  # transcript_reviewed: true
    UNKNOWN = "its record cannot be read"


def state(transcript: Path | None, reviewed: bool, record: Record | None) -> State:
    """The state of an episode's ``transcript`` (None: it has none) given its ``record``.

    A transcript is :attr:`State.GENERATED` only when the record names it and its bytes are the
    recorded ones; :attr:`State.UNFINISHED` when they are those of the generated file the recorded
    one was to replace (a run killed between writing the record and the transcript leaves that).
    Raises OSError when it cannot be read."""
    if transcript is None:
        return State.NONE
    if reviewed:
        return State.REVIEWED
    if record is None or record.output != transcript.name:
        return State.HAND
    sha = sha256_of(transcript)
    if sha == record.output_sha256:
        return State.GENERATED
    if sha == record.previous_sha256:
        return State.UNFINISHED
    return State.EDITED


def generated(episode_dir: Path, transcript: Path | None, reviewed: bool) -> bool:
    """Whether the transcript of the episode in ``episode_dir`` is to be marked generated
    (``podcast:txt purpose="ai-content"`` true): a record names it, and no one has marked it
    reviewed. An edit alone does not make it human (it may fix one word); ``transcript_reviewed``
    does. A record that cannot be read counts as one: the mark errs on the side of saying so."""
    if transcript is None or reviewed:
        return False
    try:
        record = read(episode_dir)
    except BadRecord:
        return True
    return record is not None and record.output == transcript.name
