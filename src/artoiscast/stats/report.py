"""The HTML report of ``artoiscast stats --html DIR``: one self-contained ``index.html``, in French.

PRIVATE. The report is for the producer, a funder or a partner it is handed to: it shows partner
origins, app names and anomaly details (an address block, a User-Agent) taken from the logs. It is
written only where the user says, never into the built site (``build/site``) nor a published
storage folder (``public/``): ``write_report`` refuses a folder inside a built or published show
(a folder holding ``manifest.json`` and ``feeds/``), or inside any folder the caller names, and
``publish`` never uploads it. The page also says so, asks robots not to index it, and sends no
referrer.

Built from the ``artoiscast stats --format json`` object alone (``data``; see the README). Charts
are Vega-Lite specs rendered to SVG by vl-convert (``stats/charts.py``: no browser, no network,
``allowed_base_urls`` is empty) and inlined, so the page needs no script to be seen and fetches
nothing: its Content Security Policy forbids every script and every request. Its French (numbers,
dates, ``clean``) is ``stats/french.py``'s.

Strings from the logs are hostile (an episode slug is ours, but an app name, a partner origin or
an anomaly's detail can be anything a User-Agent or a Referer held). Every one is
- cleaned (control, bidi-override and non-XML characters become U+FFFD; cut at LABEL_MAX),
- escaped by Jinja2's autoescape in the HTML,
- never a Vega key: categories are numbered and their labels looked up from a parameter array
  (Vega drops or loses every mark of a nominal field holding ``constructor``, ``toString`` or
  ``__proto__``: measured with vl-convert 1.9, Vega 6.2), and
- escaped again in the SVG, which is parsed with lxml, reduced to an allowlist of elements and
  attributes (no script, no foreignObject, no link, no event attribute) and re-serialised.

Deterministic: the same ``data`` gives the same bytes (sorted everywhere, UTC time scales, the
Vega-Lite version pinned, SVG ids renamed per chart).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from artoiscast.errors import ArtoiscastError, write_error
from artoiscast.stats.charts import (ACCENT, CURVE_DAYS, INK, MUTED, OTHERS, PALETTE, PAPER, _bar_list, _curves, _daily,
                                     _narrow_or, _svg, sanitise_svg)
from artoiscast.stats.french import LABEL_MAX, clean, fr_date, fr_int, fr_pct, fr_span
from artoiscast.templating import environment

TOP = 12  # bars in a ranking chart; the rest is one "autres" bar
TABLE_MAX = 100  # rows in a data table; the rest is one line saying how many
CURVE_COLOURED = 8  # the episodes with the best first 30 days get a colour; the others are grey

FILTERS = {  # the filters, in the order of the rules
    "non_get": ("Autres méthodes que GET", "HEAD, OPTIONS… : jamais un téléchargement"),
    "probes": ("Sondes", "bytes=0-1 et autres petites plages : un lecteur qui vérifie le fichier"),
    "short": ("Moins d'une minute", "octets envoyés sous une minute d'audio (ni le fichier entier)"),
    "bots": ("Robots et bibliothèques", "liste OPAWG user-agents-v2 : robots, bibliothèques, applis web qui préchargent"),
    "duplicates": ("Doublons", "même auditeur, même épisode, même fenêtre de 24 h ; doublons Apple Watch"),
    "unparsed": ("Lignes illisibles", "lignes de journal qui ne se lisent pas (comptées, jamais ignorées)"),
}
DEVICES = {"mobile": "mobile (téléphone, tablette)", "computer": "ordinateur", "smart_speaker": "enceinte connectée",
           "smart_tv": "télévision connectée", "watch": "montre"}  # OPAWG devices.json categories
ANOMALIES = {"ip": "Adresse IP", "subnet": "Réseau /24", "network": "Réseau /24", "burst": "Pic sur un épisode",
             "episode_burst": "Pic sur un épisode"}
METHOD_KEYS = {  # French names for the method's keys the core is likely to use; any other key is shown as is
    "standard": "Référentiel", "iab": "Référentiel", "version": "Version", "window": "Fenêtre de 24 h",
    "timezone": "Fuseau horaire", "tz": "Fuseau horaire", "day": "Journée", "minimum": "Seuil d'un téléchargement",
    "one_minute": "Seuil d'un téléchargement", "min_bytes": "Seuil d'un téléchargement", "listener": "Auditeur",
    "user_agents": "Listes d'agents", "agents": "Listes d'agents", "user_agents_commit": "Listes d'agents (commit)",
    "salt": "Sel des empreintes", "privacy": "Vie privée", "ip": "Adresses IP", "ipv6": "IPv6",
    "anomalies": "Anomalies", "database": "Base", "generated": "Produit le", "sources": "Journaux lus",
}


class ReportFolderError(ArtoiscastError):
    """The report folder is inside the built site or a published show: the report is private."""

    exit_code = 2


# ---------------------------------------------------------------------------------------------- data


def _day(value: object) -> date | None:
    """'2025-03-01' or '2025-03-01T00:00:00+01:00' -> date; None for null or unreadable."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


@dataclass(frozen=True, slots=True)
class Row:
    episode: str
    feed: str | None
    day: date
    app: str | None
    device: str | None
    partner: str | None
    count: int


def _rows(data: Mapping[str, Any]) -> list[Row]:
    rows = []
    for i, r in enumerate(data.get("downloads") or []):
        d = _day(r.get("day")) if isinstance(r, Mapping) else None
        if d is None:
            raise ValueError(f"downloads[{i}]: day: not a YYYY-MM-DD date: {r!r:.200}")
        n = _count(r.get("count"))
        if n:
            feed, app, device, partner = (None if r.get(k) is None else clean(r.get(k))
                                          for k in ("feed", "app", "device", "partner"))
            rows.append(Row(clean(r.get("episode")), feed, d, app, device, partner, n))
    return rows


def _ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _feed_label(feed: str | None) -> str:
    return "sans thème" if feed is None else feed


def _partner_label(partner: str) -> str:
    if partner == "web":
        return "pages du site (web)"
    if partner in ("-", "embed (direct)", ""):
        return "lecteur intégré, origine inconnue"
    return partner


def _top(ranked: list[tuple[str, int]], n: int = TOP, others: str = "autres") -> list[tuple[str, int, bool]]:
    """The first n-1 and one 'autres (k)' bar when there are more than n."""
    if len(ranked) <= n:
        return [(k, v, False) for k, v in ranked]
    rest = ranked[n - 1:]
    return [(k, v, False) for k, v in ranked[: n - 1]] + [(f"{others} ({len(rest)})", sum(v for _, v in rest), True)]


def _table(ranked: list[tuple[str, int]], total: int) -> dict[str, Any]:
    shown = ranked[:TABLE_MAX]
    rest = ranked[TABLE_MAX:]
    return {"rows": [(i + 1, k, fr_int(v), fr_pct(v, total)) for i, (k, v) in enumerate(shown)],
            "more": f"et {fr_int(len(rest))} autres, {fr_int(sum(v for _, v in rest))} téléchargements" if rest else ""}


# ---------------------------------------------------------------------------------------------- view


def _method(method: object) -> list[tuple[str, Any]]:
    """The method object as (label, value) pairs; nested objects become nested lists."""
    if not isinstance(method, Mapping):
        return [] if method in (None, "") else [("Méthode", clean(method, 2000))]

    def value(v: object) -> Any:
        if isinstance(v, bool):
            return "oui" if v else "non"
        if isinstance(v, int):
            return fr_int(v)
        if isinstance(v, float):
            return f"{v:g}".replace(".", ",")
        if v is None:
            return "—"
        if isinstance(v, Mapping):
            return _method(v)
        if isinstance(v, list | tuple):
            parts = [value(x) for x in v]
            if any(isinstance(p, list) for p in parts):
                return [(str(i + 1), p) for i, p in enumerate(parts)]
            return ", ".join(parts) if parts else "—"
        return clean(v, 2000)

    return [(METHOD_KEYS.get(str(k), clean(k)), value(v)) for k, v in method.items()]  # the core's order


def build_view(data: Mapping[str, Any], title: str | None = None) -> dict[str, Any]:
    """Everything the template shows, computed from the stats JSON object (charts included)."""
    rows = _rows(data)
    totals = data.get("totals") or {}
    period = data.get("period") or {}
    total = sum(r.count for r in rows)
    downloads = _count(totals.get("downloads")) if "downloads" in totals else total
    listeners = _count(totals.get("listeners")) if totals.get("listeners") is not None else None
    since, until = _day(period.get("since")), _day(period.get("until"))
    if rows:
        since = since or min(r.day for r in rows)
        until = until or max(r.day for r in rows)
    if since and until and until < since:
        since, until = until, since
    ndays = (until - since).days + 1 if since and until else 0

    filtered = data.get("filtered") or {}
    filters = [(key, *FILTERS.get(key, (clean(key), "")), _count(filtered.get(key))) for key in
               [*FILTERS, *sorted(k for k in filtered if k not in FILTERS)] if key in filtered or key in FILTERS]
    rejected = sum(f[3] for f in filters if f[0] != "unparsed")

    anomalies = []
    listed = [a for a in data.get("anomalies") or [] if isinstance(a, Mapping)]
    for a in listed[:TABLE_MAX]:  # a flood of them (hostile logs) is not a flood of page
        kind = clean(a.get("kind"))
        anomalies.append({"kind": ANOMALIES.get(kind, kind), "detail": clean(a.get("detail"), 500),
                          "excluded": a.get("excluded") is True})

    view: dict[str, Any] = {
        "empty": not rows,
        "downloads": fr_int(downloads), "listeners": fr_int(listeners) if listeners is not None else "—",
        "period": fr_span(since, until) if since and until else "toute la période des journaux",
        "title": clean(title) if title else "",
        "Period": "",
        "ndays": ndays, "per_day": fr_int(round(downloads / ndays)) if ndays else "0",
        "filters": [{"key": k, "label": label, "help": hint, "count": fr_int(n)} for k, label, hint, n in filters],
        "rejected": fr_int(rejected), "unparsed": fr_int(_count(filtered.get("unparsed"))),
        "anomalies": anomalies, "anomalies_count": len(listed),
        "anomalies_more": len(listed) - len(anomalies),
        "excluded": sum(a.get("excluded") is True for a in listed),
        "method": _method(data.get("method")), "charts": {},
        "since": since.isoformat() if since else "", "until": until.isoformat() if until else "",
    }
    view["Period"] = view["period"][:1].upper() + view["period"][1:]
    if filters and any(f[3] for f in filters):
        ranked_filters = [(label, n, False) for _, label, _, n in filters if n]
        rejected_all = sum(n for _, n, _ in ranked_filters)
        view["charts"]["filters"] = _svg(functools.partial(_narrow_or, _bar_list, ranked_filters, rejected_all, MUTED, wide=520),
                                         "filters")
    if not rows:
        return view
    assert since is not None and until is not None

    by_episode: dict[str, int] = defaultdict(int)
    by_feed: dict[str, int] = defaultdict(int)
    by_app: dict[str, int] = defaultdict(int)
    by_device: dict[str, int] = defaultdict(int)
    by_partner: dict[str, int] = defaultdict(int)
    channels = {"apps": 0, "web": 0, "partners": 0}
    per_day_feed: dict[tuple[date, str], int] = defaultdict(int)
    per_episode_day: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        by_episode[r.episode] += r.count
        feed = _feed_label(r.feed)
        by_feed[feed] += r.count
        by_app["inconnue" if r.app is None else r.app] += r.count
        by_device["inconnu" if r.device is None else DEVICES.get(r.device, r.device)] += r.count
        if r.partner is None:
            channels["apps"] += r.count
        else:
            by_partner[_partner_label(r.partner)] += r.count
            channels["web" if r.partner == "web" else "partners"] += r.count
        per_day_feed[(r.day, feed)] += r.count
        per_episode_day[r.episode][r.day] += r.count

    episodes = _ranked(by_episode)
    view["episodes_count"] = len(episodes)

    # downloads per day per theme: the themes by size; past the palette, one grey "autres thèmes"
    feeds = [f for f, _ in _ranked(by_feed)]
    if len(feeds) > len(PALETTE):
        kept = feeds[: len(PALETTE) - 1]
        feeds = [*kept, "autres thèmes"]
    index = {f: i for i, f in enumerate(feeds)}
    days = [since + timedelta(days=i) for i in range(ndays)]
    per: dict[tuple[date, int], int] = defaultdict(int)
    for (d, f), n in per_day_feed.items():
        if since <= d <= until:
            per[(d, index.get(f, len(feeds) - 1))] += n
    view["charts"]["daily"] = _svg(lambda narrow: _daily(days, feeds, per, narrow), "daily")
    matrix = [(fr_date(d), [fr_int(per.get((d, i), 0)) for i in range(len(feeds))],
               fr_int(sum(per.get((d, i), 0) for i in range(len(feeds))))) for d in days]
    view["daily"] = {"feeds": feeds, "rows": matrix, "long": ndays > 120, "best": max(matrix, key=lambda m: int(m[2].replace("\u202f", "")))}
    view["themes"] = _table(_ranked(by_feed), total)

    top = [(f"{i + 1}. {k}", v, o) for i, (k, v, o) in enumerate(_top(episodes, 15, "autres épisodes"))]
    view["charts"]["episodes"] = _svg(functools.partial(_narrow_or, _bar_list, top, total, ACCENT, wide=520), "episodes")
    view["episodes"] = _table(episodes, total)
    view["top_episode"] = episodes[0][0]

    for name, counts, colour, what in (("apps", by_app, PALETTE[1], "applications"),
                                       ("devices", by_device, PALETTE[2], "appareils")):
        ranked = _ranked(counts)
        bars = _top(ranked, TOP, f"autres {what}")
        view["charts"][name] = _svg(functools.partial(_narrow_or, _bar_list, bars, total, colour, wide=380), name)
        view[name] = _table(ranked, total)

    view["channels"] = [("applications de podcast (flux RSS)", fr_int(channels["apps"]), fr_pct(channels["apps"], total)),
                        ("pages du site", fr_int(channels["web"]), fr_pct(channels["web"], total)),
                        ("sites partenaires (lecteur intégré)", fr_int(channels["partners"]),
                         fr_pct(channels["partners"], total))]
    partners = _ranked(by_partner)
    if partners:
        sites = _top(partners, TOP, "autres sites")
        view["charts"]["partners"] = _svg(functools.partial(_narrow_or, _bar_list, sites, total, PALETTE[4], wide=520),
                                          "partners")
    view["partners"] = _table(partners, total)

    # the first 30 days of each episode, from its first download day in the period
    curves = []
    for ep, byday in per_episode_day.items():
        first = min(byday)
        span = min(CURVE_DAYS, (until - first).days + 1)
        cum, series = 0, []
        for j in range(span):
            cum += byday.get(first + timedelta(days=j), 0)
            series.append(cum)
        curves.append((ep, first, series))
    # the best starts: by downloads at J7 (at its last day for an episode younger than a week), then J30
    curves.sort(key=lambda c: (-c[2][min(7, len(c[2])) - 1], -c[2][-1], c[0]))
    full = [c for c in curves if len(c[2]) == CURVE_DAYS]
    best = min(full, key=lambda c: (-c[2][-1], c[0])) if full else None
    coloured = curves[:CURVE_COLOURED]
    grey = curves[CURVE_COLOURED:]
    view["charts"]["curves"] = _svg(lambda narrow: _curves([c[0] for c in coloured], [c[2] for c in coloured],
                                                           [c[2] for c in grey], narrow), "curves")

    def at(series: list[int], n: int) -> str:
        return fr_int(series[n - 1]) if len(series) >= n else "—"

    view["curves"] = {"rows": [(ep, fr_date(first), at(s, 1), at(s, 7), at(s, 30)) for ep, first, s in curves[:TABLE_MAX]],
                      "more": f"et {fr_int(len(curves) - TABLE_MAX)} autres épisodes" if len(curves) > TABLE_MAX else "",
                      "grey": len(grey), "best": f"{best[0]}, {fr_int(best[2][-1])} téléchargements" if best else "",
                      "partial": sum(1 for c in curves if len(c[2]) < CURVE_DAYS)}
    return view


# ---------------------------------------------------------------------------------------------- writing


def _env() -> Environment:
    return environment("artoiscast.stats")


def _published_show(folder: Path, forbidden: Iterable[Path]) -> Path | None:
    """The built or published show (or a named forbidden folder) that ``folder`` would be inside."""
    here = folder.resolve()
    for f in forbidden:
        f = Path(f).resolve()
        if here == f or here.is_relative_to(f):
            return f
    for p in (here, *here.parents):
        if (p / "manifest.json").is_file() and (p / "feeds").is_dir():
            return p
    return None


def render_report(data: Mapping[str, Any], title: str | None = None) -> str:
    """The report's HTML (one self-contained page) for the stats JSON object."""
    css = resources.files("artoiscast").joinpath("templates/style.css").read_text("utf-8")
    css += resources.files("artoiscast.stats").joinpath("templates/report.css").read_text("utf-8")
    # the CSP allows this stylesheet alone (by its hash): no script, no request, no other style
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return _env().get_template("report.html").render(v=build_view(data, title), css=Markup(css), style_hash=digest)


def write_report(data: dict, folder: Path, *, title: str | None = None, forbidden: Iterable[Path] = ()) -> list[Path]:
    """Write the private report (``index.html``) into ``folder``; return the files written.

    ``title``: the show's title for the page's header (the JSON does not carry it).

    Refuses (ReportFolderError) a folder inside a built or published show (``manifest.json``
    beside ``feeds/``: ``build/site``, ``public/``) or inside one of ``forbidden`` (the caller
    passes the site and the local storage folder). The file is written whole, then renamed.
    """
    folder = Path(folder)
    show = _published_show(folder, forbidden)
    if show is not None:
        raise ReportFolderError(f"is inside {show}, which is published: the report is private "
                                "(write it elsewhere, e.g. build/stats-report)", path=folder)
    page = render_report(data, title).encode("utf-8")
    target = folder / "index.html"
    tmp = folder / f".index.html.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(page)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise write_error(exc) from exc
    return [target]


__all__ = ["ACCENT", "INK", "LABEL_MAX", "MUTED", "OTHERS", "PALETTE", "PAPER", "ReportFolderError", "build_view",
           "clean", "fr_date", "fr_int", "fr_pct", "fr_span", "render_report", "sanitise_svg", "write_report"]
