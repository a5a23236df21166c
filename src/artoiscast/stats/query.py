"""The queries behind every output: the JSON object of the issue, and the rows of ``--by`` tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from artoiscast.stats import rules

BY = ("episode", "feed", "day", "app", "device", "partner", "country")
_COLUMN = {"episode": "slug", "feed": "feed", "day": "day", "app": "app", "device": "device", "partner": "partner",
           "country": "country"}
TOP_APPS = 4


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    episode: str | None = None
    feed: str | None = None

    def sql(self, *, anomalies: bool = False) -> tuple[str, list[Any]]:
        parts: list[str] = ["true"]
        params: list[date | str] = []
        if self.since:
            parts.append("day >= ?")
            params.append(self.since)
        if self.until:
            parts.append("day <= ?")
            params.append(self.until)
        if self.episode:
            parts.append("(slug = ? OR slug IS NULL)" if anomalies else "slug = ?")
            params.append(self.episode)
        if self.feed and not anomalies:
            parts.append("feed = ?")
            params.append(self.feed)
        return " AND ".join(parts), params


def _period(con: Any, f: Filters) -> dict[str, str | None]:
    where, params = f.sql()
    lo, hi = con.execute(f"SELECT min(day), max(day) FROM downloads WHERE {where}", params).fetchone()
    since = f.since or lo
    until = f.until or hi
    return {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None}


def filtered(con: Any, f: Filters) -> dict[str, int]:
    """Requests removed by each rule (``watch``, ``repeat`` and ``collapsed`` make ``duplicates``),
    and the unparsed lines of every log read (they have no date)."""
    where, params = f.sql()
    got = dict(con.execute(f"SELECT rule, sum(n)::BIGINT FROM filtered WHERE {where} GROUP BY rule", params).fetchall())
    unparsed = con.execute("SELECT count(*) FROM unparsed").fetchone()[0]
    return {"non_get": int(got.get("non_get", 0)), "probes": int(got.get("probes", 0)),
            "short": int(got.get("short", 0)), "bots": int(got.get("bots", 0)),
            "duplicates": int(got.get("watch", 0) + got.get("repeat", 0) + got.get("collapsed", 0)),
            "unparsed": int(unparsed)}


def breakdown(con: Any, f: Filters) -> dict[str, int]:
    where, params = f.sql()
    return {k: int(v) for k, v in con.execute(
        f"SELECT rule, sum(n)::BIGINT FROM filtered WHERE {where} GROUP BY rule ORDER BY rule", params).fetchall()}


def report(con: Any, f: Filters, *, agents_commit: str | None = None, rows: bool = True) -> dict[str, Any]:
    """The issue's JSON object: method, period, downloads (per episode, feed, day, app, device,
    partner; left empty with ``rows=False``, for outputs that do not show them), totals, filtered
    and anomalies."""
    where, params = f.sql()
    found = con.execute(f"""SELECT slug, feed, day, app, device, partner, count(*) FROM downloads WHERE {where}
        GROUP BY ALL ORDER BY day, slug, feed NULLS FIRST, app NULLS FIRST, device NULLS FIRST,
        partner NULLS FIRST""", params).fetchall() if rows else []
    downloads = [{"episode": s, "feed": fd, "day": d.isoformat(), "app": a, "device": dv, "partner": p, "count": int(n)}
                 for s, fd, d, a, dv, p, n in found]
    total, listeners = con.execute(
        f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT day, listener FROM downloads WHERE {where})) "
        f"FROM downloads WHERE {where}", params + params).fetchone()
    awhere, aparams = f.sql(anomalies=True)
    anomalies = [{"kind": k, "detail": d, "excluded": bool(x)} for k, d, x in con.execute(
        f"SELECT kind, detail, excluded FROM anomalies WHERE {awhere} ORDER BY day, kind, detail", aparams).fetchall()]
    method = rules.describe()
    method["breakdown"] = breakdown(con, f)
    method["agents_data"] = agents_commit
    method["unparsed_lines"] = [f"{s}:{n}" for s, n in con.execute(
        "SELECT source, line FROM unparsed ORDER BY source, line LIMIT 20").fetchall()]
    lwhere, lparams = Filters(f.since, f.until, f.episode).sql()
    late = con.execute(f"SELECT count(*) FROM hits WHERE late AND {lwhere}", lparams).fetchone()[0]
    if late:
        method["late_requests"] = int(late)
    dwhere, dparams = Filters(f.since, f.until).sql()
    other = con.execute(f"SELECT coalesce(sum(other), 0)::BIGINT FROM requests WHERE {dwhere}", dparams).fetchone()[0]
    method["other_requests"] = int(other)  # feeds, pages, artwork...: read, not counted
    return {"method": method, "period": _period(con, f), "downloads": downloads,
            "totals": {"downloads": int(total), "listeners": int(listeners)}, "filtered": filtered(con, f),
            "anomalies": anomalies}


def grouped(con: Any, by: str, f: Filters) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of the ``--by`` table: downloads and listeners per value, most first; by
    episode also per feed (or "web", or "-" for none) and per app (the top ones, then the rest)."""
    where, params = f.sql()
    col = _COLUMN[by]
    order = "key" if by == "day" else "downloads DESC, key"
    base = con.execute(f"""SELECT {col} AS key, count(*) AS downloads, count(DISTINCT (day, listener)) AS listeners
        FROM downloads WHERE {where} GROUP BY 1 ORDER BY {order}""", params).fetchall()
    columns = [by, "downloads", "listeners"]
    rows: list[list[Any]] = [[k.isoformat() if isinstance(k, date) else k, int(n), int(lst)] for k, n, lst in base]
    if by != "episode" or not rows:
        return columns, rows
    per_feed = con.execute(f"""SELECT slug, coalesce(feed, partner, '-') AS f, count(*) FROM downloads WHERE {where}
        GROUP BY ALL""", params).fetchall()
    feeds = _ranked((fd, n) for _, fd, n in per_feed)
    apps_n = con.execute(f"SELECT slug, coalesce(app, '?') AS a, count(*) FROM downloads WHERE {where} GROUP BY ALL",
                         params).fetchall()
    top = _ranked((a, n) for _, a, n in apps_n)[:TOP_APPS]
    cell: dict[tuple[str, str], int] = {}
    for slug, fd, n in per_feed:
        cell[(slug, "feed:" + fd)] = int(n)
    for slug, a, n in apps_n:
        key = "app:" + (a if a in top else "other apps")
        cell[(slug, key)] = cell.get((slug, key), 0) + int(n)
    extra = ["feed:" + fd for fd in feeds] + ["app:" + a for a in top]
    if any(a not in top for _, a, _ in apps_n):
        extra.append("app:other apps")
    columns += extra
    for row in rows:
        row += [cell.get((row[0], c), 0) for c in extra]
    return columns, rows


def _ranked(pairs: Any) -> list[str]:
    totals: dict[str, int] = {}
    for k, n in pairs:
        totals[k] = totals.get(k, 0) + int(n)
    return sorted(totals, key=lambda k: (-totals[k], k))
