"""The Storage protocol, the backend registry and storage settings (with their overrides).

A backend registers a factory under a name, as a third party's would:
``register("local")(LocalStorage.from_settings)``.

Concurrency (two publishes of one show at once, "nothing half-published"): a backend
gives a :meth:`Storage.lock` that one publish or prune at a time holds for its whole write
phase, a version tag with each read of the manifest (:meth:`Storage.get_tagged`) and a write
that succeeds only if that tag is still current (:meth:`Storage.put_if`). The lock makes two
publishes take turns; the tag is the second line of defence, for a lock taken over or a store
that cannot refuse a write.
"""

from __future__ import annotations

import os
import math
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from artoiscast.errors import StorageError, StorageSettingsError

if TYPE_CHECKING:  # pydantic's import is slow: publish with nothing to do should start fast
    from artoiscast.config import StorageSettings


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float | None = None  # seconds since the epoch, when the store says
    sha256: str | None = None  # when the store keeps it (S3 metadata ``x-amz-meta-sha256``)


@dataclass(frozen=True)
class Upload:
    """One object to store: ``src`` under ``key`` with its headers and content hash."""

    key: str
    src: Path
    content_type: str
    cache_control: str
    sha256: str
    size: int
    redirect: str | None = None  # a moved show's feed: where a store with website redirects sends readers (301)


Progress = Callable[[str, int], None]  # (key, bytes just sent)

LOCK_STALE = 120.0  # seconds without a heartbeat after which a lock is a dead publish's, taken over
LOCK_HEARTBEAT = 15.0  # seconds between a held lock's refreshes


class Busy(StorageError):
    """Another publish (or prune) holds the show's lock."""

    def __init__(self, shown: str, *, command: str = "publish", since: str | None = None):
        when = f" (since {since})" if since else ""
        super().__init__(f"another {command} is running on this show{when}: run it again when it ends", path=shown)


class Changed(StorageError):
    """The published manifest changed, or the lock was taken over, since this publish read it."""

    def __init__(self, shown: str):
        super().__init__("another publish changed the show since this one started: run it again", path=shown)


class Lock(Protocol):
    """What a held lock offers its holder."""

    conditional: bool  # the store refuses a write whose condition fails (else: best effort, see the README)

    def check(self) -> None:
        """Raise Changed if this process no longer holds the lock (a stale takeover)."""


class Storage(Protocol):
    """Where a built show is published. Keys are paths relative to the base URL. A backend whose
    server chooses by Accept-Encoding (a folder that ``serve`` serves) sets ``takes_sidecars`` to
    True to be sent the build's compressed ``X.br`` / ``X.gz``; one without it gets none."""

    name: str

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str, sha256: str | None = None) -> None:
        """Store ``src`` under ``key`` atomically (readers see the old or the new object, never half)."""

    def put_many(self, uploads: Iterable[Upload], *, jobs: int, on_progress: Progress | None = None) -> None:
        """Store every upload, all queued at once on ``jobs`` workers; raises StorageError on the first failure."""

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if absent."""

    def get_tagged(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's bytes and a tag naming this version of it (ETag, sha256), or (None, None)."""

    def put_if(self, key: str, data: bytes, *, expect: str | None, content_type: str, cache_control: str,
               sha256: str) -> None:
        """Store ``data`` under ``key`` only if its current tag is ``expect`` (None: only if absent).

        Raises Changed otherwise."""

    def lock(self, command: str = "publish") -> AbstractContextManager[Lock]:
        """Hold the show's lock while inside; raises Busy when a live publish holds it."""

    def sweep(self, *, dry_run: bool = False) -> list[str]:
        """Remove what dead publishes left behind (temporary files, unfinished uploads); the names.

        Called with the lock held."""

    def list(self) -> dict[str, ObjectInfo]:
        """Every stored object with its size and, where cheap, modification time (never the lock)."""

    def stat(self, key: str) -> ObjectInfo | None:
        """One object with its stored sha256 where the store has it (one request), or None if absent."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (absent is fine)."""

    def setup_cors(self) -> None:
        """Let browser players on any origin GET/HEAD what is published (``publish --setup-cors``);
        raises UsageError where the backend has nothing to set (a folder: ``serve`` sends CORS)."""

    def describe(self) -> str:
        """Where it publishes, for messages (never credentials)."""


Factory = Callable[["StorageSettings", Path], "Storage"]
REGISTRY: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        REGISTRY[name] = factory
        return factory

    return deco


def _registry() -> dict[str, Factory]:
    import artoiscast.storage.local  # noqa: F401  (registers "local")
    import artoiscast.storage.s3  # noqa: F401  (registers "s3")

    return REGISTRY


def open_storage(settings: StorageSettings, root: Path) -> Storage:
    """The backend named in ``settings``. Raises StorageSettingsError listing valid names."""
    factory = _registry().get(settings.backend)
    if factory is None:
        raise _unknown_backend(settings.backend, Source("podcast.yaml", "storage.backend"))
    return factory(settings, root)


ENV_PREFIX = "ARTOISCAST_STORAGE_"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
TIMEOUTS = {"connect_timeout": 600.0, "read_timeout": 3600.0}  # the largest value each accepts, in seconds


@dataclass(frozen=True)
class Source:
    """Where a setting was given, for its error line: ``podcast.yaml`` + ``storage.x``, a variable or an option."""

    path: str | None
    field: str

    def error(self, reason: str) -> StorageSettingsError:
        return StorageSettingsError(reason, path=self.path, field=self.field)


def _from_yaml(name: str) -> Source:
    return Source("podcast.yaml", f"storage.{name}")


def _from_env(name: str) -> Source:
    return Source(None, ENV_PREFIX + name.upper())


def _from_option(name: str) -> Source:
    return Source(None, "--" + name.replace("_", "-"))


def _unknown_backend(name: str, where: Source) -> StorageSettingsError:
    names = ", ".join(sorted(_registry()))
    return where.error(f'unknown backend "{name}" (use one of: {names})')


def _bool(value: str, where: Source) -> bool:
    low = value.strip().lower()
    if low in _TRUE | _FALSE:
        return low in _TRUE
    raise where.error(f'"{value}" is not a boolean (use true or false)')


def parse_seconds(value: object, where: Source, limit: float) -> float:
    """A timeout: a number of seconds above 0 and at most ``limit``. Raises StorageSettingsError."""
    try:
        seconds = float(str(value).strip().removesuffix("s")) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= limit):  # also refuses nan
        raise where.error(f'"{value}" is not a timeout (give a number of seconds above 0 and at most {limit:g}, e.g. 5)')
    return seconds


def check_endpoint_url(value: str, where: Source) -> str:
    """An S3 endpoint: an absolute http(s) URL (judged as every URL is, ``values.http_url_problem``)
    without credentials, query or fragment."""
    from artoiscast.values import http_url_problem

    text = value.strip()
    url = urlsplit(text) if http_url_problem(text) is None else None
    if url is None or url.username or url.password or url.query or url.fragment:
        raise where.error(f'"{value}" is not an S3 endpoint (give an absolute http(s) URL, e.g. '
                          "https://s3.fr-par.scw.cloud or http://127.0.0.1:8333)")
    return text


def parse_target(target: str, where: Source | None = None) -> dict[str, object]:
    """``s3://bucket/prefix`` or a folder, as storage settings (``--to``). Raises StorageSettingsError."""
    where = where or Source(None, "--to")
    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        if not bucket:
            raise where.error(f'"{target}" names no bucket (use s3://BUCKET/PREFIX)')
        return {"backend": "s3", "bucket": bucket, "prefix": prefix.strip("/")}
    if "://" in target:
        raise where.error(f'"{target}" is not a storage target (use s3://BUCKET/PREFIX or a folder)')
    return {"backend": "local", "path": target}


def _overrides(fields: Iterable[str], environ: Mapping[str, str],
               options: Mapping[str, object]) -> tuple[dict[str, object], dict[str, Source]]:
    """Values given by ``ARTOISCAST_STORAGE_*`` variables, then options (the later wins), each parsed and checked."""
    values: dict[str, object] = {}
    sources: dict[str, Source] = {}

    def take(name: str, raw: object, where: Source) -> None:
        if name == "path_style":
            raw = _bool(raw, where) if isinstance(raw, str) else bool(raw)
        elif name in TIMEOUTS:
            raw = parse_seconds(raw, where, TIMEOUTS[name])
        elif name == "endpoint_url":
            raw = check_endpoint_url(str(raw), where)
        elif name == "backend" and str(raw) not in _registry():
            raise _unknown_backend(str(raw), where)
        values[name] = raw
        sources[name] = where

    for name in fields:
        env = environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            take(name, env, _from_env(name))
    opts = dict(options)
    to = opts.pop("to", None)
    if to:
        for name, raw in parse_target(str(to)).items():
            take(name, raw, Source(None, "--to"))
    for name, raw in opts.items():
        if raw is not None:
            take(name, raw, _from_option(name))
    if "prefix" in values:
        values["prefix"] = str(values["prefix"]).strip("/")
    return values, sources


def check_overrides(environ: Mapping[str, str] | None = None, **options: object) -> None:
    """Check the ``ARTOISCAST_STORAGE_*`` variables and the options alone, before the catalog is read or
    anything is built. Raises StorageSettingsError (exit 2) on the first bad value."""
    from artoiscast.config import StorageSettings

    _overrides(StorageSettings.model_fields, os.environ if environ is None else environ, options)


def resolve_settings(settings: StorageSettings, environ: Mapping[str, str] | None = None,
                     **options: object) -> StorageSettings:
    """``podcast.yaml``'s storage, then ``ARTOISCAST_STORAGE_<FIELD>`` variables, then CLI options (None = unset).

    ``to`` is a target (``s3://bucket/prefix`` or a folder). Every value is checked, with the
    place it came from in the error: raises StorageSettingsError (exit 2) on a bad one.
    """
    env = os.environ if environ is None else environ
    values, sources = _overrides(type(settings).model_fields, env, options)
    merged = settings.model_copy(update=values) if values else settings
    if merged.backend not in _registry():
        raise _unknown_backend(merged.backend, sources.get("backend", _from_yaml("backend")))
    if merged.endpoint_url and "endpoint_url" not in sources:
        check_endpoint_url(merged.endpoint_url, _from_yaml("endpoint_url"))
    return merged
