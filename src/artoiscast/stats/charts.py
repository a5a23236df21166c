"""The charts of the stats report: Vega-Lite specs rendered to SVG by vl-convert and sanitised.

No browser, no network (``allowed_base_urls`` is empty): the SVG is inlined in the page, which
needs no script to show it. Each chart is drawn twice, wide and narrow; CSS shows the one that fits.

Strings from the logs are hostile, so they are never a Vega key: categories are numbered and their
labels looked up from a parameter array (Vega drops or loses every mark of a nominal field holding
``constructor``, ``toString`` or ``__proto__``: measured with vl-convert 1.9, Vega 6.2). The SVG is
parsed with lxml, reduced to an allowlist of elements and attributes (no script, no foreignObject,
no link, no event attribute) and re-serialised, its ids renamed per chart.

Deterministic: the same specs give the same bytes (UTC time scales, the Vega-Lite version pinned).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from lxml import etree
from markupsafe import Markup

from artoiscast.stats.french import fr_int, fr_pct

VL_VERSION = "6.4"  # pinned: the same data gives the same SVG after a vl-convert upgrade that keeps it
CURVE_DAYS = 30

# The show's colours (templates/style.css) and a categorical range from them: each at least
# 3:1 against the paper (WCAG 1.4.11, checked in tests/test_report.py), neighbours told apart.
INK, PAPER, ACCENT, MUTED, LINE = "#1b1b1b", "#fbfaf7", "#8a3b12", "#555555", "#d6d3cc"
PALETTE = ["#8a3b12", "#1f5fbf", "#2e7d32", "#9c6500", "#6a3d9a", "#00838f", "#c2185b", "#555555"]
OTHERS = "#8c887f"  # "autres": grey, still 3:1 on the paper

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
