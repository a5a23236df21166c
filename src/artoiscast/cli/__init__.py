"""The command line: each command parses, calls one library function, prints. No logic here."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any, Self

import click
from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID,
                           TextColumn, TimeElapsedColumn, TransferSpeedColumn)
from rich.table import Table
from rich.text import Text

from artoiscast import __version__
from artoiscast.errors import ArtoiscastError, ErrorList
from artoiscast.progress import Job

# markup=False: what they print holds titles, file names and URLs, in which "[red]" or "[/x]" is text
err = Console(stderr=True, highlight=False, markup=False)
out = Console(highlight=False, soft_wrap=True, markup=False)


PUBLISHING = ("publish", "demo")  # the commands whose errors stop a publish: they say nothing was published


class Cli(click.Group):
    """Turns library errors into one line each (``error: path: field: reason``); traceback only with -v."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArtoiscastError as exc:
            errors = exc.errors if isinstance(exc, ErrorList) else [exc]
            for e in errors:
                click.echo(f"error: {e.line()}", err=True)
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            if len(errors) > 1:
                published = "; nothing was published" if ctx.invoked_subcommand in PUBLISHING else ""
                click.echo(f"{len(errors)} problems{published}.", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


class _Amount(ProgressColumn):
    """Bytes and speed for a job in bytes; done/total and time taken for the others."""

    def __init__(self) -> None:
        super().__init__()
        self.parts = {"B": (DownloadColumn(), TransferSpeedColumn())}
        self.count = (MofNCompleteColumn(), TimeElapsedColumn())

    def render(self, task: Task) -> Text:
        first, second = self.parts.get(task.fields.get("unit", ""), self.count)
        return Text.assemble(first.render(task), " ", second.render(task))


class _Bar:
    def __init__(self, progress: Progress, task: TaskID):
        self.progress, self.task = progress, task

    def advance(self, n: float = 1) -> None:
        self.progress.advance(self.task, n)

    def done(self) -> None:
        self.progress.remove_task(self.task)


class Bars:
    """The CLI's :class:`~artoiscast.progress.Events`: one rich bar per job on stderr, gone when
    done (and all of them when the ``with`` ends). Any command that runs a long job passes one.
    Only on a terminal: piped or logged, stderr holds the errors and warnings alone."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(), _Amount(), console=err,
                                 transient=True, disable=not err.is_terminal)  # a log gets no blank lines

    def start(self, total: float | None, label: str, *, unit: str = "") -> Job:
        return _Bar(self.progress, self.progress.add_task(label, total=total, unit=unit))

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _base_url_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--base-url`` judged exactly as podcast.yaml's ``base_url`` (absolute http(s), a final / added)."""
    from artoiscast.values import base_url_value

    return None if value is None else base_url_value(value, "--base-url")


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
@click.option("--catalog-only", is_flag=True,
              help="Only the YAML: do not require audio and artwork files, nor lint the built feeds.")
@click.option("--live", metavar="URL", default=None,
              help="Also probe the show published at URL over HTTP (enclosures, ranges, artwork, CORS, types).")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.pass_context
def check(ctx: click.Context, root: Path, catalog_only: bool, live: str | None, strict: bool) -> None:
    """Validate the whole catalog, lint the built feeds, and print every problem, one per line.

    The catalog's advice comes first, as `warning:` lines (episodes sharing a bare date,
    an unpinned publisher_guid, a soundbite outside 15-120 s, a season named two ways, a
    placeholder cover from init). The feeds in build/site/feeds are linted when present
    (Apple, PSP-1, Podcasting 2.0): one line per finding on stderr, as errors are,
    `error: feeds/<name>.xml: item <guid>: <rule>: <what is wrong>`. With --live the catalog is
    optional. Exit 0 when all is well, 1 on a feed error (or a warning with --strict),
    2 on bad catalog input.

    \b
    Examples:
      artoiscast check
      artoiscast check --live https://artoiscast.fr/ --strict
    """
    from artoiscast.check import check as run_check

    report = run_check(root, files=not catalog_only, live=live)
    if report.catalog is not None:
        catalog = report.catalog
        n = len(catalog.episodes)
        out.print(f"ok: {n} episode{'' if n == 1 else 's'}, {len(catalog.feeds)} feeds ({', '.join(catalog.feeds)})")
    for w in report.advice:
        click.echo(f"warning: {w.line()}", err=True)
    for f in report.findings:
        click.echo(f"{f.level}: {f.line()}", err=True)
    if report.feeds_judged:
        out.print(f"feeds: {report.errors} errors, {report.warnings} warnings")
    ctx.exit(report.exit_code(strict))


# ---------------------------------------------------------------- ingest


@cli.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
def ingest(root: Path, as_json: bool, jobs: int | None) -> None:
    """Normalise every episode's audio to the show's loudness target (cached by content hash).

    Shows a bar per episode while it encodes, then prints I / TP / LRA before and after,
    length, size and time taken for each episode (--json: the same data, and the failures).
    A bad audio file is one line; the other episodes still ingest; exit 2 at the end.

    \b
    Example:
      artoiscast ingest --json > loudness.json
    """
    from artoiscast import workspace
    from artoiscast.catalog import load_catalog
    from artoiscast.ingest import ingest_all

    catalog = load_catalog(root)
    failed: dict[str, str] = {}

    def finished(ep: Any, rec: Any, error: Any) -> None:
        if error is not None:
            failed[ep.slug] = error.line()

    with Bars() as bars, workspace.lock(root / "build", on_wait=_waiting, root=root):
        records, errors = ingest_all(catalog, root / "build" / "ingest", jobs=jobs, on_done=finished, events=bars)
    if as_json:
        data: dict[str, Any] = {s: r.to_json() | {"cached": r.cached} for s, r in records.items()}
        data.update({s: {"slug": s, "error": line} for s, line in failed.items()})
        click.echo(json.dumps(dict(sorted(data.items())), indent=1))
    elif not catalog.episodes:
        out.print("no episodes yet: nothing to ingest (add one with artoiscast new AUDIO --title ...)")
    else:
        audio = catalog.podcast.audio
        table = Table(title=f"target {audio.target:g} LUFS +/-{audio.tolerance:g}, true peak <= {audio.true_peak:g} dBTP")
        table.add_column("episode", overflow="fold")
        for col in ("before: I/TP/LRA", "after: I/TP/LRA", "length", "MB", "time"):
            table.add_column(col, justify="right", no_wrap=True)
        for slug, r in sorted(records.items()):
            table.add_row(slug, f"{r.before.integrated:.1f}/{r.before.true_peak:.1f}/{r.before.lra:.1f}",
                          f"{r.after.integrated:.1f}/{r.after.true_peak:.1f}/{r.after.lra:.1f}",
                          f"{r.duration:.0f} s", f"{r.bytes / 1e6:.1f}", "cached" if r.cached else f"{r.seconds:.1f} s")
        out.print(table)
    if errors:
        raise ErrorList(errors)


# ---------------------------------------------------------------- build


def _build(root: Path, base_url: str | None, jobs: int | None) -> Any:
    from artoiscast.build import build

    with Bars() as bars:
        return build(root, base_url=base_url, jobs=jobs, events=bars, on_wait=_waiting)


def _waiting() -> None:
    err.print("waiting for another build in this checkout")


@cli.command(name="build")
@root_option
@click.option("--base-url", default=None, callback=_base_url_option,
              help="Override podcast.yaml's base_url (e.g. a staging host): an absolute http(s) URL.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
def build_cmd(root: Path, base_url: str | None, jobs: int | None) -> None:
    """Ingest, then render feeds, pages and embeds into build/site (nothing is published).

    One build at a time in a checkout: a second one waits for the first (saying so), then
    finds its work done or does it.

    \b
    Example:
      artoiscast build && ls build/site/feeds
    """
    result = _build(root, base_url, jobs)
    _print_feeds(result)
    if result.skipped:
        out.print(f"nothing changed since the last build: {result.out} is up to date")
    else:
        out.print(f"built {len(result.files) + 1} files into {result.out} ({result.written} written, the rest unchanged)")


def _print_feeds(result: Any) -> None:
    for name, slugs in result.feeds.items():
        out.print(f"  {name:<10} {len(slugs):>3} episodes  {result.base_url}feeds/{name}.xml")


# ---------------------------------------------------------------- publish


def _storage(root: Path, settings: Any, **overrides: Any) -> Any:
    from artoiscast.storage import open_storage
    from artoiscast.storage.base import resolve_settings

    return open_storage(resolve_settings(settings, **overrides), root)


def _check_storage_options(overrides: dict[str, Any]) -> None:
    """Refuse a bad storage variable or option (exit 2) before anything is read or built."""
    from artoiscast.storage.base import check_overrides

    check_overrides(**overrides)


def storage_options(f: Any) -> Any:
    """--to, --bucket, --prefix, --endpoint-url, --region, --path-style, --connect-timeout, --read-timeout:
    override podcast.yaml's storage."""
    for opt in reversed([
        click.option("--to", "to", default=None, metavar="TARGET",
                     help="Publish to s3://BUCKET/PREFIX or to a folder instead of podcast.yaml's storage."),
        click.option("--bucket", default=None, help="S3 bucket (env ARTOISCAST_STORAGE_BUCKET)."),
        click.option("--prefix", default=None, help="Key prefix inside the bucket (env ARTOISCAST_STORAGE_PREFIX)."),
        click.option("--endpoint-url", default=None,
                     help="S3-compatible endpoint, e.g. http://127.0.0.1:8333 (env ARTOISCAST_STORAGE_ENDPOINT_URL)."),
        click.option("--region", default=None, help="S3 region (env ARTOISCAST_STORAGE_REGION)."),
        click.option("--path-style", is_flag=True, default=None,
                     help="Path-style S3 addressing (env ARTOISCAST_STORAGE_PATH_STYLE=true)."),
        click.option("--connect-timeout", default=None, metavar="SECONDS",
                     help="S3: seconds to wait for a connection (default 5; env ARTOISCAST_STORAGE_CONNECT_TIMEOUT)."),
        click.option("--read-timeout", default=None, metavar="SECONDS",
                     help="S3: seconds to wait for the store to answer (default 20; env "
                          "ARTOISCAST_STORAGE_READ_TIMEOUT)."),
    ]):
        f = opt(f)
    return f


@cli.command(name="publish")
@root_option
@click.option("--dry-run", is_flag=True,
              help="Print the plan (new, changed, kept, unreferenced) and the pings, and change nothing.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=None, help="Parallel encodes (default: cores).")
@click.option("--allow-removed", multiple=True, metavar="SLUG",
              help="Accept that published episode SLUG (its guid) leaves the feeds: removed, renamed "
                   "or postponed to a future date. Repeatable.")
@click.option("--allow-guid-change", multiple=True, metavar="SLUG",
              help="Accept that published episode SLUG gets another guid, or its guid another slug. Repeatable.")
@click.option("--setup-cors", is_flag=True,
              help="S3: set the bucket's CORS rule (GET/HEAD from any origin) before uploading.")
@click.option("--no-notify", is_flag=True,
              help="Send no ping (WebSub, Podcast Index, Podping) for this publish, e.g. to a staging copy.")
@click.option("--watch", is_flag=True,
              help="Keep running: publish now, then again at each scheduled episode's date. Ctrl-C stops.")
@click.option("--recheck", default="10m", show_default=True, metavar="DURATION",
              help="--watch: read the catalog again at least this often (episodes added or re-dated meanwhile).")
@storage_options
@click.pass_context
def publish_cmd(ctx: click.Context, root: Path, dry_run: bool, jobs: int | None, allow_removed: tuple[str, ...],
                allow_guid_change: tuple[str, ...], setup_cors: bool, no_notify: bool, watch: bool, recheck: str,
                **overrides: Any) -> None:
    """Build, then upload what changed to the storage named in podcast.yaml (default: the folder public/).

    Refuses, before any upload, a build that drops a published episode or changes its guid.
    Media and side files go first, pages next, feeds and manifest.json last; nothing is
    deleted (see prune). An interrupted publish is finished by running it again.
    One publish or prune of a show at a time: another one running stops this one at once
    (exit 1; run it again when it ends). S3 credentials come from the usual AWS variables
    or profile, never from podcast.yaml.

    Then, for each feed uploaded, the hubs of podcast.yaml's notify: are told (WebSub, the
    Podcast Index, Podping); a ping that fails is one warning line and is sent again after
    the next publish. With --watch it keeps running: each run is one line, an error in a run
    (a YAML file half edited) is logged and the next run tries again.

    \b
    Example:
      artoiscast publish --dry-run && artoiscast publish
      AWS_PROFILE=show artoiscast publish --to s3://artoiscast/site --endpoint-url https://s3.example.net
      artoiscast publish --watch --recheck 10m
    """
    from artoiscast.deploy import publish_show
    from artoiscast.errors import UsageError

    options: dict[str, Any] = {"jobs": jobs, "allow_removed": allow_removed, "allow_guid_change": allow_guid_change,
                               "overrides": overrides, "ping": not no_notify}
    _check_storage_options(overrides)
    if watch:
        if dry_run:
            raise UsageError("--watch publishes: it does not go with --dry-run (run publish --dry-run alone)",
                             field="--watch")
        _watch(ctx, root, recheck, setup_cors=setup_cors, **options)
        return
    if ctx.get_parameter_source("recheck") is not click.core.ParameterSource.DEFAULT:
        raise UsageError("only goes with --watch", field="--recheck")
    with Bars() as bars:
        done = publish_show(root, dry_run=dry_run, setup_cors=setup_cors, events=bars, on_wait=_waiting, **options)
    for line in done.warnings:
        click.echo(f"warning: {line}", err=True)
    plan, storage = done.plan, done.storage
    verb = "would upload" if dry_run else "uploaded"
    out.print(f"{verb} {len(plan.uploads)} objects ({plan.upload_bytes / 1e6:.1f} MB) to {storage.describe()}: "
              f"{len(plan.new)} new, {len(plan.changed)} changed; {len(plan.kept)} unchanged; "
              f"{len(plan.unreferenced)} unreferenced from earlier builds kept")
    if done.sent or done.failed:
        kept = f", {len(done.failed)} failed (kept for the next publish)" if done.failed else ""
        out.print(f"would send {len(done.sent)} pings" if dry_run else f"pings: {len(done.sent)} sent{kept}")
    _print_swept(plan.swept, dry_run)
    if dry_run:
        for key in plan.uploads:
            out.print(f"  {'new' if key in plan.new else 'changed'}  {key}")
        for key in plan.unreferenced:
            out.print(f"  unreferenced  {key}  (kept; prune deletes it after its grace period)")
        for p in done.sent:
            out.print(f"  ping  {p.describe()}  {p.feed}")

def _watch(ctx: click.Context, root: Path, recheck: str, *, setup_cors: bool, **options: Any) -> None:
    """``publish --watch``: one line per run (errors on stderr), until Ctrl-C or SIGTERM."""
    import signal

    from artoiscast.schedule import Run, parse_duration, watch

    seconds = parse_duration(recheck, "--recheck")
    first = {"setup_cors": setup_cors}

    def publisher(root: Path, **kwargs: Any) -> Any:
        from artoiscast.deploy import publish_show

        kwargs.update(first)
        first.clear()  # --setup-cors: once, at the first run
        return publish_show(root, **kwargs)

    def logged(run: Run) -> None:
        for line in ([] if run.done is None else run.done.warnings):
            click.echo(f"warning: {line}", err=True)
        click.echo(run.line(), err=not run.ok)
        if not run.ok and ctx.obj and ctx.obj.get("verbose"):
            for e in run.errors:
                traceback.print_exception(e)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, stop)  # systemctl stop: as Ctrl-C
    try:
        out.print(f"watching {root.absolute()}: publishing now, then at each scheduled episode's date "
                  f"(the catalog read again at least every {recheck}); Ctrl-C stops")
        runs = watch(root, recheck=seconds, on_run=logged, publisher=publisher, on_wait=_waiting, **options)
    finally:
        signal.signal(signal.SIGTERM, before)
    click.echo(f"stopped after {runs} runs", err=True)


@cli.command()
@root_option
@click.option("--older-than", required=True, metavar="AGE", help="Grace period: 30d, 12h, 2w...")
@click.option("--dry-run", is_flag=True, help="Print what would be deleted and delete nothing.")
@storage_options
def prune(root: Path, older_than: str, dry_run: bool, **overrides: Any) -> None:
    """Delete published objects that nothing live references any more and that are older than
    the grace period (old media, renamed art...).

    Kept: what the published manifest.json lists, and whatever the stored feeds, pages and
    transcripts reference (even a feed newer than the manifest, after an interrupted publish).
    Also aborts what killed publishes left behind (unfinished S3 uploads, temporary files).
    A publish running on the show makes it stop at once (exit 1: run it again when it ends).

    \b
    Example:
      artoiscast prune --older-than 30d --dry-run
    """
    from artoiscast.catalog import load_catalog
    from artoiscast.prune import parse_age, prune as prune_store

    age = parse_age(older_than)
    _check_storage_options(overrides)
    storage = _storage(root, load_catalog(root, check_files=False).podcast.storage, **overrides)
    plan = prune_store(storage, age, dry_run=dry_run)
    for note in plan.notes:
        click.echo(f"warning: {note}", err=True)
    verb = "would delete" if dry_run else "deleted"
    live = f" ({len(plan.live)} of them only by a live feed or page)" if plan.live else ""
    out.print(f"{verb} {len(plan.delete)} objects ({plan.delete_bytes / 1e6:.1f} MB) from {storage.describe()}; "
              f"{len(plan.in_grace)} unreferenced but younger than {older_than} kept; {plan.referenced} referenced{live}")
    if dry_run:
        for key in plan.delete:
            out.print(f"  delete  {key}")
    _print_swept(plan.swept, dry_run)


def _print_swept(swept: list[str], dry_run: bool) -> None:
    """What publish or prune cleared (or would clear) of the leftovers of killed publishes."""
    if swept:
        verb = "would remove" if dry_run else "removed"
        out.print(f"{verb} {len(swept)} leftovers of interrupted publishes (temporary files, unfinished uploads)")
    if dry_run:
        for item in swept:
            out.print(f"  leftover  {item}")


# ---------------------------------------------------------------- serve


def _serve_folder(root: Path) -> Path:
    from artoiscast.catalog import load_catalog
    from artoiscast.storage.local import folder_of

    return folder_of(load_catalog(root, check_files=False).podcast.storage, root)


@cli.command()
@root_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep loopback unless proxied).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0 picks a free port.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to serve (default: the local storage folder, public/).")
@click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Access log in combined format (default: build/access.log).")
@click.pass_context
def serve(ctx: click.Context, root: Path, host: str, port: int, folder: Path | None, access_log: Path | None) -> None:
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
    moved = server.published_move(folder)  # a moved show: its feed URLs answer 301
    server.run(folder, host=host, port=port, access_log=log, verbose=bool(ctx.obj and ctx.obj.get("verbose")),
               on_ready=lambda url: out.print(f"serving {folder} at {url} (access log {log}); Ctrl-C stops"
                                              + (f"; feeds/*.xml answer 301 to {moved}feeds/" if moved else "")),
               moved_to=moved)


# ---------------------------------------------------------------- embed


@cli.command()
@root_option
@click.argument("theme")
@click.option("--n", "count", type=click.IntRange(1, 20), default=5, show_default=True, help="Episodes shown.")
@click.option("--theme", "scheme", type=click.Choice(["auto", "light", "dark"]), default="auto", show_default=True,
              help="Colours: light, dark, or auto (the visitor's light or dark preference).")
@click.option("--base-url", default=None, callback=_base_url_option,
              help="Override podcast.yaml's base_url: an absolute http(s) URL.")
def embed(root: Path, theme: str, count: int, scheme: str, base_url: str | None) -> None:
    """Print the one-line snippet that shows THEME's latest episodes on a partner site: the
    <iframe>, then a short script that fits the iframe's height to the embed (a page that strips
    scripts keeps the iframe at the height of COUNT closed episodes, scrolling inside).

    \b
    Example:
      artoiscast embed llv --n 3 --theme dark
    """
    from artoiscast.catalog import load_catalog
    from artoiscast.site import embed_snippet

    click.echo(embed_snippet(load_catalog(root, check_files=False), theme, count, base_url, scheme))


# the commands of their own modules register on ``cli`` when imported
from artoiscast.cli import (  # noqa: E402, F401
    demo as _demo, importer as _importer, scaffold as _scaffold, schedule as _schedule, stats as _stats,
    transcribe as _transcribe,
)


def main() -> None:
    """Console entry point."""
    sys.exit(cli.main(prog_name="artoiscast", standalone_mode=True))


if __name__ == "__main__":  # pragma: no cover
    main()
