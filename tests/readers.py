"""What feed readers show of a text field: feedparser's value as a browser renders it, podcastparser's as text."""

from __future__ import annotations

import re
from typing import Any

import lxml.html

# what an HTML parser would take for a tag, an end tag, a comment or a declaration
LIVE = re.compile(r"<[A-Za-z/!?]")


def shown(detail: Any) -> str:
    """The text a reader using feedparser displays for ``entry.title_detail``, ``summary_detail``...:
    the value itself when feedparser calls it text/plain, else the HTML rendered, which must hold
    no element (a live tag)."""
    if detail.type == "text/plain":
        return str(detail.value)
    frag = lxml.html.fragment_fromstring(detail.value, create_parent="div")
    assert [el.tag for el in frag.iter() if el is not frag] == [], detail.value
    return str(frag.text_content())


def plain(value: str | None) -> str:
    """A podcastparser text field (title, description): shown as text, it must hold no markup."""
    assert value is not None and not LIVE.search(value), value
    return value
