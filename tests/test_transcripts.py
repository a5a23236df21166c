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


def test_srt_read_with_speakers_and_written_again(tmp_path: Path) -> None:
    src = tmp_path / "t.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:02,500\nRené Lavergne: Bonjour <i>Mélanie</i>.\n\n"
                   "2\n00:00:02,500 --> 00:00:04,000\n<v Mélanie Delots>Bonjour.\n\n"
                   "3\n00:00:04,000 --> 00:00:05,000\nle bassin minier : une histoire\n", encoding="utf-8")
    t = load_transcript(src, 10.0, "t.srt")
    assert [(c.start, c.speaker, c.text) for c in t.cues] == [
        (1.0, "René Lavergne", "Bonjour Mélanie."), (2.5, "Mélanie Delots", "Bonjour."),
        (4.0, None, "le bassin minier : une histoire")]
    again = tmp_path / "again.srt"
    again.write_bytes(side_files(t)["srt"])
    assert load_transcript(again, 10.0, "again.srt") == t


def test_malformed_srt_names_file_line_and_cue(tmp_path: Path) -> None:
    src = tmp_path / "t.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:02,000\nun\n\n2\n00:00:03,000 -> 00:00:04,000\ndeux\n\n"
                   "3\n00:00:05,000 --> 00:00:06,000\ntrois\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(src, 30.0, "episodes/x/transcript.srt")
    assert info.value.line() == (
        'episodes/x/transcript.srt: cue 2: malformed SRT at line 6: "00:00:03,000 -> 00:00:04,000" (each cue is a '
        'number, then "HH:MM:SS,mmm --> HH:MM:SS,mmm", then its text, then a blank line)')


def test_srt_cue_out_of_order(tmp_path: Path) -> None:
    src = tmp_path / "t.srt"
    src.write_text("1\n00:00:05,000 --> 00:00:06,000\nun\n\n2\n00:00:01,000 --> 00:00:02,000\ndeux\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(src, 30.0, "episodes/x/transcript.srt")
    assert info.value.line() == ("episodes/x/transcript.srt: cue 2 (00:00:01.000): starts before the previous cue "
                                 "(00:00:05.000)")


def test_vtt_cue_with_a_broken_timing_line_is_not_dropped_silently(tmp_path: Path) -> None:
    src = tmp_path / "t.vtt"
    src.write_text("WEBVTT\n\nNOTE relu\n\n00:00:01.000 --> 00:00:02.000\nun\n\nc2\n00:00:03.000 --> 00:00:4.000\ndeux\n",
                   encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_transcript(src, 30.0, "episodes/x/transcript.vtt")
    assert info.value.line() == ('episodes/x/transcript.vtt: cue 2: malformed VTT at line 9: "00:00:03.000 --> '
                                 '00:00:4.000" is not a timing line (use "HH:MM:SS.mmm --> HH:MM:SS.mmm")')


def test_html_rendition_follows_the_namespace(tmp_path: Path) -> None:
    import lxml.html

    src = tmp_path / "t.vtt"
    src.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v René &lt;b&gt;L>Un &lt;script&gt;\n\n"
                   "00:00:02.000 --> 00:00:03.000\n<v René &lt;b&gt;L>deux\n\n"
                   "00:01:05.000 --> 00:01:06.000\n<v Mélanie>trois\n", encoding="utf-8")
    out = side_files(load_transcript(src, 100.0, "t.vtt"), title="Titre <i>", language="fr")
    assert list(out) == ["vtt", "srt", "json", "html"]
    doc = lxml.html.fromstring(out["html"])
    assert doc.get("lang") == "fr" and doc.findtext(".//title") == "Transcription : Titre <i>"
    body = [(el.tag, el.text_content(), el.get("datetime")) for el in doc.body if el.tag != "h1"]
    assert body == [("cite", "René <b>L:", None), ("time", "0:01", "PT1S"), ("p", "Un <script>", None),
                    ("time", "0:02", "PT2S"), ("p", "deux", None),
                    ("cite", "Mélanie:", None), ("time", "1:05", "PT65S"), ("p", "trois", None)]
    assert not doc.xpath("//script|//b|//i")


def test_plain_text_transcript_gives_text_and_html(tmp_path: Path) -> None:
    src = tmp_path / "t.txt"
    src.write_text("Premier paragraphe\nsuite.\n\nSecond <paragraphe>.\n", encoding="utf-8")
    out = side_files(load_transcript(src, None, "t.txt"))
    assert list(out) == ["txt", "html"]
    assert b"<p>Premier paragraphe suite.</p>\n<p>Second &lt;paragraphe&gt;.</p>" in out["html"]


def test_chapter_url_must_be_a_web_address(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text('- {start: 0, title: "A", url: "javascript:alert(1)"}\n', encoding="utf-8")
    with pytest.raises(TranscriptError) as info:
        load_chapters(tmp_path / "c.yaml", 30.0, "c.yaml")
    assert info.value.line() == ('c.yaml: [0]: url: "javascript:alert(1)" is not an http(s) URL '
                                 '(write the full address, e.g. https://example.org/page)')


def test_markup_in_a_speaker_name_stays_text_in_every_rendition(tmp_path: Path) -> None:
    src = tmp_path / "t.vtt"
    src.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A &amp; &lt;b&gt;>texte\n", encoding="utf-8")
    t = load_transcript(src, 10.0, "t.vtt")
    assert t.cues[0].speaker == "A & <b>"
    again = tmp_path / "again.vtt"
    again.write_bytes(side_files(t)["vtt"])
    assert load_transcript(again, 10.0, "again.vtt") == t
    assert json.loads(side_files(t)["json"])["segments"][0]["speaker"] == "A & <b>"


def test_plain_notes_shortcut_gives_what_markdown_and_the_sanitiser_give() -> None:
    """markdown_html_fast skips the parser for plain paragraphs: it must return markdown_html's very
    string, for the real catalog's summaries and notes and for random text mixing letters,
    Markdown syntax, markup, "&", "<", blank lines, odd whitespace and unicode."""
    import random

    from artoiscast import transcripts
    from artoiscast.yamlio import load_yaml

    episodes = Path(__file__).parents[1] / "episodes"
    docs = [load_yaml(p / "episode.yaml") for p in sorted(episodes.iterdir()) if (p / "episode.yaml").is_file()]
    assert len(docs) >= 29
    samples = [doc.get(field) or "" for doc in docs for field in ("notes", "summary")]
    rnd = random.Random(5)
    pieces = ["mot", "Élan", "l'eau", "d’été", "x", "12", "1.", "1)", "-", "--", "---", "===", "*", "**", "_", "#",
              "##", ">", "<b>", "</p>", "<!--", "&amp;", "&", "&copy", "&#60;", "<", "a<b", "\"", "[a](http://e.fr)",
              "`c`", "\\", "!", "(c)", "...", ":", "%", "http://e.fr", "«", "»", "\u00a0", "\t", "\r", "é", "ß", "ǅ",
              "\u200b", "🎙", "\u2028", " ", "  ", "\n", "\n\n", "\n \n", "~~"]
    for _ in range(3000):
        samples.append("".join(rnd.choice(pieces) + rnd.choice(["", " ", "\n", "  \n"]) for _ in range(rnd.randint(0, 12))))
    shortcut = 0
    for text in samples:
        assert transcripts.markdown_html_fast(text) == transcripts.markdown_html(text), repr(text)
        shortcut += transcripts._plain_paragraphs(text) is not None
    assert shortcut > 100  # the shortcut was exercised, not only the parser
