"""The sole caller of ffmpeg/ffprobe: probe, measure loudness (ITU-R BS.1770-4), normalise, encode.

Command building and output parsing are pure functions; the subprocess calls are tiny.
Audio streams through ffmpeg: nothing here holds an episode in Python memory.

Method (measured in ../shared/research/loudness-bench.md, the fastest that meets the
target on the encoded file): one ebur128 measurement pass, then one pass of linear
gain + a true-peak limiter at 4x oversampling + MP3 encode, then a re-measure of the
MP3. If the MP3 misses the target (encoding moves loudness about 0.5 LU and peaks up),
the gain or the limiter ceiling is corrected and the encode repeated.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from artoiscast.errors import AudioError, ToolMissing

MP3_LOUDNESS_LOSS = 0.5  # LU lost by 128k MP3 encoding on speech (loudness-bench.md)
OVERSAMPLE = 176400
FIRST_CEILING = -2.0  # dBFS at 4x oversampling left -1.2..-1.4 dBTP after MP3


@dataclass(frozen=True)
class Probe:
    duration: float
    channels: int
    sample_rate: int
    codec: str


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    lra: float  # LU
    true_peak: float  # dBTP

    def as_dict(self) -> dict[str, float]:
        return {"I": self.integrated, "LRA": self.lra, "TP": self.true_peak}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} not found (apt-get install ffmpeg)", path=name)
    return found


def _run(cmd: list[str], path: Path, what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=False)
    if proc.returncode != 0:
        last = _last_error_line(proc.stderr)
        raise AudioError(f"{what} failed: {last}", path=path)
    return proc


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "ffmpeg gave no reason"


# ---------------------------------------------------------------- probe


def probe_cmd(path: Path) -> list[str]:
    return [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]


def parse_probe(out: str) -> Probe | None:
    """The first audio stream of ffprobe's JSON, or None if there is none."""
    data = json.loads(out or "{}")
    fmt = data.get("format", {})
    for st in data.get("streams", []):
        if st.get("codec_type") == "audio":
            dur = st.get("duration") or fmt.get("duration") or 0
            return Probe(float(dur), int(st.get("channels", 0)), int(st.get("sample_rate", 0)), st.get("codec_name", "?"))
    return None


def probe(path: Path) -> Probe:
    """Check that ``path`` is decodable audio. Raises AudioError with a plain reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"cannot read ({exc.strerror})", path=path) from exc
    if size == 0:
        raise AudioError("the file is empty (0 bytes): export the audio again", path=path)
    proc = subprocess.run(probe_cmd(path), capture_output=True, text=True, errors="replace", check=False)
    if proc.returncode != 0:
        raise AudioError(f"not a readable audio file ({_last_error_line(proc.stderr)})", path=path)
    info = parse_probe(proc.stdout)
    if info is None:
        raise AudioError("the file has no audio stream", path=path)
    if info.duration <= 0.5:
        raise AudioError(f"the audio lasts {info.duration:.2f} s: it is empty or truncated", path=path)
    return info


# ---------------------------------------------------------------- measure

_SUMMARY = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf)\s*LUFS.*?"
    r"Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+)\s*LU.*?"
    r"True peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf)\s*dBFS",
    re.S,
)


def measure_cmd(path: Path) -> list[str]:
    return [
        _tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
        "-af", "ebur128=peak=true", "-f", "null", "-",
    ]


def parse_ebur128(stderr: str) -> Loudness | None:
    """The summary block printed by ffmpeg's ebur128 filter, or None if absent."""
    matches = list(_SUMMARY.finditer(stderr))
    if not matches:
        return None
    m = matches[-1]

    def num(s: str) -> float:
        return -math.inf if s == "-inf" else float(s)

    return Loudness(num(m["i"]), float(m["lra"]), num(m["tp"]))


def measure(path: Path) -> Loudness:
    """Integrated loudness, loudness range and true peak of ``path`` (one decode pass)."""
    proc = _run(measure_cmd(path), path, "loudness measurement")
    result = parse_ebur128(proc.stderr)
    if result is None:
        raise AudioError("ffmpeg printed no loudness summary (is the audio truncated?)", path=path)
    return result


# ---------------------------------------------------------------- normalise + encode


def gain_for(measured: float, target: float) -> float:
    """Linear gain (dB) that brings ``measured`` to ``target``, aiming above by the MP3 loss."""
    return round(target - measured + MP3_LOUDNESS_LOSS, 2)


def db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


def encode_cmd(src: Path, dst: Path, *, gain_db: float, ceiling_db: float, bitrate: int, channels: int) -> list[str]:
    """ffmpeg command: gain, true-peak limiter at 4x oversampling, 44.1 kHz CBR MP3, no metadata."""
    limit = max(0.0625, min(1.0, db_to_linear(ceiling_db)))
    chain = (
        f"volume={gain_db:.2f}dB,aresample={OVERSAMPLE},"
        f"alimiter=limit={limit:.6f}:level=false:attack=5:release=50,aresample=44100"
    )
    return [
        _tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-i", str(src), "-map", "0:a:0", "-af", chain, "-ac", str(channels), "-ar", "44100",
        "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-map_metadata", "-1", "-id3v2_version", "0",
        "-write_xing", "1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3", str(dst),
    ]


@dataclass(frozen=True)
class Normalised:
    before: Loudness
    after: Loudness
    attempts: int
    gain_db: float
    ceiling_db: float


def within(after: Loudness, target: float, true_peak: float, tolerance: float) -> bool:
    """Is an encoded file's loudness inside the show's tolerance?"""
    return abs(after.integrated - target) <= tolerance and after.true_peak <= true_peak


def correct(after: Loudness, target: float, true_peak: float, gain: float, ceiling: float) -> tuple[float, float]:
    """Gain and limiter ceiling for another encode, from what the last encode measured."""
    if after.true_peak > true_peak:
        ceiling -= after.true_peak - true_peak + 0.3
    gain += target - after.integrated
    return round(gain, 2), round(ceiling, 2)


def normalise(src: Path, dst: Path, *, target: float, true_peak: float, tolerance: float,
              bitrate: int, channels: int, before: Loudness | None = None, max_attempts: int = 3) -> Normalised:
    """Encode ``src`` to ``dst`` (MP3) at ``target`` LUFS with true peak <= ``true_peak`` dBTP.

    The target is checked on the encoded MP3. Returns the measurements before and
    after. Raises AudioError if the result is out of tolerance after ``max_attempts``
    encodes (the file at ``dst`` is removed).
    """
    before = before or measure(src)
    if before.integrated <= -69.0:
        raise AudioError("the audio is silent (integrated loudness below -69 LUFS)", path=src)
    gain, ceiling = gain_for(before.integrated, target), min(FIRST_CEILING, true_peak - 1.0)
    for attempt in range(1, max_attempts + 1):
        _run(encode_cmd(src, dst, gain_db=gain, ceiling_db=ceiling, bitrate=bitrate, channels=channels), src, "encoding")
        after = measure(dst)
        if within(after, target, true_peak, tolerance):
            return Normalised(before, after, attempt, gain, ceiling)
        gain, ceiling = correct(after, target, true_peak, gain, ceiling)
    dst.unlink(missing_ok=True)
    raise AudioError(
        f"out of tolerance after {max_attempts} encodes: I {after.integrated:.1f} LUFS (target {target:.1f} "
        f"+/-{tolerance:g}), TP {after.true_peak:.1f} dBTP (max {true_peak:.1f})",
        path=src,
    )
