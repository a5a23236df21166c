"""Tell the world a feed changed: WebSub hubs, the Podcast Index, Podping (``notify:`` in podcast.yaml).

After a publish stored a feed, one ping per (service, feed) is queued in ``build/notify.json``
(written whole, then renamed), and every ping queued is sent, each with a short timeout. A ping
that fails stays queued and is sent again after the next publish that succeeds, even one that
changed nothing; one that succeeds leaves the queue. A failure is never the publish's: the
caller says it in one line (:meth:`Failure.line`). Queueing happens as each feed is stored, so a
publish that stops after its feeds went up still has their pings sent next time.

The requests:

- **WebSub**: ``POST <hub>`` with ``application/x-www-form-urlencoded`` ``hub.mode=publish`` and
  ``hub.url=<feed URL>``. The W3C recommendation leaves how a publisher tells its hub to the two
  of them; this is PubSubHubbub's publish ping, which the public hubs (Google's, Superfeedr,
  WebSub.rocks, Switchboard) take. Any 2xx is success (hubs answer 204 or 202).
- **Podcast Index**: ``GET <endpoint>?url=<feed URL>``, no key needed; a 2xx whose JSON says
  ``"status": "false"`` is a failure (its ``description`` says why).
- **Podping**: ``GET <endpoint>?url=<feed URL>`` with the token in ``Authorization`` (podping.cloud
  refuses a request without it or without a User-Agent).

Redirects are not followed (a POST turned into a GET would lose its form): a 3xx is a failure
naming where it points. Nothing here is printed: the caller prints the failures.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from artoiscast import __version__
from artoiscast.config import NotifySettings

STATE = "notify.json"  # in build/, never published
SERVICES = ("websub", "podcast-index", "podping")
JOBS = 8  # pings in flight
USER_AGENT = f"artoiscast/{__version__} (podcast publisher)"
MAX_BODY = 64 * 1024  # bytes of an answer read


@dataclass(frozen=True, order=True)
class Ping:
    """One announcement: tell ``target`` (a hub or an endpoint) of ``service`` that ``feed`` changed."""

    service: str  # one of SERVICES
    target: str
    feed: str  # the feed's public URL

    def describe(self) -> str:
        return f"{self.service} {self.target}"


@dataclass(frozen=True)
class Failure:
    ping: Ping
    reason: str

    def line(self) -> str:
        """``notify: websub https://hub.example/: https://show/feeds/all.xml: HTTP 500 ...``, and what happens next."""
        return f"notify: {self.ping.describe()}: {self.ping.feed}: {self.reason} (kept: sent again at the next publish)"


@dataclass
class Report:
    """What a delivery did: the pings sent and those that failed (still queued)."""

    sent: list[Ping]
    failed: list[Failure]


def pings_for(settings: NotifySettings, feeds: Iterable[str]) -> list[Ping]:
    """Every ping ``settings`` asks for about each feed URL of ``feeds``, sorted."""
    targets = [("websub", hub) for hub in settings.websub]
    if settings.podcast_index:
        targets.append(("podcast-index", settings.podcast_index_endpoint))
    if settings.podping is not None:
        targets.append(("podping", settings.podping.endpoint))
    return sorted({Ping(service, target, feed) for feed in feeds for service, target in targets})


def wanted(settings: NotifySettings, pings: Iterable[Ping]) -> list[Ping]:
    """``pings`` without those ``settings`` no longer asks for (a hub removed from podcast.yaml)."""
    targets = {(p.service, p.target) for p in pings_for(settings, ["-"])}
    return sorted({p for p in pings if (p.service, p.target) in targets})


# ---------------------------------------------------------------- the queue


def load(state: Path) -> list[Ping]:
    """The queued pings of ``state`` (``build/notify.json``); none when it is missing or unreadable
    (it is a cache of work to do, and the next change queues its own)."""
    try:
        doc = json.loads(state.read_bytes())
        return sorted({Ping(str(p["service"]), str(p["target"]), str(p["feed"])) for p in doc["pending"]
                       if p["service"] in SERVICES})
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save(state: Path, pings: Iterable[Ping]) -> None:
    """Write the queue whole (a temporary renamed over it). Nothing is written when the queue is
    empty and there is no file. Raises OSError."""
    queued = sorted(set(pings))
    if not queued and not os.path.lexists(state):
        return
    doc = {"version": 1, "pending": [{"service": p.service, "target": p.target, "feed": p.feed} for p in queued]}
    state.parent.mkdir(parents=True, exist_ok=True)
    tmp = state.with_name(f".{state.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(state)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def queue(state: Path, pings: Iterable[Ping]) -> None:
    """Add ``pings`` to the queue of ``state``."""
    new = set(pings)
    if new:
        save(state, set(load(state)) | new)


# ---------------------------------------------------------------- sending


def request_for(ping: Ping, settings: NotifySettings, env: Mapping[str, str]) -> urllib.request.Request:
    """The HTTP request of one ping. Raises LookupError when Podping's token variable is not set."""
    headers = {"User-Agent": USER_AGENT}
    if ping.service == "websub":
        body = urlencode({"hub.mode": "publish", "hub.url": ping.feed}).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.request.Request(ping.target, data=body, headers=headers, method="POST")
    if ping.service == "podping":
        name = settings.podping.token_env if settings.podping else "PODPING_TOKEN"
        token = env.get(name, "").strip()
        if not token:
            raise LookupError(f"${name} is not set (put the podping.cloud token there, never in podcast.yaml)")
        headers["Authorization"] = token
    return urllib.request.Request(_with_query(ping.target, {"url": ping.feed}), headers=headers, method="GET")


def _with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added to its query (its own parameters kept first)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirect)


def send(ping: Ping, settings: NotifySettings, env: Mapping[str, str] | None = None) -> str | None:
    """Send one ping; None when it was taken, else why not (one short phrase)."""
    try:
        req = request_for(ping, settings, os.environ if env is None else env)
    except LookupError as exc:
        return str(exc)
    timeout = settings.timeout
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            body = resp.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        return _http_reason(exc)
    except urllib.error.URLError as exc:
        return _net_reason(exc.reason, timeout)
    except (OSError, ValueError) as exc:  # a reset mid-answer, a timeout while reading, a malformed answer
        return _net_reason(exc, timeout)
    if ping.service == "podcast-index":
        return _index_reason(body)
    return None


def _http_reason(exc: urllib.error.HTTPError) -> str:
    if 300 <= exc.code < 400:
        return f"HTTP {exc.code}: redirected to {exc.headers.get('Location', '?')} (name that address in podcast.yaml)"
    try:
        said = _one_line(exc.read(300).decode("utf-8", "replace"))
    except OSError:
        said = ""
    return f"HTTP {exc.code} {exc.reason}" + (f": {said}" if said else "")


def _net_reason(reason: object, timeout: float) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({_one_line(str(reason))})"
    return _one_line(str(reason)) or type(reason).__name__


def _index_reason(body: bytes) -> str | None:
    """The Podcast Index answers 200 with ``{"status": "false", "description": ...}`` when it refuses."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and str(doc.get("status", "true")).lower() == "false":
        return f"refused: {_one_line(str(doc.get('description') or 'no reason given'))}"
    return None


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


Sender = Callable[[Ping, NotifySettings], str | None]


def deliver(state: Path, settings: NotifySettings, *, extra: Iterable[Ping] = (), sender: Sender = send,
            jobs: int = JOBS) -> Report:
    """Send every ping queued in ``state`` (and ``extra``, which could not be queued) that
    ``settings`` still asks for, at once (``jobs`` in flight); keep the failures queued, drop the
    rest. Returns the report, sorted. Raises OSError when the queue cannot be written (after
    sending: the pings that failed are then lost)."""
    todo = wanted(settings, [*load(state), *extra])
    if not todo:
        save(state, [])  # pings for services no longer named go
        return Report([], [])
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(todo)))) as pool:
        reasons = list(pool.map(lambda p: sender(p, settings), todo))
    failed = [Failure(p, r) for p, r in zip(todo, reasons, strict=True) if r is not None]
    report = Report([p for p, r in zip(todo, reasons, strict=True) if r is None], failed)
    save(state, [f.ping for f in failed])
    return report
