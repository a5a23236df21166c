"""``artoiscast demo``: the whole pipeline on a catalog without recordings, served from this machine.

:func:`run` does the demo's steps in order: synthesise what the catalog lacks (artwork drawn by
:mod:`.artwork`, speech, transcripts and chapters by :mod:`.speech`), ingest and build with
``base_url`` set to the local server (``podcast.yaml`` keeps its own), publish to the
catalog's storage, serve it and say the feed URLs. What it has to say goes to an
:class:`Events` object; the CLI passes one with progress bars.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artoiscast.demo import artwork, speech
from artoiscast.errors import ArtoiscastError, ErrorList
from artoiscast.paths import shown

if TYPE_CHECKING:
    from artoiscast.build import BuildResult
    from artoiscast.publish import Plan

HOST = "127.0.0.1"  # the demo serves this machine only
OUTPUTS = ("audio.wav", "transcript.vtt", "chapters.yaml")


class Events:
    """What a demo run reports as it goes. This one prints plain lines (results on stdout, steps
    and warnings on stderr) and draws no progress; a caller overrides what it shows otherwise."""

    def step(self, text: str) -> None:
        """A step starts (``[2/4] ingest and build``)."""
        print(text, file=sys.stderr)

    def say(self, text: str) -> None:
        """A result: files written, a feed URL, the server's address."""
        print(text)

    def warning(self, text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)

    def waiting(self) -> None:
        """Another build of this checkout holds the lock."""
        print("waiting for another build in this checkout", file=sys.stderr)

    def feeds(self, result: BuildResult) -> None:
        """The feeds built, one line each with its URL."""
        for name, slugs in result.feeds.items():
            self.say(f"  {name:<10} {len(slugs):>3} episodes  {result.base_url}feeds/{name}.xml")

    def speech(self, total: int) -> AbstractContextManager[Callable[[Path], None]]:
        """Around the speech synthesis of ``total`` episodes: yields ``done(folder)``, called per episode."""
        return nullcontext(lambda folder: None)

    def building(self) -> AbstractContextManager[dict[str, Any]]:
        """Around the build: yields keyword arguments for :func:`artoiscast.build.build` (``events``)."""
        return nullcontext({})

    def publishing(self) -> AbstractContextManager[dict[str, Any]]:
        """Around the upload: yields keyword arguments for :func:`artoiscast.publish.publish` (``events``)."""
        return nullcontext({})


@dataclass(frozen=True)
class Media:
    """What :func:`make_media` wrote and kept."""

    artwork: list[Path]
    artwork_kept: list[Path]
    speech: speech.Report


def make_media(root: Path, *, force: bool = False, jobs: int | None = None, events: Events | None = None) -> Media:
    """Draw the artwork and synthesise each episode's audio, transcript and chapters where missing
    (all of them with ``force``), then say what was written.

    Returns what was done. Raises ToolMissing (before anything is written) when espeak-ng or sox
    is missing, CatalogError for a bad ``podcast.yaml`` or feed file, and ErrorList (one error
    per bad episode) once the other episodes are done."""
    events = events or Events()
    root = Path(root)
    started = time.monotonic()
    speech.check_tools()
    drawn, kept = artwork.draw(root, force=force)
    with events.speech(len(speech.episode_folders(root))) as done:
        report = speech.synthesise(root, force=force, jobs=jobs, on_done=done)
    for path in drawn:
        events.say(f"wrote {shown(path, root)}")
    for path in report.written:
        names = [n for n in OUTPUTS if (path.parent / n).is_file()]
        events.say(f"wrote {shown(path.parent, root)}/: {' '.join(names)}")
    events.say(f"artwork: {len(drawn)} written, {len(kept)} skipped")
    events.say(f"audio: {len(report.written)} written, {len(report.skipped)} skipped, {len(report.errors)} failed"
               f" ({time.monotonic() - started:.1f} s)")
    if report.errors:
        raise ErrorList(report.errors)
    return Media(drawn, kept, report)


def free_port(host: str, wanted: int) -> int:
    """``wanted`` if it is free on ``host``, else one the system picks. Raises ArtoiscastError."""
    for port in (wanted, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise ArtoiscastError(f"no free port on {host}")


@dataclass(frozen=True)
class Published:
    """A demo built and published: the local base URL, the build and the upload plan."""

    base_url: str
    folder: Path  # the folder served
    result: BuildResult
    plan: Plan


def run(root: Path, *, port: int = 8000, serve: bool = True, jobs: int | None = None, force: bool = False,
        events: Events | None = None) -> Published:
    """The demo's four steps on the catalog at ``root``: synthesise what is missing (everything
    with ``force``), ingest and
    build for ``http://127.0.0.1:<port>/`` (another free port if ``port`` is taken), publish,
    then (with ``serve``) serve until Ctrl-C.

    Returns what was published (once the server stops, with ``serve``). Raises what
    :func:`make_media`, the build and publish raise, and ArtoiscastError when no port is free."""
    from artoiscast import serve as server
    from artoiscast import workspace
    from artoiscast.build import build
    from artoiscast.publish import publish
    from artoiscast.storage import open_storage
    from artoiscast.storage.base import resolve_settings

    events = events or Events()
    root = Path(root)
    port = free_port(HOST, port)
    base = f"http://{HOST}:{port}/"
    events.step("[1/4] demo audio and artwork (skipped where present)")
    make_media(root, force=force, jobs=jobs, events=events)
    with workspace.lock(root / "build", on_wait=events.waiting, root=root):
        events.step("[2/4] ingest and build")
        with events.building() as hooks:
            result = build(root, base_url=base, jobs=jobs, on_wait=events.waiting, **hooks)
        events.step("[3/4] publish to the local folder")
        settings = result.catalog.podcast.storage
        storage = open_storage(resolve_settings(settings), root)
        with events.publishing() as hooks:
            plan = publish(result.out, storage, **hooks)
        for note in plan.notes:
            events.warning(note)
    folder = Path(settings.path)
    folder = folder if folder.is_absolute() else root / folder
    events.say(f"published {len(plan.uploads)} objects to {folder}")
    events.say("feeds:")
    events.feeds(result)
    events.say(f"home page: {base}")
    if serve:
        events.step("[4/4] serve")
        server.run(folder, host=HOST, port=port, access_log=root / "build" / "access.log",
                   on_ready=lambda url: events.say(f"serving at {url}; Ctrl-C stops"))
    return Published(base, folder, result, plan)
