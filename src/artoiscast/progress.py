"""How a long job tells whoever runs it how far it has got: one small protocol for every job.

The library calls :meth:`Events.start` when it knows how much work there is, then
:meth:`Job.advance` as it goes and :meth:`Job.done` at the end; the CLI passes one object that
draws bars (``cli``'s rich one), tests a recording one, and everything else gets
:data:`NULL`, which does nothing. Jobs nest: ingest starts one job for the episodes and one per
episode being encoded. Nothing here knows about podcasts or terminals.
"""

from __future__ import annotations

from typing import Protocol


class Job(Protocol):
    """One piece of work started by :meth:`Events.start`."""

    def advance(self, n: float = 1) -> None:
        """``n`` more units done (episodes, seconds of audio, bytes)."""

    def done(self) -> None:
        """The job is over (finished or abandoned); it is shown no more."""


class Events(Protocol):
    """What a long job reports to: ingest (episodes, seconds encoded), publish (bytes stored)."""

    def start(self, total: float | None, label: str, *, unit: str = "") -> Job:
        """A job of ``total`` units (None: not known) named ``label``; ``unit`` is ``""`` (things),
        ``"s"`` (seconds) or ``"B"`` (bytes). Returns the job to advance."""
        ...


class _NullJob:
    def advance(self, n: float = 1) -> None:
        pass

    def done(self) -> None:
        pass


class NullEvents:
    """Reports to no one: the default of every library function that takes ``events``."""

    def start(self, total: float | None, label: str, *, unit: str = "") -> Job:
        return _NullJob()


NULL: Events = NullEvents()
