"""``artoiscast demo``: its options, and its steps shown with the other commands' bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from artoiscast.cli import Bars, _print_feeds, _waiting, cli, err, out, root_option


# ---------------------------------------------------------------- demo


def _demo_events() -> Any:
    """The demo's events shown as the other commands show theirs: rich bars on stderr."""
    from contextlib import contextmanager

    from artoiscast.demo import Events

    class RichEvents(Events):
        def step(self, text: str) -> None:
            err.print(text)

        def say(self, text: str) -> None:
            out.print(text)

        def warning(self, text: str) -> None:
            click.echo(f"warning: {text}", err=True)

        def waiting(self) -> None:
            _waiting()

        def feeds(self, result: Any) -> None:
            _print_feeds(result)

        @contextmanager
        def speech(self, total: int) -> Any:
            progress = Progress(TextColumn("demo audio"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}", markup=False), console=err, transient=True,
                                disable=not err.is_terminal)
            task = progress.add_task("", total=total)
            with progress:
                yield lambda folder: progress.update(task, advance=1, description=folder.name)

        @contextmanager
        def building(self) -> Any:
            with Bars() as bars:
                yield {"events": bars}

        @contextmanager
        def publishing(self) -> Any:
            with Bars() as bars:
                yield {"events": bars}

    return RichEvents()


@cli.command()
@root_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to serve on (another free one is used if taken).")
@click.option("--no-serve", is_flag=True, help="Stop after publishing (print the URLs, do not serve).")
@click.option("--media-only", is_flag=True,
              help="Only synthesise the demo audio, transcripts, chapters and artwork (no build, publish or serve).")
@click.option("--force", is_flag=True, help="Synthesise the demo media again even where present.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel jobs (default: cores).")
def demo(root: Path, port: int, no_serve: bool, media_only: bool, force: bool, jobs: int | None) -> None:
    """The whole pipeline on the real catalog, served from this machine.

    Synthesises the demo audio and artwork if missing, ingests, builds with base_url set to
    the local server (podcast.yaml keeps the public one), publishes to public/, serves it
    and prints the feed URLs. Ctrl-C stops.

    \b
    Example:
      artoiscast demo --port 8000
      artoiscast demo --media-only --force -j 4   # rewrite the demo media only
    """
    from artoiscast import demo as show_demo

    if media_only:
        show_demo.make_media(root, force=force, jobs=jobs, events=_demo_events())
    else:
        show_demo.run(root, port=port, serve=not no_serve, jobs=jobs, force=force, events=_demo_events())
