"""The built pages, embeds and oEmbed, read back with lxml: content, links, accessibility, escaping."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import lxml.html
import yaml

from artoiscast.build import build
from artoiscast.lint import lint_site
from artoiscast.typography import french
from conftest import make_catalog
from readers import shown

BASE = "https://artoiscast.example/"
SLUG = "erbm-melanie-delots"
OUR_SCRIPTS = {BASE + f"assets/{name}" for name in ("player.js", "embed.js", "site.js")}


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html"))


def test_every_request_a_page_makes_stays_under_the_base_url(built_catalog: Path) -> None:
    site = built_catalog / "build" / "site"
    for path in pages(site):
        doc = parse(path)
        fetched = doc.xpath("//script/@src|//link[@rel='stylesheet']/@href|//img/@src|//audio/@src|//iframe/@src"
                            "|//source/@src|//*/@data-transcript-src")
        assert all(u.startswith(BASE) for u in fetched), (path, fetched)
        assert not doc.xpath("//@style[contains(., 'url(')]|//link[contains(@href, 'fonts.')]")
    css = (site / "assets" / "style.css").read_text()
    js = (site / "assets" / "player.js").read_text()
    assert "url(" not in css and "@import" not in css and "http" not in js


def test_every_player_and_download_link_carries_its_marker(built_catalog: Path) -> None:
    """The show's pages say feed=web; the partner embeds feed=<theme>&embed=- (the player puts the
    partner's origin in place of -): no page of the show links the audio without a marker."""
    site = built_catalog / "build" / "site"
    seen = set()
    for path in pages(site):
        rel = path.relative_to(site).as_posix()
        for url in parse(path).xpath("//audio/@src|//source/@src|//a/@href"):
            if "/media/" not in url:
                continue
            query = url.split("?", 1)[1] if "?" in url else ""
            if rel.startswith("embed/"):
                theme = path.stem if rel.count("/") == 1 else None
                assert re.fullmatch(r"feed=(economy|energy)&embed=-", query) and (theme is None or query.startswith(
                    f"feed={theme}&")), (rel, url)
            else:
                assert query == "feed=web", (rel, url)
            seen.add(rel.split("/")[0])
    assert seen == {"embed", "episodes"}  # the home and theme pages link episode pages, not the audio


def test_home_lists_latest_episodes_and_one_subscribe_button(built_catalog: Path) -> None:
    doc = parse(built_catalog / "build" / "site" / "index.html")
    assert doc.get("lang") == "fr"
    assert [a.text_content() for a in doc.xpath("//section[@aria-labelledby='last']//h3/a")] == [
        french(t) for t in ("Mine de Soleil", "L'ERBM : Engagement pour le Renouveau du Bassin Minier", "Gazonor")]
    subscribe = doc.xpath("//details[@class='subscribe']")
    assert len(subscribe) == 1  # one button for the show; the theme feeds are on the theme pages
    assert [a.text_content() for a in subscribe[0].xpath(".//ul/li/a")] == ["AntennaPod", "Podcast Addict", "RSS"]
    assert subscribe[0].xpath(".//ul/li/a/@href")[-1] == BASE + "feeds/all.xml"
    assert doc.xpath("//nav[@aria-label='Thèmes']//a/@href") == [BASE + "themes/economy/", BASE + "themes/energy/"]
    energy = parse(built_catalog / "build" / "site" / "themes" / "energy" / "index.html")
    assert energy.xpath("//details[@class='subscribe']//ul/li/a/@href")[-1] == BASE + "feeds/energy.xml"
    assert len(doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']")) == 3


def test_theme_page_lists_its_episodes_and_the_embed_code(built_catalog: Path) -> None:
    doc = parse(built_catalog / "build" / "site" / "themes" / "energy" / "index.html")
    assert [a.text_content() for a in doc.xpath("//ol[@class='episodes']//h3/a")] == ["Mine de Soleil", "Gazonor"]
    assert doc.xpath("//nav[@aria-label='Thèmes']//a[@aria-current='page']/text()") == ["énergie"]
    snippet = doc.xpath("//details[@class='embed-code']//pre/code")[0].text_content()
    assert snippet.startswith(f'<iframe src="{BASE}embed/energy.html?n=5" ') and "\n" not in snippet


def test_episode_page(built_catalog: Path) -> None:
    doc = parse(built_catalog / "build" / "site" / "episodes" / SLUG / "index.html")
    meta = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]")}
    assert meta["og:title"] == french("L'ERBM : Engagement pour le Renouveau du Bassin Minier")
    assert meta["og:url"] == f"{BASE}episodes/{SLUG}/" and meta["og:audio"].startswith(BASE + "media/")
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
    assert ld["@type"] == "PodcastEpisode" and ld["actor"] == [
        {"@type": "Person", "name": "Mélanie Delots", "jobTitle": "ingénieure en chef des mines"}]
    assert ld["locationCreated"]["name"] == "Lens" and ld["transcript"] == f"{BASE}transcripts/{SLUG}.html"
    assert doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [
        BASE + "feeds/economy.xml", BASE + "feeds/all.xml"]
    assert doc.xpath("//link[@type='application/json+oembed']/@href") == [f"{BASE}oembed/{SLUG}.json"]
    assert doc.xpath("//ul[@class='people']/li")[1].text_content() == "Mélanie Delots, ingénieure en chef des mines"
    assert doc.xpath("//p[@class='place']")[0].text_content() == "Lens"
    assert [(b.get("data-seek"), b.get("aria-label")) for b in doc.xpath("//ol[@class='chapters']//button")] == [
        ("0.0", "Écouter à partir de 0:00 : Introduction"), ("2.5", "Écouter à partir de 0:02 : 1. Les moyens")]
    cues = doc.xpath("//ol[@class='cues']/li")
    assert [c.get("data-seek") for c in cues] == ["0.0", "2.5"]
    assert cues[0].xpath("cite")[0].text == "René Lavergne" and not cues[1].xpath("cite")  # speaker on change
    assert doc.xpath("//audio/@aria-label") == ["Écouter : L'ERBM : Engagement pour le Renouveau du Bassin Minier"]
    # the show's own page: every player and download link says feed=web (the stats count it as "web")
    media = doc.xpath("//audio/@src|//a[contains(@href, '/media/')]/@href")
    assert len(media) == 3 and all(u.startswith(BASE + "media/") and u.endswith(".mp3?feed=web") for u in media)
    assert meta["og:audio"].endswith(".mp3")  # metadata, not a player: the canonical URL


def test_controls_are_labelled_and_native(built_catalog: Path) -> None:
    for path in pages(built_catalog / "build" / "site"):
        doc = parse(path)
        for inp in doc.xpath("//input"):
            assert doc.xpath(f"//label[@for='{inp.get('id')}']"), (path, inp.attrib)
        for b in doc.xpath("//button"):
            in_search = bool(b.xpath("ancestor::form[@role='search']"))
            assert b.get("type") == ("submit" if in_search else "button"), path
            assert b.get("aria-label") or b.text_content().strip(), path
        assert not doc.xpath("//*[@onclick]|//div[@tabindex]|//span[@tabindex]"), path  # buttons, not clickable divs
        assert len(doc.xpath("//h1")) <= 1, path


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_colours_meet_wcag_aa_contrast(built_catalog: Path) -> None:
    css = (built_catalog / "build" / "site" / "assets" / "style.css").read_text()
    var = dict(re.findall(r"--(\w+):(#[0-9a-f]{6})", css))
    for fg in ("ink", "accent", "muted"):
        for bg in ("paper", "mark"):
            hi, lo = sorted((_luminance(var[fg]), _luminance(var[bg])), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 4.5, (fg, bg)
    assert "focus-visible" in css


def test_embeds_and_oembed(built_catalog: Path) -> None:
    site = built_catalog / "build" / "site"
    doc = parse(site / "embed" / "economy.html")
    items = doc.xpath("//ol[@data-embed-list]/li")
    assert [li.xpath(".//h2/a")[0].text_content() for li in items] == [  # titles in French typography
        "Mine de Soleil", "L’ERBM\u00a0: Engagement pour le Renouveau du Bassin Minier"]
    # the static URL already carries the embed marker (the player puts the partner's origin in it)
    assert [a.get("src").split("?")[1] for a in doc.xpath("//audio")] == ["feed=economy&embed=-"] * 2
    assert all(a.get("preload") == "none" and a.get("data-embed") is not None for a in doc.xpath("//audio"))
    assert items[1].xpath(".//details[@class='transcript']/@data-transcript-src") == [f"{BASE}transcripts/{SLUG}.json"]
    assert all(a.get("target") == "_blank" for a in doc.xpath("//a"))  # links leave the iframe, not the partner page
    one = parse(site / "embed" / "episode" / f"{SLUG}.html")
    # an episode embed plays as the episode's first feed, marked as an embed
    assert len(one.xpath("//ol[@class='episodes']/li")) == 1
    assert one.xpath("//audio/@src")[0].endswith("?feed=economy&embed=-")
    gazonor = parse(site / "embed" / "episode" / "gazonor-yann-fouant.html")
    assert gazonor.xpath("//audio/@src")[0].endswith("?feed=energy&embed=-")
    oembed = json.loads((site / "oembed" / f"{SLUG}.json").read_bytes())
    assert {k: oembed[k] for k in ("version", "type", "provider_url", "title")} == {
        "version": "1.0", "type": "rich", "provider_url": BASE,
        "title": "L'ERBM : Engagement pour le Renouveau du Bassin Minier"}
    frame, script = lxml.html.fragments_fromstring(oembed["html"])  # the iframe, then the script that fits it
    assert frame.tag == "iframe" and frame.get("src") == f"{BASE}embed/episode/{SLUG}.html"
    assert script.tag == "script" and '"artoiscast:height"' in script.text and '"https://artoiscast.example"' in script.text
    assert int(frame.get("height")) == oembed["height"]
    assert (site / "transcripts" / f"{SLUG}.html").is_file()


EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>\"' onmouseover=alert(3) ]]> <a href='javascript:alert(4)'>x</a>"
EVIL_NOTES = ("### Titre <script>alert(5)</script>\n\n[lien](javascript:alert(6)) [ok](https://artoiscast.fr/)\n\n"
              "<a href=\"javascript:alert(7)\" onclick=\"alert(8)\">a</a> <iframe src=//evil></iframe>\n\n"
              "![img](https://evil.example/x.png) <img src=x onerror=alert(9)>\n")


def _assert_inert(doc: lxml.html.HtmlElement, where: str) -> None:
    """No script but ours, no event handler, no javascript: URL, no element from the input."""
    for s in doc.xpath("//script"):
        assert s.get("src") in OUR_SCRIPTS or s.get("type") == "application/ld+json", where
    assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")], where
    urls = doc.xpath("//@href|//@src|//@action|//@formaction|//@content")
    assert not [u for u in urls if u.strip().lower().startswith(("javascript:", "data:"))], where
    assert not doc.xpath("//iframe|//object|//embed"), where
    assert doc.xpath("//form/@action") in ([], [BASE + "search/"]), where  # the show's own search form only
    assert all(src.startswith(BASE) for src in doc.xpath("//img/@src")), where


def test_markup_typed_in_any_yaml_field_reaches_pages_and_feeds_as_text(tmp_path: Path, tools: None) -> None:
    root = make_catalog(tmp_path / "show")
    path = root / "episodes" / SLUG / "episode.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc.update(title="T " + EVIL, summary="S " + EVIL, notes=EVIL_NOTES, recorded="R " + EVIL, host="H " + EVIL,
               guests=[{"name": "N " + EVIL, "role": "R " + EVIL, "organisation": "O " + EVIL}],
               location={"name": ("L " + EVIL)[:128]})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (root / "episodes" / SLUG / "chapters.yaml").write_text(yaml.safe_dump(
        [{"start": 0, "title": "C " + EVIL}, {"start": 2.5, "title": "D"}], allow_unicode=True), encoding="utf-8")
    (root / "episodes" / SLUG / "transcript.vtt").write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v V &lt;script&gt;alert(10)&lt;/script&gt;>"
        "&lt;img src=x onerror=alert(11)&gt; <b>gras</b>\n", encoding="utf-8")
    build(root)
    site = root / "build" / "site"

    for page in pages(site):
        _assert_inert(parse(page), str(page))
    ep = parse(site / "episodes" / SLUG / "index.html")
    assert ep.xpath("//h1")[0].text_content() == "T " + EVIL  # shown as the text typed
    assert ep.xpath("//p[@class='place']")[0].text_content() == ("L " + EVIL)[:128]
    assert ep.xpath("//ul[@class='people']/li")[1].text_content() == f"N {EVIL}, R {EVIL} (O {EVIL})"
    assert ep.xpath("//ol[@class='cues']//cite")[0].text == "V <script>alert(10)</script>"
    assert json.loads(ep.xpath("//script[@type='application/ld+json']")[0].text)["name"] == "T " + EVIL
    notes = ep.xpath("//section[@class='notes']")[0]
    assert {el.tag for el in notes.iter()} <= {"section", "h2", "h3", "p", "a", "br", "strong", "em", "ul", "ol", "li"}
    assert notes.xpath(".//a/@href") == ["https://artoiscast.fr/", "https://evil.example/x.png"]  # an image is a link
    oembed = json.loads((site / "oembed" / f"{SLUG}.json").read_bytes())
    assert oembed["title"] == "T " + EVIL and [e.tag for e in lxml.html.fragments_fromstring(oembed["html"])] == ["iframe", "script"]

    for name in ("all", "economy"):
        fp = feedparser.parse((site / "feeds" / f"{name}.xml").read_bytes())
        assert not fp.bozo
        entry = [e for e in fp.entries if e.link == f"{BASE}episodes/{SLUG}/"][0]
        assert shown(entry.title_detail) == "T " + EVIL and shown(entry.summary_detail) == "S " + EVIL
        html = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")
        _assert_inert(html, name)
        assert {el.tag for el in html.iter()} <= {"div", "p", "ul", "ol", "li", "a", "strong", "em", "br", "h3"}
    assert lint_site(site) == []  # artoiscast check: no markup in any title, description or summary


def test_a_feed_taking_two_themes_links_an_episode_of_its_second_theme(built_catalog: Path, tmp_path: Path) -> None:
    """feeds/economy.yaml takes [economy, jobs] and Gazonor is only in jobs: feeds and themes are
    named apart, so the episode page links the feeds that take the episode, not its theme names."""
    from click.testing import CliRunner

    from artoiscast.cli import cli

    root = tmp_path / "show"
    shutil.copytree(built_catalog, root, symlinks=True)  # with the ingest cache: no audio work
    feed = root / "feeds" / "economy.yaml"
    feed.write_text(feed.read_text().replace("themes: [economy]", "themes: [economy, jobs]"))
    path = root / "episodes" / "gazonor-yann-fouant" / "episode.yaml"
    path.write_text(path.read_text().replace("themes: [energy]", "themes: [jobs]"))
    result = build(root)
    assert "gazonor-yann-fouant" in result.feeds["economy"] and "gazonor-yann-fouant" not in result.feeds["energy"]
    site = root / "build" / "site"
    doc = parse(site / "episodes" / "gazonor-yann-fouant" / "index.html")
    assert doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [
        BASE + "feeds/economy.xml", BASE + "feeds/all.xml"]
    links = doc.xpath("//article//p[@class='tags']/a")
    assert [(a.get("href"), a.text_content()) for a in links] == [(BASE + "themes/economy/", "économie")]
    # an episode in two themes that one feed takes: the feed once
    path.write_text(path.read_text().replace("themes: [jobs]", "themes: [jobs, economy]"))
    build(root)
    doc = parse(site / "episodes" / "gazonor-yann-fouant" / "index.html")
    assert doc.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [
        BASE + "feeds/economy.xml", BASE + "feeds/all.xml"]
    check = CliRunner().invoke(cli, ["check", "--root", str(root)])
    assert check.exit_code == 0 and "feeds: 0 errors" in check.stdout, check.output
