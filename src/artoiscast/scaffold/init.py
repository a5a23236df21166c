"""``artoiscast init``: a new show from nothing.

:func:`init_show` takes the answers given as options, asks the others through a
:class:`~artoiscast.scaffold.prompt.Prompt` (none with ``--yes``: then every required answer must
be an option), and writes ``podcast.yaml``, one ``feeds/<theme>.yaml`` per theme with its pinned
``podcast:guid``, an ``episodes/`` folder, a ``.gitignore`` and the artwork: the producer's own
cover, or placeholders drawn by :mod:`.cover` that ``check --strict`` flags until replaced.

Nothing is written before every answer is judged, and nothing half: the files are written in a
temporary folder, judged there by ``check``'s own catalog check, then moved into place
(``podcast.yaml`` last). A folder that already holds a show is refused.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from artoiscast.artwork import artwork_problem, is_placeholder
from artoiscast.catalog.files import CATALOG
from artoiscast.catalog.loader import RESERVED_FEEDS, SLUG_RE
from artoiscast.catalog.records import podcast_guid
from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList, UsageError, read_reason, write_error
from artoiscast.paths import Unsafe, safe_file
from artoiscast.scaffold import documents
from artoiscast.scaffold.cover import placeholder_png
from artoiscast.scaffold.prompt import Prompt
from artoiscast.values import base_url_problem, show_value

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")  # as podcast.yaml's language
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")  # the catalog's owner.email, without markup
MARKUP = '<>"`'
COVERS = ("cover.png", "cover.jpg", "cover.jpeg")  # a cover already in the folder is taken as the show's
TMP = ".artoiscast-tmp"


@dataclass
class ShowAnswers:
    """The answers given as options (None, or no themes: not given, so asked, or the default)."""

    title: str | None = None
    author: str | None = None
    language: str | None = None
    description: str | None = None
    base_url: str | None = None
    email: str | None = None
    themes: list[str] = field(default_factory=list)
    artwork: Path | None = None


@dataclass
class InitResult:
    """What :func:`init_show` wrote."""

    folder: Path
    written: list[str]  # paths inside the folder, in the order written
    placeholders: list[str]  # those of them that are placeholder covers to replace
    feeds: dict[str, str]  # feed name -> its URL
    email: bool  # the owner's e-mail was given (Apple asks for it)


# ---------------------------------------------------------------- what each answer must be


def text_problem(value: str, what: str, limit: int = 255) -> str | None:
    """What is wrong with one line of text: empty, too long, or holding a control character."""
    if not value.strip():
        return f"is empty (give the {what})"
    if len(value) > limit:
        return f"is {len(value)} characters long (at most {limit})"
    bad = next((c for c in value if ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029"), None)
    if bad is not None:
        return f"holds the control character U+{ord(bad):04X}, which no feed can carry (remove it)"
    return None


def base_url_answer(value: str) -> tuple[str | None, str]:
    """(problem or None, the base URL with its final ``/``): the catalog's rules for ``base_url``
    (absolute http(s), no ``javascript:``, query or fragment), no character of markup (``<``,
    ``>``, ``"``, a backtick: no URL holds them unescaped, RFC 3986), and https, which apps and
    directories want."""
    problem, url = base_url_problem(value)
    if problem:
        return problem, value
    if any(c in MARKUP for c in value):
        return f"{show_value(value)} holds markup (no URL holds < > \" or ` unescaped: give the show's address)", value
    if not url.lower().startswith("https://"):
        return f"{show_value(value)} is not https (apps and directories want https: give e.g. https://example.org/)", value
    return None, url


def theme_problem(themes: list[str]) -> str | None:
    """What is wrong with a list of theme names (feed names): none, a bad name, one given twice."""
    if not themes:
        return "no theme given (give at least one, e.g. news, or several: economy, culture)"
    for t in themes:
        if not SLUG_RE.match(t) or t in RESERVED_FEEDS:
            return (f"{show_value(t)} is not a usable theme name (lower-case a-z, 0-9 and -, at most 80 characters; "
                    "not all or publisher)")
    twice = next((t for i, t in enumerate(themes) if t in themes[:i]), None)
    return f"{show_value(twice)} is given twice" if twice else None


def _email_problem(value: str) -> str | None:
    return None if not value or EMAIL.match(value) else f"{show_value(value)} is not an e-mail address"


def _language_problem(value: str) -> str | None:
    return None if LANGUAGE.match(value) else f"{show_value(value)} is not a language code (fr, en, fr-BE...)"


def artwork_file_problem(path: Path) -> str | None:
    """What keeps ``path`` from being the show's cover (a readable file, and the artwork rules)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return f'"{path}" not found'
    except IsADirectoryError:
        return f'"{path}" is a folder, not an image'
    except OSError as exc:
        return f'"{path}" {read_reason(exc)}'
    problem = artwork_problem(data, path.suffix)
    return f'"{path}" {problem}' if problem else None


def default_description(title: str, author: str, language: str) -> str:
    return f"{title} : un podcast de {author}." if language.startswith("fr") else f"{title}: a podcast by {author}."


# ---------------------------------------------------------------- asking


@dataclass(frozen=True)
class _Question:
    key: str  # the ShowAnswers field
    option: str
    text: str
    check: Callable[[str], str | None]
    required: bool = True  # with --yes: an error when missing (else its default)


QUESTIONS = (
    _Question("title", "--title", "Title of the show", lambda v: text_problem(v, "show's title")),
    _Question("author", "--author", "Author (the person or organisation who publishes it)",
              lambda v: text_problem(v, "author's name")),
    _Question("language", "--language", "Language of the episodes (ISO 639 code)", _language_problem, False),
    _Question("description", "--description", "Description (what the show is about, shown in apps)",
              lambda v: text_problem(v, "description", 4000), False),
    _Question("base_url", "--base-url", "Base URL (where the show will be published, https://...)",
              lambda v: base_url_answer(v)[0]),
    _Question("email", "--email", "Owner's e-mail (Apple asks for one; empty: none for now)", _email_problem, False),
)
THEMES = "Themes, one feed each (names: a-z, 0-9, -; separated by commas)"
COVER = "Cover image (a square JPEG or PNG of 1400 to 3000 px; empty: draw a placeholder)"


def _defaults(answers: dict[str, str]) -> dict[str, str]:
    language = answers.get("language") or "fr"
    return {"language": "fr", "email": "",
            "description": default_description(answers.get("title") or "?", answers.get("author") or "?", language)}


def _existing_cover(folder: Path, shown: Path) -> tuple[Path | None, str | None]:
    """The cover already in ``folder`` (``cover.png``...), and what is wrong with it."""
    existing = next((folder / n for n in COVERS if os.path.lexists(folder / n)), None)
    if existing is None:
        return None, None
    try:  # the catalog's own rule for its files: inside the folder, no link out
        safe_file(folder, existing.name, folder, scope=CATALOG, missing="is a broken link")
        problem = artwork_problem(existing.read_bytes(), existing.suffix)
    except Unsafe as exc:
        return existing, exc.reason
    return existing, problem and f"{problem} (replace it, or remove it and init draws a placeholder)"


def _ask(folder: Path, shown: Path, given: ShowAnswers, prompt: Prompt | None) -> tuple[documents.ShowDoc, list[str], Path | None]:
    """Every answer: the options judged first (all their problems at once, before anything is
    asked), then the prompt asked for the others, or (``--yes``) their defaults."""
    errors: list[ArtoiscastError] = []
    answers: dict[str, str] = {}
    for q in QUESTIONS:
        value = getattr(given, q.key)
        if value is not None:
            answers[q.key] = value.strip()
            problem = q.check(answers[q.key])
            if problem:
                errors.append(UsageError(problem, path=q.option))
        elif prompt is None and q.required:
            errors.append(UsageError(f'missing (--yes asks nothing: give {q.option} "...")', path=q.option))
    if given.themes and (problem := theme_problem(given.themes)):
        errors.append(UsageError(problem, path="--theme"))
    elif not given.themes and prompt is None:
        errors.append(UsageError("missing (--yes asks nothing: give --theme NAME, once per theme)", path="--theme"))
    artwork = given.artwork
    existing, problem = _existing_cover(folder, shown) if artwork is None else (None, None)
    if problem:
        errors.append(CatalogError(problem, path=str(shown / existing.name) if existing else None))
    if artwork is not None and (problem := artwork_file_problem(artwork)):
        errors.append(UsageError(problem, path="--artwork"))
    if errors:
        raise ErrorList(errors)
    for q in QUESTIONS:
        if q.key not in answers:
            default = _defaults(answers).get(q.key)
            answers[q.key] = prompt.ask(q.text, default, q.check).strip() if prompt is not None else default or ""
    themes = list(given.themes) or (prompt.ask_many(THEMES, None, theme_problem) if prompt is not None else [])
    if artwork is None and existing is None and prompt is not None:
        answer = prompt.ask(COVER, "", lambda v: artwork_file_problem(Path(v).expanduser()) if v.strip() else None)
        artwork = Path(answer.strip()).expanduser() if answer.strip() else None
    base = base_url_answer(answers["base_url"])[1]
    cover = existing.name if existing is not None else \
        f"cover.{'png' if artwork is None or artwork.suffix.lower() == '.png' else 'jpg'}"
    show = documents.ShowDoc(answers["title"], answers["description"], answers["author"], answers["language"], base,
                             cover, podcast_guid(f"{base}feeds/all.xml"), podcast_guid(f"{base}feeds/publisher.xml"),
                             answers["email"] or None)
    return show, themes, artwork


# ---------------------------------------------------------------- writing


def _refuse_a_show(folder: Path, shown: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UsageError("is a file, not a folder (give a new or empty folder, or a folder without a show)",
                         path=str(shown))
    if os.path.lexists(folder / "podcast.yaml"):
        raise UsageError("already there: init starts a new show and never writes over one (edit it, or give "
                         "another folder)", path=str(shown / "podcast.yaml"))


def _plan(show: documents.ShowDoc, themes: list[str], artwork: Path | None, folder: Path) -> tuple[dict[str, bytes], list[str]]:
    """Every file to write (path inside the folder -> bytes), and which are placeholders to replace."""
    files: dict[str, bytes] = {}
    if artwork is not None:
        cover = files[show.artwork] = artwork.read_bytes()
    elif os.path.lexists(folder / show.artwork):  # the folder's own cover: kept as it is
        cover = (folder / show.artwork).read_bytes()
    else:
        cover = files[show.artwork] = placeholder_png(show.title, show.author)
    drawn = is_placeholder(cover)
    ext = ".png" if drawn else Path(show.artwork).suffix.lower().replace(".jpeg", ".jpg")
    sep = " : " if show.language.startswith("fr") else ": "
    for theme in themes:
        art = f"{theme}{ext}"
        # a placeholder of its own, or the show's cover until the feed gets its own
        files[f"feeds/{art}"] = placeholder_png(show.title, show.author, theme.replace("-", " ").capitalize()) \
            if drawn else cover
        doc = documents.FeedDoc(theme, f"{show.title}{sep}{theme}", show.description, art,
                                podcast_guid(f"{show.base_url}feeds/{theme}.xml"))
        files[f"feeds/{theme}.yaml"] = documents.feed_yaml(doc).encode()
    gitignore = folder / ".gitignore"
    old = gitignore.read_text(encoding="utf-8", errors="replace").splitlines() if gitignore.is_file() else []
    missing = [ln for ln in documents.GITIGNORE.splitlines() if ln and not ln.startswith("#") and ln not in old]
    if not old:
        files[".gitignore"] = documents.GITIGNORE.encode()
    elif missing:
        files[".gitignore"] = "\n".join([*old, "# added by artoiscast init", *missing, ""]).encode()
    files["podcast.yaml"] = documents.podcast_yaml(show).encode()  # last: until it is there, no show is
    placeholders = [rel for rel, data in files.items() if rel.endswith(".png") and is_placeholder(data)]
    if drawn and show.artwork not in files:
        placeholders.insert(0, show.artwork)
    return files, placeholders


def _judge(tmp: Path, folder: Path, files: dict[str, bytes], show: documents.ShowDoc) -> None:
    """The catalog written in ``tmp`` as ``check`` judges it (the folder's own cover brought in)."""
    from artoiscast.check import check_catalog

    if show.artwork not in files:
        shutil.copyfile(folder / show.artwork, tmp / show.artwork)
    check_catalog(tmp)


def _move(tmp: Path, folder: Path, files: dict[str, bytes]) -> None:
    """Each file of ``tmp`` to its place in ``folder`` (an existing ``.gitignore`` replaced by the
    same lines and more; nothing else written over). On a failure, what was moved is taken back."""
    moved: list[Path] = []
    made: list[Path] = []
    old_gitignore = (folder / ".gitignore").read_bytes() if (folder / ".gitignore").is_file() else None
    try:
        for rel in files:
            target = folder / rel
            for parent in reversed(target.relative_to(folder).parents):
                if parent != Path(".") and not (folder / parent).is_dir():
                    (folder / parent).mkdir()
                    made.append(folder / parent)
            if rel != ".gitignore" and os.path.lexists(target):
                raise UsageError("appeared while init was writing: nothing was written", path=rel)
            os.rename(tmp / rel, target)
            moved.append(target)
        if not (folder / "episodes").is_dir():
            (folder / "episodes").mkdir()
    except BaseException:
        for path in reversed(moved):
            if path.name == ".gitignore" and old_gitignore is not None:
                path.write_bytes(old_gitignore)
            else:
                path.unlink(missing_ok=True)
        for path in reversed(made):
            try:
                path.rmdir()
            except OSError:
                pass
        raise


def init_show(folder: Path, given: ShowAnswers | None = None, prompt: Prompt | None = None) -> InitResult:
    """Start a new show in ``folder`` (made if missing) from the answers ``given`` as options and
    those ``prompt`` is asked (no prompt: ``--yes``, every required answer must be given).

    Returns what was written. Raises UsageError when ``folder`` already holds a show (its
    ``podcast.yaml``) or is a file, ErrorList with one UsageError per bad or missing answer,
    naming its option (all before anything is written), WriteError when the files cannot be
    written (then nothing of them is left).
    """
    given = given or ShowAnswers()
    shown = folder
    folder = Path(os.path.abspath(folder))
    _refuse_a_show(folder, shown)
    show, themes, artwork = _ask(folder, shown, given, prompt)
    files, placeholders = _plan(show, themes, artwork, folder)
    clash = [rel for rel in files if rel != ".gitignore" and os.path.lexists(folder / rel)]
    if clash:
        raise ErrorList([UsageError("already there: init writes a new show and never writes over a file (move it away, "
                                    "or give another folder)", path=str(shown / rel)) for rel in clash])
    new_folder = not folder.exists()
    parent = folder.parent if new_folder else folder
    tmp = parent / (f".{folder.name}.init-{os.getpid()}{TMP}" if new_folder else f".init-{os.getpid()}{TMP}")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        (tmp / "episodes").mkdir()
        _judge(tmp, folder, files, show)
        if new_folder:  # the whole folder at once
            os.rename(tmp, folder)
        else:
            _move(tmp, folder, files)
    except OSError as exc:
        raise write_error(exc, parent) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    feeds = {name: f"{show.base_url}feeds/{name}.xml" for name in ["all", *themes]}
    return InitResult(folder, [*files, "episodes/"], placeholders, feeds, show.email is not None)
