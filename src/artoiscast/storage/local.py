"""The default backend: a local folder (``public/``), served by ``artoiscast serve``.

Nothing temporary is ever inside the published folder (a web server serves dotfiles too): a
file is written in full in a staging folder beside it, ``<parent>/.<name>.artoiscast-tmp/``
(same filesystem, so the rename into place is atomic), then renamed over its key. Only when
that sibling cannot be made (the parent is read-only, or on another filesystem because the
folder is a mount point) does staging fall back to ``<folder>/.artoiscast-tmp/``, with a note
saying so. The publish holding the lock empties the staging folder first (the temporaries of
killed predecessors), and removes it when it ends.

The lock is ``flock(2)`` on the published folder's own directory: no lock file under the public
URL, and the kernel releases it when its process dies, however it dies (``kill -9`` included),
so a dead publish never blocks the next one.
"""

from __future__ import annotations

import builtins
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from artoiscast.errors import StorageError, UsageError
from artoiscast.storage.base import Busy, Changed, ObjectInfo, Progress, Upload, register

if TYPE_CHECKING:  # pydantic's import is slow: publish with nothing to do should start fast
    from artoiscast.config import StorageSettings

STAGE = ".artoiscast-tmp"
OWNER = "owner.json"  # in the staging folder: who holds the lock, since when (for the Busy line)
NFS_LOCK = "lock"  # in the staging folder, only where flock on a directory is refused (NFS)
LEGACY_PART = re.compile(r"^\..+\.\d+\.part$")  # what versions before 0.2 left beside a file when killed


def folder_of(settings: StorageSettings, root: Path) -> Path:
    """The local folder ``settings.path`` names (``public/`` by default), relative to the catalog's
    ``root`` unless absolute: where a local publish writes and what ``serve`` serves."""
    folder = Path(settings.path)
    return folder if folder.is_absolute() else root / folder


class _FolderLock:
    conditional = True  # flock is exclusive: no one else writes while it is held

    def check(self) -> None:
        """A flock cannot be taken over: nothing to check."""


class LocalStorage:
    name = "local"
    takes_sidecars = True  # the compressed X.br / X.gz beside X: artoiscast serve sends them by Accept-Encoding

    def __init__(self, folder: Path):
        self.folder = folder
        self.notes: list[str] = []  # things the user should know (a staging fallback), printed by the CLI
        self._stage: Path | None = None

    @classmethod
    def from_settings(cls, settings: StorageSettings, root: Path) -> LocalStorage:
        return cls(folder_of(settings, root))

    def _path(self, key: str) -> Path:
        path = (self.folder / key).resolve()
        if ".." in Path(key).parts or not path.is_relative_to(self.folder.resolve()):
            raise StorageError(f'key "{key}" leaves the storage folder', path=str(self.folder))
        return path

    def _error(self, what: str, exc: OSError) -> StorageError:
        return StorageError(f"{what} ({exc.strerror or exc})", path=str(self.folder))

    # ------------------------------------------------------------ staging

    def _stages(self) -> tuple[Path, Path]:
        """(the sibling staging folder, the fallback inside the published folder)."""
        folder = self.folder.absolute()
        return folder.parent / f".{folder.name or 'root'}{STAGE}", folder / STAGE

    def _staging(self) -> Path:
        """The staging folder, made on first use (see the module's docstring)."""
        if self._stage is not None:
            return self._stage
        sibling, inside = self._stages()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error("cannot create the folder", exc) from exc
        try:
            sibling.mkdir(mode=0o700, exist_ok=True)
            if sibling.stat().st_dev != self.folder.stat().st_dev:
                with suppress(OSError):
                    sibling.rmdir()
                raise OSError(errno.EXDEV, "on another filesystem than the folder")
            self._stage = sibling
        except OSError as exc:
            try:
                inside.mkdir(mode=0o700, exist_ok=True)
            except OSError as exc2:
                raise self._error(f"cannot create a staging folder, neither {sibling} nor {inside}", exc2) from exc2
            note = (f"{self.folder}: temporary files are staged in {inside}, inside the published folder, while a "
                    f"publish runs (cannot use {sibling}: {exc.strerror or exc}; make {sibling.parent} writable, on "
                    "the same filesystem as the folder, to keep them out of the public URL)")
            if note not in self.notes:
                self.notes.append(note)
            self._stage = inside
        return self._stage

    def _temporary(self) -> Path:
        return self._staging() / f"{uuid.uuid4().hex}.part"

    # ------------------------------------------------------------ protocol

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str, sha256: str | None = None) -> None:
        dest = self._path(key)
        tmp = self._temporary()
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp)
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
            tmp.replace(dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise self._error(f"cannot write {key}", exc) from exc

    def put_many(self, uploads: Iterable[Upload], *, jobs: int, on_progress: Progress | None = None) -> None:
        """Copy every upload on ``jobs`` threads; the first failure is raised once all have stopped."""

        def one(up: Upload) -> None:
            self.put(up.key, up.src, content_type=up.content_type, cache_control=up.cache_control)
            if on_progress:
                on_progress(up.key, up.size)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for fut in [pool.submit(one, up) for up in uploads]:
                fut.result()

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(f"cannot read {key}", exc) from exc

    def get_tagged(self, key: str) -> tuple[bytes | None, str | None]:
        """The bytes and their sha256 (the tag), or (None, None)."""
        data = self.get(key)
        return data, (hashlib.sha256(data).hexdigest() if data is not None else None)

    def put_if(self, key: str, data: bytes, *, expect: str | None, content_type: str, cache_control: str,
               sha256: str) -> None:
        """Write ``data`` if the file's sha256 is still ``expect`` (None: if absent). Atomic under the lock."""
        if self.get_tagged(key)[1] != expect:
            raise Changed(str(self.folder))
        dest = self._path(key)
        tmp = self._temporary()
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise self._error(f"cannot write {key}", exc) from exc

    def list(self) -> dict[str, ObjectInfo]:
        """Every file, except dotfiles and whatever is in a dot folder (staging, leftovers)."""
        out: dict[str, ObjectInfo] = {}
        if not self.folder.is_dir():
            return out
        for path in self.folder.rglob("*"):
            rel = path.relative_to(self.folder)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            key = rel.as_posix()
            st = path.stat()
            out[key] = ObjectInfo(key, st.st_size, modified=st.st_mtime)
        return out

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(f"cannot read {key}", exc) from exc
        return ObjectInfo(key, st.st_size, modified=st.st_mtime, sha256=digest.hexdigest())

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise self._error(f"cannot delete {key}", exc) from exc

    def setup_cors(self) -> None:
        """A folder has no CORS rule to set (``serve`` sends the CORS headers itself): raises UsageError."""
        raise UsageError("--setup-cors is for the s3 backend (serve sets CORS itself)", field="--setup-cors")

    def describe(self) -> str:
        return str(self.folder)

    # ------------------------------------------------------------ lock and leftovers

    def _owner_since(self) -> str | None:
        for stage in self._stages():
            with suppress(OSError, ValueError, AttributeError):
                return str(json.loads((stage / OWNER).read_text())["since"])
        return None

    @contextmanager
    def lock(self, command: str = "publish") -> Iterator[_FolderLock]:
        """``flock`` on the folder itself, never waiting: raises Busy when another process holds it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise self._error("cannot open the folder", exc) from exc
        lock_file: Path | None = None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(str(self.folder), command=command, since=self._owner_since()) from None
            except OSError:  # NFS: flock is emulated with fcntl locks, which need a file open for writing
                lock_file = self._staging() / NFS_LOCK
                try:
                    file_fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError as exc:
                    raise self._error("cannot lock the folder", exc) from exc
                os.close(fd)
                fd = file_fd
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise Busy(str(self.folder), command=command, since=self._owner_since()) from None
                except OSError as exc:
                    raise self._error("cannot lock the folder", exc) from exc
            owner = self._staging() / OWNER
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with suppress(OSError):
                owner.write_text(json.dumps({"command": command, "pid": os.getpid(), "since": since}))
            try:
                yield _FolderLock()
            finally:
                with suppress(OSError):
                    owner.unlink()
                if lock_file is None:  # a lock file is kept: removing it would let two processes lock two files
                    self._remove_stages()
        finally:
            os.close(fd)  # releases the lock

    def _remove_stages(self) -> None:
        for stage in self._stages():
            with suppress(OSError):
                stage.rmdir()  # only when empty
        self._stage = None

    def sweep(self, *, dry_run: bool = False) -> builtins.list[str]:  # `list` here is the method above
        """Delete the temporaries of killed publishes: everything in the staging folders but the lock's own
        files, and the ``.<name>.<pid>.part`` files older versions left inside the folder. Lock held."""
        found: list[Path] = []
        for stage in self._stages():
            if stage.is_dir():
                found += [p for p in stage.iterdir() if p.name not in (OWNER, NFS_LOCK)]
        if self.folder.is_dir():
            found += [p for p in self.folder.rglob(".*.part") if LEGACY_PART.match(p.name) and p.is_file()]
        if not dry_run:
            for path in found:
                with suppress(OSError):
                    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        return sorted(str(p) for p in found)


register("local")(LocalStorage.from_settings)
