"""``artoiscast check``: everything that can be judged without encoding audio.

The catalog's YAML and fields, artwork (size, shape, colour mode, format), and the
transcripts and chapters files (their times are checked against the audio's duration
at build time, when the duration is known).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from artoiscast.artwork import episode_art, feed_art
from artoiscast.catalog import Catalog, load_catalog
from artoiscast.errors import ArtoiscastError, ErrorList
from artoiscast.transcripts import load_chapters, load_transcript
from artoiscast.values import with_slash

if TYPE_CHECKING:
    from artoiscast.lint import Finding


def check_catalog(root: Path, *, files: bool = True) -> Catalog:
    """Validate the catalog under ``root``. Returns it; raises ErrorList with every problem.

    With ``files=False`` only the YAML is judged (audio and artwork may be missing).
    """
    catalog = load_catalog(root, check_files=files)
    problems: list[ArtoiscastError] = []
    if files:
        problems += feed_art(catalog).errors
    for ep in catalog.episodes:
        folder = f"episodes/{ep.slug}"
        checks: list[Callable[[], object]] = []
        if ep.chapters:
            checks.append(functools.partial(load_chapters, ep.chapters, None, f"{folder}/{ep.chapters.name}"))
        if ep.transcript:
            checks.append(functools.partial(load_transcript, ep.transcript, None, f"{folder}/{ep.transcript.name}"))
        if files and ep.image:
            checks.append(functools.partial(episode_art, ep))
        for run in checks:
            try:
                run()
            except ArtoiscastError as exc:
                problems.append(exc)
    if problems:
        raise ErrorList(problems)
    return catalog


@dataclass
class CheckReport:
    """What ``artoiscast check`` judged and found."""

    catalog: Catalog | None = None  # None: not judged (--live on a folder without podcast.yaml)
    advice: list[ArtoiscastError] = field(default_factory=list)  # the catalog's warnings
    findings: list[Finding] = field(default_factory=list)  # of the built feeds, then of the live show
    feeds_judged: bool = False  # built feeds were linted, or a live show probed

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.level == "warning" for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """1 on a feed error (or, with ``strict``, on any warning or advice), else 0."""
        return 1 if self.errors or (strict and (self.warnings or self.advice)) else 0


def check(root: Path, *, files: bool = True, live: str | None = None) -> CheckReport:
    """Everything ``artoiscast check`` judges, in its order.

    The catalog under ``root`` (``files=False``: only the YAML), unless only a live show is
    asked for (``live``) and ``root`` holds no catalog; the built feeds in ``build/site/feeds``
    when there are some (not with ``files=False``); then the show published at ``live``.
    Returns the report; raises ErrorList with every problem of the catalog (then nothing else
    is judged).
    """
    from artoiscast import lint

    report = CheckReport()
    if live is None or (root / "podcast.yaml").is_file():
        report.catalog = check_catalog(root, files=files)
        report.advice = list(report.catalog.warnings)
    if files and (root / "build" / "site" / "feeds").is_dir():
        report.findings = lint.lint_built(root)
        report.feeds_judged = True
    if live:
        cat = report.catalog
        guids = {name: str(f.guid) for name, f in cat.feeds.items()} if cat else {}
        report.findings += lint.probe_live(live, guids=guids)
        if cat and cat.podcast.previous_urls:  # a show moved in: the old URLs should lead here
            report.findings += lint.probe_previous(cat.podcast.previous_urls, f"{with_slash(live)}feeds/all.xml",
                                                   str(cat.podcast.guid))
        report.feeds_judged = True
    return report
