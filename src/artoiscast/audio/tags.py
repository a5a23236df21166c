"""The sole importer of mutagen: writes the ID3 tag of a published MP3.

ID3v2.3 by default (the widest player support), v2.4 by setting. Frames: TIT2, TPE1,
TALB, TDRC (TYER/TDAT in v2.3), TCON, COMM, TDES, TCOP, TPUB, APIC, PCST, WFED, TGID,
TXXX loudness values, and CHAP/CTOC mirroring the chapters.

The tag is padded to a whole number of ``TAG_BLOCK`` bytes: a published MP3 keeps its URL when
its metadata is edited (the object is named by the sound alone), and with the padding a typical
edit (a typo in the title or summary) keeps its length too, so the feed's enclosure ``length``
and the bytes after the tag stay the same.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from mutagen.id3 import (
    APIC, CHAP, COMM, CTOC, ID3, PCST, TALB, TCON, TCOP, TDES, TDRC, TGID, TIT2, TPE1, TPUB, TXXX, WFED, WXXX,
    CTOCFlags, Frame, ID3NoHeaderError,
)
from mutagen.mp3 import MP3, HeaderNotFoundError
from PIL import Image

from artoiscast.errors import AudioError
from artoiscast.models import Chapter

TAG_BLOCK = 64 * 1024  # the whole tag (header, frames, padding) is a multiple of this
TAG_SLACK = 4 * 1024  # at least this much padding, so a tag just under a block boundary still has room


@dataclass(frozen=True)
class TagData:
    title: str
    artists: list[str]
    album: str
    date: str  # YYYY-MM-DD
    summary: str
    language: str  # ISO 639-2, e.g. fra
    copyright: str | None
    publisher: str
    feed_url: str
    guid: str
    duration: float
    cover_jpeg: bytes | None = None
    loudness: dict[str, str] = field(default_factory=dict)
    chapters: list[Chapter] = field(default_factory=list)


def cover_jpeg(path: Path, size: int = 600) -> bytes:
    """A small square RGB JPEG of ``path`` for APIC (deterministic bytes)."""
    with Image.open(path) as opened:
        im = opened.convert("RGB")
        side = min(im.size)
        left, top = (im.width - side) // 2, (im.height - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85, optimize=True)
        return buf.getvalue()


def mp3_length(mp3: Path) -> float:
    """Length in seconds of an MP3 we encoded (its Xing header's frame count, as ffprobe reports it)."""
    try:  # mutagen types FileType.info as None; MP3 sets it on load (or raises)
        return float(MP3(mp3).info.length)  # type: ignore[attr-defined]
    except (HeaderNotFoundError, OSError) as exc:
        raise AudioError(f"cannot read the encoded MP3 ({exc})", path=mp3) from exc


def block_padding(needed: int) -> int:
    """Padding that makes a tag of ``needed`` bytes (header and frames) a whole number of blocks."""
    return -(-(needed + TAG_SLACK) // TAG_BLOCK) * TAG_BLOCK - needed


def write_tags(mp3: Path, data: TagData, *, version: int = 3) -> None:
    """Replace the ID3 tag of ``mp3`` with one built from ``data``, padded to a multiple of
    ``TAG_BLOCK`` bytes (at least ``TAG_SLACK`` of padding). Raises AudioError."""
    try:
        tags = ID3(mp3)
        tags.clear()
    except ID3NoHeaderError:
        tags = ID3()
    available = tags.size  # the tag now at the start of the file, header included (0 if none)
    enc = 1 if version == 3 else 3  # UTF-16 for v2.3, UTF-8 for v2.4
    tags.add(TIT2(encoding=enc, text=data.title))
    tags.add(TPE1(encoding=enc, text=data.artists))
    tags.add(TALB(encoding=enc, text=data.album))
    tags.add(TDRC(encoding=enc, text=data.date))
    tags.add(TCON(encoding=enc, text="Podcast"))
    tags.add(COMM(encoding=enc, lang=data.language, desc="", text=data.summary))
    tags.add(TDES(encoding=enc, text=data.summary))
    if data.copyright:
        tags.add(TCOP(encoding=enc, text=data.copyright))
    tags.add(TPUB(encoding=enc, text=data.publisher))
    tags.add(PCST(value=1))
    tags.add(WFED(url=data.feed_url))
    tags.add(TGID(encoding=enc, text=data.guid))
    for key, value in sorted(data.loudness.items()):
        tags.add(TXXX(encoding=enc, desc=key, text=value))
    if data.cover_jpeg:
        tags.add(APIC(encoding=enc, mime="image/jpeg", type=3, desc="Cover", data=data.cover_jpeg))
    if data.chapters:
        ids = [f"chp{i}" for i in range(len(data.chapters))]
        tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                      sub_frames=[TIT2(encoding=enc, text="Chapitres")]))
        end_ms = int(round(data.duration * 1000))
        for i, (cid, ch) in enumerate(zip(ids, data.chapters, strict=True)):
            start = int(round(ch.start * 1000))
            stop = int(round(data.chapters[i + 1].start * 1000)) if i + 1 < len(data.chapters) else end_ms
            subs: list[Frame] = [TIT2(encoding=enc, text=ch.title)]
            if ch.url:
                subs.append(WXXX(encoding=enc, desc="chapter url", url=ch.url))
            tags.add(CHAP(element_id=cid, start_time=start, end_time=stop,
                          start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF, sub_frames=subs))
    if version == 3:
        tags.update_to_v23()  # save() alone would keep v2.4 frames such as TDRC (v2.3 has TYER + TDAT)
    try:
        tags.save(mp3, v2_version=version, padding=lambda info: block_padding(available - info.padding))
    except Exception as exc:  # mutagen raises several types; the file and the reason matter
        raise AudioError(f"cannot write ID3 tag ({exc})", path=mp3) from exc
