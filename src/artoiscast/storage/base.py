"""The Storage protocol and the backend registry.

A backend registers a factory under a name, as a third party's would:
``register("local")(LocalStorage.from_settings)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from artoiscast.catalog import StorageSettings
from artoiscast.errors import StorageError


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int


class Storage(Protocol):
    """Where a built show is published. Keys are paths relative to the base URL."""

    name: str

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str) -> None:
        """Store ``src`` under ``key`` atomically (readers see the old or the new object, never half)."""

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None if absent."""

    def list(self) -> dict[str, ObjectInfo]:
        """Every stored object with its size."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (absent is fine)."""

    def describe(self) -> str:
        """Where it publishes, for messages (never credentials)."""


Factory = Callable[[StorageSettings, Path], Storage]
REGISTRY: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        REGISTRY[name] = factory
        return factory

    return deco


def open_storage(settings: StorageSettings, root: Path) -> Storage:
    """The backend named in ``settings``. Raises StorageError listing valid names."""
    import artoiscast.storage.local  # noqa: F401  (registers "local")

    factory = REGISTRY.get(settings.backend)
    if factory is None:
        names = ", ".join(sorted(REGISTRY))
        raise StorageError(f'unknown backend "{settings.backend}" (one of: {names})', path="podcast.yaml",
                           field="storage.backend")
    return factory(settings, root)
