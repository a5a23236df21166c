"""Access log formats: detection, the reference line parser, and the DuckDB bulk parser.

Three formats, each with one grammar:

- **combined** (Apache/nginx/Caddy "combined", and ``artoiscast serve``'s log):
  ``IP IDENT USER [10/Oct/2000:13:55:36 -0700] "GET /path?q HTTP/1.1" 200 2326 "referer" "agent"``,
  extra fields after the agent allowed (nginx adds some); quoted values may escape ``\\"`` and ``\\\\``.
- **s3**: Amazon S3 server access logs as AWS documents them (owner, bucket, [time], IP,
  requester, request id, operation, key, "request-URI", status, error, bytes sent, object
  size, total time, turn-around time, "referer", "agent", then fields added over the years).
- **cloudfront**: CloudFront standard logs, W3C, tab-separated, fields named by the file's
  ``#Fields:`` line (whatever subset and order), agent and referer URL-encoded.

Two parsers give the same rows (a test holds them to it): :func:`parse_line`, the reference,
one line at a time in Python; and :func:`bulk_sql`, a DuckDB query over a whole file, which the
engine runs (about ten times faster). :func:`read_rows` runs either. A line that does not follow
its grammar gives ``None`` (the engine counts it, with its file and line number); an empty line
gives no row; CloudFront's ``#`` lines are headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from artoiscast.stats.hits import Hit

FormatName = Literal["combined", "s3", "cloudfront"]


@dataclass(frozen=True)
class LogFormat:
    """A log format; CloudFront's carries the field names of its ``#Fields:`` line."""

    name: FormatName
    fields: tuple[str, ...] = ()


COMBINED = LogFormat("combined")
S3 = LogFormat("s3")

# One grammar per format, written in the syntax Python's re and DuckDB's RE2 share (explicit
# classes: \S and \s differ between them).
_Q = r'"((?:[^"\\]|\\.)*)"'  # a quoted value, backslash escapes allowed
_QF = r'"([^"\\]*)"'  # the same without escapes (the bulk parser's fast path)
_TOK = r'([^ "\[]+)'
_COMBINED_TAIL = r' ([0-9]{3}) ([0-9]{1,18}|-) '
COMBINED_RX = _TOK + " " + _TOK + " " + _TOK + r' \[([^\]"]+)\] ' + _Q + _COMBINED_TAIL + _Q + " " + _Q + "(?: .*)?"
COMBINED_FAST_RX = _TOK + " " + _TOK + " " + _TOK + r' \[([^\]"]+)\] ' + _QF + _COMBINED_TAIL + _QF + " " + _QF + "(?: .*)?"
S3_RX = (r'([^ ]+) ([^ ]+) \[([^\]"]+)\] ([^ "]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ' + _Q
         + r' ([0-9]{3}|-) ([^ ]+) ([0-9]{1,18}|-) ([0-9]{1,18}|-) ([0-9]{1,18}|-) ([0-9]{1,18}|-) '
         + _Q + " " + _Q + "(?: .*)?")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CLF_TIME_RX = (r"([0-3][0-9])/(" + "|".join(_MONTHS) + r")/([12][0-9]{3}):([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]) "
               r"([+-])([01][0-9]|2[0-3])([0-5][0-9])")
REQUEST_RX = r"([^ ]+) ([^ ]+)(?: ([^ ]+))?"
ABSOLUTE_RX = r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*"
UNESCAPE_RX = r'\\([\\"])'
CF_DATE_RX = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
CF_TIME_RX = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
NUMBER_RX = r"[0-9]{1,18}"
CF_REQUIRED = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "sc-bytes")

_combined = re.compile(COMBINED_RX)
_s3 = re.compile(S3_RX)
_clf_time = re.compile(CLF_TIME_RX)
_request = re.compile(REQUEST_RX)
_absolute = re.compile(ABSOLUTE_RX)
_unescape = re.compile(UNESCAPE_RX)
_cf_date = re.compile(CF_DATE_RX)
_cf_time = re.compile(CF_TIME_RX)
_number = re.compile(NUMBER_RX)


def cloudfront(header: str) -> LogFormat | None:
    """The CloudFront format of a ``#Fields: date time ...`` line, or None when it lacks a field
    the counting needs (date, time, c-ip, cs-method, cs-uri-stem, sc-status, sc-bytes)."""
    names = tuple(header.strip().removeprefix("#Fields:").split())
    return LogFormat("cloudfront", names) if all(f in names for f in CF_REQUIRED) else None


def detect(lines: Iterable[str]) -> LogFormat | None:
    """The format of a log from its first lines (a CloudFront ``#Fields:`` line wins; otherwise
    the grammar most of the first non-empty lines follow), or None."""
    votes = {"combined": 0, "s3": 0}
    for line in lines:
        if line.startswith("#Fields:"):
            return cloudfront(line)
        if not line or line.startswith("#"):
            continue
        if _s3.fullmatch(line):
            votes["s3"] += 1
        elif _combined.fullmatch(line):
            votes["combined"] += 1
    best = max(votes, key=lambda k: votes[k])
    return (S3 if best == "s3" else COMBINED) if votes[best] else None


# ---------------------------------------------------------------- the reference parser


def _clf_time_value(text: str) -> datetime | None:
    m = _clf_time.fullmatch(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    try:
        local = datetime(int(year), _MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss))
    except ValueError:  # 31/Feb
        return None
    return (local - offset).replace(tzinfo=UTC)


def _target(request: str) -> tuple[str, str, str]:
    """(method, path, query) of a request line; ("-", "", "") when it is not one."""
    m = _request.fullmatch(request)
    if not m:
        return "-", "", ""
    target = _absolute.sub("", m.group(2), count=1)
    path, sep, query = target.partition("?")
    return m.group(1), path, query


def _dash(value: str) -> str:
    return "" if value == "-" else value


def _decoded(value: str) -> str:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:  # bytes that are not UTF-8: kept as logged
        return value


def _parse_combined(line: str) -> Hit | None:
    m = _combined.fullmatch(line)
    if not m:
        return None
    ip, _, _, when, request, status, sent, referer, agent = m.groups()
    t = _clf_time_value(when)
    if t is None:
        return None
    method, path, query = _target(_unescape.sub(r"\1", request))
    return Hit(t, ip, method, path, query, int(status), 0 if sent == "-" else int(sent),
               _dash(_unescape.sub(r"\1", agent)), _dash(_unescape.sub(r"\1", referer)), None)


def _parse_s3(line: str) -> Hit | None:
    m = _s3.fullmatch(line)
    if not m:
        return None
    g = m.groups()
    t = _clf_time_value(g[2])
    if t is None:
        return None
    method, path, query = _target(_unescape.sub(r"\1", g[8]))
    if method == "-":
        op = g[6].split(".")
        method = op[1] if len(op) >= 3 else "-"
    if g[7] != "-":
        path = "/" + g[7]
    return Hit(t, g[3], method, path, query, 0 if g[9] == "-" else int(g[9]), 0 if g[11] == "-" else int(g[11]),
               _dash(_unescape.sub(r"\1", g[16])), _dash(_unescape.sub(r"\1", g[15])), None)


def _parse_cloudfront(fmt: LogFormat, line: str) -> Hit | None:
    values = line.split("\t")
    if len(values) != len(fmt.fields):
        return None
    v = dict(zip(fmt.fields, values, strict=True))
    if not (_cf_date.fullmatch(v["date"]) and _cf_time.fullmatch(v["time"]) and v["c-ip"]
            and re.fullmatch("[0-9]{3}", v["sc-status"]) and _number.fullmatch(v["sc-bytes"])):
        return None
    try:
        t = datetime.fromisoformat(f"{v['date']}T{v['time']}").replace(tzinfo=UTC)
    except ValueError:
        return None
    sent = int(v["sc-bytes"])
    length = v.get("sc-content-len", "-")
    if _number.fullmatch(length):
        sent = min(sent, int(length))
    start, end = v.get("sc-range-start", "-"), v.get("sc-range-end", "-")
    byte_range = f"bytes={start}-{end}" if _number.fullmatch(start) and _number.fullmatch(end) else None
    agent, referer = v.get("cs(User-Agent)", "-"), v.get("cs(Referer)", "-")
    return Hit(t, v["c-ip"], v["cs-method"], v["cs-uri-stem"], _dash(v.get("cs-uri-query", "-")),
               int(v["sc-status"]), sent, "" if agent == "-" else _decoded(agent),
               "" if referer == "-" else _decoded(referer), byte_range)


def parse_line(fmt: LogFormat, line: str) -> Hit | None:
    """One log line (without its newline) as a Hit, or None when it does not follow the grammar
    of ``fmt`` (a time that is not one, 31/Feb included)."""
    if fmt.name == "combined":
        return _parse_combined(line)
    if fmt.name == "s3":
        return _parse_s3(line)
    return _parse_cloudfront(fmt, line)


def python_rows(lines: Iterable[bytes], fmt: LogFormat, first_line: int = 1) -> Iterator[tuple[int, Hit | None]]:
    """(line number, Hit or None) for each line; empty lines give nothing, CloudFront ``#``
    lines switch the fields (a ``#Fields:`` line) or are skipped. Bytes that are not UTF-8 are
    replaced (U+FFFD); a final carriage return (CRLF) is dropped."""
    for n, raw in enumerate(lines, first_line):
        line = raw.rstrip(b"\n").removesuffix(b"\r").decode("utf-8", "replace")
        if not line:
            continue
        if fmt.name == "cloudfront" and line.startswith("#"):
            if line.startswith("#Fields:"):
                fmt = cloudfront(line) or fmt
            continue
        yield n, parse_line(fmt, line)


# ---------------------------------------------------------------- the bulk parser (DuckDB)

COLUMNS = ("lineno", "ok", "t", "ip", "method", "path", "query", "status", "sent", "ua", "referer", "range")
CSV_OPTIONS = ("auto_detect=false, header=false, delim='\\x01', quote='', escape='', comment='', new_line='\\n', "
               "strict_mode=false, columns={'line': 'VARCHAR'}, max_line_size=1048576")


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _lines_sql(path: Path, first_line: int, last_line: int | None, numbered: bool) -> str:
    csv = f"read_csv({sql_text(str(path))}, {CSV_OPTIONS})"
    if not numbered:  # no line numbers: DuckDB parses on every core (a numbered scan is one stream)
        return f"SELECT NULL::BIGINT AS lineno, line FROM {csv} WHERE line IS NOT NULL"
    limit = f"n <= {last_line - first_line + 1} AND " if last_line is not None else ""
    return (f"SELECT n + {first_line - 1} AS lineno, line FROM (SELECT row_number() OVER () AS n, line "
            f"FROM {csv}) WHERE {limit}line IS NOT NULL")


def _unesc(expr: str) -> str:
    return f"regexp_replace({expr}, {sql_text(UNESCAPE_RX)}, '\\1', 'g')"


def _request_sql(req: str) -> str:
    """method, path and query of a request-line expression (as :func:`_target`)."""
    m = f"regexp_extract({req}, {sql_text('^' + REQUEST_RX + '$')}, ['m', 't', 'p'])"
    return (f"CASE WHEN regexp_full_match({req}, {sql_text(REQUEST_RX)}) THEN {m}.m ELSE '-' END AS method, "
            f"CASE WHEN regexp_full_match({req}, {sql_text(REQUEST_RX)}) "
            f"THEN regexp_replace({m}.t, {sql_text(ABSOLUTE_RX)}, '') ELSE '' END AS target")


def _clf_sql(parsed: str, extra: str = "") -> str:
    """The common tail of combined and S3: time, request, numbers, '-' as empty."""
    t = (f"CASE WHEN regexp_full_match(tm, {sql_text(CLF_TIME_RX)}) "
         f"THEN try_strptime(tm, '%d/%b/%Y:%H:%M:%S %z') END")
    return f"""
SELECT lineno, ok AND t IS NOT NULL AS ok, t, ip, method,
       {extra or "split_part(target, '?', 1)"} AS path,
       CASE WHEN contains(target, '?') THEN substr(target, strpos(target, '?') + 1) ELSE '' END AS query,
       status, sent, ua, referer, NULL::VARCHAR AS range
FROM (SELECT *, {_request_sql('req')} FROM (
  SELECT lineno, ok, ip, {t} AS t, req, key, op,
         CASE WHEN st = '-' THEN 0 ELSE try_cast(st AS INTEGER) END AS status,
         CASE WHEN sn = '-' THEN 0 ELSE try_cast(sn AS BIGINT) END AS sent,
         CASE WHEN ua = '-' THEN '' ELSE ua END AS ua,
         CASE WHEN rf = '-' THEN '' ELSE rf END AS referer
  FROM ({parsed})))"""


def _combined_sql(lines: str) -> str:
    # one scan: a line without backslash is split on its quotes (the fast path, exact once the
    # line follows the escape-free grammar); a line with one goes through the full regex
    names = "['ip', 'id', 'us', 'tm', 'req', 'st', 'sn', 'rf', 'ua']"
    slow = f"regexp_extract(line, {sql_text('^' + COMBINED_RX + '$')}, {names})"

    def pick(fast: str, field: str, unescape: bool = False) -> str:
        value = _unesc(f"m.{field}") if unescape else f"m.{field}"
        return f"CASE WHEN plain THEN {fast} ELSE {value} END"

    parsed = f"""SELECT lineno,
       CASE WHEN plain THEN regexp_full_match(line, {sql_text(COMBINED_FAST_RX)})
            ELSE regexp_full_match(line, {sql_text(COMBINED_RX)}) END AS ok,
       {pick("split_part(p[1], ' ', 1)", 'ip')} AS ip, {pick("split_part(split_part(p[1], '[', 2), ']', 1)", 'tm')} AS tm,
       {pick('p[2]', 'req', True)} AS req, {pick("split_part(trim(p[3]), ' ', 1)", 'st')} AS st,
       {pick("split_part(trim(p[3]), ' ', 2)", 'sn')} AS sn, {pick('p[4]', 'rf', True)} AS rf,
       {pick('p[6]', 'ua', True)} AS ua, NULL AS key, NULL AS op
FROM (SELECT lineno, line, plain, CASE WHEN plain THEN string_split(line, '"') END AS p,
             CASE WHEN NOT plain THEN {slow} END AS m
      FROM (SELECT lineno, line, NOT contains(line, '\\') AS plain FROM ({lines})))"""
    return _clf_sql(parsed)


def _s3_sql(lines: str) -> str:
    names = ("['owner', 'bucket', 'tm', 'ip', 'requester', 'rid', 'op', 'key', 'req', 'st', 'err', 'sn', 'size', "
             "'total', 'turn', 'rf', 'ua']")
    parsed = f"""SELECT lineno, regexp_full_match(line, {sql_text(S3_RX)}) AS ok, m.ip, m.tm, {_unesc('m.req')} AS req,
       m.st, m.sn, {_unesc('m.rf')} AS rf, {_unesc('m.ua')} AS ua, m.key, m.op
FROM (SELECT lineno, line, regexp_extract(line, {sql_text('^' + S3_RX + '$')}, {names}) AS m FROM ({lines}))"""
    inner = _clf_sql(parsed, extra="CASE WHEN key <> '-' THEN '/' || key ELSE split_part(target, '?', 1) END")
    # a request-URI that is not one ("-"): the method from the operation (REST.GET.OBJECT)
    method = ("CASE WHEN method = '-' AND len(string_split(op, '.')) >= 3 THEN string_split(op, '.')[2] "
              "ELSE method END")
    return inner.replace("SELECT lineno, ok AND t IS NOT NULL AS ok, t, ip, method,",
                         f"SELECT lineno, ok AND t IS NOT NULL AS ok, t, ip, {method} AS method,", 1)


def _cloudfront_sql(fmt: LogFormat, lines: str) -> str:
    pos = {name: i + 1 for i, name in enumerate(fmt.fields)}

    def field(name: str) -> str:
        return f"f[{pos[name]}]" if name in pos else "'-'"

    def decoded(name: str) -> str:
        v = field(name)
        return f"CASE WHEN {v} = '-' THEN '' ELSE coalesce(try(url_decode({v})), {v}) END"

    num = sql_text(NUMBER_RX)
    ok = (f"len(f) = {len(fmt.fields)} AND regexp_full_match({field('date')}, {sql_text(CF_DATE_RX)}) "
          f"AND regexp_full_match({field('time')}, {sql_text(CF_TIME_RX)}) AND {field('c-ip')} <> '' "
          f"AND regexp_full_match({field('sc-status')}, '[0-9]{{3}}') AND regexp_full_match({field('sc-bytes')}, {num})")
    length, start, end = field("sc-content-len"), field("sc-range-start"), field("sc-range-end")
    return f"""
SELECT lineno, ok AND t IS NOT NULL AS ok, t, ip, method, path, query, status, sent, ua, referer, range
FROM (SELECT lineno, ok,
  CASE WHEN ok THEN timezone('UTC', try_strptime({field('date')} || ' ' || {field('time')}, '%Y-%m-%d %H:%M:%S')) END AS t,
  CASE WHEN ok THEN {field('c-ip')} END AS ip, CASE WHEN ok THEN {field('cs-method')} END AS method,
  CASE WHEN ok THEN {field('cs-uri-stem')} END AS path,
  CASE WHEN ok THEN (CASE WHEN {field('cs-uri-query')} = '-' THEN '' ELSE {field('cs-uri-query')} END) END AS query,
  CASE WHEN ok THEN {field('sc-status')}::INTEGER END AS status,
  CASE WHEN NOT ok THEN NULL WHEN regexp_full_match({length}, {num})
       THEN least({field('sc-bytes')}::BIGINT, {length}::BIGINT) ELSE {field('sc-bytes')}::BIGINT END AS sent,
  CASE WHEN ok THEN {decoded('cs(User-Agent)')} END AS ua, CASE WHEN ok THEN {decoded('cs(Referer)')} END AS referer,
  CASE WHEN ok AND regexp_full_match({start}, {num}) AND regexp_full_match({end}, {num})
       THEN 'bytes=' || {start} || '-' || {end} END AS range
FROM (SELECT lineno, f, {ok} AS ok
      FROM (SELECT lineno, string_split(line, chr(9)) AS f FROM ({lines}) WHERE NOT starts_with(line, '#'))))"""


def bulk_sql(fmt: LogFormat, path: Path, first_line: int = 1, last_line: int | None = None, *,
             numbered: bool = True) -> str:
    """A DuckDB query giving one row per non-empty line of the plain-text file ``path``, with
    :data:`COLUMNS`; ``ok`` is false for a line that does not parse (then only ``lineno`` is
    set). ``first_line`` numbers its first line and lines after ``last_line`` are left out;
    ``numbered=False`` leaves ``lineno`` NULL and runs on every core. The file must hold no
    carriage return and no U+0001 (DuckDB's reader splits lines on a carriage return too):
    :mod:`artoiscast.stats.sources` sends such a file to :func:`python_rows` instead."""
    lines = _lines_sql(path, first_line, last_line, numbered)
    if fmt.name == "combined":
        body = _combined_sql(lines)
    elif fmt.name == "s3":
        body = _s3_sql(lines)
    else:
        body = _cloudfront_sql(fmt, lines)
    return f"SELECT {', '.join(COLUMNS)} FROM ({body})"


def _hit(row: tuple[Any, ...]) -> Hit | None:
    lineno, ok, t, ip, method, path, query, status, sent, ua, referer, byte_range = row
    if not ok:
        return None
    return Hit(t.astimezone(UTC), ip, method, path, query, status, sent, ua, referer, byte_range)


def read_rows(path: Path, fmt: LogFormat, *, engine: Literal["duckdb", "python"] = "duckdb",
              con: Any = None) -> list[tuple[int, Hit | None]]:
    """Every (line number, Hit or None) of the plain-text log ``path``, by the bulk parser
    (``engine="duckdb"``) or the reference one (``"python"``): the two give the same rows."""
    if engine == "python":
        with path.open("rb") as f:
            return list(python_rows(f, fmt))
    import duckdb

    con = con or duckdb.connect()
    rows = con.execute(f"SELECT * FROM ({bulk_sql(fmt, path)}) ORDER BY lineno").fetchall()
    return [(int(r[0]), _hit(r)) for r in rows]
