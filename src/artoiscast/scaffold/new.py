"""``artoiscast new AUDIO --title ...``: a recording becomes an episode folder.

:func:`new_episode` judges everything first (the catalog folder, the title, themes, guests and
date, and the recording: a readable regular file in which ffprobe finds audio), measures the
recording (length, format, loudness before, as ``ingest`` will report it), then builds
``episodes/<slug>/`` in a hidden temporary folder beside it (the audio copied, or moved, as
``audio.<ext>``, and a commented ``episode.yaml``) and renames it into place: an interrupted
``new`` leaves no half-copied episode. The summary is left a TODO, which the catalog refuses
until the producer writes it.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from slugify import slugify

from artoiscast.audio import loudness
from artoiscast.audio.probe import Probe, probe
from artoiscast.catalog.files import CATALOG
from artoiscast.catalog.messages import validate
from artoiscast.catalog.records import PARIS
from artoiscast.catalog.schema import EpisodeDoc, Guest
from artoiscast.config import AudioSettings
from artoiscast.errors import ArtoiscastError, AudioError, CatalogError, ErrorList, UsageError, read_reason, write_error
from artoiscast.paths import Unsafe, safe_file
from artoiscast.progress import NULL, Events
from artoiscast.scaffold import documents
from artoiscast.scaffold.init import text_problem
from artoiscast.values import parse_date, show_value
from artoiscast.yamlio import load_yaml

SLUG_LENGTH = 60  # of the title's part: room for -2, -3... under the catalog's 80
SUFFIXES = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc",
            ".webm", ".mka"}
FORMATS = {"wav": ".wav", "flac": ".flac", "mp3": ".mp3", "aiff": ".aiff", "mov,mp4,m4a,3gp,3g2,mj2": ".m4a",
           "matroska,webm": ".mka"}
CHUNK = 1 << 20
SILENT = -69.0  # LUFS: under it, ingest refuses the audio as silent


@dataclass(frozen=True)
class NewEpisode:
    """What :func:`new_episode` made."""

    slug: str
    folder: Path
    audio: str  # its file name in the folder
    probe: Probe
    before: loudness.Loudness
    date: date | datetime
    published: datetime  # the publication instant (Paris time)
    scheduled: bool  # published after now: nothing of it is public until then
    moved: bool
    todo: list[str]  # required fields still to write (check refuses the episode until then)


# ---------------------------------------------------------------- the values


def episode_slug(title: str, taken: set[str]) -> str:
    """The folder name for ``title``: accents folded (python-slugify), lower-case ascii and ``-``,
    at most ``SLUG_LENGTH`` characters cut at a word, then ``-2``, ``-3``... if ``taken``."""
    base = slugify(title, max_length=SLUG_LENGTH, word_boundary=True) or "episode"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def parse_guest(text: str) -> Guest:
    """``"Name"``, ``"Name, role"`` or ``"Name, role, organisation"`` as a guest. Raises
    UsageError naming ``--guest``."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 3:
        raise UsageError(f'{show_value(text)} has {len(parts)} parts: give "Name", "Name, role" or "Name, role, '
                         'organisation" (a role with a comma in it: write it in episode.yaml)', path="--guest")
    for what, part in zip(("guest's name", "role", "organisation"), parts, strict=False):
        problem = text_problem(part, what) if part or what == "guest's name" else None
        if problem:
            raise UsageError(f"{show_value(text)}: the {what} {problem}", path="--guest")
    name, role, org = (parts + [""] * 3)[:3]
    return Guest(name=name, role=role or None, organisation=org or None)


def parse_when(text: str | None, now: datetime) -> date | datetime:
    """``--date``: an ISO date or date-time (Paris time without an offset); None: today in Paris.
    Raises UsageError naming ``--date``."""
    if text is None:
        return now.astimezone(PARIS).date()
    try:
        when = parse_date(text)
    except ValueError as exc:
        raise UsageError(str(exc).replace("(use YYYY-MM-DD)", "(use YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time)"),
                         path="--date") from None
    return when.replace(microsecond=0) if isinstance(when, datetime) else when  # the seconds asked for are kept


def published_at(when: date | datetime) -> datetime:
    """The instant ``when`` stands for: a date-time (Paris time without an offset), a bare date midnight in Paris."""
    if isinstance(when, datetime):
        return (when if when.tzinfo else when.replace(tzinfo=PARIS)).astimezone(PARIS)
    return datetime(when.year, when.month, when.day, tzinfo=PARIS)


# ---------------------------------------------------------------- the catalog as it is


def catalog_themes(root: Path) -> list[str]:
    """The themes of the feeds in ``root/feeds`` (read raw: ``new`` works while episodes are
    still TODO). Raises CatalogError when ``root`` holds no show or no feed."""
    if not os.path.lexists(root / "podcast.yaml"):
        raise CatalogError("not found: this is no show's folder (run artoiscast init first, or give --root)",
                           path="podcast.yaml")
    themes: set[str] = set()
    for path in sorted((root / "feeds").glob("*.yaml")):
        try:  # the catalog's rule: a link out of the folder is never read (check says so)
            safe_file(root / "feeds", path.name, root, scope=CATALOG, missing="")
        except Unsafe:
            continue
        doc = load_yaml(path, f"feeds/{path.name}")
        found = doc.get("themes") if isinstance(doc, dict) else None
        themes.update(t for t in found or [] if isinstance(t, str))
    if not themes:
        raise CatalogError("no feed with themes (add feeds/<name>.yaml, or run artoiscast init)", path="feeds")
    return sorted(themes)


def choose_themes(given: list[str], known: list[str]) -> list[str]:
    """``--theme`` values, or the only theme there is. Raises UsageError listing the themes."""
    if not given:
        if len(known) == 1:
            return list(known)
        raise UsageError(f"required: this show has {len(known)} themes ({', '.join(known)}): give one or more",
                         path="--theme")
    for t in given:
        if t not in known:
            near = difflib.get_close_matches(t, known, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"one of: {', '.join(known)}"
            raise UsageError(f'"{t}" is not a theme of any feed ({hint})', path="--theme")
    return list(dict.fromkeys(given))


def _channels(root: Path) -> int:
    """The show's ``audio.channels`` (what "before" is measured as), 2 when unreadable."""
    try:
        doc = load_yaml(root / "podcast.yaml", "podcast.yaml")
        return AudioSettings.model_validate((doc or {}).get("audio") or {}).channels
    except (ArtoiscastError, ValueError, AttributeError):
        return 2


# ---------------------------------------------------------------- the recording


def recording(path: Path, *, move: bool = False) -> Path:
    """``path`` when it is a recording ``new`` may take: a readable regular file (a symlink only
    to a file in its own folder, and not to be moved: that would move the link). Raises
    AudioError naming it."""
    shown = str(path)
    try:
        path.lstat()
    except FileNotFoundError:
        raise AudioError("not found (give the recording's path)", path=shown) from None
    except OSError as exc:
        raise AudioError(read_reason(exc), path=shown) from None
    if path.is_symlink():
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise AudioError("is a broken link or a link loop (give the recording itself)", path=shown) from None
        if not real.is_relative_to(path.parent.resolve()):
            raise AudioError("is a link out of its folder (give the recording itself)", path=shown)
        if move:
            raise AudioError("is a link: --move would move the link, not the recording (give the file itself, or "
                             "copy it without --move)", path=shown)
    if path.is_dir():
        raise AudioError("is a folder, not a recording (give an audio file)", path=shown)
    if not path.is_file():
        raise AudioError("is not a regular file (a device or a pipe?): give an audio file", path=shown)
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
    except OSError as exc:
        raise AudioError(read_reason(exc), path=shown) from None
    return path


def audio_name(path: Path, info: Probe) -> str:
    """``audio.<ext>``: the name the catalog's episodes give their recording, its extension the
    source's when it is an audio one, else the container's."""
    ext = path.suffix.lower()
    if ext not in SUFFIXES:
        ext = ".opus" if info.format == "ogg" and info.codec == "opus" else \
            ".ogg" if info.format == "ogg" else FORMATS.get(info.format, ext if ext.isascii() and ext[1:].isalnum() else "")
    return f"audio{ext}"


def _copy(src: Path, dst: Path, events: Events) -> None:
    """``src`` to ``dst`` with a bar in bytes."""
    size = src.stat().st_size
    job = events.start(size, f"copy {src.name}", unit="B")
    try:
        with src.open("rb") as fin, dst.open("xb") as fout:
            while chunk := fin.read(CHUNK):
                fout.write(chunk)
                job.advance(len(chunk))
    finally:
        job.done()
    shutil.copystat(src, dst)


def describe(info: Probe, before: loudness.Loudness) -> str:
    """One line: length, format, rate, channels and loudness before."""
    minutes, seconds = divmod(round(info.duration), 60)
    layout = {1: "mono", 2: "stereo"}.get(info.channels, f"{info.channels} channels")
    fmt = info.format.split(",")[0] or "?"
    kind = fmt if fmt == info.codec else f"{info.codec} in {fmt}"  # "flac", "aac in mov", "opus in ogg"
    return (f"{minutes}:{seconds:02d} ({info.duration:.1f} s), {kind}, {info.sample_rate} Hz {layout}; "
            f"before: {before.integrated:.1f} LUFS, true peak {before.true_peak:.1f} dBTP, LRA {before.lra:.1f} LU")


# ---------------------------------------------------------------- new


def _measure(source: Path, shown: str, info: Probe, channels: int, events: Events) -> loudness.Loudness:
    job = events.start(info.duration, f"measure {source.name}", unit="s")
    done = [0.0]

    def report(seconds: float) -> None:  # the measure says how far it is; a job counts steps
        job.advance(seconds - done[0])
        done[0] = seconds

    try:
        before = loudness.measure_before(source, channels=channels, declared=info.duration, rate=info.sample_rate,
                                         on_progress=report)
    except AudioError as exc:
        raise AudioError(exc.reason, path=shown) from None
    finally:
        job.done()
    if before.integrated <= SILENT:  # ingest would refuse it: say so now
        raise AudioError(f"the audio is silent (integrated loudness below {SILENT:g} LUFS): give the recording itself",
                         path=shown)
    return before


def new_episode(root: Path, audio: Path, *, title: str, themes: list[str] | None = None,
                guests: list[str] | None = None, when: str | None = None, move: bool = False,
                now: datetime | None = None, events: Events = NULL) -> NewEpisode:
    """Make ``root/episodes/<slug>/`` from the recording ``audio``: ``audio.<ext>`` (copied, or
    moved with ``move``) and a commented ``episode.yaml`` whose summary is a TODO.

    ``themes`` default to the show's only theme; ``guests`` are ``"Name, role, organisation"``;
    ``when`` is ``--date`` (default: today, Paris time; ``now`` is the clock). Returns what was
    made. Raises CatalogError when ``root`` holds no show, ErrorList of UsageErrors for bad
    options (each naming its option), AudioError for a recording that is not one (naming it),
    WriteError when the folder cannot be written: then nothing of the episode is left, and a
    moved recording is back where it was.
    """
    now = now or datetime.now(PARIS)
    known = catalog_themes(root)
    errors: list[ArtoiscastError] = []
    problem = text_problem(title, "episode's title")
    if problem:
        errors.append(UsageError(problem, path="--title"))
    chosen: list[str] = []
    people: list[Guest] = []
    when_: date | datetime = now.date()
    try:
        chosen = choose_themes(themes or [], known)
    except ArtoiscastError as exc:
        errors.append(exc)
    for g in guests or []:
        try:
            people.append(parse_guest(g))
        except ArtoiscastError as exc:
            errors.append(exc)
    try:
        when_ = parse_when(when, now)
    except ArtoiscastError as exc:
        errors.append(exc)
    if errors:
        raise ErrorList(errors)
    title = title.strip()
    source = recording(audio, move=move)
    try:
        info = probe(source)
    except AudioError as exc:
        raise AudioError(exc.reason, path=str(audio)) from None
    before = _measure(source, str(audio), info, _channels(root), events)
    episodes = root / "episodes"
    try:
        episodes.mkdir(exist_ok=True)
        taken = {n for n in os.listdir(episodes) if not n.startswith(".")}
    except OSError as exc:
        raise write_error(exc, root) from None
    slug = episode_slug(title, taken)
    name = audio_name(audio, info)
    text = documents.episode_yaml(documents.EpisodeText(title, when_, chosen, name, describe(info, before), known,
                                                        people))
    folder, tmp = episodes / slug, episodes / f".{slug}.new-{os.getpid()}.artoiscast-tmp"
    moved = False
    try:
        tmp.mkdir()
        (tmp / "episode.yaml").write_text(text, encoding="utf-8")
        _judge(tmp / "episode.yaml", f"episodes/{slug}/episode.yaml")
        if move:
            try:
                os.rename(source, tmp / name)  # same disk: instant, and the recording is in one place only
                moved = True
            except OSError:
                _copy(source, tmp / name, events)
        else:
            _copy(source, tmp / name, events)
        os.rename(tmp, folder)  # refused if a folder of that name appeared meanwhile (not empty)
    except BaseException as exc:
        if moved:
            os.rename(tmp / name, source)
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(exc, root) from None
        raise
    if move and not moved:
        source.unlink()  # copied to another disk: the original goes once the episode is in place
    published = published_at(when_)
    return NewEpisode(slug, folder, name, info, before, when_, published, published > now, move, ["summary"])


def _judge(path: Path, shown: str) -> None:
    """The episode file as the catalog reads it: nothing wrong but the summary still to write."""
    errors: list[ArtoiscastError] = []
    validate(EpisodeDoc, load_yaml(path, shown), shown, errors)
    left = [e for e in errors if e.field != "summary"]
    if left or len(errors) != 1:
        raise ErrorList(left or errors)
