"""Thumbnails and icons (thumbnails.py): sizes and formats, same bytes every time, the cache, any
colour mode, the build's files, and the ``image()`` macro's markup."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import lxml.html
import pytest
from PIL import Image, ImageDraw

from artoiscast.build import build
from artoiscast.models import Thumb
from artoiscast.site import _env
from artoiscast.thumbnails import ICONS, OPEN_GRAPH, SIZES, render, thumbnails
from conftest import make_catalog


def _image(mode: str, fmt: str, size: int = 1400) -> bytes:
    im = Image.new("RGB", (size, size), (40, 60, 90))
    ImageDraw.Draw(im).rectangle((0, 0, size // 2, size // 2), fill=(200, 120, 40))
    if mode == "RGBA":
        im = im.convert("RGBA")
        ImageDraw.Draw(im).rectangle((size // 2, size // 2, size, size), fill=(0, 0, 0, 0))  # transparent
    elif mode == "P":
        im = im.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
        im.info["transparency"] = 0
    elif mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Camera"  # a maker's name: not to be copied into a thumbnail
    im.save(buf, fmt, exif=exif.tobytes())
    return buf.getvalue()


def test_sizes_formats_and_nothing_but_pixels() -> None:
    made = render(_image("RGB", "PNG"), icons=True)
    expected = {f"{s}.{e}" for s in SIZES for e in ("webp", "jpg")} | {f"{OPEN_GRAPH}.jpg"} | set(ICONS)
    assert set(made) == expected
    for name, data in made.items():
        with Image.open(io.BytesIO(data)) as im:
            fmt = {"webp": "WEBP", "jpg": "JPEG", "png": "PNG", "ico": "ICO"}[name.rsplit(".", 1)[1]]
            assert im.format == fmt and im.mode in ("RGB", "RGBA")
            assert "exif" not in im.info and "icc_profile" not in im.info
            if name[0].isdigit():
                assert im.size == (int(name.split(".")[0]),) * 2
    with Image.open(io.BytesIO(made["favicon.ico"])) as ico:
        assert sorted(ico.info["sizes"]) == [(16, 16), (32, 32), (48, 48)]
    assert Image.open(io.BytesIO(made["assets/apple-touch-icon.png"])).size == (180, 180)
    assert Image.open(io.BytesIO(made["assets/icon-32.png"])).size == (32, 32)
    assert render(_image("RGB", "PNG"), icons=True) == made  # the same bytes every time


@pytest.mark.parametrize(("mode", "fmt"), [("CMYK", "JPEG"), ("P", "PNG"), ("RGBA", "PNG"), ("L", "JPEG"),
                                           ("RGB", "JPEG")])
def test_any_colour_mode_gives_rgb(mode: str, fmt: str) -> None:
    made = render(_image(mode, fmt))
    with Image.open(io.BytesIO(made["640.jpg"])) as im:
        assert im.mode == "RGB"
        corner = im.getpixel((600, 600))
    if mode == "RGBA":  # the transparent square is laid on white
        assert min(corner) > 240
    with Image.open(io.BytesIO(made["64.webp"])) as im:
        assert im.mode == "RGB" and im.size == (64, 64)


def test_never_enlarged() -> None:
    made = render(_image("RGB", "PNG", size=300))
    assert set(made) == {"300.jpg", "64.webp", "64.jpg", "96.webp", "96.jpg", "160.webp", "160.jpg"}


def test_cache_reused_and_pruned(tmp_path: Path) -> None:
    cache = tmp_path / "thumbs"
    images = {"art/all-11111111.png": _image("RGB", "PNG"), "art/ep-22222222.jpg": _image("RGB", "JPEG")}
    first = thumbnails(images, cache, icons_from="art/all-11111111.png")
    assert first.made == 2
    assert "favicon.ico" in first.files and "assets/apple-touch-icon.png" in first.files
    thumbs = first.thumbs["art/ep-22222222.jpg"]
    assert [t.width for t in thumbs] == sorted(t.width for t in thumbs) and thumbs[-1].width == OPEN_GRAPH
    assert all(t.path.startswith("art/thumbs/ep-22222222-") for t in thumbs)
    kept = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}
    again = thumbnails(images, cache, icons_from="art/all-11111111.png")
    assert again.made == 0 and again.files == first.files and again.thumbs == first.thumbs
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == kept  # read, not rewritten
    broken = next(p for p in cache.iterdir() if (p / "index.json").is_file())
    (broken / "index.json").unlink()  # an entry left half-made is made again
    assert thumbnails(images, cache, icons_from="art/all-11111111.png").made == 1
    only = thumbnails({"art/ep-22222222.jpg": images["art/ep-22222222.jpg"]}, cache)
    assert only.made == 0 and "favicon.ico" not in only.files
    assert len(list(cache.iterdir())) == 1  # the unused entries are gone


def test_build_publishes_thumbnails_and_icons(tmp_path: Path, tools: None) -> None:
    root = make_catalog(tmp_path / "show")
    result = build(root)
    site = root / "build" / "site"
    listed = json.loads((site / "manifest.json").read_bytes())["files"]
    for name in ICONS:
        assert name in listed and (site / name).is_file()
    thumbs = sorted(k for k in listed if k.startswith("art/thumbs/"))
    assert len(thumbs) == len(result.catalog.feeds) * (2 * len(SIZES) + 1)
    assert result.written
    cache = {p: p.stat().st_mtime_ns for p in (root / "build" / "thumbs").rglob("*")}
    (root / "podcast.yaml").write_text((root / "podcast.yaml").read_text() + "\n")  # a rebuild, same images
    again = build(root, out=tmp_path / "other")
    assert not again.skipped
    assert {p: p.stat().st_mtime_ns for p in (root / "build" / "thumbs").rglob("*")} == cache  # not resized again
    assert {k: (tmp_path / "other" / k).read_bytes() for k in thumbs} == {k: (site / k).read_bytes() for k in thumbs}
    shutil.rmtree(root / "build" / "thumbs")
    build(root, out=tmp_path / "third")
    assert {k: (tmp_path / "third" / k).read_bytes() for k in thumbs} == {k: (site / k).read_bytes() for k in thumbs}


THUMBS = {"art/x-1.png": [Thumb(f"art/thumbs/x-{s}-a.{e}", s, s, m) for s in SIZES
                          for e, m in (("webp", "image/webp"), ("jpg", "image/jpeg"))]
          + [Thumb("art/thumbs/x-1200-a.jpg", 1200, 1200, "image/jpeg")]}


def _macro(path: str, size: int, alt: str = "", cls: str = "") -> str:
    template = _env().from_string('{% from "_image.html" import image %}'
                                  "{{ image(base, thumbs, path, size, alt=alt, class=cls) }}")
    return template.render(base="https://a.example/", thumbs=THUMBS, path=path, size=size, alt=alt, cls=cls)


@pytest.mark.parametrize(("size", "one", "two"), [(160, 160, 320), (48, 64, 96), (320, 320, 640), (600, 640, None)])
def test_image_macro(size: int, one: int, two: int | None) -> None:
    out = _macro("art/x-1.png", size, alt='L\'Artois "x" <b>', cls="cover")
    doc = lxml.html.fragment_fromstring(out)
    assert doc.tag == "picture"
    (source,), (img,) = doc.findall(".//source"), doc.findall(".//img")  # libxml2 nests the img in the source
    assert out.count("<img ") == 1 and out.index("<source ") < out.index("<img ")
    assert source.get("type") == "image/webp"
    want = f"https://a.example/art/thumbs/x-{one}-a.webp 1x" + (f", https://a.example/art/thumbs/x-{two}-a.webp 2x"
                                                                if two else "")
    assert source.get("srcset") == want
    assert img.get("src") == f"https://a.example/art/thumbs/x-{one}-a.jpg"
    assert img.get("srcset").startswith(f"https://a.example/art/thumbs/x-{one}-a.jpg 1x, ")
    assert img.get("srcset").endswith(f"-{two or 1200}-a.jpg 2x")
    assert (img.get("width"), img.get("height")) == (str(size), str(size))
    assert (img.get("loading"), img.get("decoding"), img.get("class")) == ("lazy", "async", "cover")
    assert img.get("alt") == "L’Artois «\u202fx\u202f» <b>"  # typography, and escaped: no element made


def test_image_macro_without_thumbnails_shows_the_original() -> None:
    img = lxml.html.fragment_fromstring(_macro("art/y-2.png", 160))
    assert img.tag == "img" and img.get("src") == "https://a.example/art/y-2.png" and img.get("alt") == ""
    assert img.get("class") is None and img.get("width") == "160"
