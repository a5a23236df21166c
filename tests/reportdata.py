"""A realistic `artoiscast stats --format json` object for the report's tests and benchmark.

Episodes released over the period (some less than 30 days before its end), each with a launch
peak that decays to a long tail, spread over several feeds, apps, devices and partner sites; the
filters' counts and anomalies of a real run; and hostile strings where the logs put them (app
names from a User-Agent, partner origins from the embed's Referer, an anomaly's detail), plus
names JavaScript objects already carry (``constructor``, ``toString``, ``__proto__``).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from typing import Any

HOSTILE_APP = '<script>window.__pwned = "app"</script>Podcast'
HOSTILE_PARTNER = 'https://evil.example"><img src=x onerror="window.__pwned=\'partner\'">'
HOSTILE_SVG = '</text><script>window.__pwned="svg"</script><text>'
HOSTILE_EPISODE = "constructor"  # a real slug can be any word; Vega keys on it unless told not to
HOSTILE_DETAIL = 'User-Agent "<img src=x onerror=alert(1)>" \u202eevil\x01 from 203.0.113.0/24'

SLUGS = ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski", "culturathon-2024", "gazonor-yann-fouant",
         "atlantic-billy-berclau", "battery-training-center-douvrin", "commerce-lens-mamzelle-fil",
         "design-week-2024-esad-ruche", "masterclass-ariel-kyrou", "cd2e-vert-l-avenir", HOSTILE_EPISODE, "toString"]
FEEDS = {"erbm-melanie-delots": ["economy", "energy"], "mine-de-soleil-marie-piotrowski": ["energy"],
         "culturathon-2024": ["culture", "llv"], "gazonor-yann-fouant": ["energy"],
         "atlantic-billy-berclau": ["economy"], "battery-training-center-douvrin": ["economy", "energy"],
         "commerce-lens-mamzelle-fil": ["economy"], "design-week-2024-esad-ruche": ["llv", "culture"],
         "masterclass-ariel-kyrou": ["llv"], "cd2e-vert-l-avenir": ["energy"], HOSTILE_EPISODE: ["culture"],
         "toString": ["llv"]}
APPS = [("Apple Podcasts", "mobile", 30), ("Spotify", "mobile", 22), ("AntennaPod", "mobile", 10),
        ("Pocket Casts", "mobile", 7), ("Overcast", "mobile", 5), ("Deezer", "computer", 5),
        ("Podcast Addict", "mobile", 4), ("Amazon Alexa", "smart_speaker", 3), ("Apple Podcasts", "watch", 2),
        (None, None, 3), (HOSTILE_APP, "mobile", 1), ("__proto__", "computer", 1)]
BROWSERS = [("Firefox", "computer", 4), ("Chrome", "mobile", 5), ("Safari", "mobile", 3)]
PARTNERS = [("web", 10), ("https://www.euralens.org", 6), ("https://pole-metropolitain-artois.fr", 4),
            ("https://www.cd2e.com", 2), ("-", 1), (HOSTILE_PARTNER, 1), (HOSTILE_SVG, 1)]


def _pick(rng: random.Random, weighted: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def make_data(days: int = 60, episodes: int = 12, seed: int = 12, start: date = date(2025, 3, 1),
              scale: float = 1.0) -> dict[str, Any]:
    rng = random.Random(seed)
    slugs = SLUGS[:episodes] if episodes <= len(SLUGS) else SLUGS + [f"episode-{i:03d}" for i in range(len(SLUGS), episodes)]
    end = start + timedelta(days=days - 1)
    counts: dict[tuple[Any, ...], int] = {}
    for i, slug in enumerate(slugs):
        release = start + timedelta(days=round(i * (days - 5) / max(1, len(slugs) - 1)) - (10 if i < 2 else 0))
        peak = rng.randint(60, 240) * scale
        feeds = FEEDS.get(slug, ["economy", "energy", "culture", "llv"][i % 4:i % 4 + 1])
        for j in range(days):
            day = start + timedelta(days=j)
            age = (day - release).days
            if age < 0:
                continue
            n = int(peak * math.exp(-age / 6) + peak * 0.04 + rng.random() * 2)
            for _ in range(n):
                if rng.random() < 0.82:  # an app, from a feed (some through the all feed)
                    app, device, _w = _pick(rng, APPS)
                    feed = "all" if rng.random() < 0.2 else rng.choice(feeds)
                    partner = None
                else:  # a browser: the show's pages (feed=web, no built feed) or a partner's embed (its theme)
                    app, device, _w = _pick(rng, BROWSERS)
                    partner = _pick(rng, PARTNERS)[0]
                    feed = None if partner == "web" else rng.choice(feeds)
                key = (slug, feed, day.isoformat(), app, device, partner)
                counts[key] = counts.get(key, 0) + 1
    downloads = [{"episode": k[0], "feed": k[1], "day": k[2], "app": k[3], "device": k[4], "partner": k[5], "count": n}
                 for k, n in sorted(counts.items(), key=lambda kv: tuple("" if x is None else x for x in kv[0]))]
    total = sum(r["count"] for r in downloads)
    return {
        "method": {"standard": "IAB Podcast Measurement v2.2", "window": "calendar day, Europe/Paris",
                   "one_minute": "audio_offset + 60 * bitrate / 8", "user_agents": "OPAWG user-agents-v2 @ 4c1a2b3",
                   "salt": "daily, kept 3 days", "apple_watch": True, "ipv6_prefix": 64,
                   "sources": ["build/access.log", "logs/nginx/access.log.1.gz"]},
        "period": {"since": start.isoformat(), "until": end.isoformat()},
        "downloads": downloads,
        "totals": {"downloads": total, "listeners": int(total * 0.62)},
        "filtered": {"non_get": 1843, "probes": 2210, "short": 965, "bots": 4127, "duplicates": 3318, "unparsed": 7},
        "anomalies": [
            {"kind": "ip", "detail": "203.0.113.7 : 4 812 requêtes, 40 fois la médiane", "excluded": True},
            {"kind": "burst", "detail": "culturathon-2024 : 310 téléchargements le 2025-04-02 (8 fois sa moyenne)",
             "excluded": False},
            {"kind": "subnet", "detail": HOSTILE_DETAIL, "excluded": True},
        ],
    }


def empty_data() -> dict[str, Any]:
    """A show whose logs hold nothing that counts yet (the browser's probes, a bot, a HEAD)."""
    return {"method": {"standard": "IAB Podcast Measurement v2.2"}, "period": {"since": None, "until": None},
            "downloads": [], "totals": {"downloads": 0, "listeners": 0},
            "filtered": {"non_get": 2, "probes": 3, "short": 0, "bots": 1, "duplicates": 0, "unparsed": 0},
            "anomalies": []}
