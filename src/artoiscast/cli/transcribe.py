"""``artoiscast transcribe``: parse, call :func:`artoiscast.transcribe.transcribe_all`, print."""

from __future__ import annotations

from pathlib import Path

import click

from artoiscast.cli import Bars, cli, out, root_option
from artoiscast.errors import ErrorList


@cli.command()
@root_option
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None,
              help="Episodes transcribed at once, sharing the cores (default 1, with every core).")
@click.option("--force", is_flag=True,
              help="Transcribe again even when nothing changed (never a transcript a person wrote or edited).")
@click.option("--dry-run", is_flag=True, help="Say what would be transcribed; load no model, write nothing.")
def transcribe(root: Path, slugs: tuple[str, ...], jobs: int | None, force: bool, dry_run: bool) -> None:
    """Transcribe episodes' speech, offline, into episodes/<slug>/transcript.vtt (default: every episode).

    The engine and model are podcast.yaml's `transcribe:` (default faster-whisper with
    whisper-base, the packaged Whisper base model). The transcript is timed, has no speaker
    names, and is marked generated in the feeds (podcast:txt ai-content true) until
    `transcript_reviewed: true` is set in episode.yaml. Its record, .transcript.json beside it,
    makes a rerun with the same audio, model and settings do nothing. A transcript a person
    wrote, edited or reviewed is never overwritten, not even with --force: delete it to
    transcribe again. One line per episode; a failed one does not stop the others (the exit
    code is non-zero at the end).

    \b
    Examples:
      artoiscast transcribe
      artoiscast transcribe gazonor-yann-fouant --dry-run
      artoiscast transcribe -j 2
    """
    from artoiscast.catalog import load_catalog
    from artoiscast.transcribe import transcribe_all

    catalog = load_catalog(root)
    with Bars() as bars:
        outcomes, errors = transcribe_all(catalog, slugs, jobs=jobs, force=force, dry_run=dry_run, events=bars)
    for o in outcomes:
        if o.action == "transcribed":
            rtf = f", {o.seconds / o.audio_seconds:.2f} x real time" if o.audio_seconds else ""
            out.print(f"{o.slug}: transcribed {o.audio_seconds:.0f} s of audio in {o.seconds:.1f} s{rtf}, "
                      f"{o.cues} cues; {o.reason}", markup=False)
        else:
            out.print(f"{o.slug}: {o.action}: {o.reason}", markup=False)
    if errors:
        raise ErrorList(errors)
