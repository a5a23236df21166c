"""Optimisation: every feed of a build at once, each item serialised once for all feeds.

Gives exactly the bytes of :func:`artoiscast.feeds.render_feed` per feed (tests/test_feeds.py
compares them on the real catalog and on random ones); it exists only so that a build of
thousands of episodes stays within its time budget (scripts/bench/feeds.py). Read ``feeds.py``
first: this module adds no feed content of its own.

How: an item differs between feeds only in the enclosure's ``?feed=`` and, for an episode
without its own image, the ``itunes:image`` href. So every item is built once with two markers
(private-use characters, which lxml writes as themselves) in those places, all items in one
tree and one ``tostring`` (half of them in a forked child when there are many:
:func:`artoiscast.parallel.in_two`), the bytes cut at each item's start tag and at the markers,
and each feed is its channel's bytes with the pieces spliced in before ``</channel>``, the
markers replaced by that feed's values. An episode whose own text holds a marker or an item
start tag cannot be cut safely: it is rendered alone for each feed instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from lxml import etree

from artoiscast.catalog import Catalog
from artoiscast.feeds import (
    NSMAP,
    ItemContext,
    add_item,
    channel_tree,
    feed_image,
    item_context,
    to_bytes,
)
from artoiscast.parallel import in_two
from artoiscast.built import BuiltEpisode

_FEED_SLOT = "\ue000feed\ue001"
_IMAGE_SLOT = "\ue000image\ue001"
_FEED_SLOT_B, _IMAGE_SLOT_B = _FEED_SLOT.encode(), _IMAGE_SLOT.encode()
_SLOTS = re.compile(b"(" + re.escape(_FEED_SLOT_B) + b"|" + re.escape(_IMAGE_SLOT_B) + b")")
_OPEN = b"<channel>\n"
_CLOSE = b"  </channel>\n</rss>\n"
_ITEM_START = b"    <item>\n"
PARALLEL_ITEMS = 2000  # distinct items below which a second process costs more than it saves

Pieces = list[bytes]  # [text, slot, text, slot, text...]: an item's bytes split around its markers


def render_feeds_fast(
    catalog: Catalog,
    items: Mapping[str, Sequence[BuiltEpisode]],
    *,
    base_url: str,
    art: dict[str, str],
    built: datetime | None,
) -> dict[str, bytes]:
    """Every feed named in ``items`` (feed name -> its episodes, newest first) as UTF-8 RSS bytes:
    for each, the bytes of ``render_feed(catalog, catalog.feeds[name], items[name], ...)``.
    Changes none of its inputs."""
    ctx = item_context(catalog, base_url)
    distinct = list({id(pe): pe for name in items for pe in items[name]}.values())
    serialise = functools.partial(_serialise_items, ctx=ctx)
    serialised = in_two(serialise, distinct, at_least=PARALLEL_ITEMS)  # one per episode, in order
    pieces = {id(pe): p for pe, p in zip(distinct, serialised, strict=True)}
    out = {}
    for name, episodes in items.items():
        feed = catalog.feeds[name]
        head = to_bytes(channel_tree(catalog, feed, episodes, base_url=base_url, art=art, built=built))
        if not episodes:
            out[name] = head
            continue
        if not head.endswith(_CLOSE):
            raise AssertionError("unexpected serialisation of the channel")
        image = feed_image(feed, base_url=base_url, art=art)
        slots = {_FEED_SLOT_B: _attr_bytes(name), _IMAGE_SLOT_B: _attr_bytes(image)}
        parts = [head[: -len(_CLOSE)]]
        for pe in episodes:
            mine = pieces[id(pe)]
            if mine is None:  # the episode's own text holds a marker or an item start tag
                parts.append(_item_bytes(pe, ctx, feed_name=name, feed_image=image))
                continue
            parts.append(mine[0])
            for slot, piece in zip(mine[1::2], mine[2::2], strict=True):
                parts += (slots[slot], piece)
        parts.append(_CLOSE)
        out[name] = b"".join(parts)
    return out


def _attr_bytes(value: str) -> bytes:
    """``value`` escaped as lxml writes it in an attribute (UTF-8)."""
    data = etree.tostring(etree.Element("x", v=value), encoding="UTF-8", xml_declaration=False)
    return data[len(b'<x v="') : -len(b'"/>')]


def _channel() -> tuple[etree._Element, etree._Element]:
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    return rss, etree.SubElement(rss, "channel")


def _inside_channel(data: bytes) -> bytes | None:
    """What a serialised ``<rss><channel>`` holds after its opening tag, or None if it is not as expected."""
    if not data.endswith(_CLOSE) or _OPEN not in data:
        return None
    return data[data.index(_OPEN) + len(_OPEN) : -len(_CLOSE)]


def _item_bytes(pe: BuiltEpisode, ctx: ItemContext, *, feed_name: str, feed_image: str) -> bytes:
    """One ``<item>`` as it is serialised inside ``rss/channel`` (indentation included)."""
    rss, ch = _channel()
    add_item(ch, pe, ctx, feed_name=feed_name, feed_image=feed_image)
    inside = _inside_channel(etree.tostring(rss, encoding="UTF-8", xml_declaration=False, pretty_print=True))
    if inside is None:
        raise AssertionError("unexpected serialisation of an item")
    return inside


def _serialise_items(todo: Sequence[BuiltEpisode], *, ctx: ItemContext) -> list[Pieces | None]:
    """The marker-split bytes of each item: one tree and one ``tostring`` for all, cut at each
    item's start tag. That tag can occur elsewhere only in a CDATA section (show notes): then the
    count differs, and each item is serialised alone; one whose markers are not where expected
    (its text holds one) gets None."""
    rss, ch = _channel()
    for pe in todo:
        add_item(ch, pe, ctx, feed_name=_FEED_SLOT, feed_image=_IMAGE_SLOT)
    inside = _inside_channel(etree.tostring(rss, encoding="UTF-8", xml_declaration=False, pretty_print=True))
    chunks = inside.split(_ITEM_START) if inside is not None else []
    if len(chunks) != len(todo) + 1 or chunks[0]:
        return [_split(pe, _item_bytes(pe, ctx, feed_name=_FEED_SLOT, feed_image=_IMAGE_SLOT)) for pe in todo]
    return [_split(pe, _ITEM_START + chunk) for pe, chunk in zip(todo, chunks[1:], strict=True)]


def _split(pe: BuiltEpisode, data: bytes) -> Pieces | None:
    pieces = _SLOTS.split(data)
    expected = [_FEED_SLOT_B] if pe.image else [_FEED_SLOT_B, _IMAGE_SLOT_B]
    return pieces if pieces[1::2] == expected else None
