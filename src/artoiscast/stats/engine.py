"""The statistics database (DuckDB, ``build/stats.duckdb``) and one run of ``artoiscast stats``.

A run: load the episodes from the manifest, read every new log region into ``hits`` (one row per
request for an episode's audio, the IP already hashed), classify the user agents not seen yet,
apply the IAB rules again to every day that got new requests (:mod:`artoiscast.stats.rules`),
forget the salts the window no longer needs, and answer the query
(:mod:`artoiscast.stats.query`).

Privacy (no raw IP is ever stored; salts rotate daily) is :mod:`artoiscast.stats.privacy`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import itertools
import json
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from artoiscast.errors import ArtoiscastError, CatalogError
from artoiscast.stats import logs, query, rules
from artoiscast.stats.privacy import MACROS, Salts
from artoiscast.stats.sources import Cursors, Input, Region, expand

TZ = "Europe/Paris"
SALT_KEEP_DAYS = 2  # a day's salt is deleted once it is more than this many days old (late logs)
MEDIA_RX = r"(?:^|/)(media/([a-z0-9][a-z0-9-]{0,79})/[^/]+\.(?:mp3|m4a))$"
PY_CHUNK = 50_000  # lines per batch on the reference parser's path
SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS forgotten (day DATE PRIMARY KEY);
CREATE TABLE IF NOT EXISTS dirty_days (day DATE);
CREATE TABLE IF NOT EXISTS hits (day DATE, t TIMESTAMPTZ, listener UBIGINT, ipkey UBIGINT, net UBIGINT,
    method VARCHAR, status INTEGER, sent BIGINT, "range" VARCHAR, slug VARCHAR, media VARCHAR, feed VARCHAR,
    embed VARCHAR, ua VARCHAR, referer VARCHAR, country VARCHAR, late BOOLEAN);
CREATE TABLE IF NOT EXISTS requests (day DATE, media BIGINT, other BIGINT);
CREATE TABLE IF NOT EXISTS unparsed (source VARCHAR, line BIGINT);
CREATE TABLE IF NOT EXISTS agents (ua VARCHAR, referer VARCHAR, kind VARCHAR, name VARCHAR, category VARCHAR,
    device VARCHAR, device_category VARCHAR, referrer VARCHAR, excluded VARCHAR);
CREATE TABLE IF NOT EXISTS episodes (slug VARCHAR, length BIGINT, bitrate DOUBLE, audio_offset BIGINT);
CREATE TABLE IF NOT EXISTS feeds (name VARCHAR);
"""

def today_paris(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(TZ)).date()


def agents_module() -> Any:
    """:mod:`artoiscast.stats.agents` (imported on first need: its lists are compiled lazily)."""
    return importlib.import_module("artoiscast.stats.agents")


# ---------------------------------------------------------------- the database


MEMORY_LIMIT = "384MB"  # DuckDB's buffer pool: a run's peak memory is flat in the size of the logs (it spills beyond)
MEMORY_RX = r"[0-9]{1,6}(\.[0-9]{1,3})?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)"


def open_db(path: Path, memory_limit: str = MEMORY_LIMIT) -> Any:
    """The statistics database at ``path`` (created if missing), with its schema and helpers.
    Raises CatalogError for a ``memory_limit`` that is not a size."""
    import duckdb

    if not re.fullmatch(MEMORY_RX, memory_limit, flags=re.IGNORECASE):
        raise CatalogError(f'"{memory_limit}" is not a size (use e.g. 384MB or 2GB)', field="--memory-limit")

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise ArtoiscastError(f"cannot be opened ({_duck_reason(exc)})", path=str(path)) from exc
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(SCHEMA)
    con.execute(MACROS)
    rules.create(con)
    return con


def meta(con: Any, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_meta(con: Any, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def mark_all_dirty(con: Any) -> None:
    con.execute("DELETE FROM dirty_days")
    con.execute("INSERT INTO dirty_days SELECT DISTINCT day FROM hits")


# ---------------------------------------------------------------- the manifest


def load_manifest(path: Path) -> dict[str, Any]:
    """``manifest.json``'s episodes and feeds. Raises CatalogError if it is missing or unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError("not found: run artoiscast build first (its episodes give the sizes and bitrates the "
                           "one-minute rule needs), or give --manifest FILE", path=str(path)) from exc
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot be read as JSON ({exc})", path=str(path)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("episodes"), dict):
        raise CatalogError("is not an artoiscast manifest (no episodes)", path=str(path))
    return doc


def use_manifest(con: Any, doc: dict[str, Any]) -> None:
    """The episodes' sizes, bitrates and audio offsets and the feed names; every day is counted
    again when they changed."""
    rows, feeds = [], {"all"}
    for slug, ep in sorted(doc["episodes"].items()):
        length = int(ep.get("length") or 0) or None
        duration = float(ep.get("duration") or 0)
        bitrate = ep.get("bitrate") or (length * 8 / duration / 1000 if length and duration else None)
        rows.append((slug, length, float(bitrate) if bitrate else None, int(ep.get("audio_offset") or 0)))
        feeds.update(ep.get("feeds") or [])
    fingerprint = hashlib.sha256(json.dumps([rows, sorted(feeds)]).encode()).hexdigest()
    if meta(con, "manifest") == fingerprint:
        return
    con.execute("DELETE FROM episodes")
    con.execute("DELETE FROM feeds")
    if rows:
        con.executemany("INSERT INTO episodes VALUES (?, ?, ?, ?)", rows)
    con.executemany("INSERT INTO feeds VALUES (?)", [(f,) for f in sorted(feeds)])
    set_meta(con, "manifest", fingerprint)
    mark_all_dirty(con)


def feed_names(con: Any) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM feeds ORDER BY name").fetchall()]


# ---------------------------------------------------------------- reading logs


@dataclass
class ReadReport:
    """What a run read: regions, lines, and the first unparsed lines (file, line, text)."""

    regions: int = 0
    lines: int = 0
    media: int = 0
    unparsed: int = 0
    examples: list[tuple[str, int, str]] = field(default_factory=list)
    unknown_format: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a folder or glob that are not logs
    late: int = 0


EXAMPLES = 5


def _media(path: str) -> str:
    return f"(contains({path}, 'media/') AND regexp_matches({path}, {logs.sql_text(MEDIA_RX)}))"


def _pass1(rel: str) -> str:
    day = f"(t AT TIME ZONE '{TZ}')::DATE"
    return f"""SELECT day, count(*) FILTER (WHERE ok AND media) AS media, count(*) FILTER (WHERE ok AND NOT media) AS other,
        count(*) FILTER (WHERE NOT ok) AS bad
        FROM (SELECT lineno, ok, CASE WHEN ok THEN {day} END AS day, {_media('path')} AS media FROM ({rel})) GROUP BY 1"""


def _pass2(rel: str, late_days: list[str], run_key: str | None = None) -> str:
    late = "day IN (" + ", ".join(f"DATE '{d}'" for d in late_days) + ")" if late_days else "false"
    return f"""INSERT INTO hits
SELECT day, t, keyed(salt, net || '|' || ua), keyed(salt, net), keyed(salt, ip_block(ip)),
       method, status, sent, "range", m.slug, m.key, param("query", 'feed'), param("query", 'embed'), ua,
       CASE WHEN contains(referer, '?') OR contains(referer, '#') THEN regexp_replace(referer, '[?#].*$', '')
            ELSE referer END, {"geo.cc" if run_key else "NULL"}, {late}
FROM (SELECT *, ip_net(ip) AS net FROM (
      SELECT *, (t AT TIME ZONE '{TZ}')::DATE AS day, regexp_extract(path, {logs.sql_text(MEDIA_RX)}, ['key', 'slug']) AS m
      FROM ({rel}) WHERE ok AND contains(path, 'media/')) WHERE m.key <> '') JOIN salts USING (day)""" + (
        f" LEFT JOIN geo ON geo.k = md5_number_lower('{run_key}' || ip)" if run_key else "")


class Reader:
    """Reads regions into ``hits``, each in one transaction with its cursor."""

    def __init__(self, con: Any, salts: Salts, report: ReadReport, countries: Any = None):
        self.con, self.salts, self.report, self.countries = con, salts, report, countries
        self.run_key = secrets.token_hex(16) if countries is not None else None  # in memory, for this run only
        self.located: set[int] = set()
        if countries is not None:
            con.execute("CREATE OR REPLACE TEMP TABLE geo (k UBIGINT, cc VARCHAR)")

    def region(self, region: Region) -> None:
        import duckdb

        kept = dataclasses.replace(self.report, examples=list(self.report.examples))

        def again() -> None:  # undo a first attempt: its rows and its counts
            self.con.execute("ROLLBACK")
            self.con.execute("BEGIN TRANSACTION")
            self.report.__dict__.update(dataclasses.replace(kept, examples=list(kept.examples)).__dict__)

        self.con.execute("BEGIN TRANSACTION")
        try:
            try:
                self._read(region)
                if region.grew():  # a writer added lines while they were read: read the bytes scanned, from a copy
                    again()
                    region = region.copied()
                    self._read(region)
            except duckdb.InvalidInputException:  # not UTF-8, a line over 1 MiB: the reference parser reads it
                again()
                region.python = True
                self._read(region)
            region.commit()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            if region.temporary:
                region.path.unlink(missing_ok=True)
        self.report.regions += 1
        if not region.known:
            self.report.unknown_format.append(region.source)

    def _read(self, region: Region) -> None:
        if region.python:
            self._python(region)
        else:
            self._rel(region, logs.bulk_sql(region.fmt, region.path, numbered=False),
                      logs.bulk_sql(region.fmt, region.path, region.first_line, region.last_line))

    def _python(self, region: Region) -> None:
        self.con.execute("CREATE OR REPLACE TEMP TABLE stage (lineno BIGINT, ok BOOLEAN, t TIMESTAMPTZ, ip VARCHAR, "
                         "method VARCHAR, path VARCHAR, query VARCHAR, status INTEGER, sent BIGINT, ua VARCHAR, "
                         "referer VARCHAR, \"range\" VARCHAR)")
        with region.path.open("rb") as f:
            lines = itertools.islice(f, None if region.last_line is None else region.last_line - region.first_line + 1)
            rows = logs.python_rows(lines, region.fmt, region.first_line)
            while batch := list(itertools.islice(rows, PY_CHUNK)):
                ap = self.con.appender("stage")
                ap.append_rows([(n, True, h.time, h.ip, h.method, h.path, h.query, h.status, h.sent, h.user_agent,
                                 h.referer, h.range) if h else (n, False, *([None] * 10)) for n, h in batch])
                ap.flush()
                self._rel(region, "SELECT * FROM stage", "SELECT * FROM stage")
                self.con.execute("DELETE FROM stage")

    def _rel(self, region: Region, rel: str, numbered: str) -> None:
        """Count, salt and store the rows of ``rel``; ``numbered`` is the same rows with their
        line numbers (a slower scan, run only when some line did not parse)."""
        days: list[date] = []
        bad = 0
        for day, media, other, n_bad in self.con.execute(_pass1(rel)).fetchall():
            if day is None:
                bad += n_bad
                continue
            days.append(day)
            self.con.execute("INSERT INTO requests VALUES (?, ?, ?)", [day, media, other])
            self.report.lines += media + other
            self.report.media += media
            if media:
                self.con.execute("INSERT INTO dirty_days VALUES (?)", [day])
        if bad:
            self._unparsed(region, [r[0] for r in self.con.execute(
                f"SELECT lineno FROM ({numbered}) WHERE NOT ok ORDER BY lineno").fetchall()])
        before = set(self.salts.created)
        self.salts.ensure(days)
        forgotten = {str(r[0]) for r in self.con.execute("SELECT day FROM forgotten").fetchall()}
        late = sorted(d for d in self.salts.created - before if d in forgotten)
        if self.salts.created - before:
            self.salts.load(self.con)
        if self.countries is not None:
            self._locate(rel)
        self.con.execute(_pass2(rel, late, self.run_key))
        if late:
            self.report.late += int(self.con.execute(
                "SELECT count(*) FROM hits WHERE late AND day IN (SELECT unnest(?::DATE[]))", [late]).fetchone()[0])

    def _locate(self, rel: str) -> None:
        """The countries of the addresses of ``rel`` not located yet, into the TEMP table ``geo``
        keyed by a hash with the run's secret (the addresses stay in this process's memory)."""
        rows = self.con.execute(f"SELECT DISTINCT md5_number_lower(? || ip), ip FROM ({rel}) WHERE ok AND "
                                f"{_media('path')}", [self.run_key]).fetchall()
        new = [(int(k), self.countries.lookup(ip)) for k, ip in rows if int(k) not in self.located]
        if new:
            self.located.update(k for k, _ in new)
            ap = self.con.appender("geo")
            ap.append_rows(new)
            ap.flush()

    def _unparsed(self, region: Region, bad: list[int]) -> None:
        if not bad:
            return
        self.report.lines += len(bad)
        self.report.unparsed += len(bad)
        ap = self.con.appender("unparsed")
        ap.append_rows([(region.source, int(n)) for n in bad])
        ap.flush()
        wanted = [int(n) for n in bad[:EXAMPLES - len(self.report.examples)]]
        if wanted:
            texts = _lines_at(region, wanted)
            self.report.examples += [(region.source, n, texts.get(n, "")) for n in wanted]


def _lines_at(region: Region, numbers: list[int]) -> dict[int, str]:
    """The text of a few lines of a region, for the examples printed (never stored)."""
    out: dict[int, str] = {}
    wanted = set(numbers)
    with region.path.open("rb") as f:
        for n, raw in enumerate(f, region.first_line):
            if n in wanted:
                out[n] = raw.rstrip(b"\r\n").decode("utf-8", "replace")[:160]
                if len(out) == len(wanted):
                    break
    return out


def classify_agents(con: Any) -> None:
    """Classify the user agents (and, for browsers, the referers) of the dirty days not seen yet."""
    agents = agents_module()
    new = [r[0] for r in con.execute(
        "SELECT DISTINCT ua FROM hits h WHERE day IN (SELECT day FROM dirty_days) AND NOT EXISTS "
        "(SELECT 1 FROM agents a WHERE a.ua = h.ua AND a.referer = '')").fetchall()]
    rows = []
    for ua in new:
        a = agents.classify(ua, "")
        rows.append((ua, "", a.kind, a.name, a.category, a.device, a.device_category, None, agents.excluded(a, ua)))
    pairs = con.execute(
        "SELECT DISTINCT h.ua, h.referer FROM hits h JOIN agents a ON a.ua = h.ua AND a.referer = '' AND a.kind = 'browser' "
        "WHERE h.referer <> '' AND h.day IN (SELECT day FROM dirty_days) AND NOT EXISTS "
        "(SELECT 1 FROM agents b WHERE b.ua = h.ua AND b.referer = h.referer)").fetchall() if not rows else []
    if rows:
        ap = con.appender("agents")
        ap.append_rows(rows)
        ap.flush()
        pairs = con.execute(
            "SELECT DISTINCT h.ua, h.referer FROM hits h JOIN agents a ON a.ua = h.ua AND a.referer = '' "
            "AND a.kind = 'browser' WHERE h.referer <> '' AND h.day IN (SELECT day FROM dirty_days) AND NOT EXISTS "
            "(SELECT 1 FROM agents b WHERE b.ua = h.ua AND b.referer = h.referer)").fetchall()
    if pairs:
        ap = con.appender("agents")
        for ua, referer in pairs:
            a = agents.classify(ua, referer)
            ap.append_row(ua, referer, a.kind, a.name, a.category, a.device, a.device_category, a.referrer,
                          agents.excluded(a, ua))
        ap.flush()


@contextlib.contextmanager
def _tmpdir(db: Path) -> Any:
    with tempfile.TemporaryDirectory(prefix=".stats-", dir=db.parent) as name:
        yield Path(name)


def update(con: Any, db: Path, *, inputs: list[Input] = (), storage: Any = None, prefix: str = "",  # type: ignore[assignment]
           now: datetime | None = None, countries: Any = None) -> ReadReport:
    """Read what is new in ``paths`` (and under ``prefix`` in ``storage``), classify new agents,
    count the dirty days again and forget old salts. Returns what was read."""
    agents = agents_module()
    version = f"{rules.RULES_VERSION}/{agents.DATA_COMMIT}"
    if meta(con, "rules") != version:  # new rules or new lists: classify again, count every day again
        con.execute("DELETE FROM agents")
        mark_all_dirty(con)
        set_meta(con, "rules", version)
    salts = Salts(Path(str(db) + ".salts"))
    salts.load(con)
    report = ReadReport()
    reader = Reader(con, salts, report, countries)
    with _tmpdir(db) as tmp:
        cursors = Cursors(con, tmp)
        try:
            for region in cursors.file_regions(list(inputs), now.timestamp() if now else None, report.skipped):
                reader.region(region)
            if storage is not None:
                for region in cursors.object_regions(storage, prefix):
                    reader.region(region)
        finally:
            salts.save()
    classify_agents(con)
    days = [r[0] for r in con.execute("SELECT DISTINCT day FROM dirty_days ORDER BY day").fetchall()]
    if days:
        con.execute("BEGIN TRANSACTION")
        rules.recompute(con, days)
        con.execute("DELETE FROM dirty_days")
        con.execute("COMMIT")
    gone = salts.forget(today_paris(now) - timedelta(days=SALT_KEEP_DAYS))
    if gone:
        con.executemany("INSERT OR IGNORE INTO forgotten VALUES (?)", [(d,) for d in gone])
        salts.save()
    return report


# ---------------------------------------------------------------- one run


@dataclass
class Result:
    """A run's answer: the JSON object, the ``--by`` table and what was read."""

    data: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]]
    read: ReadReport


def default_manifest(root: Path) -> Path:
    return root / "build" / "site" / "manifest.json"


def run(root: Path, inputs: list[str], *, db: Path | None = None, manifest: Path | None = None, storage: Any = None,
        prefix: str = "", by: str = "episode", filters: query.Filters | None = None,
        now: datetime | None = None, geoip: Path | None = None, memory_limit: str = MEMORY_LIMIT,
        rows: bool = True) -> Result:
    """Read what is new in ``inputs`` (files, folders, globs) and under ``prefix`` in ``storage``,
    count, and answer for ``filters``, grouped ``by`` (``rows=False``: without the JSON's
    ``downloads`` rows, which a table does not show).

    Raises CatalogError (bad input: exit 2) for an input that names nothing, a missing manifest,
    an unknown episode or feed; ArtoiscastError for a database that cannot be opened or a run
    that fails in DuckDB (out of memory, a full disk): nothing of that run is kept but the
    regions already read, each committed with its cursor."""
    import duckdb

    filters = filters or query.Filters()
    if by not in query.BY:
        raise CatalogError(f'"{by}" is not a grouping (use one of: {", ".join(query.BY)})', field="--by")
    db = db or root / "build" / "stats.duckdb"
    files = expand(inputs, exclude=(db, Path(str(db) + ".salts"), Path(str(db) + ".wal")))
    doc = load_manifest(manifest or default_manifest(root))
    con = open_db(db, memory_limit)
    try:
        located = None
        if geoip is not None:
            from artoiscast.stats.geoip import Countries

            located = Countries(geoip)
        use_manifest(con, doc)
        _check_filters(con, filters)
        if by == "country" and geoip is None and not con.execute(
                "SELECT 1 FROM hits WHERE country IS NOT NULL LIMIT 1").fetchone():
            raise CatalogError("needs --geoip FILE (a MaxMind .mmdb country database: GeoLite2-Country, DB-IP "
                               "Lite...), given while the logs are read", field="--by country")
        report = update(con, db, inputs=files, storage=storage, prefix=prefix, now=now, countries=located)
        data = query.report(con, filters, agents_commit=agents_module().DATA_COMMIT, rows=rows)
        columns, table = query.grouped(con, by, filters)
    except duckdb.OutOfMemoryException as exc:
        raise ArtoiscastError(f"ran out of memory under --memory-limit {memory_limit} ({_first_line(exc)}): "
                              "give a larger one, e.g. --memory-limit 2GB", path=str(db)) from exc
    except duckdb.Error as exc:
        raise ArtoiscastError(f"DuckDB failed: {_duck_reason(exc)}", path=str(db)) from exc
    finally:
        con.close()
    return Result(data, columns, table, report)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _duck_reason(exc: BaseException) -> str:
    """DuckDB's first line, with what to do where it is known: another run holds the file, or
    the disk is full (what was read before stays: each region is committed with its cursor)."""
    text = _first_line(exc)
    if "lock" in text.lower():
        return f"{text}: is another stats running?"
    if "No space left" in text:
        return f"{text}: disk full, free some space, then run it again"
    return text


def _check_filters(con: Any, f: query.Filters) -> None:
    feeds = feed_names(con)
    if f.feed is not None and f.feed not in feeds:
        raise CatalogError(f'"{f.feed}" is not a feed (one of: {", ".join(feeds)})', field="--feed")
    if f.episode is not None:
        known = {r[0] for r in con.execute("SELECT slug FROM episodes UNION SELECT DISTINCT slug FROM downloads").fetchall()}
        if f.episode not in known:
            raise CatalogError(f'"{f.episode}" is not an episode of the manifest nor of the statistics', field="--episode")
    if f.since and f.until and f.since > f.until:
        raise CatalogError(f"{f.since} is after --until {f.until}", field="--since")
