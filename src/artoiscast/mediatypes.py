"""Content-Type, Cache-Control and CORS per published path: one table for publish and serve."""

from __future__ import annotations

from pathlib import PurePosixPath

TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
}
# text files the build compresses beside themselves (``X.br``, ``X.gz``) and serve sends so
COMPRESSIBLE = frozenset({".html", ".css", ".js", ".json", ".xml", ".vtt", ".srt", ".txt", ".svg", ".ico"})
ENCODINGS = {"br": ".br", "gzip": ".gz"}  # content-coding -> the sidecar's suffix, preferred first
CORS_TOPS = {"feeds", "transcripts", "chapters", "media", "art", "oembed"}
IMMUTABLE = "public, max-age=31536000, immutable"  # art: named by the hash of its own bytes
# media is named by its sound, not its bytes: a metadata edit rewrites its ID3 tag under the same
# key, so caches keep it a day, then revalidate (ETag) instead of trusting it for a year
MEDIA = "public, max-age=86400"


def _top(key: str) -> str:
    parts = PurePosixPath(key.lstrip("/")).parts
    return parts[0] if len(parts) > 1 else ""


def content_type(key: str) -> str:
    """The Content-Type of a published path (feeds are RSS, chapters JSON chapters)."""
    suffix = PurePosixPath(key).suffix.lower()
    top = _top(key)
    if suffix == ".xml" and top == "feeds":
        return "application/rss+xml; charset=utf-8"
    if suffix == ".json" and top == "chapters":
        return "application/json+chapters"
    return TYPES.get(suffix, "application/octet-stream")


def cache_control(key: str) -> str:
    """Art (named by its hash) never changes; media keeps its key when its tags are edited, so it
    is kept a day then revalidated; feeds and the manifest change often."""
    top = _top(key)
    if top == "art":
        return IMMUTABLE
    if top == "media":
        return MEDIA
    if top == "feeds" or key.lstrip("/") == "manifest.json":
        return "public, max-age=300"
    return "public, max-age=3600"


def needs_cors(key: str) -> bool:
    """Browser players on other origins fetch feeds, transcripts, chapters, media and art."""
    return _top(key) in CORS_TOPS


def compressible(key: str) -> bool:
    """Is the file at ``key`` text the build compresses (html, css, js, json, xml, vtt, srt, txt, svg, ico)?"""
    return PurePosixPath(key).suffix.lower() in COMPRESSIBLE


def sidecar_of(key: str) -> str | None:
    """The file a compressed sidecar (``X.br``, ``X.gz`` of a compressible ``X``) stands beside, else None."""
    for suffix in ENCODINGS.values():
        if key.endswith(suffix) and compressible(key[:-len(suffix)]):
            return key[:-len(suffix)]
    return None
