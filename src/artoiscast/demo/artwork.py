"""Demo artwork: a 3000x3000 RGB PNG for the show and each feed, drawn with Pillow.

Deterministic bytes on a given machine (no metadata; DejaVu Sans when installed, since
Pillow's built-in font has no accented capitals).
"""

from __future__ import annotations

from pathlib import Path

from artoiscast.demo.source import read_mapping, read_show, words, write_atomic
from artoiscast.drawing import font as _font, wrap as _wrap
from artoiscast.errors import CatalogError
from artoiscast.paths import shown

SIZE = 3000
COLOURS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {  # background, accent
    "show": ((28, 30, 36), (214, 170, 84)),
    "economy": ((22, 58, 112), (240, 196, 92)),
    "energy": ((24, 96, 64), (250, 214, 64)),
    "culture": ((128, 30, 64), (248, 200, 170)),
    "llv": ((20, 104, 112), (236, 236, 220)),
}
_OTHER = [((92, 60, 120), (240, 220, 120)), ((120, 72, 28), (240, 230, 200))]


def targets(root: Path) -> list[tuple[Path, str, str, str]]:
    """``(path, palette, show title, feed title)`` for the show cover and each feed's artwork.
    Raises CatalogError for a bad ``podcast.yaml`` or feed file, or an artwork path that leaves
    the catalog."""
    root = Path(root)
    show = read_show(root)
    out: list[tuple[Path, str, str, str]] = []
    if show.doc.get("artwork"):
        out.append((_inside(root, root / str(show.doc["artwork"]), "podcast.yaml"), "show", show.title, ""))
    for path in sorted((root / "feeds").glob("*.yaml")):
        feed = read_mapping(path, root)
        if feed.get("artwork"):
            target = _inside(root, path.parent / str(feed["artwork"]), shown(path, root))
            out.append((target, path.stem, show.title, words(feed.get("title")) or path.stem))
    return out


def _inside(root: Path, target: Path, name: str) -> Path:
    if not target.resolve().is_relative_to(root.resolve()):
        raise CatalogError(f'"{target}" leaves the catalog (use a name beside the file)', path=name, field="artwork")
    return target


def render(palette: str, show: str, feed_title: str) -> bytes:
    """A 3000x3000 RGB PNG: theme colour, show and feed titles, terrils and a headframe."""
    import io

    from PIL import Image, ImageDraw

    key = sum(map(ord, palette)) % len(_OTHER)
    bg, accent = COLOURS.get(palette, _OTHER[key])
    im = Image.new("RGB", (SIZE, SIZE), bg)
    d = ImageDraw.Draw(im)
    dark = tuple(max(c - 18, 0) for c in bg)
    # terrils (slag heaps): overlapping triangles on the horizon
    ground = 2480
    for x0, x1, top in ((-200, 1500, 1560), (900, 2400, 1820), (1900, 3300, 1680)):
        d.polygon([(x0, ground), ((x0 + x1) // 2, top), (x1, ground)], fill=dark)
    d.rectangle((0, ground, SIZE, SIZE), fill=dark)
    # headframe (chevalement): two legs, a strut, cross-bracing and the winding wheel
    lx, rx, foot, head = 2180, 2520, ground, 1180
    w = 26
    for a, b in (((lx, foot), (2300, head)), ((rx, foot), (2400, head)), ((2650, foot), (2380, head + 120)),
                 ((lx + 30, 2200), (rx - 30, 1900)), ((rx - 30, 2200), (lx + 30, 1900)),
                 ((2240, 1800), (2470, 1520)), ((2470, 1800), (2240, 1520)), ((2270, head), (2430, head))):
        d.line([a, b], fill=accent, width=w)
    d.ellipse((2350 - 150, head - 300, 2350 + 150, head), outline=accent, width=w)
    d.line([(2350, head - 150), (2350, ground)], fill=accent, width=8)
    # titles
    big, small = _font(230), _font(260)
    y = 260
    for line in _wrap(d, show, big, 1900):
        d.text((220, y), line, font=big, fill=(250, 250, 245))
        y += 280
    label = feed_title.split(":", 1)[1].strip() if ":" in feed_title else feed_title
    label = label[:1].upper() + label[1:]
    if label and label != show:
        d.rectangle((220, y + 60, 620, y + 90), fill=accent)
        y += 170
        for line in _wrap(d, label, small, 1900):
            d.text((220, y), line, font=small, fill=accent)
            y += 300
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def draw(root: Path, *, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Draw the show cover (``podcast.yaml`` artwork) and each feed's artwork where missing
    (all with ``force``). Returns (files written, files kept). Raises CatalogError on a bad path
    or YAML."""
    written, kept = [], []
    for path, palette, show, feed_title in targets(root):
        if force or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            written.append(write_atomic(path, render(palette, show, feed_title)))
        else:
            kept.append(path)
    return written, kept
