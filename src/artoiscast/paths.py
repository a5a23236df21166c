"""Path safety: one check for every file the catalog reads, named in a YAML file or found by name.

An episode's ``audio``, ``transcript``, ``chapters`` and ``image``, the ``transcript.*`` and
``chapters.yaml`` found beside ``episode.yaml``, ``episode.yaml`` itself, the show's and the
feeds' artwork and YAML files: each goes through :func:`safe_file`, which refuses a path that
leaves its folder (``..``, absolute, or a symlink resolving outside), a symlink loop, what is not
a regular file, and a file that exists but cannot be read. A plain file reached through real
folders costs one ``lstat`` per path part (no ``resolve``): a 10,000-episode catalog stays fast.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from artoiscast.errors import read_reason

PERMISSION = read_reason(PermissionError(errno.EACCES, "Permission denied"))
LOOP = "is a symlink loop (replace the link by the file itself)"


class Unsafe(Exception):
    """Why a path cannot be read as a catalog file. ``reason`` reads after the file's name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def safe_file(base: Path, rel: str, within: Path, *, scope: str, missing: str) -> Path:
    """``base/rel`` when it is a readable regular file inside ``within``.

    ``scope`` names ``within`` in the reasons ("episode folder", "catalog folder"); ``missing``
    is the reason when nothing is there. Returns the path as written (not resolved). Raises
    :class:`Unsafe` with the reason otherwise.
    """
    parts = Path(rel).parts
    if rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel) or ".." in parts:
        raise Unsafe(f"leaves the {scope} (give a file name inside it)")
    path = base / rel
    if base != within:  # from ``within``, so that a folder on the way (``feeds/``) is checked too
        try:
            parts = base.relative_to(within).parts + parts
        except ValueError:
            parts = ()
    mode = _plain_file(within, parts)
    if mode is not None:
        if mode & stat.S_IROTH or os.access(path, os.R_OK):
            return path
        raise Unsafe(PERMISSION)
    return _checked(path, within, scope=scope, missing=missing)


def found_file(folder: Path, entry: os.DirEntry[str], within: Path, *, scope: str) -> Path:
    """``folder/entry.name``, a file found by its name in the listing of ``folder``
    (``transcript.vtt``, ``chapters.yaml``...), held to the same rules as :func:`safe_file`
    inside ``within``; the listing's file type costs no system call."""
    if entry.is_file(follow_symlinks=False):
        if os.access(entry.path, os.R_OK):
            return folder / entry.name
        raise Unsafe(PERMISSION)
    return _checked(folder / entry.name, within, scope=scope,
                    missing="is a broken link (remove it, or put the file itself there)")


def _checked(path: Path, within: Path, *, scope: str, missing: str) -> Path:
    """The full check: links resolved, the real path inside ``within``, a readable regular file."""
    try:
        real = path.resolve(strict=True)
        inside = within.resolve(strict=True)
    except FileNotFoundError:
        raise Unsafe(missing) from None
    except PermissionError:
        raise Unsafe(PERMISSION) from None
    except RuntimeError:  # pathlib's own word for a symlink loop on some Pythons
        raise Unsafe(LOOP) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unsafe(LOOP) from None
        raise Unsafe(read_reason(exc)) from None
    if not real.is_relative_to(inside):
        raise Unsafe(f"is a link out of the {scope} (copy the file in)")
    if not real.is_file():
        raise Unsafe("is not a file")
    if not os.access(real, os.R_OK):
        raise Unsafe(PERMISSION)
    return path


def _plain_file(folder: Path, parts: tuple[str, ...]) -> int | None:
    """The mode of ``folder/parts`` when it is a regular file reached through real folders only
    (no symlink), else None.

    Then it is inside the folder without resolving anything: one lstat per part instead of
    ``Path.resolve`` (an lstat per component of the whole path). Anything else (links, missing
    files) goes through the full check of :func:`_checked`.
    """
    if not parts:
        return None
    cur = str(folder)
    mode = 0
    for i, part in enumerate(parts):
        cur = os.path.join(cur, part)
        try:
            mode = os.lstat(cur).st_mode
        except OSError:
            return None
        if not (stat.S_ISREG(mode) if i == len(parts) - 1 else stat.S_ISDIR(mode)):
            return None
    return mode


def list_folder(folder: Path) -> dict[str, os.DirEntry[str]] | None:
    """The entries of ``folder`` by name; None when it does not exist (or is not a folder).

    Raises :class:`Unsafe` when it exists but cannot be read (a ``chmod 000`` folder): that is
    not the same as empty, and must not read as "episode.yaml: missing".
    """
    try:
        with os.scandir(folder) as it:
            return {e.name: e for e in it}
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise Unsafe(read_reason(exc).replace("cannot be read", "cannot read the folder", 1)) from None


def shown(path: Path, root: Path) -> str:
    """``path`` as messages name it: relative to ``root`` when inside it (``episodes/x/episode.yaml``),
    else as given."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
