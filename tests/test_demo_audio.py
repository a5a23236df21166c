"""Demo media: real espeak-ng and sox on a tiny catalog; real ffprobe/ffmpeg to check it."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import pytest
import yaml
from PIL import Image

from artoiscast.demo import artwork, make_media, speech
from artoiscast.errors import ErrorList
from artoiscast.transcripts import Cue, fmt_time
from conftest import PODCAST

MEDIA_ONLY = [sys.executable, "-m", "artoiscast", "demo", "--media-only"]


WITH_SECTIONS = """\
title: "Gazonor"
date: 2025-03-01
themes: [energy]
host: "René Lavergne"
guests:
  - name: "Yann Fouant"
    role: "directeur des projets"
summary: >-
  Rencontre avec Yann Fouant. L'activité consiste à exploiter le gaz de mine dans le bassin
  minier. Le siège est basé à Avion, et l'entreprise dispose de plusieurs sites.
notes: |
  Un préambule qui n'est pas une section.

  ### 1. Le **gaz** de mine

  Le grisou est du méthane, voir [la fiche](https://example.org/grisou).

  ### 2. Les débouchés

  - Électricité sur site.
  - Chaleur pour les réseaux urbains
audio: audio.wav
"""

NO_GUEST = """\
title: "Le Culturathon"
date: 2024-06-01
themes: [culture]
summary: "Retour sur cette aventure partagée."
audio: audio.wav
"""


def _catalog(root: Path, episodes: dict[str, str]) -> Path:
    (root / "feeds").mkdir(parents=True)
    (root / "podcast.yaml").write_text(PODCAST, encoding="utf-8")
    for name, title in (("energy", "énergie"), ("culture", "culture")):
        (root / "feeds" / f"{name}.yaml").write_text(
            f'title: "Radioscopie de l\'Artois : {title}"\ndescription: "Les sujets."\nartwork: {name}.png\n'
            f'category: {{text: "Science"}}\nthemes: [{name}]\n', encoding="utf-8")
    for slug, body in episodes.items():
        (root / "episodes" / slug).mkdir(parents=True)
        (root / "episodes" / slug / "episode.yaml").write_text(body, encoding="utf-8")
    return root


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "episode.yaml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = _catalog(tmp_path_factory.mktemp("demo"), {"gazonor": WITH_SECTIONS, "culturathon": NO_GUEST})
    return root, speech.synthesise(root).written


# ------------------------------------------------------------------ checks


_TIME = r"(\d{2}):(\d{2}):(\d{2})\.(\d{3})"
_CUE = re.compile(rf"^{_TIME} --> {_TIME}$")


def _secs(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_vtt(text: str, duration: float) -> list[tuple[float, float, str, str]]:
    """A small WebVTT check: header, blocks of timing + one ``<v Speaker>`` line, ascending
    cues inside the duration. Returns (start, end, speaker, text)."""
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text[len("WEBVTT\n\n"):].strip("\n").split("\n\n"):
        timing, payload = block.split("\n")
        m = _CUE.match(timing)
        assert m, timing
        start, end = _secs(*m.groups()[:4]), _secs(*m.groups()[4:])
        v = re.match(r"^<v ([^>]+)>(.+)$", payload)
        assert v, payload
        assert start <= end <= duration
        assert not cues or start >= cues[-1][1] - 1e-9
        cues.append((start, end, v.group(1), v.group(2)))
    return cues


def _duration(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def _loudness(path: Path, start: float, end: float) -> float:
    out = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-ss", f"{start:.3f}", "-to", f"{end:.3f}",
                          "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", out)[-1])


# ------------------------------------------------------------------ audio


def test_audio_format_and_duration(built: tuple[Path, list[Path]]) -> None:
    root, written = built
    assert sorted(p.parent.name for p in written) == ["culturathon", "gazonor"]
    for path in written:
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (44100, 2, 2)
        probed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                 str(path)], capture_output=True, text=True, check=True).stdout
        assert abs(float(probed) - _duration(path)) < 0.01
        assert 8 < _duration(path) < 120


def test_transcript_matches_the_spoken_script(built: tuple[Path, list[Path]]) -> None:
    root, _ = built
    for slug, guest in (("gazonor", "Yann Fouant"), ("culturathon", "Voix off")):
        folder = root / "episodes" / slug
        cues = parse_vtt((folder / "transcript.vtt").read_text(encoding="utf-8"), _duration(folder / "audio.wav"))
        assert {c[2] for c in cues} == {"René Lavergne", guest}
        assert cues[0][0] >= 3.0  # after the jingle
        doc = yaml.load((folder / "episode.yaml").read_text(), Loader=yaml.CSafeLoader)
        script = speech.episode_script(doc, "Radioscopie de l'Artois", "René Lavergne")
        assert " ".join(c[3] for c in cues) == " ".join(s.text for s in script)
        assert "**" not in " ".join(c[3] for c in cues) and "https" not in " ".join(c[3] for c in cues)
    # the project's own reader accepts it
    from artoiscast.transcripts import load_transcript

    folder = root / "episodes" / "gazonor"
    t = load_transcript(folder / "transcript.vtt", _duration(folder / "audio.wav"), "transcript.vtt")
    assert t.cues[0].speaker == "René Lavergne"


def test_chapters_only_with_numbered_sections(built: tuple[Path, list[Path]]) -> None:
    root, _ = built
    assert not (root / "episodes" / "culturathon" / "chapters.yaml").exists()
    folder = root / "episodes" / "gazonor"
    chapters = yaml.safe_load((folder / "chapters.yaml").read_text(encoding="utf-8"))
    assert [c["title"] for c in chapters] == ["Introduction", "1. Le gaz de mine", "2. Les débouchés"]
    starts = [_secs(*re.fullmatch(_TIME, c["start"]).groups()) for c in chapters]
    assert starts[0] == 0 and starts == sorted(set(starts)) and starts[-1] < _duration(folder / "audio.wav")
    from artoiscast.transcripts import load_chapters

    assert len(load_chapters(folder / "chapters.yaml", _duration(folder / "audio.wav"), "chapters.yaml")) == 3


def test_host_and_guest_levels_differ(built: tuple[Path, list[Path]]) -> None:
    root, _ = built
    folder = root / "episodes" / "gazonor"
    cues = parse_vtt((folder / "transcript.vtt").read_text(encoding="utf-8"), _duration(folder / "audio.wav"))
    host = next(c for c in cues if c[2] == "René Lavergne")
    guest_start = next(c for c in cues if c[2] == "Yann Fouant")[0]
    guest_end = max(c[1] for c in cues if c[2] == "Yann Fouant" and c[0] < host[1] + 30)
    host_lufs = _loudness(folder / "audio.wav", host[0], host[1])
    guest_lufs = _loudness(folder / "audio.wav", guest_start, min(guest_end, guest_start + 10))
    assert guest_lufs - host_lufs >= 5, (host_lufs, guest_lufs)
    whole = _loudness(folder / "audio.wav", 0, _duration(folder / "audio.wav"))
    assert -27 <= whole <= -18


def test_rerun_skips_and_force_rewrites_identical_bytes(built: tuple[Path, list[Path]]) -> None:
    root, _ = built
    before = _digest(root)
    run = subprocess.run([*MEDIA_ONLY, "--root", str(root)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "audio: 0 written, 2 skipped, 0 failed" in run.stdout
    assert "artwork: 3 written, 0 skipped" in run.stdout
    after_first = _digest(root)
    assert {k: v for k, v in after_first.items() if not k.endswith(".png")} == before
    again = speech.synthesise(root)
    assert (len(again.written), len(again.skipped)) == (0, 2)
    assert artwork.draw(root)[0] == []
    assert len(speech.synthesise(root, force=True, jobs=1).written) == 2
    assert len(artwork.draw(root, force=True)[0]) == 3
    assert _digest(root) == after_first


def test_missing_outputs_are_one_unit(built: tuple[Path, list[Path]]) -> None:
    root, _ = built
    folder = root / "episodes" / "gazonor"
    chapters = (folder / "chapters.yaml").read_bytes()
    (folder / "chapters.yaml").unlink()
    written = make_media(root).speech.written
    assert written == [folder / "audio.wav"]
    assert (folder / "chapters.yaml").read_bytes() == chapters
    assert not list(folder.glob(".*.tmp"))


# ------------------------------------------------------------------ errors


def test_bad_episode_is_one_line_and_others_proceed(tmp_path: Path) -> None:
    root = _catalog(tmp_path, {"ok": NO_GUEST, "bad": 'title: "x\nsummary: [\n'})
    with pytest.raises(ErrorList) as info:
        make_media(root)
    (line,) = str(info.value).splitlines()
    assert line.startswith("episodes/bad/episode.yaml: line 3, column 1: ")  # the catalog's own YAML reader
    assert line.endswith("(fix the YAML syntax)")
    assert (root / "episodes" / "ok" / "audio.wav").is_file()
    run = subprocess.run([*MEDIA_ONLY, "--root", str(root)], capture_output=True, text=True)
    assert run.returncode == 2  # bad input
    assert run.stderr.strip().splitlines() == [f"error: {line}"]
    assert "audio: 0 written, 1 skipped, 1 failed" in run.stdout


def test_missing_tool_is_one_line(tmp_path: Path) -> None:
    root = _catalog(tmp_path, {"ok": NO_GUEST})
    run = subprocess.run([*MEDIA_ONLY, "--root", str(root)], capture_output=True, text=True,
                         env={**os.environ, "PATH": str(tmp_path)})
    assert run.returncode == 1
    assert run.stderr == "error: espeak-ng not found (apt-get install espeak-ng)\n"
    assert not (root / "cover.png").exists()


# ------------------------------------------------------------------ artwork


def test_artwork(tmp_path: Path) -> None:
    root = _catalog(tmp_path, {})
    written, _ = artwork.draw(root)
    assert [p.relative_to(root).as_posix() for p in written] == ["cover.png", "feeds/culture.png", "feeds/energy.png"]
    colours = set()
    for path in written:
        with Image.open(path) as im:
            assert (im.format, im.mode, im.size) == ("PNG", "RGB", (3000, 3000))
            colours.add(im.getpixel((5, 5)))
    assert len(colours) == 3
    first = _digest(root)
    assert artwork.draw(root)[0] == []
    artwork.draw(root, force=True)
    assert _digest(root) == first


# ------------------------------------------------------------------ pure parts


def test_sections_and_markdown() -> None:
    sections = speech.parse_sections(textwrap.dedent("""\
        Préambule.

        ### 1. Titre **gras**
        Un [lien](https://x.org) & *rien*
        sur deux lignes.

        - premier point :
        - second point
        ### Sans numéro
        ### 2. Fin
        """))
    assert sections == [
        speech.Section("1. Titre gras", "Un lien et rien sur deux lignes. premier point. second point. Sans numéro."),
        speech.Section("2. Fin", ""),
    ]


def test_text_is_capped_at_sentences_keeping_titles() -> None:
    body = " ".join(f"Phrase numéro {i} du développement." for i in range(200))
    notes = "\n\n".join(f"### {n}. Section {n}\n\n{body}" for n in range(1, 6))
    script = speech.episode_script({"title": "Long", "summary": body, "notes": notes,
                                    "guests": [{"name": "Anne", "role": "maire"}]}, "Radioscopie de l'Artois",
                                   "René Lavergne")
    spoken = " ".join(s.text for s in script)
    assert 2000 <= len(spoken) <= 2600
    assert [s.chapter for s in script if s.chapter] == ["Introduction"] + [f"{n}. Section {n}" for n in range(1, 6)]
    assert all(s.text.endswith(".") for s in script if not s.chapter or s.chapter == "Introduction")
    assert script[0].text == "Radioscopie de l'Artois. Long. Avec Anne, maire."
    assert {s.speaker for s in script} == {"René Lavergne", "Anne"}


def test_long_segments_split_by_sentence() -> None:
    seg = speech.Segment("Anne", "fr+f2", -7, "Une phrase courte. Une phrase un peu plus longue que la première.")
    cues = speech.segment_cues(seg, 10.0, 30.0)
    assert [c.text for c in cues] == ["Une phrase courte.", "Une phrase un peu plus longue que la première."]
    assert cues[0].start == 10.0 and cues[-1].end == 30.0 and cues[0].end == cues[1].start
    assert speech.segment_cues(seg, 10.0, 15.0) == [Cue(10.0, 15.0, "Anne", seg.text)]
    assert fmt_time(3723.4567) == "01:02:03.457"
