"""Safe YAML reading: the C safe loader, no tags, bounded aliases, dates kept as text.

Dates stay strings so that the schema (not the YAML parser) judges them and can say
which field is wrong: ``date: "2025-02-31" is not a date (use YYYY-MM-DD)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from artoiscast.errors import CatalogError

try:  # the C loader is much faster; fall back for platforms without libyaml
    _BaseLoader: type = yaml.CSafeLoader
    _Parser: Any = yaml.CParser  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _BaseLoader = yaml.SafeLoader
    _Parser = None

MAX_ALIASES = 64
MAX_BYTES = 1 << 20


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that leaves timestamps as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return "YAML"


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
        aliases = sum(1 for ev in yaml.parse(text, Loader=_Loader) if isinstance(ev, yaml.AliasEvent))
        if aliases > MAX_ALIASES:
            raise CatalogError(f"{aliases} YAML aliases (at most {MAX_ALIASES}); write the values out", path=shown)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from the safe loader
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError(f"{problem} (fix the YAML syntax)", path=shown, field=_where(exc)) from exc
