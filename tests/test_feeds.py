"""Every feed read by real consumers: feedparser and gPodder's podcastparser."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from artoiscast.catalog import Catalog, load_catalog
from artoiscast.typography import french

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
REPO = Path(__file__).resolve().parents[1]


def site(root: Path) -> Path:
    return root / "build" / "site"


@pytest.mark.parametrize(
    ("name", "slugs"),
    [
        ("all", ["mine-de-soleil-marie-piotrowski", "erbm-melanie-delots", "gazonor-yann-fouant"]),
        ("economy", ["mine-de-soleil-marie-piotrowski", "erbm-melanie-delots"]),
        ("energy", ["mine-de-soleil-marie-piotrowski", "gazonor-yann-fouant"]),
    ],
)
def test_feed_lists_exactly_its_theme_newest_first(built_catalog: Path, name: str, slugs: list[str]) -> None:
    cat = load_catalog(built_catalog)
    by_slug = {e.slug: e for e in cat.episodes}
    raw = (site(built_catalog) / "feeds" / f"{name}.xml").read_bytes()
    manifest = json.loads((site(built_catalog) / "manifest.json").read_bytes())

    fp = feedparser.parse(raw)
    assert not fp.bozo, fp.bozo_exception
    assert fp.feed.title == cat.feeds[name].title
    assert [e.id for e in fp.entries] == [by_slug[s].guid for s in slugs]
    for entry, slug in zip(fp.entries, slugs, strict=True):
        (enc,) = entry.enclosures
        path = enc.href.split("https://artoiscast.example/", 1)[1]
        assert path.endswith(f".mp3?feed={name}")
        media = site(built_catalog) / path.split("?")[0]
        assert int(enc.length) == media.stat().st_size  # exact bytes
        assert enc.type == "audio/mpeg"
        assert manifest["episodes"][slug]["media"] == path.split("?")[0]

    pp = podcastparser.parse(f"https://artoiscast.example/feeds/{name}.xml", io.BytesIO(raw))
    assert pp["title"] == cat.feeds[name].title
    # podcastparser sorts by date, newest first, like the feed
    assert [e["guid"] for e in pp["episodes"]] == [by_slug[s].guid for s in slugs]
    for ep in pp["episodes"]:
        (enc,) = ep["enclosures"]
        assert enc["file_size"] == (site(built_catalog) / enc["url"].split("example/")[1].split("?")[0]).stat().st_size
        assert ep["total_time"] >= 2
    assert [e["published"] for e in pp["episodes"]] == [int(by_slug[s].published.timestamp()) for s in slugs]
    assert pp["itunes_categories"] == [[cat.feeds[name].category.text, cat.feeds[name].category.sub]]
    assert pp["explicit"] is False


def test_podcasting20_tags(built_catalog: Path) -> None:
    doc = etree.parse(str(site(built_catalog) / "feeds" / "economy.xml"))
    ns = {"p": PODCAST_NS, "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    ch = doc.find("channel")
    assert ch.findtext("itunes:explicit", namespaces=ns) == "false"
    category = ch.find("itunes:category", ns)
    assert (category.get("text"), category.find("itunes:category", ns).get("text")) == ("Business", "Entrepreneurship")
    assert ch.findtext("p:locked", namespaces=ns) == "yes"
    assert ch.findtext("p:medium", namespaces=ns) == "podcast"
    roll = [r.get("feedUrl") for r in ch.findall("p:podroll/p:remoteItem", ns)]
    assert roll == ["https://artoiscast.example/feeds/all.xml", "https://artoiscast.example/feeds/energy.xml"]
    assert ch.find("p:publisher/p:remoteItem", ns).get("medium") == "publisher"
    item = [i for i in ch.findall("item") if i.findtext("title").startswith("L'ERBM")][0]
    persons = [(p.text, p.get("role")) for p in item.findall("p:person", ns)]
    assert persons == [("René Lavergne", "host"), ("Mélanie Delots", "guest")]
    loc = item.find("p:location", ns)
    assert (loc.text, loc.get("country")) == ("Lens", "FR")
    types = [(t.get("type"), t.get("rel"), t.get("language")) for t in item.findall("p:transcript", ns)]
    assert types == [("text/vtt", "captions", "fr"), ("application/x-subrip", "captions", "fr"),
                     ("application/json", "captions", "fr"), ("text/html", None, "fr")]
    chapters = item.find("p:chapters", ns)
    assert chapters.get("type") == "application/json+chapters"
    data = json.loads((site(built_catalog) / "chapters" / "erbm-melanie-delots.json").read_bytes())
    assert data["version"] == "1.2.0"
    assert [(c["startTime"], c["title"]) for c in data["chapters"]] == [(0.0, "Introduction"), (2.5, "1. Les moyens")]


def test_episode_in_two_themes_has_the_same_guid_in_both(built_catalog: Path) -> None:
    guids = {}
    for name in ("economy", "energy", "all"):
        fp = feedparser.parse((site(built_catalog) / "feeds" / f"{name}.xml").read_bytes())
        guids[name] = {e.title: e.id for e in fp.entries}
    assert guids["economy"]["Mine de Soleil"] == guids["energy"]["Mine de Soleil"] == guids["all"]["Mine de Soleil"]


def test_publisher_feed_lists_every_feed(built_catalog: Path) -> None:
    doc = etree.parse(str(site(built_catalog) / "feeds" / "publisher.xml"))
    ns = {"p": PODCAST_NS}
    assert doc.findtext("channel/p:medium", namespaces=ns) == "publisher"
    urls = [r.get("feedUrl") for r in doc.findall("channel/p:remoteItem", ns)]
    assert urls == [f"https://artoiscast.example/feeds/{n}.xml" for n in ("all", "economy", "energy")]


def test_update_frequency_is_derived_from_the_dates_or_taken_from_yaml(built_catalog: Path, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from artoiscast.feeds import render_feed, update_frequency
    from conftest import make_catalog

    ns = {"p": PODCAST_NS}
    doc = etree.parse(str(site(built_catalog) / "feeds" / "economy.xml"))  # 2025-03-01, 2025-03-15: no cadence yet
    assert doc.find("channel/p:updateFrequency", ns) is None
    day = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert update_frequency([day], "fr") is None
    assert update_frequency([day + timedelta(days=30 * i) for i in range(5)], "en").rrule == "FREQ=MONTHLY"
    assert update_frequency([day + timedelta(days=400 * i) for i in range(4)], "fr").label == "Chaque année"

    root = make_catalog(tmp_path / "show", with_audio=False)
    with (root / "feeds" / "energy.yaml").open("a") as f:
        f.write('update_frequency: {label: "Un jeudi sur deux", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", complete: true}\n')
    cat = load_catalog(root, check_files=False)
    xml = render_feed(cat, cat.feeds["energy"], [], base_url="https://artoiscast.example/",
                      art={"energy": "art/energy.png"}, built=day)
    freq = etree.fromstring(xml).find("channel/p:updateFrequency", ns)
    assert (freq.text, freq.get("rrule"), freq.get("complete")) == ("Un jeudi sur deux", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
                                                                     "true")
    (root / "feeds" / "energy.yaml").write_text((root / "feeds" / "energy.yaml").read_text().replace("FREQ=", "freq="))
    with pytest.raises(Exception) as exc:
        load_catalog(root, check_files=False)
    assert "feeds/energy.yaml: update_frequency.rrule:" in str(exc.value)


def _paris(*days: str) -> list:
    from datetime import datetime

    from artoiscast.catalog import PARIS

    return [datetime.fromisoformat(d).replace(tzinfo=PARIS) for d in days]


@pytest.mark.parametrize(("dates", "expected"), [
    # several episodes a day (the real catalog): the old median gap of zero claimed "daily"
    (["2025-03-01"] * 6 + ["2025-04-03", "2025-06-19"], None),
    (["2024-12-17"] * 6 + ["2025-02-06"] + ["2025-03-01"] * 6 + ["2025-04-03", "2025-06-19"], None),
    # irregular dates: no cadence is claimed
    (["2024-01-01", "2024-01-04", "2024-02-20", "2024-02-21", "2024-09-01"], None),
    (["2024-01-01", "2024-01-09", "2024-02-02", "2024-03-20", "2024-03-21"], None),
    # too few distinct days to tell
    (["2025-01-06", "2025-01-13", "2025-01-20"], None),
    # a median between two cadences (every 3 days) is none of them
    ([f"2025-01-{d:02d}" for d in (1, 4, 7, 10, 13)], None),
    # regular ones, same-day episodes counting once, a missed week tolerated
    (["2025-01-06", "2025-01-06T18:00", "2025-01-20", "2025-02-03", "2025-02-03", "2025-02-17"],
     ("Toutes les deux semaines", "FREQ=WEEKLY;INTERVAL=2")),
    (["2025-01-02", "2025-01-09", "2025-01-16", "2025-01-30", "2025-02-06", "2025-02-13"],
     ("Chaque semaine", "FREQ=WEEKLY")),
    (["2025-01-01", "2025-02-03", "2025-03-01", "2025-03-31", "2025-05-02"], ("Chaque mois", "FREQ=MONTHLY")),
])
def test_update_frequency_claims_only_a_cadence_the_distinct_days_show(dates: list[str], expected: tuple | None) -> None:
    from artoiscast.feeds import update_frequency

    freq = update_frequency(_paris(*dates), "fr")
    assert (freq and (freq.label, freq.rrule)) == expected


def test_same_day_episodes_do_not_make_a_feed_daily(tmp_path: Path) -> None:
    """Rendered and read back: a catalog whose episodes share dates gets no updateFrequency, a
    regular one (with a same-day pair) gets its cadence, and the linter finds nothing in either."""
    import yaml

    from artoiscast.built import BuiltEpisode
    from artoiscast.feeds import render_feed
    from artoiscast.lint import lint_feed
    from artoiscast.models import MediaRecord
    from conftest import make_catalog

    root = make_catalog(tmp_path / "show", with_audio=False)
    base = "https://artoiscast.example/"
    for dates, expected in ((["2025-03-01"] * 5 + ["2025-04-03", "2025-06-19"], None),
                            (["2025-01-07", "2025-01-07", "2025-01-14", "2025-01-21", "2025-01-28"], "FREQ=WEEKLY")):
        shutil.rmtree(root / "episodes")
        for i, day in enumerate(dates):
            (root / "episodes" / f"ep-{i}").mkdir(parents=True)
            (root / "episodes" / f"ep-{i}" / "episode.yaml").write_text(yaml.safe_dump(
                {"title": f"Épisode {i}", "date": day, "themes": ["economy"], "summary": "Un résumé.", "audio": "a.wav"}))
        cat = load_catalog(root, check_files=False)
        items = [BuiltEpisode(episode=e, mp3=MediaRecord(f"media/{e.slug}.mp3", 1000, 60.0, {}),
                              notes_html="<p>x</p>") for e in cat.episodes]
        art = {name: f"art/{name}.png" for name in cat.feeds}
        for name in ("all", "economy"):
            xml = render_feed(cat, cat.feeds[name], items, base_url=base, art=art, built=cat.episodes[0].published)
            freq = etree.fromstring(xml).find(f"channel/{{{PODCAST_NS}}}updateFrequency")
            assert (freq.get("rrule") if freq is not None else None) == expected, (name, dates)
            assert [f for f in lint_feed(name, xml, base_url=base) if f.rule != "https"] == []


def test_items_carry_summary_image_and_integer_duration(built_catalog: Path) -> None:
    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    doc = etree.parse(str(site(built_catalog) / "feeds" / "energy.xml"))
    art = doc.find("channel/itunes:image", ns).get("href")
    for item in doc.findall("channel/item"):
        assert item.findtext("itunes:summary", namespaces=ns) == item.findtext("description")
        assert item.find("itunes:image", ns).get("href") == art  # no episode image: the feed's
        assert item.findtext("itunes:duration", namespaces=ns).isdigit()


def test_truncate_bytes_cuts_at_a_word_with_an_ellipsis() -> None:
    from artoiscast.feeds import truncate_bytes

    assert truncate_bytes("court") == "court"
    text = "économie " * 600  # 6000 bytes
    cut = truncate_bytes(text)
    assert len(cut.encode()) <= 4000 and cut.endswith("économie…")
    assert truncate_bytes("é" * 3000).endswith("…") and len(truncate_bytes("é" * 3000).encode()) <= 4000


def _published(cat: Catalog, notes: list[str], *, own_image: Callable[[int], bool] = lambda i: i == 0) -> list:
    from artoiscast.built import BuiltEpisode
    from artoiscast.models import MediaRecord
    from artoiscast.transcripts import markdown_html

    return [
        BuiltEpisode(episode=e, mp3=MediaRecord(f"media/{e.slug}/{e.slug}-0123abcd.mp3", 100 + i, 61.4 + i, {}),
                     notes_html=notes[i % len(notes)] if notes else markdown_html(e.notes or e.summary),
                     image=f"art/{e.slug}.jpg" if own_image(i) else None,
                     transcripts=((f"transcripts/{e.slug}.vtt", "vtt"),) if i % 2 else (),
                     generated=i % 4 == 1,  # a machine's transcript: podcast:txt ai-content true
                     chapters_path=f"chapters/{e.slug}.json" if i % 3 else None)
        for i, e in enumerate(cat.episodes)
    ]


def assert_fast_is_plain(cat: Catalog, items: dict[str, list], base: str = "https://a.example/") -> dict[str, bytes]:
    """render_feeds_fast gives render_feed's bytes for every feed, and render_feed leaves its items alone."""
    import copy
    from datetime import UTC, datetime

    from artoiscast.feeds import render_feed
    from artoiscast.feeds_fast import render_feeds_fast

    art = {name: f"art/{name}-1234abcd.png" for name in cat.feeds}
    built = datetime(2025, 4, 1, tzinfo=UTC)
    before = copy.deepcopy(items)
    plain = {name: render_feed(cat, cat.feeds[name], eps, base_url=base, art=art, built=built)
             for name, eps in items.items()}
    assert items == before
    fast = render_feeds_fast(cat, items, base_url=base, art=art, built=built)
    assert items == before
    assert list(fast) == list(plain)
    for name, xml in plain.items():
        assert fast[name] == xml, name
    return plain


def test_fast_feeds_are_the_plain_feeds_for_items_that_defeat_the_splice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Items whose notes hold an item start tag, a CDATA end or the splice markers, in several
    batches, half serialised in a second process: the same bytes as the plain renderer, which
    are what lxml writes for the whole tree."""
    from artoiscast import feeds_fast
    from conftest import make_catalog

    monkeypatch.setattr(feeds_fast, "PARALLEL_ITEMS", 2)
    cat = load_catalog(make_catalog(tmp_path / "show", with_audio=False), check_files=False)
    notes = ["<p>a</p>", "<p>x</p>\n    <item>\n<p>]]></p>", "<p>\ue000feed\ue001 \ue000image\ue001</p>"]
    published = _published(cat, notes)
    parser = etree.XMLParser(remove_blank_text=True, strip_cdata=False)
    for batch in ([published[1], published[0], published[2]], [published[0], published[2]], published[:1], []):
        items = {name: [pe for pe in batch if feed.takes(pe.episode)] for name, feed in cat.feeds.items()}
        for name, xml in assert_fast_is_plain(cat, items).items():
            whole = etree.tostring(etree.fromstring(xml, parser), xml_declaration=True, encoding="UTF-8",
                                   pretty_print=True)
            assert xml == whole, name
            doc = etree.fromstring(xml)
            assert [i.find("enclosure").get("url") for i in doc.iter("item")] == [
                f"https://a.example/{pe.media}?feed={name}" for pe in items[name]]
            assert [i.find("{http://www.itunes.com/dtds/podcast-1.0.dtd}image").get("href") for i in doc.iter("item")] == [
                f"https://a.example/{pe.image}" if pe.image else f"https://a.example/art/{name}-1234abcd.png"
                for pe in items[name]]


def test_fast_feeds_are_the_plain_feeds_on_the_real_catalog() -> None:
    from datetime import UTC, datetime

    cat = load_catalog(REPO, check_files=False)
    assert len(cat.episodes) >= 29
    published = dict(zip((e.slug for e in cat.episodes), _published(cat, [], own_image=lambda i: i % 4 == 0), strict=True))
    now = datetime(2100, 1, 1, tzinfo=UTC)
    items = {name: [published[e.slug] for e in cat.feed_episodes(f, now)] for name, f in cat.feeds.items()}
    assert_fast_is_plain(cat, items, base=cat.podcast.base_url)


def test_fast_feeds_are_the_plain_feeds_on_random_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random catalogs: hundreds of episodes, odd characters in every text field, the same episode
    in several feeds, shared and own images, some in a second process; support links, proofs,
    trailers, soundbites, season names and episode displays."""
    import random

    import yaml

    from artoiscast import feeds_fast
    from conftest import make_catalog

    monkeypatch.setattr(feeds_fast, "PARALLEL_ITEMS", 50)
    odd = ["&", "&amp;", "&#60;", "<", "<b>", "]]>", "\"", "'", "«", "»", "é", "\u00a0", "\u2028", "\n", "\t", "🎙",
           "ǅ", "\u200b", "x", "mot", " "]
    rare = ["\ue000feed\ue001", "\ue000image\ue001", "    <item>\n"]  # what the splice must notice
    rnd = random.Random(13)
    spliced = []

    def text(n: int) -> str:
        chars = (rnd.choice(rare if rnd.random() < 0.002 else odd) for _ in range(rnd.randint(1, n)))
        return "".join(chars).replace("\n", " ").strip() or "x"

    def short(n: int) -> str:
        return text(n)[:n].strip() or "x"

    def links() -> list[dict[str, str]]:
        return [{"url": f"https://a.example/{i}?x=&amp;<", "text": short(40)} for i in range(rnd.randint(1, 3))]

    for round_ in range(3):
        root = make_catalog(tmp_path / f"show{round_}", with_audio=False)
        shutil.rmtree(root / "episodes")
        show = yaml.safe_load((root / "podcast.yaml").read_text(encoding="utf-8"))
        show["funding"] = links()
        show["txt"] = [{"purpose": "verify", "value": "tok&" + short(8).replace("<", "")},
                       {"purpose": "applepodcastsverify", "value": str(rnd.randint(0, 99999))}]
        (root / "podcast.yaml").write_text(yaml.safe_dump(show, allow_unicode=True), encoding="utf-8")
        themes = ["economy", "energy"]
        for i in range(rnd.randint(120, 260)):
            (root / "episodes" / f"ep-{i:03d}").mkdir(parents=True)
            doc = {"title": text(12), "date": f"20{rnd.randint(10, 30)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                   "themes": rnd.sample(themes, rnd.randint(1, 2)), "summary": text(40), "audio": "a.wav",
                   "notes": "\n\n".join(text(20) for _ in range(rnd.randint(0, 3))) or None}
            if rnd.random() < 0.3:
                doc["guests"] = [{"name": text(8)}]
            if rnd.random() < 0.2:
                doc["funding"] = links()
            if rnd.random() < 0.2:
                doc["soundbites"] = [{"start": round(rnd.uniform(0, 50), rnd.randint(0, 4)), "duration": rnd.randint(1, 200),
                                      **({"title": short(60)} if rnd.random() < 0.5 else {})} for _ in range(2)]
            if rnd.random() < 0.2:
                doc.update(season=rnd.randint(1, 9), season_name=short(60), episode=i + 1, episode_display=short(32))
            if rnd.random() < 0.1:
                doc["type"] = "trailer"
            (root / "episodes" / f"ep-{i:03d}" / "episode.yaml").write_text(
                yaml.safe_dump({k: v for k, v in doc.items() if v is not None}, allow_unicode=True), encoding="utf-8")
        cat = load_catalog(root, check_files=False)
        notes = ["<p>" + text(30) + "</p>" for _ in range(7)] + (["<p>a</p>\n    <item>\n]]>"] if round_ == 2 else [])
        published = _published(cat, notes, own_image=lambda i: rnd.random() < 0.3)
        items = {name: [pe for pe in published if f.takes(pe.episode)] for name, f in cat.feeds.items()}
        rendered = b"".join(assert_fast_is_plain(cat, items).values())
        for tag in (b"<podcast:funding", b"<podcast:trailer", b"<podcast:soundbite", b' name="', b' display="',
                    b'<podcast:txt purpose="verify"'):
            assert tag in rendered, tag  # each new tag is exercised
        spliced.append(sum(p is not None for p in feeds_fast._serialise_items(published, ctx=feeds_fast.item_context(
            cat, "https://a.example/"))))
    assert spliced[0] > 100 and spliced[-1] < len(published)  # both the splice and the fallback were exercised


# What a producer may type in a plain-text field: markup, a CDATA end, entities typed literally, and
# ordinary French text with apostrophes, quotes, guillemets, "&" and "<" that open no tag.
TYPED = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "fin ]]> suite", "&lt;b&gt;gras&lt;/b&gt;",
         "L'Art & Essai « Lens » \"2025\" : 3 < 4 > 2", "AT&T &copy 2024 &amp; &#60;i&#62;", "<!-- x --> </p> <?x?>"]
ORDINARY = "L'Art & Essai « Lens » \"2025\" : 3 < 4 > 2"


@pytest.mark.parametrize("typed", TYPED)
def test_plain_text_fields_display_as_typed_and_never_as_markup(tmp_path: Path, typed: str) -> None:
    """Every plain-text field of the catalog, rendered into feeds and pages, read back by feedparser
    and podcastparser: shown as typed (as HTML by feedparser), no live tag anywhere, and the linter's
    html rule (artoiscast check) finds nothing."""
    import lxml.html
    import yaml

    from artoiscast.built import BuiltEpisode
    from artoiscast.feeds import render_feed, render_publisher
    from artoiscast.lint import lint_feeds
    from artoiscast.models import MediaRecord
    from artoiscast.site import render_site
    from conftest import make_catalog
    from readers import plain, shown

    root = make_catalog(tmp_path / "show", with_audio=False)

    def edit(path: Path, **fields: object) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc.update(fields)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    edit(root / "podcast.yaml", author="A " + typed, description="P " + typed, copyright="C " + typed,
         owner={"name": "O " + typed, "email": "contact@artoiscast.example"}, host="H " + typed, location={"name": "Lieu " + typed})
    edit(root / "feeds" / "economy.yaml", title="F " + typed, description="D " + typed)
    edit(root / "episodes" / "erbm-melanie-delots" / "episode.yaml", title="T " + typed, summary="S " + typed,
         guests=[{"name": "N " + typed}], location={"name": "L " + typed})
    cat = load_catalog(root, check_files=False)
    base = "https://artoiscast.example/"
    items = {name: [BuiltEpisode(episode=e, mp3=MediaRecord(f"media/{e.slug}.mp3", 1000 + i, 60.0, {}),
                                 notes_html="<p>Notes</p>")
                    for i, e in enumerate(cat.feed_episodes(feed))] for name, feed in cat.feeds.items()}
    art = {name: f"art/{name}.png" for name in cat.feeds}
    built = cat.episodes[0].published
    feeds = {name: render_feed(cat, feed, items[name], base_url=base, art=art, built=built)
             for name, feed in cat.feeds.items()}
    feeds["publisher"] = render_publisher(cat, base_url=base, art=art, built=built)
    assert lint_feeds(feeds, base_url=base) == []  # html rule included

    raw = feeds["economy"]
    fp = feedparser.parse(raw)
    assert not fp.bozo, fp.bozo_exception
    assert shown(fp.feed.title_detail) == "F " + typed and shown(fp.feed.subtitle_detail) == "D " + typed
    entry = [e for e in fp.entries if e.link == f"{base}episodes/erbm-melanie-delots/"][0]
    assert shown(entry.title_detail) == "T " + typed and shown(entry.summary_detail) == "S " + typed
    pub = feedparser.parse(feeds["publisher"]).feed
    assert shown(pub.title_detail) == "A " + typed and shown(pub.subtitle_detail) == "P " + typed

    pp = podcastparser.parse(f"{base}feeds/economy.xml", io.BytesIO(raw))
    ep = [e for e in pp["episodes"] if e["link"] == f"{base}episodes/erbm-melanie-delots/"][0]
    assert ep["description_html"] == "<p>Notes</p>"  # content:encoded, never the summary
    texts = [plain(pp["title"]), plain(pp["description"]), plain(ep["title"]), plain(ep["description"])]
    if typed == ORDINARY:  # ordinary text is shown exactly as typed, also by a plain-text reader
        assert texts == ["F " + typed, "D " + typed, "T " + typed, "S " + typed]

    # the Podcasting 2.0 texts (persons, places, podroll titles) are HTML-safe text too
    doc = etree.fromstring(raw)
    ns = {"p": PODCAST_NS, "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
    item = [i for i in doc.iter("item") if i.findtext("link") == f"{base}episodes/erbm-melanie-delots/"][0]
    found = [(p.text, "N " + typed) for p in item.findall("p:person[@role='guest']", ns)]
    found += [(item.findtext("p:location", namespaces=ns), "L " + typed),
              (doc.findtext("channel/p:location", namespaces=ns), "Lieu " + typed),
              (doc.findtext("channel/p:person", namespaces=ns), "H " + typed),
              (doc.findtext("channel/itunes:author", namespaces=ns), "A " + typed),
              (doc.findtext("channel/itunes:owner/itunes:name", namespaces=ns), "O " + typed),
              (doc.findtext("channel/copyright"), "C " + typed)]
    roll = etree.fromstring(feeds["energy"]).find("channel/p:podroll/p:remoteItem[@feedUrl='{base}feeds/economy.xml']"
                                                  .format(base=base), ns)
    found.append((roll.get("title"), "F " + typed))
    for text, expected in found:
        frag = lxml.html.fragment_fromstring(text, create_parent="div")
        assert len(frag) == 0 and frag.text_content() == expected, text

    # pages are autoescaped: the typed text is the text shown, and no element comes from it
    pages = render_site(cat, items, base_url=base, art=art)
    page = lxml.html.fromstring(pages["episodes/erbm-melanie-delots/index.html"])
    assert page.xpath("//h1")[0].text_content() == french("T " + typed)  # as typed, in French typography
    assert page.xpath("//section[@aria-labelledby='sum']/p")[0].text_content() == french("S " + typed)
    assert [s.get("src") or s.get("type") for s in page.xpath("//script")] == [
        "application/ld+json", f"{base}assets/player.js", f"{base}assets/site.js"]
    assert not page.xpath("//body//comment()|//*[@onerror]")
    assert all(src.startswith(base) for src in page.xpath("//img/@src|//img/@srcset|//source/@srcset"))
    theme = lxml.html.fromstring(pages["themes/economy/index.html"])
    assert theme.xpath("//h1")[0].text_content() == french("F " + typed)


def test_publisher_guid_is_pinned_and_survives_a_new_base_url(tmp_path: Path) -> None:
    """podcast.yaml's publisher_guid is the publisher feed's podcast:guid whatever base_url says;
    without it the guid is derived from base_url (as before) and check warns that it should be pinned."""
    from datetime import datetime, timezone

    import yaml
    from click.testing import CliRunner

    from artoiscast.catalog import podcast_guid
    from artoiscast.cli import cli
    from artoiscast.feeds import render_feed, render_publisher
    from conftest import make_catalog

    root = make_catalog(tmp_path / "show", with_audio=False)
    pinned = "bce3ac13-42fb-5f2c-afb6-70fd2da85133"  # conftest's podcast.yaml: derived once from the old base_url
    ns = {"p": PODCAST_NS}
    built = datetime(2025, 4, 1, tzinfo=timezone.utc)

    def guids() -> tuple[str, str]:
        cat = load_catalog(root, check_files=False)
        base = cat.podcast.base_url
        art = {name: f"art/{name}.png" for name in cat.feeds}
        pub = etree.fromstring(render_publisher(cat, base_url=base, art=art, built=built))
        feed = etree.fromstring(render_feed(cat, cat.feeds["all"], [], base_url=base, art=art, built=built))
        return pub.findtext("channel/p:guid", namespaces=ns), feed.find("channel/p:publisher/p:remoteItem", ns).get("feedGuid")

    def move(base_url: str) -> None:
        path = root / "podcast.yaml"
        path.write_text(path.read_text().replace('base_url: "https://artoiscast.example/"', f'base_url: "{base_url}"'))

    assert guids() == (pinned, pinned)
    move("https://podcast.new.example/")
    assert guids() == (pinned, pinned)  # a domain move keeps the publisher feed's identity
    assert CliRunner().invoke(cli, ["check", "--catalog-only", "--strict", "--root", str(root)]).exit_code == 0

    path = root / "podcast.yaml"
    path.write_text(path.read_text().replace(f'publisher_guid: "{pinned}"\n', ""))
    derived = str(podcast_guid("https://podcast.new.example/feeds/publisher.xml"))
    assert guids() == (derived, derived) and derived != pinned  # unpinned: derived from base_url, as before
    check = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert check.exit_code == 0
    assert (f"warning: podcast.yaml: publisher_guid: not set: the publisher feed's guid is derived from base_url and "
            f'would change with it (pin it: publisher_guid: "{derived}")') in check.stderr.splitlines()  # warnings go to stderr
    assert CliRunner().invoke(cli, ["check", "--catalog-only", "--strict", "--root", str(root)]).exit_code == 1

    path.write_text(path.read_text() + 'publisher_guid: "publisher"\n')
    bad = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: podcast.yaml: publisher_guid: ")
    assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.output

    # the real show pins the guid it had from https://artoiscast.fr/, so nothing changes for subscribers
    real = yaml.safe_load((Path(__file__).resolve().parents[1] / "podcast.yaml").read_text(encoding="utf-8"))
    assert real["publisher_guid"] == str(podcast_guid("https://artoiscast.fr/feeds/publisher.xml"))
    assert real["publisher_guid"] == "515872f0-8a72-5010-924f-3e9f52abf822"


# ---------------------------------------------------------------- OP3: the analytics prefix

OP3 = "https://op3.dev/e/"


def test_op3_prefix_goes_before_every_enclosure_and_changes_nothing_else(built_catalog: Path, tmp_path: Path) -> None:
    """``analytics: {prefix: https://op3.dev/e/}``: every enclosure of every feed is the prefix + the
    URL without its scheme, ?feed= included; the feeds differ from the unprefixed build in that
    attribute only (guids, lengths, pages, media keys unchanged); feedparser and podcastparser read
    it, the linter finds nothing, and prune still sees the media a feed references."""
    from artoiscast.build import build
    from artoiscast.lint import lint_site
    from artoiscast.prune import references

    root = tmp_path / "show"
    shutil.copytree(built_catalog, root, symlinks=True)  # with the ingest cache: no audio work
    (root / "podcast.yaml").write_text((root / "podcast.yaml").read_text() + f'analytics: {{prefix: "{OP3}"}}\n')
    build(root)
    old, new = site(built_catalog), site(root)
    base = "https://artoiscast.example/"
    for name in ("all", "economy", "energy"):
        before, after = ((s / "feeds" / f"{name}.xml").read_bytes() for s in (old, new))
        assert after == before.replace(b'<enclosure url="' + base.encode(),
                                       b'<enclosure url="' + (OP3 + "artoiscast.example/").encode())
        assert after.count(b'<enclosure url="https://op3.dev/e/artoiscast.example/media/') == after.count(b"<item>") > 0
        fp, fp0 = feedparser.parse(after), feedparser.parse(before)
        assert not fp.bozo and [e.id for e in fp.entries] == [e.id for e in fp0.entries]
        for entry in fp.entries:
            (enc,) = entry.enclosures
            assert enc.href.startswith(OP3 + "artoiscast.example/media/") and enc.href.endswith(f".mp3?feed={name}")
            assert int(enc.length) == (new / enc.href.split("artoiscast.example/", 1)[1].split("?")[0]).stat().st_size
        pp = podcastparser.parse(f"{base}feeds/{name}.xml", io.BytesIO(after))
        assert [e["enclosures"][0]["url"] for e in pp["episodes"]] == [e.enclosures[0].href for e in fp.entries]
        assert [e["guid"] for e in pp["episodes"]] == [e.id for e in fp0.entries]
        media = {k for k in references(f"feeds/{name}.xml", after.decode(), {base}) if k.startswith("media/")}
        assert media == {e.enclosures[0].href.split("example/", 1)[1].split("?")[0] for e in fp.entries}
    pages = sorted(p.relative_to(old) for p in old.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".js"))
    assert [p for p in pages if (old / p).read_bytes() != (new / p).read_bytes() and p.name != "manifest.json"] == []
    m0, m1 = (json.loads((s / "manifest.json").read_bytes()) for s in (old, new))
    assert m1["episodes"] == m0["episodes"] and set(m1["files"]) == set(m0["files"])  # same media keys and guids
    assert lint_site(new) == []


def test_op3_rule_for_the_scheme_and_the_loopback_demo() -> None:
    from artoiscast.feeds import enclosure_base
    from artoiscast.rss import prefixed, unprefixed

    assert prefixed("https://a.example/media/x.mp3?feed=b", OP3) == OP3 + "a.example/media/x.mp3?feed=b"
    assert prefixed("http://a.example/media/x.mp3", OP3) == OP3 + "http://a.example/media/x.mp3"  # plain http: kept
    assert prefixed("https://a.example/x.mp3", None) == "https://a.example/x.mp3"
    assert enclosure_base("https://a.example/show/", OP3) == OP3 + "a.example/show/"
    assert enclosure_base("https://a.example/", "https://op3.dev/e,pg=7d5ba8f0-3d6f-5b0a-9d4e-2b7e1b2e6f59/") == \
        "https://op3.dev/e,pg=7d5ba8f0-3d6f-5b0a-9d4e-2b7e1b2e6f59/a.example/"
    for local in ("http://127.0.0.1:8000/", "http://localhost:8000/", "http://[::1]:8000/"):
        assert enclosure_base(local, OP3) == local  # the demo: op3.dev cannot reach it
    for base in ("https://a.example/show/", "http://a.example/"):
        url = f"{base}media/x/x-1.mp3?feed=b"
        assert unprefixed(prefixed(url, OP3), base) == url
        assert unprefixed(prefixed(prefixed(url, OP3), "https://dts.example/redirect.mp3/"), base) == url  # a chain
        assert unprefixed(url, base) == url
    assert unprefixed("https://other.example/media/x.mp3", "https://a.example/") == "https://other.example/media/x.mp3"


@pytest.mark.parametrize(("value", "reason"), [
    ("http://op3.dev/e/", '"http://op3.dev/e/" is not https'),
    ("https://op3.dev/e", '"https://op3.dev/e" does not end with / (the enclosure URL follows the prefix'),
    ("op3.dev/e/", '"op3.dev/e/" is not an http(s) URL'),
    ("https://op3.dev/e/?x=1", '"https://op3.dev/e/?x=1" has a query or fragment'),
    ("javascript:alert(1)//", '"javascript:alert(1)//" is not an http(s) URL'),
])
def test_a_bad_prefix_is_one_line(tmp_path: Path, value: str, reason: str) -> None:
    from click.testing import CliRunner

    from artoiscast.cli import cli
    from conftest import make_catalog

    root = make_catalog(tmp_path / "show", with_audio=False)
    (root / "podcast.yaml").write_text((root / "podcast.yaml").read_text() + f'analytics: {{prefix: "{value}"}}\n')
    result = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: podcast.yaml: analytics.prefix: {reason}")
    assert line.endswith("e.g. https://op3.dev/e/)")
    (root / "podcast.yaml").write_text((root / "podcast.yaml").read_text().replace("prefix:", "prefx:"))
    result = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert result.stderr.splitlines() == ["error: podcast.yaml: analytics.prefx: unknown key (did you mean 'prefix'?)"]
