#!/usr/bin/env python3
"""Benchmark: ``artoiscast transcribe`` against faster-whisper called directly, on 2 cores.

Generates its own input: five everyday French sentences spoken by espeak-ng (the voice and pace
of tests/test_transcribe.py), each alone with a short silence after it, then the whole clip
repeated to the length asked (3 min and 30 min by default; a 44.1 kHz stereo WAV, as a recording
would be). Both sides run as fresh processes pinned to the same 2 cores (``taskset``), with the
same model folder (the packaged whisper-base, joined in the cache) and the same settings
(int8, beam 5, no VAD, French, 2 CPU threads):

- ours:   ``artoiscast transcribe --force SLUG`` on a one-episode catalog: everything the command
          does (catalog, model and audio hashes, the model check, transcription, the transcript
          and its record written);
- direct: ``WhisperModel(folder, cpu_threads=2, compute_type="int8").transcribe(wav, language="fr",
          beam_size=5, vad_filter=False)``, every segment read, nothing written.

Printed per input, paired run by run (medians): wall times, ours / direct (target <= 1.1), the
real-time factor of each (wall time / audio duration: below 1 is faster than real time), the
peak resident memory of each process tree (polled every 50 ms), and the word error rate of our
transcript against the words spoken. The load average is printed before and after: run it
alone on a quiet machine (a 30 min input takes minutes per side).

    .venv/bin/python scripts/bench/transcribe.py                      # 3 min and 30 min
    .venv/bin/python scripts/bench/transcribe.py --lengths 20 --runs 1  # a smoke run

Needs the ``transcribe`` extra (faster-whisper, the model), ``jiwer`` (``test`` extra) and psutil
(``bench`` extra). Never run by the test suite.
"""

from __future__ import annotations

import argparse
import math
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
SRC = HERE.parents[1] / "src"
sys.path.insert(0, str(SRC))

sys.path.insert(0, str(HERE.parents[1] / "tests"))
from ingest import make_catalog  # noqa: E402  the ingest benchmark's catalog, with this PODCAST
from test_transcribe import SENTENCES  # noqa: E402  the test's own words, spoken the same way
PODCAST = """\
title: "Radioscopie de l'Artois"
description: "Banc d'essai."
author: "René Lavergne"
language: fr
base_url: "https://artoiscast.fr/"
artwork: cover.png
guid: "280ae253-4f31-5072-ace9-84d33e389796"
transcribe: {backend: faster-whisper, model: whisper-base, language: fr, beam_size: 5, compute_type: int8}
"""
SLUG = "bench-0"  # the one episode of the ingest benchmark's catalog
DIRECT = """\
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=int(sys.argv[3]), num_workers=1,
                     local_files_only=True)
segments, info = model.transcribe(sys.argv[2], language="fr", beam_size=5, vad_filter=False)
print(sum(1 for _ in segments))
"""


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def seconds_of(path: Path) -> float:
    return float(run(["soxi", "-D", str(path)]).stdout)


def make_input(folder: Path, seconds: int) -> tuple[Path, int]:
    """The clip repeated to at least ``seconds``: (the WAV, how many times the sentences are said)."""
    clip = folder / "clip.wav"
    if not clip.exists():
        pieces = []
        for i, text in enumerate(SENTENCES):
            raw, piece = folder / f"s{i}.wav", folder / f"p{i}.wav"
            run(["espeak-ng", "-v", "fr+m3", "-s", "150", "-g", "8", "-w", str(raw), text])
            run(["sox", "-D", "-R", str(raw), "-r", "44100", "-c", "2", str(piece), "gain", "-8", "pad", "0", "0.4"])
            pieces.append(str(piece))
        run(["sox", "-D", "-R", *pieces, str(clip)])
    times = max(1, math.ceil(seconds / seconds_of(clip)))
    out = folder / f"input-{seconds}s.wav"
    if not out.exists():
        tmp = out.with_suffix(".part.wav")
        run(["sox", "-D", "-R", *[str(clip)] * times, str(tmp)])
        tmp.replace(out)
    return out, times


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS of the process tree in bytes, stdout) of ``cmd``."""
    import psutil

    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    done = threading.Event()
    output: list[str] = []

    def drain() -> None:
        out, err = proc.communicate()
        output.extend([out, err])
        done.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    top = psutil.Process(proc.pid)
    while not done.wait(0.05):
        total = 0
        try:
            for p in [top, *top.children(recursive=True)]:
                total += p.memory_info().rss
        except psutil.Error:
            pass
        peak = max(peak, total)
    wall = time.perf_counter() - t0
    reader.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:6])}... failed:\n{output[1]}")
    return wall, peak, output[0]


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w' -]", " ", text).replace("-", " ").replace("'", " ")
    return " ".join(text.split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", default="180,1800",
                    help="input lengths in seconds, comma-separated (default 180,1800; rounded up to whole clips)")
    ap.add_argument("--runs", type=int, default=3, help="paired runs per input under 10 min (medians are printed)")
    ap.add_argument("--runs-long", type=int, default=1, help="paired runs per input of 10 min or more")
    ap.add_argument("--cores", default="0,1", help="the cores both sides are pinned to (taskset -c; default 0,1)")
    ap.add_argument("--work", type=Path, default=None, help="keep inputs here (default: a temporary folder)")
    args = ap.parse_args()

    import jiwer

    from artoiscast.transcribe.model import packaged_model
    from artoiscast.transcripts import load_transcript

    lengths = [int(x) for x in args.lengths.split(",") if x.strip()]
    cores = [c for c in args.cores.split(",") if c.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-transcribe-"))
    work.mkdir(parents=True, exist_ok=True)
    folder = packaged_model()  # joined (and checked) before anything is timed
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    pin = ["taskset", "-c", ",".join(cores)] if shutil.which("taskset") else []
    print(f"before: {load()}; {len(os.sched_getaffinity(0))} cores here, both sides on cores {','.join(cores)}; "
          f"model {folder}; work {work}")
    rows = []
    for seconds in lengths:
        wav, times = make_input(work, seconds)
        duration = seconds_of(wav)
        root = make_catalog(work / f"catalog-{seconds}", [wav], podcast=PODCAST)
        pairs = []
        for _ in range(args.runs if seconds < 600 else args.runs_long):
            direct = measured([*pin, sys.executable, "-c", DIRECT, str(folder), str(wav), str(len(cores))], env)
            ours = measured([*pin, sys.executable, "-m", "artoiscast", "transcribe", "--root", str(root), "--force",
                             SLUG], env)
            pairs.append((ours[0] / direct[0], direct, ours))
        ratio, direct, ours = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
        heard = " ".join(c.text for c in load_transcript(root / "episodes" / SLUG / "transcript.vtt", duration,
                                                         "transcript.vtt").cues)
        wer = jiwer.wer(normalise(" ".join(SENTENCES * times)), normalise(heard))
        rows.append((duration, direct, ours, ratio, [p[0] for p in pairs], wer))
    print(f"after: {load()}")
    print()
    print(f"{'audio':>8} {'direct s':>9} {'ours s':>8} {'ours/direct':>11} {'RTF direct':>10} {'RTF ours':>8} "
          f"{'RSS direct':>10} {'RSS ours':>9} {'WER':>6}  runs (ours/direct)")
    for duration, direct, ours, ratio, all_ratios, wer in rows:
        label = f"{duration / 60:.1f} min" if duration >= 60 else f"{duration:.0f} s"
        print(f"{label:>8} {direct[0]:9.1f} {ours[0]:8.1f} {ratio:11.3f} {direct[0] / duration:10.3f} "
              f"{ours[0] / duration:8.3f} {direct[1] / 2**20:6.0f} MiB {ours[1] / 2**20:5.0f} MiB {wer:6.3f}  "
              + ", ".join(f"{r:.3f}" for r in all_ratios))
    print("target: ours / direct <= 1.1 (median over runs); RTF < 1 is faster than real time")
    if len(rows) > 1:
        print(f"median ours / direct over all inputs: {statistics.median(r[3] for r in rows):.3f}")


if __name__ == "__main__":
    main()
