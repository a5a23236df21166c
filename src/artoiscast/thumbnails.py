"""Thumbnails of the published images and the site's icons (Pillow), cached by content.

For every published image (the feeds' artwork, the episodes' own), squares of :data:`SIZES`
px in WebP and JPEG (the pages show an image at 32 to 320 CSS px, so at 1x and 2x), and one
:data:`OPEN_GRAPH` px JPEG for link previews; for the show's artwork the icons of
:data:`ICONS` (``favicon.ico`` of 16, 32 and 48 px, a 32 px PNG, Apple's 180 px touch icon).

Published as ``art/thumbs/<image stem>-<px>-<sha8>.<ext>``, named by their own bytes (art
never changes under a name: it is cached for a year). The bytes depend only on the source's
(no EXIF, ICC profile or date is written), so a rebuild gives the same files; they are kept in
``build/thumbs/<key>/`` (the key: the source's sha256 and :data:`VERSION`), so an image is
resized once, not on every build. Any mode Pillow reads (CMYK, palette, transparent) is made
RGB, transparency laid on white.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, ImageOps

from artoiscast.artwork import open_image
from artoiscast.models import Thumb
from artoiscast.workspace import write_whole

VERSION = 1  # bump when the sizes, formats or encoder settings change: every thumbnail is made again
SIZES = (64, 96, 160, 320, 480, 640)  # px, square: WebP and JPEG each
OPEN_GRAPH = 1200  # px, JPEG only: og:image / twitter:card
ICONS = {"favicon.ico": (16, 32, 48), "assets/icon-32.png": (32,), "assets/apple-touch-icon.png": (180,)}
JPEG_QUALITY = 82
WEBP_QUALITY = 80
MIMES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png", "ico": "image/x-icon"}
INDEX = "index.json"  # in each cache entry: what it holds


@dataclass
class Made:
    """What :func:`thumbnails` made: the files to publish and each image's thumbnails."""

    files: dict[str, bytes] = field(default_factory=dict)  # published path -> bytes
    thumbs: dict[str, list[Thumb]] = field(default_factory=dict)  # image path -> its thumbnails, smallest first
    made: int = 0  # images resized now (not found in the cache)


def _rgb(im: Any) -> Any:
    """``im`` as an upright RGB image: transparency laid on white, CMYK and palettes converted."""
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB") if im.mode != "RGB" else im


def _encode(im: Any, ext: str, sizes: tuple[int, ...] = ()) -> bytes:
    """``im`` encoded as ``ext``, with nothing but the pixels (no EXIF, ICC profile or date)."""
    buf = io.BytesIO()
    if ext == "jpg":
        im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif ext == "webp":
        im.save(buf, "WEBP", quality=WEBP_QUALITY, method=6)
    elif ext == "png":
        im.save(buf, "PNG", optimize=True)
    else:
        im.save(buf, "ICO", sizes=[(s, s) for s in sizes])
    return buf.getvalue()


def render(data: bytes, *, icons: bool = False) -> dict[str, bytes]:
    """The thumbnails of the image ``data`` by cache name (``160.webp``, ``1200.jpg``; with
    ``icons`` the names of :data:`ICONS`). Sizes larger than the image are left out (never
    enlarged). Raises artwork.BadImage for bytes that are no image."""
    with open_image(data) as src:
        if src.format == "JPEG":
            src.draft("RGB", (OPEN_GRAPH, OPEN_GRAPH))  # decode at 1/2, 1/4... of the size: faster, as good
        base = ImageOps.fit(_rgb(src), (min(src.size),) * 2, Image.Resampling.LANCZOS)
    out: dict[str, bytes] = {}
    side = base.width
    big = base.resize((OPEN_GRAPH,) * 2, Image.Resampling.LANCZOS) if side > OPEN_GRAPH else base
    out[f"{big.width}.jpg"] = _encode(big, "jpg")
    for size in SIZES:
        if size <= side:
            small = big.resize((size, size), Image.Resampling.LANCZOS)
            out[f"{size}.webp"] = _encode(small, "webp")
            out[f"{size}.jpg"] = _encode(small, "jpg")
    if icons:
        for name, sizes in ICONS.items():
            ext = PurePosixPath(name).suffix[1:]
            if ext == "ico":
                out[name] = _encode(big.resize((max(sizes),) * 2, Image.Resampling.LANCZOS), "ico", sizes)
            else:
                out[name] = _encode(big.resize((sizes[0],) * 2, Image.Resampling.LANCZOS), "png")
    return out


def cache_key(data: bytes, icons: bool) -> str:
    blob = json.dumps({"v": VERSION, "sizes": SIZES, "og": OPEN_GRAPH, "icons": icons,
                       "src": hashlib.sha256(data).hexdigest()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _cached(folder: Path) -> dict[str, bytes] | None:
    """The thumbnails kept in a cache entry, or None if it is missing or not whole."""
    try:
        names = json.loads((folder / INDEX).read_bytes())
        return {name: (folder / name.replace("/", "_")).read_bytes() for name in names}
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _keep(folder: Path, made: dict[str, bytes]) -> None:
    """Put ``made`` in the cache entry ``folder``, whole or not at all (written beside it, then renamed)."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, data in made.items():
        (tmp / name.replace("/", "_")).write_bytes(data)
    write_whole(tmp / INDEX, json.dumps(sorted(made)).encode())
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def _published(image: str, name: str, data: bytes) -> str:
    """``art/thumbs/<stem>-<px>-<sha8>.<ext>`` for thumbnail ``name`` (``160.webp``) of ``image``."""
    stem = PurePosixPath(image).stem
    px, ext = name.split(".")
    return f"art/thumbs/{stem}-{px}-{hashlib.sha256(data).hexdigest()[:8]}.{ext}"


def _size(name: str) -> int:
    return int(name.split(".")[0])


def thumbnails(images: Mapping[str, bytes], cache: Path, *, icons_from: str | None = None) -> Made:
    """The thumbnails of every image of ``images`` (published path -> bytes), and the icons of
    the one named ``icons_from`` (the show's artwork), made or taken from ``cache``
    (``build/thumbs``); the entries no image uses any more are removed from it. Hold the build's
    lock. Raises artwork.BadImage for bytes that are no image, OSError when the cache cannot be written."""
    result = Made()
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(".*.tmp"):  # what a killed build left
        shutil.rmtree(old, ignore_errors=True)
    used = set()
    for image, data in sorted(images.items()):
        icons = image == icons_from
        key = cache_key(data, icons)
        used.add(key)
        made = _cached(cache / key)
        if made is None:
            made = render(data, icons=icons)
            _keep(cache / key, made)
            result.made += 1
        thumbs = []
        for name in sorted((n for n in made if n[0].isdigit()), key=lambda n: (_size(n), n.endswith(".jpg"))):
            path = _published(image, name, made[name])
            result.files[path] = made[name]
            px = _size(name)
            thumbs.append(Thumb(path, px, px, MIMES[name.split(".")[1]]))
        result.thumbs[image] = thumbs
        for name in ICONS:
            if name in made:
                result.files[name] = made[name]
    for entry in cache.iterdir():
        if entry.name not in used and not entry.name.startswith("."):
            shutil.rmtree(entry, ignore_errors=True)
    return result
