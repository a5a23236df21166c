"""Safe YAML reading: the C safe loader, no tags, bounded aliases and depth, no key twice,
dates kept as text.

Dates stay strings so that the schema (not the YAML parser) judges them and can say
which field is wrong: ``date: "2025-02-31" is not a date (use YYYY-MM-DD)``. Every YAML file
of the catalog (``podcast.yaml``, ``feeds/*.yaml``, ``episode.yaml``, ``chapters.yaml``) is
read here, so each rule holds for all of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from artoiscast.errors import CatalogError, read_reason

# The C loader (libyaml) where there is one: many times faster than the pure-Python one
# (scripts/bench/feeds.py loads 10,000 episode files).
_BaseLoader: type[Any] = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

MAX_ALIASES = 64
MAX_BYTES = 1 << 20
MAX_DEPTH = 64  # mappings and lists inside each other; the catalog's own files go 3 deep


class _Loader(_BaseLoader):
    """Safe loader that leaves timestamps as strings."""


class _PyLoader(yaml.SafeLoader):
    """The same, pure Python: only to word a syntax error (its parser, never its recursive composer)."""


_PyLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return "YAML"


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_KEYS = {_STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
               "tag:yaml.org,2002:float"}
_DEEP = f"nested deeper than {MAX_DEPTH} levels (write the data flatter)"


class _Refused(Exception):
    """A well-formed document the catalog refuses: nested too deep, or a key given twice.

    ``path`` (keys and list indexes from the top) is filled in on the way out of the recursion.
    """

    def __init__(self, reason: str, mark: Any, path: list[Any] | None = None):
        super().__init__(reason)
        self.reason, self.mark, self.path = reason, mark, path or []


def _twice(key: Any, key_node: yaml.Node, path: list[Any]) -> _Refused:
    shown = f'"{key}"' if isinstance(key, str) else repr(key)
    return _Refused(f"key {shown} is given twice (line {key_node.start_mark.line + 1}; keep one)", None, path + [key])


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[Any, yaml.Node]] = []
        for key_node, value_node in node.value:
            label = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            out += [(label, key_node), (label, value_node)]
        return out
    return []


def _check_tree(loader: Any, top: yaml.Node) -> None:
    """The catalog's limits on the composed nodes, before PyYAML's constructor builds them:
    depth and keys given twice, without recursion (aliases, merge keys and tags included). A node
    an alias shares is walked once, and its depth counts wherever it is used. Raises _Refused."""
    depth: dict[int, int] = {}  # id(node) -> levels of collections from it down
    open_ids: set[int] = set()  # on the current path: an alias back up (a recursive list) adds nothing
    stack: list[tuple[yaml.Node, list[Any], Any]] = []

    def enter(node: yaml.Node, path: list[Any]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise _Refused(_DEEP, node.start_mark, path)
        if isinstance(node, yaml.MappingNode):
            _no_key_twice(loader, node, path)
        open_ids.add(id(node))
        stack.append((node, path, iter(_children(node))))

    enter(top, [])
    while stack:
        node, path, todo = stack[-1]
        child = next(todo, None)
        if child is None:
            stack.pop()
            open_ids.discard(id(node))
            kids = [depth.get(id(c), 0) for _, c in _children(node) if id(c) not in open_ids]
            depth[id(node)] = 1 + max(kids, default=0)
            if len(stack) + depth[id(node)] > MAX_DEPTH:
                raise _Refused(_DEEP, node.start_mark, path)
            continue
        label, sub = child
        if isinstance(sub, yaml.CollectionNode) and id(sub) not in depth and id(sub) not in open_ids:
            enter(sub, path + [label])


def _no_key_twice(loader: Any, node: yaml.MappingNode, path: list[Any]) -> None:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue  # a complex key (PyYAML refuses it) or a merge key (its keys may be overridden)
        key = key_node.value if key_node.tag == _STR else loader.construct_object(key_node, deep=True)
        if (type(key), key) in seen:
            raise _twice(key, key_node, path)
        seen.add((type(key), key))


def parse(text: str) -> Any:
    """One YAML document as PyYAML's safe loader builds it (``yaml.load(text, CSafeLoader)``,
    timestamps left as text), after checking the composed nodes for the catalog's limits
    (:func:`_check_tree`). Raises yaml.YAMLError or _Refused."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(loader, node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _too_deep(text: str) -> Any:
    """The mark where ``text`` first nests deeper than MAX_DEPTH, or None. Reads the pure-Python
    parser's events: no recursion, and it stops there (libyaml's scanner reads ahead and stops
    at its own limit of 1000 levels with a syntax error)."""
    level = 0
    try:
        for ev in yaml.parse(text, Loader=_PyLoader):
            if isinstance(ev, yaml.CollectionStartEvent):
                level += 1
                if level > MAX_DEPTH:
                    return ev.start_mark
            elif isinstance(ev, yaml.CollectionEndEvent):
                level -= 1
    except yaml.YAMLError:
        return None
    return None


def _field(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


# What XML 1.0 cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF). YAML's
# reader refuses them written as themselves, but an escape such as "\x01" puts one in a string,
# and every feed would then fail to be written.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _unwritable(data: Any, path: list[Any]) -> tuple[list[Any], str] | None:
    """(where, the character) of the first string, key or value, that XML cannot hold."""
    if isinstance(data, str):
        m = _NOT_XML.search(data)
        return (path, m.group()) if m else None
    if isinstance(data, dict):
        for key, value in data.items():
            found = _unwritable(key, path) or _unwritable(value, [*path, key])
            if found:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found = _unwritable(value, [*path, i])
            if found:
                return found
    return None


def load_yaml(path: Path, shown: str | None = None) -> Any:
    """Read one YAML document from ``path``.

    Returns the parsed data. Raises CatalogError (naming the file and line) on unreadable
    files, syntax errors, too many aliases, nesting deeper than MAX_DEPTH, a key given twice
    in a mapping, or an oversized file.
    """
    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(read_reason(exc), path=shown) from exc
    if len(raw) > MAX_BYTES:
        raise CatalogError(f"file is larger than {MAX_BYTES} bytes", path=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", path=shown) from exc
    try:
        # an alias is written "*name": a file without "*" has none, and is parsed once, not twice
        aliases = sum(1 for ev in yaml.parse(text, Loader=_Loader) if isinstance(ev, yaml.AliasEvent)) if "*" in text else 0
        if aliases > MAX_ALIASES:
            raise CatalogError(f"{aliases} YAML aliases (at most {MAX_ALIASES}); write the values out", path=shown)
        data = parse(text) if aliases else parse_fast(text)
    except _Refused as exc:
        field = _field(exc.path) if exc.mark is None else _at(exc.mark)
        raise CatalogError(exc.reason, path=shown, field=field or None) from None
    except (yaml.YAMLError, RecursionError) as exc:  # RecursionError: the pure-Python composer, without libyaml
        mark = _too_deep(text)
        if mark is not None:
            raise CatalogError(_DEEP, path=shown, field=_at(mark)) from None
        if isinstance(exc, RecursionError):
            raise
        if _BaseLoader is not yaml.SafeLoader and isinstance(exc, (yaml.scanner.ScannerError, yaml.parser.ParserError)):
            try:  # the pure-Python parser words syntax errors more clearly (its events only: no recursion)
                for _ in yaml.parse(text, Loader=_PyLoader):
                    pass
            except yaml.YAMLError as py_exc:
                exc = py_exc
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError(f"{problem} (fix the YAML syntax)", path=shown, field=_where(exc)) from exc
    # the reader refuses such a character written as itself: only an escape ("\x01") makes one
    bad = _unwritable(data, []) if "\\" in text else None
    if bad is not None:
        raise CatalogError(f"holds the control character U+{ord(bad[1]):04X}, which no feed can carry (remove it)",
                           path=shown, field=_field(bad[0]) or None)
    return data


# ---------------------------------------------------------------- optimisation: direct construction


def parse_fast(text: str) -> Any:
    """:func:`parse`'s result, faster: the C parser composes the nodes and maps, lists and strings
    are built here directly (PyYAML's constructor defers each mapping through a generator, most
    of the time of loading thousands of episode files). Anything unusual (aliases, merge keys,
    complex or tagged keys, explicit tags) is left to :func:`parse`'s way, so the result and the
    messages are PyYAML's (tests/test_catalog.py compares both on the real catalog and on random
    documents). Raises yaml.YAMLError or _Refused."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _construct(loader, node, set())
        except _Unusual:
            pass
        _check_tree(loader, node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A document the direct construction leaves to PyYAML's (merge keys, complex keys...)."""


def _construct(loader: Any, node: yaml.Node, seen: set[int], depth: int = 1) -> Any:
    tag = node.tag
    if tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.CollectionNode):
        if id(node) in seen:  # a collection reached twice: an alias, left to PyYAML
            raise _Unusual
        seen.add(id(node))
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        if depth > MAX_DEPTH:
            raise _Refused(_DEEP, node.start_mark)
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_KEYS:
                raise _Unusual
            key = _construct(loader, key_node, seen)
            if key in data and (isinstance(key, str) or any(k == key and type(k) is type(key) for k in data)):
                raise _twice(key, key_node, [])  # (1 and true are one Python key, but not one key given twice)
            try:
                data[key] = _construct(loader, value_node, seen, depth + 1)
            except _Refused as exc:
                exc.path.insert(0, key)
                raise
        return data
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        if depth > MAX_DEPTH:
            raise _Refused(_DEEP, node.start_mark)
        out = []
        for i, child in enumerate(node.value):
            try:
                out.append(_construct(loader, child, seen, depth + 1))
            except _Refused as exc:
                exc.path.insert(0, i)
                raise
        return out
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=True)  # int, bool, null, float...: PyYAML's own
    raise _Unusual
