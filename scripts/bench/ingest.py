#!/usr/bin/env python3
"""Benchmark: ingest of one episode against a plain ffmpeg encode and ffmpeg-normalize.

Generates its own inputs (speech from espeak-ng over a sox music bed, looped and mixed by
ffmpeg, streamed to a WAV: 3 min, 30 min, 3 h) and puts each in a one-episode catalog. "ours"
is ``artoiscast.ingest.ingest_episode`` on that episode with an empty cache: everything an
ingest does for one episode (hash, ffprobe, measure, encode, measure the MP3, QA gate, cache
record), without the interpreter start and catalog load that a command pays once per batch.
Printed per input, measured in the same run on the same input, paired run by run (medians):

- ours / plain: our wall time / ``ffmpeg -i IN -b:a 128k OUT.mp3`` (target <= 1.25)
- ours / f-n:   our wall time / ``ffmpeg-normalize`` at the same targets (target < 1)
- cpu / plain:  CPU time of all our processes / the plain encode's CPU time
- peak RSS of our process tree, polled every 20 ms in a separate run (flat from 3 min to 3 h)
- the result on our MP3 (I, TP), measured again here by ffmpeg ebur128 (true peak on)

then, for a batch of 4 episodes of the 3 min input, ``ingest_all`` pinned to one core
(``taskset -c 0``) and on all cores (target speed-up >= 1.7 on 2 cores).

    .venv/bin/python scripts/bench/ingest.py --quick            # 3 min + 30 min only
    .venv/bin/python scripts/bench/ingest.py                    # also 3 h (long: about 25 min)

Measurements behind the constants of ``artoiscast.audio.loudness`` (one machine, 2 cores):

- ``MP3_LOUDNESS_LOSS``: 128k MP3 encoding lowered speech by about 0.5 LU.
- ``OVERSAMPLE`` (limiter at 2x): the MP3's true peak was -2.2 dBTP with the limiter at 2x and
  -2.3 at 4x, for 60 % of the stage's CPU.
- ``RESAMPLER`` soxr: 0.34 s of CPU per 3 min, against 0.41 s for swr's default.
- ``CODEC_HEADROOM`` 2 dB: 128k MP3 put peaks back up by 0.1 to 2 dB; for a -1 dBTP maximum on
  the 29 demo episodes, a -2.0 ceiling needed 37 encodes, -2.5 needed 31, and -3.0 passed all 29
  at the first encode.
- ``SIDE_NICE``: the 3 min input went from 1.47 to 1.41 s (median), with no slow outliers.
- The encoder's process starts while the source is measured: loading its libraries takes about
  50 ms.

ffmpeg-normalize and psutil come from the ``bench`` extra (pip install -e '.[bench]'); without
ffmpeg-normalize that column says "n/a". Never run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
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
PODCAST = """\
title: "Radioscopie de l'Artois"
description: "Banc d'essai."
author: "René Lavergne"
owner: {name: "René Lavergne"}
language: fr
base_url: "https://artoiscast.fr/"
artwork: cover.png
guid: "280ae253-4f31-5072-ace9-84d33e389796"
audio: {target_lufs: -16.0, true_peak: -1.0, bitrate: 128, channels: 2}
"""
FEED = 'title: "Bench"\ndescription: "Bench."\nartwork: cover.png\ncategory: {text: "Business"}\nthemes: [economy]\n'


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


def make_catalog(root: Path, sources: list[Path], podcast: str = PODCAST) -> Path:
    """A catalog with one episode per source, ``episodes/bench-<i>`` (hard links, no copies)."""
    from PIL import Image

    if root.exists():
        shutil.rmtree(root)
    (root / "feeds").mkdir(parents=True)
    (root / "podcast.yaml").write_text(podcast, encoding="utf-8")
    Image.new("RGB", (1400, 1400), (40, 60, 90)).save(root / "cover.png")
    (root / "feeds" / "economy.yaml").write_text(FEED, encoding="utf-8")
    shutil.copy(root / "cover.png", root / "feeds" / "cover.png")
    for i, src in enumerate(sources):
        folder = root / "episodes" / f"bench-{i}"
        folder.mkdir(parents=True)
        os.link(src, folder / "audio.wav")
        (folder / "episode.yaml").write_text(
            f'title: "Bench {i}"\ndate: 2025-01-0{i + 1}\nthemes: [economy]\nsummary: "Banc d\'essai."\n'
            "audio: audio.wav\n", encoding="utf-8")
    return root


class Rss:
    """Peak resident memory of this process and all its children, polled from /proc."""

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
            self._stop.wait(0.02)

    def __enter__(self) -> "Rss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_all() -> float:
    r = os.times()
    return r.children_user + r.children_system + r.user + r.system


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    c0, t0 = cpu_all(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_all() - c0


def plain(src: Path, dst: Path) -> None:
    run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(src), "-b:a", "128k", str(dst)])


def ffmpeg_normalize(src: Path, dst: Path) -> None:
    exe = shutil.which("ffmpeg-normalize") or str(Path(sys.executable).parent / "ffmpeg-normalize")
    run([exe, str(src), "-f", "-nt", "ebu", "-t", "-16", "-tp", "-1", "-c:a", "libmp3lame", "-b:a", "128k",
         "-ar", "44100", "-o", str(dst)])


def ours(root: Path):  # type: ignore[no-untyped-def]
    """ingest_episode on the catalog's only episode, from an empty cache. Returns the record."""
    from artoiscast.catalog import load_catalog
    from artoiscast.ingest import ingest_episode

    catalog = load_catalog(root)
    shutil.rmtree(root / "build", ignore_errors=True)
    box = []
    wall, cpu = timed(lambda: box.append(ingest_episode(catalog.episodes[0], catalog.podcast.audio,
                                                        root / "build" / "ingest")))
    return wall, cpu, box[0]


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    s = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s+(-?[\d.]+) LUFS", s).group(1)),  # type: ignore[union-attr]
            float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", s).group(1)))  # type: ignore[union-attr]


def batch(root: Path, cpus: str) -> float:
    """Wall time of ``ingest_all`` over the catalog, the whole process pinned to ``cpus``."""
    code = (
        "import sys, time; from pathlib import Path\n"
        "from artoiscast.catalog import load_catalog; from artoiscast.ingest import ingest_all\n"
        "root = Path(sys.argv[1]); catalog = load_catalog(root)\n"
        "t = time.perf_counter(); records, errors = ingest_all(catalog, root / 'build' / 'ingest')\n"
        "assert not errors and len(records) == len(catalog.episodes), errors\n"
        "print(time.perf_counter() - t)\n"
    )
    shutil.rmtree(root / "build", ignore_errors=True)
    out = subprocess.run(["taskset", "-c", cpus, sys.executable, "-c", code, str(root)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(HERE.parents[1] / "src")})
    return float(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 min and 30 min only (no 3 h input)")
    ap.add_argument("--work", type=Path, default=None, help="keep inputs here (default: a temporary folder)")
    ap.add_argument("--runs", type=int, default=3, help="paired runs per input (medians are printed)")
    ap.add_argument("--runs-3h", type=int, default=1, help="paired runs of the 3 h input (each about 3 min)")
    ap.add_argument("--no-fn", action="store_true", help="skip ffmpeg-normalize (slow: about 6x a plain encode)")
    args = ap.parse_args()
    lengths = [180, 1800] if args.quick else [180, 1800, 10800]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cores: {len(os.sched_getaffinity(0))}  ffmpeg: {run(['ffmpeg', '-version']).stdout.split()[2]}  "
          f"runs: {args.runs}  load: {os.getloadavg()[0]:.2f}  work: {work}")
    print(f"{'input':>7} {'plain s':>8} {'ours s':>8} {'ours/plain':>10} {'cpu/plain':>9} {'f-n s':>8} "
          f"{'ours/f-n':>8} {'peak RSS':>9} {'tries':>5} {'I LUFS':>7} {'TP dBTP':>7}")
    for seconds in lengths:
        src = make_input(work, seconds)
        root = make_catalog(work / f"catalog-{seconds}", [src])
        rows = []
        for _ in range(args.runs if seconds < 3600 else args.runs_3h):
            tp, cp = timed(lambda src=src: plain(src, work / "plain.mp3"))
            to, co, rec = ours(root)
            rows.append((to / tp, tp, to, co / cp))
        ratio, tp, to, cpu_ratio = sorted(rows)[len(rows) // 2]
        tf = float("nan")
        if not args.no_fn:
            try:
                tf, _ = timed(lambda src=src: ffmpeg_normalize(src, work / "fn.mp3"))
            except (FileNotFoundError, subprocess.CalledProcessError):
                pass
        with Rss() as rss:
            ours(root)
        i, t = ebur128(rec.mp3)
        label = f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"
        print(f"{label:>7} {tp:8.2f} {to:8.2f} {ratio:10.2f} {cpu_ratio:9.2f} {tf:8.1f} {to / tf:8.2f} "
              f"{rss.peak / 2**20:5.0f} MiB {rec.attempts:5d} {i:7.1f} {t:7.1f}", flush=True)
    src = make_input(work, 180)
    root = make_catalog(work / "catalog-batch", [src] * 4)
    cores = len(os.sched_getaffinity(0))
    every = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    ones, alls = [], []
    for _ in range(args.runs):
        ones.append(batch(root, "0"))
        alls.append(batch(root, every))
    one, all_ = statistics.median(ones), statistics.median(alls)
    print(f"batch of 4 x 3 min: 1 core {one:.2f} s, {cores} cores {all_:.2f} s, speed-up {one / all_:.2f} "
          f"(runs: {', '.join(f'{a / b:.2f}' for a, b in zip(ones, alls, strict=True))})")


if __name__ == "__main__":
    main()
