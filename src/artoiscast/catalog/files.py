"""Where the catalog's files may be: every path written in a YAML file, and every file found by
its name, checked with :mod:`artoiscast.paths` (inside its folder, a plain file, no link out).
Each problem is added to the caller's error list as one ``CatalogError``.
"""

from __future__ import annotations

import os
from pathlib import Path

from artoiscast.errors import ArtoiscastError, CatalogError
from artoiscast import paths
from artoiscast.paths import Unsafe, found_file, list_folder, safe_file

EPISODE_FOLDER = "episode folder"
CATALOG = "catalog folder"
NO_PODCAST = ("not found (create it with title, description, author, base_url, artwork and guid: see the README's "
              "catalog section, or --root the catalog folder)")


def side_file(folder: Path, rel: str, shown: str, field: str, errors: list[ArtoiscastError]) -> Path | None:
    """Resolve a path written in an episode file; it must stay inside the episode folder."""
    try:
        return safe_file(folder, rel, folder, scope=EPISODE_FOLDER, missing="not found (put the file beside episode.yaml)")
    except Unsafe as exc:
        errors.append(CatalogError(f'"{rel}" {exc.reason}', path=shown, field=field))
        return None


def named_file(root: Path, folder: Path, entry: os.DirEntry[str], errors: list[ArtoiscastError], *,
               within: Path | None = None, scope: str = EPISODE_FOLDER) -> Path | None:
    """A file found by its name in ``folder`` (``transcript.vtt``, ``chapters.yaml``, ``episode.yaml``...):
    the same rules as a path written in a file, inside ``folder`` (or ``within``)."""
    try:
        return found_file(folder, entry, within or folder, scope=scope)
    except Unsafe as exc:
        errors.append(CatalogError(exc.reason, path=paths.shown(folder / entry.name, root)))
        return None


def root_file(root: Path, base: Path, rel: str, shown: str, field: str, errors: list[ArtoiscastError]) -> Path:
    """The show's own files (artwork of podcast.yaml and feeds/*.yaml): inside the catalog folder."""
    try:
        return safe_file(base, rel, root, scope=CATALOG,
                         missing="not found (add the image, or run artoiscast demo --media-only for the demo)")
    except Unsafe as exc:
        errors.append(CatalogError(f'"{rel}" {exc.reason}', path=shown, field=field))
        return base / rel



def episode_folders(root: Path, ep_dir: Path, errors: list[ArtoiscastError]) -> list[Path]:
    """The episode folders (not hidden), sorted by name."""
    entries = listing(root, ep_dir, errors) or {}
    return [ep_dir / name for name in sorted(n for n, e in entries.items() if not n.startswith(".") and e.is_dir())]


def listing(root: Path, folder: Path, errors: list[ArtoiscastError]) -> dict[str, os.DirEntry[str]] | None:
    """``folder``'s entries by name; None when it is missing, or unreadable (with its error added)."""
    try:
        return list_folder(folder)
    except Unsafe as exc:
        errors.append(CatalogError(exc.reason, path=paths.shown(folder, root)))
        return None
