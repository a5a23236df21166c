"""``artoiscast init`` and ``artoiscast new`` as a producer uses them: a show from nothing (asked
through a scripted prompt, or with --yes), checked, built and published with no episode yet;
then episodes from real recordings (espeak-ng speech), checked, built, and read back from the
feed by feedparser. Every refusal is one line naming what is wrong, and leaves nothing behind."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
import yaml
from click.testing import CliRunner
from conftest import ebur128, make_png, speech
from PIL import Image

from artoiscast.artwork import artwork_problem, is_placeholder
from artoiscast.catalog import PARIS, load_catalog, podcast_guid
from artoiscast.catalog.loader import SLUG_RE
from artoiscast.catalog.schema import EpisodeDoc, FeedDef, Podcast
from artoiscast.cli import cli
from artoiscast.errors import ErrorList
from artoiscast.scaffold import documents
from artoiscast.scaffold.cover import placeholder_png
from artoiscast.scaffold.init import ShowAnswers, init_show
from artoiscast.scaffold.new import episode_slug, new_episode, parse_guest
from artoiscast.scaffold.prompt import Check, CheckMany, split_many

REPO = Path(__file__).resolve().parents[1]
SHOW = ["--title", "Ma radio", "--author", "Jeanne Dupont", "--base-url", "https://radio.example.org",
        "--email", "jeanne@example.org"]


class Scripted:
    """A Prompt answering from a script: records each question and default, and each problem an
    answer met (the next answer is then taken, as a person would type again)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str | None]] = []
        self.problems: list[str] = []

    def ask(self, question: str, default: str | None = None, validate: Check | None = None) -> str:
        self.asked.append((question, default))
        while True:
            answer = self.answers.pop(0) or (default or "")
            problem = validate(answer) if validate else None
            if not problem:
                return answer
            self.problems.append(problem)

    def ask_many(self, question: str, default: list[str] | None = None, validate: CheckMany | None = None) -> list[str]:
        answer = self.ask(question, ", ".join(default) if default else None,
                          (lambda v: validate(split_many(v))) if validate else None)
        return split_many(answer)


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def show(tmp_path: Path) -> Path:
    """A show made by ``init --yes`` with one theme."""
    res = run("init", str(tmp_path / "show"), "--yes", *SHOW, "--theme", "culture")
    assert res.exit_code == 0, res.output
    return tmp_path / "show"


# ---------------------------------------------------------------- init


def test_init_asks_each_question_and_asks_again_after_a_bad_answer(tmp_path: Path) -> None:
    prompt = Scripted("Radio Lens", "Jeanne Dupont", "", "", "javascript:alert(1)", "https://radio.example.org/x",
                      "pas un mail", "jeanne@example.org", "Culture, all", "culture sport", "")
    result = init_show(tmp_path / "new", prompt=prompt)
    assert [q.split(" (")[0] for q, _ in prompt.asked] == [
        "Title of the show", "Author", "Language of the episodes", "Description", "Base URL", "Owner's e-mail",
        "Themes, one feed each", "Cover image"]
    assert dict(prompt.asked)["Language of the episodes (ISO 639 code)"] == "fr"
    assert prompt.problems[0].startswith('"javascript:alert(1)" is not an http(s) URL')
    assert prompt.problems[1] == '"pas un mail" is not an e-mail address'
    assert prompt.problems[2].startswith('"Culture" is not a usable theme name')
    show = load_catalog(result.folder, check_files=True).podcast
    assert (show.title, show.author, show.language, show.base_url) == (
        "Radio Lens", "Jeanne Dupont", "fr", "https://radio.example.org/x/")
    assert show.description == "Radio Lens : un podcast de Jeanne Dupont."
    assert show.owner is not None and show.owner.email == "jeanne@example.org"
    assert sorted(p.name for p in (result.folder / "feeds").iterdir()) == [
        "culture.png", "culture.yaml", "sport.png", "sport.yaml"]
    assert (result.folder / "episodes").is_dir()
    assert {"/build/", "/public/", "/.venv/"} <= set((result.folder / ".gitignore").read_text().splitlines())


def test_options_are_judged_before_any_question(tmp_path: Path) -> None:
    prompt = Scripted()
    with pytest.raises(ErrorList) as caught:
        init_show(tmp_path / "x", ShowAnswers(base_url="javascript:alert(1)", themes=["ok", "Pas-ok"]), prompt)
    assert [e.path for e in caught.value.errors] == ["--base-url", "--theme"]
    assert prompt.asked == [] and not (tmp_path / "x").exists()


def test_init_in_a_terminal_asks_with_click_and_again_after_a_bad_answer(tmp_path: Path) -> None:
    answers = ["Radio Lens", "Jeanne Dupont", "", "", "javascript:alert(1)", "https://radio.example.org", "",
               "sport", ""]
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "t")], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert 'Error: "javascript:alert(1)" is not an http(s) URL' in res.stderr
    assert res.stderr.count("Base URL (where the show will be published, https://...):") == 2
    assert "warning: podcast.yaml: owner.email: not set" in res.stderr
    assert load_catalog(tmp_path / "t").themes == ["sport"]


def test_init_yes_writes_a_show_that_check_passes_and_strict_flags_its_placeholders(show: Path) -> None:
    res = run("check", "--root", str(show))
    assert res.exit_code == 0, res.output
    assert res.stdout == "ok: 0 episodes, 2 feeds (all, culture)\n"
    strict = run("check", "--strict", "--root", str(show))
    assert strict.exit_code == 1
    assert strict.stderr.splitlines() == [
        'warning: podcast.yaml: artwork: "cover.png" is the placeholder cover from init: replace it with your own '
        "(a square RGB JPEG or PNG of 1400 to 3000 px)",
        'warning: feeds/culture.yaml: artwork: "culture.png" is the placeholder cover from init: replace it with '
        "your own (a square RGB JPEG or PNG of 1400 to 3000 px)"]
    make_png(show / "cover.png", size=3000)
    make_png(show / "feeds" / "culture.png", size=1400)
    assert run("check", "--strict", "--root", str(show)).exit_code == 0


def test_the_written_yaml_shows_every_field_the_schema_takes(show: Path) -> None:
    """Each field of podcast.yaml, of a feed file and of episode.yaml is written, or shown commented out."""
    ep = documents.episode_yaml(documents.EpisodeText("T", datetime(2025, 1, 1, 10, 0), ["culture"], "audio.wav",
                                                      "note", ["culture"]))
    for text, model in ((show / "podcast.yaml").read_text(), Podcast), \
            ((show / "feeds" / "culture.yaml").read_text(), FeedDef), (ep, EpisodeDoc):
        keys = {line.lstrip("# ").split(":")[0] for line in text.splitlines() if ":" in line}
        assert set(model.model_fields) <= keys, set(model.model_fields) - keys
    pinned = yaml.safe_load((show / "feeds" / "culture.yaml").read_text())["guid"]
    assert pinned == str(podcast_guid("https://radio.example.org/feeds/culture.xml"))  # the recipe, pinned


def uncommented(text: str) -> dict[str, object]:
    """The "Optional fields" block of a written file, its examples uncommented, as YAML."""
    block = text.split("# Optional fields", 1)[1].split("\n", 1)[1]
    return dict(yaml.safe_load("\n".join(line.removeprefix("# ") for line in block.splitlines())))


def test_every_commented_example_is_valid_once_uncommented(show: Path) -> None:
    base = yaml.safe_load((show / "podcast.yaml").read_text())
    Podcast.model_validate(base | uncommented((show / "podcast.yaml").read_text()))
    text = documents.episode_yaml(documents.EpisodeText("T", datetime(2025, 1, 1, 10, 0), ["culture"], "audio.wav",
                                                        "note", ["culture"]))
    doc = yaml.safe_load(text) | {"summary": "Écrit."} | uncommented(text)
    assert set(EpisodeDoc.model_fields) - set(doc) == {"guests"}  # shown in its own commented block
    EpisodeDoc.model_validate(doc)


def test_the_demo_catalog_could_have_been_made_by_init(tmp_path: Path) -> None:
    """init given the demo show's answers writes a podcast.yaml that loads to the demo's own values
    for every field init asks (and its guids, derived by the same recipe), and feeds whose pinned
    guids are the demo feeds' own: the demo catalog is init's output, then edited."""
    themes = sorted(p.stem for p in (REPO / "feeds").glob("*.yaml"))
    res = run("init", str(tmp_path / "demo"), "--yes", "--title", "Radioscopie de l'Artois", "--author",
              "René Lavergne", "--base-url", "https://artoiscast.fr/", "--language", "fr",
              *[a for t in themes for a in ("--theme", t)])
    assert res.exit_code == 0, res.output
    made = Podcast.model_validate(yaml.safe_load((tmp_path / "demo" / "podcast.yaml").read_text()))
    demo = Podcast.model_validate(yaml.safe_load((REPO / "podcast.yaml").read_text()))
    for name in ("title", "author", "host", "language", "base_url", "guid", "publisher_guid", "explicit", "artwork"):
        assert getattr(made, name) == getattr(demo, name), name
    assert made.owner is not None and demo.owner is not None and made.owner.name == demo.owner.name
    for theme in themes:
        ours = FeedDef.model_validate(yaml.safe_load((tmp_path / "demo" / "feeds" / f"{theme}.yaml").read_text()))
        theirs = FeedDef.model_validate(yaml.safe_load((REPO / "feeds" / f"{theme}.yaml").read_text()))
        assert (ours.guid, ours.themes, ours.artwork) == (theirs.guid, theirs.themes, theirs.artwork), theme


def test_yes_without_a_required_answer_names_each_option(tmp_path: Path) -> None:
    res = run("init", str(tmp_path / "x"), "--yes", "--title", "Ma radio")
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        'error: --author: missing (--yes asks nothing: give --author "...")',
        'error: --base-url: missing (--yes asks nothing: give --base-url "...")',
        "error: --theme: missing (--yes asks nothing: give --theme NAME, once per theme)",
        "3 problems."]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("option", "value", "reason"), [
    ("--base-url", "javascript:alert(1)", '"javascript:alert(1)" is not an http(s) URL'),
    ("--base-url", 'https://radio.example.org/"><script>alert(1)</script>', "holds markup"),
    ("--base-url", "http://radio.example.org/", "is not https"),
    ("--base-url", "https://radio.example.org/?a=1", "has a query or fragment"),
    ("--email", "<b>@x.org", "is not an e-mail address"),
    ("--title", "Ma\x01radio", "holds the control character U+0001"),
    ("--language", "French", "is not a language code"),
    ("--theme", "all", "is not a usable theme name"),
])
def test_a_bad_answer_is_one_line_and_nothing_is_written(tmp_path: Path, option: str, value: str, reason: str) -> None:
    args = [*SHOW, "--theme", "culture", "--language", "fr"]
    args[args.index(option) + 1] = value
    res = run("init", str(tmp_path / "x"), "--yes", *args)
    assert res.exit_code == 2, res.output
    [line] = res.stderr.splitlines()
    assert line.startswith(f"error: {option}: ") and reason in line, line
    assert not (tmp_path / "x").exists()


def test_init_refuses_a_folder_that_holds_a_show(show: Path) -> None:
    before = tree(show)
    res = run("init", str(show), "--yes", *SHOW, "--theme", "sport")
    assert res.exit_code == 2
    assert res.stderr == (f"error: {show}/podcast.yaml: already there: init starts a new show and never writes over "
                          "one (edit it, or give another folder)\n")
    assert tree(show) == before


def test_init_in_a_folder_keeps_what_is_there_and_takes_its_cover(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "README.md").write_text("# my show\n")
    (folder / ".gitignore").write_text("*.log\n/build/\n")
    make_png(folder / "cover.png", size=1400)
    cover = (folder / "cover.png").read_bytes()
    res = run("init", str(folder), "--yes", *SHOW, "--theme", "culture")
    assert res.exit_code == 0, res.output
    assert "placeholder" not in res.output
    assert (folder / "cover.png").read_bytes() == cover == (folder / "feeds" / "culture.png").read_bytes()
    assert (folder / "README.md").read_text() == "# my show\n"
    lines = (folder / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["*.log", "/build/"] and lines.count("/build/") == 1 and "/public/" in lines
    assert run("check", "--strict", "--root", str(folder)).exit_code == 0
    assert not [p for p in folder.iterdir() if "artoiscast-tmp" in p.name]


def test_init_writes_nothing_when_it_cannot_write_everything(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "feeds").write_text("a file where init needs a folder\n")
    res = run("init", str(folder), "--yes", *SHOW, "--theme", "culture")
    assert res.exit_code == 1
    assert res.stderr == "error: feeds: is a file, not a folder (move it away)\n"
    assert sorted(p.name for p in folder.iterdir()) == ["feeds"]
    # a file init would write is there already: refused before anything is written
    (folder / "feeds").unlink()
    (folder / "feeds").mkdir()
    (folder / "feeds" / "culture.yaml").write_text("title: mine\n")
    res = run("init", str(folder), "--yes", *SHOW, "--theme", "culture")
    assert res.exit_code == 2 and res.stderr.startswith(f"error: {folder}/feeds/culture.yaml: already there")
    assert tree(folder) == {"feeds/culture.yaml": b"title: mine\n"}


def test_init_checks_the_cover_it_is_given(tmp_path: Path) -> None:
    small = make_png(tmp_path / "small.png", size=600)
    res = run("init", str(tmp_path / "x"), "--yes", *SHOW, "--theme", "culture", "--artwork", str(small))
    assert res.exit_code == 2
    assert res.stderr == f'error: --artwork: "{small}" is 600x600; apps need a square of 1400 to 3000 px\n'
    good = make_png(tmp_path / "good.png", size=1400)
    assert run("init", str(tmp_path / "x"), "--yes", *SHOW, "--theme", "culture", "--artwork", str(good)).exit_code == 0
    assert (tmp_path / "x" / "cover.png").read_bytes() == good.read_bytes()


def test_the_placeholder_cover_passes_the_artwork_rules_and_is_deterministic() -> None:
    data = placeholder_png("Énergie à Liévin", "René Lavergne")
    assert data == placeholder_png("Énergie à Liévin", "René Lavergne")
    assert artwork_problem(data, ".png") is None and is_placeholder(data)
    with Image.open(io.BytesIO(data)) as im:
        assert (im.format, im.size, im.mode) == ("PNG", (3000, 3000), "RGB")
    assert placeholder_png("Énergie à Liévin", "René Lavergne", "Culture") != data
    replaced = io.BytesIO()
    Image.open(io.BytesIO(data)).save(replaced, "PNG")  # the same picture, saved again by an editor
    assert not is_placeholder(replaced.getvalue())


def test_a_new_show_builds_and_publishes_with_no_episode(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    res = run("build", "--root", str(show))
    assert res.exit_code == 0, res.output
    assert "all          0 episodes  https://radio.example.org/feeds/all.xml" in res.stdout
    site = show / "build" / "site"
    for name in ("all", "culture", "publisher"):
        xml = (site / "feeds" / f"{name}.xml").read_bytes()
        parsed = feedparser.parse(xml)
        assert not parsed.bozo and parsed.entries == [], name
        assert b"lastBuildDate" not in xml  # no made-up date: nothing is published yet
    assert json.loads((site / "manifest.json").read_text())["built"] is None
    assert "Aucun épisode pour l’instant." in (site / "index.html").read_text()
    assert "Aucun épisode pour l’instant." in (site / "embed" / "culture.html").read_text()
    ingest = run("ingest", "--root", str(show))
    assert ingest.stdout.startswith("no episodes yet: nothing to ingest")
    pub = run("publish", "--root", str(show))
    assert pub.exit_code == 0, pub.output
    assert (show / "public" / "feeds" / "all.xml").read_bytes() == (site / "feeds" / "all.xml").read_bytes()
    check = run("check", "--root", str(show))
    assert check.exit_code == 0 and "the feed has no episode" in check.stderr


# ---------------------------------------------------------------- new


def test_slugs_fold_accents_and_stay_unique() -> None:
    assert episode_slug("Énergie à Liévin : l'été", set()) == "energie-a-lievin-l-ete"
    assert episode_slug("Œuvres & cœur « Les Mineurs »", set()) == "oeuvres-coeur-les-mineurs"
    assert episode_slug("Énergie à Liévin", {"energie-a-lievin", "energie-a-lievin-2"}) == "energie-a-lievin-3"
    long = episode_slug("Le label Euralens et les porteurs de projets de l'Artois en 2024 " * 3, set())
    assert len(long) <= 60 and SLUG_RE.match(long) and not long.endswith("-")
    assert episode_slug("!!!", set()) == "episode"


def test_guests_are_read_as_name_role_and_organisation() -> None:
    g = parse_guest("Marie Piotrowski, présidente, Mine de Soleil")
    assert (g.name, g.role, g.organisation) == ("Marie Piotrowski", "présidente", "Mine de Soleil")
    assert parse_guest("Yann Fouant").role is None
    assert parse_guest("Yann Fouant, , Gazonor").organisation == "Gazonor"


@pytest.fixture
def recording(tmp_path: Path, tools: None) -> Path:
    (tmp_path / "rec").mkdir()
    return speech(tmp_path / "rec" / "enregistrement.wav", "Bonjour, nous sommes à Liévin pour parler d'énergie.",
                  gain_db=-10)


def test_new_makes_an_episode_that_check_holds_until_its_summary_is_written(show: Path, recording: Path) -> None:
    res = run("new", str(recording), "--root", str(show), "--title", "Énergie à Liévin : l'été",
              "--guest", "Marie Piotrowski, présidente, Mine de Soleil", "--date", "2025-06-01T10:00")
    assert res.exit_code == 0, res.output
    folder = show / "episodes" / "energie-a-lievin-l-ete"
    assert sorted(p.name for p in folder.iterdir()) == ["audio.wav", "episode.yaml"]
    assert (folder / "audio.wav").read_bytes() == recording.read_bytes()  # copied: the source stays
    assert "fill in episodes/energie-a-lievin-l-ete/episode.yaml: summary" in res.stdout
    i, tp = ebur128(recording)  # ffmpeg's own figures, parsed by the test: "before" is the source's loudness
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("  audio: "))
    assert f"before: {i:.1f} LUFS, true peak {tp:.1f} dBTP" in line and "44100 Hz stereo" in line
    doc = yaml.safe_load((folder / "episode.yaml").read_text())
    assert doc["guests"] == [{"name": "Marie Piotrowski", "role": "présidente", "organisation": "Mine de Soleil"}]
    assert (doc["themes"], doc["audio"]) == (["culture"], "audio.wav")  # the show's only theme
    check = run("check", "--root", str(show))
    assert check.exit_code == 2
    assert check.stderr == ("error: episodes/energie-a-lievin-l-ete/episode.yaml: summary: still a TODO (write the "
                            "episode's summary, then run artoiscast check)\n")
    text = (folder / "episode.yaml").read_text()
    (folder / "episode.yaml").write_text(text.replace(f'"{documents.TODO}: what the episode is about, in a few sentences"',
                                                      '"Marie Piotrowski parle de Mine de Soleil."'))
    assert run("check", "--root", str(show)).exit_code == 0
    build = run("build", "--root", str(show))
    assert build.exit_code == 0, build.output
    feed = feedparser.parse((show / "build" / "site" / "feeds" / "culture.xml").read_bytes())
    [entry] = feed.entries
    assert entry.title == "Énergie à Liévin : l'été"
    assert entry.summary == "Marie Piotrowski parle de Mine de Soleil."
    assert entry.enclosures[0].href.startswith("https://radio.example.org/media/energie-a-lievin-l-ete/")
    assert entry.published_parsed[:5] == (2025, 6, 1, 8, 0)  # 10:00 in Paris, summer time


def test_new_again_with_the_same_title_and_with_move(show: Path, recording: Path) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)
    first = new_episode(show, recording, title="Énergie à Liévin", now=now)
    assert (first.slug, first.date.isoformat(), first.scheduled) == ("energie-a-lievin", "2026-03-02", False)
    data = recording.read_bytes()
    second = new_episode(show, recording, title="Énergie à Liévin", move=True, now=now, when="2026-04-01T18:00")
    assert (second.slug, second.moved, second.scheduled) == ("energie-a-lievin-2", True, True)
    assert not recording.exists() and (second.folder / "audio.wav").read_bytes() == data
    assert not [p for p in (show / "episodes").iterdir() if p.name.startswith(".")]


def test_new_keeps_the_format_and_names_the_file_as_the_catalog_does(show: Path, recording: Path) -> None:
    flac = recording.with_name("interview.enregistrement")  # no audio extension: the container names it
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(recording), "-f", "flac", str(flac)],
                   check=True)
    ep = new_episode(show, flac, title="Un entretien")
    assert ep.audio == "audio.flac" and ep.probe.codec == "flac"
    assert (ep.folder / "audio.flac").read_bytes() == flac.read_bytes()


def test_a_scheduled_episode_says_so_and_stays_out_of_the_feeds(show: Path, recording: Path) -> None:
    res = run("new", str(recording), "--root", str(show), "--title", "Plus tard", "--date", "2099-01-01")
    assert res.exit_code == 0, res.output
    assert "scheduled: published on 2099-01-01 at 00:00:00 Paris time" in res.stdout
    to_the_second = run("new", str(recording), "--root", str(show), "--title", "Pile", "--date", "2099-01-01T20:40:25")
    assert "scheduled: published on 2099-01-01 at 20:40:25 Paris time" in to_the_second.stdout  # the seconds asked for
    assert "\ndate: 2099-01-01T20:40:25\n" in (show / "episodes" / "pile" / "episode.yaml").read_text()
    shutil.rmtree(show / "episodes" / "pile")
    yaml_file = show / "episodes" / "plus-tard" / "episode.yaml"
    yaml_file.write_text(yaml_file.read_text().replace(f'"{documents.TODO}: ', '"Bientôt : '))
    assert run("build", "--root", str(show)).exit_code == 0
    assert feedparser.parse((show / "build" / "site" / "feeds" / "all.xml").read_bytes()).entries == []


@pytest.mark.parametrize("case", ["text", "folder", "missing", "link-out", "link-moved", "device", "silent"])
def test_new_refuses_what_is_not_a_recording_in_one_line(show: Path, tmp_path: Path, case: str, tools: None) -> None:
    target = {"text": tmp_path / "notes.mp3", "folder": tmp_path, "missing": tmp_path / "absent.wav",
              "link-out": tmp_path / "rec" / "link.wav", "link-moved": tmp_path / "link.wav",
              "device": Path("/dev/zero"), "silent": tmp_path / "silence.wav"}[case]
    if case == "text":
        target.write_text("ceci n'est pas un son\n")
    if case.startswith("link"):
        target.parent.mkdir(exist_ok=True)
        os.symlink(speech(tmp_path / "outside.wav", "Bonjour."), target)
    if case == "silent":
        subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(target), "trim", "0", "3"], check=True)
    res = run("new", str(target), "--root", str(show), "--title", "Essai", *(["--move"] if case == "link-moved" else []))
    assert res.exit_code == 2, res.output
    [line] = res.stderr.splitlines()
    reason = {"text": "not a readable audio file", "folder": "is a folder, not a recording", "missing": "not found",
              "link-out": "is a link out of its folder", "link-moved": "is a link: --move would move the link",
              "device": "is not a regular file", "silent": "the audio is silent"}[case]
    assert line.startswith(f"error: {target}: ") and reason in line, line
    assert list((show / "episodes").iterdir()) == []
    assert case in ("folder", "missing", "device") or target.exists()


def test_new_options_are_judged_before_anything_is_read(tmp_path: Path, recording: Path) -> None:
    res = run("init", str(tmp_path / "two"), "--yes", *SHOW, "--theme", "culture", "--theme", "sport")
    assert res.exit_code == 0
    root = tmp_path / "two"
    res = run("new", str(recording), "--root", str(root), "--title", "Essai")
    assert res.stderr == "error: --theme: required: this show has 2 themes (culture, sport): give one or more\n"
    res = run("new", str(recording), "--root", str(root), "--title", " ", "--theme", "sprot", "--guest", "a, b, c, d",
              "--date", "20250619")
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert [ln.split(": ")[1] for ln in lines[:-1]] == ["--title", "--theme", "--guest", "--date"]
    assert lines[-1] == "4 problems."
    assert "did you mean 'sport'?" in res.stderr
    assert list((root / "episodes").iterdir()) == []
    outside = run("new", str(recording), "--root", str(tmp_path), "--title", "Essai")
    assert outside.exit_code == 2 and outside.stderr.startswith("error: podcast.yaml: not found: this is no show's folder")
    shutil.rmtree(root)


def test_new_reads_no_feed_file_linked_out_of_the_show(show: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text("themes: [secret]\n")
    os.symlink(tmp_path / "elsewhere.yaml", show / "feeds" / "evil.yaml")
    res = run("new", str(tmp_path / "absent.wav"), "--root", str(show), "--title", "Essai", "--theme", "secret")
    assert res.stderr == "error: --theme: \"secret\" is not a theme of any feed (one of: culture)\n"


def test_brackets_in_names_and_titles_are_printed_as_text(tmp_path: Path, recording: Path) -> None:
    """Rich reads "[red]" and "[/x]" as markup: in a folder name, a file name or a title they are text
    (it was a MarkupError traceback after init had written the show)."""
    folder = tmp_path / "sh[/x]ow"
    res = run("init", str(folder), "--yes", "--title", "T [/b]", "--author", "A", "--base-url",
              "https://x.example/", "--theme", "culture")
    assert res.exit_code == 0, res.output
    assert f"cd {shlex.quote(str(folder))} && artoiscast new" in res.stdout
    odd = tmp_path / "[red] x [i].wav"
    shutil.copy(recording, odd)
    res = run("new", str(odd), "--root", str(folder), "--title", "Titre [/i] [bold]")
    assert res.exit_code == 0, res.output
    assert f"copied from {odd}" in res.stdout
