"""Measure loudness (ITU-R BS.1770-4), normalise and encode, with ffmpeg.

Command building and output parsing are pure functions (the gating arithmetic is in
``bs1770``, the probe in ``probe``, the process plumbing in ``run``); the subprocess calls
are tiny. Audio streams through ffmpeg: nothing here holds an episode in Python memory.

Method (chosen by measurement: the numbers are in scripts/bench/ingest.py's docstring):

1. measure the source's integrated loudness and LRA with ``ebur128`` (no true peak: that
   is the costly part of the filter), mixed to the channels we encode, in one part per core
   at once (``bs1770.split_plan``: the 100 ms blocks of all parts are gated together), and
   count the decoded seconds (truncation check);
2. one pipeline of three ffmpeg processes running at once on the cores, the first two
   started while step 1 runs (``Encoder``): decode + linear gain + true-peak limiter at 2x
   oversampling, with a branch reading the source's true peak (4x oversampled, soxr) |
   libmp3lame CBR, written to the file and, through the ``tee`` muxer, to | a decoder of the
   **encoded MP3** measuring I, LRA and true peak with ``ebur128=peak=true``. The encoder is
   the slowest stage; the other two run at a lower priority so that they never take its core;
3. if the MP3 misses the target (encoding lowers loudness a little and pushes peaks up on
   sharp attacks), the gain or the limiter ceiling is corrected (``correct``) and
   step 2 repeated, 4 encodes at most; a first encode inside the tolerance but more than
   ``AIM`` from the target is done once more too.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from artoiscast.audio import bs1770
from artoiscast.audio.probe import PendingProbe, Probe, pcm_header, probe
from artoiscast.audio.run import Pipeline, Progress, last_error_line, tool, write_failure
from artoiscast.errors import AudioError
from artoiscast.parallel import cores

__all__ = ["AudioError", "Encoder", "Loudness", "MeasureJob", "PendingProbe", "Probe", "measure_before", "normalise",
           "pcm_header", "probe"]

MP3_LOUDNESS_LOSS = 0.5  # LU lost by 128k MP3 encoding on speech (measured: scripts/bench/ingest.py)
# The limiter runs at 2x: it leaves the MP3 the same true peak as 4x for much less CPU; the MP3
# is measured at 4x anyway.
OVERSAMPLE = 88200
RESAMPLER = "soxr"  # faster than swr's default here, and as clean
# Headroom (dB) between the show's true-peak maximum and the limiter's ceiling (at 2x) in the
# first encode. 128k MP3 puts peaks back up, most on sharp attacks (the demo's plucked jingle;
# worst in the encoder's first frames): with less headroom, demo episodes need a second encode.
CODEC_HEADROOM = 2.0
# The source's true peak is read by volumedetect, which works in 16-bit: the source is brought to
# the show's level by the gain, then lowered by this much, so that peaks up to 40 dB over the
# target level's full scale fit, and a peak 60 dB under it still reads to 0.3 dB.
TP_HEADROOM = 40.0
# Samples of encoder delay at the start of ffmpeg's libmp3lame output (576 + 529). A player,
# and a decoder of the file, skip them thanks to the LAME tag; the piped copy has none.
LAME_DELAY = 1105
TRUNCATED_SLACK = 0.5  # seconds a decode may fall short of the declared duration
# The MP3 encoder is the slowest stage and sets the pace; the limiter and the measure of the MP3
# need a third of its CPU between them. Run at a lower priority, they take the other core and
# the gaps and never the encoder's core (a faster median, and no slow outliers).
SIDE_NICE = 5


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    lra: float  # LU
    true_peak: float  # dBTP

    def as_dict(self) -> dict[str, float]:
        return {"I": self.integrated, "LRA": self.lra, "TP": self.true_peak}


# ---------------------------------------------------------------- measure

_SUMMARY = re.compile(
    r"Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf)\s*LUFS.*?"
    r"Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+)\s*LU"
    r"(?:.*?True peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf)\s*dBFS)?",
    re.S,
)
_MAX_VOLUME = re.compile(r"max_volume:\s*(-?[\d.]+|-inf) dB")


def _num(s: str) -> float:
    return float(s)  # "-inf" included


def layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


def measure_part_cmd(path: Path, part: bs1770.Part, *, channels: int) -> list[str]:
    """ebur128 over one time range of the source, logging every 100 ms block (for ``bs1770``)."""
    seek = ["-ss", f"{part.start:.6f}"] if part.start > 0 else []
    length = ["-t", f"{part.length:.6f}"] if part.length is not None else []
    return [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", *seek, *length, "-i", str(path),
            "-map", "0:a:0", "-af", f"aformat=channel_layouts={layout(channels)},ebur128=framelog=info",
            "-f", "null", "-"]


def parse_ebur128(stderr: str) -> Loudness | None:
    """The summary block printed by ffmpeg's ebur128 filter, or None if absent (TP NaN without peak=true)."""
    matches = list(_SUMMARY.finditer(stderr))
    if not matches:
        return None
    m = matches[-1]
    return Loudness(_num(m["i"]), float(m["lra"]), _num(m["tp"]) if m["tp"] else math.nan)


def parse_max_volume(stderr: str) -> float | None:
    """volumedetect's ``max_volume`` (dBFS), or None."""
    m = _MAX_VOLUME.findall(stderr)
    return _num(m[-1]) if m else None


def decoded_seconds(plan: list[bs1770.Part], done: list[float]) -> float:
    """How far into the source the parts decoded: up to the first part that stopped short."""
    for part, seconds in zip(plan, done, strict=False):
        if part.length is None or seconds < part.length - TRUNCATED_SLACK:
            return part.start + seconds
    return plan[-1].start + done[-1]


class MeasureJob:
    """The measure of a source, started now: integrated loudness and LRA as it will be encoded.

    With a known length of a minute or more, the source is measured in ``parts`` ranges at
    once (default: one per core) and their blocks gated together (``bs1770``).
    """

    def __init__(self, path: Path, *, channels: int, declared: float, rate: int = 0, parts: int | None = None,
                 on_progress: Progress | None = None, check_length: bool = True) -> None:
        self.path, self.declared, self.check_length = path, declared, check_length
        self.plan = bs1770.split_plan(declared if check_length else 0.0, rate, parts or cores())
        # the parts decode a few seconds twice (their lead): never report more than the whole
        report = (lambda done: on_progress(min(done, declared) if declared > 0 else done)) if on_progress else None
        self.pipe = Pipeline(report)
        try:
            for part in self.plan:
                self.pipe.start(measure_part_cmd(path, part, channels=channels), progress=True)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop the measure if it still runs."""
        self.pipe.__exit__()

    def result(self) -> Loudness:
        """The measure (true peak NaN: the encode reads it). Raises AudioError if ffmpeg cannot
        decode the source to the end or decodes clearly less than the ``declared`` duration."""
        blocks = bs1770.Blocks()
        try:
            results = self.pipe.wait(scan=lambda i, log: blocks.read_log(log, self.plan[i].skip))
        finally:
            self.close()
        path, declared = self.path, self.declared
        for code, stderr in results:
            if code != 0 or "Summary:" not in stderr:
                raise AudioError(f"cannot decode the audio ({last_error_line(stderr)}): the file is damaged, "
                                 "export it again", path=path)
        decoded = decoded_seconds(self.plan, self.pipe.done)
        if self.check_length and decoded < declared - max(TRUNCATED_SLACK, 0.01 * declared):
            raise AudioError(f"the file is truncated: its header declares {declared:.1f} s but only {decoded:.1f} s "
                             "decode (copy or export it again)", path=path)
        integrated, lra = bs1770.integrated(blocks.momentary), bs1770.loudness_range(blocks.short_term)
        return Loudness(round(integrated, 1), round(lra, 1), math.nan)


def measure_source(path: Path, *, channels: int, declared: float, rate: int = 0, parts: int | None = None,
                   on_progress: Progress | None = None, check_length: bool = True) -> Loudness:
    """Integrated loudness and LRA of ``path`` as it will be encoded (see ``MeasureJob``)."""
    return MeasureJob(path, channels=channels, declared=declared, rate=rate, parts=parts, on_progress=on_progress,
                      check_length=check_length).result()


def true_peak_cmd(path: Path) -> list[str]:
    """ebur128 with true peak (4x oversampled) over the source's own channels, unmixed."""
    return [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
            "-af", "ebur128=peak=true", "-f", "null", "-"]


def measure_before(path: Path, *, channels: int, declared: float, rate: int = 0,
                   on_progress: Progress | None = None) -> Loudness:
    """The loudness "before" as ``ingest`` reports it, without encoding: integrated loudness and
    LRA as mixed to the show's ``channels`` (``MeasureJob``, one part per core) and the source's
    own true peak, measured at the same time. Raises AudioError as ``MeasureJob.result`` does."""
    peak = Pipeline(None)
    try:
        peak.start(true_peak_cmd(path))
        measured = MeasureJob(path, channels=channels, declared=declared, rate=rate, on_progress=on_progress).result()
        [(code, stderr)] = peak.wait()
    finally:
        peak.__exit__()
    found = parse_ebur128(stderr) if code == 0 else None
    if found is None:
        raise AudioError(f"cannot decode the audio ({last_error_line(stderr)}): the file is damaged, export it again",
                         path=path)
    return Loudness(measured.integrated, measured.lra, round(found.true_peak, 1))


# ---------------------------------------------------------------- normalise + encode


def gain_for(measured: float, target: float) -> float:
    """Linear gain (dB) that brings ``measured`` to ``target``, aiming above by the MP3 loss."""
    return round(target - measured + MP3_LOUDNESS_LOSS, 2)


def db_to_linear(db: float) -> float:
    return 10 ** (db / 20)


def limiter_graph(*, gain_db: float, ceiling_db: float, channels: int, rate: int = 0) -> str:
    """One branch reads the source's own true peak (4x oversampled, at most 192 kHz as ebur128
    does; before any channel mix, so a mono source reads as itself); the other mixes to the
    encoded channels, applies the gain, limits at 2x and returns to 44.1 kHz."""
    limit = max(0.0625, min(1.0, db_to_linear(ceiling_db)))
    tp_rate = min(4 * rate, 192000) if rate > 0 else 192000
    return (
        "[0:a:0]asplit[main][tp];"
        f"[tp]volume={gain_db - TP_HEADROOM:.2f}dB,aresample={tp_rate}:resampler={RESAMPLER},volumedetect,anullsink;"
        f"[main]aformat=channel_layouts={layout(channels)},volume={gain_db:.2f}dB,"
        f"aresample={OVERSAMPLE}:resampler={RESAMPLER},"
        f"alimiter=limit={limit:.6f}:level=false:attack=5:release=50:latency=true,aresample=44100:resampler={RESAMPLER}[out]"
    )


def limit_cmd(src: Path, *, graph_fd: int, channels: int) -> list[str]:
    """Stage 1: decode, gain and limit; raw float PCM on stdout. The filter graph (``limiter_graph``)
    is read from the pipe ``graph_fd``: ffmpeg reads it before it opens the source, so the process
    can start (loading its libraries) while the source is still being measured."""
    return [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-filter_complex_script", f"pipe:{graph_fd}",
        "-i", str(src), "-map", "[out]", "-ac", str(channels), "-ar", "44100", "-f", "f32le", "-",
    ]


def mp3_cmd(dst: Path, *, bitrate: int, channels: int) -> list[str]:
    """Stage 2: 44.1 kHz CBR MP3 from stdin, no metadata, to ``dst`` and (tee) to stdout. A failure
    to write ``dst`` stops the encode (``onfail=abort``), though the exit status stays 0 in ffmpeg 5:
    see ``write_failure``."""
    opts = "f=mp3:id3v2_version=0:fflags=+bitexact"
    out = str(dst).replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[")
    return [
        tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", "44100", "-ac", str(channels), "-i", "pipe:0", "-map", "0:a",
        "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-flags:a", "+bitexact", "-f", "tee",
        f"[onfail=abort:{opts}:write_xing=1]{out}|[{opts}:write_xing=0]pipe:1",
    ]


def verify_cmd() -> list[str]:
    """Stage 3: decode the MP3 stream (skipping the encoder delay) and measure it, true peak on."""
    return [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-f", "mp3", "-i", "pipe:0",
            "-af", f"atrim=start_sample={LAME_DELAY},ebur128=peak=true", "-f", "null", "-"]


class Encoder:
    """The encode pipeline of one attempt, started before its gain is known.

    ``Encoder(...)`` starts the limiter stage (waiting for its filter graph on a pipe) and the
    MP3 encoder (waiting for audio), so their start-up overlaps the measure of the source;
    ``run(gain, ceiling)`` sends the graph, starts the measure of the MP3 and waits. ``close``
    stops whatever still runs (an encoder never run leaves no file).
    """

    def __init__(self, src: Path, dst: Path, *, bitrate: int, channels: int) -> None:
        self.src, self.dst, self.channels = src, dst, channels
        self.pipe = Pipeline(None)
        read, self._graph = os.pipe()
        try:
            self.limit = self.pipe.start(limit_cmd(src, graph_fd=read, channels=channels), progress=True,
                                         stdout=subprocess.PIPE, give=(read,), nice=SIDE_NICE)
            self.enc = self.pipe.start(mp3_cmd(dst, bitrate=bitrate, channels=channels), stdin=self.limit.stdout,
                                       stdout=subprocess.PIPE)
        except BaseException:
            self.close()
            raise

    def run(self, *, gain_db: float, ceiling_db: float, rate: int = 0,
            on_progress: Progress | None = None) -> tuple[Loudness, float | None]:
        """Encode at this gain and ceiling while measuring the encoded MP3.

        Returns the MP3's loudness and the source's true peak (dBTP; None if unread).
        Raises AudioError naming the stage that failed, OSError (on ``dst``) when the file
        could not be written (a full disk).
        """
        self.pipe.on_progress = on_progress
        try:
            self.pipe.start(verify_cmd(), stdin=self.enc.stdout, nice=SIDE_NICE)
            graph = limiter_graph(gain_db=gain_db, ceiling_db=ceiling_db, channels=self.channels, rate=rate)
            try:
                os.write(self._graph, graph.encode())
            except OSError:  # the stage died before reading it: its own error says why
                pass
            self._close_graph()
            (c1, e1), (c2, e2), (c3, e3) = self.pipe.wait()
        finally:
            self.close()
        failed_write = write_failure(e2, self.dst)  # ffmpeg 5 exits 0 when it could not write the file
        if failed_write is not None:
            raise failed_write
        if c2 != 0:  # the encoder (or the disk) first: it makes the others fail with a broken pipe
            raise AudioError(f"encoding failed: {last_error_line(e2)}", path=self.src)
        if c1 != 0:
            raise AudioError(f"cannot decode the audio ({last_error_line(e1)})", path=self.src)
        after = parse_ebur128(e3) if c3 == 0 else None
        if after is None:
            raise AudioError(f"measuring the encoded MP3 failed: {last_error_line(e3)}", path=self.dst)
        peak = parse_max_volume(e1)
        source_tp = None if peak is None or math.isinf(peak) else round(peak + TP_HEADROOM - gain_db, 1)
        return after, source_tp

    def _close_graph(self) -> None:
        if self._graph >= 0:
            os.close(self._graph)
            self._graph = -1

    def close(self) -> None:
        """Stop whatever still runs."""
        self._close_graph()
        self.pipe.__exit__()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Normalised:
    before: Loudness
    after: Loudness
    attempts: int
    gain_db: float
    ceiling_db: float


STREAM_GUARD = 0.1  # LU: the measured stream holds the end padding the file's LAME tag hides
# The first encode must also land this close to the target, or it is done once more with the
# gain it measured: heavy limiting (a hot jingle on quiet speech) costs up to 0.9 LU that the
# first gain cannot know of, and the second gain does (demo: 6 of 29 episodes, -16.9 -> -16.x).
AIM = 0.5


def within(after: Loudness, target: float, true_peak: float, tolerance: float, aim: float | None = None) -> bool:
    """Is an encoded file's loudness inside the show's tolerance (with a guard for the stream
    measure), and inside ``aim`` LU of the target when one is given?"""
    off = abs(after.integrated - target)
    if aim is not None and off > aim:
        return False
    return off <= tolerance - STREAM_GUARD and after.true_peak <= true_peak


def correct(after: Loudness, target: float, true_peak: float, gain: float, ceiling: float,
            attempt: int = 1) -> tuple[float, float]:
    """Gain and limiter ceiling for another encode, from what encode number ``attempt`` measured.

    The MP3's overshoot over the ceiling is not steady (a sharp attack moves it by a decibel
    or more from one ceiling to the next): the ceiling goes down by the miss plus a margin
    that grows with each attempt."""
    if after.true_peak > true_peak:
        ceiling -= after.true_peak - true_peak + 0.5 * attempt
    gain += target - after.integrated
    return round(gain, 2), round(ceiling, 2)


def normalise(src: Path, dst: Path, *, target: float, true_peak: float, tolerance: float,
              bitrate: int, channels: int, before: Loudness | None = None, max_attempts: int = 4,
              declared: float = 0.0, rate: int = 0, check_length: bool = True,
              on_progress: Progress | None = None, encoder: Encoder | None = None) -> Normalised:
    """Encode ``src`` to ``dst`` (MP3) at ``target`` LUFS with true peak <= ``true_peak`` dBTP.

    The target is checked on the encoded MP3. Returns the measurements before and
    after. ``declared`` and ``rate`` (from ``probe``) let the measure run one part per core;
    ``encoder``, an ``Encoder(src, dst, ...)`` started earlier, does the first encode (else one
    is started here, while the source is measured). ``on_progress`` gets the seconds done of
    ``2 x duration`` (measure, then
    encode; a retry starts the encode half again). Raises AudioError if the source is
    silent, damaged or truncated (shorter than ``declared`` seconds), or if the result
    is out of tolerance after ``max_attempts`` encodes (``dst`` is then removed).
    """
    half = 0.0

    def step(seconds: float) -> None:
        if on_progress:
            on_progress(half + seconds)

    try:
        encoder = encoder or Encoder(src, dst, bitrate=bitrate, channels=channels)
        measured = before or measure_source(src, channels=channels, declared=declared, rate=rate,
                                            on_progress=step, check_length=check_length)
        half = declared
        if measured.integrated <= -69.0:
            raise AudioError("the audio is silent (integrated loudness below -69 LUFS)", path=src)
        gain, ceiling = gain_for(measured.integrated, target), true_peak - CODEC_HEADROOM
        for attempt in range(1, max_attempts + 1):
            encoder = encoder or Encoder(src, dst, bitrate=bitrate, channels=channels)
            after, source_tp = encoder.run(gain_db=gain, ceiling_db=ceiling, rate=rate, on_progress=step)
            encoder = None
            if attempt == 1 and source_tp is not None and math.isnan(measured.true_peak):
                measured = Loudness(measured.integrated, measured.lra, source_tp)
            if within(after, target, true_peak, tolerance, AIM if attempt == 1 and max_attempts > 1 else None):
                return Normalised(measured, after, attempt, gain, ceiling)
            gain, ceiling = correct(after, target, true_peak, gain, ceiling, attempt)
    except BaseException:
        if encoder is not None:
            encoder.close()
        dst.unlink(missing_ok=True)
        raise
    dst.unlink(missing_ok=True)
    raise AudioError(
        f"out of tolerance after {max_attempts} encodes: I {after.integrated:.1f} LUFS (target {target:.1f} "
        f"+/-{tolerance:g}), TP {after.true_peak:.1f} dBTP (max {true_peak:.1f})",
        path=src,
    )
