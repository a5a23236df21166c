"""French typography for display text (pages and embeds; never feeds or machine fields).

:func:`french` takes plain text, :func:`french_html` sanitised HTML (its text nodes only). The
rules (the Imprimerie nationale's usage):

- a narrow no-break space (U+202F) before ``;`` ``!`` ``?`` and inside ``« »``; a no-break
  space (U+00A0) before ``:``; an existing space there becomes that one (never doubled), and
  none is added where the sign does not end a word: ``10:30``, ``2:1``, ``a:b``, ``?feed=``,
  ``http://``, nor between two signs (``Wait?!`` gives ``Wait ?!``);
- straight double quotes in pairs become ``« … »`` (only when every straight quote of the
  text pairs up: a lone ``"`` leaves them all as they are);
- an apostrophe between two letters becomes ``’`` (``l’Artois``, ``aujourd’hui``);
- three dots become ``…``;
- day 1 before a month's name becomes ``1er`` (``1er mars``);
- URLs, e-mail addresses and emoticons (``:)`` ``;-)``) are left alone.

Letters are never changed (only ``er`` is added after a 1), and the functions are idempotent:
``french(french(x)) == french(x)``.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def french_date(d: date) -> str:
    """``1er mars 2025``, ``11 mars 2025``: a date as French writes it (pages, embeds, the stats report)."""
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"
from collections.abc import Callable, Iterator
from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

NNBSP = "\u202f"  # narrow no-break space: before ; ! ? and inside « »
NBSP = "\u00a0"  # no-break space: before :
_H = "[ \u00a0\u202f]"  # a horizontal space a rule may replace
_NEUTRAL = "\ufffc"  # stands for a protected span (URL, code) beside a piece of text: neither space, letter nor sign

_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
_ELLIPSIS = re.compile(r"(?<!\.)\.\.\.(?!\.)")
_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")
_ORDINAL = re.compile(rf"(?<![\w.,])1(?={_H}(?:{_MONTHS})\b)", re.IGNORECASE)
_OPEN_GUILLEMET = re.compile(rf"«{_H}*(?=\S)")
_CLOSE_GUILLEMET = re.compile(rf"(?<=\S){_H}*»")
# a sign ending a word (after anything but a space, another sign or an opening bracket; before
# a space, the end, or closing punctuation), with the spaces already before it
_FOLLOW = r"(?=[\s»)\]}\"'’….,;:!?]|$)"
_BEFORE = r"(?<=[^\s;:!?(\[{])"
_HIGH = re.compile(rf"{_BEFORE}{_H}*([;!?]){_FOLLOW}")
_COLON = re.compile(rf"{_BEFORE}{_H}*(:){_FOLLOW}")
_QUOTE = re.compile('"')
_SPACES = frozenset(" \u00a0\u202f")
_QUOTE_OPENS = frozenset(" \t\n\r\f\v\u00a0\u202f([{")  # before an opening quote (or the start)
# left alone: URLs, e-mail addresses, emoticons
_PROTECTED = re.compile(
    r"(?:https?|ftp)://[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]']"
    r"|(?:https?|ftp)://"
    r"|mailto:[^\s<>\"«»]+"
    r"|www\.[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]']"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w:;])[:;]-?[()DPp](?!\w)"
)
_TRIGGER = re.compile(r"[\"'.;:!?«»1]")  # text without these has nothing to change


def _quote_role(buf: str, i: int) -> str:
    """``open``, ``close`` or ``other`` for the straight quote at ``buf[i]``, from its neighbours."""
    before = buf[i - 1] if i else ""
    after = buf[i + 1] if i + 1 < len(buf) else ""
    j, k = i - 1, i + 1
    while j >= 0 and buf[j] in _SPACES:
        j -= 1
    while k < len(buf) and buf[k] in _SPACES:
        k += 1
    if (j >= 0 and buf[j] in "«»") or (k < len(buf) and buf[k] in "«»"):
        return "other"  # beside a guillemet (a space between or not): a quote in a quote, left alone
    if (not before or before in _QUOTE_OPENS) and after and not after.isspace() and after != '"':
        return "open"
    if before and not before.isspace() and before not in '([{"' and (not after or after.isspace()
                                                                     or after in ")]}.,;:!?…'’-"):
        return "close"
    return "other"


def _sub(pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str], buf: str, lo: int,
         tail: int) -> str:
    """``buf`` with ``pattern``'s matches that lie wholly between ``lo`` and ``len(buf) - tail``
    replaced (the context on either side is only looked at)."""
    hi = len(buf) - tail

    def one(m: re.Match[str]) -> str:
        if m.start() < lo or m.end() > hi:
            return m.group(0)
        return repl(m) if callable(repl) else m.expand(repl)

    return pattern.sub(one, buf)


def _piece(text: str, before: str, after: str, quotes: bool) -> str:
    """``text`` with the rules applied, ``before`` and ``after`` being what surrounds it (only looked at)."""
    buf, lo, tail = before + text + after, len(before), len(after)
    buf = _sub(_ELLIPSIS, "…", buf, lo, tail)
    buf = _sub(_APOSTROPHE, "’", buf, lo, tail)
    buf = _sub(_ORDINAL, "1er", buf, lo, tail)
    if quotes and '"' in text:
        hi = len(buf) - tail
        buf = "".join(("«" if _quote_role(buf, i) == "open" else "»") if c == '"' and lo <= i < hi else c
                      for i, c in enumerate(buf))
    buf = _sub(_OPEN_GUILLEMET, "«" + NNBSP, buf, lo, tail)
    buf = _sub(_CLOSE_GUILLEMET, NNBSP + "»", buf, lo, tail)
    buf = _sub(_HIGH, lambda m: NNBSP + m.group(1), buf, lo, tail)
    buf = _sub(_COLON, lambda m: NBSP + m.group(1), buf, lo, tail)
    return buf[lo:len(buf) - tail]


Segment = tuple[str, bool]  # (text, whether the rules apply to it); a None text is a block boundary


def _split(text: str) -> Iterator[Segment]:
    """``text`` cut into pieces the rules apply to and protected spans (URLs, e-mails, emoticons)."""
    at = 0
    for m in _PROTECTED.finditer(text):
        if m.start() > at:
            yield text[at:m.start()], True
        yield m.group(0), False
        at = m.end()
    if at < len(text):
        yield text[at:], True


def _contexts(segments: list[Segment | None]) -> list[tuple[str, str]]:
    """What each segment sees around it: two characters of its neighbours in the same block,
    a letter for a protected neighbour, nothing at a block's edge."""
    def shown(seg: Segment | None, last: bool) -> str:
        if seg is None:
            return ""
        text, open_ = seg
        if not open_:
            return _NEUTRAL if text else ""
        return text[-2:] if last else text[:2]

    out = []
    for i in range(len(segments)):
        before = shown(segments[i - 1], True) if i else ""
        after = shown(segments[i + 1], False) if i + 1 < len(segments) else ""
        out.append((before, after))
    return out


def _apply(segments: list[Segment | None]) -> list[str | None]:
    """Each segment's text with the rules applied (protected ones as they are). The straight
    quotes become guillemets only if, over all segments, they alternate opening and closing."""
    contexts = _contexts(segments)
    roles = []
    for seg, (before, after) in zip(segments, contexts, strict=True):
        if seg is not None and seg[1] and '"' in seg[0]:
            buf = before + seg[0] + after
            roles += [_quote_role(buf, m.start()) for m in _QUOTE.finditer(buf, len(before), len(buf) - len(after))]
    quotes = bool(roles) and all(r == ("open" if k % 2 == 0 else "close") for k, r in enumerate(roles)) \
        and len(roles) % 2 == 0
    out: list[str | None] = []
    for seg, (before, after) in zip(segments, contexts, strict=True):
        if seg is None:
            out.append(None)
        elif not seg[1] or not _TRIGGER.search(seg[0]):
            out.append(seg[0])
        else:
            out.append(_piece(seg[0], before, after, quotes))
    return out


def french(text: str) -> str:
    """``text`` (plain text) with French typography (see the module). Markup is taken as HTML
    (:func:`french_html`), so a filter chain cannot escape it twice."""
    if isinstance(text, Markup):
        return Markup(french_html(str(text)))
    if not isinstance(text, str) or not _TRIGGER.search(text):
        return text
    return "".join(t or "" for t in _apply(list(_split(text))))


# ---------------------------------------------------------------- HTML: the text nodes only

_SKIP = frozenset({"code", "pre", "script", "style", "textarea", "kbd", "samp", "var"})
_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s", "small",
                     "span", "strong", "sub", "sup", "time", "u", "wbr"})


class _Events(HTMLParser):
    """Where each piece of the source starts, and what it is: text (decoded) or anything else."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts = [0]
        for i, c in enumerate(source):
            if c == "\n":
                self.starts.append(i + 1)
        self.events: list[tuple[int, str, str]] = []  # (offset, kind, text or tag name)
        self.skip = 0

    def _at(self) -> int:
        line, col = self.getpos()
        return self.starts[line - 1] + col

    def handle_data(self, data: str) -> None:
        self.events.append((self._at(), "code" if self.skip else "text", data))

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.events.append((self._at(), "start", tag))
        if tag in _SKIP:
            self.skip += 1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        self.events.append((self._at(), "start", tag))

    def handle_endtag(self, tag: str) -> None:
        self.events.append((self._at(), "end", tag))
        if tag in _SKIP and self.skip:
            self.skip -= 1

    def _other(self) -> None:
        self.events.append((self._at(), "other", ""))

    def handle_comment(self, data: str) -> None:
        self._other()

    def handle_decl(self, decl: str) -> None:
        self._other()

    def handle_pi(self, data: str) -> None:
        self._other()

    def unknown_decl(self, data: str) -> None:
        self._other()


def french_html(markup: str) -> str:
    """The text nodes of ``markup`` with :func:`french`; tags, attributes, comments and the
    content of ``code``, ``pre``, ``script``, ``style`` (and ``kbd``, ``samp``, ``var``,
    ``textarea``) as they are. A text node the rules leave alone keeps its source bytes (its
    entities too); a changed one is written escaped (``& < >``)."""
    markup = str(markup)
    if not _TRIGGER.search(markup):
        return markup
    parser = _Events(markup)
    parser.feed(markup)
    parser.close()
    events = parser.events
    bounds = [e[0] for e in events] + [len(markup)]
    segments: list[Segment | None] = []
    owner: list[tuple[int, int]] = []  # segment -> (event index, piece index), -1 for none
    for k, (_, kind, text) in enumerate(events):
        if kind == "text":
            for j, seg in enumerate(_split(text)):
                segments.append(seg)
                owner.append((k, j))
        elif kind == "code":
            segments.append((text, False))
            owner.append((-1, 0))
        elif kind in ("start", "end") and text not in _INLINE:
            segments.append(None)
            owner.append((-1, 0))
    done = _apply(segments)
    new_text: dict[int, list[str]] = {}
    for (k, _), piece, result in zip(owner, segments, done, strict=True):
        if k >= 0 and piece is not None and result is not None:
            new_text.setdefault(k, []).append(result)
    out = []
    for k, (start, kind, text) in enumerate(events):
        raw = markup[start:bounds[k + 1]]
        if kind == "text":
            changed = "".join(new_text.get(k, []))
            out.append(raw if changed == text else escape(changed, quote=False))
        else:
            out.append(raw)
    return markup[:bounds[0]] + "".join(out)
