"""Safe YAML reading: the C safe loader, no tags, bounded aliases, dates kept as text.

Dates stay strings so that the schema (not the YAML parser) judges them and can say
which field is wrong: ``date: "2025-02-31" is not a date (use YYYY-MM-DD)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from artoiscast.errors import CatalogError

# The C loader is ~10x faster (10,000 episode files: seconds, not a minute); fall back
# to the pure-Python one for platforms without libyaml.
_BaseLoader: type = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

MAX_ALIASES = 64
MAX_BYTES = 1 << 20


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that leaves timestamps as strings."""


class _PyLoader(yaml.SafeLoader):
    """The same, pure Python: only to word a syntax error."""


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


class _Unusual(Exception):
    """A document the direct construction leaves to PyYAML's (merge keys, complex keys...)."""


def _construct(loader: Any, node: yaml.Node) -> Any:
    tag = node.tag
    if tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        data = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_KEYS:
                raise _Unusual
            data[_construct(loader, key_node)] = _construct(loader, value_node)
        return data
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        return [_construct(loader, child) for child in node.value]
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=True)  # int, bool, null, float...: PyYAML's own
    raise _Unusual


_PLAIN_KEYS = {_STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
               "tag:yaml.org,2002:float"}


def _load_tree(text: str) -> Any:
    """``yaml.load`` for a document without aliases: the C parser composes the nodes, and maps,
    lists and strings are built directly (PyYAML's constructor defers each mapping through a
    generator: most of the time of loading 10,000 episode files). Anything unusual (merge keys,
    complex or tagged keys, explicit tags) and every error take PyYAML's own path, so the result
    and the messages are the same."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _construct(loader, node)
        except (_Unusual, yaml.YAMLError):
            pass
    finally:
        loader.dispose()
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from the safe loader


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Read one YAML document from ``path``.

    Returns the parsed data. Raises CatalogError (naming the file and line) on
    unreadable files, syntax errors, too many aliases or an oversized file.
    """
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read file ({exc.strerror})", path=shown) from exc
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
        if aliases:
            return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from the safe loader
        return _load_tree(text)
    except yaml.YAMLError as exc:
        if _BaseLoader is not yaml.SafeLoader:  # the pure-Python parser words syntax errors more clearly
            try:
                yaml.load(text, Loader=_PyLoader)  # noqa: S506 - a safe loader
            except yaml.YAMLError as py_exc:
                exc = py_exc
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError(f"{problem} (fix the YAML syntax)", path=shown, field=_where(exc)) from exc
