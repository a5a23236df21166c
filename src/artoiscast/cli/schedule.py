"""``artoiscast schedule`` (a systemd timer or a crontab line that runs publish) and
``artoiscast notify`` (send the pings still waiting)."""

from __future__ import annotations

from pathlib import Path

import click

from artoiscast.cli import _waiting, cli, out, root_option
from artoiscast.errors import UsageError


@cli.command()
@root_option
@click.option("--systemd", "kind", flag_value="systemd", help="Print a systemd service and timer.")
@click.option("--cron", "kind", flag_value="cron", help="Print a crontab line.")
@click.option("--every", default="5m", show_default=True, metavar="INTERVAL",
              help="How often publish runs: 1m to 30m, or 1h to 24h, dividing an hour or a day.")
@click.option("--system", is_flag=True,
              help="systemd: a system-wide unit (/etc/systemd/system) run as this user, not a user unit.")
@click.option("--write", "write_to", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="systemd: write the two units into DIR (e.g. ~/.config/systemd/user) instead of printing them.")
def schedule(root: Path, kind: str | None, every: str, system: bool, write_to: Path | None) -> None:
    """Print what runs `artoiscast publish` for this show every few minutes, so that a scheduled
    episode comes out at its date by itself: a systemd service and timer, or a crontab line.

    Absolute paths throughout (the show folder, this virtualenv's artoiscast). A publish with
    nothing to do costs one listing of the store. The service reads its storage credentials
    and the Podping token, if any, from an environment file it names (optional). The other way
    is a long-running `artoiscast publish --watch`.

    \b
    Examples:
      artoiscast schedule --systemd --write ~/.config/systemd/user && systemctl --user daemon-reload
      (crontab -l; artoiscast schedule --cron --every 10m) | crontab -
    """
    from artoiscast import schedule as sched

    if kind is None:
        raise UsageError("say which: --systemd or --cron", field="schedule")
    minutes = sched.parse_every(every)
    if kind == "cron":
        if system or write_to is not None:
            raise UsageError("only goes with --systemd", field="--system" if system else "--write")
        click.echo(sched.cron_line(root, every=minutes))
        return
    units = sched.systemd_units(root, every=minutes, system=system)
    if write_to is None:
        folder = sched.unit_folder(system)
        for i, (name, text) in enumerate(units.items()):
            click.echo(("" if i == 0 else "\n") + f"# {folder / name}\n{text}", nl=False)
        click.echo("\n# save each file where its first line says, then:")
        for line in sched.install_hint(list(units), system=system):
            click.echo(f"#   {line}")
        return
    for path in sched.write_units(units, write_to):
        out.print(f"wrote {path}")
    for line in sched.install_hint(list(units), system=system):
        out.print(f"  {line}")


@cli.command(name="notify")
@root_option
@click.option("--all", "every_feed", is_flag=True,
              help="Ping every built feed, not only those waiting (e.g. after adding a hub to podcast.yaml).")
@click.option("--dry-run", is_flag=True, help="Print the pings that would be sent and send none.")
def notify_cmd(root: Path, every_feed: bool, dry_run: bool) -> None:
    """Send the pings still waiting (WebSub hubs, the Podcast Index, Podping of podcast.yaml's
    notify:), without publishing. publish sends them by itself; this is for a hub that was
    down, or, with --all, a hub just added.

    A ping that fails is one warning line and stays waiting (in build/notify.json).

    \b
    Example:
      artoiscast notify --all --dry-run && artoiscast notify --all
    """
    from artoiscast.deploy import notify_now

    report = notify_now(root, every_feed=every_feed, dry_run=dry_run, on_wait=_waiting)
    for f in report.failed:
        click.echo(f"warning: {f.line()}", err=True)
    if dry_run:
        out.print(f"would send {len(report.sent)} pings")
        for p in report.sent:
            out.print(f"  ping  {p.describe()}  {p.feed}")
        return
    kept = f", {len(report.failed)} failed (kept for the next publish)" if report.failed else ""
    out.print(f"pings: {len(report.sent)} sent{kept}" if report.sent or report.failed else "no ping waiting")
