"""The default backend: a local folder (``public/``), served by ``artoiscast serve``."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from artoiscast.errors import StorageError
from artoiscast.storage.base import ObjectInfo, Progress, Upload, register

if TYPE_CHECKING:  # pydantic's import is slow: publish with nothing to do should start fast
    from artoiscast.catalog import StorageSettings


class LocalStorage:
    name = "local"

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def from_settings(cls, settings: StorageSettings, root: Path) -> LocalStorage:
        folder = Path(settings.path)
        return cls(folder if folder.is_absolute() else root / folder)

    def _path(self, key: str) -> Path:
        path = (self.folder / key).resolve()
        if ".." in Path(key).parts or not path.is_relative_to(self.folder.resolve()):
            raise StorageError(f'key "{key}" leaves the storage folder', path=str(self.folder))
        return path

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str, sha256: str | None = None) -> None:
        dest = self._path(key)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp)
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
            tmp.replace(dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {key} ({exc.strerror})", path=str(self.folder)) from exc

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
            raise StorageError(f"cannot read {key} ({exc.strerror})", path=str(self.folder)) from exc

    def list(self) -> dict[str, ObjectInfo]:
        out: dict[str, ObjectInfo] = {}
        if not self.folder.is_dir():
            return out
        for path in self.folder.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.folder).as_posix()
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
            raise StorageError(f"cannot read {key} ({exc.strerror})", path=str(self.folder)) from exc
        return ObjectInfo(key, st.st_size, modified=st.st_mtime, sha256=digest.hexdigest())

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def describe(self) -> str:
        return str(self.folder)


register("local")(LocalStorage.from_settings)
