"""``artoiscast import``: its options and its report."""

from __future__ import annotations

import re
from pathlib import Path

import click

from artoiscast.cli import Bars, cli, out

_THEME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _themes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``--themes "Économie=economy"`` (repeatable, or comma-separated) -> {category or keyword: theme}."""
    mapping: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            key, sep, theme = pair.partition("=")
            key, theme = key.strip(), theme.strip()
            if not sep or not key or not _THEME.match(theme) or theme in ("all", "publisher"):
                raise click.BadParameter(f"{pair.strip()!r}: write CATEGORY=THEME, the theme in a-z, 0-9 and - "
                                         "(not all or publisher), e.g. --themes \"Économie=economy\"")
            mapping[key] = theme
    return mapping


@cli.command(name="import")
@click.argument("source", metavar="FEED_URL_OR_FILE")
@click.option("--into", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The catalog folder to write (created if missing; an existing one gets only new items).")
@click.option("--themes", multiple=True, callback=_themes, metavar="CATEGORY=THEME",
              help="Put items with this category or keyword in this theme (repeatable); others go to 'episodes'.")
@click.option("--base-url", default=None, help="Where the show will be published (default: the feed's site).")
@click.option("--owner-email", default=None, help="The owner's address, to import a locked feed (podcast:locked).")
@click.option("-j", "--jobs", type=click.IntRange(1, 16), default=4, show_default=True, help="Parallel downloads.")
@click.option("--dry-run", is_flag=True, help="Print what would be imported and write nothing.")
@click.pass_context
def import_cmd(ctx: click.Context, source: str, into: Path, themes: dict[str, str], base_url: str | None,
               owner_email: str | None, jobs: int, dry_run: bool) -> None:
    """Import a show from its RSS feed (another host's, or artoiscast's own) into a catalog.

    Writes podcast.yaml (the feed's podcast:guid kept), feeds/ and one episodes/<slug>/ per
    item (its guid kept), downloads the audio (resumable, parallel), artwork, chapters and
    transcripts. A locked feed needs --owner-email. Importing again adds only new items.
    Exit 0 when every item was imported, 1 when some could not be (listed; run it again).

    \b
    Examples:
      artoiscast import https://anchor.fm/s/abc123/podcast/rss --into ../monshow
      artoiscast import feed.xml --into ../monshow --themes "Économie=economy" --dry-run
    """
    from artoiscast.importer import import_feed

    with Bars() as bars:
        report = import_feed(source, into, themes=themes, base_url=base_url, owner_email=owner_email,
                             dry_run=dry_run, events=bars, workers=jobs)
    for code, url in report.redirects:
        click.echo(f"warning: {source}: answered {code}, moved to {url} (import from there next time)", err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    if dry_run:
        for p in report.planned:
            out.print(f"  import  {p.slug}  ({', '.join(p.themes)})  {p.item.title}", markup=False)
        out.print(f"{len(report.planned)} to import, {report.skipped} already there; nothing written (dry run)")
        return
    for line in report.failed:
        click.echo(f"error: {line}", err=True)
    made = "created" if report.created else "updated"
    out.print(f"{made} {report.into}: {len(report.written)} imported, {report.skipped} already there, "
              f"{len(report.failed)} failed", markup=False)
    if report.failed:
        ctx.exit(1)
