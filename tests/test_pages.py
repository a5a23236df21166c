"""The show's pages read back with lxml (issue 15): Open Graph and canonical on every page,
subscribe links that work without the app (https), the archive and theme pagination, the search
index, the about page from podcast.yaml, and hostile values in the new podcast.yaml fields."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
import pytest

from artoiscast.build import build
from artoiscast.catalog import load_catalog
from artoiscast.errors import ErrorList
from artoiscast.site import PER_PAGE, mmss, pitch, subscribe_links
from artoiscast.typography import french

BASE = "https://artoiscast.example/"
SLUG = "erbm-melanie-delots"


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def show_pages(site: Path) -> list[Path]:
    """Every page of the show (the partner embeds are not the show's pages)."""
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).as_posix().startswith(("embed/",
                                                                                                     "transcripts/")))


def meta_of(doc: lxml.html.HtmlElement) -> dict[str, str]:
    out = {m.get("property") or m.get("name"): m.get("content") for m in doc.xpath("//meta[@content]")}
    return {k: v for k, v in out.items() if k}


@pytest.fixture
def root(tmp_path: Path, built_catalog: Path) -> Path:
    dest = tmp_path / "show"
    shutil.copytree(built_catalog, dest, symlinks=True)
    return dest


def add_to_podcast(root: Path, text: str) -> None:
    with (root / "podcast.yaml").open("a", encoding="utf-8") as f:
        f.write(text)


def check_head(site: Path, base: str) -> None:
    for path in show_pages(site):
        rel = path.relative_to(site).as_posix().removesuffix("index.html")
        doc = parse(path)
        meta = meta_of(doc)
        assert doc.xpath("//link[@rel='canonical']/@href") == [base + rel], path
        assert meta["og:url"] == base + rel and meta["og:title"] and meta["og:description"], path
        assert meta["og:image"].startswith(base + "art/") and (site / meta["og:image"][len(base):]).is_file(), path
        assert meta["twitter:card"] in ("summary", "summary_large_image") and meta["twitter:image"] == meta["og:image"]
        assert meta["theme-color"] and doc.xpath("//link[@rel='icon'][@href='%sfavicon.ico']" % base), path
        assert doc.xpath("//link[@rel='apple-touch-icon']/@href") == [base + "assets/apple-touch-icon.png"]
        assert len(doc.xpath("//h1")) == 1 and doc.xpath("//main") and doc.xpath("//header") and doc.xpath("//footer")


def test_every_page_has_open_graph_twitter_card_canonical_and_icons(built_catalog: Path, real_show: Path,
                                                                    tmp_path: Path) -> None:
    check_head(built_catalog / "build" / "site", BASE)
    site = tmp_path / "real"
    build(real_show, base_url="https://artoiscast.fr/", out=site)
    check_head(site, "https://artoiscast.fr/")
    episode = meta_of(parse(site / "episodes" / "gazonor-yann-fouant" / "index.html"))
    assert episode["og:type"] == "article" and episode["og:title"].startswith("Gazonor")
    energy = meta_of(parse(site / "themes" / "energy" / "index.html"))["og:image"]
    assert energy.startswith("https://artoiscast.fr/art/") and "/energy-" in energy  # the theme's art (or its thumbnail)


def test_subscribe_links_are_https_and_carry_the_whole_feed_url(root: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(root, base_url=BASE, out=site)
    doc = parse(site / "index.html")
    links = doc.xpath("//details[@class='subscribe']//ul[@class='apps']/li/a")
    assert [a.text_content() for a in links] == ["AntennaPod", "Podcast Addict", "RSS"]  # no Apple ID: no Apple link
    ap = urlsplit(links[0].get("href"))
    assert (ap.scheme, ap.netloc, ap.path) == ("https", "antennapod.org", "/deeplink/subscribe")
    assert parse_qs(ap.query) == {"url": [BASE + "feeds/all.xml"], "title": ["Radioscopie de l'Artois"]}
    assert links[1].get("href") == "https://podcastaddict.com/feed/" + "https%3A%2F%2Fartoiscast.example%2Ffeeds%2Fall.xml"
    assert links[2].get("href") == BASE + "feeds/all.xml"
    assert doc.xpath("//details[@class='subscribe']//input[@readonly]/@value") == [BASE + "feeds/all.xml"]
    assert doc.xpath("//button[@data-copy]/text()") == ["Copier l’adresse du flux"]
    # the theme page subscribes to the theme's feed; the all feed alone takes the Apple ID
    add_to_podcast(root, 'apple_id: 1234567890\n')
    build(root, base_url=BASE, out=site)
    home = [a.get("href") for a in parse(site / "index.html").xpath("//ul[@class='apps']/li/a")]
    assert home[:1] + home[2:4] == ["https://podcasts.apple.com/podcast/id1234567890",
                                    "https://overcast.fm/itunes1234567890", "https://pca.st/itunes/1234567890"]
    theme = [a.get("href") for a in parse(site / "themes" / "energy" / "index.html").xpath("//ul[@class='apps']/li/a")]
    assert len(theme) == 3 and unquote(theme[0].split("url=")[1].split("&")[0]) == BASE + "feeds/energy.xml"
    for path in show_pages(site):
        for href in parse(path).xpath("//ul[@class='apps']/li/a/@href"):
            assert href.startswith("https://") and " " not in href, (path, href)


def test_subscribe_links_keep_the_feed_scheme() -> None:
    """The feed URL goes whole into the link (the old podcast:// links dropped its https)."""
    for url in ("https://a.example/feeds/all.xml", "http://127.0.0.1:8000/feeds/all.xml"):
        links = dict(subscribe_links(url, "T & co", "42"))
        assert parse_qs(urlsplit(links["AntennaPod"]).query) == {"url": [url], "title": ["T & co"]}
        assert unquote(links["Podcast Addict"].removeprefix("https://podcastaddict.com/feed/")) == url
        assert all(u.startswith("https://") for u in links.values())


def test_archive_and_theme_pages_are_paginated_with_prev_and_next(real_show: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(real_show, base_url=BASE, out=site)
    catalog = load_catalog(real_show)
    for first, feed in (("archive/", "all"), ("themes/economy/", "economy")):
        expected = [french(ep.title) for ep in sorted((e for e in catalog.episodes if catalog.feeds[feed].takes(e)),
                                              key=lambda e: e.published, reverse=True)]
        count = -(-len(expected) // PER_PAGE)
        assert count >= 3, (feed, len(expected))
        seen: list[str] = []
        for n in range(1, count + 1):
            rel = first if n == 1 else f"{first}page/{n}/"
            doc = parse(site / rel / "index.html")
            seen += [a.text_content() for a in doc.xpath("//ol[@class='episodes']//h3/a")]
            prev = doc.xpath("//link[@rel='prev']/@href")
            nxt = doc.xpath("//link[@rel='next']/@href")
            assert prev == ([] if n == 1 else [BASE + (first if n == 2 else f"{first}page/{n - 1}/")]), rel
            assert nxt == ([] if n == count else [BASE + f"{first}page/{n + 1}/"]), rel
            assert doc.xpath("//nav[@class='pager']//a[@rel='next']/@href") == nxt
            assert doc.xpath("//nav[@class='pager']//a[@rel='prev']/@href") == prev
        assert seen == expected, feed  # every episode once, newest first
        assert not (site / first / "page" / str(count + 1)).exists()
    home = parse(site / "index.html")
    assert len(home.xpath("//section[@aria-labelledby='last']//h3/a")) == PER_PAGE
    assert home.xpath("//a[starts-with(., 'Tous les épisodes')]/@href") == [BASE + "archive/"]


def test_list_items_have_artwork_date_duration_and_guests(built_catalog: Path) -> None:
    site = built_catalog / "build" / "site"
    doc = parse(site / "index.html")
    items = doc.xpath("//section[@aria-labelledby='last']//article")
    assert len(items) == 3
    for item in items:
        src = item.xpath(".//img/@src")[0]
        assert src.startswith(BASE + "art/") and (site / src[len(BASE):]).is_file()
        assert item.xpath(".//time/@datetime") and item.xpath(".//span[@class='dur']")
    erbm = items[1]
    assert erbm.xpath(".//p[@class='guests']")[0].text_content() == "Avec Mélanie Delots"
    assert "/economy-" in erbm.xpath(".//img/@src")[0]  # no episode image: its first theme's art


def test_durations_floor_as_players_do(built_catalog: Path) -> None:
    assert [mmss(115.6), mmss(59.99), mmss(3600.9), mmss(-1)] == ["1:55", "0:59", "1:00:00", "0:00"]
    site = built_catalog / "build" / "site"
    listed = parse(site / "index.html").xpath("//article[.//a[contains(@href, '%s')]]//span[@class='dur']" % SLUG)
    page = parse(site / "episodes" / SLUG / "index.html").xpath("//header//span[@class='dur']")
    assert listed[0].text == page[0].text


def test_pitch_is_the_first_sentence() -> None:
    assert pitch("Pour comprendre. Une sélection.") == "Pour comprendre."
    assert pitch("mot " * 100).endswith("…") and len(pitch("mot " * 100)) <= 161


def test_search_index_holds_titles_guests_places_themes_and_cues(built_catalog: Path) -> None:
    site = built_catalog / "build" / "site"
    index = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))
    by_url = {e["u"]: e for e in index["episodes"]}
    assert set(by_url) == {p.parent.relative_to(site).as_posix() + "/" for p in (site / "episodes").glob("*/index.html")}
    erbm = by_url[f"episodes/{SLUG}/"]
    assert erbm["t"] == french("L'ERBM : Engagement pour le Renouveau du Bassin Minier")
    assert erbm["g"] == ["Mélanie Delots"] and erbm["p"] == "Lens" and erbm["th"] == ["économie"]
    assert [0.0, "Bonjour Mélanie Delots."] in erbm["c"] or any("Bonjour" in c[1] for c in erbm["c"])
    assert all((site / e["i"]).is_file() for e in index["episodes"])
    raw = (site / "search" / "index.json").read_bytes()
    assert b"\n" not in raw[:-1] and b"<" not in raw  # one compact line, nothing that reads as markup
    search = parse(site / "search" / "index.html")
    assert search.xpath("//form[@role='search']/@data-site-search") == [BASE + "search/index.json"]
    assert parse(site / "index.html").xpath("//form[@role='search']/@action") == [BASE + "search/"]


def test_about_page_from_podcast_yaml(root: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(root, base_url=BASE, out=site)
    legal = parse(site / "about" / "index.html").xpath("//section[@aria-labelledby='legal']")[0]
    text = " ".join(legal.text_content().split())
    assert "Mentions légales" in text and "Éditeur René Lavergne" in text and "Directeur de la publication René " \
        "Lavergne" in text and "Hébergement" not in text  # nothing invented when legal: is absent
    add_to_podcast(root, """\
about: |
  Une émission **sur l'Artois**.
listen_on:
  - {name: "Spotify", url: "https://open.spotify.com/show/abc"}
legal:
  publisher: "Association Artois Son"
  director: "Jeanne Martin"
  contact: "contact@artois.example"
  host_name: "Hébergeur SAS"
  host_address: "1 rue du Serveur, 59000 Lille"
  host_phone: "+33 3 20 00 00 00"
  extra: "Photos : *Jean Dupont*."
""")
    build(root, base_url=BASE, out=site)
    doc = parse(site / "about" / "index.html")
    legal = doc.xpath("//section[@aria-labelledby='legal']")[0]
    text = " ".join(legal.text_content().split())
    for part in ("Éditeur Association Artois Son", "Directeur de la publication Jeanne Martin",
                 "Hébergement Hébergeur SAS 1 rue du Serveur, 59000 Lille Tél. : +33 3 20 00 00 00", "Photos : Jean Dupont."):
        assert part in text, (part, text)
    assert legal.xpath(".//a/@href") == ["mailto:contact@artois.example"] and legal.xpath(".//em/text()") == ["Jean Dupont"]
    assert doc.xpath("//section[@aria-labelledby='show']//strong/text()") == [french("sur l'Artois")]
    for page in ("index.html", "about/index.html", f"episodes/{SLUG}/index.html"):
        assert parse(site / page).xpath("//div[@class='listen-on']//a/@href") == ["https://open.spotify.com/show/abc"]


@pytest.mark.parametrize(("text", "expected"), [
    ('listen_on: [{name: "X", url: "javascript:alert(1)"}]\n', "listen_on[0].url: \"javascript:alert(1)\" is not"),
    ('listen_on: [{name: "X", url: "http://open.spotify.com/show/a"}]\n', "is not an https URL"),
    ('apple_id: "12ab"\n', "apple_id"),
    ('apple_id: true\n', "is not an Apple ID"),
    ('legal: {contact: "a@b.c<script>"}\n', "legal.contact"),
    ('legal: {host_phone: "javascript:1"}\n', "legal.host_phone"),
    ('legal: {hebergeur: "x"}\n', "legal.hebergeur"),
])
def test_hostile_new_fields_are_refused_in_one_line(root: Path, text: str, expected: str) -> None:
    add_to_podcast(root, text)
    with pytest.raises(ErrorList) as info:
        load_catalog(root)
    lines = [e.line() for e in info.value.errors]
    assert len(lines) == 1 and lines[0].startswith("podcast.yaml: ") and expected in lines[0], lines
    assert "\n" not in lines[0]


def test_markup_in_the_new_fields_is_inert(root: Path, tmp_path: Path) -> None:
    add_to_podcast(root, """\
about: "<script>alert(1)</script> [lien](javascript:alert(2)) <img src=x onerror=alert(3)>"
listen_on: [{name: "<b>Spotify</b>", url: "https://open.spotify.com/show/a?x=\\"><script>"}]
legal: {publisher: "<i>Moi</i>", address: "<script>x</script>"}
""")
    site = tmp_path / "site"
    build(root, base_url=BASE, out=site)
    for page in ("about/index.html", "index.html"):
        doc = parse(site / page)
        assert not doc.xpath("//main//script|//main//img[@onerror]|//main//b|//main//i|//*[@href[starts-with(., 'javascript')]]")
    doc = parse(site / "about" / "index.html")
    assert doc.xpath("//div[@class='listen-on']//a")[0].text_content() == "<b>Spotify</b>"
    assert "<i>Moi</i>" in doc.xpath("//section[@aria-labelledby='legal']")[0].text_content()
