"""A stand-in for :mod:`artoiscast.stats.agents` (the OPAWG user-agents-v2 classifier, built
beside this one): the same interface and a handful of its patterns, so that the engine and its
tests run before that module is merged. The engine uses ``agents`` whenever it is there; this
file can then be deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

DATA_COMMIT = "stand-in"

_BOTS = [("Apple Podcasts (Watch)", r"^atc/|\(null\) watchOS/"), ("Googlebot", r"Googlebot"),
         ("Bingbot", r"bingbot"), ("Generic bot", r"^[^ ]*[Bb]ot/")]
_APPS = [("Apple Podcasts", r"^Podcasts/"), ("AntennaPod", r"^AntennaPod/"), ("Overcast", r"^Overcast/"),
         ("Pocket Casts", r"^Pocket Casts|^PocketCasts/"), ("Spotify", r"^Spotify/"), ("Deezer", r"^Deezer/"),
         ("Podcast Addict", r"^PodcastAddict/")]
_LIBRARIES = [("AppleCoreMedia", r"^AppleCoreMedia(/|$)", None), ("urllib (python)", r"^(Python-urllib|python-urllib3)/", "bot"),
              ("okhttp", r"okhttp", "bot"), ("ffmpeg", r"^Lavf/", "bot")]
_BROWSERS = [("Edge", r"Edg/"), ("Chrome", r"Chrome/"), ("Firefox", r"Firefox/"), ("Safari", r"AppleWebKit.*Safari/")]
_DEVICES = [("Apple Watch", r"watch|Watch OS", "watch"), ("Apple iPad", r"iPad", "mobile"),
            ("Apple iPhone", r"iphone|iOS|iPhone|CFNetwork", "mobile"), ("Apple Computer", r"OS X|Macintosh", "computer"),
            ("Android Phone", r"Android|^AntennaPod/", "mobile"), ("Windows Computer", r"Windows", "computer"),
            ("Other Computer", r"Linux", "computer")]
_REFERRERS = [("Apple Podcasts", r"^https://(embed\.)?podcasts\.apple\.com", "app")]


@dataclass(frozen=True)
class Agent:
    kind: Literal["bot", "app", "library", "browser", "unknown"]
    name: str | None
    category: str | None
    device: str | None
    device_category: str | None
    referrer: str | None = None
    referrer_category: str | None = None


@lru_cache(maxsize=65536)
def classify(user_agent: str, referer: str = "") -> Agent:
    """The first entry matching ``user_agent`` in bots, apps, libraries, browsers (in that order)."""
    for name, rx in _BOTS:
        if re.search(rx, user_agent):
            return Agent("bot", name, None, None, None)
    found: tuple[str, str | None, str | None] | None = None
    for name, rx in _APPS:
        if re.search(rx, user_agent):
            found = ("app", name, None)
            break
    else:
        for name, rx, category in _LIBRARIES:
            if re.search(rx, user_agent):
                found = ("library", name, category)
                break
        else:
            for name, rx in _BROWSERS:
                if re.search(rx, user_agent):
                    found = ("browser", name, None)
                    break
    kind, name, category = found or ("unknown", None, None)
    device = next(((n, c) for n, rx, c in _DEVICES if re.search(rx, user_agent)), (None, None))
    referrer = None
    if kind == "browser" and referer:
        referrer = next(((n, c) for n, rx, c in _REFERRERS if re.search(rx, referer)), None)
    return Agent(kind, name, category, device[0], device[1],  # type: ignore[arg-type]
                 referrer[0] if referrer else None, referrer[1] if referrer else None)


def excluded(agent: Agent, user_agent: str) -> str | None:
    """Why a request from ``agent`` is not a listener's, or None."""
    if not user_agent:
        return "no-user-agent"
    if agent.kind == "bot":
        return "bot"
    if agent.kind == "library" and agent.category == "bot":
        return "library-bot"
    if agent.kind == "unknown" and re.search(r"bot|crawler|spider", user_agent, re.I):
        return "bot-like"
    return None
