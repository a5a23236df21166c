"""What the demo reads from the catalog folder, and how it writes there.

The demo synthesises files the catalog lacks, so it reads the raw YAML (through
:func:`artoiscast.yamlio.load_yaml`, the catalog's own reader) rather than a validated
catalog, which would refuse an episode whose audio is not there yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artoiscast.errors import CatalogError
from artoiscast.paths import shown
from artoiscast.yamlio import load_yaml


def words(value: Any) -> str:
    """A YAML value as one line of text ("" for a missing value)."""
    return " ".join(str(value).split()) if value is not None else ""


def read_mapping(path: Path, root: Path, fields: str = "title, ...") -> dict[str, Any]:
    """The mapping in the YAML file ``path``. Raises CatalogError naming the file (relative to
    ``root``) when it cannot be read or parsed, or is not a mapping."""
    name = shown(path, root)
    doc = load_yaml(path, name)
    if not isinstance(doc, dict):
        raise CatalogError(f"must be a mapping of fields ({fields})", path=name)
    return doc


@dataclass(frozen=True)
class Show:
    """What the demo says and draws about the show, from ``podcast.yaml``."""

    title: str
    host: str  # ``host``, else ``author``: who speaks for the show when an episode names no host
    doc: dict[str, Any]  # the whole mapping (the artwork's path...)


def read_show(root: Path) -> Show:
    """``root/podcast.yaml``'s title and host. Raises CatalogError when the file is missing or
    unreadable, or has no title or neither a host nor an author."""
    path = root / "podcast.yaml"
    if not path.is_file():
        raise CatalogError("not found (run in a catalog folder, or give --root)", path="podcast.yaml")
    doc = read_mapping(path, root)
    title = words(doc.get("title"))
    if not title:
        raise CatalogError("required field is missing (add the show's title)", path="podcast.yaml", field="title")
    host = words(doc.get("host")) or words(doc.get("author"))
    if not host:
        raise CatalogError("required field is missing (add the show's author)", path="podcast.yaml", field="author")
    return Show(title, host, doc)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write beside the target, then rename: an interrupted run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
