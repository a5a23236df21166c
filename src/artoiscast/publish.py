"""Publish a built show to a storage backend (:mod:`artoiscast.prune` deletes what no feed needs any more). Never renders.

Protocol (README, "Storage and publishing"): read the built ``manifest.json`` and the published one; refuse, before any
upload, to drop a published guid or to change a published slug/guid pairing (unless allowed
per slug); upload new and changed objects, media and side files first, pages next, feeds and
the manifest last, so that at every instant every published feed points only at objects that
exist; never delete (``prune`` does, after a grace period).

Resuming: what the store holds is learned from one listing. An object whose size matches and
that the published manifest lists with the same sha256 is kept; one the manifest does not vouch
for (an interrupted publish uploaded it, but never got to the manifest) is checked against the
sha256 the store keeps with it (one HEAD per such object), so a rerun uploads only what is
missing or different.

Unreferenced objects: the published manifest also carries ``unreferenced: {key: since}``, the
objects an earlier manifest referenced that this one does not, each with the time it was first
seen unreferenced (the publish's clock, UTC, to the second). Later publishes carry the time forward
unchanged, drop a key that is referenced again or gone from the store, and ``prune`` counts its
grace period from that time, not from the object's last write (an episode published a year ago
and removed today is still within its grace period). It is the publish time, not the build's:
a build's time is the newest episode's date, which would make a removal look months old. With
nothing unreferenced the build's manifest is published byte for byte. Manifests published before
the record had this name call it ``retired``: it is read under either name and written as
``unreferenced``.

Plan, then apply: :func:`plan_publish` reads the store once (the published manifest, the listing,
the HEADs) without a lock, and is all a dry run does; :func:`apply_plan` carries the plan out;
:func:`publish` is both. Two at once: the write phase (the uploads, the manifest) runs holding
the store's lock (:meth:`~artoiscast.storage.base.Storage.lock`), under which the published
manifest's version and the listing are read again, and the plan made again if they moved; a
second publish or prune of the same show stops at once with one line. The
manifest is written back only if it is still the version the plan read (its ETag or sha256),
and both the lock and that version are checked again before the feeds go up, so a publish
whose lock was taken over (it stalled for minutes) or that ran on a store that cannot refuse a
write stops before its feeds, never with a manifest that disagrees with them. A publish with
nothing to upload (the plan read without the lock finds nothing) takes no lock at all.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artoiscast.errors import ArtoiscastError, ErrorList, StorageError
from artoiscast.mediatypes import cache_control, content_type, sidecar_of
from artoiscast.progress import NULL, Events
from artoiscast.storage import ObjectInfo, Storage
from artoiscast.storage.base import Changed, Lock, Upload

MANIFEST = "manifest.json"  # build.MANIFEST; not imported, so that publish starts without the renderers
UNREFERENCED = "unreferenced"  # the published manifest's record of objects no longer referenced
PHASES = ("media", "side", "pages", "feeds", "encoded", "manifest")
JOBS = 10  # uploads in flight (s3transfer's default concurrency)


class PublishRefused(ArtoiscastError):
    """The build would break what subscribers already have (a guid dropped or re-paired)."""


def phase(key: str) -> int:
    """Upload order: media, side files (art, transcripts, chapters), pages, feeds, the compressed
    sidecars (``X.br``, ``X.gz``: after their files, so that serve, which sends a sidecar only if it
    is no older than its file, never sends one of the file's previous version), manifest."""
    if key == MANIFEST:
        return 5
    if sidecar_of(key) is not None:
        return 4
    top = key.split("/", 1)[0]
    if top == "media":
        return 0
    if top in ("art", "transcripts", "chapters"):
        return 1
    if top == "feeds":
        return 3
    return 2


@dataclass
class Plan:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)  # published earlier, not in this build: kept until prune
    sizes: dict[str, int] = field(default_factory=dict)
    verified: int = 0  # objects the published manifest did not vouch for, checked by their stored sha256
    swept: list[str] = field(default_factory=list)  # leftovers of killed publishes removed (temporaries, uploads)
    notes: list[str] = field(default_factory=list)  # what the user should know (printed as warnings)
    reading: _Reading | None = field(default=None, repr=False, compare=False)  # set by plan_publish

    @property
    def uploads(self) -> list[str]:
        return sorted(self.new + self.changed, key=lambda k: (phase(k), k))

    @property
    def upload_bytes(self) -> int:
        return sum(self.sizes[k] for k in self.uploads)


def without_sidecars(doc: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
    """The built manifest (``doc``, its bytes ``data``) for a store that takes no compressed
    sidecars (S3: it cannot choose one by Accept-Encoding): without them, or as it is when it has none."""
    files = doc["files"]
    if not any(sidecar_of(k) for k in files):
        return doc, data
    doc = {**doc, "files": {k: v for k, v in files.items() if sidecar_of(k) is None}}
    return doc, (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def read_manifest(data: bytes | None, shown: str) -> dict[str, Any]:
    if data is None:
        return {"files": {}, "episodes": {}}
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
            raise ValueError("no files")
        return doc
    except ValueError as exc:
        raise StorageError(f"manifest.json is not a valid manifest ({exc})", path=shown) from exc


SCHEDULE = "schedule.json"  # build.SCHEDULE: beside the built site, never published


def read_schedule(build_dir: Path, manifest: bytes) -> dict[str, str]:
    """guid -> date of the episodes the build left out as scheduled (``schedule.json`` beside
    ``build_dir``), or {} when there is none or it belongs to another build of the manifest."""
    try:
        doc = json.loads((build_dir.parent / SCHEDULE).read_bytes())
        if doc.get("manifest_sha256") != hashlib.sha256(manifest).hexdigest():
            return {}
        return {str(ep["guid"]): str(ep["date"]) for ep in doc["episodes"].values()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _when(date: str) -> str:
    """``2031-06-01`` for a midnight, ``2031-06-01 18:30`` otherwise (the catalog's local time)."""
    try:
        dt = datetime.fromisoformat(date)
    except ValueError:
        return date
    return dt.date().isoformat() if (dt.hour, dt.minute, dt.second) == (0, 0, 0) else dt.strftime("%Y-%m-%d %H:%M")


def check_guids(new: dict[str, Any], old: dict[str, Any], *, shown: str, allow_removed: Iterable[str] = (),
                allow_guid_change: Iterable[str] = (),
                scheduled: dict[str, str] | None = None) -> list[ArtoiscastError]:
    """Every way the build would break a published episode's identity, one error per slug.

    A published guid must stay in the build, paired with the same slug; ``allow_removed`` and
    ``allow_guid_change`` list the (published) slugs for which the user accepts the change.
    ``scheduled`` (guid -> date, from :func:`read_schedule`) names the guids the build holds back
    until a future date: a published one is said to be postponed, and to when.
    """
    removed_ok, change_ok = set(allow_removed), set(allow_guid_change)
    later = scheduled or {}
    old_eps: dict[str, Any] = old.get("episodes") or {}
    new_eps: dict[str, Any] = new.get("episodes") or {}
    slug_of = {str(ep.get("guid")): slug for slug, ep in new_eps.items()}
    errors: list[ArtoiscastError] = []
    for slug, ep in sorted(old_eps.items()):
        guid = str(ep.get("guid"))
        if slug in new_eps and str(new_eps[slug].get("guid")) != guid:
            if slug not in change_ok:
                errors.append(PublishRefused(
                    f"guid would change from {guid} to {new_eps[slug].get('guid')}: apps would list the episode twice "
                    f"(set guid: {guid} in its episode.yaml, or publish with --allow-guid-change {slug})",
                    path=shown, field=f"episodes.{slug}"))
        elif slug not in new_eps and guid in slug_of:
            if slug not in change_ok:
                errors.append(PublishRefused(
                    f"published guid {guid} would move to episode {slug_of[guid]} (renamed?): the old media URL "
                    f"stays until prune (publish with --allow-guid-change {slug} to accept)",
                    path=shown, field=f"episodes.{slug}"))
        elif slug not in new_eps and slug not in removed_ok and guid in later:
            errors.append(PublishRefused(
                f"published episode is postponed to {_when(later[guid])} (its date moved into the future): it would "
                f"leave every feed until then; set its date back, or publish with --allow-removed {slug} to take it "
                f"out until then", path=shown, field=f"episodes.{slug}"))
        elif slug not in new_eps and slug not in removed_ok:
            errors.append(PublishRefused(
                f"published guid {guid} is gone from the build (episode removed, renamed or postponed to a future "
                f"date): restore it, "
                f"or keep the guid by setting guid: {guid} in the renamed episode.yaml, or drop it with "
                f"--allow-removed {slug}", path=shown, field=f"episodes.{slug}"))
    return errors


def make_plan(new: dict[str, Any], old: dict[str, Any], listing: dict[str, ObjectInfo], manifest_same: bool,
              stored_sha: Callable[[list[str]], dict[str, str | None]] | None = None) -> Plan:
    """Compare the built manifest with the published one and with what the store really holds.

    ``stored_sha`` (keys -> their stored sha256, or None) is asked only about objects of the
    right size that the published manifest does not vouch for.
    """
    plan = Plan()
    new_files: dict[str, dict[str, Any]] = new["files"]
    old_files: dict[str, dict[str, Any]] = old["files"]
    unsure: list[str] = []
    for key, info in sorted(new_files.items()):
        plan.sizes[key] = int(info["size"])
        obj = listing.get(key)
        if obj is None:
            plan.new.append(key)
        elif obj.size != plan.sizes[key]:
            plan.changed.append(key)
        elif old_files.get(key, {}).get("sha256") == info["sha256"]:
            plan.kept.append(key)
        else:
            unsure.append(key)
    if unsure:
        found = stored_sha(unsure) if stored_sha else {}
        plan.verified = len(unsure)
        for key in unsure:
            (plan.kept if found.get(key) == new_files[key]["sha256"] else plan.changed).append(key)
    plan.kept.sort()
    plan.changed.sort()
    if MANIFEST not in listing:
        plan.new.append(MANIFEST)
    else:
        (plan.kept if manifest_same else plan.changed).append(MANIFEST)
    plan.sizes[MANIFEST] = 0
    plan.unreferenced = sorted(k for k in old_files if k not in new_files)
    return plan


def iso_time(when: float) -> str:
    """``2026-11-23T12:50:00Z``: the form of the unreferenced record."""
    return datetime.fromtimestamp(int(when), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: object) -> float | None:
    """Seconds since the epoch of an :func:`iso_time` string, or None if it is not one."""
    if not isinstance(text, str):  # a manifest's value may be anything
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def unreferenced_record(manifest: dict[str, Any]) -> dict[str, Any]:
    """A published manifest's ``{key: since}`` record of unreferenced objects (``retired`` in
    manifests published before the record had this name); ``{}`` when it has none or it is not a mapping."""
    record = manifest.get(UNREFERENCED, manifest.get("retired"))
    return record if isinstance(record, dict) else {}


def unreferenced_since(new: dict[str, Any], old: dict[str, Any], stored: Iterable[str], now: float) -> dict[str, str]:
    """The unreferenced record to publish: keys the old manifest referenced or recorded as unreferenced,
    that the new one does not reference and the store still holds, each with the time first seen unreferenced."""
    new_files, old_since = new["files"], unreferenced_record(old)
    gone = (set(old["files"]) | set(old_since)) - set(new_files) - {MANIFEST}
    held = set(stored)
    stamp = iso_time(now)
    return {k: (old_since[k] if parse_time(old_since.get(k)) is not None else stamp)
            for k in sorted(gone) if k in held}


def published_manifest(new_bytes: bytes, unreferenced: dict[str, str]) -> bytes:
    """The build's manifest with the unreferenced record added (the build's bytes if nothing is unreferenced)."""
    if not unreferenced:
        return new_bytes
    doc = json.loads(new_bytes)
    doc[UNREFERENCED] = unreferenced
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _stored_sha(storage: Storage, jobs: int) -> Callable[[list[str]], dict[str, str | None]]:
    def ask(keys: list[str]) -> dict[str, str | None]:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            infos = list(pool.map(storage.stat, keys))
        return {k: (i.sha256 if i else None) for k, i in zip(keys, infos, strict=True)}

    return ask


@dataclass
class _Reading:
    """What a plan was made from, kept so that :func:`apply_plan` can tell whether it still holds."""

    build_dir: Path
    storage: Storage
    new: dict[str, Any]  # the built manifest
    new_bytes: bytes
    out_bytes: bytes  # the manifest to publish
    tag: str | None  # the published manifest's version when the plan read it (None: there was none)
    listing: dict[str, ObjectInfo]
    jobs: int
    now: float | None
    allow_removed: tuple[str, ...]
    allow_guid_change: tuple[str, ...]
    scheduled: dict[str, str]


def _make_plan(r: _Reading, old_bytes: bytes | None, tag: str | None, listing: dict[str, ObjectInfo]) -> Plan:
    """Refuse a broken guid, then plan from the published manifest and the listing given."""
    shown = f"{r.storage.describe()}/{MANIFEST}"
    old = read_manifest(old_bytes, shown)
    refused = check_guids(r.new, old, shown=shown, allow_removed=r.allow_removed,
                          allow_guid_change=r.allow_guid_change, scheduled=r.scheduled)
    if refused:
        raise ErrorList(refused)
    r.out_bytes = published_manifest(r.new_bytes, unreferenced_since(r.new, old, listing, time.time() if r.now is None else r.now))
    r.tag, r.listing = tag, listing
    plan = make_plan(r.new, old, listing, manifest_same=r.out_bytes == old_bytes,
                     stored_sha=_stored_sha(r.storage, r.jobs))
    plan.sizes[MANIFEST] = len(r.out_bytes)
    plan.reading = r
    return plan


def plan_publish(
    build_dir: Path,
    storage: Storage,
    *,
    jobs: int = JOBS,
    allow_removed: Iterable[str] = (),
    allow_guid_change: Iterable[str] = (),
    now: float | None = None,
) -> Plan:
    """What publishing ``build_dir`` (a built site with its manifest) to ``storage`` would do; changes nothing.

    Reads the published manifest and the store's listing once each, and asks the stored sha256
    of the objects the published manifest does not vouch for (one HEAD each); takes no lock.
    ``now`` (default: the clock) dates newly unreferenced objects. Returns the plan, which
    :func:`apply_plan` carries out (the ``--dry-run`` plan). Raises ArtoiscastError when there
    is no build, ErrorList of PublishRefused when a published episode would lose its guid,
    StorageError when the store refuses.
    """
    manifest_path = build_dir / MANIFEST
    if not manifest_path.is_file():
        raise ArtoiscastError("no build found (run artoiscast build first)", path=str(manifest_path))
    built_bytes = manifest_path.read_bytes()
    new, new_bytes = read_manifest(built_bytes, str(manifest_path)), built_bytes
    if not getattr(storage, "takes_sidecars", False):
        new, new_bytes = without_sidecars(new, new_bytes)
    reading = _Reading(build_dir, storage, new, new_bytes, b"", None, {}, jobs, now, tuple(allow_removed),
                       tuple(allow_guid_change), read_schedule(build_dir, built_bytes))
    old_bytes, tag = storage.get_tagged(MANIFEST)
    return _make_plan(reading, old_bytes, tag, storage.list())


def apply_plan(plan: Plan, *, events: Events = NULL, on_upload: Callable[[str, int], None] | None = None) -> Plan:
    """Carry out a plan of :func:`plan_publish`: upload its objects, media first, the manifest last.

    A plan with nothing to upload takes no lock and changes nothing. Otherwise the show's lock
    is taken and the published manifest's version and the listing are read again under it: if
    another publish or prune changed the store since the plan, the plan is made again from
    what was just read (the lock now keeps it true); if not, it stands, stored sha256s
    included. Then the leftovers of killed publishes are swept and the uploads run;
    ``events`` is told the bytes to store (``start(total, "publish", unit="B")``) and each
    chunk stored, ``on_upload(key, n)`` each time ``n`` more bytes of ``key`` are stored.
    Returns the plan carried out. Raises ErrorList of PublishRefused (before any upload) when
    the plan made again breaks a published guid; Busy when another publish or prune of the
    show is running; Changed when another publish changed the show meanwhile (then nothing of
    this one is live: its feeds were not written); StorageError when the store refuses. The
    published feeds then still point only at objects that exist, and publishing again finishes
    the job.
    """
    r = plan.reading
    if r is None:
        raise ValueError("apply_plan needs a plan made by plan_publish")
    if plan.uploads:
        with r.storage.lock("publish") as lock:
            old_bytes, tag = r.storage.get_tagged(MANIFEST)
            listing = r.storage.list()
            if tag != r.tag or listing != r.listing:  # the store moved between the plan and the lock
                plan = _make_plan(r, old_bytes, tag, listing)
            plan.swept = r.storage.sweep()
            job = events.start(plan.upload_bytes, "publish", unit="B")
            try:
                _upload(r, lock, plan, on_upload=_both(on_upload, job.advance))
            finally:
                job.done()
    plan.notes = list(getattr(r.storage, "notes", [])) + moved_notes(r.new, r.storage)
    return plan


def moved_notes(new: dict[str, Any], storage: Storage) -> list[str]:
    """What to configure so that a moved show's feed URLs answer 301 (``moved_to`` in podcast.yaml)."""
    moved = new.get("moved_to")
    if not moved:
        return []
    where = storage.describe()
    if getattr(storage, "website_redirects", False):
        return [f"{where}: the feeds are stored as website redirects to {moved}feeds/ "
                "(x-amz-website-redirect-location): readers get a 301 only through the bucket's website endpoint; "
                f"behind a CDN or the REST endpoint, add a 301 rule for feeds/*.xml to {moved}feeds/ there"]
    return [f"{where}: artoiscast serve answers 301 for feeds/*.xml to {moved}feeds/; any other web server "
            "serving this folder needs that rule too (the feeds carry itunes:new-feed-url meanwhile)"]


def _both(hook: Callable[[str, int], None] | None, advance: Callable[[float], None]) -> Callable[[str, int], None]:
    def told(key: str, n: int) -> None:
        advance(n)
        if hook:
            hook(key, n)

    return told


def publish(
    build_dir: Path,
    storage: Storage,
    *,
    dry_run: bool = False,
    jobs: int = JOBS,
    allow_removed: Iterable[str] = (),
    allow_guid_change: Iterable[str] = (),
    events: Events = NULL,
    on_upload: Callable[[str, int], None] | None = None,
    now: float | None = None,
) -> Plan:
    """Upload ``build_dir`` (a built site with its manifest) to ``storage``: :func:`plan_publish`,
    then (unless ``dry_run``) :func:`apply_plan`. Returns the plan carried out (or, with
    ``dry_run``, the plan alone); raises as they do."""
    plan = plan_publish(build_dir, storage, jobs=jobs, allow_removed=allow_removed,
                        allow_guid_change=allow_guid_change, now=now)
    return plan if dry_run else apply_plan(plan, events=events, on_upload=on_upload)


def _upload(r: _Reading, lock: Lock, plan: Plan, *, on_upload: Callable[[str, int], None]) -> None:
    """Carry out the plan phase by phase; before the feeds, check that the show is still ours."""
    storage, build_dir, jobs = r.storage, r.build_dir, r.jobs
    sha = {k: str(v["sha256"]) for k, v in r.new["files"].items()}
    uploads = plan.uploads
    for ph, name in enumerate(PHASES):
        if name == "feeds":  # the last moment at which stopping leaves nothing of this publish live
            lock.check()
            if storage.get_tagged(MANIFEST)[1] != r.tag:
                raise Changed(storage.describe())
        if name == "manifest":
            if MANIFEST in uploads:
                storage.put_if(MANIFEST, r.out_bytes, expect=r.tag, content_type=content_type(MANIFEST),
                               cache_control=cache_control(MANIFEST), sha256=hashlib.sha256(r.out_bytes).hexdigest())
                on_upload(MANIFEST, len(r.out_bytes))
            continue
        moved = r.new.get("moved_to")
        batch = [Upload(k, build_dir / k, content_type(k), cache_control(k), sha[k], plan.sizes[k],
                        redirect=moved + k if moved and name == "feeds" else None)
                 for k in uploads if phase(k) == ph]
        if batch:  # a phase starts only when the one before is all stored
            storage.put_many(batch, jobs=jobs, on_progress=on_upload)
