"""The French of the stats report: its numbers, percentages, dates and periods as French typography
writes them, and ``clean``, which makes a string from the logs text a person can read and XML can
carry (the report's HTML and its charts' SVG both show them).
"""

from __future__ import annotations

import functools
import unicodedata
from datetime import date

from artoiscast.typography import MONTHS, french_date

LABEL_MAX = 120  # characters of a label from the logs shown (the rest becomes "…")


_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def clean(value: object, limit: int = LABEL_MAX) -> str:
    """A string from the logs as text a person can read and XML can carry.

    Control characters (C0, C1, DEL), lone surrogates, U+FFFE/U+FFFF and the bidi controls
    that would reorder the page around them (RLO "\u202e"...) become U+FFFD; the text is cut at
    ``limit`` characters with "…". Escaping is the template's and lxml's job, not this one's.
    """
    return _clean("" if value is None else str(value), limit)


@functools.lru_cache(maxsize=65536)  # distinct names are few, rows many
def _clean(text: str, limit: int) -> str:
    if len(text) <= limit and text.isprintable():  # no Cc, Cs or Cf character: nothing to replace
        return text
    out = []
    for ch in text[: limit + 1]:
        o = ord(ch)
        if o in _BIDI or o in (0xFFFE, 0xFFFF) or unicodedata.category(ch) in ("Cc", "Cs"):
            out.append("\ufffd")
        else:
            out.append(ch)
    s = "".join(out)
    return s[:limit] + "…" if len(s) > limit else s


def fr_int(n: int) -> str:
    """12345 -> '12 345' (narrow no-break space, as French typography has it)."""
    return f"{n:,}".replace(",", "\u202f")


def fr_pct(part: int, whole: int) -> str:
    if not whole:
        return "0\u202f%"
    p = 100 * part / whole
    s = f"{p:.0f}" if p >= 10 or p == 0 else f"{p:.1f}"
    return s.replace(".", ",") + "\u202f%"


fr_date = french_date  # the one French date of pages and report (typography)


def fr_span(a: date, b: date) -> str:
    if a == b:
        return f"le {fr_date(a)}"
    first = fr_date(a) if a.year != b.year else fr_date(a).rsplit(" ", 1 if a.month != b.month else 2)[0]
    return f"du {first} au {fr_date(b)}"


__all__ = ["LABEL_MAX", "MONTHS", "clean", "fr_date", "fr_int", "fr_pct", "fr_span"]
