"""Transcripts and chapters: read, validate against the audio's duration, convert.

In: ``transcript.vtt`` (webvtt-py) / ``.srt`` (the ``srt`` library) or ``.txt``; ``chapters.yaml``.
Out: WebVTT (speaker voices kept), SRT, Podcasting 2.0 JSON, HTML, and JSON chapters 1.2.0.
No feed or page knowledge here.
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

import webvtt

from artoiscast.errors import TranscriptError, read_reason
from artoiscast.models import Chapter, Cue, Transcript
from artoiscast.values import http_url_problem, parse_time
from artoiscast.yamlio import load_yaml

_VOICE = re.compile(r"^<v(?:\.[^ >]+)*\s+([^>]+)>")
_TAG = re.compile(r"</?[a-z][^>]*>")


def fmt_time(seconds: float, sep: str = ".") -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# ---------------------------------------------------------------- chapters


def load_chapters(path: Path, duration: float | None, shown: str) -> list[Chapter]:
    """Read ``chapters.yaml``: a list of {start, title, url?, image?}, ascending, inside the audio;
    ``url`` and ``image`` absolute http(s) URLs. Returns the chapters; raises TranscriptError
    (or CatalogError for the YAML itself) naming the file and the chapter."""
    data = load_yaml(path, shown)
    if not isinstance(data, list) or not data:
        raise TranscriptError("must be a non-empty list of {start, title}", path=shown)
    out: list[Chapter] = []
    for i, item in enumerate(data):
        field = f"[{i}]"
        if not isinstance(item, dict):
            raise TranscriptError("each chapter is a mapping {start, title}", path=shown, field=field)
        unknown = set(item) - {"start", "title", "url", "image"}
        if unknown:
            raise TranscriptError(f"unknown key {sorted(unknown)[0]!r} (use start, title, url, image)", path=shown, field=field)
        try:
            start = parse_time(item.get("start"))
        except ValueError as exc:
            raise TranscriptError(f"start: {exc}", path=shown, field=field) from None
        title = str(item.get("title") or "").strip()
        if not title:
            raise TranscriptError("title: required field is missing", path=shown, field=field)
        if out and start <= out[-1].start:
            raise TranscriptError(f"start {fmt_time(start)} is not after the previous chapter ({fmt_time(out[-1].start)})",
                                  path=shown, field=field)
        if duration is not None and start >= duration:
            raise TranscriptError(f"start {fmt_time(start)} is after the end of the audio ({fmt_time(duration)})",
                                  path=shown, field=field)
        links = {}
        for key in ("url", "image"):  # the same rule as every URL of the catalog: http(s) only
            value = item.get(key)
            problem = http_url_problem(value.strip() if isinstance(value, str) else value) if value is not None else None
            if problem:
                raise TranscriptError(f"{key}: {problem}", path=shown, field=field)
            links[key] = value.strip() if isinstance(value, str) else None
        out.append(Chapter(start, title, links["url"], links["image"]))
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

# SRT has no voice tag: a cue may open with "<v Name>" or with "Name: " (one to five capitalised
# words, as our own SRT writes it), which is read back as the speaker.
_SRT_SPEAKER = re.compile(r"^((?:[A-ZÀ-Þ][\w'’.-]*)(?:[ -](?:[A-ZÀ-Þ][\w'’.-]*|de|du|des|d'|la|le|van|von)){0,4}) ?: ")
_VTT_TIMING = re.compile(r"^(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}(?:\s+.*)?$")


def load_transcript(path: Path, duration: float | None, shown: str) -> Transcript:
    """Read a .vtt, .srt or .txt transcript; timed cues must ascend and stay inside the audio.

    Returns a Transcript. Raises TranscriptError naming the file and the cue, or saying
    that the file cannot be read.
    """
    suffix = path.suffix.lower()
    try:
        source = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", path=shown) from None
    except OSError as exc:  # no permission, a symlink loop...
        raise TranscriptError(read_reason(exc), path=shown) from None
    if suffix == ".txt":
        text = source.strip()
        if not text:
            raise TranscriptError("the transcript is empty", path=shown)
        return Transcript([], text)
    raw = _read_srt(source, shown) if suffix == ".srt" else _read_vtt(path, source, shown)
    cues: list[Cue] = []
    for i, (start, end, body) in enumerate(raw, start=1):
        body = body.strip()
        m = _VOICE.match(body) or (_SRT_SPEAKER.match(body) if suffix == ".srt" else None)
        speaker = html.unescape(m.group(1).strip()) if m else None
        if m and not m.group(0).startswith("<"):
            body = body[m.end():]
        text = html.unescape(" ".join(_TAG.sub("", body).split()))
        field = f"cue {i} ({fmt_time(start)})"
        if end < start:
            raise TranscriptError(f"ends ({fmt_time(end)}) before it starts", path=shown, field=field)
        if cues and start < cues[-1].start:
            raise TranscriptError(f"starts before the previous cue ({fmt_time(cues[-1].start)})",
                                  path=shown, field=field)
        if duration is not None and start > duration + 0.5:
            raise TranscriptError(f"starts after the end of the audio ({fmt_time(duration)})", path=shown, field=field)
        if not text:
            raise TranscriptError("has no text", path=shown, field=field)
        cues.append(Cue(start, end, speaker, text))
    if not cues:
        raise TranscriptError("no cues", path=shown)
    return Transcript(cues, "\n".join(c.text for c in cues))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read_srt(source: str, shown: str) -> list[tuple[float, float, str]]:
    """SRT through the ``srt`` library: unlike webvtt-py, which silently glues a cue with a broken
    timing line onto the previous one, it refuses any block it cannot parse, and says where."""
    import srt

    out: list[tuple[float, float, str]] = []
    try:
        for sub in srt.parse(source):
            out.append((sub.start.total_seconds(), sub.end.total_seconds(), sub.content))
    except srt.SRTParseError as exc:
        content = exc.unmatched_content
        at = exc.expected_start + len(content) - len(content.lstrip())
        bad = content.strip().splitlines() or [""]
        skip = 1 if len(bad) > 1 and bad[0].strip().isdigit() else 0  # show the timing line, not the number
        raise TranscriptError(
            f'malformed SRT at line {_line_of(source, at) + skip}: "{bad[skip].strip()[:60]}" (each cue is a number, then '
            '"HH:MM:SS,mmm --> HH:MM:SS,mmm", then its text, then a blank line)',
            path=shown, field=f"cue {len(out) + 1}") from None
    return out


def _read_vtt(path: Path, source: str, shown: str) -> list[tuple[float, float, str]]:
    """WebVTT through webvtt-py, after a check that every cue block has a timing line
    (webvtt-py skips such a block without a word)."""
    if not source.startswith("WEBVTT"):
        raise TranscriptError('malformed VTT: the first line must be "WEBVTT"', path=shown)
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    n, i = 0, 0
    while i < len(lines):  # walk the blocks (separated by blank lines) after the header block
        while i < len(lines) and lines[i].strip():
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or lines[i].startswith(("NOTE", "STYLE", "REGION")):
            continue
        n += 1
        head = lines[i:i + 2]
        if not any(_VTT_TIMING.match(line.strip()) for line in head):
            bad = 1 if len(head) > 1 and "-->" in head[1] else 0
            raise TranscriptError(f'malformed VTT at line {i + 1 + bad}: "{head[bad].strip()[:60]}" is not a timing line '
                                  '(use "HH:MM:SS.mmm --> HH:MM:SS.mmm")', path=shown, field=f"cue {n}")
    try:
        captions = webvtt.read(str(path))
    except Exception as exc:  # webvtt-py raises its own MalformedFileError and ValueErrors
        raise TranscriptError(f"malformed VTT ({exc})", path=shown) from exc
    return [(c.start_in_seconds + c.start_time.milliseconds / 1000, c.end_in_seconds + c.end_time.milliseconds / 1000,
             c.raw_text) for c in captions.captions]


def to_vtt(t: Transcript, *, note: str | None = None) -> bytes:
    """WebVTT, speaker voices kept; ``note`` (one paragraph) as a NOTE block after the header."""
    lines = ["WEBVTT", ""]
    if note:
        lines += ["NOTE " + " ".join(note.replace("-->", "->").split()), ""]
    for c in t.cues:
        voice = f"<v {html.escape(c.speaker, quote=False)}>" if c.speaker else ""
        text = html.escape(c.text, quote=False)
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


def clock(seconds: float) -> str:
    """``M:SS`` or ``H:MM:SS`` for people (the namespace's HTML transcript example uses ``0:00``)."""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def to_html(t: Transcript, *, title: str = "", language: str = "fr") -> bytes:
    """The namespace's HTML transcript: ``<cite>Speaker:</cite>`` when the speaker changes, then
    ``<time>`` and ``<p>`` per cue; a plain-text transcript becomes paragraphs. Everything escaped."""
    esc = html.escape
    head = (f'<!doctype html>\n<html lang="{esc(language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Transcription{' : ' + esc(title) if title else ''}</title>\n</head>\n<body>\n")
    body: list[str] = [f"<h1>{esc(title)}</h1>"] if title else []
    if t.timed:
        previous: str | None = None
        for c in t.cues:
            if c.speaker and c.speaker != previous:
                body.append(f"<cite>{esc(c.speaker)}:</cite>")
            previous = c.speaker
            body.append(f'<time datetime="PT{round(c.start, 3):g}S">{clock(c.start)}</time>')
            body.append(f"<p>{esc(c.text)}</p>")
    else:
        body += [f"<p>{esc(' '.join(par.split()))}</p>" for par in re.split(r"\n\s*\n", t.text) if par.strip()]
    return (head + "\n".join(body) + "\n</body>\n</html>\n").encode()


def side_files(transcript: Transcript, *, title: str = "", language: str = "fr") -> dict[str, bytes]:
    """Published renditions by extension: vtt/srt/json/html for timed transcripts, txt/html otherwise."""
    page = to_html(transcript, title=title, language=language)
    if not transcript.timed:
        return {"txt": transcript.text.encode() + b"\n", "html": page}
    return {"vtt": to_vtt(transcript), "srt": to_srt(transcript), "json": to_json(transcript), "html": page}


# ---------------------------------------------------------------- show notes

ALLOWED_TAGS = {"p", "ul", "ol", "li", "a", "strong", "em", "br", "h3"}


@functools.lru_cache(maxsize=1)
def _markdown() -> Any:
    """One parser for the whole build (making one costs more than rendering a note)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def markdown_html(text: str) -> str:
    """Markdown -> sanitised HTML with only ALLOWED_TAGS (raw HTML in the input is escaped): the
    commonmark render of markdown-it-py, one heading level, then nh3's sanitiser."""
    import nh3

    html = _markdown().render(text)
    html = re.sub(r"<(/?)h[1-6]>", r"<\1h3>", html)  # one heading level in apps
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener").strip()


# ---------------------------------------------------------------- optimisation: plain notes


def markdown_html_fast(text: str) -> str:
    """:func:`markdown_html`'s result, without parsing when the notes are plain paragraphs (most
    notes are: a build of thousands of episodes would spend its time in the parser).
    tests/test_transcripts.py compares both on the real catalog and on random text."""
    plain = _plain_paragraphs(text)
    return plain if plain is not None else markdown_html(text)


# Characters that can start Markdown syntax inside a line (emphasis, code, links, escapes, entities,
# autolinks, raw HTML) or that the sanitiser rewrites; a paragraph line without them is its own HTML.
_MARKUP = frozenset('\\`*_[]&<>"')


def _plain_paragraphs(text: str) -> str | None:
    """The HTML of notes made only of plain paragraphs, or None when ``text`` may hold any Markdown.

    Plain means: every line empty or starting with a letter (no block syntax: headings, lists,
    quotes, code, underlines, indentation), no trailing space (hard breaks), only printable
    characters and none of ``_MARKUP``. For such text, Markdown and the sanitiser give back the
    lines in ``<p>`` per paragraph: the same string, without parsing.
    """
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if not line[0].isalpha() or line[-1] == " " or not line.isprintable() or not _MARKUP.isdisjoint(line):
            return None
        paragraphs[-1].append(line)
    return "\n".join("<p>" + "\n".join(lines) + "</p>" for lines in paragraphs if lines)
