"""Text on pictures drawn with Pillow: the demo's artwork and ``init``'s placeholder cover.

DejaVu Sans when installed (Debian's fonts-dejavu-core), since Pillow's built-in font has no
accented capitals; its built-in font otherwise. Nothing here knows about podcasts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF")


def font(size: int, *, bold: bool = True) -> Any:
    """DejaVu Sans (Bold by default) at ``size`` px when installed, else Pillow's built-in font."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` px in ``font`` (at word boundaries; a word
    longer than the width stays whole on its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines
