"""The feed linter: each rule has a feed that breaks it; the live prober against real HTTP servers."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiohttp import web
from click.testing import CliRunner

from artoiscast import serve
from artoiscast.build import build
from artoiscast.cli import cli
from artoiscast.lint import Finding, is_uuid5, lint_feed, lint_feeds, lint_site, probe_live
from conftest import make_png

BASE = "https://artoiscast.example/"
ERBM = "81a21ec5-3c44-5e91-8ea8-e1dbb1244f0a"
LOCKED = '<podcast:locked owner="contact@artoiscast.example">yes</podcast:locked>'  # conftest: owner with an e-mail


@pytest.fixture(scope="module")
def site(built_catalog: Path) -> Path:
    return built_catalog / "build" / "site"


@pytest.fixture(scope="module")
def sizes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_size for p in (site / "media").rglob("*.mp3")}


@pytest.fixture(scope="module")
def feeds(site: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in (site / "feeds").glob("*.xml")}


def rules(found: list[Finding], level: str | None = None) -> set[str]:
    return {f.rule for f in found if level is None or f.level == level}


def test_built_feeds_are_clean(site: Path) -> None:
    assert lint_site(site, now=datetime(2030, 1, 1, tzinfo=timezone.utc)) == []


def test_uuid5_shape() -> None:
    assert is_uuid5("9b024349-ccf0-5f69-a609-6b82873eab3c")
    assert not is_uuid5("9b024349-ccf0-4f69-a609-6b82873eab3c")  # version 4
    assert not is_uuid5("9B024349-CCF0-5F69-A609-6B82873EAB3C")  # not canonical
    assert not is_uuid5("podnews.net/rss")


def _sub(data: bytes, old: str, new: str, count: int = 1) -> bytes:
    """Replace ``old`` (a regex when it starts with "re:") once."""
    text = data.decode()
    if old.startswith("re:"):
        text, n = re.subn(old[3:], new, text, count=1)
        assert n == 1, old
        return text.encode()
    assert old in text, old
    return text.replace(old, new, count).encode()


ERBM_ENC = 're:(erbm-melanie-delots-[0-9a-f]{8}\\.mp3\\?feed=economy") length="\\d+" type="audio/mpeg"'


MEDIUM = "<podcast:medium>podcast</podcast:medium>"  # where a channel tag is put in
LENS = '<podcast:location country="FR">Lens</podcast:location>'  # where an item tag is put in (ERBM's)
PUBDATE = "Sat, 01 Mar 2025 00:00:00 +0100"
TRAILER = ('<podcast:trailer url="https://artoiscast.example/media/t.mp3" pubdate="{pubdate}" length="{length}" '
           'type="audio/mpeg"{season}>{title}</podcast:trailer>')

ERBM_ITEM = re.compile(r"<item>(?:(?!</item>).)*?81a21ec5.*?</item>", re.S)

# (feed, text to replace (a regex when it starts with "re:"), replacement, rule, where, level)
BROKEN = [
    ("economy", "<channel>", "<channel><foo>", "xml", "channel", "error"),
    ("economy", 'version="2.0"', 'version="0.91"', "rss", "channel", "error"),
    ("economy", "http://www.itunes.com/dtds/podcast-1.0.dtd", "http://www.itunes.com/DTDs/Podcast-1.0.dtd", "namespace",
     "channel", "error"),
    ("economy", "<language>fr</language>", "", "required", "channel", "error"),
    ("economy", "<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:type>", "required", "channel",
     "error"),
    ("economy", LOCKED, "", "recommended", "channel", "warning"),
    ("economy", 'href="https://artoiscast.example/feeds/economy.xml"', 'href="https://artoiscast.example/economy.rss"',
     "self-link", "channel", "error"),
    ("economy", "<description>Les sujets economy.</description>", f"<description>{'é' * 2001}</description>",
     "description-length", "channel", "error"),
    ("economy", "<language>fr</language>", "<language>French</language>", "language", "channel", "error"),
    ("economy", "<itunes:explicit>false</itunes:explicit>\n    <itunes:type>", "<itunes:explicit>no</itunes:explicit>"
     "<itunes:type>", "explicit", "channel", "error"),
    ("economy", 'text="Entrepreneurship"', 'text="Startups"', "category", "channel", "error"),
    ("economy", '<itunes:category text="Business">', '<itunes:category text="Buisness">', "category", "channel", "error"),
    ("economy", "<podcast:guid>c89da366-47e5-527b-adf9-2fd4f0d88340", "<podcast:guid>c89da366-47e5-427b-adf9-2fd4f0d88340",
     "podcast-guid", "channel", "error"),
    ("economy", '.example">yes</podcast:locked>', '.example">true</podcast:locked>', "locked", "channel", "error"),
    ("economy", "<podcast:medium>podcast", "<podcast:medium>radio", "medium", "channel", "error"),
    ("economy", "<itunes:type>episodic", "<itunes:type>serial", "type", "item e9c68c0d-252f-512a-90d5-4f712a898afd",
     "error"),
    ("economy", "<podcast:medium>podcast</podcast:medium>", "<podcast:medium>podcast</podcast:medium>"
     '<podcast:updateFrequency rrule="every two weeks">Toutes les deux semaines</podcast:updateFrequency>',
     "update-frequency", "channel", "error"),
    ("economy", "<podcast:medium>podcast</podcast:medium>", "<podcast:medium>podcast</podcast:medium>"
     '<podcast:updateFrequency rrule="FREQ=WEEKLY"> </podcast:updateFrequency>', "update-frequency", "channel", "error"),
    ("economy", 'medium="publisher"', 'medium="podcast"', "publisher", "channel", "error"),
    ("economy", 'feedGuid="eb92f505-d446-5acf-89c8-beafc9f2b9ad"', 'feedGuid="energy"', "remote-item", "channel",
     "error"),
    ("economy", '<podcast:person role="guest" group="cast">Mélanie Delots',
     '<podcast:person role="guest" group="cast" img="delots.jpg">Mélanie Delots', "person", f"item {ERBM}", "error"),
    ("economy", '<podcast:person role="guest" group="cast">Mélanie Delots</podcast:person>',
     '<podcast:person role="guest"> </podcast:person>', "person", f"item {ERBM}", "error"),
    ("economy", '<podcast:location country="FR">', '<podcast:location country="France">', "location", f"item {ERBM}",
     "error"),
    ("economy", '<podcast:location country="FR">', '<podcast:location geo="50.43,2.83">', "location", f"item {ERBM}",
     "error"),
    ("economy", "e9c68c0d-252f-512a-90d5-4f712a898afd", ERBM, "guid-unique", f"item {ERBM}", "error"),
    ("economy", '<guid isPermaLink="false">81a21ec5-3c44-5e91-8ea8-e1dbb1244f0a</guid>', "", "required",
     "item \"L'ERBM : Engagement pour le Renouveau du Bassin Minier\"", "error"),
    ("economy", ERBM_ENC, r'\1 type="audio/mpeg"', "enclosure", f"item {ERBM}", "error"),
    ("economy", ERBM_ENC, r'\1 length="1" type="audio/wav"', "enclosure-type", f"item {ERBM}", "error"),
    ("economy", ERBM_ENC, r'\1 length="1" type="audio/mpeg"', "enclosure-length", f"item {ERBM}", "error"),
    ("economy", ERBM_ENC, r'\1 length="60 kB" type="audio/mpeg"', "enclosure-length", f"item {ERBM}", "error"),
    ("economy", "<pubDate>Sat, 01 Mar 2025 00:00:00 +0100", "<pubDate>2025-03-01", "pubdate", f"item {ERBM}", "error"),
    ("economy", "<pubDate>Sat, 01 Mar 2025 00:00:00 +0100", "<pubDate>Sat, 01 Mar 2025 00:00:00", "pubdate",
     f"item {ERBM}", "error"),
    ("economy", "<pubDate>Sat, 01 Mar 2025 00:00:00 +0100", "<pubDate>Sun, 16 Mar 2025 00:00:00 +0100", "order",
     f"item {ERBM}", "error"),
    ("economy", "<itunes:duration>3</itunes:duration>\n      <itunes:explicit>false</itunes:explicit>\n      "
                "<itunes:episodeType>full</itunes:episodeType>\n      <itunes:image href=\"https://artoiscast.example/art/"
                "economy-50628693.png\"/>\n      <podcast:person role=\"host\" group=\"cast\">René Lavergne</podcast:person>"
                "\n      <podcast:person role=\"guest\" group=\"cast\">Mélanie",
     "<itunes:duration>00:00:03</itunes:duration><podcast:person role=\"guest\" group=\"cast\">Mélanie", "duration",
     f"item {ERBM}", "error"),
    ("economy", "<description>Mélanie Delots présente", "<description>&lt;b&gt;Mélanie&lt;/b&gt; Delots présente",
     "html", f"item {ERBM}", "warning"),
    ("economy", "<itunes:episodeType>full</itunes:episodeType>\n      <itunes:image href=\"https://artoiscast.example/"
                "art/economy-50628693.png\"/>\n      <podcast:person role=\"host\" group=\"cast\">René Lavergne"
                "</podcast:person>\n      <podcast:person role=\"guest\" group=\"cast\">Mélanie",
     "<itunes:episodeType>full</itunes:episodeType><itunes:season>0</itunes:season>"
     "<podcast:person role=\"guest\" group=\"cast\">Mélanie", "season-episode", f"item {ERBM}", "error"),
    ("economy", "<itunes:episodeType>full</itunes:episodeType>\n      <itunes:image href=\"https://artoiscast.example/"
                "art/economy-50628693.png\"/>\n      <podcast:person role=\"host\" group=\"cast\">René Lavergne"
                "</podcast:person>\n      <podcast:person role=\"guest\" group=\"cast\">Mélanie",
     "<itunes:episodeType>extra</itunes:episodeType><podcast:person role=\"guest\" group=\"cast\">Mélanie",
     "episode-type", f"item {ERBM}", "error"),
    ("economy", 'type="text/vtt"', 'type="text/webvtt"', "transcript", f"item {ERBM}", "error"),
    ("economy", 'type="application/json+chapters"', 'type="application/json"', "chapters", f"item {ERBM}", "error"),
    ("economy", '<podcast:txt purpose="ai-content">false</podcast:txt>\n    </item>\n  </channel>',
     '<podcast:txt purpose="ai-content">no</podcast:txt></item></channel>', "txt", f"item {ERBM}", "error"),
    ("economy", "<title>Radioscopie de l'Artois : économie</title>\n    <link>",
     f"<title>{'x' * 256}</title><link>", "text-length", "channel", "warning"),
    ("economy", "<podcast:medium>podcast</podcast:medium>",
     '<podcast:medium>podcast</podcast:medium><podcast:images srcset="https://a.example/a.png 1400w"/>',
     "deprecated", "channel", "error"),
    ("economy", "<podcast:medium>podcast</podcast:medium>",
     "<podcast:medium>podcast</podcast:medium><podcast:rating>clean</podcast:rating>", "non-standard", "channel",
     "error"),
    ("economy", "https://artoiscast.example/transcripts/erbm-melanie-delots.vtt",
     "http://artoiscast.example/transcripts/erbm-melanie-delots.vtt", "https", f"item {ERBM}", "warning"),
    # the tags a producer sets (lint/namespace.py): funding, trailer, soundbite, txt, locked owner, names
    ("economy", MEDIUM, MEDIUM + '<podcast:funding url="javascript:alert(1)">Soutenir</podcast:funding>', "funding",
     "channel", "error"),
    ("economy", MEDIUM, MEDIUM + '<podcast:funding url="https://a.example/"/>', "funding", "channel", "warning"),
    ("economy", MEDIUM, MEDIUM + f'<podcast:funding url="https://a.example/">{"x" * 129}</podcast:funding>',
     "text-length", "channel", "warning"),
    ("economy", LENS, LENS + '<podcast:funding url="http://a.example/">Soutenir</podcast:funding>', "https",
     f"item {ERBM}", "warning"),
    ("economy", MEDIUM, MEDIUM + TRAILER.format(pubdate="2025-03-01", length="1", season="", title="T"), "trailer",
     "channel", "error"),
    ("economy", MEDIUM, MEDIUM + TRAILER.format(pubdate=PUBDATE, length="1 Mo", season="", title="T"), "trailer",
     "channel", "error"),
    ("economy", MEDIUM, MEDIUM + TRAILER.format(pubdate=PUBDATE, length="1", season=' season="0"', title="T"),
     "trailer", "channel", "error"),
    ("economy", MEDIUM, MEDIUM + TRAILER.format(pubdate=PUBDATE, length="1", season="", title=" "), "trailer",
     "channel", "error"),
    ("economy", MEDIUM, MEDIUM + TRAILER.format(pubdate=PUBDATE, length="1", season="", title="T").replace(
        ' type="audio/mpeg"', ""), "trailer", "channel", "warning"),
    ("economy", LENS, LENS + '<podcast:soundbite startTime="2" duration="20"/>', "soundbite", f"item {ERBM}", "error"),
    ("economy", LENS, LENS + '<podcast:soundbite startTime="0:01" duration="2"/>', "soundbite", f"item {ERBM}",
     "error"),
    ("economy", LENS, LENS + '<podcast:soundbite startTime="0" duration="0"/>', "soundbite", f"item {ERBM}", "error"),
    ("economy", LENS, LENS + '<podcast:soundbite startTime="0.5" duration="2.0"/>', "soundbite", f"item {ERBM}",
     "warning"),
    ("economy", LENS, LENS + f'<podcast:soundbite startTime="0" duration="2">{"x" * 129}</podcast:soundbite>',
     "text-length", f"item {ERBM}", "warning"),
    ("economy", MEDIUM, MEDIUM + '<podcast:txt purpose="verify"> </podcast:txt>', "txt", "channel", "error"),
    ("economy", MEDIUM, MEDIUM + f'<podcast:txt purpose="applepodcastsverify">{"1" * 4001}</podcast:txt>', "txt",
     "channel", "error"),
    ("economy", MEDIUM, MEDIUM + '<podcast:txt purpose="ai-content">oui</podcast:txt>', "txt", "channel", "error"),
    ("economy", LOCKED, "<podcast:locked>yes</podcast:locked>", "locked-owner", "channel", "warning"),
    ("economy", LOCKED, '<podcast:locked owner="René Lavergne">yes</podcast:locked>', "locked-owner", "channel",
     "error"),
    ("economy", LENS, LENS + f'<podcast:season name="{"s" * 129}">1</podcast:season>', "text-length", f"item {ERBM}",
     "warning"),
    ("economy", LENS, LENS + f'<podcast:episode display="{"e" * 33}">1</podcast:episode>', "text-length",
     f"item {ERBM}", "warning"),
]
BROKEN = [b for b in BROKEN if b[3]]


@pytest.mark.parametrize(("feed", "old", "new", "rule", "where", "level"), BROKEN,
                         ids=[f"{b[3]}-{i}" for i, b in enumerate(BROKEN)])
def test_each_rule_fires_on_a_feed_that_breaks_it(feeds: dict[str, bytes], sizes: dict[str, int], feed: str, old: str,
                                                  new: str, rule: str, where: str, level: str) -> None:
    clean = lint_feed(feed, feeds[feed], base_url=BASE, sizes=sizes)
    assert clean == []
    found = lint_feed(feed, _sub(feeds[feed], old, new), base_url=BASE, sizes=sizes)
    hits = [f for f in found if f.rule == rule]
    assert hits, found
    assert hits[0].where == where and hits[0].level == level, hits
    assert hits[0].line().startswith(f"feeds/{feed}.xml: {where}: {rule}: ")


def test_a_feed_without_update_frequency_is_clean(feeds: dict[str, bytes]) -> None:
    """podcast:updateFrequency is optional: a feed whose dates show no cadence honestly omits it."""
    assert b"updateFrequency" not in feeds["economy"]  # two episodes: no cadence to claim
    stated = _sub(feeds["economy"], "<podcast:medium>podcast</podcast:medium>", "<podcast:medium>podcast</podcast:medium>"
                  '<podcast:updateFrequency rrule="FREQ=WEEKLY">Chaque semaine</podcast:updateFrequency>')
    for data in (feeds["economy"], stated):
        assert lint_feed("economy", data, base_url=BASE) == []


def test_item_description_over_4000_bytes(feeds: dict[str, bytes]) -> None:
    long = _sub(feeds["economy"], "<description>Mélanie Delots présente",
                "<description>" + "mot " * 1001 + "Mélanie Delots présente")
    found = lint_feed("economy", long, base_url=BASE)
    assert [(f.where, f.rule) for f in found] == [(f"item {ERBM}", "description-length")]


def test_enclosure_used_twice(feeds: dict[str, bytes]) -> None:
    mine = re.search(rb'url="[^"]*mine-de-soleil-marie-piotrowski-[0-9a-f]{8}\.mp3\?feed=economy"', feeds["economy"])
    twice = re.sub(rb'url="[^"]*erbm-melanie-delots-[0-9a-f]{8}\.mp3\?feed=economy"', mine.group(0), feeds["economy"])
    assert "enclosure-unique" in rules(lint_feed("economy", twice, base_url=BASE))


def test_scheduled_episode_in_a_feed(feeds: dict[str, bytes]) -> None:
    found = lint_feed("economy", feeds["economy"], now=datetime(2025, 3, 10, tzinfo=timezone.utc))
    assert [(f.where, f.rule) for f in found] == [("item e9c68c0d-252f-512a-90d5-4f712a898afd", "scheduled")]


def test_a_scheduled_trailer_in_a_feed(feeds: dict[str, bytes]) -> None:
    trailer = TRAILER.format(pubdate="Sat, 01 Mar 2031 00:00:00 +0100", length="1", season=' season="2"', title="T")
    found = lint_feed("economy", _sub(feeds["economy"], MEDIUM, MEDIUM + trailer),
                      now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert [(f.where, f.rule, f.level) for f in found] == [("channel", "scheduled", "error")]
    assert found[0].message == ("podcast:trailer pubdate Sat, 01 Mar 2031 00:00:00 +0100 is in the future (a scheduled "
                                "trailer is in the feed)")


def test_the_tags_a_producer_sets_are_clean_when_well_formed(feeds: dict[str, bytes]) -> None:
    ok = _sub(feeds["economy"], MEDIUM, MEDIUM + '<podcast:funding url="https://a.example/">Soutenir</podcast:funding>'
              + TRAILER.format(pubdate=PUBDATE, length="12", season=' season="2"', title="Bande-annonce")
              + '<podcast:txt purpose="verify">S6lpp-7ZCn8</podcast:txt>')
    ok = _sub(ok, LENS, LENS + '<podcast:soundbite startTime="0.5" duration="15.0">Le moment</podcast:soundbite>'
              '<podcast:season name="Le bassin">2</podcast:season><podcast:episode display="Ép. 3">3</podcast:episode>')
    found = lint_feed("economy", ok, base_url=BASE)
    assert [(f.rule, f.message) for f in found] == [
        ("soundbite", "podcast:soundbite ends at 15.5 s, after the episode's end (3 s)")]  # a 3 s test clip


def test_no_items_is_a_warning(feeds: dict[str, bytes]) -> None:
    empty = re.sub(rb"<item>.*</item>", b"", feeds["economy"], flags=re.S)
    found = lint_feed("economy", empty, base_url=BASE)
    assert rules(found, "warning") == {"items"} and rules(found, "error") == set()


def test_same_episode_must_have_the_same_guid_in_every_feed(feeds: dict[str, bytes]) -> None:
    assert lint_feeds(feeds, base_url=BASE) == []
    other = dict(feeds, energy=_sub(feeds["energy"], "e9c68c0d-252f-512a-90d5-4f712a898afd",
                                    "e9c68c0d-252f-512a-90d5-4f712a898afe"))
    found = lint_feeds(other, base_url=BASE)
    assert [(f.feed, f.rule) for f in found] == [("feeds/energy.xml", "guid-across-feeds")]


OP3 = "https://op3.dev/e/"


def behind_op3(data: bytes, base: str) -> bytes:
    """The feed's enclosures behind OP3's prefix, by its rule (the scheme kept for plain http)."""
    target = base if base.startswith("http://") else base.split("://", 1)[1]
    return data.replace(f'<enclosure url="{base}'.encode(), f'<enclosure url="{OP3}{target}'.encode())


def test_enclosures_behind_the_op3_prefix_are_checked_against_the_real_files(feeds: dict[str, bytes],
                                                                             sizes: dict[str, int]) -> None:
    prefixed = {name: behind_op3(data, BASE) for name, data in feeds.items()}
    assert prefixed["economy"] != feeds["economy"] and b"op3.dev/e/artoiscast.example/media/" in prefixed["economy"]
    assert lint_feeds(prefixed, base_url=BASE, sizes=sizes) == []
    erbm = 're:(op3\\.dev/e/artoiscast\\.example/media/erbm-melanie-delots/erbm-melanie-delots-[0-9a-f]{8}\\.mp3\\?feed=economy") length="\\d+"'
    found = lint_feed("economy", _sub(prefixed["economy"], erbm, r'\1 length="1"'), base_url=BASE, sizes=sizes)
    assert [(f.rule, f.where) for f in found] == [("enclosure-length", f"item {ERBM}")]
    assert re.fullmatch(r"length is 1 but media/erbm-melanie-delots/erbm-melanie-delots-[0-9a-f]{8}\.mp3 has \d+ bytes",
                        found[0].message), found[0].message
    gone = _sub(prefixed["economy"], "op3.dev/e/artoiscast.example/media/erbm", "op3.dev/e/artoiscast.example/media/gone")
    assert rules(lint_feed("economy", gone, base_url=BASE, sizes=sizes)) == {"enclosure-length"}
    # one guid per episode: a feed behind the prefix and one without name the same files
    assert lint_feeds({**feeds, "economy": prefixed["economy"]}, base_url=BASE, sizes=sizes) == []


def test_publisher_feed_must_list_every_feed(feeds: dict[str, bytes]) -> None:
    missing = dict(feeds, publisher=re.sub(rb'<podcast:remoteItem[^>]*energy.xml"[^>]*/>', b"", feeds["publisher"]))
    found = lint_feeds(missing, base_url=BASE)
    assert [f.line() for f in found] == ["feeds/publisher.xml: channel: publisher: feeds/energy.xml is not listed"]
    assert rules(lint_feeds({k: v for k, v in feeds.items() if k != "publisher"}, base_url=BASE)) == {"publisher"}


# ---------------------------------------------------------------- the command


@pytest.fixture
def show(built_catalog: Path, tmp_path: Path) -> Path:
    """A copy of the built show (ingest cache included, so a rebuild does no audio work)."""
    root = tmp_path / "show"
    shutil.copytree(built_catalog, root, symlinks=True)
    return root


def test_check_prints_one_line_per_finding_and_exits_1(show: Path) -> None:
    ok = CliRunner().invoke(cli, ["check", "--root", str(show)])
    assert ok.exit_code == 0, ok.output
    assert "feeds: 0 errors, 0 warnings" in ok.stdout
    path = show / "build" / "site" / "feeds" / "energy.xml"
    path.write_bytes(_sub(path.read_bytes(), "<itunes:explicit>false</itunes:explicit>\n    <itunes:type>",
                          "<itunes:explicit>clean</itunes:explicit><itunes:type>"))
    bad = CliRunner().invoke(cli, ["check", "--root", str(show)])
    assert bad.exit_code == 1
    assert "error: feeds/energy.xml: channel: explicit: itunes:explicit is 'clean'; Apple wants true or false\n" \
        in bad.stderr  # findings go to stderr, as errors do
    assert "Traceback" not in bad.output


def test_check_strict_fails_on_warnings(show: Path) -> None:
    path = show / "build" / "site" / "feeds" / "energy.xml"
    path.write_bytes(_sub(path.read_bytes(), LOCKED, ""))
    lenient = CliRunner().invoke(cli, ["check", "--root", str(show)])
    assert lenient.exit_code == 0 and "warning: feeds/energy.xml: channel: recommended:" in lenient.stderr
    strict = CliRunner().invoke(cli, ["check", "--strict", "--root", str(show)])
    assert strict.exit_code == 1


def test_changed_artwork_gets_a_new_file_name(show: Path) -> None:
    feed = (show / "build" / "site" / "feeds" / "energy.xml").read_text()
    old = re.search(r"art/energy-[0-9a-f]{8}\.png", feed).group(0)
    make_png(show / "feeds" / "energy.png", colour=(200, 10, 10))
    build(show)
    feed = (show / "build" / "site" / "feeds" / "energy.xml").read_text()
    new = re.search(r"art/energy-[0-9a-f]{8}\.png", feed).group(0)
    assert new != old and (show / "build" / "site" / new).is_file()
    assert old not in feed


# ---------------------------------------------------------------- live


class Server:
    """An aiohttp app on 127.0.0.1, port 0, in a background thread."""

    def __init__(self, start: Any):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner, self.url = asyncio.run_coroutine_threadsafe(start, self.loop).result(timeout=30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture
def live(show: Path) -> Iterator[tuple[Path, str]]:
    """The show rebuilt with base_url = a real `artoiscast serve` on a free port, serving build/site."""
    site = show / "build" / "site"
    server = Server(serve.start(site, port=0))
    build(show, base_url=server.url)
    yield site, server.url
    server.stop()


def test_live_probe_of_a_good_show_finds_nothing(live: tuple[Path, str]) -> None:
    site, url = live
    assert probe_live(url) == []
    result = CliRunner().invoke(cli, ["check", "--live", url, "--root", str(site)])  # no catalog there: live only
    assert result.exit_code == 0, result.output
    assert "feeds: 0 errors" in result.stdout


def test_live_probe_finds_missing_truncated_media_and_bad_artwork(live: tuple[Path, str]) -> None:
    site, url = live
    mp3s = sorted((site / "media").rglob("*.mp3"))
    mp3s[0].unlink()
    with mp3s[1].open("r+b") as f:
        f.truncate(1000)
    art = sorted((site / "art").glob("energy-*.png"))[0]
    make_png(art, size=1000)
    found = probe_live(url)
    got = rules(found)
    assert {"live-enclosure", "live-length", "live-artwork"} <= got, found
    art_lines = [f.line() for f in found if f.rule == "live-artwork"]
    assert art_lines == [f"feeds/energy.xml: channel: live-artwork: {url}art/{art.name} is 1000x1000; "
                         "apps need a square of 1400 to 3000 px"]


def test_live_probe_finds_missing_cors_and_wrong_types(live: tuple[Path, str]) -> None:
    """A plain static server (aiohttp's own): no CORS, chapters as application/json, feeds as XML."""
    site, url = live

    async def start() -> tuple[web.AppRunner, str]:
        app = web.Application()
        app.router.add_static("/", site)
        runner = web.AppRunner(app)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"

    plain = Server(start())
    try:
        (site / "feeds").mkdir(exist_ok=True)
        for path in (site / "feeds").glob("*.xml"):  # point the feeds at the plain server
            path.write_bytes(path.read_bytes().replace(url.encode(), plain.url.encode()))
        found = probe_live(plain.url)
    finally:
        plain.stop()
    lines = [f.line() for f in found]
    assert any(": live-cors: " in line and "chapters/erbm-melanie-delots.json" in line for line in lines), lines
    assert any(": live-content-type: " in line and "application/json+chapters" in line for line in lines), lines


def test_live_probe_behind_the_op3_prefix_probes_the_real_objects(live: tuple[Path, str]) -> None:
    """Feeds whose enclosures go through https://op3.dev/e/: the probe maps each back to the show's
    own object and never calls op3.dev (nothing outside 127.0.0.1 is reachable here anyway)."""
    from artoiscast import lint

    site, url = live
    for path in (site / "feeds").glob("*.xml"):
        path.write_bytes(behind_op3(path.read_bytes(), url))
    assert f'<enclosure url="{OP3}{url}media/'.encode() in (site / "feeds" / "all.xml").read_bytes()
    asked: list[str] = []

    def fetch(method: str, target: str, *args: Any, **kwargs: Any) -> lint.Response:
        asked.append(target)
        return lint.http(method, target, *args, **kwargs)

    assert probe_live(url, fetch=fetch) == []
    assert [u for u in asked if not u.startswith(url)] == []
    items = sum(p.read_bytes().count(b"<item>") for p in (site / "feeds").glob("*.xml"))
    assert sum(u.startswith(url + "media/") and "?feed=" in u for u in asked) == 2 * items == 14  # HEAD, a range
    mp3 = min((site / "media").rglob("*.mp3"))
    with mp3.open("r+b") as f:
        f.truncate(1000)
    found = [f for f in probe_live(url) if f.rule == "live-length"]
    assert found and all(f.message.startswith("Content-Length is 1000 but the feed says ") for f in found)


def test_live_probe_of_nothing_is_one_finding() -> None:
    found = probe_live("http://127.0.0.1:9/")  # discard port: refused
    assert len(found) == 1 and found[0].rule == "live-feed" and "unreachable" in found[0].message
