"""JavaScript regular expressions in Python: the OPAWG lists' patterns are written for
JavaScript (``new RegExp(pattern).test(ua)``); :func:`js_to_python` rewrites one so that Python's
``re`` matches exactly what JavaScript matches (``\\d``, ``\\w``, ``\\s``, ``.``, ``$`` and
UTF-16 differ otherwise) and refuses what it cannot translate exactly (:class:`PatternError`);
:func:`needed` finds the literals every match contains (the lists' lookup index is built on them).
Pure: no I/O."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any


class PatternError(ValueError):
    """A pattern Python cannot be made to match the way JavaScript does."""


_JS_SPACE = "\\t\\n\\v\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"  # JS \s
_JS_DOT = "[^\\n\\r\\u2028\\u2029]"  # JS . (no s flag): any UTF-16 code unit but a line terminator
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


def utf16(text: str) -> str:
    """``text`` as JavaScript sees it: one character per UTF-16 code unit (astral characters
    become their surrogate pair), so that ``.`` and classes count what JavaScript counts."""
    if text.isascii() or max(text) <= "\uffff":
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(units[i] | units[i + 1] << 8) for i in range(0, len(units), 2))


def js_to_python(pattern: str) -> str:
    """A Python ``re`` pattern (to compile with ``re.ASCII``) matching exactly the strings the
    JavaScript ``new RegExp(pattern)`` (no flags) matches, given :func:`utf16` strings.

    Rewritten: ``.`` (JavaScript excludes ``\\r``, U+2028, U+2029), ``$`` (end of input only:
    ``\\Z``), ``\\s``/``\\S`` (JavaScript's whitespace set), ``{`` that is not a quantifier (a
    literal in JavaScript), ``[`` ``&`` ``~`` ``|`` inside a class (literals, escaped so Python
    does not read a nested set). ``\\d``, ``\\w``, ``\\b`` and their negations are ASCII under
    ``re.ASCII``, as in JavaScript. Refused (:class:`PatternError`): lookbehinds and named groups
    (``(?<``), other ``(?`` groups but ``(?:``, ``(?=``, ``(?!``; back references and octal
    escapes; ``\\c``; escaped letters JavaScript reads as the letter itself (``\\A``, ``\\Z``,
    ``\\z``, ``\\p``...) or Python reads differently; ``\\S`` and ``\\B`` inside a class; ``[]``
    and ``[^]``; a quantifier followed by ``+`` (a syntax error in JavaScript, possessive in Python).
    """
    p = utf16(pattern)
    out: list[str] = []
    i, n = 0, len(p)
    in_class = False

    def fail(why: str) -> PatternError:
        return PatternError(f"{why} at offset {i} of {pattern!r}")

    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                raise fail("trailing backslash")
            e = p[i + 1]
            i += 2
            if e in "dDwW":
                out.append("\\" + e)
            elif e == "b":
                out.append("\\x08" if in_class else "\\b")
            elif e == "B":
                if in_class:
                    raise fail("\\B inside a class")
                out.append("\\B")
            elif e == "s":
                out.append(_JS_SPACE if in_class else f"[{_JS_SPACE}]")
            elif e == "S":
                if in_class:
                    raise fail("\\S inside a class")
                out.append(f"[^{_JS_SPACE}]")
            elif e in "tnrvf":
                out.append("\\" + e)
            elif e == "0":
                if i < n and p[i].isdigit():
                    raise fail("octal escape")
                out.append("\\x00")
            elif e in "123456789":
                raise fail("back reference or octal escape")
            elif e == "x":
                if not _HEX2.match(p, i):
                    raise fail("\\x without two hex digits")
                out.append("\\x" + p[i:i + 2])
                i += 2
            elif e == "u":
                if not _HEX4.match(p, i):
                    raise fail("\\u without four hex digits")
                out.append("\\u" + p[i:i + 4])
                i += 4
            elif e.isascii() and e.isalnum():
                raise fail(f"\\{e} (JavaScript reads it as {e!r}, other engines differently)")
            else:
                out.append(re.escape(e))
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append("]")
            elif c in "[&~|":
                out.append("\\" + c)
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            j = i + 1
            negated = p.startswith("^", j)
            if negated:
                j += 1
            if p.startswith("]", j):
                raise fail("[] or [^] (an empty class or any character in JavaScript)")
            out.append("[^" if negated else "[")
            in_class = True
            i = j
            continue
        if c == ".":
            out.append(_JS_DOT)
        elif c == "$":
            out.append("\\Z")
        elif c == "(":
            if p.startswith("(?", i):
                head = p[i:i + 3]
                if head not in ("(?:", "(?=", "(?!"):
                    raise fail(f"{head!r} group")
                out.append(head)
                i += 3
                continue
            out.append("(")
        elif c == "{":
            m = _QUANTIFIER.match(p, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                if p.startswith("?", i):
                    out.append("?")
                    i += 1
                elif p.startswith("+", i):
                    raise fail("quantifier followed by +")
                continue
            out.append("\\{")
        elif c == "}":
            out.append("\\}")
        elif c in "*+?":
            out.append(c)
            if p.startswith("?", i + 1):
                out.append("?")
                i += 1
            elif p.startswith("+", i + 1):
                raise fail("quantifier followed by +")
        else:
            out.append(c)
        i += 1
    if in_class:
        raise PatternError(f"unterminated class in {pattern!r}")
    return "".join(out)


def compile_js(pattern: str) -> re.Pattern[str]:
    """The compiled Python equivalent of a JavaScript pattern (:func:`js_to_python`)."""
    try:
        return re.compile(js_to_python(pattern), re.ASCII)
    except re.error as exc:
        raise PatternError(f"{pattern!r}: {exc}") from exc


def needed(python_pattern: str) -> tuple[str, ...] | None:
    """Literals one of which every match of ``python_pattern`` (a :func:`js_to_python` result)
    contains, or None when none can be told (the pattern is then always searched).

    From the parse tree: a run of literal characters (groups are transparent, zero-width
    assertions do not break a run), an alternation (the run before it joined to each
    alternative's literal prefix, or the union of what each alternative needs), a repeat of
    at least one. Of the candidates, the one whose shortest literal is longest."""
    try:  # CPython's own parser of regular expressions (re._parser, re._constants since 3.11)
        parser, sre = importlib.import_module("re._parser"), importlib.import_module("re._constants")
        return _needed(list(parser.parse(python_pattern, re.ASCII)), sre)
    except Exception:  # noqa: BLE001 - the gate is an optimisation: without it, always search
        return None


def _needed(items: list[Any], sre: Any) -> tuple[str, ...] | None:
    best: tuple[str, ...] | None = None

    def consider(candidate: Iterable[str] | None) -> None:
        nonlocal best
        if candidate is None:
            return
        found = tuple(sorted(set(candidate)))
        if not found or "" in found:
            return
        if best is None or (min(map(len, found)), -len(found)) > (min(map(len, best)), -len(best)):
            best = found

    flat: list[Any] = []

    def flatten(seq: Iterable[Any]) -> None:
        for op, av in seq:
            if op is sre.SUBPATTERN and not av[1] and not av[2]:  # a group: matches as its content
                flatten(av[3])
            else:
                flat.append((op, av))

    flatten(items)
    run: list[str] = []
    for op, av in flat:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # zero-width: the run goes on
            continue
        if op is sre.BRANCH:
            alternatives = av[1]
            prefixes = []
            for alternative in alternatives:
                prefix: list[str] = []
                for sub_op, sub_av in alternative:
                    if sub_op is sre.LITERAL:
                        prefix.append(chr(sub_av))
                    elif sub_op is not sre.AT:
                        break
                prefixes.append("".join(run) + "".join(prefix))
            consider(prefixes)
            each = [_needed(list(alternative), sre) for alternative in alternatives]
            if all(x is not None for x in each):
                consider([literal for x in each for literal in x or ()])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            consider(_needed(list(av[2]), sre))
        consider(["".join(run)])
        run = []
    consider(["".join(run)])
    return best
