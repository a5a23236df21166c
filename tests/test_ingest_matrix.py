"""Loudness matrix: every input format and condition reaches the target on the encoded MP3.

Short clips of real espeak-ng speech converted with ffmpeg into each format and condition;
every output is measured here, independently, with ffmpeg's ebur128 (true peak on),
parsed in this file rather than by our parser.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from artoiscast.audio import loudness
from conftest import ebur128

TEXT = "Radioscopie de l'Artois. Le renouveau du bassin minier, l'énergie solaire et le Louvre-Lens."

CODECS = {
    "wav": ["-c:a", "pcm_s16le"], "flac": ["-c:a", "flac"], "aiff": ["-c:a", "pcm_s16be"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"], "m4a": ["-c:a", "aac", "-b:a", "160k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "5"], "opus": ["-c:a", "libopus", "-b:a", "96k"],
}




@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory, tools: None) -> tuple[Path, float]:
    """About 5 s of French speech (float WAV, 48 kHz stereo) and its integrated loudness."""
    folder = tmp_path_factory.mktemp("matrix")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(raw), TEXT], check=True)
    src = folder / "voice.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(raw), "-ac", "2", "-ar", "48000",
                    "-c:a", "pcm_f32le", str(src)], check=True)
    return src, ebur128(src)[0]


def make(voice: tuple[Path, float], out: Path, *, lufs: float | None = None, gain: float = 0.0,
         rate: int = 44100, channels: int = 2) -> Path:
    """Convert the voice to ``out`` (format from its suffix) at a level, rate and channel count."""
    src, measured = voice
    db = (lufs - measured) if lufs is not None else gain
    codec = CODECS[out.suffix[1:]]
    if out.suffix == ".wav" and gain > 0:
        codec = ["-c:a", "pcm_f32le"]  # keeps the overs: a true peak above 0 dBFS in the file
    if out.suffix == ".opus":
        rate = 48000 if rate not in (8000, 12000, 16000, 24000, 48000) else rate
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-af", f"volume={db:.2f}dB",
                    "-ar", str(rate), "-ac", str(channels), *codec, str(out)], check=True)
    return out


CASES = [
    *[(fmt, "stereo", {}) for fmt in CODECS],
    ("wav", "quiet -40 LUFS", {"lufs": -40.0}),
    ("flac", "quiet -40 LUFS", {"lufs": -40.0}),
    ("wav", "hot +3 dBTP, clipping", {"gain": 18.0}),
    ("mp3", "hot, clipping", {"gain": 18.0}),
    ("wav", "mono", {"channels": 1}),
    ("ogg", "mono", {"channels": 1}),
    ("wav", "8 kHz mono", {"rate": 8000, "channels": 1}),
    ("m4a", "8 kHz", {"rate": 8000}),
    ("wav", "96 kHz", {"rate": 96000}),
    ("flac", "96 kHz", {"rate": 96000}),
]


@pytest.mark.parametrize(("fmt", "condition", "kw"), CASES, ids=[f"{f}-{c}" for f, c, _ in CASES])
def test_every_format_and_condition_meets_the_target(voice: tuple[Path, float], tmp_path: Path, fmt: str,
                                                     condition: str, kw: dict[str, float]) -> None:
    src = make(voice, tmp_path / f"in.{fmt}", **kw)
    info = loudness.probe(src)
    before = ebur128(src)
    dst = tmp_path / "out.mp3"
    result = loudness.normalise(src, dst, target=-16.0, true_peak=-1.0, tolerance=1.0, bitrate=128, channels=2,
                                declared=info.duration)
    i, tp = ebur128(dst)
    assert -17.0 <= i <= -15.0, (condition, before, i)
    assert tp <= -1.0, (condition, before, tp)
    assert abs(result.before.integrated - before[0]) <= 3.5  # measured as stereo: a mono source counts twice
    assert abs(result.before.true_peak - before[1]) <= 0.3, (result.before, before)  # the source's true peak
    mp3 = MP3(dst).info
    assert (mp3.sample_rate, mp3.channels, round(mp3.bitrate / 1000)) == (44100, 2, 128)
    if "quiet" in condition:
        assert before[0] < -38
    if "hot" in condition:
        assert before[1] > 2.0  # really over full scale


@pytest.mark.parametrize("fmt", ["wav", "m4a"])
def test_mono_show_encodes_mono_at_minus_19_and_its_bitrate(voice: tuple[Path, float], tmp_path: Path,
                                                            fmt: str) -> None:
    from artoiscast.config import AudioSettings

    settings = AudioSettings(channels=1)
    assert (settings.target, settings.kbps) == (-19.0, 64)
    src = make(voice, tmp_path / f"in.{fmt}", lufs=-30.0)
    dst = tmp_path / "out.mp3"
    loudness.normalise(src, dst, target=settings.target, true_peak=settings.true_peak, tolerance=settings.tolerance,
                       bitrate=settings.kbps, channels=settings.channels, declared=loudness.probe(src).duration)
    i, tp = ebur128(dst)
    assert -20.0 <= i <= -18.0 and tp <= -1.0
    mp3 = MP3(dst).info
    assert (mp3.sample_rate, mp3.channels, round(mp3.bitrate / 1000)) == (44100, 1, 64)
    assert AudioSettings(channels=1, bitrate=96).kbps == 96 and AudioSettings().kbps == 128


def test_an_impossible_target_fails_with_its_numbers(voice: tuple[Path, float], tmp_path: Path) -> None:
    """QA gate: -10 LUFS speech cannot keep its true peak under -6 dBTP without a limiter squashing
    it past the tolerance; with one encode allowed the gate refuses and leaves no file."""
    src = make(voice, tmp_path / "in.wav", lufs=-30.0)
    dst = tmp_path / "out.mp3"
    with pytest.raises(loudness.AudioError) as info:
        loudness.normalise(src, dst, target=-10.0, true_peak=-6.0, tolerance=0.2, bitrate=128, channels=2,
                           declared=loudness.probe(src).duration, max_attempts=1)
    assert re.fullmatch(r"out of tolerance after 1 encodes: I -?\d+\.\d LUFS \(target -10\.0 \+/-0\.2\), "
                        r"TP -?\d+\.\d dBTP \(max -6\.0\)", info.value.reason), info.value.reason
    assert not dst.exists()


def test_vbr_mp3_without_xing_header_is_not_taken_for_truncated(voice: tuple[Path, float], tmp_path: Path) -> None:
    """Its duration is only a guess from the bitrate: the length check must not trust it."""
    src = tmp_path / "vbr.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(voice[0]), "-c:a", "libmp3lame", "-q:a", "2",
                    "-write_xing", "0", str(src)], check=True)
    info = loudness.probe(src)
    assert info.estimated
    loudness.normalise(src, tmp_path / "out.mp3", target=-16.0, true_peak=-1.0, tolerance=1.0, bitrate=128,
                       channels=2, declared=info.duration * 1.5, check_length=not info.estimated)
    assert -17.0 <= ebur128(tmp_path / "out.mp3")[0] <= -15.0


def test_the_first_encode_is_held_to_the_aim_and_later_ones_to_the_tolerance() -> None:
    near, edge = loudness.Loudness(-16.3, 5.0, -1.5), loudness.Loudness(-16.8, 5.0, -1.5)
    assert loudness.within(near, -16.0, -1.0, 1.0, aim=loudness.AIM)
    assert not loudness.within(edge, -16.0, -1.0, 1.0, aim=loudness.AIM)  # encoded once more
    assert loudness.within(edge, -16.0, -1.0, 1.0)  # inside the tolerance: a later encode is kept
    assert not loudness.within(loudness.Loudness(-16.95, 5.0, -1.5), -16.0, -1.0, 1.0)  # the stream guard
    assert not loudness.within(loudness.Loudness(-16.0, 5.0, -0.9), -16.0, -1.0, 1.0)
    # a miss on the peak lowers the ceiling by the miss and a margin that grows with each attempt
    assert loudness.correct(loudness.Loudness(-16.0, 5.0, -0.6), -16.0, -1.0, 8.0, -3.0, 1) == (8.0, -3.9)
    assert loudness.correct(loudness.Loudness(-16.0, 5.0, -0.6), -16.0, -1.0, 8.0, -3.0, 2) == (8.0, -4.4)
    assert loudness.correct(loudness.Loudness(-16.7, 5.0, -1.5), -16.0, -1.0, 8.0, -3.0, 1) == (8.7, -3.0)
