"""Prune: delete the published objects no feed needs any more, once their grace period is over.

Prune keeps everything the published manifest lists and everything a live document references:
the stored feeds (as stored, even if newer than the manifest), and the pages, embeds and
transcripts they and the manifest lead to, so an object a stopped or concurrent publish made
live is never deleted. It holds the show's lock, as publish does, and both abort what killed publishes left behind
(:meth:`~artoiscast.storage.base.Storage.sweep`: temporaries, unfinished multipart uploads).
"""

from __future__ import annotations

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin

from artoiscast.errors import StorageError, UsageError
from artoiscast.publish import JOBS, MANIFEST, parse_time, read_manifest, unreferenced_record
from artoiscast.storage import ObjectInfo, Storage


@dataclass
class PrunePlan:
    delete: list[str] = field(default_factory=list)  # unreferenced and older than the grace period
    in_grace: list[str] = field(default_factory=list)  # unreferenced, but within the grace period
    referenced: int = 0
    live: list[str] = field(default_factory=list)  # not in the manifest, but a live feed or page references it
    swept: list[str] = field(default_factory=list)  # leftovers of killed publishes (aborted unless a dry run)
    sizes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the user should know (printed as warnings)

    @property
    def delete_bytes(self) -> int:
        return sum(self.sizes[k] for k in self.delete)


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``45s`` or ``2w`` -> seconds. Raises UsageError (exit 2)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    try:
        seconds = float(value) * units[unit]
        if seconds < 0:
            raise ValueError
    except (KeyError, ValueError):
        raise UsageError(f'"{text}" is not an age (use e.g. 30d, 12h, 2w)', field="--older-than") from None
    return seconds


DOCUMENTS = (".xml", ".html", ".json")  # what can reference other objects: feeds, pages, embeds, JSON
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[^\s\"'<>\\]+", re.I)
_ATTR = re.compile(r"\b(?:href|src|poster|data-[\w-]*src)\s*=\s*[\"']([^\"']+)[\"']", re.I)


def _no_scheme(url: str) -> str:
    return url[url.index("//"):] if "//" in url else url


def references(key: str, text: str, bases: set[str]) -> set[str]:
    """The keys a stored document (``key``, its ``text``) references under any of ``bases`` (absolute base
    URLs ending in /): absolute URLs whatever their scheme (``https:``, ``podcast:``, none), and in
    pages the relative ``href``/``src`` too. Queries and fragments (``?feed=web``) are dropped; a
    URL ending in / names its ``index.html``; a URL behind a redirect prefix (OP3's
    ``https://op3.dev/e/<host>/<key>``) references its target. Pure."""
    text = html.unescape(text.replace("\\/", "/"))
    roots = [_no_scheme(b) for b in bases]
    found: set[str] = set()
    candidates = [m.group(0) for m in _URL.finditer(text)]
    if key.endswith(".html"):
        for base in bases:
            candidates += [urljoin(base + key, m.group(1)) for m in _ATTR.finditer(text)]
    for url in candidates:
        bare = _no_scheme(url)
        for root in roots:
            if bare.startswith(root):
                rest = bare[len(root):]
            else:  # behind a measurement prefix (analytics.prefix): an enclosure
                # https://op3.dev/e/artoiscast.fr/media/x.mp3 references media/x.mp3
                at = bare.find(root[1:], 2)
                if at < 0:
                    continue
                rest = bare[at + len(root) - 1:]
            rel = unquote(re.split(r"[?#]", rest, maxsplit=1)[0])
            found.add(rel + "index.html" if rel == "" or rel.endswith("/") else rel)
    return found


def live_references(storage: Storage, listing: dict[str, ObjectInfo], manifest: dict[str, Any],
                    jobs: int = JOBS) -> set[str]:
    """Every stored key that a live document references: read the stored feeds (``feeds/*.xml``, even
    those newer than the manifest), the documents the manifest lists, and each stored document
    they lead to, as stored. Base URLs: the manifest's, and each feed's own (its ``rel="self"``)."""
    bases = {str(manifest["base_url"])} if manifest.get("base_url") else set()
    todo = {k for k in listing if k.startswith("feeds/") and k.endswith(".xml")}
    todo |= {k for k in manifest["files"] if k in listing and k.endswith(DOCUMENTS)}
    texts: dict[str, str] = {}
    found: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while todo:
            batch = sorted(todo)
            for key, data in zip(batch, pool.map(storage.get, batch), strict=True):
                texts[key] = (data or b"").decode("utf-8", "replace")
                for url in _URL.findall(texts[key]):  # a feed's own URL gives its base (a base_url changed)
                    if key.startswith("feeds/") and url.split("?")[0].endswith("/" + key):
                        bases.add(url.split("?")[0][:-len(key)])
            new: set[str] = set()
            for key in batch:
                refs = {r for r in references(key, texts[key], bases) if r in listing}
                found |= refs
                new |= {r for r in refs if r.endswith(DOCUMENTS) and r not in texts}
            todo = new
    return found


def prune(storage: Storage, older_than: float, *, dry_run: bool = False, now: float | None = None,
          jobs: int = JOBS) -> PrunePlan:
    """Delete objects nothing live references and that are older than ``older_than`` seconds.

    Kept: what the published manifest lists, and what a live feed, page or transcript
    references (:func:`live_references`). Age counts from the time the manifest's unreferenced
    record gives (when publish first saw the object unreferenced), else from the object's last
    modification in the store (an upload no manifest ever listed, or a manifest from before the
    record). Holds the show's lock (not for a dry run) and aborts the leftovers of killed
    publishes. Raises StorageError when nothing is published (no manifest: nothing can be
    known to be unreferenced), Busy when a publish is running.
    """
    if dry_run or storage.get(MANIFEST) is None:  # nothing published: say so without taking a lock
        plan = _prune(storage, older_than, dry_run=True, now=now, jobs=jobs)
    else:
        with storage.lock("prune"):
            plan = _prune(storage, older_than, dry_run=False, now=now, jobs=jobs)
    plan.notes = list(getattr(storage, "notes", []))
    return plan


def _prune(storage: Storage, older_than: float, *, dry_run: bool, now: float | None, jobs: int) -> PrunePlan:
    data = storage.get(MANIFEST)
    shown = f"{storage.describe()}/{MANIFEST}"
    if data is None:
        raise StorageError("nothing published here (no manifest.json): nothing to prune", path=shown)
    doc = read_manifest(data, shown)
    listing = storage.list()
    referenced = set(doc["files"]) | {MANIFEST}
    live = live_references(storage, listing, doc, jobs) - referenced
    since_record = unreferenced_record(doc)
    now = time.time() if now is None else now
    plan = PrunePlan(live=sorted(live))
    plan.swept = storage.sweep(dry_run=dry_run)
    for key, info in sorted(listing.items()):
        if key in referenced or key in live:
            plan.referenced += 1
            continue
        plan.sizes[key] = info.size
        since = parse_time(since_record.get(key)) if key in since_record else None
        since = info.modified if since is None else since
        old_enough = since is None or now - since >= older_than
        (plan.delete if old_enough else plan.in_grace).append(key)
    if not dry_run and plan.delete:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(storage.delete, plan.delete))
    return plan
