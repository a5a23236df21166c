"""Artwork: the show's, the feeds' and the episodes' images, judged before anything uses them.

Apps want a square RGB JPEG or PNG of 1400 to 3000 px. The size an image declares is read
from its header and judged before a single pixel is decoded, so a decompression bomb (a small
PNG declaring 15000x15000 pixels) is refused at once; then the image is decoded in full, so a
truncated file is refused by ``check`` rather than found by ``build``. ``check`` and ``build``
both call :func:`check_artwork`.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from artoiscast.errors import CatalogError, read_reason

# What a broken image raises while Pillow decodes it (truncated, bad chunk, bad CRC...).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error)
_MIN, _MAX = 1400, 3000
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}  # format -> the extension a file of it gets


class BadImage(Exception):
    """Bytes that are not an image one may decode. ``reason`` reads after the file's name."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def open_image(data: bytes) -> Any:
    """A lazily decoded Pillow image of ``data`` (only its header read). Raises BadImage for
    bytes that are no image Pillow knows, and for one declaring more pixels than Pillow's
    ``Image.MAX_IMAGE_PIXELS`` (its DecompressionBombWarning as well as its Error)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        m = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(m.group(1)) / 1e6:.0f} megapixels" if m else "too many pixels"
        raise BadImage(f"declares {size}: refused before decoding (apps need a square of {_MIN} to {_MAX} px)") from None
    except UnidentifiedImageError:
        raise BadImage("is not a readable image (not a format Pillow knows: save it as JPEG or PNG)") from None
    except _DECODE_ERRORS as exc:
        raise BadImage(f"is not a readable image ({exc})") from None


def artwork_problem(data: bytes, suffix: str) -> str | None:
    """What is wrong with artwork ``data`` published under a name ending in ``suffix`` (``.png``),
    worded to follow that name, or None: a square RGB JPEG/PNG of 1400-3000 px whose extension
    matches, judged from its header first, then decoded in full. The one set of artwork rules:
    :func:`check_artwork` (files of the catalog) and ``check --live`` (downloaded art) use it."""
    try:
        im = open_image(data)
    except BadImage as exc:
        return exc.reason
    with im:
        fmt, (w, h), mode = im.format, im.size, im.mode
        ext = _EXTENSIONS.get(fmt or "")
        if ext is None:
            return f"is {fmt}; use JPEG or PNG"
        if suffix.lower().lstrip(".") not in ({"jpg", "jpeg"} if ext == "jpg" else {"png"}):
            return f"is a {fmt} file with the wrong extension (rename it .{ext})"
        if w != h or not _MIN <= w <= _MAX:  # from the header: nothing decoded yet
            return f"is {w}x{h}; apps need a square of {_MIN} to {_MAX} px"
        if mode != "RGB":
            return f"is in {mode} colour mode; save it as RGB (no alpha, no CMYK)"
        try:
            im.load()
        except _DECODE_ERRORS as exc:
            return f"cannot be decoded ({exc}); save it again"
    return None


def check_artwork(path: Path, shown: str, fld: str) -> tuple[bytes, str]:
    """Artwork must pass :func:`artwork_problem`. Returns (bytes, ext). Raises CatalogError
    naming ``shown`` and ``fld``."""
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f'"{name}" not found (add the image, or run artoiscast demo --media-only)', path=shown,
                           field=fld) from None
    except OSError as exc:
        raise CatalogError(f'"{name}" {read_reason(exc)}', path=shown, field=fld) from None
    problem = artwork_problem(data, path.suffix)
    if problem is not None:
        raise CatalogError(f'"{name}" {problem}', path=shown, field=fld)
    return data, "png" if path.suffix.lower() == ".png" else "jpg"
