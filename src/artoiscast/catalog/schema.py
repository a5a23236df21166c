"""The documents of the catalog as pydantic models: ``podcast.yaml`` (:class:`Podcast`),
``feeds/<name>.yaml`` (:class:`FeedDef`), ``episodes/<slug>/episode.yaml`` (:class:`EpisodeDoc`)
and the parts they share. Validation only: no files are read here.
"""

from __future__ import annotations

import difflib
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from artoiscast.apple import CATEGORIES
from artoiscast.config import (
    AnalyticsSettings,
    AudioSettings,
    HttpUrl,
    LANGUAGE,
    StorageSettings,
    Strict,
    TranscribeSettings,
)
from artoiscast.values import base_url_problem, parse_date


def _base_url(value: str) -> str:
    problem, value = base_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


BaseUrl = Annotated[str, AfterValidator(_base_url)]
"""``base_url``: an absolute http(s) URL, a final ``/`` added when missing (``--base-url`` too)."""
NonEmpty = Field(min_length=1)


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
    transcribe: TranscribeSettings = TranscribeSettings()


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
    season: int | None = Field(default=None, ge=1)
    episode: int | None = Field(default=None, ge=1)
    type: Literal["full", "trailer", "bonus"] = "full"
    explicit: bool = False
    language: str | None = Field(default=None, pattern=LANGUAGE)
    guid: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        return parse_date(v)  # only dates and date-times: 20250619 is not seconds since 1970

    @field_validator("summary")
    @classmethod
    def _summary_len(cls, v: str) -> str:
        if len(v.encode()) > 4000:
            raise ValueError(f"is {len(v.encode())} bytes; apps show at most 4000 (move detail to notes)")
        return v
