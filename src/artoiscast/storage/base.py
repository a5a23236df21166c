"""The Storage protocol, the backend registry and storage settings overrides.

A backend registers a factory under a name, as a third party's would:
``register("local")(LocalStorage.from_settings)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from artoiscast.errors import StorageError

if TYPE_CHECKING:  # pydantic's import is slow: publish with nothing to do should start fast
    from artoiscast.catalog import StorageSettings


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


Progress = Callable[[str, int], None]  # (key, bytes just sent)


class Storage(Protocol):
    """Where a built show is published. Keys are paths relative to the base URL."""

    name: str

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str, sha256: str | None = None) -> None:
        """Store ``src`` under ``key`` atomically (readers see the old or the new object, never half)."""

    def put_many(self, uploads: Iterable[Upload], *, jobs: int, on_progress: Progress | None = None) -> None:
        """Store every upload, all queued at once on ``jobs`` workers; raises StorageError on the first failure."""

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if absent."""

    def list(self) -> dict[str, ObjectInfo]:
        """Every stored object with its size and, where cheap, modification time."""

    def stat(self, key: str) -> ObjectInfo | None:
        """One object with its stored sha256 where the store has it (one request), or None if absent."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (absent is fine)."""

    def describe(self) -> str:
        """Where it publishes, for messages (never credentials)."""


Factory = Callable[["StorageSettings", Path], "Storage"]
REGISTRY: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        REGISTRY[name] = factory
        return factory

    return deco


def open_storage(settings: StorageSettings, root: Path) -> Storage:
    """The backend named in ``settings``. Raises StorageError listing valid names."""
    import artoiscast.storage.local  # noqa: F401  (registers "local")
    import artoiscast.storage.s3  # noqa: F401  (registers "s3")

    factory = REGISTRY.get(settings.backend)
    if factory is None:
        names = ", ".join(sorted(REGISTRY))
        raise StorageError(f'unknown backend "{settings.backend}" (one of: {names})', path="podcast.yaml",
                           field="storage.backend")
    return factory(settings, root)


ENV_PREFIX = "ARTOISCAST_STORAGE_"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _bool(value: str, name: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE | _FALSE:
        return low in _TRUE
    raise StorageError(f'"{value}" is not a boolean (use true or false)', field=name)


def parse_target(target: str) -> dict[str, object]:
    """``s3://bucket/prefix`` or a folder, as storage settings (``--to``)."""
    if target.startswith("s3://"):
        bucket, _, prefix = target[5:].partition("/")
        if not bucket:
            raise StorageError(f'"{target}" names no bucket (use s3://BUCKET/PREFIX)', field="--to")
        return {"backend": "s3", "bucket": bucket, "prefix": prefix.strip("/")}
    if "://" in target:
        raise StorageError(f'"{target}" is not a storage target (use s3://BUCKET/PREFIX or a folder)', field="--to")
    return {"backend": "local", "path": target}


def resolve_settings(settings: StorageSettings, environ: Mapping[str, str] | None = None,
                     **options: object) -> StorageSettings:
    """``podcast.yaml``'s storage, then ``ARTOISCAST_STORAGE_<FIELD>`` variables, then CLI options (None = unset).

    ``to`` is a target (``s3://bucket/prefix`` or a folder). Raises StorageError on a bad value.
    """
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name in type(settings).model_fields:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _bool(raw, ENV_PREFIX + name.upper()) if name == "path_style" else raw
    to = options.pop("to", None)
    if to:
        values.update(parse_target(str(to)))
    values.update({k: v for k, v in options.items() if v is not None})
    if "prefix" in values:
        values["prefix"] = str(values["prefix"]).strip("/")
    return settings.model_copy(update=values) if values else settings
