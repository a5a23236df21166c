"""Shared fixtures: small real catalogs in tmp_path, with real synthesised speech."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

PODCAST = """\
title: "Radioscopie de l'Artois"
description: "Pour comprendre et s'impliquer dans ce territoire d'avenir."
author: "René Lavergne"
host: "René Lavergne"
owner: {name: "René Lavergne", email: "contact@artoiscast.example"}
language: fr
base_url: "https://artoiscast.example/"
copyright: "René Lavergne"
artwork: cover.png
guid: "280ae253-4f31-5072-ace9-84d33e389796"
publisher_guid: "bce3ac13-42fb-5f2c-afb6-70fd2da85133"
audio: {target_lufs: -16.0, true_peak: -1.0, bitrate: 128, channels: 2}
"""

FEEDS = {
    "economy": ("Radioscopie de l'Artois : économie", "Business", "Entrepreneurship"),
    "energy": ("Radioscopie de l'Artois : énergie", "Science", "Earth Sciences"),
}


def make_png(path: Path, size: int = 1400, colour: tuple[int, int, int] = (40, 60, 90), mode: str = "RGB") -> Path:
    im = Image.new(mode, (size, size), colour if mode == "RGB" else colour + (255,))
    ImageDraw.Draw(im).rectangle((size // 4, size // 4, size // 2, size // 2), fill=(200, 120, 40))
    im.save(path, "PNG")
    return path


def speech(path: Path, text: str, *, gain_db: float = -8.0, rate: int = 44100, channels: int = 2) -> Path:
    """Real French speech from espeak-ng, converted with sox."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", "-R", str(raw), "-r", str(rate), "-c", str(channels), str(path), "gain", str(gain_db)],
                   check=True)
    raw.unlink()
    return path


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's own summary, parsed here on purpose (not our parser)."""
    import re

    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return i, tp


def write_episode(root: Path, slug: str, body: str) -> Path:
    folder = root / "episodes" / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "episode.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def make_catalog(root: Path, *, with_audio: bool = True) -> Path:
    """Two feeds, three episodes (one in both themes, one with chapters and a transcript)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "podcast.yaml").write_text(PODCAST, encoding="utf-8")
    (root / "feeds").mkdir(exist_ok=True)
    make_png(root / "cover.png")
    for name, (title, cat, sub) in FEEDS.items():
        (root / "feeds" / f"{name}.yaml").write_text(
            f'title: "{title}"\ndescription: "Les sujets {name}."\nartwork: {name}.png\n'
            f'category: {{text: "{cat}", sub: "{sub}"}}\nthemes: [{name}]\n', encoding="utf-8")
        make_png(root / "feeds" / f"{name}.png", colour=(20, 120, 60))
    a = write_episode(root, "erbm-melanie-delots", """\
        title: "L'ERBM : Engagement pour le Renouveau du Bassin Minier"
        date: 2025-03-01
        recorded: "mars 2025"
        themes: [economy]
        host: "René Lavergne"
        guests:
          - name: "Mélanie Delots"
            role: "ingénieure en chef des mines"
        location: {name: "Lens", country: FR}
        summary: "Mélanie Delots présente l'Engagement pour le Renouveau du Bassin Minier."
        notes: |
          ### 1. Les moyens
          La DSIL en région.
        audio: audio.wav
        """)
    b = write_episode(root, "mine-de-soleil-marie-piotrowski", """\
        title: "Mine de Soleil"
        date: 2025-03-15
        themes: [energy, economy]
        guests:
          - name: "Marie Piotrowski"
        summary: "Mine de Soleil est une société citoyenne créée dans le Pas-de-Calais pour développer l'énergie solaire."
        audio: audio.wav
        """)
    c = write_episode(root, "gazonor-yann-fouant", """\
        title: "Gazonor"
        date: 2024-11-02
        themes: [energy]
        guests:
          - name: "Yann Fouant"
            role: "directeur des projets"
        summary: "L'activité consiste à exploiter le gaz de mine dans le bassin minier."
        audio: audio.wav
        """)
    if with_audio:
        speech(a / "audio.wav", "L'engagement pour le renouveau du bassin minier. Bonjour Mélanie Delots.", gain_db=-12)
        speech(b / "audio.wav", "Mine de soleil, une société citoyenne.", gain_db=6, channels=1, rate=22050)
        speech(c / "audio.wav", "Le gaz de mine, ou grisou, est pompé dans les anciennes galeries.", gain_db=-20)
        (a / "chapters.yaml").write_text('- {start: "00:00:00", title: "Introduction"}\n- {start: 2.5, title: "1. Les moyens"}\n',
                                         encoding="utf-8")
        (a / "transcript.vtt").write_text(
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v René Lavergne>L'engagement pour le renouveau du bassin minier.\n\n"
            "00:00:02.500 --> 00:00:04.000\n<v René Lavergne>Bonjour Mélanie Delots.\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tools() -> None:
    for tool in ("ffmpeg", "ffprobe", "espeak-ng", "sox"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: run the README's test command, which installs it")


@pytest.fixture(scope="session")
def built_catalog(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    """One catalog, built once for the whole session (SOURCE_DATE_EPOCH unset)."""
    from artoiscast.build import build

    root = make_catalog(tmp_path_factory.mktemp("cat") / "show")
    build(root)
    return root


@pytest.fixture(scope="session")
def s3server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real SeaweedFS S3 server on 127.0.0.1 for the session (tests/s3server.py); fails if weed is missing."""
    from s3server import SeaweedS3

    server = SeaweedS3(tmp_path_factory.mktemp("s3") / "data")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_show(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    """The repository's catalog with the demo's synthesised media (webtest.real_catalog), built
    once to its own build/ (every episode ingested: later builds to another folder or base URL
    reuse that cache and take a second or two). Copy it before changing it."""
    from artoiscast.build import build
    from webtest import real_catalog

    root = real_catalog(tmp_path_factory.mktemp("real"))
    build(root)
    return root

