"""``artoiscast import``: a show hosted elsewhere (its RSS feed) -> a catalog folder.

The stages, in order (:func:`import_feed`): fetch the feed (``fetch``), read it (``read``), plan
which items are new (an item whose guid the folder already holds is skipped, so importing again
adds only new items), write ``podcast.yaml`` and ``feeds/`` when the folder has none, download
the enclosures in parallel (resumable), then finish each episode: its side files (chapters,
transcript, image), ``episode.yaml`` (``write``), every document validated by the catalog's
models and every timed file against the audio's length. An episode is assembled in
``.import/<slug>/`` and moved into ``episodes/`` only whole; one that fails stays there, for the
next run to resume, and is reported.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from artoiscast.errors import ArtoiscastError, UsageError
from artoiscast.importer import write
from artoiscast.importer.fetch import Download, FetchError, download_all, fetch_feed, fetch_small
from artoiscast.importer.read import FeedError, FeedItem, FeedShow, parse_feed
from artoiscast.progress import NULL, Events

STAGING = ".import"
DEFAULT_THEME = "episodes"


@dataclass(frozen=True)
class Planned:
    item: FeedItem
    slug: str
    themes: list[str]


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    into: Path
    title: str
    created: bool  # podcast.yaml and feeds/ written by this run
    planned: list[Planned] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # slugs now in episodes/
    skipped: int = 0  # items already imported
    failed: list[str] = field(default_factory=list)  # one line per episode not imported
    warnings: list[str] = field(default_factory=list)
    redirects: list[tuple[int, str]] = field(default_factory=list)


def _inside(path: Path, into: Path) -> Path:
    """``path``, refused when it (or a link on its way) leads out of ``into``."""
    real = path.resolve()
    if real != into and into not in real.parents:
        raise UsageError(f"leads out of {into} (a symlink?): remove it or import elsewhere", path=str(path))
    return path


def _known(into: Path) -> tuple[set[str], set[str], set[str]]:
    """(guids, slugs, themes) of the catalog already in ``into``."""
    import yaml

    guids: set[str] = set()
    slugs: set[str] = set()
    themes: set[str] = set()
    for folder in sorted((into / "episodes").glob("*")) if (into / "episodes").is_dir() else []:
        slugs.add(folder.name)
        try:
            doc = yaml.safe_load((folder / "episode.yaml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and doc.get("guid"):
            guids.add(str(doc["guid"]))
    for f in sorted((into / "feeds").glob("*.yaml")) if (into / "feeds").is_dir() else []:
        try:
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("themes"), list):
            themes.update(str(t) for t in doc["themes"])
    return guids, slugs, themes


def validated(model: type[BaseModel], doc: dict[str, Any], where: str, warnings: list[str],
              required: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``doc`` once ``model`` accepts it: an optional value it refuses is dropped (and noted);
    a refused required one raises :class:`FeedError`."""
    for _ in range(20):
        try:
            model.model_validate(doc)
            return doc
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = [p for p in err["loc"] if not isinstance(p, str) or not p.startswith(("function-", "constrained"))]
            if not loc or loc[0] in required or not isinstance(loc[0], str):
                raise FeedError(f"{'.'.join(map(str, loc)) or 'document'}: {err['msg']}", path=where) from None
            parent: Any = doc
            for key in loc[:-1]:
                parent = parent[key]
            if isinstance(parent, (dict, list)):
                del parent[loc[-1]]  # type: ignore[arg-type]  # a list's index or a mapping's key
            warnings.append(f"{where}: {'.'.join(map(str, loc))}: {err['msg']} (dropped)")
    raise FeedError("cannot be made valid", path=where)


def _same_show(into: Path, show: FeedShow, warnings: list[str]) -> None:
    """A warning when the folder holds another show than the feed (its guid differs)."""
    import yaml

    try:
        doc = yaml.safe_load((into / "podcast.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return
    guid = str(doc.get("guid")) if isinstance(doc, dict) and doc.get("guid") else None
    if guid and guid != write.feed_guid(show):
        warnings.append(f"podcast.yaml: guid {guid} is not the feed's podcast:guid {write.feed_guid(show)}: "
                        "its items are added to another show")


def _base_url(show: FeedShow, base_url: str | None) -> str:
    from artoiscast.values import base_url_value

    if base_url:
        return base_url_value(base_url, "--base-url")
    candidate = show.link or show.url
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https"):
        raise UsageError("the feed names no http(s) site: give --base-url, where the show will be published",
                         field="--base-url")
    return base_url_value(f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/", "--base-url")


def _check_lock(show: FeedShow, owner_email: str | None) -> None:
    if not show.locked:
        return
    owners = {e.strip().lower() for e in (show.locked_owner, show.owner_email) if e}
    if owner_email and owner_email.strip().lower() in owners:
        return
    hint = ("give --owner-email with the owner's address as the feed has it" if owners
            else "the feed names no owner email: unlock it at the old host first")
    raise FeedError(f"is locked (podcast:locked yes): only its owner may move it ({hint})", path=show.url)


def _plan(show: FeedShow, guids: set[str], slugs: set[str], themes: dict[str, str], default: str,
          warnings: list[str]) -> tuple[list[Planned], int]:
    seen: set[str] = set()
    plan, skipped = [], 0
    for n, item in enumerate(show.items):
        where = f"item {n + 1} ({item.title[:40] or 'untitled'})"
        if item.enclosure is None:
            warnings.append(f"{where}: no usable enclosure (not imported)")
            continue
        if not item.guid:
            item.guid = item.enclosure.url  # what podcast apps use when there is no guid
            warnings.append(f"{where}: no guid: its enclosure URL is kept as its guid")
        if item.guid in seen:
            warnings.append(f"{where}: guid {item.guid[:60]!r} is given twice in the feed (only the first is imported)")
            continue
        seen.add(item.guid)
        if item.guid in guids:
            skipped += 1
            continue
        if item.published is None:
            warnings.append(f"{where}: no readable pubDate (not imported)")
            continue
        if not item.title:
            warnings.append(f"{where}: no title (not imported)")
            continue
        plan.append(Planned(item, write.slugify(item.title, slugs, item.link), write.themes_for(item, themes, default)))
    return plan, skipped


def _cover(show: FeedShow, into: Path, warnings: list[str]) -> bool:
    """Download the show's artwork to ``cover.png``, made square RGB 1400-3000 px if it is not."""
    from artoiscast.importer.media import fit_artwork

    if not show.image:
        warnings.append("channel: no artwork (put a square 1400-3000 px PNG at cover.png)")
        return False
    try:
        data = fit_artwork(fetch_small(show.image))
    except FetchError as exc:
        warnings.append(f"channel: itunes:image: {exc.line()} (put a square 1400-3000 px PNG at cover.png)")
        return False
    if data is None:
        warnings.append("channel: itunes:image is not a readable image (put a square 1400-3000 px PNG at cover.png)")
        return False
    (into / "cover.png").write_bytes(data)
    return True


def _write_show(show: FeedShow, into: Path, base: str, theme_names: list[str], have_cover: bool,
                warnings: list[str]) -> None:
    from artoiscast.catalog.schema import FeedDef, Podcast

    doc = validated(Podcast, write.podcast_doc(show, base_url=base, artwork="cover.png", warnings=warnings),
                    "podcast.yaml", warnings, frozenset({"title", "description", "author", "base_url", "artwork", "guid"}))
    (into / "feeds").mkdir(exist_ok=True)
    for theme in theme_names:
        feed = write.feed_doc(show, theme, doc["all_feed"]["category"], f"{theme}.png")
        feed = validated(FeedDef, feed, f"feeds/{theme}.yaml", warnings, frozenset(FeedDef.model_fields))
        if have_cover:
            shutil.copyfile(into / "cover.png", into / "feeds" / f"{theme}.png")
        (into / "feeds" / f"{theme}.yaml").write_text(write.dump(feed), encoding="utf-8")
    (into / "podcast.yaml").write_text(write.dump(doc), encoding="utf-8")


def import_feed(source: str, into: Path, *, themes: dict[str, str] | None = None, base_url: str | None = None,
                owner_email: str | None = None, dry_run: bool = False, events: Events = NULL,
                workers: int = 4) -> ImportReport:
    """Import the feed at ``source`` (an http(s) URL or a file) into the catalog folder ``into``.

    ``themes`` maps item categories or keywords to themes (unmapped items, or all of them
    without it, go to the theme ``episodes``). Returns an :class:`ImportReport` (failed episodes
    are in it, not raised). Raises :class:`FeedError` (not a feed, locked), :class:`FetchError`
    (unreachable) or :class:`UsageError` (bad options, a link out of ``into``)."""
    fetched = fetch_feed(source)
    show = parse_feed(fetched.data, fetched.url if "://" in source else source)
    if "://" not in source and show.self_url:  # a saved copy: it lives at its self link (URLs, guid)
        show = parse_feed(fetched.data, show.self_url)
    _check_lock(show, owner_email)
    themes = themes or {}
    for theme in themes.values():
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,79}$", theme) or theme in ("all", "publisher"):
            raise UsageError(f"{theme[:40]!r} is not a theme name (a-z, 0-9 and -; not all or publisher)",
                             field="--themes")
    into = Path(into)
    if into.exists() and not into.is_dir():
        raise UsageError("is a file, not a folder", path=str(into))
    fresh = not (into / "podcast.yaml").exists()
    guids, slugs, known_themes = _known(into) if into.is_dir() else (set(), set(), set())
    report = ImportReport(into, show.title, created=fresh and not dry_run, redirects=fetched.redirects)
    report.warnings.extend(show.warnings)
    if show.new_feed_url and show.new_feed_url != show.url:
        report.warnings.append(f"channel: itunes:new-feed-url says the show moved to {show.new_feed_url} "
                               "(import from there if it is newer)")
    if not themes:
        report.warnings.append(f"no --themes: every episode goes to the theme {DEFAULT_THEME!r} "
                               "(edit the episodes' themes and feeds/ to split them)")
    base = _base_url(show, base_url) if fresh else ""
    report.planned, report.skipped = _plan(show, guids, slugs, themes, DEFAULT_THEME, report.warnings)
    if not fresh:
        _same_show(into, show, report.warnings)
    if dry_run:
        return report
    into.mkdir(parents=True, exist_ok=True)
    into = into.resolve()
    for sub in ("episodes", STAGING, "feeds", "podcast.yaml", "cover.png"):
        _inside(into / sub, into)
    new_themes = sorted({t for p in report.planned for t in p.themes} - known_themes)
    if fresh:
        have_cover = _cover(show, into, report.warnings)
        _write_show(show, into, base, new_themes or [DEFAULT_THEME], have_cover, report.warnings)
    elif new_themes:
        _write_show_themes(show, into, new_themes, report.warnings)
    (into / "episodes").mkdir(exist_ok=True)
    stage_root = into / STAGING
    stage_root.mkdir(exist_ok=True)
    todo = []
    for p in report.planned:
        stage = _inside(stage_root / p.slug, into)
        stage.mkdir(exist_ok=True)
        _inside(into / "episodes" / p.slug, into)
        assert p.item.enclosure is not None
        name = write.audio_name(p.item.enclosure.url, p.item.enclosure.type)
        for path in (stage / name, stage / f"{name}.part"):
            _inside(path, into)  # a link left in .import/ must not send the download elsewhere
        todo.append(Download(p.item.enclosure.url, stage / name, p.item.length, p.slug))
    outcomes = download_all(todo, events=events, workers=workers)
    from artoiscast.importer.media import finish_episode

    host = next((pp.name for pp in show.persons if pp.role == "host"), None)
    own = (show.generator or "").startswith("artoiscast")
    for p, outcome in zip(report.planned, outcomes, strict=True):
        if outcome.warning:
            report.warnings.append(outcome.warning)
        if outcome.error:
            report.failed.append(f"{p.slug}: {outcome.error} (run the import again to resume)")
            continue
        try:
            finish_episode(p, outcome.download.dest, into, host=host, own=own, show_image=show.image,
                           warnings=report.warnings)
        except ArtoiscastError as exc:
            report.failed.append(f"{p.slug}: {exc.line()}")
            continue
        report.written.append(p.slug)
    if not any(stage_root.iterdir()):
        stage_root.rmdir()
    return report


def _write_show_themes(show: FeedShow, into: Path, themes: list[str], warnings: list[str]) -> None:
    """A re-import's new themes get a feed each, with the show's artwork and category."""
    import yaml

    from artoiscast.catalog.schema import FeedDef

    podcast = yaml.safe_load((into / "podcast.yaml").read_text(encoding="utf-8")) or {}
    category = (podcast.get("all_feed") or {}).get("category") or write.category(show, warnings)
    (into / "feeds").mkdir(exist_ok=True)
    for theme in themes:
        if (into / "feeds" / f"{theme}.yaml").exists():
            continue
        doc = validated(FeedDef, write.feed_doc(show, theme, category, f"{theme}.png"), f"feeds/{theme}.yaml",
                        warnings, frozenset(FeedDef.model_fields))
        art = into / str(podcast.get("artwork") or "cover.png")
        if art.is_file():
            shutil.copyfile(art, into / "feeds" / f"{theme}.png")
        (into / "feeds" / f"{theme}.yaml").write_text(write.dump(doc), encoding="utf-8")


__all__ = ["FeedError", "FetchError", "ImportReport", "import_feed"]
