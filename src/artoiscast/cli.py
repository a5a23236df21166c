"""The command line: each command parses, calls one library function, prints. No logic here."""

from __future__ import annotations

import json
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from artoiscast import __version__
from artoiscast.errors import ArtoiscastError, ErrorList

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


class Cli(click.Group):
    """Turns library errors into one line each (``error: path: field: reason``); traceback only with -v."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ArtoiscastError, ErrorList) as exc:
            errors = exc.errors if isinstance(exc, ErrorList) else [exc]
            for e in errors:
                click.echo(f"error: {e.line()}", err=True)
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            if isinstance(exc, ErrorList) and len(errors) > 1:
                click.echo(f"{len(errors)} problems; nothing was published.", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=".", envvar="ARTOISCAST_ROOT",
    show_default=True, help="The catalog folder (holding podcast.yaml).",
)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show detail, and a traceback on errors.")
@click.version_option(__version__, prog_name="artoiscast")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Publish Radioscopie de l'Artois: YAML catalog + audio in, feeds, pages and media out.

    \b
    Example, from the catalog folder:
      artoiscast check && artoiscast publish && artoiscast serve
    """
    ctx.obj = {"verbose": verbose}


# ---------------------------------------------------------------- check


@cli.command()
@root_option
@click.option("--catalog-only", is_flag=True, help="Only the YAML: do not require audio and artwork files.")
def check(root: Path, catalog_only: bool) -> None:
    """Validate the whole catalog and print every problem, one per line.

    Exit 0 when all is well, 2 on bad input.

    \b
    Example:
      artoiscast check
    """
    from artoiscast.check import check_catalog

    catalog = check_catalog(root, files=not catalog_only)
    n_feeds = len(catalog.feeds)
    out.print(f"ok: {len(catalog.episodes)} episodes, {n_feeds} feeds ({', '.join(catalog.feeds)})")


# ---------------------------------------------------------------- ingest


def _ingest_progress(total: int) -> tuple[Progress, Any, Any]:
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)
    task = progress.add_task("ingest", total=total)

    def done(ep: Any, rec: Any, error: Any) -> None:
        progress.advance(task)

    def start(ep: Any) -> None:
        progress.update(task, description=f"ingest {ep.slug}")

    return progress, done, start


@cli.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
def ingest(root: Path, as_json: bool, jobs: int | None) -> None:
    """Normalise every episode's audio to the show's loudness target (cached by content hash).

    Prints I / TP / LRA before and after for each episode.

    \b
    Example:
      artoiscast ingest --json > loudness.json
    """
    from artoiscast.catalog import load_catalog
    from artoiscast.ingest import ingest_all

    catalog = load_catalog(root)
    progress, done, start = _ingest_progress(len(catalog.episodes))
    with progress:
        records, errors = ingest_all(catalog, root / "build" / "ingest", jobs=jobs, on_done=done, on_start=start)
    if as_json:
        click.echo(json.dumps({s: r.to_json() | {"cached": r.cached} for s, r in sorted(records.items())}, indent=1))
    else:
        audio = catalog.podcast.audio
        table = Table(title=f"target {audio.target:g} LUFS +/-{audio.tolerance:g}, true peak <= {audio.true_peak:g} dBTP")
        table.add_column("episode", overflow="fold")
        for col in ("before: I/TP/LRA", "after: I/TP/LRA", "length", "encode"):
            table.add_column(col, justify="right", no_wrap=True)
        for slug, r in sorted(records.items()):
            table.add_row(slug, f"{r.before.integrated:.1f}/{r.before.true_peak:.1f}/{r.before.lra:.1f}",
                          f"{r.after.integrated:.1f}/{r.after.true_peak:.1f}/{r.after.lra:.1f}",
                          f"{r.duration:.0f} s", "cached" if r.cached else f"{r.seconds:.1f} s")
        out.print(table)
    if errors:
        raise ErrorList(errors)


# ---------------------------------------------------------------- build


def _build(root: Path, base_url: str | None, jobs: int | None) -> Any:
    from artoiscast.build import build
    from artoiscast.catalog import load_catalog

    n = len(load_catalog(root).episodes)
    progress, done, start = _ingest_progress(n)
    with progress:
        return build(root, base_url=base_url, jobs=jobs, on_ingest=done, on_ingest_start=start)


@cli.command(name="build")
@root_option
@click.option("--base-url", default=None, help="Override podcast.yaml's base_url (e.g. a staging host).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
def build_cmd(root: Path, base_url: str | None, jobs: int | None) -> None:
    """Ingest, then render feeds, pages and embeds into build/site (nothing is published).

    \b
    Example:
      artoiscast build && ls build/site/feeds
    """
    result = _build(root, base_url, jobs)
    _print_feeds(result)
    out.print(f"built {len(result.files) + 1} files into {result.out} ({result.written} written, the rest unchanged)")


def _print_feeds(result: Any) -> None:
    for name, slugs in result.feeds.items():
        out.print(f"  {name:<10} {len(slugs):>3} episodes  {result.base_url}feeds/{name}.xml")


# ---------------------------------------------------------------- publish


def _upload_progress(total: int) -> tuple[Progress, Any]:
    progress = Progress(TextColumn("publish"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=err,
                        transient=True)
    task = progress.add_task("publish", total=total)
    return progress, lambda key, size: progress.advance(task, size)


def _publish(root: Path, result: Any, dry_run: bool) -> Any:
    from artoiscast.publish import publish
    from artoiscast.storage import open_storage

    storage = open_storage(result.catalog.podcast.storage, root)
    if dry_run:
        return publish(result.out, storage, dry_run=True)
    plan = publish(result.out, storage, dry_run=True)
    progress, advance = _upload_progress(plan.upload_bytes)
    with progress:
        return publish(result.out, storage, on_upload=advance)


@cli.command(name="publish")
@root_option
@click.option("--dry-run", is_flag=True, help="Print the plan (new, changed, kept, stale) and change nothing.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
def publish_cmd(root: Path, dry_run: bool, jobs: int | None) -> None:
    """Build, then upload what changed to the storage named in podcast.yaml (default: the folder public/).

    Media and side files go first, pages next, feeds and manifest.json last; nothing is deleted.

    \b
    Example:
      artoiscast publish --dry-run && artoiscast publish
    """
    result = _build(root, None, jobs)
    plan = _publish(root, result, dry_run)
    verb = "would upload" if dry_run else "uploaded"
    out.print(f"{verb} {len(plan.uploads)} objects ({plan.upload_bytes / 1e6:.1f} MB): {len(plan.new)} new, "
              f"{len(plan.changed)} changed; {len(plan.kept)} unchanged; {len(plan.stale)} from earlier builds kept")
    if dry_run:
        for key in plan.uploads:
            out.print(f"  {'new' if key in plan.new else 'changed'}  {key}")


# ---------------------------------------------------------------- serve


def _serve_folder(root: Path) -> Path:
    from artoiscast.catalog import load_catalog

    storage = load_catalog(root, check_files=False).podcast.storage
    folder = Path(storage.path)
    return folder if folder.is_absolute() else root / folder


@cli.command()
@root_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep loopback unless proxied).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0 picks a free port.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to serve (default: the local storage folder, public/).")
@click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Access log in combined format (default: build/access.log).")
def serve(root: Path, host: str, port: int, folder: Path | None, access_log: Path | None) -> None:
    """Serve the published folder over HTTP with Range, HEAD and conditional GET. Ctrl-C stops.

    \b
    Example:
      artoiscast serve --port 8080
    """
    from artoiscast import serve as server

    folder = folder or _serve_folder(root)
    if not (folder / "index.html").is_file():
        raise ArtoiscastError("nothing published here yet (run artoiscast publish)", path=str(folder))
    log = access_log or root / "build" / "access.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server.run(folder, host=host, port=port, access_log=log,
               on_ready=lambda url: out.print(f"serving {folder} at {url} (access log {log}); Ctrl-C stops"))


# ---------------------------------------------------------------- embed


@cli.command()
@root_option
@click.argument("theme")
@click.option("--n", "count", type=click.IntRange(1, 20), default=5, show_default=True, help="Episodes shown.")
@click.option("--base-url", default=None, help="Override podcast.yaml's base_url.")
def embed(root: Path, theme: str, count: int, base_url: str | None) -> None:
    """Print the one-line <iframe> that shows THEME's latest episodes on a partner site.

    \b
    Example:
      artoiscast embed llv --n 3
    """
    from artoiscast.catalog import load_catalog

    catalog = load_catalog(root, check_files=False)
    if theme not in catalog.themes:
        from artoiscast.errors import CatalogError

        raise CatalogError(f'"{theme}" is not a theme (one of: {", ".join(catalog.themes)})', field="theme")
    base = base_url or catalog.podcast.base_url
    title = catalog.feeds[theme].title.replace('"', "&quot;")
    click.echo(f'<iframe src="{base}embed/{theme}.html?n={count}" title="{title}" width="100%" height="{140 * count + 60}" '
               f'style="border:0;max-width:100%" loading="lazy"></iframe>')


# ---------------------------------------------------------------- demo


def _free_port(host: str, wanted: int) -> int:
    for port in (wanted, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise ArtoiscastError(f"no free port on {host}")


@cli.command()
@root_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to serve on (another free one is used if taken).")
@click.option("--no-serve", is_flag=True, help="Stop after publishing (print the URLs, do not serve).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel jobs (default: cores).")
def demo(root: Path, port: int, no_serve: bool, jobs: int | None) -> None:
    """The whole pipeline on the real catalog, served from this machine.

    Synthesises the demo audio and artwork if missing, ingests, builds with base_url set to
    the local server (podcast.yaml keeps the public one), publishes to public/, serves it
    and prints the feed URLs. Ctrl-C stops.

    \b
    Example:
      artoiscast demo --port 8000
    """
    from artoiscast.demo_art import make_demo_artwork
    from artoiscast.demo_audio import make_demo_audio

    host = "127.0.0.1"
    port = _free_port(host, port)
    base = f"http://{host}:{port}/"
    err.print("[1/4] demo audio and artwork (skipped where present)")
    make_demo_artwork(root)
    make_demo_audio(root, jobs=jobs)
    err.print("[2/4] ingest and build")
    result = _build(root, base, jobs)
    err.print("[3/4] publish to the local folder")
    plan = _publish(root, result, dry_run=False)
    out.print(f"published {len(plan.uploads)} objects to {_serve_folder(root)}")
    out.print("feeds:")
    _print_feeds(result)
    out.print(f"home page: {base}")
    if no_serve:
        return
    err.print("[4/4] serve")
    from artoiscast import serve as server

    log = root / "build" / "access.log"
    server.run(_serve_folder(root), host=host, port=port, access_log=log,
               on_ready=lambda url: out.print(f"serving at {url}; Ctrl-C stops"))


def main() -> None:
    """Console entry point."""
    sys.exit(cli.main(prog_name="artoiscast", standalone_mode=True))


if __name__ == "__main__":  # pragma: no cover
    main()
