"""One publish of a show, as ``artoiscast publish`` runs it: build, upload what changed, tell the
hubs. ``publish --watch`` (:mod:`artoiscast.schedule`) runs it again at each episode's date.

The checkout's lock (``build/.lock``) is held from the build to the last ping, so ``build/site``
does not change under the upload and two runs never write the ping queue at once. The pings
(:mod:`artoiscast.notify`) are queued as each feed is stored and sent once the publish is
complete; their failures are the caller's to print (``Deployed.warnings``), never the publish's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from artoiscast import notify, workspace
from artoiscast.build import BuildResult, build
from artoiscast.config import NotifySettings
from artoiscast.errors import write_error
from artoiscast.progress import NULL, Events
from artoiscast.publish import Plan, apply_plan, plan_publish
from artoiscast.storage import Storage, open_storage
from artoiscast.storage.base import check_overrides, resolve_settings


@dataclass
class Deployed:
    """What one publish did: the build, the plan carried out (or, dry, the plan alone), the store, the pings."""

    result: BuildResult
    plan: Plan
    storage: Storage
    dry_run: bool = False
    sent: list[notify.Ping] = field(default_factory=list)  # dry run: the pings it would send
    failed: list[notify.Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each: the store's notes, each ping that failed
    unqueued: list[notify.Ping] = field(default_factory=list, repr=False)  # pings the queue could not take

    @property
    def feeds(self) -> list[str]:
        """The feed objects uploaded (``feeds/all.xml``...)."""
        return [k for k in self.plan.uploads if is_feed(k)]

    @property
    def released(self) -> list[str]:
        """The episodes whose page this publish stored first: those it brought out."""
        return sorted(k.split("/")[1] for k in self.plan.new if k.startswith("episodes/") and k.endswith("/index.html"))


def is_feed(key: str) -> bool:
    return key.startswith("feeds/") and key.endswith(".xml")


def state_path(root: Path) -> Path:
    """Where the pings waiting to be sent are kept: ``build/notify.json`` (never published)."""
    return Path(root) / "build" / notify.STATE


def publish_show(
    root: Path,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
    allow_removed: Iterable[str] = (),
    allow_guid_change: Iterable[str] = (),
    setup_cors: bool = False,
    overrides: Mapping[str, Any] | None = None,
    ping: bool = True,
    events: Events = NULL,
    on_wait: Callable[[], None] | None = None,
) -> Deployed:
    """Build ``root`` as of ``now`` (default: the clock; a scheduled episode comes out once ``now``
    passes its date), then publish what changed to the storage of podcast.yaml (``overrides``: the
    ``--to``, ``--bucket``... options), then, unless ``dry_run`` or not ``ping``, send the pings for
    the feeds stored and those still queued (:mod:`artoiscast.notify`).

    Returns what was done. Raises StorageSettingsError (before anything is built) on a bad
    override, and whatever build and publish raise (ErrorList, StorageError...): then nothing
    is sent, but the pings of the feeds already stored stay queued for the next publish.
    """
    root = Path(root)
    options = dict(overrides or {})
    check_overrides(**options)
    with workspace.lock(root / "build", on_wait=on_wait, root=root):
        result = build(root, jobs=jobs, now=now, events=events, on_wait=on_wait)
        settings = result.catalog.podcast
        storage = open_storage(resolve_settings(settings.storage, **options), root)
        if setup_cors and not dry_run:
            storage.setup_cors()
        plan = plan_publish(result.out, storage, allow_removed=allow_removed, allow_guid_change=allow_guid_change,
                            now=None if now is None else now.timestamp())
        state = state_path(root)
        if dry_run:
            if not ping:
                return Deployed(result, plan, storage, dry_run=True)
            would = notify.pings_for(settings.notify, [result.base_url + k for k in plan.uploads if is_feed(k)])
            pending = notify.wanted(settings.notify, notify.load(state))
            return Deployed(result, plan, storage, dry_run=True, sent=sorted(set(would) | set(pending)))
        stored: set[str] = set()

        def uploaded(key: str, n: int) -> None:
            if is_feed(key):
                stored.add(key)

        done = Deployed(result, plan, storage)
        try:
            done.plan = apply_plan(plan, events=events, on_upload=uploaded)
        finally:
            if ping and stored:
                _queue(root, notify.pings_for(settings.notify, [result.base_url + k for k in sorted(stored)]), done)
        done.warnings += done.plan.notes
        if ping:
            _deliver(root, settings.notify, done)
        return done


def _queue(root: Path, pings: list[notify.Ping], done: Deployed) -> None:
    try:
        notify.queue(state_path(root), pings)
    except OSError as exc:
        done.unqueued = pings
        done.warnings.append(f"notify: {write_error(exc, root).line()}; the pings are sent now, but a failed one "
                             "is not kept")


def _deliver(root: Path, settings: NotifySettings, done: Deployed) -> None:
    try:
        report = notify.deliver(state_path(root), settings, extra=done.unqueued)
    except OSError as exc:  # the pings were sent; those that failed could not be kept
        done.warnings.append(f"notify: {write_error(exc, root).line()}; a ping that failed is not kept")
        return
    done.sent, done.failed = report.sent, report.failed
    done.warnings += [f.line() for f in report.failed]


def notify_now(root: Path, *, every_feed: bool = False, dry_run: bool = False,
               on_wait: Callable[[], None] | None = None) -> notify.Report:
    """Send the pings still queued (``artoiscast notify``), after queueing one for every built feed
    when ``every_feed`` (a hub just added). ``dry_run``: the pings it would send, none sent.
    Returns the report. Raises ArtoiscastError when there is no build to name the feeds,
    CatalogError when podcast.yaml is bad, WriteError when the queue cannot be written."""
    from artoiscast.catalog import load_catalog
    from artoiscast.errors import ArtoiscastError
    from artoiscast.publish import MANIFEST, read_manifest

    root = Path(root)
    settings = load_catalog(root, check_files=False).podcast.notify
    state = state_path(root)
    with workspace.lock(root / "build", on_wait=on_wait, root=root):
        extra: list[notify.Ping] = []
        if every_feed:
            path = root / "build" / "site" / MANIFEST
            try:
                data = path.read_bytes()
            except OSError:
                raise ArtoiscastError("no build found (run artoiscast publish first)",
                                      path="build/site/manifest.json") from None
            doc = read_manifest(data, "build/site/manifest.json")
            base = str(doc.get("base_url") or "")
            extra = notify.pings_for(settings, [base + k for k in sorted(doc["files"]) if is_feed(k)])
        if dry_run:
            return notify.Report(sorted(set(extra) | set(notify.wanted(settings, notify.load(state)))), [])
        try:
            notify.queue(state, extra)
            return notify.deliver(state, settings)
        except OSError as exc:
            raise write_error(exc, root) from exc
