"""Transcripts and chapters: read, validate against the audio's duration, convert.

In: ``transcript.vtt`` / ``.srt`` (parsed by webvtt-py) or ``.txt``; ``chapters.yaml``.
Out: WebVTT (speaker voices kept), SRT, Podcasting 2.0 JSON, and JSON chapters 1.2.0.
No feed or page knowledge here.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import webvtt

from artoiscast.audio.tags import Chapter
from artoiscast.errors import TranscriptError
from artoiscast.yamlio import load_yaml

_VOICE = re.compile(r"^<v(?:\.[^ >]+)*\s+([^>]+)>")
_TAG = re.compile(r"</?[a-z][^>]*>")
_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d{1,3})?)$")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str | None
    text: str


@dataclass(frozen=True)
class Transcript:
    cues: list[Cue]  # empty for a plain-text transcript
    text: str  # the whole text, for .txt transcripts and search

    @property
    def timed(self) -> bool:
        return bool(self.cues)


def parse_time(value: Any) -> float:
    """``HH:MM:SS(.mmm)``, ``MM:SS`` or a number of seconds -> seconds. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        return float(value)
    m = _TIME.match(str(value).strip())
    if not m:
        raise ValueError("not a time")
    h, mnt, s = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + float(s)


def fmt_time(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# ---------------------------------------------------------------- chapters


def load_chapters(path: Path, duration: float | None, shown: str) -> list[Chapter]:
    """Read ``chapters.yaml``: a list of {start, title, url?, image?}, ascending, inside the audio."""
    data = load_yaml(path, shown)
    if not isinstance(data, list) or not data:
        raise TranscriptError("must be a non-empty list of {start, title}", path=shown)
    out: list[Chapter] = []
    for i, item in enumerate(data):
        where = f"[{i}]"
        if not isinstance(item, dict):
            raise TranscriptError("each chapter is a mapping {start, title}", path=shown, field=where)
        unknown = set(item) - {"start", "title", "url", "image"}
        if unknown:
            raise TranscriptError(f"unknown key {sorted(unknown)[0]!r} (use start, title, url, image)", path=shown, field=where)
        try:
            start = parse_time(item.get("start"))
        except ValueError:
            raise TranscriptError(f'start: "{item.get("start")}" is not a time (use HH:MM:SS.mmm or seconds)',
                                  path=shown, field=where) from None
        title = str(item.get("title") or "").strip()
        if not title:
            raise TranscriptError("title: required field is missing", path=shown, field=where)
        if out and start <= out[-1].start:
            raise TranscriptError(f"start {fmt_time(start)} is not after the previous chapter ({fmt_time(out[-1].start)})",
                                  path=shown, field=where)
        if duration is not None and start >= duration:
            raise TranscriptError(f"start {fmt_time(start)} is after the end of the audio ({fmt_time(duration)})",
                                  path=shown, field=where)
        out.append(Chapter(start, title, item.get("url"), item.get("image")))
    return out


def chapters_json(chapters: list[Chapter], *, title: str, podcast: str, base_url: str = "") -> bytes:
    """Podcasting 2.0 JSON chapters, version 1.2.0."""
    items = []
    for ch in chapters:
        d: dict[str, Any] = {"startTime": round(ch.start, 3), "title": ch.title}
        if ch.url:
            d["url"] = ch.url
        if ch.image:
            d["img"] = ch.image if "://" in ch.image else base_url + ch.image
        items.append(d)
    doc = {"version": "1.2.0", "title": title, "podcastName": podcast, "chapters": items}
    return (json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


# ---------------------------------------------------------------- transcripts


def load_transcript(path: Path, duration: float | None, shown: str) -> Transcript:
    """Read a .vtt, .srt or .txt transcript; timed cues must ascend and stay inside the audio."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if not text:
            raise TranscriptError("the transcript is empty", path=shown)
        return Transcript([], text)
    try:
        captions = webvtt.read(str(path)) if suffix == ".vtt" else webvtt.from_srt(str(path))
    except Exception as exc:  # webvtt-py raises its own MalformedFileError and ValueErrors
        raise TranscriptError(f"malformed {suffix[1:].upper()} ({exc})", path=shown) from exc
    cues: list[Cue] = []
    for i, cap in enumerate(captions, start=1):
        raw = cap.raw_text if hasattr(cap, "raw_text") else cap.text
        m = _VOICE.match(raw.strip())
        speaker = m.group(1).strip() if m else None
        text = html.unescape(" ".join(_TAG.sub("", raw).split()))
        start, end = cap.start_in_seconds + cap.start_time.milliseconds / 1000, cap.end_in_seconds + cap.end_time.milliseconds / 1000
        where = f"cue {i} ({cap.start})"
        if end < start:
            raise TranscriptError("ends before it starts", path=shown, field=where)
        if cues and start < cues[-1].start:
            raise TranscriptError(f"starts before the previous cue ({fmt_time(cues[-1].start)})", path=shown, field=where)
        if duration is not None and start > duration + 0.5:
            raise TranscriptError(f"starts after the end of the audio ({fmt_time(duration)})", path=shown, field=where)
        cues.append(Cue(start, end, speaker, text))
    if not cues:
        raise TranscriptError("no cues", path=shown)
    return Transcript(cues, "\n".join(c.text for c in cues))


def to_vtt(t: Transcript) -> bytes:
    lines = ["WEBVTT", ""]
    for c in t.cues:
        voice = f"<v {c.speaker}>" if c.speaker else ""
        text = c.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines += [f"{fmt_time(c.start)} --> {fmt_time(c.end)}", voice + text, ""]
    return "\n".join(lines).encode()


def to_srt(t: Transcript) -> bytes:
    lines: list[str] = []
    for i, c in enumerate(t.cues, start=1):
        who = f"{c.speaker}: " if c.speaker else ""
        lines += [str(i), f"{fmt_time(c.start, ',')} --> {fmt_time(c.end, ',')}", who + c.text, ""]
    return "\n".join(lines).encode()


def to_json(t: Transcript) -> bytes:
    segs = [{"speaker": c.speaker or "", "startTime": round(c.start, 3), "endTime": round(c.end, 3), "body": c.text}
            for c in t.cues]
    return (json.dumps({"version": "1.0.0", "segments": segs}, ensure_ascii=False, indent=1) + "\n").encode()


def side_files(transcript: Transcript) -> dict[str, bytes]:
    """Published renditions by extension: vtt/srt/json for timed transcripts, txt otherwise."""
    if not transcript.timed:
        return {"txt": transcript.text.encode() + b"\n"}
    return {"vtt": to_vtt(transcript), "srt": to_srt(transcript), "json": to_json(transcript)}




# ---------------------------------------------------------------- show notes

ALLOWED_TAGS = {"p", "ul", "ol", "li", "a", "strong", "em", "br", "h3"}


def markdown_html(text: str) -> str:
    """Markdown -> sanitised HTML with only SPEC 3's tags (raw HTML in the input is escaped)."""
    from markdown_it import MarkdownIt
    import nh3

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
    html = md.render(text)
    html = re.sub(r"<(/?)h[1-6]>", r"<\1h3>", html)  # one heading level in apps
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener").strip()
