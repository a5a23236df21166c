"""``artoiscast import`` of feeds in the shapes real hosts write (Anchor/Spotify, Castopod, Libsyn,
a careless one), served by a real HTTP server on 127.0.0.1, and of sources that must be refused
in one line. Each imported catalog must pass ``check`` and build."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from artoiscast.build import build
from artoiscast.catalog import load_catalog
from artoiscast.cli import cli
from conftest import make_png, speech
from test_import import serve_folder

COVER = "cover.png"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, tools: None):  # type: ignore[no-untyped-def]
    """A folder of audio, art and side files served on 127.0.0.1: (folder, base URL)."""
    site = tmp_path_factory.mktemp("host")
    wav = speech(site / "a.wav", "Bonjour, voici un épisode importé.")
    for name in ("e1.mp3", "e2.mp3", "e3.mp3"):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-b:a", "64k", str(site / name)], check=True)
    from mutagen.id3 import CHAP, ID3, TIT2

    tags = ID3()  # Libsyn's chapters live in the MP3
    tags.add(CHAP(element_id="c0", start_time=0, end_time=1000, sub_frames=[TIT2(text=["Début"])]))
    tags.add(CHAP(element_id="c1", start_time=1000, end_time=2000, sub_frames=[TIT2(text=["Suite"])]))
    tags.save(site / "e3.mp3")
    make_png(site / COVER, size=1000)  # too small: the import scales it
    make_png(site / "guest.png", size=400)
    (site / "ch.json").write_text(json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Intro"}, {"startTime": 1.0, "title": "Sujet", "url": "javascript:alert(1)"},
        {"startTime": 9999, "title": "Après la fin"}]}), encoding="utf-8")
    (site / "t.srt").write_text("1\n00:00:00,000 --> 00:00:01,500\nBonjour, voici un épisode.\n", encoding="utf-8")
    server, base = serve_folder(site)
    yield site, base
    server.shutdown()


def enclosure(base: str, name: str, site: Path, query: str = "", length: bool = True) -> str:
    size = f' length="{(site / name).stat().st_size}"' if length else ""
    return f'<enclosure url="{base}{name}{query}"{size} type="audio/mpeg"/>'


def feed(site: Path, name: str, body: str, encoding: str = "utf-8") -> None:
    head = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
            'xmlns:podcast="https://podcastindex.org/namespace/1.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>')
    (site / name).write_bytes((head + body + "</channel></rss>\n").encode(encoding))


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["import", *args])
    return res.exit_code, res.stdout, res.stderr


def imported(into: Path) -> dict[str, str]:
    """slug -> its episode.yaml, once the catalog loads and builds."""
    load_catalog(into)
    build(into, base_url="http://127.0.0.1:9/")
    return {p.name: (p / "episode.yaml").read_text(encoding="utf-8") for p in sorted((into / "episodes").iterdir())}


def test_anchor_style_cdata_html_itunes_only(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    feed(site, "anchor.xml", f"""
<title><![CDATA[Mon Show & Cie]]></title><link>https://podcasters.spotify.com/pod/show/monshow</link>
<description><![CDATA[<p>Un <b>show</b> sur l'Artois.</p>]]></description><language>fr</language>
<itunes:author>Jeanne Martin</itunes:author><itunes:image href="{base}{COVER}"/>
<itunes:owner><itunes:name>Jeanne Martin</itunes:name><itunes:email>jeanne@example.org</itunes:email></itunes:owner>
<itunes:category text="Society &amp; Culture"/><itunes:explicit>No</itunes:explicit>
<item><title><![CDATA[Épisode 1 : <i>le début</i>]]></title>
<description><![CDATA[<p>Premier épisode.</p><p>Lien <a href="javascript:alert(1)">piégé</a>,
<a href="https://artoiscast.fr/">sûr</a>.</p><script>alert(2)</script><img src="x" onerror="alert(3)">]]></description>
<guid isPermaLink="false">anchor-ep-1</guid><pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate>
{enclosure(base, "e1.mp3", site)}<itunes:explicit>false</itunes:explicit><itunes:episode>1</itunes:episode>
<itunes:season>2</itunes:season><itunes:episodeType>full</itunes:episodeType></item>""")
    code, out, err = run(f"{base}anchor.xml", "--into", str(tmp_path / "a"))
    assert code == 0, err
    (doc,) = imported(tmp_path / "a").values()
    assert "guid: anchor-ep-1" in doc and "season: 2" in doc and "episode: 1" in doc
    assert "title: 'Épisode 1 : le début'" in doc and "date: '2025-03-03T08:00:00+00:00'" in doc
    assert "[sûr](https://artoiscast.fr/)" in doc and "piégé" in doc
    for bad in ("javascript", "alert", "<script", "onerror"):
        assert bad not in doc
    show = (tmp_path / "a" / "podcast.yaml").read_text(encoding="utf-8")
    assert "title: Mon Show & Cie" in show and "description: Un show sur l'Artois." in show
    from PIL import Image

    with Image.open(tmp_path / "a" / "cover.png") as im:
        assert im.size == (1400, 1400) and im.mode == "RGB"


def test_castopod_style_podcast_tags(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    feed(site, "castopod.xml", f"""
<title>Castopod Show</title><link>https://podcast.example/@show</link><description>Un show.</description>
<language>fr</language><itunes:image href="{base}{COVER}"/>
<podcast:guid>6c3b4d0f-1ad6-5a6e-9c3d-2f6b8b1c4e55</podcast:guid><podcast:locked>no</podcast:locked>
<podcast:person role="host" img="{base}guest.png">Anne Hôte</podcast:person>
<itunes:category text="News"><itunes:category text="Politics"/></itunes:category>
<item><title>Avec Paul</title><link>https://podcast.example/@show/episodes/avec-paul</link>
<description>Paul parle.</description><content:encoded><![CDATA[<h2>Sommaire</h2><ul><li>un</li><li>deux</li></ul>]]></content:encoded>
<guid>https://podcast.example/@show/episodes/avec-paul</guid><pubDate>Tue, 04 Mar 2025 09:30:00 +0100</pubDate>
{enclosure(base, "e2.mp3", site)}
<podcast:person role="host">Anne Hôte</podcast:person>
<podcast:person role="guest" href="https://paul.example/" img="{base}guest.png">Paul Invité</podcast:person>
<podcast:person role="Cover Art Designer">Zoé</podcast:person>
<podcast:location geo="geo:50.43,2.83" osm="R123">Lens</podcast:location>
<podcast:soundbite startTime="0.5" duration="1.0">Un extrait</podcast:soundbite>
<podcast:season>3</podcast:season><podcast:episode>7</podcast:episode><itunes:image href="{base}guest.png"/>
<podcast:chapters url="{base}ch.json" type="application/json+chapters"/>
<podcast:transcript url="{base}t.srt" type="application/x-subrip" language="fr"/></item>""")
    code, out, err = run(f"{base}castopod.xml", "--into", str(tmp_path / "c"))
    assert code == 0, err
    docs = imported(tmp_path / "c")
    assert list(docs) == ["avec-paul"]
    doc = docs["avec-paul"]
    assert "- name: Paul Invité\n  url: https://paul.example/\n  image: " in doc and "Zoé" not in doc
    assert "host:" not in doc  # the show's host, as podcast.yaml says
    assert "location:\n  name: Lens\n  geo: 50.43,2.83\n  osm: R123" in doc
    assert "season: 3\nepisode: 7" in doc and "notes: |-\n  ## Sommaire\n\n  - un\n  - deux" in doc
    ep = tmp_path / "c" / "episodes" / "avec-paul"
    assert (ep / "chapters.yaml").read_text() == "- start: 0.0\n  title: Intro\n- start: 1.0\n  title: Sujet\n"
    assert (ep / "transcript.srt").exists()
    assert "image: image.png" in doc and (ep / "image.png").stat().st_size > 0  # its own art, made 1400 px
    assert "Après la fin" in err and "javascript" not in (ep / "chapters.yaml").read_text()
    show = (tmp_path / "c" / "podcast.yaml").read_text(encoding="utf-8")
    assert "guid: 6c3b4d0f-1ad6-5a6e-9c3d-2f6b8b1c4e55" in show and "host: Anne Hôte" in show
    assert "category:\n    text: News\n    sub: Politics" in show


def test_a_saved_feed_file_lives_at_its_self_link(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A feed saved to a file: relative URLs resolve against its atom:link self, which also gives
    the guid (the namespace's UUIDv5 of that URL) and previous_urls."""
    site, base = host
    feed(site, "saved.xml", f'<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="self" href="{base}saved.xml"/>'
         f"<title>Saved</title><description>D</description><item><title>Un</title><guid>s1</guid>"
         f'<pubDate>Wed, 05 Mar 2025 10:00:00 +0000</pubDate><enclosure url="e1.mp3" type="audio/mpeg"/></item>')
    code, out, err = run(str(site / "saved.xml"), "--into", str(tmp_path / "s"), "--base-url", "https://saved.example")
    assert code == 0 and "1 imported" in out, err
    from artoiscast.catalog import podcast_guid

    show = (tmp_path / "s" / "podcast.yaml").read_text(encoding="utf-8")
    assert f"guid: {podcast_guid(f'{base}saved.xml')}\n" in show and f"previous_urls:\n- {base}saved.xml\n" in show
    assert "base_url: https://saved.example/\n" in show


def test_libsyn_style_dest_id_and_id3_chapters(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    feed(site, "libsyn.xml", f"""
<title>Libsyn Show</title><link>https://show.libsyn.com/</link><description>Desc</description>
<itunes:image href="{base}{COVER}"/>
<item><title>Three</title><guid isPermaLink="false">abc-123</guid><pubDate>Wed, 05 Mar 2025 10:00:00 +0000</pubDate>
<category>Économie</category>{enclosure(base, "e3.mp3", site, query="?dest-id=12345")}</item>""")
    code, out, err = run(f"{base}libsyn.xml", "--into", str(tmp_path / "l"), "--themes", "économie=economy")
    assert code == 0, err
    doc = imported(tmp_path / "l")["three"]
    assert "themes:\n- economy" in doc and "audio: audio.mp3" in doc
    assert (tmp_path / "l" / "episodes/three/chapters.yaml").read_text() == \
        "- start: 0.0\n  title: Début\n- start: 1.0\n  title: Suite\n"
    assert (tmp_path / "l" / "feeds/economy.yaml").exists()


def test_careless_feed_latin1_duplicates_relative_urls_missing_lengths_and_a_404(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    items = "".join(f"""<item><title>{title}</title><guid>{guid}</guid><pubDate>Thu, 0{n} Jan 2025 10:00:00 +0100</pubDate>
{enc}<itunes:season>{season}</itunes:season></item>""" for n, (title, guid, enc, season) in enumerate([
        ("Été à Liévin", "g1", '<enclosure url="e1.mp3" type="audio/mpeg"/>', "99999999999999999999999"),
        ("Doublon", "g1", enclosure(base, "e2.mp3", site), "1"),
        ("Perdu", "g3", f'<enclosure url="{base}nothing.mp3" length="12" type="audio/mpeg"/>', "1"),
        ("Sans date", "g4", enclosure(base, "e2.mp3", site), "1"),
        ("Fichier", "g5", '<enclosure url="file:///etc/passwd" length="1e999" type="audio/mpeg"/>', "1"),
    ], start=1)).replace("Thu, 04 Jan 2025 10:00:00 +0100", "hier")
    feed(site, "latin1.xml", f"<title>Caf\u00e9 de l'Artois</title><description>D\u00e9j\u00e0</description>"
         f'<itunes:image href="{COVER}"/>{items}', encoding="iso-8859-1")
    code, out, err = run(f"{base}latin1.xml", "--into", str(tmp_path / "m"))
    assert code == 1, err  # one episode could not be downloaded
    assert "created " in out and "1 imported, 0 already there, 1 failed" in out
    assert "error: perdu: " in err and "nothing.mp3: HTTP 404" in err and "Traceback" not in err
    assert "is given twice in the feed" in err and "no readable pubDate" in err
    assert "item g5: enclosure: 'file:///etc/passwd' is not an http(s) URL (dropped)" in err
    assert "item 5 (Fichier): no usable enclosure (not imported)" in err
    docs = imported(tmp_path / "m")
    assert list(docs) == ["ete-a-lievin"] and "title: Été à Liévin" in docs["ete-a-lievin"]
    assert "season" not in docs["ete-a-lievin"]  # an unbelievable number is left out
    assert "title: Café de l'Artois" in (tmp_path / "m" / "podcast.yaml").read_text(encoding="utf-8")
    # the failed one resumes on the next run; the rest is not fetched again
    (site / "nothing.mp3").write_bytes((site / "e2.mp3").read_bytes())
    code, out, err = run(f"{base}latin1.xml", "--into", str(tmp_path / "m"))
    assert code == 0 and "updated " in out and "1 imported, 1 already there, 0 failed" in out, err
    assert not (tmp_path / "m" / ".import").exists()


@pytest.mark.parametrize("body, expected", [
    ("<html><body>Not found</body>", "is not an XML feed"),
    ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "is not an RSS feed (its root element is <feed>"),
])
def test_not_a_feed_is_one_line(host, tmp_path: Path, body: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    (site / "bad.xml").write_text(body, encoding="utf-8")
    code, out, err = run(f"{base}bad.xml", "--into", str(tmp_path / "x"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "x").exists()


def test_refused_sources_are_one_line(host, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, base = host
    for source, code_, words in [
        ("file:///etc/passwd", 2, "is not an http(s) URL or a file"),
        ("javascript:alert(1)", 2, "is not an http(s) URL or a file"),
        ("http://127.0.0.1:9/feed.xml", 1, "unreachable"),
        (str(tmp_path / "none.xml"), 2, "no such file"),
    ]:
        code, out, err = run(source, "--into", str(tmp_path / "x"))
        assert code == code_ and len(err.strip().splitlines()) == 1 and words in err, (source, err)
    feed(site, "tiny.xml", f"<title>T</title><description>D</description><item><title>Un</title><guid>u1</guid>"
         f"<pubDate>Wed, 05 Mar 2025 10:00:00 +0000</pubDate>{enclosure(base, 'e1.mp3', site)}</item>")
    code, out, err = run(f"{base}tiny.xml", "--into", str(tmp_path / "x"), "--themes", "Économie=../economy")
    assert code == 2 and "write CATEGORY=THEME" in err and not (tmp_path / "x").exists(), err
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "episodes").symlink_to(outside)
    code, out, err = run(f"{base}tiny.xml", "--into", str(tmp_path / "y"))
    assert code == 2 and "leads out of" in err and list(outside.iterdir()) == [], err
