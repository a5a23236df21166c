#!/usr/bin/env python3
"""Benchmark: ingest of one episode against a plain ffmpeg encode and ffmpeg-normalize (SPEC 10).

Generates its own inputs (speech from espeak-ng over a sox music bed, looped and mixed by
ffmpeg, streamed to a WAV: 3 min, 30 min, 3 h), then prints, per input and measured in
the same run on the same input:

- ours / plain: our ingest wall time / ``ffmpeg -i IN -b:a 128k OUT.mp3`` (target <= 1.25)
- ours / f-n:   our ingest wall time / ``ffmpeg-normalize`` at the same targets (target < 1)
- cpu / plain:  our CPU time (all processes) / the plain encode's CPU time
- peak RSS of our process tree (flat from 3 min to 3 h)
- the result on our MP3 (I, TP), measured by ffmpeg ebur128 here
and, for a batch of 4 copies of the 3 min input, the speed-up of all cores vs one core
(``taskset -c 0``; target >= 1.7 on 2 cores).

    .venv/bin/python scripts/bench/ingest.py --quick     # 3 min + 30 min only
    .venv/bin/python scripts/bench/ingest.py             # also 3 h (long)

ffmpeg-normalize comes from the ``bench`` extra (pip install -e '.[bench]'); without it
that column says "n/a". Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

TEXT = (
    "Radioscopie de l'Artois. Aujourd'hui nous parlons du renouveau du bassin minier, de l'énergie "
    "solaire sur les terrils, du gaz de mine et du Louvre-Lens. Les collectivités, les entreprises et "
    "les habitants construisent ensemble un territoire d'avenir. Merci d'être avec nous."
)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def make_input(folder: Path, seconds: int) -> Path:
    """Speech (two voices at different levels) over a quiet music bed, streamed to a WAV."""
    out = folder / f"input-{seconds}s.wav"
    if out.exists():
        return out
    a, b = folder / "voice-a.wav", folder / "voice-b.wav"
    if not a.exists():
        run(["espeak-ng", "-v", "fr", "-s", "150", "-w", str(a), TEXT])
        run(["espeak-ng", "-v", "fr+f3", "-s", "165", "-p", "60", "-w", str(b), TEXT])
    bed = folder / "bed.wav"
    if not bed.exists():
        run(["sox", "-n", "-r", "44100", "-c", "2", str(bed), "synth", "16", "pluck", "C3", "pluck", "E3",
             "synth", "16", "sine", "amod", "0.3", "fade", "1", "16", "1", "gain", "-26"])
    tmp = out.with_suffix(".part.wav")
    run(["ffmpeg", "-nostdin", "-y", "-v", "error",
         "-stream_loop", "-1", "-i", str(a), "-stream_loop", "-1", "-i", str(b), "-stream_loop", "-1", "-i", str(bed),
         "-filter_complex",
         "[0]aresample=44100,volume=-6dB,apad=pad_dur=1[a];[1]aresample=44100,volume=-13dB,adelay=9000|9000[b];"
         "[a][b][2]amix=inputs=3:normalize=0,aformat=channel_layouts=stereo",
         "-t", str(seconds), "-ar", "44100", "-c:a", "pcm_s16le", str(tmp)])
    tmp.replace(out)
    return out


class Rss:
    """Peak resident memory of a process and all its children, polled from /proc every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> "Rss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_children() -> float:
    r = os.times()
    return r.children_user + r.children_system + r.user + r.system


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    c0, t0 = cpu_children(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_children() - c0


def plain(src: Path, dst: Path) -> None:
    run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(src), "-b:a", "128k", str(dst)])


def ffmpeg_normalize(src: Path, dst: Path) -> None:
    exe = shutil.which("ffmpeg-normalize") or str(Path(sys.executable).parent / "ffmpeg-normalize")
    run([exe, str(src), "-f", "-nt", "ebu", "-t", "-16", "-tp", "-1", "-c:a", "libmp3lame", "-b:a", "128k",
         "-ar", "44100", "-o", str(dst)])


def ours(src: Path, dst: Path) -> None:
    from artoiscast.audio import loudness

    loudness.normalise(src, dst, target=-16.0, true_peak=-1.0, tolerance=1.0, bitrate=128, channels=2)


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    s = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s+(-?[\d.]+) LUFS", s).group(1)),  # type: ignore[union-attr]
            float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", s).group(1)))  # type: ignore[union-attr]


def batch(src: Path, work: Path, cpus: str, n: int = 4) -> float:
    """Wall time of ingest_all on ``n`` episodes, the whole process pinned to ``cpus``."""
    code = (
        "import sys; from pathlib import Path; from concurrent.futures import ThreadPoolExecutor\n"
        "from artoiscast.audio import loudness\n"
        "srcs=[Path(p) for p in sys.argv[1:]]\n"
        "def one(i):\n"
        "    loudness.normalise(srcs[i], srcs[i].with_suffix('.out.mp3'), target=-16.0, true_peak=-1.0,"
        " tolerance=1.0, bitrate=128, channels=2)\n"
        "with ThreadPoolExecutor(max_workers=len(__import__('os').sched_getaffinity(0))) as p:\n"
        "    list(p.map(one, range(len(srcs))))\n"
    )
    srcs = []
    for i in range(n):
        p = work / f"batch-{i}.wav"
        if not p.exists():
            os.link(src, p)
        srcs.append(str(p))
    t0 = time.perf_counter()
    subprocess.run(["taskset", "-c", cpus, sys.executable, "-c", code, *srcs], check=True,
                   env={**os.environ, "PYTHONPATH": str(HERE.parents[1] / "src")})
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 min and 30 min only (no 3 h input)")
    ap.add_argument("--work", type=Path, default=None, help="keep inputs here (default: a temporary folder)")
    ap.add_argument("--runs", type=int, default=1, help="paired runs per input (median is printed)")
    args = ap.parse_args()
    lengths = [180, 1800] if args.quick else [180, 1800, 10800]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}  ffmpeg: {run(['ffmpeg', '-version']).stdout.split()[2]}  work: {work}")
    print(f"{'input':>7} {'plain s':>8} {'ours s':>8} {'ours/plain':>10} {'cpu/plain':>9} {'f-n s':>8} "
          f"{'ours/f-n':>8} {'peak RSS':>9} {'I LUFS':>7} {'TP dBTP':>7}")
    for seconds in lengths:
        src = make_input(work, seconds)
        rows = []
        for _ in range(args.runs):
            tp, cp = timed(lambda: plain(src, work / "plain.mp3"))
            with Rss() as rss:
                to, co = timed(lambda: ours(src, work / "ours.mp3"))
            try:
                tf, _ = timed(lambda: ffmpeg_normalize(src, work / "fn.mp3"))
            except (FileNotFoundError, subprocess.CalledProcessError):
                tf = float("nan")
            rows.append((tp, to, co / cp, tf, rss.peak))
        rows.sort(key=lambda r: r[1] / r[0])
        tp, to, cpu_ratio, tf, peak = rows[len(rows) // 2]
        i, t = ebur128(work / "ours.mp3")
        label = f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"
        print(f"{label:>7} {tp:8.1f} {to:8.1f} {to / tp:10.2f} {cpu_ratio:9.2f} {tf:8.1f} {to / tf:8.2f} "
              f"{peak / 2**20:7.0f} MiB {i:7.1f} {t:7.1f}", flush=True)
    src = make_input(work, 180)
    cores = len(os.sched_getaffinity(0))
    one = batch(src, work, "0")
    alls = batch(src, work, ",".join(str(c) for c in sorted(os.sched_getaffinity(0))))
    print(f"batch of 4 x 3 min: 1 core {one:.1f} s, {cores} cores {alls:.1f} s, speed-up {one / alls:.2f}")


if __name__ == "__main__":
    main()
