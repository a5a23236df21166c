"""The private HTML report of `artoiscast stats --html DIR` (stats/report.py).

From the stats JSON object alone (tests/reportdata.py: 60 days, 12 episodes, several feeds, apps,
devices and partner sites, anomalies, hostile strings where the logs put them): the numbers it
shows, its escaping (HTML and SVG), its determinism, the folder it refuses, and, in Debian's
chromium through Playwright from a file:// URL, the charts drawn, nothing requested outside the
folder, no script run, no horizontal overflow at 375 px. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lhtml
from chromium import launched
from reportdata import HOSTILE_APP, HOSTILE_DETAIL, HOSTILE_EPISODE, HOSTILE_PARTNER, HOSTILE_SVG, empty_data, make_data

from artoiscast.errors import WriteError
from artoiscast.stats import report
from artoiscast.stats.report import ReportFolderError, clean, render_report, sanitise_svg, write_report

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SRC = Path(report.__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return make_data()


@pytest.fixture(scope="module")
def written(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "stats-report"
    files = write_report(data, folder, title="Radioscopie de l'Artois")
    assert files == [folder / "index.html"]
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]  # no temporary left
    return files[0]


@pytest.fixture(scope="module")
def page_html(written: Path) -> str:
    return written.read_text("utf-8")


@pytest.fixture(scope="module")
def doc(page_html: str) -> Any:
    return lhtml.document_fromstring(page_html)


def q(el: Any, xpath: str) -> list[Any]:
    return el.xpath(xpath)


def text(el: Any) -> str:
    """The element's text with its white space collapsed (not the narrow no-break spaces of numbers)."""
    return re.sub(r"[ \t\r\n]+", " ", el.text_content()).strip()


def n(s: int) -> str:
    return report.fr_int(s)


# ------------------------------------------------------------------------------------------ numbers


def test_headline_numbers(data: dict[str, Any], doc: Any) -> None:
    kpis = {text(d.getparent().find("dt")): text(d) for d in q(doc, "//dl[@class='kpis']//dd")}
    total = data["totals"]["downloads"]
    assert kpis["Téléchargements"].startswith(n(total))
    assert kpis["Auditeurs"].startswith(n(data["totals"]["listeners"]))
    assert kpis["Par jour"].startswith(n(round(total / 60)))
    assert kpis["Épisodes écoutés"].startswith("12")
    rejected = sum(v for k, v in data["filtered"].items() if k != "unparsed")
    assert kpis["Requêtes écartées"].startswith(n(rejected))
    assert kpis["Anomalies"] == "3 2 exclues du décompte"
    assert "du 1er mars au 29 avril 2025 · 60 jours" in text(q(doc, "//h1")[0])
    chips = [text(li) for li in q(doc, "//ul[@class='chips']/li")]
    assert chips == [f"Autres méthodes que GET : {n(1843)}", f"Sondes : {n(2210)}", "Moins d'une minute : 965",
                     f"Robots et bibliothèques : {n(4127)}", f"Doublons : {n(3318)}", "Lignes illisibles : 7"]


def test_rankings_match_the_rows(data: dict[str, Any], doc: Any) -> None:
    by_episode: dict[str, int] = defaultdict(int)
    by_app: dict[str, int] = defaultdict(int)
    by_partner: dict[str, int] = defaultdict(int)
    for r in data["downloads"]:
        by_episode[r["episode"]] += r["count"]
        by_app[r["app"] or "inconnue"] += r["count"]
        if r["partner"] is not None:
            by_partner[r["partner"]] += r["count"]
    table = q(doc, "//section[@id='episodes']//details//tbody/tr")
    shown = [(text(tr[1]), text(tr[2])) for tr in table]
    expected = sorted(by_episode.items(), key=lambda kv: (-kv[1], kv[0]))
    assert shown == [(k, n(v)) for k, v in expected]
    apps = {text(tr[1]): text(tr[2]) for tr in q(doc, "//figure[.//*[@id='cap-apps']]//tbody/tr")}
    assert apps[HOSTILE_APP] == n(by_app[HOSTILE_APP]) and apps["Apple Podcasts"] == n(by_app["Apple Podcasts"])
    sites = {text(tr[1]): text(tr[2]) for tr in q(doc, "//section[@id='partenaires']//details//tbody/tr")}
    assert sites["pages du site (web)"] == n(by_partner["web"])
    assert sites["lecteur intégré, origine inconnue"] == n(by_partner["-"])
    assert sites[HOSTILE_PARTNER] == n(by_partner[HOSTILE_PARTNER])
    channels = [text(li) for li in q(doc, "//ul[@class='channels']/li")]
    apps_total = sum(r["count"] for r in data["downloads"] if r["partner"] is None)
    assert channels[0].startswith(n(apps_total) + " applications de podcast")


def test_first_30_days_are_cumulative_from_the_first_download_day(data: dict[str, Any], doc: Any) -> None:
    per: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for r in data["downloads"]:
        per[r["episode"]][date.fromisoformat(r["day"])] += r["count"]
    until = date(2025, 4, 29)
    rows = {text(tr[0]): [text(td) for td in tr[1:]] for tr in q(doc, "//section[@id='lancement']//details//tbody/tr")}
    assert len(rows) == 12
    for ep, days in per.items():
        first = min(days)

        def cum(k: int, first: date = first, days: dict[date, int] = days) -> str:
            if first + timedelta(days=k - 1) > until:
                return "—"
            return n(sum(c for d, c in days.items() if d < first + timedelta(days=k)))

        assert rows[ep] == [report.fr_date(first), cum(1), cum(7), cum(30)], ep
    assert "—" in rows["toString"]  # released 5 days before the end: no J7, no J30 yet


def test_daily_table_per_feed(data: dict[str, Any], doc: Any) -> None:
    heads = [text(th) for th in q(doc, "//section[@id='jours']//details//thead//th")]
    assert heads[0] == "Jour" and heads[-1] == "Total"
    assert set(heads[1:-1]) == {"economy", "energy", "culture", "llv", "all", "sans thème"}
    body = q(doc, "//section[@id='jours']//details//tbody/tr")
    assert len(body) == 60 and text(body[0][0]) == "1er mars 2025" and text(body[-1][0]) == "29 avril 2025"
    day = "2025-03-20"
    col = heads.index("energy")
    energy = sum(r["count"] for r in data["downloads"] if r["day"] == day and r["feed"] == "energy")
    assert text(body[19][col]) == n(energy)
    assert text(body[19][-1]) == n(sum(r["count"] for r in data["downloads"] if r["day"] == day))


def test_filters_anomalies_and_method(doc: Any) -> None:
    rules = [(text(tr[0][0]), text(tr[1])) for tr in q(doc, "//section[@id='filtres']//tbody/tr")]
    assert rules[0] == ("HEAD, OPTIONS… : jamais un téléchargement", n(1843))
    assert [text(tr[0]).split(" ")[0] for tr in q(doc, "//section[@id='filtres']//tbody/tr")] == [
        "Autres", "Sondes", "Moins", "Robots", "Doublons", "Lignes"]
    assert rules[-1][1] == "7"
    items = q(doc, "//ul[@class='anomalies']/li")
    assert [li.get("class") for li in items] == ["excluded", "counted", "excluded"]
    assert text(items[0]).startswith("exclue Adresse IP 203.0.113.7") and text(items[1]).startswith("comptée Pic")
    assert text(items[2]) == "exclue Réseau /24 " + clean(HOSTILE_DETAIL, 500)
    method = {text(dt): text(dt.getnext()) for dt in q(doc, "//section[@id='methode']//dl/dt")}
    assert method["Référentiel"] == "IAB Podcast Measurement v2.2"
    assert method["Fenêtre de 24 h"] == "calendar day, Europe/Paris"
    assert method["apple_watch"] == "oui" and method["ipv6_prefix"] == "64"
    assert method["Journaux lus"] == "build/access.log, logs/nginx/access.log.1.gz"


# ------------------------------------------------------------------------------------------ safety


def test_hostile_strings_are_text_everywhere(page_html: str, doc: Any) -> None:
    assert q(doc, "//script") == [] and q(doc, "//img") == [] and q(doc, "//*[local-name()='foreignObject' or local-name()='foreignobject']") == []
    for el in doc.iter():
        if isinstance(el.tag, str):
            assert not [a for a in el.attrib if a.lower().startswith("on")], (el.tag, el.attrib)
            assert not [a for a in el.attrib if a.lower() in ("href", "xlink:href", "src")] or el.tag == "a"
    for a in q(doc, "//a"):
        assert a.get("href").startswith("#")  # only the page's own anchors
    body = doc.text_content()
    for s in (HOSTILE_APP, HOSTILE_PARTNER, HOSTILE_SVG):
        assert s in body
    assert "\u202e" not in page_html and "\x01" not in page_html  # the bidi override and control character: U+FFFD
    # the SVG labels are text nodes too (escaped by vl-convert, re-serialised by lxml)
    labels = [t.text for t in doc.iter("{http://www.w3.org/2000/svg}text", "text")]
    assert any(t and t.startswith("</text><script>") for t in labels)
    assert any(t and t.startswith('https://evil.example"><img') for t in labels)


def test_content_security_policy_forbids_scripts_and_requests(doc: Any) -> None:
    csp = q(doc, "//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp and "unsafe" not in csp  # default-src 'none' covers scripts, images, fonts
    assert q(doc, "//meta[@name='robots']")[0].get("content").startswith("noindex")
    assert q(doc, "//meta[@name='referrer']")[0].get("content") == "no-referrer"
    assert "Document privé" in text(q(doc, "//header")[0])


def test_says_it_is_private(page_html: str) -> None:
    assert "<!-- Rapport privé : jamais publié (ni build/site, ni public/, ni par publish). -->" in page_html
    assert "Document privé, à ne pas publier." in page_html


def test_names_javascript_objects_carry_are_drawn() -> None:
    """Vega keys a nominal field by its values: "constructor", "toString" or "__proto__" empty
    the chart (measured). The report numbers its categories instead: every bar is drawn."""
    names = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", HOSTILE_SVG]
    rows = [{"episode": e, "feed": f, "day": "2025-03-01", "app": a, "device": None, "partner": p, "count": 10 + i}
            for i, (e, f, a, p) in enumerate(zip(names, names, names, names, strict=True))]
    data = {"period": {"since": "2025-03-01", "until": "2025-03-01"}, "downloads": rows,
            "totals": {"downloads": sum(r["count"] for r in rows), "listeners": 3}}
    view = report.build_view(data)
    for chart in ("episodes", "apps", "partners"):
        svg = etree.fromstring(str(view["charts"][chart]).split("\n")[0])
        bars = svg.xpath(".//s:g[contains(@class, 'mark-rect')]/s:path", namespaces={"s": "http://www.w3.org/2000/svg"})
        assert len(bars) == len(names), chart
        labels = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
        for name in names:
            assert any(name[:20] in label for label in labels), (chart, name)  # long ones end in "…"
    daily = etree.fromstring(str(view["charts"]["daily"]).split("\n")[0])
    legend = {t.text for t in daily.iter("{http://www.w3.org/2000/svg}text")}
    for name in names:  # the feeds' legend, from the labels parameter
        assert any(t and name[:20] in t for t in legend), name


def test_sanitise_svg_keeps_drawing_only() -> None:
    raw = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10" '
           'onload="alert(1)"><script>alert(2)</script><defs><clipPath id="clip1"><rect width="5" height="5"/></clipPath>'
           '</defs><g clip-path="url(#clip1)" style="fill:url(https://evil.example/x)"><a xlink:href="javascript:alert(3)">'
           '<text>a</text></a><path d="M0,0h5" fill="url(http://evil.example/p)" onclick="alert(4)"/>'
           '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
           '<image xlink:href="http://evil.example/i.png"/><text>&lt;script&gt;</text></g></svg>')
    out = sanitise_svg(raw, "c", "cap-c")
    root = etree.fromstring(out)
    tags = {etree.QName(e).localname for e in root.iter()}
    assert tags == {"svg", "defs", "clipPath", "rect", "g", "path", "text"}
    assert root.find(".//{http://www.w3.org/2000/svg}path").get("fill") is None
    assert "alert" not in out and "evil" not in out and "javascript" not in out and "style=" not in out
    assert root.find(".//{http://www.w3.org/2000/svg}clipPath").get("id") == "c-1"
    assert root.find(".//{http://www.w3.org/2000/svg}g").get("clip-path") == "url(#c-1)"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "cap-c" and root.get("width") == "10"
    assert "&lt;script&gt;" in out


def test_clean() -> None:
    assert clean("a\x00b\x1fc\x7fd\x85e") == "a\ufffdb\ufffdc\ufffdd\ufffde"
    assert clean("x\u202ey\u2066z\u200fw") == "x\ufffdy\ufffdz\ufffdw"
    assert clean("\ud800") == "\ufffd"
    assert clean("é" * 200) == "é" * report.LABEL_MAX + "…"
    assert clean(None) == "" and clean(42) == "42"


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colours_meet_wcag_aa() -> None:
    for bg in (report.PAPER, "#ffffff"):  # the page and the chart cards
        for colour in [*report.PALETTE, report.OTHERS]:
            assert _contrast(colour, bg) >= 3.0, (colour, bg)  # graphics: 1.4.11
        for colour in (report.INK, report.MUTED, report.ACCENT):
            assert _contrast(colour, bg) >= 4.5, (colour, bg)  # text: 1.4.3


# ------------------------------------------------------------------------------------------ bytes, folders


def test_same_data_same_bytes_in_any_time_zone(data: dict[str, Any], page_html: str, tmp_path: Path) -> None:
    again = render_report(data, "Radioscopie de l'Artois")
    assert again == page_html
    source = tmp_path / "data.json"
    source.write_text(json.dumps(data), "utf-8")
    code = ("import json, sys; from artoiscast.stats.report import render_report; "
            "sys.stdout.write(render_report(json.load(open(sys.argv[1])), \"Radioscopie de l'Artois\"))")
    env = {**os.environ, "TZ": "Pacific/Kiritimati", "PYTHONPATH": str(SRC)}  # UTC+14: a local-time axis would move
    out = subprocess.run([sys.executable, "-c", code, str(source)], env=env, capture_output=True, check=True).stdout
    assert out.decode("utf-8") == page_html


def test_refuses_a_folder_inside_a_built_or_published_show(data: dict[str, Any], tmp_path: Path) -> None:
    site = tmp_path / "build" / "site"
    (site / "feeds").mkdir(parents=True)
    (site / "manifest.json").write_text("{}")
    with pytest.raises(ReportFolderError, match="published: the report is private") as e:
        write_report(empty_data(), site / "stats")
    assert e.value.exit_code == 2
    assert not (site / "stats").exists()
    public = tmp_path / "public"
    public.mkdir()  # an empty storage folder: named by the caller
    with pytest.raises(ReportFolderError):
        write_report(empty_data(), public / "report", forbidden=[public])
    assert write_report(empty_data(), tmp_path / "build" / "stats-report") == [tmp_path / "build" / "stats-report" / "index.html"]


def test_a_file_where_the_folder_goes_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError) as e:
        write_report(empty_data(), tmp_path / "file" / "report")
    assert str(e.value) == f"{tmp_path / 'file'}: is a file, not a folder (move it away)"


@pytest.mark.parametrize("data", [empty_data(), {}, {"downloads": [], "filtered": {}, "anomalies": [], "method": "IAB"}],
                         ids=["no-downloads", "empty-object", "bare"])
def test_empty_report_says_so(data: dict[str, Any]) -> None:
    doc = lhtml.document_fromstring(render_report(data))
    assert text(q(doc, "//*[@class='empty']")[0]).startswith("Aucun téléchargement pour l'instant.")
    assert q(doc, "//*[@id='jours']") == [] and q(doc, "//*[@id='episodes']") == []
    assert q(doc, "//*[@id='filtres']") and q(doc, "//*[@id='methode']")
    assert text(q(doc, "//dl[@class='kpis']/div[@class='main']/dd")[0]).startswith("0")


def test_a_malformed_row_is_named() -> None:
    with pytest.raises(ValueError, match=r"downloads\[1\]: day"):
        report.build_view({"downloads": [{"episode": "a", "day": "2025-03-01", "count": 1},
                                         {"episode": "b", "day": "hier", "count": 1}]})


# ------------------------------------------------------------------------------------------ browser

playwright_api = pytest.importorskip("playwright.sync_api", reason="run the README's test command (installs playwright)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


def open_report(browser: Any, path: Path, width: int) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests, problems


def visible_chart(page: Any, name: str) -> dict[str, Any]:
    return page.evaluate("""name => {
        const svg = [...document.querySelectorAll('svg.chart-' + name)].find(s => s.getBoundingClientRect().width > 0);
        if (!svg) return null;
        const q = sel => svg.querySelectorAll(sel).length;
        return {cls: svg.getAttribute('class'), width: svg.getBoundingClientRect().width,
                bars: q('g.mark-rect path'), lines: q('g.mark-line path'), texts: [...svg.querySelectorAll('text')].map(t => t.textContent),
                label: document.getElementById(svg.getAttribute('aria-labelledby')).textContent};
    }""", name)


def overflow(page: Any) -> list[int]:
    return page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")


@pytest.mark.parametrize("width", [1000, 375])
def test_report_in_chromium(browser: Any, written: Path, width: int) -> None:
    page, requests, problems = open_report(browser, written, width)
    try:
        assert requests == [written.as_uri()]  # nothing else, inside the folder or out
        assert problems == []  # no CSP violation, no script error, no alert
        assert page.evaluate("() => window.__pwned") is None
        assert page.evaluate("() => document.scripts.length") == 0

        kind = "narrow" if width < 600 else "wide"
        for name in ("daily", "episodes", "apps", "devices", "partners", "filters"):
            chart = visible_chart(page, name)
            assert chart is not None and kind in chart["cls"], name
            assert chart["bars"] > 0 and chart["width"] <= width, (name, chart)
        curves = visible_chart(page, "curves")
        assert curves["lines"] >= 12 and "jours depuis le premier téléchargement" in curves["texts"]
        daily = visible_chart(page, "daily")
        assert {"mars", "avr."} <= {t.split()[-1] for t in daily["texts"]}  # the French date axis
        assert daily["label"].startswith("Téléchargements par jour et par thème")
        episodes = visible_chart(page, "episodes")
        assert episodes["bars"] == 12 and episodes["texts"][0].startswith("1. culturathon-2024")
        partners = visible_chart(page, "partners")
        assert any(t.startswith("</text><script>") for t in partners["texts"])  # a label, not an element

        # the hostile strings are shown as text, in the tables (opened) and the anomalies
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        cells = page.locator("#partenaires details td").all_inner_texts()
        assert HOSTILE_PARTNER in cells and HOSTILE_SVG in cells
        assert HOSTILE_APP in page.locator("#applications details td").all_inner_texts()
        assert HOSTILE_EPISODE in page.locator("#episodes details td").all_inner_texts()
        assert page.evaluate("() => window.__pwned") is None and problems == []

        sw, cw = overflow(page)
        assert sw <= cw, (width, sw, cw)  # wide tables scroll inside their box, the page does not
        ARTIFACTS.mkdir(exist_ok=True)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = false)")
        page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"), full_page=True)
    finally:
        page.close()


def test_empty_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    path = write_report(empty_data(), tmp_path / "report")[0]
    page, requests, problems = open_report(browser, path, 375)
    try:
        assert requests == [path.as_uri()] and problems == []
        assert page.locator(".empty").inner_text().startswith("Aucun téléchargement pour l'instant.")
        assert visible_chart(page, "filters")["bars"] == 3  # non_get, probes, bots
        sw, cw = overflow(page)
        assert sw <= cw
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-empty-375.png"), full_page=True)
    finally:
        page.close()


def test_a_long_period_is_drawn_as_areas_with_month_ticks() -> None:
    data = make_data(days=200, episodes=3, scale=0.2)
    svg = etree.fromstring(str(report.build_view(data)["charts"]["daily"]).split("\n")[0])
    ns = {"s": "http://www.w3.org/2000/svg"}
    feeds = {r["feed"] for r in data["downloads"]}
    assert len(svg.xpath(".//s:g[contains(@class, 'mark-area')]/s:path", namespaces=ns)) == len(feeds)  # one per feed
    assert svg.xpath(".//s:g[contains(@class, 'mark-rect')]", namespaces=ns) == []
    ticks = [t.text for t in svg.xpath(".//s:g[contains(@class, 'role-axis-label')]//s:text", namespaces=ns)]
    assert "mars 2025" in ticks and "sept. 2025" in ticks and all(t.split()[-1] == "2025" for t in ticks if " " in t[-5:])


def test_a_flood_of_anomalies_is_counted_not_all_listed() -> None:
    data = {**empty_data(), "anomalies": [{"kind": "ip", "detail": f"192.0.2.{i}", "excluded": i % 2 == 0}
                                          for i in range(150)]}
    doc = lhtml.document_fromstring(render_report(data))
    assert len(q(doc, "//ul[@class='anomalies']/li")) == report.TABLE_MAX
    assert "… et 50 autres." in text(q(doc, "//section[@id='anomalies']")[0])
    kpi = text(q(doc, "//dl[@class='kpis']/div[dt='Anomalies']/dd")[0])
    assert kpi == "150 75 exclues du décompte"
