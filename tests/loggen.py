"""Realistic access logs with a known answer, in every format ``artoiscast stats`` reads.

:func:`scenario` is a small show's two days, written request by request, each request with the
bucket a person counting by hand puts it in (``download``, ``repeat``, ``short``, ``probes``,
``non_get``, ``bots``, ``watch``, ``collapsed``): listeners with several apps and devices,
repeated plays in and out of the day, IPv4 and IPv6 in one /64 (written three ways), ranges
adding up to more or less than a minute, HEAD and ``bytes=0-1`` probes, bots, an Apple Watch,
partner embeds, one abusive IP, garbage lines. The writers give the same requests as a
combined (serve/nginx) log, an S3 server access log and a CloudFront standard log.

:func:`volume` writes many lines fast (the benchmark's input).
"""

from __future__ import annotations

import gzip
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

UTC = timezone.utc
MB = 1_000_000


@dataclass(frozen=True)
class Ep:
    slug: str
    length: int
    bitrate: int  # kbps
    audio_offset: int
    feeds: tuple[str, ...]

    @property
    def media(self) -> str:
        return f"media/{self.slug}/{self.slug}-1a2b3c4d.mp3"

    @property
    def need(self) -> int:
        """Bytes from the start that make a download: the tag, then a minute (or the whole file)."""
        return min(self.length, self.audio_offset + 60 * self.bitrate * 125)


EPISODES = (
    Ep("ep-one", 30 * MB, 128, 65536, ("all", "economy")),
    Ep("ep-two", 20 * MB, 64, 131072, ("all", "economy", "energy")),
    Ep("ep-short", 200_000, 128, 65536, ("all", "energy")),
)
EP = {e.slug: e for e in EPISODES}


def manifest() -> dict[str, object]:
    """A manifest.json (as build writes it) for :data:`EPISODES`."""
    return {"version": 1, "base_url": "https://artoiscast.example/", "built": "2026-11-01T00:00:00+00:00",
            "files": {}, "episodes": {e.slug: {"guid": f"guid-{e.slug}", "media": e.media, "length": e.length,
                                                "duration": (e.length - e.audio_offset) / (e.bitrate * 125),
                                                "loudness": {}, "feeds": list(e.feeds), "bitrate": e.bitrate,
                                                "audio_offset": e.audio_offset} for e in EPISODES}}


@dataclass
class Req:
    time: datetime  # UTC
    ip: str
    method: str
    path: str
    query: str
    status: int
    sent: int
    ua: str
    referer: str = ""
    range: tuple[int, int] | None = None  # the bytes served by a 206 (start, end)
    expect: str = "other"  # the bucket counted by hand
    episode: str | None = None
    app: str | None = None
    feed: str | None = None
    partner: str | None = None


UA = {
    "apple": "Podcasts/1710.17 CFNetwork/1399 Darwin/22.1.0",
    "antenna": "AntennaPod/3.4.0",
    "overcast": "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "coremedia": "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; fr_fr)",
    "chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "spotify": "Spotify/8.9.96 iOS/18.1 (iPhone15,2)",
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "urllib": "Python-urllib/3.11",
    "watch": "atc/1.0 watchOS/7.1 model/Watch5,4 hwp/t8006 build/18R590 (6; dt:202)",
}


@dataclass
class Scenario:
    requests: list[Req]
    garbage: list[tuple[int, str]]  # (position among the lines, text) of lines that are not log lines
    day1: date
    day2: date
    expected: dict[str, object] = field(default_factory=dict)


def scenario(day1: date = date(2026, 11, 3)) -> Scenario:
    """Two Paris days of a small show (see the module docstring); ``expected`` holds the answer."""
    day2 = day1 + timedelta(days=1)
    reqs: list[Req] = []

    def at(d: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:  # a UTC instant (Paris is UTC+1 in November)
        return datetime(d.year, d.month, d.day, hh, mm, ss, tzinfo=UTC)

    def get(t: datetime, ip: str, ua: str, slug: str, expect: str, *, sent: int | None = None, status: int = 200,
            rng: tuple[int, int] | None = None, query: str = "feed=all", referer: str = "", app: str | None = None,
            feed: str | None = "all", partner: str | None = None, method: str = "GET") -> None:
        ep = EP[slug]
        if sent is None:
            sent = ep.length if status == 200 else (rng[1] - rng[0] + 1 if rng else 0)
        reqs.append(Req(t, ip, method, "/" + ep.media, query, status, sent, ua, referer, rng, expect, slug, app,
                        feed, partner))

    one = EP["ep-one"]
    # Alice, iPhone, Apple Podcasts: ep-one whole, again the same evening (same day: one download), and on day 2
    get(at(day1, 7), "192.0.2.10", UA["apple"], "ep-one", "download", query="feed=economy", app="Apple Podcasts",
        feed="economy")
    get(at(day1, 19), "192.0.2.10", UA["apple"], "ep-one", "repeat", query="feed=economy")
    get(at(day2, 8), "192.0.2.10", UA["apple"], "ep-one", "download", query="feed=economy", app="Apple Podcasts",
        feed="economy")
    # her Apple Watch copies ep-two from the iPhone: a duplicate
    get(at(day1, 7, 30), "192.0.2.10", UA["watch"], "ep-two", "watch")
    # Bob, AntennaPod on an Android phone on IPv6, two ranges from two addresses of one /64 (one listener):
    # 300 000 + 400 000 bytes from the start >= tag + a minute at 64 kbps (611 072)
    get(at(day1, 9), "2001:db8:aa:bb::1", UA["antenna"], "ep-two", "download", status=206, rng=(0, 299_999),
        app="AntennaPod")
    get(at(day1, 9, 5), "2001:0db8:00aa:00bb:0000:0000:0000:0002", UA["antenna"], "ep-two", "repeat", status=206,
        rng=(300_000, 699_999))
    # Bob's laptop (same /64, another user agent: another listener), Chrome on the episode page: 500 000 bytes of
    # ep-one in two ranges, less than tag + a minute at 128 kbps (1 025 536): short
    page = "https://artoiscast.example/episodes/ep-one/"
    get(at(day1, 10), "2001:db8:aa:bb:1::9", UA["chrome"], "ep-one", "short", status=206, rng=(0, 249_999),
        query="feed=web", referer=page)
    get(at(day1, 10, 1), "2001:db8:aa:bb:1::9", UA["chrome"], "ep-one", "short", status=206, rng=(250_000, 499_999),
        query="feed=web", referer=page)
    # Carol, Overcast: ep-short whole (shorter than a minute: the whole file counts), then a 304; ep-one cut at 400 kB
    get(at(day1, 11), "198.51.100.7", UA["overcast"], "ep-short", "download", query="feed=energy", app="Overcast",
        feed="energy")
    get(at(day1, 15), "198.51.100.7", UA["overcast"], "ep-short", "repeat", status=304, sent=0, query="feed=energy")
    get(at(day1, 12), "198.51.100.7", UA["overcast"], "ep-one", "short", sent=400_000)
    # Dave, AVPlayer (AppleCoreMedia): a bytes=0-1 probe, then a range he reads 2 MB of
    get(at(day1, 13), "198.51.100.8", UA["coremedia"], "ep-one", "probes", status=206, rng=(0, 1))
    get(at(day1, 13, 0, 1), "198.51.100.8", UA["coremedia"], "ep-one", "download", status=206, sent=2 * MB,
        rng=(0, one.length - 1), app="AppleCoreMedia")
    # a HEAD before each of two Spotify fetches that never come
    get(at(day1, 14), "203.0.113.20", UA["spotify"], "ep-one", "non_get", method="HEAD", sent=0)
    get(at(day1, 14, 1), "203.0.113.20", UA["spotify"], "ep-two", "non_get", method="HEAD", sent=0)
    # bots: Googlebot, a Python script, no user agent
    get(at(day1, 3), "66.249.66.1", UA["googlebot"], "ep-one", "bots")
    get(at(day1, 4), "203.0.113.30", UA["urllib"], "ep-two", "bots")
    get(at(day1, 5), "203.0.113.31", "", "ep-short", "bots")
    # partner embeds: Eve on partner.example (Firefox, Windows) reads 1 MB of ep-two; Frank on an unknown page
    get(at(day1, 16), "192.0.2.50", UA["firefox"], "ep-two", "download", status=206, rng=(0, 999_999),
        query="feed=economy&embed=https%3A%2F%2Fpartner.example", referer="https://partner.example/", app="Firefox",
        feed="economy", partner="https://partner.example")
    get(at(day1, 17), "192.0.2.51", UA["firefox"], "ep-one", "download", query="feed=economy&embed=-", app="Firefox",
        feed="economy", partner="embed (direct)")
    # Gina: 23:30 and 00:30 Paris time, either side of midnight: two days, two downloads
    get(at(day1, 22, 30), "192.0.2.60", UA["antenna"], "ep-two", "download", app="AntennaPod")
    get(at(day1, 23, 30), "192.0.2.60", UA["antenna"], "ep-two", "download", app="AntennaPod")
    # one abusive address: 40 "AntennaPod" versions, each fetching ep-one three times
    for i in range(40):
        for k in range(3):
            expect = ("download" if k == 0 else "repeat") if i == 0 else "collapsed"
            get(at(day1, 18, i, k), "203.0.113.66", f"AntennaPod/3.{i}.0", "ep-one", expect,
                app="AntennaPod" if expect == "download" else None)
    # feeds and pages: not media, not counted
    for i, path in enumerate(["/feeds/all.xml", "/feeds/economy.xml", "/", "/episodes/ep-one/", "/art/x.png"]):
        reqs.append(Req(at(day1, 6, i), "192.0.2.10", "GET", path, "", 200, 5000, UA["apple"]))
    reqs.sort(key=lambda r: r.time)
    garbage = [(5, "this is not a log line"), (40, '192.0.2.99 - - [99/Nov/2026:25:00:00 +0100] "GET / HTTP/1.1" 200')]
    sc = Scenario(reqs, garbage, day1, day2)
    sc.expected = expected(sc)
    return sc


def expected(sc: Scenario) -> dict[str, object]:
    """The counts a person gets from the annotations: per rule, per episode, app, partner, day."""
    media = [r for r in sc.requests if r.episode]
    tally = Counter(r.expect for r in media)
    downloads = [r for r in media if r.expect == "download"]
    return {
        "downloads": len(downloads),
        "filtered": {"non_get": tally["non_get"], "probes": tally["probes"], "short": tally["short"],
                     "bots": tally["bots"], "duplicates": tally["repeat"] + tally["watch"] + tally["collapsed"],
                     "unparsed": len(sc.garbage)},
        "watch": tally["watch"], "collapsed": tally["collapsed"], "repeat": tally["repeat"],
        "media_requests": len(media), "other_requests": len(sc.requests) - len(media),
        "by_episode": dict(Counter(r.episode for r in downloads)),
        "by_app": dict(Counter(r.app for r in downloads)),
        "by_partner": dict(Counter(r.partner for r in downloads if r.partner)),
        "by_feed": dict(Counter(r.feed for r in downloads)),
        "by_day": dict(Counter(paris_day(r.time).isoformat() for r in downloads)),
    }


def paris_day(t: datetime) -> date:
    from zoneinfo import ZoneInfo

    return t.astimezone(ZoneInfo("Europe/Paris")).date()


# ---------------------------------------------------------------- writers


def _lines(sc: Scenario, one: object) -> list[str]:
    lines = [one(r) for r in sc.requests]  # type: ignore[operator]
    for pos, text in sorted(sc.garbage):
        lines.insert(pos, text)
    return lines


def _write(path: Path, text: str, gz: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def combined_line(r: Req, tz: timezone = timezone(timedelta(hours=1))) -> str:
    when = r.time.astimezone(tz).strftime("%d/%b/%Y:%H:%M:%S %z")
    target = r.path + (f"?{r.query}" if r.query else "")
    return (f'{r.ip} - - [{when}] "{r.method} {target} HTTP/1.1" {r.status} {r.sent or "-"} '
            f'"{r.referer or "-"}" "{r.ua or "-"}"')


def write_combined(sc: Scenario, path: Path, *, gz: bool = False) -> Path:
    """The scenario as a combined log (what ``serve`` and nginx write), garbage lines included."""
    return _write(path, "\n".join(_lines(sc, combined_line)) + "\n", gz)


def s3_line(r: Req, bucket: str = "artoiscast", prefix: str = "site") -> str:
    when = r.time.strftime("%d/%b/%Y:%H:%M:%S +0000")
    key = f"{prefix}/{r.path.lstrip('/')}" if prefix else r.path.lstrip("/")
    target = f"/{key}" + (f"?{r.query}" if r.query else "")
    kind = "OBJECT" if r.path.startswith("/media/") else "OBJECT"
    owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    return (f"{owner} {bucket} [{when}] {r.ip} - 3E57427F3EXAMPLE REST.{r.method}.{kind} {key} "
            f'"{r.method} {target} HTTP/1.1" {r.status} - {r.sent or "-"} {r.sent or "-"} 12 10 '
            f'"{r.referer or "-"}" "{r.ua or "-"}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTP= SigV4 '
            f"ECDHE-RSA-AES128-GCM-SHA256 AuthHeader {bucket}.s3.eu-west-3.amazonaws.com TLSv1.2 - -")


def write_s3(sc: Scenario, path: Path, *, gz: bool = False) -> Path:
    """The scenario as an S3 server access log (keys under the prefix ``site/``)."""
    return _write(path, "\n".join(_lines(sc, s3_line)) + "\n", gz)


CF_FIELDS = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
             "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
             "cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
             "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
             "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end")


def cloudfront_line(r: Req) -> str:
    headers = 350  # sc-bytes counts the response headers too
    rs, re_ = (str(r.range[0]), str(r.range[1])) if r.range and r.status == 206 else ("-", "-")
    length = (r.range[1] - r.range[0] + 1) if r.range and r.status == 206 else (
        EP[r.episode].length if r.episode and r.status == 200 else (r.sent if r.status == 200 else 0))
    values = [r.time.strftime("%Y-%m-%d"), r.time.strftime("%H:%M:%S"), "CDG50-P1", str(r.sent + headers), r.ip,
              r.method, "d111111abcdef8.cloudfront.net", r.path, str(r.status),
              quote(r.referer, safe=":/") if r.referer else "-", quote(r.ua, safe="/;:,()+") if r.ua else "-",
              r.query or "-", "-", "Hit", "SOOzCWHQ8aRSlJjXWQ9PZy2J7oIjzhWPLBuzGNT4NOAS5kQ7AgIahw==",
              "artoiscast.example", "https", "180", "0.010", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit",
              "HTTP/2.0", "-", "-", "51234", "0.002", "Hit", "audio/mpeg", str(length), rs, re_]
    return "\t".join(values)


def write_cloudfront(sc: Scenario, path: Path, *, gz: bool = False) -> Path:
    """The scenario as a CloudFront standard log (W3C, tab-separated, with its two header lines)."""
    body = _lines(sc, cloudfront_line)
    return _write(path, "#Version: 1.0\n#Fields: " + CF_FIELDS + "\n" + "\n".join(body) + "\n", gz)


# ---------------------------------------------------------------- volume


def volume(path: Path, lines: int, *, start: date = date(2026, 1, 1), days: int = 30, seed: int = 1) -> Path:
    """``lines`` combined-log lines over ``days`` days: app downloads, ranges, probes, bots, feed polls."""
    rnd = random.Random(seed)
    agents = list(UA.values())
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    step = days * 86400 / max(lines, 1)
    tz = timezone(timedelta(hours=1))
    with path.open("w", encoding="utf-8") as f:
        for i in range(lines):
            when = (t0 + timedelta(seconds=i * step)).astimezone(tz).strftime("%d/%b/%Y:%H:%M:%S %z")
            ip = f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
            ep = EPISODES[rnd.randrange(len(EPISODES))]
            kind = rnd.random()
            if kind < 0.3:
                f.write(f'{ip} - - [{when}] "GET /feeds/all.xml HTTP/1.1" 200 52000 "-" "{rnd.choice(agents)}"\n')
            elif kind < 0.4:
                f.write(f'{ip} - - [{when}] "GET /{ep.media}?feed=all HTTP/1.1" 206 2 "-" "{UA["coremedia"]}"\n')
            else:
                sent = ep.length if kind < 0.8 else rnd.randint(1000, ep.length)
                status = 200 if kind < 0.8 else 206
                f.write(f'{ip} - - [{when}] "GET /{ep.media}?feed=all HTTP/1.1" {status} {sent} "-" '
                        f'"{rnd.choice(agents)}"\n')
    return path


def show_root(tmp_path: Path) -> Path:
    """A show folder with only ``build/site/manifest.json`` (:func:`manifest`): what stats reads."""
    import json

    root = tmp_path / "show"
    (root / "build" / "site").mkdir(parents=True)
    (root / "build" / "site" / "manifest.json").write_text(json.dumps(manifest()), encoding="utf-8")
    return root
