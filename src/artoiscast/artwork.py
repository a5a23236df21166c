"""Artwork: the show's, the feeds' and the episodes' images, judged before anything uses them.

Apps want a square RGB JPEG or PNG of 1400 to 3000 px. The size an image declares is read
from its header and judged before a single pixel is decoded, so a decompression bomb (a small
PNG declaring 15000x15000 pixels) is refused at once; then the image is decoded in full, so a
truncated file is refused by ``check`` rather than found by ``build``. ``check`` and ``build``
both call :func:`feed_art` (the show's and the feeds' artwork) and :func:`episode_art`, which
judge each image with :func:`check_artwork`.

Published artwork is named by its content: ``art/<feed or slug>-<sha8>.<ext>``.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from artoiscast.errors import ArtoiscastError, CatalogError, read_reason

if TYPE_CHECKING:
    from artoiscast.catalog import Catalog, Episode, Feed

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


def check_artwork(path: Path, shown: str, field: str) -> tuple[bytes, str]:
    """Artwork must pass :func:`artwork_problem`. Returns (bytes, ext). Raises CatalogError
    naming ``shown`` and ``field``."""
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(f'"{name}" not found (add the image, or run artoiscast demo --media-only)', path=shown,
                           field=field) from None
    except OSError as exc:
        raise CatalogError(f'"{name}" {read_reason(exc)}', path=shown, field=field) from None
    problem = artwork_problem(data, path.suffix)
    if problem is not None:
        raise CatalogError(f'"{name}" {problem}', path=shown, field=field)
    return data, "png" if path.suffix.lower() == ".png" else "jpg"


def feed_file(feed: Feed) -> str:
    """The catalog file that names a feed's artwork: podcast.yaml for ``all``, else feeds/<name>.yaml."""
    return "podcast.yaml" if feed.name == "all" else f"feeds/{feed.name}.yaml"


def art_path(name: str, data: bytes, ext: str) -> str:
    """``art/<name>-<sha8>.<ext>``: the published path of an image, named by its content."""
    return f"art/{name}-{hashlib.sha256(data).hexdigest()[:8]}.{ext}"


@dataclass
class FeedArt:
    """The show's and the feeds' artwork, judged: what passed, and why the rest did not."""

    paths: dict[str, str] = field(default_factory=dict)  # feed name -> published art path
    files: dict[str, bytes] = field(default_factory=dict)  # published art path -> image bytes
    errors: list[ArtoiscastError] = field(default_factory=list)  # one per feed whose artwork failed
    cover: Path | None = None  # the show's artwork (feed ``all``), when it passed: the MP3s' cover


def feed_art(catalog: Catalog) -> FeedArt:
    """Every feed's artwork checked with :func:`check_artwork` (in the catalog's feed order),
    every problem gathered in ``errors``. Returns the FeedArt."""
    art = FeedArt()
    for feed in catalog.feeds.values():
        try:
            data, ext = check_artwork(feed.artwork, feed_file(feed), "artwork")
        except ArtoiscastError as exc:
            art.errors.append(exc)
            continue
        art.paths[feed.name] = art_path(feed.name, data, ext)
        art.files[art.paths[feed.name]] = data
        if feed.name == "all":
            art.cover = feed.artwork
    return art


def episode_art(ep: Episode) -> tuple[str, bytes] | None:
    """An episode's own image, checked: (published art path, bytes), or None when it has none.
    Raises CatalogError naming its episode.yaml."""
    if not ep.image:
        return None
    data, ext = check_artwork(ep.image, f"episodes/{ep.slug}/episode.yaml", "image")
    return art_path(ep.slug, data, ext), data
