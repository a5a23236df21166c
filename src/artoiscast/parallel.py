"""Two cores for one long loop: half the work in a forked child, half here.

Used where a build spends seconds in pure Python over thousands of independent inputs (parsing
10,000 episode files, serialising 10,000 feed items). The child is forked, so it needs nothing
pickled but its results; without ``fork`` or a second core, or when the child fails, the work is
done here in turn and the result is the same.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _child(conn: Any, fn: Callable[[Sequence[Any]], list[Any]], part: Sequence[Any]) -> None:
    # a collection would walk (and so copy, page by page) the whole heap shared with the parent;
    # the child is short-lived and its memory goes when it exits
    gc.disable()
    try:
        conn.send(fn(part))
    finally:
        conn.close()


def in_two(fn: Callable[[Sequence[T]], list[Any]], items: Sequence[T], *, at_least: int) -> list[Any]:
    """``fn(items)``, computed as ``fn(first half) + fn(second half)`` with the second half in a
    forked child when there are ``at_least`` items, two cores and ``fork``. ``fn`` must return one
    picklable result per item, in order, and have no side effect the parent needs."""
    if len(items) < at_least or cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return fn(items)
    half = len(items) // 2
    ctx = multiprocessing.get_context("fork")
    try:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, fn, items[half:]), daemon=True)
        proc.start()
    except OSError:  # no process to be had: all of it here
        return fn(items)
    send.close()
    try:
        mine = fn(items[:half])
        try:
            theirs = recv.recv()
        except (EOFError, OSError):  # the child died: its half is done here
            theirs = fn(items[half:])
    finally:
        recv.close()
        proc.join()
    return mine + theirs
