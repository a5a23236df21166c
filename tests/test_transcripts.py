"""Transcripts and chapters read from real files and converted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artoiscast.errors import TranscriptError
from artoiscast.transcripts import chapters_json, load_chapters, load_transcript, side_files


def test_vtt_round_trip_keeps_speakers_and_unescapes_entities(tmp_path: Path) -> None:
    src = tmp_path / "t.vtt"
    src.write_text("WEBVTT\n\n00:00:01.250 --> 00:00:03.500\n<v René Lavergne>Gaz &amp; <i>grisou</i> &lt;ici&gt;\n\n"
                   "00:00:04.000 --> 00:00:05.000\nsans voix\n", encoding="utf-8")
    t = load_transcript(src, 10.0, "t.vtt")
    assert [(c.start, c.end, c.speaker, c.text) for c in t.cues] == [
        (1.25, 3.5, "René Lavergne", "Gaz & grisou <ici>"), (4.0, 5.0, None, "sans voix")]
    out = side_files(t)
    assert out["vtt"].decode().splitlines()[2:4] == ["00:00:01.250 --> 00:00:03.500",
                                                     "<v René Lavergne>Gaz &amp; grisou &lt;ici&gt;"]
    assert out["srt"].decode().splitlines()[:3] == ["1", "00:00:01,250 --> 00:00:03,500", "René Lavergne: Gaz & grisou <ici>"]
    assert json.loads(out["json"])["segments"][0] == {"speaker": "René Lavergne", "startTime": 1.25, "endTime": 3.5,
                                                      "body": "Gaz & grisou <ici>"}
    again = tmp_path / "again.vtt"
    again.write_bytes(out["vtt"])
    assert load_transcript(again, 10.0, "again.vtt") == t


def test_cue_after_the_end_of_the_audio(tmp_path: Path) -> None:
    src = tmp_path / "t.vtt"
    src.write_text("WEBVTT\n\n00:01:00.000 --> 00:01:02.000\ntrop tard\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(src, 30.0, "episodes/x/transcript.vtt")
    assert info.value.line() == ("episodes/x/transcript.vtt: cue 1 (00:01:00.000): starts after the end of the audio "
                                 "(00:00:30.000)")


def test_malformed_vtt_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "t.vtt"
    src.write_text("not a webvtt file\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(src, 30.0, "episodes/x/transcript.vtt")
    assert info.value.line().startswith("episodes/x/transcript.vtt: malformed VTT")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('- {start: "00:00:00", title: "A"}\n- {start: "00:01:00", title: "B"}\n',
         "c.yaml: [1]: start 00:01:00.000 is after the end of the audio (00:00:30.000)"),
        ('- {start: "une minute", title: "A"}\n', 'c.yaml: [0]: start: "une minute" is not a time (use HH:MM:SS.mmm or seconds)'),
        ('- {start: 0, titre: "A"}\n', "c.yaml: [0]: unknown key 'titre' (use start, title, url, image)"),
        ("{}\n", "c.yaml: must be a non-empty list of {start, title}"),
    ],
)
def test_bad_chapters(tmp_path: Path, body: str, line: str) -> None:
    (tmp_path / "c.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_chapters(tmp_path / "c.yaml", 30.0, "c.yaml")
    assert info.value.line() == line


def test_chapters_json(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text('- {start: "00:00:00", title: "Intro"}\n- {start: "00:00:12.5", title: "Suite", '
                                     'url: "https://artoiscast.fr/"}\n', encoding="utf-8")
    doc = json.loads(chapters_json(load_chapters(tmp_path / "c.yaml", 30.0, "c.yaml"), title="T", podcast="P"))
    assert doc == {"version": "1.2.0", "title": "T", "podcastName": "P", "chapters": [
        {"startTime": 0.0, "title": "Intro"}, {"startTime": 12.5, "title": "Suite", "url": "https://artoiscast.fr/"}]}
