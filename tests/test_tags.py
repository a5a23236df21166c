"""ID3 tags (README, "Audio"), read back with mutagen: every frame present and equal to what was given."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from PIL import Image

from artoiscast.audio.tags import TagData, cover_jpeg, write_tags
from artoiscast.models import Chapter
from conftest import make_png

SUMMARY = "Mélanie Delots présente l'Engagement pour le Renouveau du Bassin Minier <b>sans balise</b>."


@pytest.fixture
def mp3(tmp_path: Path, tools: None) -> Path:
    out = tmp_path / "ep.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
                    "-c:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", str(out)], check=True)
    return out


@pytest.fixture
def data(tmp_path: Path) -> TagData:
    cover = make_png(tmp_path / "cover.png", size=1600)
    return TagData(
        title="L'ERBM : Engagement pour le Renouveau du Bassin Minier",
        artists=["René Lavergne", "Mélanie Delots"], album="Radioscopie de l'Artois", date="2025-03-01",
        summary=SUMMARY, language="fra", copyright="René Lavergne", publisher="René Lavergne",
        feed_url="https://artoiscast.example/feeds/all.xml", guid="9b1f2c44-1111-5222-8333-444455556666",
        duration=6.0, cover_jpeg=cover_jpeg(cover),
        loudness={"LOUDNESS_I": "-16.0 LUFS", "LOUDNESS_TP": "-1.4 dBTP", "LOUDNESS_LRA": "3.1 LU"},
        chapters=[Chapter(0.0, "Introduction"), Chapter(2.5, "1. Les moyens", url="https://artoiscast.example/a"),
                  Chapter(4.25, "2. La suite")],
    )


@pytest.mark.parametrize("version", [3, 4])
def test_every_frame_is_present_and_equal(mp3: Path, data: TagData, version: int) -> None:
    write_tags(mp3, data, version=version)
    tags = ID3(mp3)
    assert tags.version == (2, version, 0)
    assert str(tags["TIT2"]) == data.title
    sep = ["René Lavergne/Mélanie Delots"] if version == 3 else data.artists  # v2.3 has no multi-value frames
    assert tags["TPE1"].text == sep
    assert str(tags["TALB"]) == data.album
    assert str(tags["TDRC"]) == "2025-03-01"  # v2.3 stores TYER + TDAT, which mutagen reads back as TDRC
    raw = mp3.read_bytes()[:20000]
    assert (b"TYER" in raw, b"TDRC" in raw) == ((True, False) if version == 3 else (False, True))
    assert str(tags["TCON"]) == "Podcast"
    (comm,) = tags.getall("COMM")
    assert (comm.lang, comm.desc, str(comm)) == ("fra", "", SUMMARY)
    assert str(tags["TDES"]) == SUMMARY
    assert str(tags["TCOP"]) == data.copyright
    assert str(tags["TPUB"]) == data.publisher
    assert tags["PCST"].value == 1
    assert tags["WFED"].url == data.feed_url
    assert str(tags["TGID"]) == data.guid
    assert {f.desc: str(f) for f in tags.getall("TXXX")} == data.loudness
    (apic,) = tags.getall("APIC")
    assert (apic.mime, apic.type, apic.data) == ("image/jpeg", 3, data.cover_jpeg)
    with Image.open(io.BytesIO(apic.data)) as im:
        assert (im.format, im.mode, im.width == im.height) == ("JPEG", "RGB", True)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    starts = [int(c.start * 1000) for c in data.chapters]
    assert [c.start_time for c in chaps] == starts
    assert [c.end_time for c in chaps] == starts[1:] + [6000]
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == [c.title for c in data.chapters]
    assert chaps[1].sub_frames["WXXX:chapter url"].url == "https://artoiscast.example/a"
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chaps]
    assert toc.flags & 3 == 3  # top level, ordered


def test_tags_are_replaced_not_added_and_bytes_are_deterministic(mp3: Path, data: TagData, tmp_path: Path) -> None:
    other = tmp_path / "other.mp3"
    other.write_bytes(mp3.read_bytes())
    write_tags(mp3, data)
    write_tags(mp3, data)
    write_tags(other, data)
    assert mp3.read_bytes() == other.read_bytes()
    assert len(ID3(mp3).getall("CHAP")) == 3


def test_v24_is_chosen_by_podcast_yaml(tmp_path: Path, tools: None) -> None:
    from artoiscast.build import build
    from conftest import make_catalog

    root = make_catalog(tmp_path / "show")
    text = (root / "podcast.yaml").read_text().replace("channels: 2}", "channels: 2, id3_version: 4}")
    (root / "podcast.yaml").write_text(text)
    build(root)
    (mp3,) = (root / "build" / "site" / "media" / "erbm-melanie-delots").glob("*.mp3")
    tags = ID3(mp3)
    assert tags.version == (2, 4, 0)
    assert tags["TPE1"].text == ["René Lavergne", "Mélanie Delots"]
    assert str(tags["TDRC"]) == "2025-03-01"
