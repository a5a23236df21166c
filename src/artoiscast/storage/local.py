"""The default backend: a local folder (``public/``), served by ``artoiscast serve``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from artoiscast.catalog import StorageSettings
from artoiscast.errors import StorageError
from artoiscast.storage.base import ObjectInfo, register


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

    def put(self, key: str, src: Path, *, content_type: str, cache_control: str) -> None:
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
                out[key] = ObjectInfo(key, path.stat().st_size)
        return out

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def describe(self) -> str:
        return str(self.folder)


register("local")(LocalStorage.from_settings)
