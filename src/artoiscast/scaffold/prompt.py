"""How ``init`` asks its questions: through a :class:`Prompt`, so that the library decides what to
ask and when, the command line asks with click, and tests answer from a script.

A question comes with its default and a ``validate`` function that returns what is wrong with an
answer (None when it is fine); a prompt asks again until the answer passes. ``init --yes`` passes
no prompt at all: every answer is then an option, or its default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Check = Callable[[str], str | None]  # an answer -> what is wrong with it, or None
CheckMany = Callable[[list[str]], str | None]


class Prompt(Protocol):
    """Asks the producer. ``validate`` returns a problem (shown, then the question is asked
    again) or None; the answer returned has passed it."""

    def ask(self, question: str, default: str | None = None, validate: Check | None = None) -> str:
        """One answer (``default`` when the producer just presses Enter; None: an answer is needed)."""
        ...

    def ask_many(self, question: str, default: list[str] | None = None, validate: CheckMany | None = None) -> list[str]:
        """Several answers in one line, separated by commas or spaces (``default`` as for :meth:`ask`)."""
        ...


def split_many(text: str) -> list[str]:
    """``"economy, energy culture"`` -> ``["economy", "energy", "culture"]``: what :meth:`Prompt.ask_many`
    reads from one line."""
    return [w for w in text.replace(",", " ").split() if w]
