"""The sole caller of ffmpeg/ffprobe: probe, measure loudness (ITU-R BS.1770-4), normalise, encode.

Command building and output parsing are pure functions; the subprocess calls are tiny.
Audio streams through ffmpeg: nothing here holds an episode in Python memory.

Method (../shared/research/loudness-bench.md, then scripts/bench/ingest.py):

1. measure the source's integrated loudness with ``ebur128`` (no true peak: the limiter
   takes care of peaks, and true peak at 4x is the costly part of the filter), downmixed or
   upmixed to the channels we encode, and count the decoded seconds (truncation check);
2. one pipeline of three ffmpeg processes running at once on the cores:
   decode + linear gain + true-peak limiter at 2x oversampling (and the source's true peak,
   as the 2x peak before the limiter) | libmp3lame CBR, written to the file and, through the
   ``tee`` muxer, to | a decoder of the **encoded MP3** measuring I, LRA and true peak.
3. if the MP3 misses the target (encoding moves loudness about 0.5 LU and peaks up), the
   gain or the limiter ceiling is corrected and step 2 repeated.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from artoiscast.errors import AudioError, ToolMissing

MP3_LOUDNESS_LOSS = 0.5  # LU lost by 128k MP3 encoding on speech (loudness-bench.md)
# The limiter runs at 2x: on the bench input it left the same true peak on the MP3 as 4x
# (-2.2 vs -2.3 dBTP) for 60 % of the stage's CPU; the MP3 is measured at 4x anyway.
OVERSAMPLE = 88200
FIRST_CEILING = -2.0  # dBFS (research, at 4x) left -1.2..-1.4 dBTP after MP3
# Samples of encoder delay at the start of ffmpeg's libmp3lame output (576 + 529). A player,
# and a decoder of the file, skip them thanks to the LAME tag; the piped copy has none.
LAME_DELAY = 1105
TRUNCATED_SLACK = 0.5  # seconds a decode may fall short of the declared duration

Progress = Callable[[float], None]  # called with the seconds of audio processed so far


@dataclass(frozen=True)
class Probe:
    duration: float
    channels: int
    sample_rate: int
    codec: str
    estimated: bool = False  # duration guessed from the bitrate (an MP3 without a Xing header)


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


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("size=", "video:"))]
    lines = [re.sub(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*", "", ln) for ln in lines]
    return lines[-1] if lines else "ffmpeg gave no reason"


# ---------------------------------------------------------------- running ffmpeg


class _Pipeline:
    """Processes connected stdout -> stdin, stderr each to a temporary file (no deadlock),
    and one ``-progress`` pipe read by a thread that reports decoded seconds."""

    def __init__(self, on_progress: Progress | None) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.errs: list[IO[bytes]] = []
        self.on_progress = on_progress
        self._read, self.progress_fd = os.pipe()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self.seconds = 0.0

    def _follow(self) -> None:
        with os.fdopen(self._read, "rb") as f:
            for raw in f:
                if raw.startswith(b"out_time_us=") and raw[12:].strip().isdigit():
                    self.seconds = int(raw[12:]) / 1e6
                    if self.on_progress:
                        self.on_progress(self.seconds)

    def start(self, cmd: list[str], *, progress: bool = False, stdin: IO[bytes] | None = None,
              stdout: int | None = None) -> subprocess.Popen[bytes]:
        err = tempfile.TemporaryFile()
        self.errs.append(err)
        fds = (self.progress_fd,) if progress else ()
        proc = subprocess.Popen(cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL, stdout=stdout,
                                stderr=err, pass_fds=fds)
        self.procs.append(proc)
        if stdin is not None:
            stdin.close()  # the child holds it now: EOF and SIGPIPE travel along the pipeline
        return proc

    def wait(self) -> list[tuple[int, str]]:
        """(return code, stderr) of each process, in start order."""
        self._close_fd()
        codes = [p.wait() for p in self.procs]
        self._thread.join()
        out = []
        for code, err in zip(codes, self.errs):
            err.seek(0)
            out.append((code, err.read().decode("utf-8", "replace")))
            err.close()
        return out

    def _close_fd(self) -> None:
        if self.progress_fd >= 0:
            os.close(self.progress_fd)
            self.progress_fd = -1

    def __enter__(self) -> _Pipeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_fd()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for err in self.errs:
            err.close()


# ---------------------------------------------------------------- probe


def probe_cmd(path: Path) -> list[str]:
    return [_tool("ffprobe"), "-v", "warning", "-print_format", "json", "-show_format", "-show_streams", str(path)]


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
    """Check that ``path`` is audio ffmpeg can open. Raises AudioError with a plain reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"cannot read ({exc.strerror})", path=path) from exc
    if size == 0:
        raise AudioError("the file is empty (0 bytes): export the audio again", path=path)
    proc = subprocess.run(probe_cmd(path), capture_output=True, text=True, errors="replace", check=False)
    if proc.returncode != 0:
        why = _last_error_line(proc.stderr.replace(f"{path}: ", ""))
        raise AudioError(f"not a readable audio file ({why}): export it again as "
                         "WAV, FLAC, MP3, M4A, OGG, Opus or AIFF", path=path)
    info = parse_probe(proc.stdout)
    if info is not None and "Estimating duration from bitrate" in proc.stderr:
        info = Probe(info.duration, info.channels, info.sample_rate, info.codec, estimated=True)
    if info is None:
        raise AudioError("the file has no audio stream (a picture or a video without sound?): give an audio file",
                         path=path)
    short = declared_shortfall(path, size)
    if short:
        raise AudioError(f"the file is truncated: its header declares {short[0]} bytes of audio but only {short[1]} "
                         "are there (copy or export it again)", path=path)
    if info.duration <= 0.5:
        raise AudioError(f"the audio lasts {info.duration:.2f} s: it is empty or truncated (export it again)",
                         path=path)
    return info


def declared_shortfall(path: Path, size: int) -> tuple[int, int] | None:
    """(declared, present) bytes of a WAV/AIFF data chunk cut short, else None.

    ffprobe sizes a WAV by the file, not by its header, so a cut WAV decodes without
    complaint: the header is the only witness. Streamed files declare 0 or 0xFFFFFFFF.
    """
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if len(head) < 12:
        return None
    riff = head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE"
    aiff = head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC")
    if not (riff or aiff):
        return None
    order, want = ("little", b"data") if riff else ("big", b"SSND")
    pos = 12
    while pos + 8 <= len(head):
        cid, n = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], order)
        if cid == want:
            present = size - pos - 8
            if n in (0, 0xFFFFFFFF) or head[:4] == b"RF64":
                return None
            return (n, present) if present < n else None
        pos += 8 + n + (n & 1)
    return None


# ---------------------------------------------------------------- measure

_SUMMARY = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf)\s*LUFS.*?"
    r"Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+)\s*LU"
    r"(?:.*?True peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf)\s*dBFS)?",
    re.S,
)
_ASTATS_PEAK = re.compile(r"Parsed_astats.*?Peak level dB:\s*(-?[\d.]+|-inf)")


def _num(s: str) -> float:
    return float(s)  # "-inf" included


def layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


def measure_cmd(path: Path, *, channels: int | None = None, true_peak: bool = True,
                progress_fd: int | None = None) -> list[str]:
    """ebur128 over the first audio stream; ``channels`` first mixes to what will be encoded."""
    chain = f"aformat=channel_layouts={layout(channels)}," if channels else ""
    chain += "ebur128=peak=true" if true_peak else "ebur128"
    prog = ["-progress", f"pipe:{progress_fd}"] if progress_fd is not None else []
    return [_tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", *prog, "-i", str(path), "-map", "0:a:0",
            "-af", chain, "-f", "null", "-"]


def parse_ebur128(stderr: str) -> Loudness | None:
    """The summary block printed by ffmpeg's ebur128 filter, or None if absent (TP NaN without peak=true)."""
    matches = list(_SUMMARY.finditer(stderr))
    if not matches:
        return None
    m = matches[-1]
    return Loudness(_num(m["i"]), float(m["lra"]), _num(m["tp"]) if m["tp"] else math.nan)


def parse_astats_peak(stderr: str) -> float | None:
    m = _ASTATS_PEAK.findall(stderr)
    return _num(m[-1]) if m else None


def measure(path: Path) -> Loudness:
    """Integrated loudness, loudness range and true peak of ``path`` (one decode pass)."""
    proc = subprocess.run(measure_cmd(path), capture_output=True, text=True, errors="replace", check=False)
    result = parse_ebur128(proc.stderr) if proc.returncode == 0 else None
    if result is None:
        raise AudioError(f"loudness measurement failed: {_last_error_line(proc.stderr)}", path=path)
    return result


def measure_source(path: Path, *, channels: int, declared: float, on_progress: Progress | None = None,
                   check_length: bool = True) -> Loudness:
    """Integrated loudness and LRA of ``path`` as it will be encoded (no true peak: see normalise).

    Raises AudioError if ffmpeg cannot decode it to the end or decodes clearly less than
    the ``declared`` duration (a truncated file).
    """
    with _Pipeline(on_progress) as pipe:
        pipe.start(measure_cmd(path, channels=channels, true_peak=False, progress_fd=pipe.progress_fd),
                   progress=True)
        ((code, stderr),) = pipe.wait()
    result = parse_ebur128(stderr) if code == 0 else None
    if result is None:
        raise AudioError(f"cannot decode the audio ({_last_error_line(stderr)}): the file is damaged, "
                         "export it again", path=path)
    decoded = pipe.seconds
    if check_length and decoded < declared - max(TRUNCATED_SLACK, 0.01 * declared):
        raise AudioError(f"the file is truncated: its header declares {declared:.1f} s but only {decoded:.1f} s "
                         "decode (copy or export it again)", path=path)
    return result


# ---------------------------------------------------------------- normalise + encode


def gain_for(measured: float, target: float) -> float:
    """Linear gain (dB) that brings ``measured`` to ``target``, aiming above by the MP3 loss."""
    return round(target - measured + MP3_LOUDNESS_LOSS, 2)


def db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


def limiter_chain(*, gain_db: float, ceiling_db: float, channels: int) -> str:
    """Mix to the encoded channels, gain, oversampled peak (the source's true peak), limiter, back to 44.1 kHz."""
    limit = max(0.0625, min(1.0, db_to_linear(ceiling_db)))
    return (
        f"aformat=channel_layouts={layout(channels)},volume={gain_db:.2f}dB,aresample={OVERSAMPLE},"
        "astats=measure_perchannel=none:measure_overall=Peak_level,"
        f"alimiter=limit={limit:.6f}:level=false:attack=5:release=50,aresample=44100"
    )


def limit_cmd(src: Path, *, gain_db: float, ceiling_db: float, channels: int, progress_fd: int | None = None) -> list[str]:
    """Stage 1: decode, gain and limit; raw float PCM on stdout."""
    prog = ["-progress", f"pipe:{progress_fd}"] if progress_fd is not None else []
    return [
        _tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", *prog, "-i", str(src), "-map", "0:a:0",
        "-af", limiter_chain(gain_db=gain_db, ceiling_db=ceiling_db, channels=channels),
        "-ac", str(channels), "-ar", "44100", "-f", "f32le", "-",
    ]


def mp3_cmd(dst: Path, *, bitrate: int, channels: int) -> list[str]:
    """Stage 2: 44.1 kHz CBR MP3 from stdin, no metadata, to ``dst`` and (tee) to stdout."""
    opts = "f=mp3:id3v2_version=0:fflags=+bitexact"
    out = str(dst).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[")
    return [
        _tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", "44100", "-ac", str(channels), "-i", "pipe:0", "-map", "0:a",
        "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-flags:a", "+bitexact", "-f", "tee", f"[{opts}:write_xing=1]{out}|[{opts}:write_xing=0]pipe:1",
    ]


def encode_cmd(src: Path, dst: Path, *, gain_db: float, ceiling_db: float, bitrate: int, channels: int) -> list[str]:
    """The same encode as one ffmpeg process (kept for comparison in benchmarks)."""
    return [
        _tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-i", str(src), "-map", "0:a:0", "-af", limiter_chain(gain_db=gain_db, ceiling_db=ceiling_db, channels=channels),
        "-ac", str(channels), "-ar", "44100", "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-map_metadata", "-1",
        "-id3v2_version", "0", "-write_xing", "1", "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "mp3",
        str(dst),
    ]


def encode_and_measure(src: Path, dst: Path, *, gain_db: float, ceiling_db: float, bitrate: int, channels: int,
                       on_progress: Progress | None = None) -> tuple[Loudness, float | None]:
    """Encode ``src`` to ``dst`` while measuring the encoded MP3 (three processes at once).

    Returns the MP3's loudness and the 2x peak of the gained source before the limiter
    (dBFS, or None). Raises AudioError naming the stage that failed.
    """
    with _Pipeline(on_progress) as pipe:
        limit = pipe.start(limit_cmd(src, gain_db=gain_db, ceiling_db=ceiling_db, channels=channels,
                                     progress_fd=pipe.progress_fd), progress=True, stdout=subprocess.PIPE)
        enc = pipe.start(mp3_cmd(dst, bitrate=bitrate, channels=channels), stdin=limit.stdout, stdout=subprocess.PIPE)
        pipe.start([_tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-f", "mp3", "-i", "pipe:0",
                    "-af", f"atrim=start_sample={LAME_DELAY},ebur128=peak=true", "-f", "null", "-"], stdin=enc.stdout)
        (c1, e1), (c2, e2), (c3, e3) = pipe.wait()
    if c2 != 0:  # the encoder (or the disk) first: it makes the others fail with a broken pipe
        raise AudioError(f"encoding failed: {_last_error_line(e2)}", path=src)
    if c1 != 0:
        raise AudioError(f"cannot decode the audio ({_last_error_line(e1)})", path=src)
    after = parse_ebur128(e3) if c3 == 0 else None
    if after is None:
        raise AudioError(f"measuring the encoded MP3 failed: {_last_error_line(e3)}", path=dst)
    return after, parse_astats_peak(e1)


@dataclass(frozen=True)
class Normalised:
    before: Loudness
    after: Loudness
    attempts: int
    gain_db: float
    ceiling_db: float


STREAM_GUARD = 0.1  # LU: the measured stream holds the end padding the file's LAME tag hides


def within(after: Loudness, target: float, true_peak: float, tolerance: float) -> bool:
    """Is an encoded file's loudness inside the show's tolerance (with a guard for the stream measure)?"""
    return abs(after.integrated - target) <= tolerance - STREAM_GUARD and after.true_peak <= true_peak


def correct(after: Loudness, target: float, true_peak: float, gain: float, ceiling: float) -> tuple[float, float]:
    """Gain and limiter ceiling for another encode, from what the last encode measured."""
    if after.true_peak > true_peak:
        ceiling -= after.true_peak - true_peak + 0.3
    gain += target - after.integrated
    return round(gain, 2), round(ceiling, 2)


def normalise(src: Path, dst: Path, *, target: float, true_peak: float, tolerance: float,
              bitrate: int, channels: int, before: Loudness | None = None, max_attempts: int = 3,
              declared: float = 0.0, check_length: bool = True, on_progress: Progress | None = None) -> Normalised:
    """Encode ``src`` to ``dst`` (MP3) at ``target`` LUFS with true peak <= ``true_peak`` dBTP.

    The target is checked on the encoded MP3. Returns the measurements before and
    after. ``on_progress`` gets the seconds done of ``2 x duration`` (measure, then
    encode; a retry starts the encode half again). Raises AudioError if the source is
    silent, damaged or truncated (shorter than ``declared`` seconds), or if the result
    is out of tolerance after ``max_attempts`` encodes (``dst`` is then removed).
    """
    half = 0.0

    def step(seconds: float) -> None:
        if on_progress:
            on_progress(half + seconds)

    measured = before or measure_source(src, channels=channels, declared=declared, on_progress=step,
                                        check_length=check_length)
    half = declared
    if measured.integrated <= -69.0:
        raise AudioError("the audio is silent (integrated loudness below -69 LUFS)", path=src)
    gain, ceiling = gain_for(measured.integrated, target), min(FIRST_CEILING, true_peak - 1.0)
    try:
        for attempt in range(1, max_attempts + 1):
            after, peak = encode_and_measure(src, dst, gain_db=gain, ceiling_db=ceiling, bitrate=bitrate,
                                             channels=channels, on_progress=step)
            if attempt == 1 and peak is not None and math.isnan(measured.true_peak):
                measured = Loudness(measured.integrated, measured.lra, round(peak - gain, 1))
            if within(after, target, true_peak, tolerance):
                return Normalised(measured, after, attempt, gain, ceiling)
            gain, ceiling = correct(after, target, true_peak, gain, ceiling)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    dst.unlink(missing_ok=True)
    raise AudioError(
        f"out of tolerance after {max_attempts} encodes: I {after.integrated:.1f} LUFS (target {target:.1f} "
        f"+/-{tolerance:g}), TP {after.true_peak:.1f} dBTP (max {true_peak:.1f})",
        path=src,
    )
