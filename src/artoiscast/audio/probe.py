"""Probing a source before any work: is it audio ffmpeg can read, how long, at what rate.

ffprobe for every format but PCM WAV and AIFF, whose header is read here instead: it says
all ffprobe would (length, rate, channels) without starting a process, and it is the only
witness of a cut file, since ffprobe sizes a WAV by the file rather than by its header.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from artoiscast.audio.run import bound, last_error_line, tool
from artoiscast.errors import AudioError

ByteOrder = Literal["little", "big"]  # int.from_bytes's byteorder


@dataclass(frozen=True)
class Probe:
    duration: float
    channels: int
    sample_rate: int
    codec: str
    estimated: bool = False  # duration guessed from the bitrate (an MP3 without a Xing header)
    format: str = ""  # the container as ffprobe names it ("wav", "flac", "mov,mp4,m4a,3gp,3g2,mj2"...)


def probe_cmd(path: Path) -> list[str]:
    return [tool("ffprobe"), "-v", "warning", "-print_format", "json", "-show_format", "-show_streams", str(path)]


def parse_probe(out: str) -> Probe | None:
    """The first audio stream of ffprobe's JSON, or None if there is none."""
    data = json.loads(out or "{}")
    fmt = data.get("format", {})
    for st in data.get("streams", []):
        if st.get("codec_type") == "audio":
            dur = st.get("duration") or fmt.get("duration") or 0
            return Probe(float(dur), int(st.get("channels", 0)), int(st.get("sample_rate", 0)), st.get("codec_name", "?"),
                         format=str(fmt.get("format_name", "")))
    return None


class PendingProbe:
    """ffprobe started on a file, so that other work (hashing it) runs meanwhile.

    A PCM WAV or AIFF is probed from its header alone (``pcm_header``): ffprobe would add
    nothing that header does not say, and cannot see a cut WAV, which the header can.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._proc: subprocess.Popen[str] | None = None
        self._failed: OSError | None = None
        self.header = pcm_header(path)
        try:
            if path.stat().st_size > 0 and self.header is None:
                self._proc = subprocess.Popen(bound(probe_cmd(path)), stdin=subprocess.DEVNULL,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                              errors="replace")
        except OSError as exc:
            self._failed = exc  # result() says why

    def cancel(self) -> None:
        """Stop ffprobe if it still runs (the result is not wanted)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()

    def result(self) -> Probe:
        """What ``probe`` returns or raises."""
        path = self.path
        try:
            size = path.stat().st_size
        except OSError as exc:
            self.cancel()
            raise AudioError(f"cannot read ({exc.strerror})", path=path) from exc
        if size and self.header is not None:
            return _checked(path, size, self.header)
        proc, self._proc = self._proc, None
        if size == 0:
            if proc is not None:
                proc.kill()
                proc.communicate()
            raise AudioError("the file is empty (0 bytes): export the audio again", path=path)
        if proc is None:
            why = self._failed.strerror if self._failed else "it was not started"
            raise AudioError(f"cannot run ffprobe ({why})", path=path)
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            why = last_error_line(stderr.replace(f"{path}: ", ""))
            raise AudioError(f"not a readable audio file ({why}): export it again as "
                             "WAV, FLAC, MP3, M4A, OGG, Opus or AIFF", path=path)
        info = parse_probe(stdout)
        if info is not None and "Estimating duration from bitrate" in stderr:
            info = dataclasses.replace(info, estimated=True)
        if info is None:
            raise AudioError("the file has no audio stream (a picture or a video without sound?): give an audio file",
                             path=path)
        return _checked(path, size, info)


def _checked(path: Path, size: int, info: Probe) -> Probe:
    """``info`` unless the header declares more audio than the file holds, or next to none."""
    short = declared_shortfall(path, size)
    if short:
        raise AudioError(f"the file is truncated: its header declares {short[0]} bytes of audio but only "
                         f"{short[1]} are there (copy or export it again)", path=path)
    if info.duration <= 0.5:
        raise AudioError(f"the audio lasts {info.duration:.2f} s: it is empty or truncated (export it again)",
                         path=path)
    return info


def probe(path: Path) -> Probe:
    """Check that ``path`` is audio ffmpeg can open. Raises AudioError with a plain reason."""
    return PendingProbe(path).result()


def _chunks(head: bytes, order: ByteOrder) -> Iterator[tuple[bytes, int, int]]:
    """(id, declared size, offset of the body) of each chunk of a RIFF or IFF header."""
    pos = 12
    while pos + 8 <= len(head):
        cid, n = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], order)
        yield cid, n, pos + 8
        pos += 8 + n + (n & 1)


def _extended(b: bytes) -> float:
    """An IEEE 754 80-bit extended float (AIFF's sample rate)."""
    exp = int.from_bytes(b[:2], "big") & 0x7FFF
    mant = int.from_bytes(b[2:10], "big")
    return mant * 2.0 ** (exp - 16383 - 63) if exp else 0.0


def pcm_header(path: Path) -> Probe | None:
    """Length, channels and rate from the header of a PCM WAV or AIFF, None for anything else
    (other formats, compressed WAV, streamed files that declare no length, unreadable)."""
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if len(head) < 12:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        fmt = data = None
        for cid, n, at in _chunks(head, "little"):
            if cid == b"fmt " and n >= 16:
                fmt = head[at:at + 16]
            elif cid == b"data":
                data = n
                break
        if fmt is None or not data or data == 0xFFFFFFFF:
            return None
        tag, channels, rate = (int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little"),
                               int.from_bytes(fmt[4:8], "little"))
        align = int.from_bytes(fmt[12:14], "little")
        if tag not in (1, 3, 0xFFFE) or not (channels and rate and align):
            return None
        return Probe(data // align / rate, channels, rate, "pcm", format="wav")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        for cid, n, at in _chunks(head, "big"):
            if cid == b"COMM" and n >= 18:
                channels, frames = int.from_bytes(head[at:at + 2], "big"), int.from_bytes(head[at + 2:at + 6], "big")
                rate = int(_extended(head[at + 8:at + 18]))
                kind = head[at + 18:at + 22] if head[8:12] == b"AIFC" else b"NONE"
                if kind not in (b"NONE", b"sowt", b"fl32", b"FL32") or not (channels and rate and frames):
                    return None
                return Probe(frames / rate, channels, rate, "pcm", format="aiff")
    return None


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
    order: ByteOrder
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
