"""The catalog: ``podcast.yaml``, ``feeds/*.yaml``, ``episodes/<slug>/episode.yaml``, read and
validated by :func:`load_catalog` into a :class:`Catalog`. Reads only; never writes.

``schema``: the YAML documents (pydantic); ``messages``: a validation error as one line with a
fix; ``files``: where side files may be; ``records``: what the loader returns; ``loader``: the
loading. Settings (``audio:``, ``storage:``, ``analytics:``, ``notify:``, ``funding:``, ``txt:``,
``transcribe:``) are typed in :mod:`artoiscast.config`.
"""

from artoiscast.catalog.loader import load_catalog
from artoiscast.catalog.records import (
    PARIS,
    Catalog,
    Episode,
    Feed,
    podcast_guid,
    soundbite_problems,
    spread_same_day,
)
from artoiscast.catalog.schema import (
    AllFeed,
    BaseUrl,
    Category,
    EpisodeDoc,
    FeedDef,
    Guest,
    Location,
    Owner,
    Podcast,
    Soundbite,
    UpdateFrequency,
)
from artoiscast.config import (
    AnalyticsSettings,
    AudioSettings,
    FundingLink,
    HttpUrl,
    NotifySettings,
    PodpingSettings,
    PrefixUrl,
    StorageSettings,
    TranscribeSettings,
    TxtRecord,
)
from artoiscast.values import (  # the checks the CLI options share
    base_url_value,
    http_url_value,
)

__all__ = [
    "PARIS", "AllFeed", "AnalyticsSettings", "AudioSettings", "BaseUrl", "Catalog", "Category", "Episode",
    "EpisodeDoc", "Feed", "FeedDef", "FundingLink", "Guest", "HttpUrl", "Location", "NotifySettings", "Owner",
    "PodpingSettings", "Podcast", "PrefixUrl", "Soundbite", "StorageSettings", "TranscribeSettings", "TxtRecord",
    "UpdateFrequency", "base_url_value", "http_url_value", "load_catalog", "podcast_guid", "soundbite_problems",
    "spread_same_day",
]
