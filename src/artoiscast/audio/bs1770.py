"""Pure ITU-R BS.1770-4 / EBU Tech 3342 arithmetic: gating blocks in, integrated loudness and
loudness range out. No I/O: ``loudness.py`` runs ffmpeg and hands its log lines here.

Why: the source is measured in several parts at once (one ffmpeg per core), each logging its
100 ms blocks (``ebur128=framelog=info``: momentary M over 400 ms, short-term S over 3 s). The
integrated loudness of the whole file is *not* a mean of the parts' integrated loudness (the
relative gate depends on the whole file), so the blocks of all parts are gathered and gated
here exactly as ffmpeg's ``ebur128`` gates one file's blocks.

The blocks are kept as counts per logged value: ffmpeg logs them to 0.1 LU, so a histogram of
those values loses nothing, and its size does not grow with the length of the episode.

A part after the first starts ``LEAD_BLOCKS`` blocks before its boundary: its first 3 s only
fill the short-term window (and the momentary one), so those blocks are dropped and the blocks
that remain are the ones a single pass over the whole file would have made.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ABS_GATE = -70.0  # LUFS, both measures
REL_GATE_I = -10.0  # LU below the absolute-gated mean (integrated)
REL_GATE_LRA = -20.0  # LU below the absolute-gated mean (loudness range)
LEAD_BLOCKS = 29  # blocks of 100 ms before a boundary: the 30th has a full 3 s window
SPLIT_MIN = 60.0  # seconds: shorter sources are measured in one part

_LINE = re.compile(rb"\bt:\s*[\d.]+\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-?inf|nan)\s+S:\s*(-?[\d.]+|-?inf|nan)")


@dataclass(frozen=True)
class Part:
    """A time range of the source measured by one process."""

    start: float  # seconds (input seek)
    length: float | None  # seconds to read; None: to the end
    skip: int  # leading blocks that only fill the windows


@dataclass
class Blocks:
    """The 100 ms blocks of a source: momentary and short-term loudness, counted per value."""

    momentary: Counter[float] = field(default_factory=Counter)
    short_term: Counter[float] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.momentary.values())

    def read_log(self, lines: Iterable[bytes], skip: int = 0) -> None:
        """Add the blocks of one part's ebur128 log, but its first ``skip``."""
        seen = 0
        for line in lines:
            m = _LINE.search(line)
            if m is None:
                continue
            seen += 1
            if seen > skip:
                self.momentary[float(m[1])] += 1
                self.short_term[float(m[2])] += 1


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


def _energy(lufs: float) -> float:
    return 10 ** ((lufs + 0.691) / 10)


def _lufs(energy: float) -> float:
    return -0.691 + 10 * math.log10(energy) if energy > 0 else -math.inf


def _gate(values: Mapping[float, int], relative: float) -> dict[float, int]:
    """The values at or above the absolute gate and then at or above ``relative`` LU under the
    mean energy of those."""
    kept = {v: n for v, n in values.items() if v >= ABS_GATE and n > 0}
    total = sum(kept.values())
    if not total:
        return {}
    gate = _lufs(sum(_energy(v) * n for v, n in kept.items()) / total) + relative
    return {v: n for v, n in kept.items() if v >= gate}


def integrated(momentary: Mapping[float, int]) -> float:
    """Integrated loudness (LUFS) of 400 ms blocks with 75 % overlap: absolute gate at -70 LUFS,
    relative gate 10 LU under their mean. -70.0 when nothing passes, as ffmpeg prints."""
    above = _gate(momentary, REL_GATE_I)
    if not above:
        return ABS_GATE
    return _lufs(sum(_energy(v) * n for v, n in above.items()) / sum(above.values()))


def loudness_range(short_term: Mapping[float, int]) -> float:
    """EBU Tech 3342 loudness range (LU): the 10th to 95th percentile of the 3 s values that
    pass the absolute gate and a relative gate 20 LU under their mean (ffmpeg's percentiles)."""
    kept = _gate(short_term, REL_GATE_LRA)
    n = sum(kept.values())
    if not n:
        return 0.0
    low, high = max(int(0.10 * n + 0.5), 1), max(int(0.95 * n + 0.5), 1)  # 1-based ranks
    seen, found = 0, {}
    for value in sorted(kept):
        seen += kept[value]
        for name, rank in (("low", low), ("high", high)):
            if name not in found and seen >= rank:
                found[name] = value
    return max(found["high"] - found["low"], 0.0)
