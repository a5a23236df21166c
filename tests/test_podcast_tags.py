"""The Podcasting 2.0 tags a producer asks for: funding, trailer, soundbite, season names and
episode displays, the directories' txt proofs and the locked owner. Each from its YAML to the
feed, read back by feedparser and podcastparser, validated at load, and (funding) on the pages.

What the two readers make of them (feedparser 6.0, podcastparser 0.6.11):
- feedparser keeps an unknown namespaced element that has attributes as a dict of those
  attributes, the last such element winning, and drops its text: it sees the last funding's
  ``url``, the last trailer's attributes, the last soundbite's ``starttime``/``duration``, season
  ``name``, episode ``display``, the last txt's ``purpose`` and locked's ``owner``; never the texts.
- podcastparser reads ``podcast:funding`` (the last ``url``, as ``funding_url``) and
  ``podcast:locked`` (``import_prohibited``), and none of the other tags, and only under the
  namespace's former URI (GitHub's ``.../docs/1.0.md``): under the official
  ``https://podcastindex.org/namespace/1.0``, which the feeds declare, it reads none. The tests
  show both: nothing read as published, and the same bytes with the former URI read right.
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import podcastparser
import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from artoiscast.build import build
from artoiscast.built import BuiltEpisode
from artoiscast.catalog import Catalog, load_catalog
from artoiscast.cli import cli
from artoiscast.errors import ErrorList
from artoiscast.feeds import render_feed
from artoiscast.lint import lint_feed, lint_feeds
from artoiscast.models import MediaRecord
from artoiscast.site import render_site
from conftest import make_catalog, write_episode

BASE = "https://artoiscast.example/"
NS = {"p": "https://podcastindex.org/namespace/1.0", "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
OLD_URI = b"https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ERBM = "erbm-melanie-delots"
EP = f"episodes/{ERBM}/episode.yaml"
MARKUP = "<b>gras</b> & <script>x</script>"


def edit(path: Path, **fields: Any) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc.update(fields)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def show(tmp_path: Path) -> Path:
    return make_catalog(tmp_path / "show", with_audio=False)


def built(cat: Catalog, now: datetime | None = None) -> dict[str, list[BuiltEpisode]]:
    """Each feed's episodes published by ``now`` (default: all), as the build hands them over."""
    by_slug = {e.slug: BuiltEpisode(episode=e, mp3=MediaRecord(f"media/{e.slug}/{e.slug}-0123abcd.mp3", 1000 + i,
                                                               200.0, {}), notes_html="<p>Notes</p>")
               for i, e in enumerate(cat.episodes)}
    return {name: [by_slug[e.slug] for e in cat.feed_episodes(f, now)] for name, f in cat.feeds.items()}


def feeds_of(cat: Catalog, now: datetime | None = None) -> dict[str, bytes]:
    items = built(cat, now)
    art = {name: f"art/{name}.png" for name in cat.feeds}
    return {name: render_feed(cat, cat.feeds[name], items[name], base_url=BASE, art=art,
                              built=datetime(2025, 4, 1, tzinfo=UTC)) for name in cat.feeds}


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ErrorList) as info:
        load_catalog(root, check_files=False)
    return [e.line() for e in info.value.errors]


def item(doc: etree._Element, slug: str) -> etree._Element:
    return next(i for i in doc.iter("item") if i.findtext("link") == f"{BASE}episodes/{slug}/")


def no_markup(text: str, expected: str) -> None:
    """``text`` (from the feed) shows ``expected`` and opens no element when read as HTML."""
    frag = lxml.html.fragment_fromstring(text, create_parent="div")
    assert len(frag) == 0 and frag.text_content() == expected, text


def podcastparser_of(xml: bytes, *, former_uri: bool = False) -> dict[str, Any]:
    data = xml.replace(NS["p"].encode(), OLD_URI) if former_uri else xml
    return dict(podcastparser.parse(f"{BASE}feeds/economy.xml", io.BytesIO(data)))


# ---------------------------------------------------------------- funding


def test_funding_in_the_channel_and_the_item_read_back(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / "podcast.yaml", funding=[{"url": f"{BASE}soutenir", "text": "Soutenir " + MARKUP},
                                         {"url": "https://fr.tipeee.example/radioscopie", "text": "Tipeee"}])
    edit(root / EP, funding=[{"url": f"{BASE}soutenir/erbm", "text": "Soutenir ce reportage"}])
    xml = feeds_of(load_catalog(root, check_files=False))["economy"]
    doc = etree.fromstring(xml)
    channel = doc.findall("channel/p:funding", NS)
    assert [f.get("url") for f in channel] == [f"{BASE}soutenir", "https://fr.tipeee.example/radioscopie"]
    no_markup(channel[0].text, "Soutenir " + MARKUP)
    assert [(f.get("url"), f.text) for f in item(doc, ERBM).findall("p:funding", NS)] == [
        (f"{BASE}soutenir/erbm", "Soutenir ce reportage")]
    assert item(doc, "mine-de-soleil-marie-piotrowski").find("p:funding", NS) is None
    assert lint_feed("economy", xml, base_url=BASE) == []

    fp = feedparser.parse(xml)
    assert not fp.bozo
    assert fp.feed.podcast_funding == {"url": "https://fr.tipeee.example/radioscopie"}  # the last one, no text
    entry = next(e for e in fp.entries if e.link.endswith(f"/{ERBM}/"))
    assert entry.podcast_funding == {"url": f"{BASE}soutenir/erbm"}
    assert "funding_url" not in podcastparser_of(xml)  # the official URI: podcastparser reads no podcast: tag
    assert podcastparser_of(xml, former_uri=True)["funding_url"] == "https://fr.tipeee.example/radioscopie"  # the last


def test_funding_is_shown_on_the_pages_and_in_the_embeds_as_text(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / "podcast.yaml", funding=[{"url": f"{BASE}soutenir", "text": "Soutenir " + MARKUP}])
    edit(root / EP, funding=[{"url": f"{BASE}soutenir/erbm", "text": "Ce reportage"},
                             {"url": f"{BASE}soutenir", "text": "le même lien"}])
    cat = load_catalog(root, check_files=False)
    pages = render_site(cat, built(cat), base_url=BASE, art={n: f"art/{n}.png" for n in cat.feeds})

    def links(path: str) -> list[tuple[str, str, str | None, str | None]]:
        page = lxml.html.fromstring(pages[path])
        assert not page.xpath("//b|//script[not(@src) and not(@type)]")  # the typed markup is text
        return [(a.text_content(), a.get("href"), a.get("rel"), a.get("target"))
                for a in page.xpath("//*[@class='funding']//a")]

    show_link = ("Soutenir " + MARKUP, f"{BASE}soutenir", "noopener", None)
    for path in ("index.html", "themes/energy/index.html", "episodes/gazonor-yann-fouant/index.html"):
        assert links(path) == [show_link], path
    # the episode's own link on its page, then the show's in the footer
    assert links(f"episodes/{ERBM}/index.html") == [("Ce reportage", f"{BASE}soutenir/erbm", "noopener", None),
                                                    ("le même lien", f"{BASE}soutenir", "noopener", None), show_link]
    # in an embed (another site's iframe), a new tab; the episode embed: its own link first, each address once
    assert links("embed/economy.html") == [("Soutenir " + MARKUP, f"{BASE}soutenir", "noopener", "_blank")]
    assert links(f"embed/episode/{ERBM}.html") == [("Ce reportage", f"{BASE}soutenir/erbm", "noopener", "_blank"),
                                                   ("le même lien", f"{BASE}soutenir", "noopener", "_blank")]

    plain = show(tmp_path / "plain")
    cat = load_catalog(plain, check_files=False)
    pages = render_site(cat, built(cat), base_url=BASE, art={n: f"art/{n}.png" for n in cat.feeds})
    assert not any(b'class="funding"' in data for data in pages.values())


@pytest.mark.parametrize(("value", "line"), [
    ([{"url": "javascript:alert(1)", "text": "x"}],
     'podcast.yaml: funding[0].url: "javascript:alert(1)" is not an http(s) URL (write the full address, '
     'e.g. https://example.org/page)'),
    ([{"url": "soutenir.html", "text": "x"}],
     'podcast.yaml: funding[0].url: "soutenir.html" is not an http(s) URL (write the full address, '
     'e.g. https://example.org/page)'),
    ([{"url": "https://a.example/", "text": "x" * 129}],
     "podcast.yaml: funding[0].text: is 129 characters; apps may cut it after 128 (shorten it)"),
    ([{"url": "https://a.example/"}], "podcast.yaml: funding[0].text: required field is missing (add it)"),
    ([{"url": "https://a.example/", "text": "x"}] * 9,
     "podcast.yaml: funding: holds 9 links; at most 8 (keep the ones that matter most)"),
    ([{"url": "https://a.example/", "texte": "x"}],
     "podcast.yaml: funding[0].texte: unknown key (did you mean 'text'?)"),
])
def test_a_bad_funding_link_is_one_line(tmp_path: Path, value: Any, line: str) -> None:
    root = show(tmp_path)
    edit(root / "podcast.yaml", funding=value)
    assert errors_of(root) == [line]
    edit(root / "podcast.yaml", funding=[])
    edit(root / EP, funding=value)
    assert errors_of(root) == [line.replace("podcast.yaml", EP)]


# ---------------------------------------------------------------- trailer


def test_each_feed_lists_its_published_trailers_newest_first(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / EP, type="trailer", season=2)  # economy, 2025-03-01
    write_episode(root, "bande-annonce-economie", """\
        title: "Bande-annonce : l'économie de l'Artois"
        date: 2025-03-20T09:30
        type: trailer
        themes: [economy]
        summary: "Ce que vous entendrez cette saison."
        audio: audio.wav
        """)
    write_episode(root, "bande-annonce-energie", """\
        title: "Bande-annonce : l'énergie"
        date: 2031-01-01
        type: trailer
        themes: [energy]
        summary: "Bientôt."
        audio: audio.wav
        """)
    cat = load_catalog(root, check_files=False)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    feeds = feeds_of(cat, now)
    doc = etree.fromstring(feeds["economy"])
    trailers = doc.findall("channel/p:trailer", NS)
    assert [t.text for t in trailers] == ["Bande-annonce : l'économie de l'Artois",
                                         "L'ERBM : Engagement pour le Renouveau du Bassin Minier"]
    for t, slug in zip(trailers, ["bande-annonce-economie", ERBM], strict=True):
        it = item(doc, slug)  # the trailer is also an item; the tag is its enclosure, with its date
        enc = it.find("enclosure")
        assert (t.get("url"), t.get("length"), t.get("type")) == (enc.get("url"), enc.get("length"), enc.get("type"))
        assert t.get("pubdate") == it.findtext("pubDate")
        assert it.findtext("itunes:episodeType", namespaces=NS) == "trailer"
    assert trailers[0].get("pubdate") == "Thu, 20 Mar 2025 09:30:00 +0100"
    assert [t.get("season") for t in trailers] == [None, "2"]
    assert list(trailers[1].keys()) == ["url", "pubdate", "length", "type", "season"]
    # only the feed's own trailers, and not one scheduled after now
    assert etree.fromstring(feeds["energy"]).findall("channel/p:trailer", NS) == []
    assert len(etree.fromstring(feeds["all"]).findall("channel/p:trailer", NS)) == 2
    assert b"bande-annonce-energie" not in feeds["energy"] + feeds["all"]
    later = feeds_of(cat, datetime(2031, 1, 2, tzinfo=UTC))
    assert [t.text for t in etree.fromstring(later["energy"]).findall("channel/p:trailer", NS)] == [
        "Bande-annonce : l'énergie"]

    fp = feedparser.parse(feeds["economy"])
    assert fp.feed.podcast_trailer == {"url": trailers[1].get("url"), "pubdate": "Sat, 01 Mar 2025 00:00:00 +0100",
                                       "length": trailers[1].get("length"), "type": "audio/mpeg", "season": "2"}
    assert [e.get("podcast_trailer") for e in fp.entries] == [None] * len(fp.entries)
    pp = podcastparser_of(feeds["economy"], former_uri=True)  # the items' itunes:episodeType only
    assert not [k for k in pp if "trailer" in k] and [e["type"] for e in pp["episodes"]][:1] == ["trailer"]


# ---------------------------------------------------------------- soundbite


def test_soundbites_from_the_episode_yaml(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / EP, soundbites=[{"start": 73.5, "duration": 30, "title": "Le moment " + MARKUP},
                                {"start": "00:02:00", "duration": "00:00:20.25"}])
    cat = load_catalog(root, check_files=False)
    assert cat.warnings == []  # both within 15-120 s
    xml = feeds_of(cat)["economy"]
    bites = item(etree.fromstring(xml), ERBM).findall("p:soundbite", NS)
    assert [(b.get("startTime"), b.get("duration")) for b in bites] == [("73.5", "30.0"), ("120.0", "20.25")]
    no_markup(bites[0].text, "Le moment " + MARKUP)
    assert bites[1].text is None  # no title: apps show the episode's
    fp = feedparser.parse(xml)
    assert next(e for e in fp.entries if e.link.endswith(f"/{ERBM}/")).podcast_soundbite == {
        "starttime": "120.0", "duration": "20.25"}
    assert "soundbite" not in str(podcastparser_of(xml, former_uri=True))


@pytest.mark.parametrize(("bite", "line"), [
    ({"start": -1, "duration": 30}, "soundbites[0].start: -1 is negative (a soundbite starts at 0 or later)"),
    ({"start": ".nan", "duration": 30}, 'soundbites[0].start: ".nan" is not a time (use HH:MM:SS.mmm or seconds)'),
    ({"start": 1e308, "duration": 30}, "soundbites[0].start: 1e+308 is longer than any episode (at most 100 hours)"),
    ({"start": 0, "duration": 0}, "soundbites[0].duration: is 0 (give how long it lasts, in seconds: 15 to 120 is "
                                  "recommended)"),
    ({"start": 0, "duration": "longtemps"},
     'soundbites[0].duration: "longtemps" is not a time (use HH:MM:SS.mmm or seconds)'),
    ({"start": 0, "duration": 30, "title": "x" * 129},
     "soundbites[0].title: is 129 characters; apps may cut it after 128 (shorten it)"),
    ({"start": 0}, "soundbites[0].duration: required field is missing (add it)"),
])
def test_a_bad_soundbite_is_one_line(tmp_path: Path, bite: dict[str, Any], line: str) -> None:
    root = show(tmp_path)
    edit(root / EP, soundbites=[bite])
    assert errors_of(root) == [f"{EP}: {line}"]


def test_a_soundbite_outside_15_to_120_s_is_a_warning(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / EP, soundbites=[{"start": 0, "duration": 10}, {"start": 20, "duration": 120},
                                {"start": 200, "duration": 300}])
    warnings = [w.line() for w in load_catalog(root, check_files=False).warnings if "soundbites" in w.line()]
    assert warnings == [
        f"{EP}: soundbites[0].duration: 10 s: the namespace recommends 15 to 120 s for a soundbite (apps may skip it)",
        f"{EP}: soundbites[2].duration: 300 s: the namespace recommends 15 to 120 s for a soundbite (apps may skip it)"]
    result = CliRunner().invoke(cli, ["check", "--catalog-only", "--strict", "--root", str(root)])
    assert result.exit_code == 1 and f"warning: {warnings[0]}\n" in result.stderr


@pytest.fixture
def copied(tmp_path: Path, built_catalog: Path) -> Path:
    """The session's built catalog, copied with its ingest cache (a build here encodes nothing)."""
    dest = tmp_path / "show"
    shutil.copytree(built_catalog, dest, symlinks=True)
    return dest


def test_a_soundbite_past_the_end_of_the_audio_fails_the_build_in_one_line(copied: Path) -> None:
    record = next((copied / "build" / "ingest" / ERBM).glob("*.json"))
    duration = yaml.safe_load(record.read_text())["duration"]  # what the build knows of the audio
    edit(copied / EP, soundbites=[{"start": 0.5, "duration": 2}, {"start": 1.0, "duration": duration}])
    before = (copied / "build" / "site" / "feeds" / "economy.xml").read_bytes()
    with pytest.raises(ErrorList) as info:
        build(copied)
    end = 1.0 + duration
    assert [e.line() for e in info.value.errors] == [
        f"{EP}: soundbites[1]: ends at {end:.1f} s (1 + {duration:g}), after the end of the audio ({duration:.1f} s): "
        "move its start or shorten it"]
    assert (copied / "build" / "site" / "feeds" / "economy.xml").read_bytes() == before  # nothing half-written
    result = CliRunner().invoke(cli, ["build", "--root", str(copied)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    edit(copied / EP, soundbites=[{"start": 0.5, "duration": 2}])
    build(copied)
    xml = (copied / "build" / "site" / "feeds" / "economy.xml").read_bytes()
    assert b'<podcast:soundbite startTime="0.5" duration="2.0"/>' in xml
    # check: the built feed is clean but for the length the namespace recommends
    result = CliRunner().invoke(cli, ["check", "--root", str(copied)])
    assert result.exit_code == 0, result.stderr
    assert f"warning: {EP}: soundbites[0].duration: 2 s: the namespace recommends" in result.stderr
    assert "soundbite: podcast:soundbite lasts 2 s (the namespace recommends 15 to 120)" in result.stderr


# ---------------------------------------------------------------- season name, episode display


def test_season_name_and_episode_display(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / EP, season=2, season_name="Le bassin minier <2025>", episode=3, episode_display="Ép. 3 " + MARKUP[:9])
    xml = feeds_of(load_catalog(root, check_files=False))["economy"]
    it = item(etree.fromstring(xml), ERBM)
    season, episode = it.find("p:season", NS), it.find("p:episode", NS)
    assert (season.text, episode.text) == ("2", "3")
    no_markup(season.get("name"), "Le bassin minier <2025>")
    no_markup(episode.get("display"), "Ép. 3 " + MARKUP[:9])
    assert it.findtext("itunes:season", namespaces=NS) == "2"
    entry = next(e for e in feedparser.parse(xml).entries if e.link.endswith(f"/{ERBM}/"))
    assert entry.podcast_season == {"name": "Le bassin minier <2025>"} and entry.itunes_season == "2"
    assert list(entry.podcast_episode) == ["display"]  # as written: HTML-safe text
    no_markup(entry.podcast_episode["display"], "Ép. 3 " + MARKUP[:9])
    pp = next(e for e in podcastparser_of(xml, former_uri=True)["episodes"] if e["link"].endswith(f"/{ERBM}/"))
    assert pp["season"] == 2 and pp["number"] == 3  # from itunes:season and itunes:episode: no name, no display

    plain = feeds_of(load_catalog(show(tmp_path / "plain"), check_files=False))["economy"]
    assert b"name=" not in plain and b"display=" not in plain


def test_bad_season_names_and_displays(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / EP, season_name="Saison")
    assert errors_of(root) == [f"{EP}: season_name: needs season (the season's number: podcast:season carries both)"]
    edit(root / EP, season=1, episode=1, episode_display="x" * 33)
    assert errors_of(root) == [f"{EP}: episode_display: is 33 characters; apps may cut it after 32 (shorten it)"]
    edit(root / EP, episode_display="Un", season_name="s" * 129)
    assert errors_of(root) == [f"{EP}: season_name: is 129 characters; apps may cut it after 128 (shorten it)"]
    edit(root / EP, season_name="Le renouveau", season=10**12)  # numbers are bounded too
    assert errors_of(root) == [f"{EP}: season: Input should be less than or equal to 10000"]
    edit(root / EP, season=1)
    edit(root / "episodes" / "gazonor-yann-fouant" / "episode.yaml", season=1, season_name="La saison du gaz")
    assert [w.line() for w in load_catalog(root, check_files=False).warnings if "season" in w.line()] == [
        'episodes/gazonor-yann-fouant/episode.yaml: season_name: "La saison du gaz" names season 1, which '
        f'episodes/{ERBM} calls "Le renouveau" (give every episode of a season the same name)']


# ---------------------------------------------------------------- txt: verify, applepodcastsverify


def test_verification_tokens_go_into_every_feed_exactly(tmp_path: Path) -> None:
    root = show(tmp_path)
    token = "S6lpp-7ZCn8&dZfGc=OoyaG+/é"
    edit(root / "podcast.yaml", txt=[{"purpose": "verify", "value": token},
                                     {"purpose": "applepodcastsverify", "value": "05124"}])
    feeds = feeds_of(load_catalog(root, check_files=False))
    for name, xml in feeds.items():
        records = etree.fromstring(xml).findall("channel/p:txt", NS)
        assert [(t.get("purpose"), t.text) for t in records] == [("verify", token),
                                                                 ("applepodcastsverify", "05124")], name
        assert all(t.get("purpose") == "ai-content" for t in etree.fromstring(xml).findall("channel/item/p:txt", NS))
    fp = feedparser.parse(feeds["economy"])
    assert fp.feed.podcast_txt == {"purpose": "applepodcastsverify"}  # the last one's attributes, not the token
    assert "txt" not in str(podcastparser_of(feeds["economy"], former_uri=True))


@pytest.mark.parametrize(("txt", "line"), [
    ([{"purpose": "verify", "value": "<b>x</b>"}],
     "txt[0].value: holds markup (a verification token is plain text: paste the token alone)"),
    ([{"purpose": "verify", "value": "a\nb"}],
     "txt[0].value: holds a line break (a verification token is one line: paste the token alone)"),
    ([{"purpose": "verify", "value": "x" * 4001}],
     "txt[0].value: is 4001 characters; aggregators may cut it after 4000 (paste the token alone)"),
    ([{"purpose": "ai-content", "value": "true"}],
     "txt[0].purpose: \"ai-content\" is not allowed (use 'verify' or 'applepodcastsverify')"),
    ([{"purpose": "applepodcastsverify", "value": "1"}, {"purpose": "applepodcastsverify", "value": "2"}],
     "txt: holds more than one applepodcastsverify (Apple gives one code per show: keep the latest)"),
    ([{"purpose": "verify", "value": ""}], "txt[0].value: String should have at least 1 character"),
])
def test_a_bad_txt_record_is_one_line(tmp_path: Path, txt: list[dict[str, str]], line: str) -> None:
    root = show(tmp_path)
    edit(root / "podcast.yaml", txt=txt)
    assert errors_of(root) == [f"podcast.yaml: {line}"]


def test_a_token_of_4000_characters_is_carried_whole(tmp_path: Path) -> None:
    root = show(tmp_path)
    edit(root / "podcast.yaml", txt=[{"purpose": "verify", "value": "v" * 4000}])
    xml = feeds_of(load_catalog(root, check_files=False))["all"]
    assert etree.fromstring(xml).findtext("channel/p:txt", namespaces=NS) == "v" * 4000


# ---------------------------------------------------------------- locked owner


def test_locked_carries_the_owner_email_and_check_warns_without_it(tmp_path: Path) -> None:
    root = show(tmp_path)  # conftest: owner with an e-mail
    xml = feeds_of(load_catalog(root, check_files=False))["economy"]
    locked = etree.fromstring(xml).find("channel/p:locked", NS)
    assert (locked.text, dict(locked.attrib)) == ("yes", {"owner": "contact@artoiscast.example"})
    assert feedparser.parse(xml).feed.podcast_locked == {"owner": "contact@artoiscast.example"}
    assert "import_prohibited" not in podcastparser_of(xml)
    assert podcastparser_of(xml, former_uri=True)["import_prohibited"] is True

    edit(root / "podcast.yaml", owner={"name": "René Lavergne"})
    feeds = feeds_of(load_catalog(root, check_files=False))
    assert etree.fromstring(feeds["economy"]).find("channel/p:locked", NS).attrib == {}
    found = [f.line() for f in lint_feeds(feeds, base_url=BASE) if f.rule == "locked-owner"]
    assert found == [f"feeds/{name}.xml: channel: locked-owner: podcast:locked has no owner e-mail: a platform asked "
                     "to import the feed cannot verify a move, and some ignore the lock without one (set owner.email "
                     "in podcast.yaml)" for name in sorted(feeds)]
    assert all(f.level == "warning" for f in lint_feeds(feeds, base_url=BASE) if f.rule == "locked-owner")
