"""French typography for display text (pages and embeds; never feeds or machine fields).

:func:`french` takes plain text, :func:`french_html` sanitised HTML (text nodes only).
"""

from __future__ import annotations


def french(text: str) -> str:
    """``text`` with French typography (placeholder: unchanged)."""
    return text


def french_html(markup: str) -> str:
    """The text nodes of ``markup`` with :func:`french` (placeholder: unchanged)."""
    return markup
