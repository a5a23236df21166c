"""Scheduled episodes publish themselves: ``publish --watch`` here, or a timer that runs ``publish``.

:func:`watch` publishes now, then sleeps until the next scheduled episode's date (read again from
the catalog after every run), or for ``recheck`` seconds at most, so that an episode added or
re-dated while it sleeps is seen; then it publishes again, and so on. Each run is one line
(:meth:`Run.line`): what it uploaded, or its error. An error ends the run, never the watch (the
producer may be halfway through editing a YAML file); the next run starts from scratch. The
clock is injected (:class:`Clock`): tests pass one that never sleeps.

:func:`systemd_units` and :func:`cron_line` write the other way: a systemd service and timer, or a
crontab line, that run ``artoiscast publish`` for one show folder every few minutes. A publish
with nothing to do is cheap (the build returns at once, the store is listed once), so a short
interval costs little and brings a scheduled episode out within it.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from artoiscast.errors import ArtoiscastError, CatalogError, ErrorList, UsageError

class Clock(Protocol):
    """What the watch asks of time: the current instant (aware) and a way to wait."""

    def now(self) -> datetime:
        ...

    def sleep(self, seconds: float) -> None:
        ...


class SystemClock:
    """The real clock (UTC) and :func:`time.sleep`."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def parse_duration(text: str, option: str) -> float:
    """``90s``, ``10m``, ``2h`` or ``1d`` -> seconds (10 s to 7 days). Raises UsageError naming ``option``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "", re.IGNORECASE)
    seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2).lower()] if m else -1.0
    if not 10 <= seconds <= 7 * 86400:
        raise UsageError(f'"{text}" is not a duration from 10s to 7d (use e.g. 10m, 90s, 1h)', field=option)
    return seconds


def next_due(root: Path, now: datetime) -> tuple[datetime, str] | None:
    """The earliest scheduled episode after ``now``: (its publication instant, its slug), or None.
    Reads the catalog afresh (its YAML only). Raises ErrorList when the catalog is bad."""
    from artoiscast.catalog import load_catalog

    future = [(e.published, e.slug) for e in load_catalog(root, check_files=False).episodes if e.published > now]
    return min(future) if future else None


def _paris(dt: datetime) -> str:
    from artoiscast.catalog import PARIS

    return dt.astimezone(PARIS).isoformat(sep=" ", timespec="seconds")


@dataclass
class Run:
    """One run of the watch: when, what it did (or why it failed), and when the next one is."""

    at: datetime
    done: Any = None  # the Deployed of a run that went through
    errors: list[ArtoiscastError] = field(default_factory=list)
    due: tuple[datetime, str] | None = None  # the next scheduled episode (instant, slug)
    wake: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        """The run in one line: ``<time> <what it did>; <what comes next>`` (times in Paris)."""
        if self.errors:
            shown = "; ".join(e.line() for e in self.errors[:3])
            more = f" (and {len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
            what = f"error: {shown}{more}"
        else:
            what = _what(self.done)
        nxt = f"next episode {self.due[1]} at {_paris(self.due[0])}" if self.due else "no episode scheduled"
        wake = f"; next run {_paris(self.wake)}" if self.wake else ""
        return f"{_paris(self.at)} {what}; {nxt}{wake}"


def _what(done: Any) -> str:
    plan = done.plan
    if not plan.uploads:
        said = "nothing changed"
    else:
        feeds = ", ".join(k[len("feeds/"):-len(".xml")] for k in done.feeds) or "none"
        said = (f"published {len(plan.uploads)} objects ({len(plan.new)} new, {len(plan.changed)} changed; "
                f"feeds: {feeds})")
        if done.released:
            said += f"; out now: {', '.join(done.released)}"
    if done.sent or done.failed:
        said += f"; pings: {len(done.sent)} sent" + (f", {len(done.failed)} kept for later" if done.failed else "")
    return said


Publisher = Callable[..., Any]


def watch(root: Path, *, clock: Clock | None = None, recheck: float = 600.0, runs: int | None = None,
          on_run: Callable[[Run], None] | None = None, publisher: Publisher | None = None,
          **options: Any) -> int:
    """Publish ``root`` now and at each scheduled episode's date, until interrupted.

    Each run calls ``publisher(root, now=clock.now(), **options)`` (default
    :func:`artoiscast.deploy.publish_show`), then finds the next scheduled episode in the catalog
    (read again each time) and sleeps until its date, or ``recheck`` seconds at most. Every run
    is passed to ``on_run`` (its :meth:`Run.line` is the log line). An error in a run (bad YAML,
    a store that does not answer, a guard that refuses) is that run's: the watch goes on.
    ``runs`` stops it after that many runs (tests); a KeyboardInterrupt while it sleeps ends it
    cleanly. Returns the number of runs. A KeyboardInterrupt during a run is raised (the
    publish it stopped is finished by the next one).
    """
    if publisher is None:
        from artoiscast.deploy import publish_show

        publisher = publish_show
    clock = clock or SystemClock()
    count = 0
    while runs is None or count < runs:
        run = Run(at=clock.now())
        try:
            run.done = publisher(root, now=run.at, **options)
        except ErrorList as exc:
            run.errors = list(exc.errors)
        except ArtoiscastError as exc:
            run.errors = [exc]
        except OSError as exc:  # an unforeseen system error: said, and tried again at the next run
            run.errors = [ArtoiscastError(f"{exc.strerror or exc}", path=exc.filename and str(exc.filename))]
        after = clock.now()
        try:
            run.due = next_due(root, after)
        except ArtoiscastError:  # the run said what is wrong; wake at the recheck
            run.due = None
        run.wake = after + timedelta(seconds=recheck)
        if run.due and run.due[0] < run.wake:
            run.wake = max(run.due[0], after)
        count += 1
        if on_run:
            on_run(run)
        if runs is not None and count >= runs:
            break
        try:
            clock.sleep(max(0.0, (run.wake - clock.now()).total_seconds()))
        except KeyboardInterrupt:
            break
    return count


# ---------------------------------------------------------------- systemd and cron


MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
HOURS = (1, 2, 3, 4, 6, 8, 12, 24)


def parse_every(text: str) -> int:
    """``5m``, ``1h``... -> minutes, an interval that divides an hour or a day evenly (what both a
    systemd calendar and a crontab can say). Raises UsageError."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*([mh])\s*", text or "", re.IGNORECASE)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        if (unit == "m" and n in MINUTES) or (unit == "h" and n in HOURS):
            return n if unit == "m" else n * 60
        if unit == "m" and n % 60 == 0 and n // 60 in HOURS:
            return n
    shown = ", ".join([f"{n}m" for n in MINUTES] + [f"{n}h" for n in HOURS])
    raise UsageError(f'"{text}" is not an interval that divides an hour or a day (one of {shown})', field="--every")


def on_calendar(minutes: int) -> str:
    """The systemd ``OnCalendar=`` of every ``minutes``."""
    if minutes < 60:
        return f"*-*-* *:00/{minutes}:00"
    if minutes == 24 * 60:
        return "*-*-* 00:00:00"
    return f"*-*-* 00/{minutes // 60}:00:00"


def cron_schedule(minutes: int) -> str:
    """The five crontab fields of every ``minutes``."""
    if minutes == 1:
        return "* * * * *"
    if minutes < 60:
        return f"*/{minutes} * * * *"
    if minutes == 24 * 60:
        return "0 0 * * *"
    return "0 * * * *" if minutes == 60 else f"0 */{minutes // 60} * * *"


def show_folder(root: Path) -> Path:
    """``root`` as an absolute path, checked to be a show folder and to fit in a unit or a crontab.
    Raises CatalogError (no podcast.yaml) or UsageError (a newline or control character)."""
    folder = Path(os.path.abspath(root))
    if any(ord(c) < 32 or ord(c) == 127 for c in str(folder)):
        raise UsageError("the path holds a control character, which no unit or crontab can hold (rename it)",
                         field="--root")
    if not (folder / "podcast.yaml").is_file():
        raise CatalogError("not found: this is not a show folder (give --root the folder holding podcast.yaml)",
                           path=str(folder / "podcast.yaml"))
    return folder


def command() -> list[str]:
    """How to run this artoiscast from anywhere: the ``artoiscast`` script beside this Python
    (the virtualenv's), else this Python with ``-m artoiscast``. Absolute, never resolved through
    symlinks (a venv's python is a link to the system's, which lacks the package)."""
    python = Path(os.path.abspath(sys.executable))
    script = python.with_name("artoiscast")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("artoiscast")
    if found:
        return [os.path.abspath(found)]
    return [str(python), "-m", "artoiscast"]


def unit_name(folder: Path) -> str:
    """``artoiscast-<folder name>``, in the characters a unit name may hold."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")[:40].strip("-")
    return f"artoiscast-{slug or 'show'}"


def _spec(text: str) -> str:
    """``text`` with systemd's specifier character doubled (``%`` -> ``%%``)."""
    return text.replace("%", "%%")


def _systemd_word(text: str) -> str:
    """One word of a systemd command line: specifiers and variables escaped, quoted when needed."""
    text = _spec(text).replace("$", "$$")
    if text and not re.search(r'[\s"\'\\;]', text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(root: Path, *, every: int = 5, system: bool = False) -> dict[str, str]:
    """A service that runs ``artoiscast publish`` for the show in ``root`` and a timer that starts
    it every ``every`` minutes (``Persistent=true``: a run missed while the machine was off is
    made at boot). By file name; user units unless ``system`` (then ``User=`` is this user).
    Raises as :func:`show_folder`."""
    folder = show_folder(root)
    name = unit_name(folder)
    env = f"/etc/artoiscast/{name}.env" if system else f"%h/.config/artoiscast/{name}.env"
    exec_start = " ".join(_systemd_word(w) for w in [*command(), "publish", "--root", str(folder)])
    user = f"User={getpass.getuser()}\n" if system else ""
    service = (
        "[Unit]\n"
        f"Description=artoiscast: publish {_spec(str(folder))} (scheduled episodes come out on their date)\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{user}"
        f"WorkingDirectory={_spec(str(folder))}\n"
        f"# storage credentials and the Podping token, if any (KEY=value lines; keep it chmod 600)\n"
        f"EnvironmentFile=-{env}\n"
        f"ExecStart={exec_start}\n"
        "Nice=10\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=artoiscast: publish {_spec(str(folder))} every {_every_text(every)}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={on_calendar(every)}\n"
        "Persistent=true\n"
        "AccuracySec=1s\n"
        f"Unit={name}.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{name}.service": service, f"{name}.timer": timer}


def _every_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return "minute" if minutes == 1 else f"{minutes} minutes"


def _cron_word(text: str) -> str:
    """One shell word of a crontab command: quoted, and ``%`` (a newline to cron) escaped."""
    return shlex.quote(text).replace("%", "\\%")


def cron_line(root: Path, *, every: int = 5) -> str:
    """A crontab line that runs ``artoiscast publish`` for the show in ``root`` every ``every``
    minutes, its output appended to ``build/publish.log``. Raises as :func:`show_folder`."""
    folder = show_folder(root)
    words = " ".join(_cron_word(w) for w in [*command(), "publish", "--root", str(folder)])
    return (f"{cron_schedule(every)} cd {_cron_word(str(folder))} && mkdir -p build && "
            f"{words} >> build/publish.log 2>&1")


def install_hint(names: list[str], *, system: bool) -> list[str]:
    """The commands that start the timer once its files are in place."""
    timer = next(n for n in names if n.endswith(".timer"))
    ctl = "systemctl" if system else "systemctl --user"
    hint = [f"{ctl} daemon-reload", f"{ctl} enable --now {timer}"]
    if not system:
        hint.append(f"loginctl enable-linger {getpass.getuser()}  (so that it runs while you are logged out)")
    return hint


def unit_folder(system: bool) -> Path:
    """Where the units go: ``/etc/systemd/system`` or ``~/.config/systemd/user``."""
    return Path("/etc/systemd/system") if system else Path.home() / ".config" / "systemd" / "user"


def write_units(units: dict[str, str], folder: Path) -> list[Path]:
    """Write each unit into ``folder`` (made if missing), whole (a temporary renamed). Returns
    the paths. Raises WriteError."""
    from artoiscast.errors import write_error

    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            path = folder / name
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            try:
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(path)
    except OSError as exc:
        raise write_error(exc) from exc
    return written
