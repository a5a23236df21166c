"""Ingest on real synthesised speech, measured independently with ffmpeg's ebur128 on the MP3."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from artoiscast.catalog import load_catalog
from artoiscast.errors import ErrorList
from artoiscast.ingest import ingest_all
from conftest import make_catalog


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg prints them, parsed here on purpose (not our parser)."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return i, tp


@pytest.fixture
def root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def test_every_episode_meets_the_target_on_the_encoded_mp3(root: Path) -> None:
    catalog = load_catalog(root)
    records, errors = ingest_all(catalog, root / "build" / "ingest")
    assert errors == []
    assert set(records) == {e.slug for e in catalog.episodes}
    for rec in records.values():
        i, tp = ebur128(rec.mp3)
        assert -17.0 <= i <= -15.0, (rec.slug, i)
        assert tp <= -1.0, (rec.slug, tp)
        assert abs(rec.after.integrated - i) < 0.05 and abs(rec.after.true_peak - tp) < 0.05
        info = MP3(rec.mp3).info
        assert info.sample_rate == 44100 and info.channels == 2 and abs(info.bitrate - 128000) < 500
    # the inputs really were far from the target and from each other (quiet, and hot enough to clip)
    befores = sorted(r.before.integrated for r in records.values())
    assert befores[0] < -30 and befores[-1] - befores[0] > 15


def test_unchanged_source_is_not_reencoded_and_changed_settings_reencode(root: Path) -> None:
    catalog = load_catalog(root)
    first, _ = ingest_all(catalog, root / "build" / "ingest")
    mtimes = {s: r.mp3.stat().st_mtime_ns for s, r in first.items()}
    again, _ = ingest_all(catalog, root / "build" / "ingest")
    assert all(r.cached for r in again.values())
    assert {s: r.mp3.stat().st_mtime_ns for s, r in again.items()} == mtimes
    text = (root / "podcast.yaml").read_text().replace("target_lufs: -16.0", "target_lufs: -19.0")
    (root / "podcast.yaml").write_text(text)
    changed, _ = ingest_all(load_catalog(root), root / "build" / "ingest")
    assert not any(r.cached for r in changed.values())
    for rec in changed.values():
        assert -20.0 <= ebur128(rec.mp3)[0] <= -18.0
        assert len(list(rec.mp3.parent.glob("*.mp3"))) == 1  # the old encode is gone


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty (0 bytes): export the audio again"),
        (b"this is a text file, not audio\n" * 20, "not a readable audio file"),
    ],
)
def test_bad_audio_is_one_line_and_the_others_still_ingest(root: Path, content: bytes, reason: str) -> None:
    folder = root / "episodes" / "gazonor-yann-fouant"
    (folder / "audio.wav").unlink()
    (folder / "audio.mp3").write_bytes(content)
    text = (folder / "episode.yaml").read_text().replace("audio: audio.wav", "audio: audio.mp3")
    (folder / "episode.yaml").write_text(text)
    records, errors = ingest_all(load_catalog(root), root / "build" / "ingest")
    assert sorted(records) == ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"]
    (err,) = errors
    assert err.line().startswith(f"episodes/gazonor-yann-fouant/episode.yaml: audio: {reason}")
    assert not (root / "build" / "ingest" / "gazonor-yann-fouant").exists() or not list(
        (root / "build" / "ingest" / "gazonor-yann-fouant").glob("*.mp3"))


def test_build_writes_id3_with_chapters_and_loudness(built_catalog: Path) -> None:
    (mp3,) = (built_catalog / "build" / "site" / "media" / "erbm-melanie-delots").glob("*.mp3")
    tags = ID3(mp3)
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "L'ERBM : Engagement pour le Renouveau du Bassin Minier"
    assert tags["TPE1"].text == ["René Lavergne/Mélanie Delots"]  # ID3v2.3 joins artists with "/"
    assert str(tags["TALB"]) == "Radioscopie de l'Artois"
    assert str(tags["TCON"]) == "Podcast"
    assert tags["WFED"].url == "https://artoiscast.example/feeds/all.xml"
    assert str(tags["TGID"]) == load_catalog(built_catalog).episodes[1].guid
    assert tags["APIC:Cover"].mime == "image/jpeg"
    assert "LUFS" in str(tags["TXXX:LOUDNESS_I"])
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in chaps] == [(0, "Introduction"), (2500, "1. Les moyens")]
    assert chaps[0].end_time == 2500
    assert tags["CTOC:toc"].child_element_ids == ["chp0", "chp1"]


def test_build_stops_on_bad_audio_and_writes_nothing(root: Path) -> None:
    from artoiscast.build import build

    (root / "episodes" / "gazonor-yann-fouant" / "audio.wav").write_bytes(b"")
    with pytest.raises(ErrorList) as info:
        build(root)
    assert [e.line() for e in info.value.errors] == [
        "episodes/gazonor-yann-fouant/episode.yaml: audio: the file is empty (0 bytes): export the audio again"]
    assert not (root / "build" / "site").exists()
