"""``artoiscast stats`` outputs: a rich table, CSV, or the JSON object. Pure: text in, text out."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

FILTER_LABELS = {
    "non_get": "not a GET (HEAD...)",
    "bots": "bots, libraries, pre-loading apps",
    "probes": "probes (bytes=0-1, 206 of <= 2 bytes)",
    "short": "less than a minute of audio",
    "duplicates": "duplicates (same listener, episode and day; Apple Watch; one IP counted once)",
    "unparsed": "log lines that did not parse",
}


def _header(column: str) -> str:
    return column.split(":", 1)[1] if ":" in column else column


def table(data: dict[str, Any], columns: list[str], rows: list[list[Any]]) -> RenderableType:
    """Downloads by the chosen key (with per-feed and per-app columns by episode), the filters'
    counts and the anomalies. Every value is plain text (no rich markup is read from the logs)."""
    period = data["period"]
    title = f"downloads {period['since'] or '-'} to {period['until'] or '-'}"
    main = Table(title=title, title_justify="left")
    for c in columns:
        main.add_column(Text(_header(c)), justify="left" if c == columns[0] else "right",
                        overflow="fold" if c == columns[0] else "ellipsis")
    for row in rows:
        main.add_row(*[Text("-" if v is None else str(v)) for v in row])
    totals = data["totals"]
    main.add_row(Text("total", style="bold"), Text(str(totals["downloads"]), style="bold"),
                 Text(str(totals["listeners"]), style="bold"), *[Text("") for _ in columns[3:]])
    filters = Table(title="requests not counted", title_justify="left")
    filters.add_column("rule")
    filters.add_column("requests", justify="right")
    for key, label in FILTER_LABELS.items():
        filters.add_row(Text(label), Text(str(data["filtered"][key])))
    parts: list[RenderableType] = [main, filters]
    if data["anomalies"]:
        anomalies = Table(title="anomalies", title_justify="left")
        anomalies.add_column("kind")
        anomalies.add_column("excluded")
        anomalies.add_column("detail", overflow="fold")
        for a in data["anomalies"]:
            anomalies.add_row(Text(a["kind"]), Text("yes" if a["excluded"] else "no"), Text(a["detail"]))
        parts.append(anomalies)
    return Group(*parts)


def to_csv(columns: list[str], rows: list[list[Any]]) -> str:
    """The ``--by`` table as CSV (header line first; per-feed and per-app columns named ``feed:NAME``, ``app:NAME``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def to_json(data: dict[str, Any]) -> str:
    """The JSON object, keys sorted, one line per value and one line per row of ``downloads``
    (stable for diffs and tests; a year of rows is written by the C encoder, line by line)."""
    rows = data.get("downloads")
    if not isinstance(rows, list) or not rows:
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    marker = "\u0000downloads"
    head = json.dumps({**data, "downloads": marker}, ensure_ascii=False, indent=1, sort_keys=True)
    if head.count(json.dumps(marker)) != 1:  # a value holds the marker: the plain way
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    body = "[\n" + ",\n".join("  " + json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows) + "\n ]"
    return head.replace(json.dumps(marker), body, 1) + "\n"
