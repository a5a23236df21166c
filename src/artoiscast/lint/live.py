"""Probe a published show over HTTP as apps and directories do (``artoiscast check --live``).

A tiny stdlib client (:func:`http`) whose every failure becomes a :class:`Finding`; the feeds
fetched are judged by :mod:`artoiscast.lint.rules`, artwork by :mod:`artoiscast.artwork`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from lxml import etree

from artoiscast.lint.rules import NS, Finding, item_label, lint_feeds
from artoiscast.rss import unprefixed
from artoiscast.values import with_slash

_TIMEOUT = 15.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    redirects: tuple[tuple[int, str], ...] = ()  # (status, Location) of each redirect followed


class _Recording(HTTPRedirectHandler):
    def __init__(self) -> None:
        self.chain: list[tuple[int, str]] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.chain.append((code, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http(method: str, url: str, headers: Mapping[str, str] | None = None, *, read: bool = True) -> Response:
    """One HTTP request (redirects followed, and recorded). Returns status, headers (lower-case
    keys) and body; an HTTP error status is returned, not raised. Raises OSError when unreachable."""
    req = Request(url, method=method, headers={"User-Agent": "artoiscast-check", **(headers or {})})
    recording = _Recording()
    try:
        with build_opener(recording).open(req, timeout=_TIMEOUT) as resp:  # http(s) URLs from the feeds
            return Response(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                            resp.read() if read else b"", tuple(recording.chain))
    except HTTPError as exc:
        return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, b"", tuple(recording.chain))
    except URLError as exc:
        raise OSError(str(exc.reason)) from exc


def _chain(url: str, resp: Response) -> str:
    return " -> ".join([url, *(f"{code} {to}" for code, to in resp.redirects)])


def _feed_guid(data: bytes) -> str | None:
    try:
        return etree.fromstring(data).findtext("channel/podcast:guid", namespaces=NS)
    except etree.XMLSyntaxError:
        return None


def _moves(path: str, url: str, resp: Response, guid: str | None) -> list[Finding]:
    """A feed's redirects (reported: apps follow them, but each costs a request and a 302 is not
    a move) and a podcast:guid other than the catalog's (apps would take it for another show)."""
    found = []
    if resp.redirects:
        temporary = [c for c, _ in resp.redirects if c in (302, 303, 307)]
        found.append(Finding(path, "channel", "live-redirect",
                             f"{_chain(url, resp)}: redirected"
                             + ("; a temporary redirect does not move a show in apps (answer 301 or 308)"
                                if temporary else " (apps follow it and update the URL)"),
                             "warning"))
    live = _feed_guid(resp.body) if resp.status == 200 else None
    if guid and live and live.strip() != guid:
        found.append(Finding(path, "channel", "live-guid",
                             f"the published podcast:guid {live.strip()} differs from the catalog's {guid}: apps and "
                             f"indexes would take this publish for another show (pin the published one as guid)",
                             "warning"))
    return found


def probe_previous(urls: list[str], target: str, guid: str, *, fetch: Callable[..., Response] = http) -> list[Finding]:
    """A show moved in: each old feed URL (``previous_urls``) should answer 301 to ``target``
    (its ``feeds/all.xml``), and what it serves keep ``guid``. Returns the findings."""
    found = []
    for url in urls:
        where = f"previous URL {url}"
        try:
            resp = fetch("GET", url)
        except OSError as exc:
            found.append(Finding("podcast.yaml", where, "live-previous",
                                 f"is unreachable ({exc}): subscribers there cannot follow the move", "warning"))
            continue
        final = resp.redirects[-1][1] if resp.redirects else url
        if final != target:
            found.append(Finding("podcast.yaml", where, "live-previous",
                                 f"{_chain(url, resp)}: does not lead to {target} (have the old host answer 301 there)",
                                 "warning"))
        elif any(c not in (301, 308) for c, _ in resp.redirects):
            found.append(Finding("podcast.yaml", where, "live-previous",
                                 f"{_chain(url, resp)}: a temporary redirect (apps move only on a 301 or 308)", "warning"))
        live = _feed_guid(resp.body) if resp.status == 200 else None
        if live and live.strip() != guid:
            found.append(Finding("podcast.yaml", where, "live-guid",
                                 f"serves podcast:guid {live.strip()}, not the catalog's {guid}", "warning"))
    return found


def probe_live(base: str, *, fetch: Callable[..., Response] = http, jobs: int = 8,
               guids: Mapping[str, str] | None = None) -> list[Finding]:
    """Probe a published show at ``base`` (ending in /) over HTTP, as apps and directories do.

    Reads ``feeds/publisher.xml`` and every feed it lists, lints them, then checks each
    enclosure (the object under ``base``, also when the feed puts a measurement prefix before it: HEAD 200, Content-Length equal to length, Accept-Ranges bytes, 206 on a
    Range request), each artwork (downloaded: size, shape, mode, format) and each transcript
    and chapters file (200, CORS, Content-Type). A feed reached through redirects is reported,
    as is one whose ``podcast:guid`` is not ``guids[name]`` (the catalog's). Returns the findings.
    """
    guids = guids or {}
    base = with_slash(base)
    found: list[Finding] = []
    pub_url = f"{base}feeds/publisher.xml"
    feeds: dict[str, bytes] = {}
    try:
        pub = fetch("GET", pub_url)
    except OSError as exc:
        return [Finding("feeds/publisher.xml", "channel", "live-feed", f"{pub_url} is unreachable ({exc})")]
    if pub.status != 200:
        return [Finding("feeds/publisher.xml", "channel", "live-feed", f"GET {pub_url} returned {pub.status}")]
    feeds["publisher"] = pub.body
    found += _moves("feeds/publisher.xml", pub_url, pub, guids.get("publisher"))
    try:
        urls = [r.get("feedUrl") for r in etree.fromstring(pub.body).iterfind("channel/podcast:remoteItem", NS)]
    except etree.XMLSyntaxError:
        urls = []
    for url in filter(None, urls):
        name = urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".xml")
        try:
            resp = fetch("GET", url)
        except OSError as exc:
            found.append(Finding(f"feeds/{name}.xml", "channel", "live-feed", f"{url} is unreachable ({exc})"))
            continue
        if resp.status != 200:
            found.append(Finding(f"feeds/{name}.xml", "channel", "live-feed", f"GET {url} returned {resp.status}"))
            continue
        found += _moves(f"feeds/{name}.xml", url, resp, guids.get(name))
        kind = resp.headers.get("content-type", "")
        if not re.match(r"^(application/rss\+xml|application/xml|text/xml)", kind):
            found.append(Finding(f"feeds/{name}.xml", "channel", "live-content-type",
                                 f"{url} is served as {kind!r}, not application/rss+xml"))
        feeds[name] = resp.body
    found += lint_feeds(feeds, base_url=base)
    jobs_list: list[Callable[[], list[Finding]]] = []
    seen: set[str] = set()
    for name, data in feeds.items():
        try:
            root = etree.fromstring(data)
        except etree.XMLSyntaxError:
            continue
        path = f"feeds/{name}.xml"
        for el in root.iterfind(".//itunes:image", NS):
            url = el.get("href") or ""
            if url and url not in seen:
                seen.add(url)
                where = "channel" if el.getparent().tag == "channel" else item_label(el.getparent())
                jobs_list.append(partial(_probe_art, fetch, path, where, url))
        for item in root.iterfind("channel/item"):
            where = item_label(item)
            enc = item.find("enclosure")
            if enc is not None and enc.get("url"):
                real = unprefixed(enc.get("url"), base)  # behind a prefix (OP3): the object, never the service
                jobs_list.append(partial(_probe_enclosure, fetch, path, where, real, enc.get("length")))
            sides = [(t.get("url"), t.get("type")) for t in item.findall("podcast:transcript", NS)]
            sides += [(c.get("url"), c.get("type")) for c in item.findall("podcast:chapters", NS)]
            for url, kind in sides:
                if url and url not in seen:
                    seen.add(url)
                    jobs_list.append(partial(_probe_side, fetch, path, where, url, kind))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(lambda job: job(), jobs_list):
            found += result
    return found


def _probe_enclosure(fetch: Callable[..., Response], path: str, where: str, url: str, length: str | None
                     ) -> list[Finding]:
    out: list[Finding] = []
    try:
        head = fetch("HEAD", url, read=False)
        ranged = fetch("GET", url, {"Range": "bytes=0-1"})
    except OSError as exc:
        return [Finding(path, where, "live-enclosure", f"{url} is unreachable ({exc})")]
    if head.status != 200:
        return [Finding(path, where, "live-enclosure", f"HEAD {url} returned {head.status}, not 200")]
    size = head.headers.get("content-length")
    if length is not None and size != length:
        out.append(Finding(path, where, "live-length", f"Content-Length is {size} but the feed says {length}"))
    if head.headers.get("accept-ranges", "").lower() != "bytes":
        out.append(Finding(path, where, "live-ranges", f"{url} does not answer Accept-Ranges: bytes"))
    if ranged.status != 206 or len(ranged.body) != 2:
        out.append(Finding(path, where, "live-ranges", f"a Range request to {url} returned {ranged.status}, not 206"))
    kind = head.headers.get("content-type", "")
    if not kind.startswith("audio/mpeg"):
        out.append(Finding(path, where, "live-content-type", f"{url} is served as {kind!r}, not audio/mpeg"))
    return out


def _probe_art(fetch: Callable[..., Response], path: str, where: str, url: str) -> list[Finding]:
    try:
        head = fetch("HEAD", url, read=False)
        resp = fetch("GET", url)
    except OSError as exc:
        return [Finding(path, where, "live-artwork", f"{url} is unreachable ({exc})")]
    if head.status != 200 or resp.status != 200:
        return [Finding(path, where, "live-artwork", f"{url} returned {head.status}/{resp.status}, not 200")]
    from artoiscast.artwork import artwork_problem  # Pillow only when a live show's art is judged

    problem = artwork_problem(resp.body, PurePosixPath(urlsplit(url).path).suffix)
    return [Finding(path, where, "live-artwork", f"{url} {problem}")] if problem else []


def _probe_side(fetch: Callable[..., Response], path: str, where: str, url: str, kind: str | None) -> list[Finding]:
    try:
        resp = fetch("GET", url, {"Origin": "https://example.org"})
    except OSError as exc:
        return [Finding(path, where, "live-side-file", f"{url} is unreachable ({exc})")]
    if resp.status != 200:
        return [Finding(path, where, "live-side-file", f"GET {url} returned {resp.status}, not 200")]
    out = []
    if resp.headers.get("access-control-allow-origin") not in ("*", "https://example.org"):
        out.append(Finding(path, where, "live-cors", f"{url} has no Access-Control-Allow-Origin (browser players need it)"))
    served = resp.headers.get("content-type", "").split(";")[0].strip()
    if kind and served != kind:
        out.append(Finding(path, where, "live-content-type", f"{url} is served as {served!r}, not {kind!r}"))
    return out
