"""Ingest on real synthesised speech, measured independently with ffmpeg's ebur128 on the MP3."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from artoiscast.catalog import load_catalog
from artoiscast.errors import ErrorList
from artoiscast.ingest import ingest_all
from conftest import ebur128, make_catalog




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
        # our numbers come from the MP3 stream measured while it is encoded: it still holds the <= 1152
        # samples of end padding the file's LAME tag hides, worth <= 0.1 LU on a 3 s clip (never more TP)
        assert abs(rec.after.integrated - i) <= 0.15 and 0 <= rec.after.true_peak - tp <= 0.15
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


def test_an_untouched_source_is_not_read_again_and_a_touched_one_is_hashed(root: Path) -> None:
    import os

    catalog = load_catalog(root)
    first, _ = ingest_all(catalog, root / "build" / "ingest")
    src = root / "episodes" / "gazonor-yann-fouant" / "audio.wav"
    st = src.stat()
    # same size, modification time and inode: the recorded sha256 is trusted, the file not read
    # (so a change made behind the file system's back, keeping all three, goes unseen, as in git)
    data = bytearray(src.read_bytes())
    data[-100:] = bytes(range(100))  # audio samples, not the header
    with src.open("r+b") as f:
        f.write(data)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    again, _ = ingest_all(catalog, root / "build" / "ingest")
    assert again["gazonor-yann-fouant"].cached and again["gazonor-yann-fouant"].key == first["gazonor-yann-fouant"].key
    # touched: hashed again, and now really changed, so encoded again
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    changed, _ = ingest_all(catalog, root / "build" / "ingest")
    assert not changed["gazonor-yann-fouant"].cached
    assert changed["gazonor-yann-fouant"].key != first["gazonor-yann-fouant"].key
    # touched without a change: the same encode, and its record learns the new time
    other = root / "episodes" / "erbm-melanie-delots" / "audio.wav"
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 1_000_000))
    touched, _ = ingest_all(catalog, root / "build" / "ingest")
    assert touched["erbm-melanie-delots"].cached
    assert touched["erbm-melanie-delots"].key == first["erbm-melanie-delots"].key
    meta = json.loads((root / "build" / "ingest" / "erbm-melanie-delots" /
                       f"{first['erbm-melanie-delots'].key}.json").read_text())
    assert meta["source"]["stat"][1] == other.stat().st_mtime_ns
    assert sorted(p.suffix for p in (root / "build" / "ingest" / "erbm-melanie-delots").iterdir()) == [".json", ".mp3"]


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


# ---------------------------------------------------------------- the bad-audio corpus, through the CLI


def _truncated(folder: Path, suffix: str, codec: list[str]) -> tuple[str, bytes]:
    full = folder / f"full{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(folder / "audio.wav"), *codec, str(full)],
                   check=True)
    data = full.read_bytes()
    full.unlink()
    return f"audio{suffix}", data[: len(data) * 3 // 10]


def _video_without_sound(folder: Path) -> tuple[str, bytes]:
    out = folder / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10",
                    "-t", "2", "-c:v", "mpeg4", str(out)], check=True)
    data = out.read_bytes()
    out.unlink()
    return "audio.mp4", data


def _picture(folder: Path) -> tuple[str, bytes]:
    from conftest import make_png

    make_png(folder / "pic.png", size=64)
    data = (folder / "pic.png").read_bytes()
    (folder / "pic.png").unlink()
    return "audio.mp3", data  # a PNG named .mp3


NOT_READABLE = r"not a readable audio file \([^)]+\): export it again as WAV, FLAC, MP3, M4A, OGG, Opus or AIFF"
NO_STREAM = r"the file has no audio stream \(a picture or a video without sound\?\): give an audio file"
CUT = r"the file is truncated: its header declares \d+\.\d s but only \d+\.\d s decode \(copy or export it again\)"
BAD = {
    "zero-byte": (lambda f: ("audio.mp3", b""), r"the file is empty \(0 bytes\): export the audio again"),
    "text named .mp3": (lambda f: ("audio.mp3", b"this is a text file, not audio\n" * 20), NOT_READABLE),
    "truncated wav (first 30%)": (
        lambda f: ("audio.wav", (f / "audio.wav").read_bytes()[: (f / "audio.wav").stat().st_size * 3 // 10]),
        r"the file is truncated: its header declares \d+ bytes of audio but only \d+ are there "
        r"\(copy or export it again\)"),
    "truncated mp3 (first 30%)": (lambda f: _truncated(f, ".mp3", ["-b:a", "128k"]), CUT),
    "truncated flac (cut mid-frame)": (lambda f: _truncated(f, ".flac", []), CUT),
    "truncated m4a (no moov)": (lambda f: _truncated(f, ".m4a", ["-c:a", "aac"]), NOT_READABLE),
    "video without sound": (_video_without_sound, NO_STREAM),
    "picture named .mp3": (_picture, NO_STREAM),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_audio_kind_is_one_exact_line_exit_2_and_leaves_nothing(root: Path, kind: str) -> None:
    from click.testing import CliRunner

    from artoiscast.cli import cli

    make, pattern = BAD[kind]
    folder = root / "episodes" / "gazonor-yann-fouant"
    name, data = make(folder)
    (folder / "audio.wav").unlink()
    (folder / name).write_bytes(data)
    text = (folder / "episode.yaml").read_text().replace("audio: audio.wav", f"audio: {name}")
    (folder / "episode.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["ingest", "--root", str(root)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(f"error: episodes/gazonor-yann-fouant/episode.yaml: audio: {pattern}", lines[0]), lines[0]
    cache = root / "build" / "ingest"
    assert sorted(p.name for p in cache.iterdir()) == ["erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"]
    for slug in ("erbm-melanie-delots", "mine-de-soleil-marie-piotrowski"):
        assert [p.suffix for p in sorted((cache / slug).iterdir())] == [".json", ".mp3"]  # no temporary left


def test_cli_ingest_json_gives_the_table_data_and_the_failure(root: Path) -> None:
    import json

    from click.testing import CliRunner

    from artoiscast.cli import cli

    (root / "episodes" / "gazonor-yann-fouant" / "audio.wav").write_bytes(b"")
    result = CliRunner().invoke(cli, ["ingest", "--json", "--root", str(root)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["gazonor-yann-fouant"] == {"slug": "gazonor-yann-fouant", "error": (
        "episodes/gazonor-yann-fouant/episode.yaml: audio: the file is empty (0 bytes): export the audio again")}
    rec = data["erbm-melanie-delots"]
    assert set(rec) == {"slug", "key", "before", "after", "duration", "attempts", "seconds", "bytes", "sha256",
                        "cached"}
    assert set(rec["before"]) == set(rec["after"]) == {"I", "LRA", "TP"}
    assert -17 <= rec["after"]["I"] <= -15 and rec["after"]["TP"] <= -1.0 and rec["before"]["TP"] < 0
    mp3 = root / "build" / "ingest" / "erbm-melanie-delots" / f"{rec['key']}.mp3"
    assert rec["bytes"] == mp3.stat().st_size and rec["sha256"] == hashlib.sha256(mp3.read_bytes()).hexdigest()
    again = json.loads(CliRunner().invoke(cli, ["ingest", "--json", "--root", str(root)]).stdout)
    assert again["erbm-melanie-delots"] == rec | {"cached": True}
