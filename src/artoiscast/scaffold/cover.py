"""The placeholder cover ``artoiscast init`` draws when a new show has no artwork yet.

A 3000x3000 RGB PNG (the largest square apps take) with the show's title in DejaVu Sans, the
author under it and, for a feed, the feed's name; marked by a PNG text chunk
(:data:`artoiscast.artwork.PLACEHOLDER_KEY`) so that ``check --strict`` fails until it is
replaced. Deterministic: the same words give the same bytes (no date or other metadata; the
colours come from the title).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from artoiscast.artwork import PLACEHOLDER_KEY
from artoiscast.drawing import font, wrap

SIZE = 3000
MARGIN = 240
PALETTES = (  # background, accent: light text on each meets WCAG AA
    ((28, 30, 36), (214, 170, 84)),
    ((22, 58, 112), (240, 196, 92)),
    ((24, 96, 64), (250, 214, 64)),
    ((128, 30, 64), (248, 200, 170)),
    ((20, 92, 104), (236, 236, 220)),
    ((92, 60, 120), (240, 220, 120)),
)


def _fit(draw: Any, text: str, width: int, sizes: tuple[int, ...], max_lines: int) -> tuple[Any, list[str]]:
    """The largest font of ``sizes`` that sets ``text`` within ``width`` px in ``max_lines`` lines."""
    for size in sizes:
        f = font(size)
        lines = wrap(draw, text, f, width)
        if len(lines) <= max_lines and all(draw.textlength(line, font=f) <= width for line in lines):
            return f, lines
    f = font(sizes[-1])
    lines = wrap(draw, text, f, width)[:max_lines]
    return f, lines


def placeholder_png(title: str, author: str, label: str = "") -> bytes:
    """The placeholder cover of ``title`` by ``author`` (``label``: a feed's name under them), as
    PNG bytes carrying the placeholder marker."""
    from PIL import Image, ImageDraw, PngImagePlugin

    key = int.from_bytes(hashlib.sha256(title.encode()).digest()[:2], "big")
    bg, accent = PALETTES[key % len(PALETTES)]
    if label:  # each feed of the show its own colour, the show's accent kept
        bg = PALETTES[(key + 1 + int.from_bytes(hashlib.sha256(label.encode()).digest()[:2], "big")) % len(PALETTES)][0]
    im = Image.new("RGB", (SIZE, SIZE), bg)
    d = ImageDraw.Draw(im)
    width = SIZE - 2 * MARGIN
    big, lines = _fit(d, title, width, (360, 300, 250, 210, 170), 5)
    y = MARGIN + 80
    for line in lines:
        d.text((MARGIN, y), line, font=big, fill=(250, 250, 245))
        y += int(big.size * 1.18)
    d.rectangle((MARGIN, y + 60, MARGIN + 420, y + 96), fill=accent)
    y += 200
    if label:
        small, lab = _fit(d, label, width, (260, 200, 160), 2)
        for line in lab:
            d.text((MARGIN, y), line, font=small, fill=accent)
            y += int(small.size * 1.2)
    by, names = _fit(d, author, width, (150, 120, 100), 2)
    y = SIZE - MARGIN - len(names) * int(by.size * 1.2)
    for line in names:
        d.text((MARGIN, y), line, font=by, fill=(230, 230, 225))
        y += int(by.size * 1.2)
    info = PngImagePlugin.PngInfo()
    info.add_text(PLACEHOLDER_KEY, "drawn by artoiscast init: replace it with the show's own artwork")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info, optimize=False, compress_level=6)
    return buf.getvalue()
