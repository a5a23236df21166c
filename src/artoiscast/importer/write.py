"""Turn a read feed into catalog documents: ``podcast.yaml``, ``feeds/<theme>.yaml``,
``episode.yaml``, ``chapters.yaml`` and transcripts, as YAML text and bytes (no network).

Show notes: HTML -> sanitised with nh3 (the tags the catalog's notes allow, http(s)/mailto links
only) -> Markdown with markdownify. Every document is validated by the catalog's own models
before it is written, so what the import writes, ``check`` accepts.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any

import yaml

from artoiscast.apple import CATEGORIES
from artoiscast.importer.read import FeedItem, FeedShow, Place, plain_text
from artoiscast.values import http_url_problem

# the namespace of podcast:guid (Podcasting 2.0): uuid5 of the feed URL without its scheme
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
NOTES_TAGS = {"p", "ul", "ol", "li", "a", "strong", "em", "b", "i", "br", "h1", "h2", "h3", "h4", "blockquote"}
DEFAULT_CATEGORY = ("Society & Culture", None)
MAX_SUMMARY = 4000  # bytes (the catalog's limit)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # several lines (notes) as a literal block, as a person writes them; a line ending in a space
    # cannot be one, so those keep the quoted style
    style = "|" if "\n" in value and not any(line.endswith((" ", "\t")) for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: dict[str, Any] | list[Any]) -> str:
    """YAML as a person would write it: keys in the given order, UTF-8 text, notes as blocks."""
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


def slugify(text: str, taken: set[str], link: str | None = None) -> str:
    """A folder name (a-z, 0-9, -, at most 60 characters), not in ``taken``: the last part of the
    item's page ``link`` when that is already a slug (artoiscast's, Castopod's pages), else from ``text``."""
    from urllib.parse import urlsplit

    last = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1] if link else ""
    if re.match(r"^[a-z0-9][a-z0-9-]{2,59}$", last) and last not in taken:
        taken.add(last)
        return last
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-") or "episode"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base[:55]}-{n}", n + 1
    taken.add(slug)
    return slug


def feed_guid(show: FeedShow) -> str:
    """The show's podcast:guid: the feed's own when it is a UUID, else the namespace's recipe
    applied to the URL it was read from (what indexes computed for the old feed)."""
    if show.guid:
        try:
            return str(uuid.UUID(show.guid))
        except ValueError:
            pass
    bare = show.url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE, bare))


def category(show: FeedShow, warnings: list[str]) -> dict[str, str]:
    text, sub = show.category or DEFAULT_CATEGORY
    if text not in CATEGORIES:
        warnings.append(f"channel: itunes:category {text!r} is not an Apple category (Society & Culture used)")
        text, sub = DEFAULT_CATEGORY
    if sub is not None and sub not in CATEGORIES[text]:
        sub = None
    return {"text": text, "sub": sub} if sub else {"text": text}


def _cut(text: str, limit: int) -> str:
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - 3].decode("utf-8", "ignore")
    return cut[: cut.rfind(" ")].rstrip() + "…" if " " in cut else cut + "…"


def podcast_doc(show: FeedShow, *, base_url: str, artwork: str, warnings: list[str]) -> dict[str, Any]:
    """The ``podcast.yaml`` mapping of ``show``, published at ``base_url``."""
    language = (show.language or "fr").split("_")[0]
    if not re.match(r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$", language):
        warnings.append(f"channel: language {language[:20]!r} is not a language code (fr used)")
        language = "fr"
    host = next((p.name for p in show.persons if p.role == "host"), None)
    doc: dict[str, Any] = {
        "title": _cut(show.title or "Podcast", 255),
        "description": show.description or show.title or "Podcast",
        "author": show.author or show.owner_name or show.title or "Podcast",
    }
    if host:
        doc["host"] = host
    if show.owner_name or show.owner_email:
        owner: dict[str, str] = {"name": show.owner_name or doc["author"]}
        if show.owner_email and re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", show.owner_email):
            owner["email"] = show.owner_email
        doc["owner"] = owner
    doc["language"] = language
    doc["base_url"] = base_url
    if show.link:
        doc["link"] = show.link
    for key in ("copyright", "license"):
        if value := getattr(show, key):
            doc[key] = value
    doc["explicit"] = show.explicit
    doc["artwork"] = artwork
    if show.location:
        doc["location"] = place_doc(show.location)
    doc["guid"] = feed_guid(show)
    if show.publisher_guid:
        doc["publisher_guid"] = show.publisher_guid
    if not http_url_problem(show.url):
        doc["previous_urls"] = [show.url]
    doc["all_feed"] = {"category": category(show, warnings)}
    return doc


def feed_doc(show: FeedShow, theme: str, category_doc: dict[str, str], artwork: str) -> dict[str, Any]:
    return {"title": f"{_cut(show.title or 'Podcast', 200)} : {theme}", "description": show.description or show.title,
            "artwork": artwork, "category": category_doc, "themes": [theme]}


def place_doc(place: Place) -> dict[str, str]:
    return {k: v for k, v in (("name", place.name), ("geo", place.geo), ("osm", place.osm),
                              ("country", place.country), ("rel", place.rel)) if v}


def notes_markdown(html_text: str) -> str:
    """Show notes HTML -> Markdown, sanitised first (scripts, styles, images, iframes, event
    handlers and non-http(s) links are dropped)."""
    import nh3
    from markdownify import markdownify

    clean = nh3.clean(html_text, tags=NOTES_TAGS, attributes={"a": {"href"}},
                      url_schemes={"http", "https", "mailto"}, link_rel=None)
    md = markdownify(clean, heading_style="ATX", bullets="-", escape_underscores=False, escape_misc=False)
    md = re.sub(r"[ \t]+\n", "\n", md)
    return re.sub(r"\n{3,}", "\n\n", md).strip()


# the parts of our own show notes (templates/notes.html) that the build writes from other fields
_OWN_PARTS = re.compile(r"\n(?=<h3>Invités</h3><ul>|<p><strong>Lieu :</strong>|<h3>Chapitres</h3><ol>)")
_OWN_GUEST = re.compile(r"<li>(.*?)</li>")


def own_notes(item: FeedItem) -> tuple[str, dict[str, tuple[str | None, str | None]]]:
    """An artoiscast feed's show notes split back: (the notes' own HTML, guest name -> (role,
    organisation)). The summary's paragraph and the generated lists are not notes."""
    parts = _OWN_PARTS.split(item.notes_html)
    notes = re.sub(r"^<p>.*?</p>\n?", "", parts[0], count=1, flags=re.S)  # the summary (escaped: no "<" inside)
    guests: dict[str, tuple[str | None, str | None]] = {}
    for part in parts[1:]:
        if part.startswith("<h3>Invités</h3>"):
            for li in _OWN_GUEST.findall(part):
                text = plain_text(li)
                org = None
                if text.endswith(")") and " (" in text:
                    text, org = text[:-1].rsplit(" (", 1)
                name, _, role = text.partition(", ")
                guests[name] = (role or None, org)
    return notes, guests


def episode_doc(item: FeedItem, *, theme_list: list[str], audio: str, own: bool, host_default: str | None,
                warnings: list[str]) -> dict[str, Any]:
    """The ``episode.yaml`` mapping of ``item`` (its guid kept). ``own``: the feed was written by
    artoiscast, whose notes hold generated parts (see :func:`own_notes`)."""
    assert item.published is not None
    notes_html, roles = own_notes(item) if own else (item.notes_html, {})
    summary = _cut(item.summary or item.title, MAX_SUMMARY)
    doc: dict[str, Any] = {"title": _cut(item.title, 255), "date": item.published.isoformat(), "themes": theme_list}
    hosts = [p for p in item.persons if p.role == "host"]
    if hosts and hosts[0].name != host_default:
        doc["host"] = hosts[0].name
    guests = []
    for p in item.persons:
        if p.role != "guest":
            continue
        g: dict[str, str] = {"name": p.name}
        role, org = roles.get(p.name, (None, None))
        if role:
            g["role"] = role
        if org:
            g["organisation"] = org
        if p.href:
            g["url"] = p.href
        if p.img:
            g["image"] = p.img
        guests.append(g)
    if guests:
        doc["guests"] = guests
    if item.location:
        doc["location"] = place_doc(item.location)
    doc["summary"] = summary
    notes = notes_markdown(notes_html) if notes_html else ""
    if notes and " ".join(notes.split()) != " ".join(summary.split()):  # not the summary again
        doc["notes"] = notes
    doc["audio"] = audio
    for key in ("season", "episode"):
        if value := getattr(item, key):
            doc[key] = value
    if item.type != "full":
        doc["type"] = item.type
    if item.explicit:
        doc["explicit"] = True
    doc["guid"] = item.guid[:255]
    return doc


def chapters_list(data: bytes) -> list[dict[str, Any]]:
    """Podcasting 2.0 JSON chapters -> the ``chapters.yaml`` list (empty when unusable: not JSON,
    no chapter with a start and a title). Only http(s) links are kept; times ascend."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return []
    items = doc.get("chapters") if isinstance(doc, dict) else None
    out: list[dict[str, Any]] = []
    for ch in items if isinstance(items, list) else []:
        if not isinstance(ch, dict) or ch.get("toc") is False:
            continue
        start, title = ch.get("startTime"), plain_text(str(ch.get("title") or ""))
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not title:
            continue
        if not 0 <= start < 360_000 or (out and start <= out[-1]["start"]):
            continue
        entry: dict[str, Any] = {"start": round(float(start), 3), "title": title}
        for src, key in (("url", "url"), ("img", "image")):
            if isinstance(ch.get(src), str) and not http_url_problem(ch[src]):
                entry[key] = ch[src]
        out.append(entry)
    return out


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def json_transcript_vtt(data: bytes) -> bytes | None:
    """A Podcasting 2.0 JSON transcript -> WebVTT (speakers as voices), or None when unusable."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    segments = doc.get("segments") if isinstance(doc, dict) else None
    out = io.StringIO()
    out.write("WEBVTT\n")
    n, last = 0, -1.0
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict):
            continue
        start, end, body = seg.get("startTime"), seg.get("endTime"), plain_text(str(seg.get("body") or ""))
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or not body:
            continue
        if isinstance(start, bool) or isinstance(end, bool):
            continue
        if not 0 <= start < end < 360_000 or start < last:
            continue
        speaker = plain_text(str(seg.get("speaker") or "")).replace(">", "")
        out.write(f"\n{_vtt_time(start)} --> {_vtt_time(end)}\n{f'<v {speaker}>' if speaker else ''}{body}\n")
        n, last = n + 1, start
    return out.getvalue().encode() if n else None


TRANSCRIPT_CHOICE = (("text/vtt", "vtt"), ("application/x-subrip", "srt"), ("application/srt", "srt"),
                     ("application/json", "json"), ("text/plain", "txt"))


def pick_transcript(links: list[Any]) -> tuple[Any, str] | None:
    """The transcript to import among an item's: WebVTT, else SRT, else JSON, else plain text."""
    for mime, ext in TRANSCRIPT_CHOICE:
        for link in links:
            if link.type == mime or (link.type is None and link.url.lower().split("?")[0].endswith("." + ext)):
                return link, ext
    return None


AUDIO_TYPES = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/x-m4a": "m4a", "audio/mp4": "m4a", "audio/aac": "m4a",
               "audio/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac", "audio/wav": "wav", "audio/x-wav": "wav"}


def audio_name(url: str, mime: str | None) -> str:
    """``audio.<ext>`` for an enclosure: its extension from the URL's path, else its type, else mp3."""
    from urllib.parse import urlsplit

    ext = urlsplit(url).path.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() if "." in urlsplit(url).path else ""
    if ext not in {"mp3", "m4a", "ogg", "opus", "flac", "wav", "aiff"}:
        ext = AUDIO_TYPES.get((mime or "").lower(), "mp3")
    return f"audio.{ext}"


def themes_for(item: FeedItem, mapping: dict[str, str], default: str) -> list[str]:
    """The item's themes: each category or keyword ``mapping`` names (case-insensitive), else ``default``."""
    lowered = {k.lower(): v for k, v in mapping.items()}
    found = sorted({lowered[k.lower()] for k in item.keywords if k.lower() in lowered})
    return found or [default]


def when(dt: datetime) -> str:
    return dt.isoformat()
