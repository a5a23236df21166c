"""``artoiscast check``: everything that can be judged without encoding audio.

The catalog's YAML and fields, artwork (size, shape, colour mode, format), and the
transcripts and chapters files (their times are checked against the audio's duration
at build time, when the duration is known).
"""

from __future__ import annotations

from pathlib import Path

from artoiscast.artwork import episode_art, feed_art
from artoiscast.catalog import Catalog, load_catalog
from artoiscast.errors import ArtoiscastError, ErrorList
from artoiscast.transcripts import load_chapters, load_transcript


def check_catalog(root: Path, *, files: bool = True) -> Catalog:
    """Validate the catalog under ``root``. Returns it; raises ErrorList with every problem.

    With ``files=False`` only the YAML is judged (audio and artwork may be missing).
    """
    catalog = load_catalog(root, check_files=files)
    problems: list[ArtoiscastError] = []
    if files:
        problems += feed_art(catalog).errors
    for ep in catalog.episodes:
        where = f"episodes/{ep.slug}"
        checks = []
        if ep.chapters:
            checks.append(lambda ep=ep: load_chapters(ep.chapters, None, f"{where}/{ep.chapters.name}"))
        if ep.transcript:
            checks.append(lambda ep=ep: load_transcript(ep.transcript, None, f"{where}/{ep.transcript.name}"))
        if files and ep.image:
            checks.append(lambda ep=ep: episode_art(ep))
        for run in checks:
            try:
                run()
            except ArtoiscastError as exc:
                problems.append(exc)
    if problems:
        raise ErrorList(problems)
    return catalog
