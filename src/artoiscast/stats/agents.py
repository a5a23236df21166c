"""Who a request comes from: the OPAWG user-agents-v2 lists (bots, apps, libraries, browsers,
devices, referrers), vendored in ``data/user-agents-v2/`` with their MIT licence and the upstream
commit (``UPSTREAM``; ``scripts/update-user-agents`` refreshes them).

:func:`classify` runs upstream's deterministic algorithm (README of opawg/user-agents-v2): newlines
removed, then the first entry of ``bots``, ``apps``, ``libraries``, ``browsers`` (in that order)
whose pattern matches names the agent; ``devices`` only when it is not a bot; ``referrers`` (on the
Referer) only for a browser. :func:`excluded` says why a request is not a listener, with OP3's rules.

The patterns are JavaScript regular expressions (translated by :mod:`artoiscast.stats.patterns`) (``new RegExp(pattern).test(ua)`` in upstream's
test). Python's ``re`` reads most of them alike but not all the same way: ``\\d`` and ``\\w`` are
Unicode there (ASCII in JavaScript), ``\\s`` is another set, ``.`` also matches ``\\r``, U+2028 and
U+2029, ``$`` also matches before a final newline, and JavaScript strings are UTF-16 (``.`` is one
code unit). :func:`js_to_python` rewrites a pattern so that Python matches exactly what JavaScript
matches, and refuses the constructs it cannot translate exactly (:class:`PatternError`).

Nothing is read or compiled at import (except the few lines of ``UPSTREAM``): the lists load on
the first :func:`classify`, from ``index.json`` when it was made from these very files (the
Python patterns, gates and index of :func:`load`, written by :func:`write_index`), and each
pattern is compiled the first time it is tried: a daily run with a few new agents compiles a
few patterns, not a thousand. Otherwise :func:`load` reads, translates and compiles them all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from artoiscast.stats.patterns import PatternError, compile_js, needed, utf16

DATA_DIR = Path(__file__).resolve().parent / "data" / "user-agents-v2"
UPSTREAM_FILE = "UPSTREAM"
INDEX_FILE = "index.json"  # derived from the six files by write_index: the tables ready to use
UPSTREAM_REPOSITORY = "https://github.com/opawg/user-agents-v2"
ENTITY_FILES = ("bots", "apps", "libraries", "browsers")  # upstream's order: the first match wins
FILES = (*ENTITY_FILES, "devices", "referrers")

Kind = Literal["bot", "app", "library", "browser", "unknown"]
KIND_OF_FILE: dict[str, Kind] = {"bots": "bot", "apps": "app", "libraries": "library", "browsers": "browser"}

# Why a request is not a listener (what :func:`excluded` returns), after OP3's bot rules.
REASONS: dict[str, str] = {
    "no-user-agent": "no User-Agent header (or a blank one)",
    "bot": "a bots.json entry (crawlers, feed checkers, importers; Apple Watch copies of phone downloads)",
    "library-bot": "a libraries.json entry whose category is bot",
    "bot-like": "an unknown User-Agent containing bot, crawler or spider",
    "preloading-web-app": "a web player that downloads the file before anyone presses play "
                          "(Podverse, the Podfriend widget)",
    "preloading-browser": "Opera on a computer with no Referer: its feed reader downloads every enclosure "
                          "of the feeds it follows",
}

# the web widgets OP3 saw pre-loading whole files (worker/backend/bots.ts); widget.justcast.com
# did until 2024-03-19 ("fixed!") and is not listed
PRELOADING_WIDGET_HOSTS = frozenset({"widget.podfriend.com"})
PRELOADING_REFERRERS = frozenset({"Podverse"})  # referrers.json names: every browser play from them pre-loads

_BOT_LIKE = re.compile(r"bot|crawler|spider", re.IGNORECASE | re.ASCII)
_NEWLINES = re.compile(r"[\r\n]")


def read_upstream(path: Path) -> dict[str, str]:
    """The ``key: value`` lines of an ``UPSTREAM`` file (``#`` lines are comments)."""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


DATA_COMMIT: str = read_upstream(DATA_DIR / UPSTREAM_FILE)["commit"]  # the upstream commit of the vendored lists


@dataclass(frozen=True, slots=True)
class Agent:
    """What one (User-Agent, Referer) pair is, in user-agents-v2's terms."""

    kind: Kind  # the file of the first matching entry (bots, apps, libraries, browsers), else unknown
    name: str | None  # that entry's name ("Apple Podcasts", "AntennaPod", "Googlebot"...)
    category: str | None  # that entry's own category (a library's "bot")
    device: str | None  # devices.json name, only when kind != "bot"
    device_category: str | None  # devices.json category: mobile, smart_speaker, computer, watch...
    referrer: str | None = None  # referrers.json name, only for a browser with a Referer
    referrer_category: str | None = None  # "app" or "host"
    preload: str | None = None  # a REASONS key when OP3 saw this kind of player pre-load whole files


def clean(header: str) -> str:
    """A header as upstream matches it: newlines removed, in UTF-16 code units (:func:`utf16`)."""
    if "\n" in header or "\r" in header:
        header = _NEWLINES.sub("", header)
    return utf16(header)


# --- the lists -----------------------------------------------------------------------------------

def bigrams(text: str) -> set[str]:
    """The two-character substrings of ``text`` (what :meth:`Table.first` looks up)."""
    return {text[i:i + 2] for i in range(len(text) - 1)}


class Patterns(Sequence[re.Pattern[str]]):
    """Python patterns (:func:`js_to_python` results), each compiled on first use."""

    __slots__ = ("_compiled", "sources")

    def __init__(self, sources: Iterable[str]) -> None:
        self.sources = tuple(sources)
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self.sources)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, number: int) -> re.Pattern[str]:  # type: ignore[override]
        found = self._compiled[number]
        if found is None:
            found = self._compiled[number] = re.compile(self.sources[number], re.ASCII)
        return found


@dataclass(frozen=True, slots=True)
class Table:
    """One upstream file: its entries' names, categories and compiled patterns, in order; for
    each pattern the literals one of which every match contains (:func:`needed`), and an index
    from one two-character piece of each literal to the entries that need it."""

    file: str
    names: tuple[str, ...]
    categories: tuple[str | None, ...]
    patterns: Sequence[re.Pattern[str]]
    gates: tuple[tuple[str, ...] | None, ...]
    index: Mapping[str, tuple[int, ...]]
    always: frozenset[int]  # entries with no usable literal: always searched

    @classmethod
    def build(cls, file: str, names: tuple[str, ...], categories: tuple[str | None, ...],
              patterns: tuple[re.Pattern[str], ...], frequency: Mapping[str, int]) -> Table:
        """The table with its gates and index; ``frequency`` (bigram -> how many sample
        strings hold it) makes each literal indexed by its rarest piece."""
        gates = tuple(needed(p.pattern) for p in patterns)
        index: dict[str, list[int]] = {}
        always = set()
        for number, gate in enumerate(gates):
            if gate is None or min(map(len, gate)) < 2:
                always.add(number)
                continue
            for literal in gate:
                piece = min((literal[k:k + 2] for k in range(len(literal) - 1)), key=lambda g: (frequency.get(g, 0), g))
                index.setdefault(piece, []).append(number)
        return cls(file, names, categories, patterns, gates,
                   {piece: tuple(sorted(set(numbers))) for piece, numbers in index.items()}, frozenset(always))

    def document(self) -> dict[str, Any]:
        """This table as ``index.json`` holds it (:meth:`from_document` reads it back)."""
        return {"names": list(self.names), "categories": list(self.categories),
                "patterns": [self.patterns[n].pattern for n in range(len(self.patterns))],
                "gates": [None if g is None else list(g) for g in self.gates],
                "index": {piece: list(numbers) for piece, numbers in sorted(self.index.items())},
                "always": sorted(self.always)}

    @classmethod
    def from_document(cls, file: str, doc: Mapping[str, Any]) -> Table:
        return cls(file, tuple(doc["names"]), tuple(doc["categories"]), Patterns(doc["patterns"]),
                   tuple(None if g is None else tuple(g) for g in doc["gates"]),
                   {piece: tuple(numbers) for piece, numbers in doc["index"].items()}, frozenset(doc["always"]))

    def first(self, text: str, pieces: set[str] | None = None) -> int | None:
        """Index of the first entry whose pattern matches ``text`` (cleaned), else None.

        The fast path: only the entries whose indexed piece is in ``text`` (``pieces``:
        :func:`bigrams` of it, computed once per string) and which hold one of their needed
        literals are searched, in order. Same answer as :meth:`first_plain`, the algorithm as
        upstream writes it (the tests compare them on every example and more)."""
        if pieces is None:
            pieces = bigrams(text)
        candidates = set(self.always)
        for piece in pieces & self.index.keys():
            candidates.update(self.index[piece])
        gates, patterns = self.gates, self.patterns
        for number in sorted(candidates):
            gate = gates[number]
            if gate is not None:
                for literal in gate:
                    if literal in text:
                        break
                else:
                    continue
            if patterns[number].search(text):
                return number
        return None

    def first_plain(self, text: str) -> int | None:
        """The first entry whose pattern matches ``text``, trying every pattern in order."""
        for number, pattern in enumerate(self.patterns):
            if pattern.search(text):
                return number
        return None


@dataclass(frozen=True, slots=True)
class Lists:
    """The six tables, loaded from one folder."""

    tables: Mapping[str, Table]
    directory: Path

    def entity(self, ua: str, pieces: set[str] | None = None, *, plain: bool = False) -> tuple[Kind, int | None]:
        """Upstream's deterministic entity match of a cleaned User-Agent: (kind, index in
        that kind's table); ``plain``: without the fast path (:meth:`Table.first_plain`)."""
        if pieces is None and not plain:
            pieces = bigrams(ua)
        for file in ENTITY_FILES:
            table = self.tables[file]
            index = table.first_plain(ua) if plain else table.first(ua, pieces)
            if index is not None:
                return KIND_OF_FILE[file], index
        return "unknown", None


class DataError(ValueError):
    """A user-agents-v2 folder that is not usable; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.problems = problems


def _entries(directory: Path, file: str, problems: list[str]) -> list[dict[str, Any]]:
    path = directory / f"{file}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{file}.json: {exc}")
        return []
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        problems.append(f"{file}.json: no 'entries' list")
        return []
    good: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        tag = f"{file}.json entries[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{tag}: not an object")
            continue
        name, pattern, category = entry.get("name"), entry.get("pattern"), entry.get("category")
        examples = entry.get("examples", [])
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            problems.append(f"{tag}: bad name {name!r}")
            continue
        if name.lower() in seen:
            problems.append(f"{tag}: duplicate name {name!r}")
        seen.add(name.lower())
        if not isinstance(pattern, str) or not pattern.strip():
            problems.append(f"{tag} ({name}): bad pattern {pattern!r}")
            continue
        if category is not None and not (isinstance(category, str) and re.fullmatch(r"[a-z]+(_[a-z]+)*", category)):
            problems.append(f"{tag} ({name}): bad category {category!r}")
            continue
        if not isinstance(examples, list) or not all(isinstance(x, str) for x in examples):
            problems.append(f"{tag} ({name}): examples is not a list of strings")
            continue
        good.append(entry)
    return good


def load(directory: Path = DATA_DIR) -> Lists:
    """Read and compile the six files of a user-agents-v2 folder (raises :class:`DataError`)."""
    problems: list[str] = []
    tables: dict[str, Table] = {}
    read = {file: _entries(directory, file, problems) for file in FILES}
    frequency: dict[str, int] = {}
    for entries in read.values():
        for entry in entries:
            for example in entry.get("examples", []):
                for piece in bigrams(clean(example)):
                    frequency[piece] = frequency.get(piece, 0) + 1
    for file, entries in read.items():
        patterns = []
        for entry in entries:
            try:
                patterns.append(compile_js(entry["pattern"]))
            except PatternError as exc:
                problems.append(f"{file}.json ({entry['name']}): {exc}")
        if len(patterns) == len(entries):
            tables[file] = Table.build(file, tuple(e["name"] for e in entries),
                                       tuple(e.get("category") for e in entries), tuple(patterns), frequency)
    if problems:
        raise DataError(problems)
    return Lists(tables, directory)


def check(directory: Path) -> list[str]:
    """Every problem of a user-agents-v2 folder, upstream's own test and more: the six files are
    JSON with well-formed entries, every pattern translates and compiles, every example matches
    its own pattern, and every example of bots/apps/libraries/browsers classifies to its own entry
    through the whole algorithm. LICENSE must be upstream's MIT licence. Empty: usable."""
    problems: list[str] = []
    license_path = directory / "LICENSE"
    try:
        if not license_path.read_text(encoding="utf-8").startswith("MIT License"):
            problems.append("LICENSE: not the MIT License any more (read it before vendoring)")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"LICENSE: {exc}")
    try:
        lists = load(directory)
    except DataError as exc:
        return problems + exc.problems
    for file, entry, example in examples(directory):
        text = clean(example)
        table = lists.tables[file]
        index = table.names.index(entry)
        if not table.patterns[index].search(text):
            problems.append(f"{file}.json ({entry}): example {example!r} does not match its pattern")
            continue
        pieces = bigrams(text)
        fast = {f: lists.tables[f].first(text, pieces) for f in FILES}
        plain = {f: lists.tables[f].first_plain(text) for f in FILES}
        if fast != plain:
            problems.append(f"example {example!r}: the fast path finds {fast}, every pattern in order {plain}"
                            " (a bug of patterns.needed with a new kind of pattern)")
        if file in KIND_OF_FILE:
            kind, found = lists.entity(text, plain=True)
            if (kind, found) != (KIND_OF_FILE[file], index):
                got = "nothing" if found is None else f"{kind} {lists.tables[_file_of(kind)].names[found]!r}"
                problems.append(f"{file}.json ({entry}): example {example!r} classifies to {got}")
    return problems


def _file_of(kind: str) -> str:
    return next(f for f, k in KIND_OF_FILE.items() if k == kind)


def examples(directory: Path = DATA_DIR, files: Iterable[str] = FILES) -> Iterator[tuple[str, str, str]]:
    """(file, entry name, example) for every example of the given files, in order."""
    for file in files:
        document = json.loads((directory / f"{file}.json").read_text(encoding="utf-8"))
        for entry in document["entries"]:
            for example in entry.get("examples", []):
                yield file, entry["name"], example


def digest(directory: Path) -> str:
    """SHA-256 of the six files of a folder (what ``index.json`` was made from)."""
    h = hashlib.sha256()
    for file in FILES:
        data = (directory / f"{file}.json").read_bytes()
        h.update(f"{file}.json {len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()


def write_index(directory: Path) -> Path:
    """Write ``index.json`` beside the six files: :func:`load`'s tables (raises :class:`DataError`)."""
    lists = load(directory)
    doc = {"digest": digest(directory), "tables": {f: lists.tables[f].document() for f in FILES}}
    path = directory / INDEX_FILE
    temporary = directory / f".{INDEX_FILE}.tmp"
    temporary.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
                         encoding="utf-8")
    os.replace(temporary, path)
    return path


def load_indexed(directory: Path) -> Lists | None:
    """The tables from ``index.json``, or None when it is missing, unreadable or was made from
    other files (then :func:`load` is the way)."""
    try:
        doc = json.loads((directory / INDEX_FILE).read_text(encoding="utf-8"))
        if doc["digest"] != digest(directory):
            return None
        return Lists({f: Table.from_document(f, doc["tables"][f]) for f in FILES}, directory)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@functools.cache
def lists() -> Lists:
    """The vendored lists, loaded once (on first use): from ``index.json`` when current."""
    return load_indexed(DATA_DIR) or load(DATA_DIR)


# --- classification ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 16)
def _agent_of(ua: str) -> Agent:
    data = lists()
    pieces = bigrams(ua)
    kind, index = data.entity(ua, pieces)
    name = category = device = device_category = None
    if index is not None:
        table = data.tables[_file_of(kind)]
        name, category = table.names[index], table.categories[index]
    if kind != "bot":
        devices = data.tables["devices"]
        found = devices.first(ua, pieces)
        if found is not None:
            device, device_category = devices.names[found], devices.categories[found]
    return Agent(kind, name, category, device, device_category)


@functools.lru_cache(maxsize=1 << 12)
def _referrer_of(referer: str) -> tuple[str, str | None] | None:
    table = lists().tables["referrers"]
    found = table.first(referer)
    return None if found is None else (table.names[found], table.categories[found])


def _host(referer: str) -> str | None:
    try:
        parts = urlsplit(referer.strip())
        return parts.hostname if parts.scheme in ("http", "https") else None
    except ValueError:
        return None


@functools.lru_cache(maxsize=1 << 16)
def classify(user_agent: str, referer: str = "") -> Agent:
    """The agent of a request: upstream's deterministic match of the User-Agent, its device
    (unless a bot), the referrers.json entry of the Referer (browsers only), and whether OP3
    saw that player pre-load (``preload``). Memoised: distinct pairs are few."""
    agent = _agent_of(clean(user_agent))
    if agent.kind != "browser":
        return agent
    referer = clean(referer)
    ref = _referrer_of(referer) if referer else None
    preload = None
    if ref is not None and ref[0] in PRELOADING_REFERRERS or (referer and _host(referer) in PRELOADING_WIDGET_HOSTS):
        preload = "preloading-web-app"
    elif agent.name == "Opera" and agent.device_category == "computer" and not referer.strip():
        preload = "preloading-browser"
    if ref is None and preload is None:
        return agent
    return Agent(agent.kind, agent.name, agent.category, agent.device, agent.device_category,
                 ref[0] if ref else None, ref[1] if ref else None, preload)


def excluded(agent: Agent, user_agent: str) -> str | None:
    """Why a request from ``agent`` (``classify(user_agent, referer)``) is not a listener: a
    :data:`REASONS` key, or None for a listener. OP3's rules: no User-Agent; a bot; a library
    whose category is bot; an unknown User-Agent containing bot, crawler or spider; a player
    seen pre-loading whole files (Podverse's web player, the Podfriend widget, Opera's feed
    reader). Apple Watch downloads that copy the phone's are in bots.json ("Apple Podcasts (Watch)")."""
    if not user_agent.strip():
        return "no-user-agent"
    if agent.kind == "bot":
        return "bot"
    if agent.kind == "library" and agent.category == "bot":
        return "library-bot"
    if agent.kind == "unknown" and _BOT_LIKE.search(user_agent):
        return "bot-like"
    return agent.preload
