"""``artoiscast stats``: its options, and what it prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from artoiscast.cli import _check_storage_options, _storage, cli, out, root_option, storage_options
from artoiscast.errors import ArtoiscastError


# ---------------------------------------------------------------- stats


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """A YYYY-MM-DD date (a Paris day); bad input is one line, exit 2."""
    import datetime as dt

    if value is None:
        return None
    import re

    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        from artoiscast.errors import UsageError

        raise UsageError(f'"{value}" is not a date (use YYYY-MM-DD)', field=f"--{param.name}") from None


@cli.command()
@root_option
@click.argument("logs", nargs=-1, metavar="[LOG]...")
@click.option("--from-storage", "from_storage", metavar="PREFIX", default=None,
              help="Also read the log objects under PREFIX in the storage of podcast.yaml (S3 access logs, "
                   "CloudFront logs); the storage options below override it as for publish.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The statistics database (default: build/stats.duckdb).")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The manifest.json giving the episodes' sizes and bitrates (default: build/site/manifest.json).")
@click.option("--by", type=click.Choice(["episode", "feed", "day", "app", "device", "partner", "country"]),
              default="episode", show_default=True, help="Rows of the table and of the CSV.")
@click.option("--since", callback=_date_option, metavar="YYYY-MM-DD", help="First day counted (Paris).")
@click.option("--until", callback=_date_option, metavar="YYYY-MM-DD", help="Last day counted (Paris).")
@click.option("--episode", metavar="SLUG", default=None, help="Only this episode.")
@click.option("--feed", metavar="NAME", default=None, help="Only downloads through this feed.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--html", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the HTML report (charts) into this folder; it is private: publish never uploads it.")
@click.option("--geoip", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A MaxMind .mmdb country database: the country of each request is kept (not its address).")
@click.option("--memory-limit", "memory_limit", metavar="SIZE", default="384MB", show_default=True,
              help="DuckDB's memory (e.g. 256MB, 2GB); beyond it, work spills to a temporary folder next to --db.")
@storage_options
def stats(root: Path, logs: tuple[str, ...], from_storage: str | None, db: Path | None, manifest: Path | None,
          by: str, since: Any, until: Any, episode: str | None, feed: str | None, fmt: str, html: Path | None,
          geoip: Path | None, memory_limit: str, **overrides: Any) -> None:
    """Count downloads the IAB v2.2 way from access logs: the serve log (the default,
    build/access.log), nginx/Apache/Caddy combined logs, S3 server access logs, CloudFront
    standard logs; plain or gzipped files, folders or globs.

    Each run reads only the lines it has not seen (build/stats.duckdb keeps what was read and
    the results; never a raw IP). The README says how each rule counts.

    \b
    Examples:
      artoiscast stats
      artoiscast stats /var/log/nginx/access.log* --by day --since 2026-11-01
      artoiscast stats --from-storage logs/ --to s3://artoiscast --format json
    """
    from artoiscast.stats import output, query
    from artoiscast.stats.engine import SALT_KEEP_DAYS as SALT_DAYS, run

    filters = query.Filters(since, until, episode, feed)
    inputs = list(logs)
    if not inputs and from_storage is None:
        default = root / "build" / "access.log"
        if not default.is_file() and not (db or root / "build" / "stats.duckdb").is_file():
            from artoiscast.errors import CatalogError

            raise CatalogError("no log given and no serve log yet (give LOG files, folders or globs, or "
                               "--from-storage PREFIX)", path="build/access.log")
        inputs = [str(default)] if default.is_file() else []
    storage = None
    if from_storage is not None:
        from artoiscast.catalog import load_catalog

        _check_storage_options(overrides)
        storage = _storage(root, load_catalog(root, check_files=False).podcast.storage, **overrides)
    result = run(root, inputs, db=db, manifest=manifest, storage=storage, prefix=from_storage or "", by=by,
                 filters=filters, geoip=geoip, memory_limit=memory_limit, rows=fmt == "json" or html is not None)
    read = result.read
    click.echo(f"read {read.lines} new log lines ({read.media} for episodes) from {read.regions} files or objects"
               + (f"; {read.unparsed} did not parse" if read.unparsed else ""), err=True)
    for source, line, text in read.examples:
        click.echo(f"warning: {source}:{line}: not a log line: {text}", err=True)
    for source in read.unknown_format:
        click.echo(f"warning: {source}: no line is a combined, S3 or CloudFront log line (all counted as unparsed)",
                   err=True)
    for source in read.skipped:
        click.echo(f"warning: {source}: not a log (left out)", err=True)
    if read.late:
        click.echo(f"warning: {read.late} requests are of days whose salt was already deleted (more than "
                   f"{SALT_DAYS} days old): a listener in them and in that day's earlier logs may count twice", err=True)
    if fmt == "json":
        click.echo(output.to_json(result.data), nl=False)
    elif fmt == "csv":
        click.echo(output.to_csv(result.columns, result.rows), nl=False)
    else:
        out.print(output.table(result.data, result.columns, result.rows))
    if html is not None:
        from artoiscast.stats.report import write_report

        title, forbidden = _show_places(root)
        write_report(result.data, html, title=title, forbidden=forbidden)
        click.echo(f"report written to {html}/index.html (private: never published)", err=True)


def _show_places(root: Path) -> tuple[str | None, list[Path]]:
    """The show's title and the folders a private report must stay out of (the built site, the
    local storage folder); no title when there is no readable catalog."""
    from artoiscast.catalog import load_catalog

    places = [root / "build" / "site", root / "public"]
    try:
        catalog = load_catalog(root, check_files=False)
    except ArtoiscastError:
        return None, places
    storage = catalog.podcast.storage
    if storage.backend == "local":
        from artoiscast.storage.local import folder_of

        places.append(folder_of(storage, root))
    return catalog.podcast.title, places
