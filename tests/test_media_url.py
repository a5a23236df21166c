"""An episode's media URL names its sound, not its tags (issue 11, item 28).

Apps download an enclosure again, and download counters see a new file, whenever its URL
changes: a typo fixed in a title or summary, or a new base URL, must keep it. The tags of
the stored MP3 are rewritten under the same key, padded so that the length holds too.
"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3

from artoiscast.audio.tags import TAG_BLOCK
from artoiscast.build import build
from artoiscast.ingest import file_sha256
from artoiscast.publish import publish
from artoiscast.storage.local import LocalStorage
from conftest import make_catalog, speech

SLUG = "gazonor-yann-fouant"


@pytest.fixture
def root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def enclosures(site: Path) -> dict[tuple[str, str], tuple[str, int]]:
    """(feed, item guid) -> (enclosure URL without the host, length), for every item of every feed."""
    found = {}
    for xml in sorted((site / "feeds").glob("*.xml")):
        for entry in feedparser.parse(xml.read_bytes()).entries:
            (enc,) = entry.enclosures
            found[(xml.stem, entry.id)] = (enc.href.split("/", 3)[3], int(enc.length))
    return found


def edit(root: Path, old: str, new: str, slug: str = SLUG) -> None:
    path = root / "episodes" / slug / "episode.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def media_file(site: Path, slug: str = SLUG) -> Path:
    (mp3,) = (site / "media" / slug).glob("*.mp3")
    return mp3


@pytest.mark.parametrize("change", ["title", "summary", "base_url"])
def test_a_metadata_edit_keeps_every_enclosure_url_and_length(root: Path, change: str) -> None:
    first = build(root)
    before = enclosures(first.out)
    assert len(before) >= 6 and all(url.startswith("media/") for url, _ in before.values())
    base_url = None
    if change == "title":
        edit(root, 'title: "Gazonor"', 'title: "Gazonor, le gaz de mine"')
    elif change == "summary":
        edit(root, "exploiter le gaz de mine dans", "exploiter le gaz de mine (le grisou) dans")
    else:
        base_url = "https://podcasts.artoiscast.example/"
    again = build(root, base_url=base_url)
    assert not again.skipped and all(r.cached for r in again.records.values())
    assert enclosures(again.out) == before  # same key and same length, in every feed
    tags = ID3(media_file(again.out))
    if change == "title":
        assert str(tags["TIT2"]) == "Gazonor, le gaz de mine"
    elif change == "summary":
        assert "(le grisou)" in str(tags["TDES"])
    else:
        assert tags["WFED"].url == "https://podcasts.artoiscast.example/feeds/all.xml"
    assert tags.size % TAG_BLOCK == 0  # the padding that keeps the length through a small edit


def test_the_edited_tags_reach_the_published_file_under_the_same_key(root: Path, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "public")
    publish(build(root).out, storage)
    key = media_file(root / "build" / "site").relative_to(root / "build" / "site").as_posix()
    edit(root, 'title: "Gazonor"', 'title: "Gazonor, le gaz de mine"')
    plan = publish(build(root).out, storage)
    assert key in plan.changed and not [k for k in plan.new if k.startswith("media/")]
    assert str(ID3(tmp_path / "public" / key)["TIT2"]) == "Gazonor, le gaz de mine"
    published = json.loads((tmp_path / "public" / "manifest.json").read_bytes())
    assert published["episodes"][SLUG]["media"] == key
    assert published["files"][key]["sha256"] == file_sha256(tmp_path / "public" / key)


def test_new_audio_gives_a_new_url(root: Path) -> None:
    first = build(root)
    old = first.files.keys()
    speech(root / "episodes" / SLUG / "audio.wav", "Le grisou est pompé dans les galeries.", gain_db=-20)
    again = build(root)
    (new_key,) = [k for k in again.files if k.startswith(f"media/{SLUG}/")]
    (old_key,) = [k for k in old if k.startswith(f"media/{SLUG}/")]
    assert new_key != old_key
    assert f"{new_key}?feed=energy" in (again.out / "feeds" / "energy.xml").read_text()


def test_the_ingest_records_the_sound_hash_and_an_old_record_gets_it(root: Path) -> None:
    first = build(root)
    before = enclosures(first.out)
    (meta,) = (root / "build" / "ingest" / SLUG).glob("*.json")
    record = json.loads(meta.read_text())
    mp3 = meta.with_suffix(".mp3")
    assert record["sha256"] == file_sha256(mp3)  # of the untagged MP3 the ingest wrote
    assert f"media/{SLUG}/{SLUG}-{record['sha256'][:8]}.mp3" in first.files
    del record["sha256"]  # a record from before the field existed
    meta.write_text(json.dumps(record))
    edit(root, 'title: "Gazonor"', 'title: "Gazonor, le gaz de mine"')  # something to build
    again = build(root)
    assert again.records[SLUG].cached and again.records[SLUG].sha256 == file_sha256(mp3)
    assert json.loads(meta.read_text())["sha256"] == file_sha256(mp3)  # written back: not hashed again
    assert enclosures(again.out) == before
