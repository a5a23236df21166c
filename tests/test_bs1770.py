"""The measure in parts (one ffmpeg per core) against ffmpeg's own one-pass ebur128, and the
PCM header probe against ffprobe: real files, measured independently."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from artoiscast.audio import bs1770, loudness
from artoiscast.audio.probe import pcm_header
from conftest import ebur128, speech


def one_pass(path: Path) -> tuple[float, float]:
    """(I, LRA) of ffmpeg's ebur128 summary over the whole file, mixed to stereo, parsed here."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af",
                          "aformat=channel_layouts=stereo,ebur128", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),  # type: ignore[union-attr]
            float(re.search(r"LRA:\s+(-?[\d.]+) LU", summary).group(1)))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    """80 s of looped speech at 48 kHz: 30 s quiet (-14 dB), 4 s of silence, then full level,
    so that both gates and the loudness range have real work to do."""
    folder = tmp_path_factory.mktemp("parts")
    voice = speech(folder / "voice.wav", "Le renouveau du bassin minier, l'énergie solaire sur les terrils et le "
                   "Louvre-Lens.", gain_db=-6)
    out = folder / "long.flac"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(voice), "-t", "80",
                    "-af", "volume='if(lt(t,30),0.2,if(lt(t,34),0,1))':eval=frame,aresample=48000",
                    "-c:a", "flac", str(out)], check=True)
    return out


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_a_measure_in_parts_equals_one_pass_over_the_file(long_clip: Path, parts: int) -> None:
    info = loudness.probe(long_clip)
    assert info.duration >= bs1770.SPLIT_MIN  # really split when asked for 2 or 3 parts
    job = loudness.MeasureJob(long_clip, channels=2, declared=info.duration, rate=info.sample_rate, parts=parts)
    assert len(job.plan) == parts
    ours = job.result()
    i, lra = one_pass(long_clip)
    assert abs(ours.integrated - i) <= 0.1, (ours, i)
    assert abs(ours.lra - lra) <= 0.2, (ours, lra)
    assert lra > 5  # the quiet part counts in the range: the clip does test the gating


def test_split_plan_cuts_on_blocks_and_leads_into_each_part() -> None:
    plan = bs1770.split_plan(600.0, 44100, 2)
    assert plan[0] == bs1770.Part(0.0, 300.0, 0)
    assert plan[1] == bs1770.Part(297.1, None, bs1770.LEAD_BLOCKS)  # 29 blocks of 100 ms early
    assert bs1770.split_plan(59.0, 44100, 2) == [bs1770.Part(0.0, None, 0)]  # short: one part
    assert bs1770.split_plan(600.0, 44100, 1) == [bs1770.Part(0.0, None, 0)]
    three = bs1770.split_plan(100.0, 11025, 3)  # 1102-sample blocks: boundaries on whole blocks
    for part in three[1:]:
        blocks = (part.start + bs1770.LEAD_BLOCKS * 1102 / 11025) / (1102 / 11025)
        assert abs(blocks - round(blocks)) < 1e-4


def test_gating_follows_bs1770() -> None:
    def blocks(*runs: tuple[float, int]) -> Counter[float]:
        return Counter({v: n for v, n in runs})

    assert bs1770.integrated(blocks((-23.0, 50))) == pytest.approx(-23.0)
    assert bs1770.integrated(blocks((-120.7, 5))) == -70.0  # nothing above the absolute gate
    # the relative gate (10 LU under the mean of the blocks above -70) drops the quiet ones
    assert bs1770.integrated(blocks((-20.0, 10), (-40.0, 10), (-90.0, 10))) == pytest.approx(-20.0)
    # and keeps blocks within 10 LU: the mean is of energies, not of decibels
    assert bs1770.integrated(blocks((-20.0, 10), (-26.0, 10))) == pytest.approx(-22.03, abs=0.01)
    assert bs1770.loudness_range(blocks((-20.0, 100))) == 0.0
    # 10th and 95th percentiles of -30 .. -11, five blocks each
    assert bs1770.loudness_range(blocks(*[(float(v), 5) for v in range(-30, -10)])) == pytest.approx(17.0)


def test_block_log_lines_are_read_and_the_lead_dropped() -> None:
    log = [b"[Parsed_ebur128_0 @ 0x1] t: 0.1 TARGET:-23 LUFS M:-120.7 S:-120.7 I: -70.0 LUFS LRA: 0.0 LU\n",
           b"Stream mapping:\n",
           b"[Parsed_ebur128_0 @ 0x1] t: 0.2 TARGET:-23 LUFS M: -21.5 S:-120.7 I: -21.5 LUFS LRA: 0.0 LU\n",
           b"[Parsed_ebur128_0 @ 0x1] t: 3.0 TARGET:-23 LUFS M: -22.0 S: -23.4 I: -21.7 LUFS LRA: 0.0 LU\n"]
    got = bs1770.Blocks()
    got.read_log(log, skip=1)
    assert got.count == 2
    assert got.momentary == Counter({-21.5: 1, -22.0: 1}) and got.short_term == Counter({-120.7: 1, -23.4: 1})


@pytest.mark.parametrize("cut", [0.3, 0.8])
def test_a_cut_file_is_found_whichever_part_falls_short(long_clip: Path, tmp_path: Path, cut: float) -> None:
    """Cut at 30 % the second part decodes nothing; at 80 % it stops short. Both are reported."""
    full = tmp_path / "full.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(long_clip), "-c:a", "libmp3lame", "-b:a", "128k",
                    str(full)], check=True)
    info = loudness.probe(full)
    data = full.read_bytes()
    short = tmp_path / "short.mp3"
    short.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(loudness.AudioError) as raised:
        loudness.measure_source(short, channels=2, declared=info.duration, rate=info.sample_rate, parts=2)
    m = re.fullmatch(r"the file is truncated: its header declares (\d+\.\d) s but only (\d+\.\d) s decode "
                     r"\(copy or export it again\)", raised.value.reason)
    assert m, raised.value.reason
    assert abs(float(m[2]) - cut * info.duration) < 3.0


def test_source_true_peak_matches_ebur128(long_clip: Path, tmp_path: Path) -> None:
    """The true peak read on the way (4x oversampled) is the one ebur128 finds on the source."""
    hot = tmp_path / "hot.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", "40", "-t", "20", "-i", str(long_clip),
                    "-af", "volume=14dB",
                    "-c:a", "pcm_f32le", str(hot)], check=True)
    result = loudness.normalise(hot, tmp_path / "out.mp3", target=-16.0, true_peak=-1.0, tolerance=1.0, bitrate=128,
                                channels=2, declared=loudness.probe(hot).duration, rate=48000)
    reference = ebur128(hot)[1]
    assert reference > 0  # over full scale: the 16-bit peak reader must not clip it
    assert abs(result.before.true_peak - reference) <= 0.2, (result.before, reference)


# ---------------------------------------------------------------- the PCM header probe


def _ffprobe(path: Path) -> tuple[float, int, int]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-print_format", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    st = json.loads(out)["streams"][0]
    return float(st["duration"]), int(st["channels"]), int(st["sample_rate"])


@pytest.mark.parametrize(("name", "codec"), [
    ("s16.wav", ["-c:a", "pcm_s16le"]), ("f32.wav", ["-c:a", "pcm_f32le"]),
    ("s24-mono-96k.wav", ["-c:a", "pcm_s24le", "-ac", "1", "-ar", "96000"]),
    ("u8-8k.wav", ["-c:a", "pcm_u8", "-ar", "8000"]), ("s16.aiff", ["-c:a", "pcm_s16be"]),
    ("sowt.aifc", ["-c:a", "pcm_s16le", "-f", "aiff"]),
])
def test_pcm_header_gives_what_ffprobe_gives(long_clip: Path, tmp_path: Path, name: str, codec: list[str]) -> None:
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(long_clip), "-t", "7.25", *codec, str(out)],
                   check=True)
    header = pcm_header(out)
    assert header is not None
    duration, channels, rate = _ffprobe(out)
    assert (header.channels, header.sample_rate) == (channels, rate)
    assert abs(header.duration - duration) < 0.001


@pytest.mark.parametrize(("name", "codec"), [
    ("x.flac", ["-c:a", "flac"]), ("x.mp3", ["-c:a", "libmp3lame"]), ("adpcm.wav", ["-c:a", "adpcm_ms"]),
])
def test_pcm_header_leaves_other_formats_to_ffprobe(long_clip: Path, tmp_path: Path, name: str,
                                                   codec: list[str]) -> None:
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(long_clip), "-t", "3", *codec, str(out)],
                   check=True)
    assert pcm_header(out) is None
    assert loudness.probe(out).duration == pytest.approx(3.0, abs=0.1)  # ffprobe's answer instead
