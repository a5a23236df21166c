"""Pure ITU-R BS.1770-4 / EBU Tech 3342 arithmetic: gating blocks in, integrated loudness and
loudness range out. No I/O: ``loudness.py`` runs ffmpeg and hands its output here.

Why: the source is measured in several parts at once (one ffmpeg per core), each printing
its 100 ms blocks (``ebur128=framelog=info``: momentary M over 400 ms, short-term S over
3 s). The integrated loudness of the whole file is *not* a mean of the parts' integrated
loudness (the relative gate depends on the whole file), so the blocks of all parts are
gathered and gated here exactly as ffmpeg's ``ebur128`` gates one file's blocks.

A part after the first starts ``LEAD_BLOCKS`` blocks before its boundary: its first 3 s
only fill the short-term window (and the momentary one), so those blocks are dropped and
the blocks that remain are the ones a single pass over the whole file would have made.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ABS_GATE = -70.0  # LUFS, both measures
REL_GATE_I = -10.0  # LU below the absolute-gated mean (integrated)
REL_GATE_LRA = -20.0  # LU below the absolute-gated mean (loudness range)
LEAD_BLOCKS = 29  # blocks of 100 ms before a boundary: the 30th has a full 3 s window
SPLIT_MIN = 60.0  # seconds: shorter sources are measured in one part

_LINE = re.compile(r"\bt:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-?inf|nan)\s+S:\s*(-?[\d.]+|-?inf|nan)")


@dataclass(frozen=True)
class Part:
    """A time range of the source measured by one process."""

    start: float  # seconds (input seek)
    length: float | None  # seconds to read; None: to the end
    skip: int  # leading blocks that only fill the windows


def block_seconds(rate: int) -> float:
    """Length of ffmpeg's ebur128 block: ``rate // 10`` samples (100 ms at common rates)."""
    return (rate // 10) / rate if rate >= 10 else 0.1


def split_plan(duration: float, rate: int, parts: int) -> list[Part]:
    """Cut ``duration`` seconds into ``parts`` ranges on block boundaries, each after the first
    starting ``LEAD_BLOCKS`` early. One part when the source is short or its length unknown."""
    if parts < 2 or duration < SPLIT_MIN:
        return [Part(0.0, None, 0)]
    blk = block_seconds(rate)
    bounds = [round(k * duration / parts / blk) * blk for k in range(parts)]
    lead = LEAD_BLOCKS * blk
    plan = []
    for k, b in enumerate(bounds):
        start = 0.0 if k == 0 else b - lead
        end = bounds[k + 1] if k + 1 < parts else None
        plan.append(Part(round(start, 6), None if end is None else round(end - start, 6), 0 if k == 0 else LEAD_BLOCKS))
    return plan


def parse_framelog(stderr: str) -> tuple[list[float], list[float]]:
    """Momentary and short-term loudness of every 100 ms block ffmpeg logged, in order."""
    ms, ss = [], []
    for m in _LINE.finditer(stderr):
        ms.append(float(m[2]))
        ss.append(float(m[3]))
    return ms, ss


def _energy(lufs: float) -> float:
    return 10 ** ((lufs + 0.691) / 10)


def _lufs(energy: float) -> float:
    return -0.691 + 10 * math.log10(energy) if energy > 0 else -math.inf


def integrated(momentary: list[float]) -> float:
    """Integrated loudness (LUFS) of 400 ms blocks with 75 % overlap: absolute gate at -70 LUFS,
    relative gate 10 LU under their mean. -70.0 when nothing passes, as ffmpeg prints."""
    kept = [m for m in momentary if m >= ABS_GATE]
    if not kept:
        return ABS_GATE
    gate = _lufs(sum(map(_energy, kept)) / len(kept)) + REL_GATE_I
    above = [_energy(m) for m in kept if m >= gate]
    return _lufs(sum(above) / len(above))


def loudness_range(short_term: list[float]) -> float:
    """EBU Tech 3342 loudness range (LU): the 10th to 95th percentile of the 3 s values that
    pass the absolute gate and a relative gate 20 LU under their mean (ffmpeg's percentiles)."""
    kept = [s for s in short_term if s >= ABS_GATE]
    if not kept:
        return 0.0
    gate = _lufs(sum(map(_energy, kept)) / len(kept)) + REL_GATE_LRA
    values = sorted(s for s in kept if s >= gate)
    n = len(values)
    low = values[max(int(0.10 * n + 0.5) - 1, 0)]
    high = values[max(int(0.95 * n + 0.5) - 1, 0)]
    return max(high - low, 0.0)


def combine(parts: list[tuple[list[float], list[float]]], plan: list[Part]) -> tuple[float, float, int]:
    """(integrated LUFS, LRA LU, blocks) of the whole source from each part's logged blocks."""
    ms: list[float] = []
    ss: list[float] = []
    for (m, s), part in zip(parts, plan):
        ms += m[part.skip:]
        ss += s[part.skip:]
    return round(integrated(ms), 2), round(loudness_range(ss), 2), len(ms)
