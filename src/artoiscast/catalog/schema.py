"""The documents of the catalog as pydantic models: ``podcast.yaml`` (:class:`Podcast`),
``feeds/<name>.yaml`` (:class:`FeedDef`), ``episodes/<slug>/episode.yaml`` (:class:`EpisodeDoc`)
and the parts they share. Validation only: no files are read here.
"""

from __future__ import annotations

import difflib
import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from artoiscast.apple import CATEGORIES
from artoiscast.config import (
    FUNDING_MAX,
    TXT_MAX,
    AnalyticsSettings,
    AudioSettings,
    LISTEN_ON_MAX,
    FundingLink,
    HttpUrl,
    LANGUAGE,
    LegalNotice,
    ListenLink,
    NotifySettings,
    StorageSettings,
    Strict,
    TranscribeSettings,
    TxtRecord,
)
from artoiscast.values import base_url_problem, parse_date, parse_time


def _base_url(value: str) -> str:
    problem, value = base_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


BaseUrl = Annotated[str, AfterValidator(_base_url)]
"""``base_url``: an absolute http(s) URL, a final ``/`` added when missing (``--base-url`` too)."""
NonEmpty = Field(min_length=1)
SOUNDBITES_MAX = 16  # per episode
SOUNDBITE_TITLE_MAX = 128  # characters, the namespace's limit for its title
SEASON_NAME_MAX = 128  # characters of podcast:season name
EPISODE_DISPLAY_MAX = 32  # characters of podcast:episode display


def _at_most(n: int, what: str) -> Any:
    """A validator refusing a list longer than ``n`` (``what``: its items, for the message)."""
    def check(v: list[Any]) -> list[Any]:
        if len(v) > n:
            raise ValueError(f"holds {len(v)} {what}; at most {n} (keep the ones that matter most)")
        return v
    return AfterValidator(check)


def _text_at_most(n: int) -> Any:
    """A validator refusing a text longer than ``n`` characters, the namespace's limit."""
    def check(v: str) -> str:
        if len(v) > n:
            raise ValueError(f"is {len(v)} characters; apps may cut it after {n} (shorten it)")
        return v
    return AfterValidator(check)


FundingLinks = Annotated[list[FundingLink], _at_most(FUNDING_MAX, "links")]


class Guest(Strict):
    name: str = NonEmpty
    role: str | None = None
    organisation: str | None = None
    url: HttpUrl | None = None
    image: HttpUrl | None = None


class Location(Strict):
    name: str = Field(min_length=1, max_length=128)
    geo: str | None = Field(default=None, pattern=r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$")
    osm: str | None = Field(default=None, pattern=r"^[NWR]\d+$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    rel: Literal["subject", "creator"] | None = None


class Category(Strict):
    text: str
    sub: str | None = None

    @model_validator(mode="after")
    def _apple(self) -> Category:
        if self.text not in CATEGORIES:
            near = difflib.get_close_matches(self.text, CATEGORIES, n=1)
            hint = f"did you mean {near[0]!r}?" if near else "see Apple's 2019 category list"
            raise ValueError(f"{self.text!r} is not an Apple Podcasts category ({hint})")
        if self.sub is not None and self.sub not in CATEGORIES[self.text]:
            subs = ", ".join(CATEGORIES[self.text]) or "none"
            raise ValueError(f"{self.sub!r} is not a subcategory of {self.text!r} (one of: {subs})")
        return self


class Soundbite(Strict):
    """``podcast:soundbite``: a highlight of the episode (``soundbites:`` in episode.yaml)."""

    start: float
    """Where it begins: seconds (``73.5``) or ``HH:MM:SS.mmm``, from 0."""
    duration: float
    """How long it lasts: seconds (the namespace recommends 15 to 120; ``check`` warns outside)."""
    title: Annotated[str, _text_at_most(SOUNDBITE_TITLE_MAX)] | None = None
    """Optional, plain text; without one, apps show the episode's title."""

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> float:
        return parse_time(v, negative="a soundbite starts at 0 or later")

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        seconds = parse_time(v, negative="give how long it lasts, in seconds")
        if seconds == 0:
            raise ValueError("is 0 (give how long it lasts, in seconds: 15 to 120 is recommended)")
        return seconds


class Owner(Strict):
    name: str = NonEmpty
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UpdateFrequency(Strict):
    """``podcast:updateFrequency``: a label shown in apps and an RFC 5545 rule (derived from the dates when absent)."""

    label: str = Field(min_length=1, max_length=128)
    rrule: str | None = Field(default=None, pattern=r"^FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Za-z0-9,+-]+)*$")
    complete: bool = False


class AllFeed(Strict):
    title: str | None = None
    description: str | None = None
    category: Category | None = None
    update_frequency: UpdateFrequency | None = None


class Podcast(Strict):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1)
    author: str = NonEmpty
    host: str | None = None
    owner: Owner | None = None
    language: str = Field(default="fr", pattern=LANGUAGE)
    base_url: BaseUrl
    link: HttpUrl | None = None
    copyright: str | None = None
    license: str | None = None
    explicit: bool = False
    artwork: str = NonEmpty
    location: Location | None = None
    guid: uuid.UUID
    publisher_guid: uuid.UUID | None = None  # the publisher feed's podcast:guid, pinned (see feeds.publisher_guid)
    all_feed: AllFeed = AllFeed()
    audio: AudioSettings = AudioSettings()
    storage: StorageSettings = StorageSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    notify: NotifySettings = NotifySettings()
    transcribe: TranscribeSettings = TranscribeSettings()
    funding: FundingLinks = Field(default_factory=list)  # podcast:funding support links (config.FundingLink)
    txt: Annotated[list[TxtRecord], _at_most(TXT_MAX, "records")] = Field(default_factory=list)  # ownership proofs
    apple_id: str | None = None
    """The show's Apple Podcasts ID (the digits of ``podcasts.apple.com/.../id<ID>``): the pages then
    link Apple Podcasts, Overcast and Pocket Casts, whose web addresses take it."""
    listen_on: Annotated[list[ListenLink], _at_most(LISTEN_ON_MAX, "links")] = Field(default_factory=list)
    """Where else the show is listed ("Écouter sur" links of the pages): ``[{name, url}]``, https."""
    about: str | None = Field(default=None, min_length=1, max_length=50_000)
    """The about page's text (Markdown, sanitised like the episodes' notes); unset: the description."""
    legal: LegalNotice | None = None
    """The "mentions légales" of the about page (config.LegalNotice)."""

    @field_validator("apple_id", mode="before")
    @classmethod
    def _apple_digits(cls, v: Any) -> Any:
        if v is None:
            return v
        text = str(v) if isinstance(v, int) and not isinstance(v, bool) else v
        if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,15}", text.strip()):
            raise ValueError(f"{str(v)[:40]!r} is not an Apple ID (the digits after id in the show's "
                             "podcasts.apple.com address)")
        return text.strip()

    @field_validator("listen_on")
    @classmethod
    def _distinct_links(cls, v: list[ListenLink]) -> list[ListenLink]:
        for i, link in enumerate(v):
            if link.url in [x.url for x in v[:i]]:
                raise ValueError(f'"{link.url}" is given twice (keep one)')
        return v

    @field_validator("txt")
    @classmethod
    def _one_apple_code(cls, v: list[TxtRecord]) -> list[TxtRecord]:
        if sum(t.purpose == "applepodcastsverify" for t in v) > 1:
            raise ValueError("holds more than one applepodcastsverify (Apple gives one code per show: keep the latest)")
        return v
    moved_to: BaseUrl | None = None
    """The show has moved: the base URL of its new home. Every feed then carries
    ``itunes:new-feed-url`` (its counterpart there), ``serve`` answers 301 for every feed URL,
    and ``publish`` to S3 writes the feeds as website redirects (see Leaving artoiscast)."""
    previous_urls: list[HttpUrl] = Field(default_factory=list)
    """Where the show's feed was before it came here (``import`` writes it): the old host should
    answer 301 from there to ``feeds/all.xml``; ``guid`` stays the old feed's ``podcast:guid``."""

    @model_validator(mode="after")
    def _not_moved_to_itself(self) -> Podcast:
        if self.moved_to is not None and self.moved_to == self.base_url:
            raise ValueError("moved_to is base_url itself: give the new host's base URL (a feed cannot redirect to itself)")
        return self


class FeedDef(Strict):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field(min_length=1)
    artwork: str = NonEmpty
    category: Category
    themes: list[str] = Field(min_length=1)
    guid: uuid.UUID | None = None
    update_frequency: UpdateFrequency | None = None


class EpisodeDoc(Strict):
    """The fields of one ``episode.yaml``."""

    title: str = Field(min_length=1, max_length=255)
    date: datetime | date
    recorded: str | None = None
    themes: list[str] = Field(min_length=1)
    host: str | None = None
    guests: list[Guest] = Field(default_factory=list)
    location: Location | None = None
    summary: str = Field(min_length=1)
    notes: str | None = None
    audio: str = NonEmpty
    transcript: str | None = None
    # a person has checked the (generated) transcript: the feeds mark it human, podcast:txt ai-content false,
    # and artoiscast transcribe never rewrites it
    transcript_reviewed: bool = False
    chapters: str | None = None
    image: str | None = None
    season: int | None = Field(default=None, ge=1, le=10_000)
    season_name: Annotated[str, _text_at_most(SEASON_NAME_MAX)] | None = None  # podcast:season name; needs season
    episode: int | None = Field(default=None, ge=1, le=1_000_000)
    episode_display: Annotated[str, _text_at_most(EPISODE_DISPLAY_MAX)] | None = None  # podcast:episode display
    type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool = False
    language: str | None = Field(default=None, pattern=LANGUAGE)
    guid: str | None = Field(default=None, min_length=1, max_length=255)
    funding: FundingLinks = Field(default_factory=list)  # this episode's own support links
    soundbites: Annotated[list[Soundbite], _at_most(SOUNDBITES_MAX, "soundbites")] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_need_numbers(self) -> EpisodeDoc:
        if self.season_name is not None and self.season is None:
            raise ValueError("season_name: needs season (the season's number: podcast:season carries both)")
        if self.episode_display is not None and self.episode is None:
            raise ValueError("episode_display: needs episode (the episode's number: podcast:episode carries both)")
        return self

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return parse_date(v)  # only dates and date-times: 20250619 is not seconds since 1970

    @field_validator("title", "summary", "recorded", "host", "notes")
    @classmethod
    def _not_todo(cls, v: str | None, info: ValidationInfo) -> str | None:
        # ``artoiscast new`` writes "TODO: ..." where only the producer knows what to say
        if v is not None and re.match(r"TODO(:|$)", v):
            raise ValueError(f"still a TODO (write the episode's {info.field_name}, then run artoiscast check)")
        return v

    @field_validator("summary")
    @classmethod
    def _summary_len(cls, v: str) -> str:
        if len(v.encode()) > 4000:
            raise ValueError(f"is {len(v.encode())} bytes; apps show at most 4000 (move detail to notes)")
        return v
