"""The HTML report of ``artoiscast stats --html DIR``: one self-contained ``index.html``, in French.

PRIVATE. The report is for the producer, a funder or a partner it is handed to: it shows partner
origins, app names and anomaly details (an address block, a User-Agent) taken from the logs. It is
written only where the user says, never into the built site (``build/site``) nor a published
storage folder (``public/``): ``write_report`` refuses a folder inside a built or published show
(a folder holding ``manifest.json`` and ``feeds/``), or inside any folder the caller names, and
``publish`` never uploads it. The page also says so, asks robots not to index it, and sends no
referrer.

Built from the ``artoiscast stats --format json`` object alone (``data``; see the README). Charts
are Vega-Lite specs rendered to SVG by vl-convert (no browser, no network: ``allowed_base_urls``
is empty) and inlined, so the page needs no script to be seen and fetches nothing: its Content
Security Policy forbids every script and every request.

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
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment
from lxml import etree
from markupsafe import Markup

from artoiscast.errors import ArtoiscastError, write_error
from artoiscast.templating import environment

VL_VERSION = "6.4"  # pinned: the same data gives the same SVG after a vl-convert upgrade that keeps it
LABEL_MAX = 120  # characters of a label from the logs shown (the rest becomes "…")
TOP = 12  # bars in a ranking chart; the rest is one "autres" bar
TABLE_MAX = 100  # rows in a data table; the rest is one line saying how many
CURVE_DAYS = 30
CURVE_COLOURED = 8  # the episodes with the best first 30 days get a colour; the others are grey

# The show's colours (templates/style.css) and a categorical range from them: each at least
# 3:1 against the paper (WCAG 1.4.11, checked in tests/test_report.py), neighbours told apart.
INK, PAPER, ACCENT, MUTED, LINE = "#1b1b1b", "#fbfaf7", "#8a3b12", "#555555", "#d6d3cc"
PALETTE = ["#8a3b12", "#1f5fbf", "#2e7d32", "#9c6500", "#6a3d9a", "#00838f", "#c2185b", "#555555"]
OTHERS = "#8c887f"  # "autres": grey, still 3:1 on the paper

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
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]

_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_SVG_ELEMENTS = {"svg", "g", "path", "rect", "line", "circle", "ellipse", "polygon", "polyline", "text", "tspan",
                 "title", "desc", "defs", "clipPath"}
_SVG_ATTRS = {"class", "id", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width", "height",
              "points", "transform", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity",
              "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
              "opacity", "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
              "clip-path", "display", "viewBox", "version", "pointer-events", "shape-rendering", "aria-hidden",
              "dx", "dy", "text-decoration", "letter-spacing", "paint-order"}
_SVG_NS = "http://www.w3.org/2000/svg"
_LOCAL_URL = re.compile(r"url\(#([A-Za-z0-9_-]+)\)")


class ReportFolderError(ArtoiscastError):
    """The report folder is inside the built site or a published show: the report is private."""

    exit_code = 2


# ---------------------------------------------------------------------------------------------- text


def clean(value: object, limit: int = LABEL_MAX) -> str:
    """A string from the logs as text a person can read and XML can carry.

    Control characters (C0, C1, DEL), lone surrogates, U+FFFE/U+FFFF and the bidi controls
    that would reorder the page around them (RLO "\u202e"...) become U+FFFD; the text is cut at
    ``limit`` characters with "…". Escaping is the template's and lxml's job, not this one's.
    """
    return _clean("" if value is None else str(value), limit)


@functools.lru_cache(maxsize=65536)  # distinct names are few, rows many
def _clean(text: str, limit: int) -> str:
    if len(text) <= limit and text.isprintable():  # no Cc, Cs or Cf character: nothing to replace
        return text
    out = []
    for ch in text[: limit + 1]:
        o = ord(ch)
        if o in _BIDI or o in (0xFFFE, 0xFFFF) or unicodedata.category(ch) in ("Cc", "Cs"):
            out.append("\ufffd")
        else:
            out.append(ch)
    s = "".join(out)
    return s[:limit] + "…" if len(s) > limit else s


def fr_int(n: int) -> str:
    """12345 -> '12 345' (narrow no-break space, as French typography has it)."""
    return f"{n:,}".replace(",", "\u202f")


def fr_pct(part: int, whole: int) -> str:
    if not whole:
        return "0\u202f%"
    p = 100 * part / whole
    s = f"{p:.0f}" if p >= 10 or p == 0 else f"{p:.1f}"
    return s.replace(".", ",") + "\u202f%"


def fr_date(d: date) -> str:
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


def fr_span(a: date, b: date) -> str:
    if a == b:
        return f"le {fr_date(a)}"
    first = fr_date(a) if a.year != b.year else fr_date(a).rsplit(" ", 1 if a.month != b.month else 2)[0]
    return f"du {first} au {fr_date(b)}"


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


# ---------------------------------------------------------------------------------------------- data


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


# ---------------------------------------------------------------------------------------------- charts

_CONFIG: dict[str, Any] = {
    "background": None,
    "font": "DejaVu Sans, Verdana, sans-serif",
    "view": {"stroke": None},
    "aria": False,
    "axis": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": "normal", "labelColor": MUTED,
             "titleColor": MUTED, "domainColor": MUTED, "tickColor": MUTED, "gridColor": "#e4e1da"},
    "legend": {"labelFontSize": 13, "labelColor": INK, "titleFontSize": 13, "symbolSize": 140, "labelLimit": 300},
    "text": {"font": "DejaVu Sans, Verdana, sans-serif"},
}


NARROW = 310  # px of drawing in the phone version of each chart (a 375 px screen, less the margins)
WIDE = 720  # px of the plot of the time charts on a wider screen (with its axis, the page's 52 rem column)


def _svg(spec_for: Callable[..., dict[str, Any]], name: str) -> Markup:
    """The chart twice, wide and narrow (``spec_for(narrow)``), as sanitised inline SVG; CSS shows
    the one that fits the screen (so a phone gets 13 px text, not a 600 px chart shrunk by half)."""
    import vl_convert

    out = []
    for narrow in (False, True):
        spec = {**spec_for(narrow=narrow), "config": _CONFIG}
        raw = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[], format_locale="fr-FR",
                                         time_format_locale="fr-FR")
        out.append(sanitise_svg(raw, f"{name}-{'narrow' if narrow else 'wide'}", f"cap-{name}",
                                classes=f"chart chart-{name} {'narrow' if narrow else 'wide'}"))
    return Markup("\n".join(out))


def sanitise_svg(raw: str, name: str, labelledby: str, classes: str = "chart") -> str:
    """Parse the SVG, drop anything but drawing (no script, foreignObject, link, event or href
    attribute, no url() but to a local id), number its ids ``name-1``, ``name-2``... in document
    order (vl-convert's clip ids come from one counter per process: ``clip13`` on a first report,
    ``clip97`` on the next; and several charts share the page), and give the root ``role=img``
    labelled by the figure's caption."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    root = etree.fromstring(raw.encode("utf-8"), parser)
    if etree.QName(root).localname != "svg":
        raise ValueError("vl-convert returned something else than an SVG")
    ids: dict[str, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") is not None and el.get("id") not in ids:
            ids[el.get("id")] = f"{name}-{len(ids) + 1}"
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace != _SVG_NS or q.localname not in _SVG_ELEMENTS:
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
            continue
        for attr in list(el.attrib):
            value = el.attrib[attr]
            local = etree.QName(attr).localname if attr.startswith("{") else attr
            if attr.startswith("{") or local not in _SVG_ATTRS:
                del el.attrib[attr]
            elif local == "id":
                el.attrib[attr] = ids[value]
            elif "url(" in value:
                refs = _LOCAL_URL.fullmatch(value.strip())
                if refs is None or refs.group(1) not in ids:
                    del el.attrib[attr]
                else:
                    el.attrib[attr] = f"url(#{ids[refs.group(1)]})"
    w, h = root.get("width"), root.get("height")
    if root.get("viewBox") is None and w and h:
        root.set("viewBox", f"0 0 {w} {h}")
    for a in ("class", "version"):  # width and height stay: CSS scales the chart down, never up
        root.attrib.pop(a, None)
    root.set("class", classes)
    root.set("role", "img")
    root.set("aria-labelledby", labelledby)
    root.set("focusable", "false")
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="unicode")


def _bar_list(items: list[tuple[str, int, bool]], total: int, colour: str, width: int) -> dict[str, Any]:
    """A ranking as labelled bars: the label above each bar, the count and share at its right
    (readable at any width: no axis to squeeze the labels)."""
    values = [{"k": i, "t": label, "v": f"{fr_int(n)} · {fr_pct(n, total)}", "n": n,
               "c": OTHERS if other else colour} for i, (label, n, other) in enumerate(items)]
    most = max(n for _, n, _ in items)
    return {
        "width": width, "height": {"step": 40},
        "data": {"values": values},
        "encoding": {"y": {"field": "k", "type": "ordinal", "axis": None, "scale": {"paddingInner": 0, "paddingOuter": 0}}},
        "layer": [
            {"mark": {"type": "bar", "height": 10, "yOffset": 8, "cornerRadiusEnd": 2},
             "encoding": {"x": {"field": "n", "type": "quantitative", "axis": None, "scale": {"domain": [0, most]}},
                          "color": {"field": "c", "type": "nominal", "scale": None}}},
            {"mark": {"type": "text", "align": "left", "baseline": "alphabetic", "x": 0, "dy": 0, "yOffset": -2,
                      "fontSize": 14, "color": INK, "limit": width - 120},
             "encoding": {"text": {"field": "t"}}},
            {"mark": {"type": "text", "align": "right", "baseline": "alphabetic", "x": width, "yOffset": -2,
                      "fontSize": 14, "color": MUTED},
             "encoding": {"text": {"field": "v"}}},
        ],
    }


def _narrow_or(make: Callable[..., dict[str, Any]], *args: Any, wide: int, narrow: bool) -> dict[str, Any]:
    """``make(*args, width)`` at the phone's width or at ``wide``."""
    return make(*args, NARROW if narrow else wide)


def _daily(days: list[date], feeds: list[str], per: Mapping[tuple[date, int], int], narrow: bool) -> dict[str, Any]:
    """Stacked bars, a bar a day; past 120 days stacked areas by step (1.6 px bars blur into pale
    hairlines), over every day and feed, zeros included, so no area bridges a day without downloads."""
    long = len(days) > 120
    if long:
        values = [{"d": d.isoformat(), "k": k, "n": per.get((d, k), 0)} for d in days for k in range(len(feeds))]
    else:
        values = [{"d": d.isoformat(), "k": k, "n": n} for (d, k), n in sorted(per.items())]
    colours = [PALETTE[i] if i < len(PALETTE) - 1 or len(feeds) == len(PALETTE) else OTHERS for i in range(len(feeds))]
    first, last = days[0], days[-1] + timedelta(days=1)
    return {
        "width": NARROW - 50 if narrow else WIDE, "height": 200 if narrow else 240,
        "params": [{"name": "labels", "value": feeds}],
        "data": {"values": values},
        "mark": {"type": "area", "interpolate": "step-after"} if long else {"type": "bar", "width": {"band": 0.8}},
        "encoding": {
            "x": {"field": "d", "type": "temporal", "timeUnit": "utcyearmonthdate",
                  "scale": {"type": "utc", "domain": [first.isoformat(), last.isoformat()]},
                  "axis": {"title": None, "format": "%b %Y" if long else "%-d %b", "labelOverlap": True, "grid": False,
                           **({"values": _month_ticks(days, 4 if narrow else 7)} if long else
                              {"tickCount": 3 if narrow else 6})}},
            "y": {"field": "n", "type": "quantitative", "aggregate": "sum", "stack": "zero",
                  "axis": {"title": None if narrow else "téléchargements par jour", "tickCount": 5, "format": ",d"}},
            "color": {"field": "k", "type": "ordinal", "scale": {"domain": list(range(len(feeds))), "range": colours},
                      "legend": {"title": None, "orient": "top", "direction": "horizontal", "labelExpr": "labels[datum.value]",
                                 "columns": 3 if narrow else 4}},
            "order": {"field": "k", "type": "ordinal"},
        },
    }


def _month_ticks(days: list[date], most: int) -> list[dict[str, Any]]:
    """The first days of the months inside the period, every k-th month so that at most ``most`` show."""
    months = sorted({(d.year, d.month) for d in days if d.day == 1})
    step = max(1, -(-len(months) // most))
    return [{"year": y, "month": m, "date": 1, "utc": True} for y, m in months[::step]]


def _curves(labels: list[str], coloured: list[list[int]], grey: list[list[int]], narrow: bool) -> dict[str, Any]:
    def pts(series: list[list[int]], base: int) -> list[dict[str, int]]:
        return [{"k": base + i, "j": j + 1, "c": c} for i, s in enumerate(series) for j, c in enumerate(s)]

    x = {"field": "j", "type": "quantitative", "scale": {"domain": [1, CURVE_DAYS], "nice": False},
         "axis": {"title": "jours depuis le premier téléchargement",
                  "values": [1, 10, 20, 30] if narrow else [1, 5, 10, 15, 20, 25, 30], "grid": False}}
    y = {"field": "c", "type": "quantitative",
         "axis": {"title": None if narrow else "téléchargements cumulés", "tickCount": 5, "format": ",d"}}
    layers: list[dict[str, Any]] = []
    if grey:
        layers.append({"data": {"values": pts(grey, len(coloured))},
                       "mark": {"type": "line", "color": OTHERS, "strokeWidth": 1.2, "opacity": 0.8},
                       "encoding": {"x": x, "y": y, "detail": {"field": "k", "type": "ordinal"}}})
    layers.append({"data": {"values": pts(coloured, 0)},
                   "mark": {"type": "line", "strokeWidth": 2.6, "point": {"size": 18, "filled": True}},
                   "encoding": {"x": x, "y": y,
                                "color": {"field": "k", "type": "ordinal",
                                          "scale": {"domain": list(range(len(coloured))), "range": PALETTE[: len(coloured)]},
                                          "legend": {"title": None, "orient": "bottom", "columns": 1 if narrow else 2,
                                                     "labelExpr": "labels[datum.value]",
                                                     "labelLimit": NARROW - 30 if narrow else 270}}}})
    return {"width": NARROW - 50 if narrow else WIDE, "height": 220 if narrow else 280,
            "params": [{"name": "labels", "value": labels}], "layer": layers}


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


__all__ = ["ReportFolderError", "build_view", "clean", "render_report", "sanitise_svg", "write_report"]
