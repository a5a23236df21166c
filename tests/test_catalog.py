"""Catalog validation: every problem of every file, one line each, exit 2."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from artoiscast.catalog import load_catalog, podcast_guid
from artoiscast.cli import cli
from artoiscast.errors import ErrorList
from conftest import make_catalog, write_episode

EP = "episodes/erbm-melanie-delots/episode.yaml"


@pytest.fixture
def catalog_root(tmp_path: Path, tools: None) -> Path:
    return make_catalog(tmp_path / "show")


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ErrorList) as info:
        load_catalog(root)
    return [e.line() for e in info.value.errors]


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_good_catalog_loads_newest_first(catalog_root: Path) -> None:
    cat = load_catalog(catalog_root)
    assert [e.slug for e in cat.episodes] == [
        "mine-de-soleil-marie-piotrowski", "erbm-melanie-delots", "gazonor-yann-fouant"]
    assert list(cat.feeds) == ["all", "economy", "energy"]
    assert [e.slug for e in cat.feed_episodes(cat.feeds["energy"])] == [
        "mine-de-soleil-marie-piotrowski", "gazonor-yann-fouant"]
    erbm = cat.episodes[1]
    assert erbm.chapters and erbm.chapters.name == "chapters.yaml"  # found beside episode.yaml
    assert erbm.transcript and erbm.transcript.name == "transcript.vtt"
    assert cat.episodes[0].host == "René Lavergne"  # the show's host by default


def test_podcast_guid_recipe_matches_the_namespace_test_vectors() -> None:
    assert str(podcast_guid("https://podnews.net/rss")) == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert str(podcast_guid("mp3s.nashownotes.com/pc20rss.xml/")) == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("date: 2025-03-01", 'date: "31/02/2025"', f'{EP}: date: "31/02/2025" is not a date (use YYYY-MM-DD)'),
        ("date: 2025-03-01", "date: 2025-02-31", f'{EP}: date: "2025-02-31" is not a date (use YYYY-MM-DD)'),
        ("title:", "titel:", f"{EP}: titel: unknown key (did you mean 'title'?)"),
        ("themes: [economy]", "themes: [enegry]",
         f"{EP}: themes[0]: \"enegry\" is not a theme of any feed (did you mean 'energy'?)"),
        ("themes: [economy]", "themes: []", f"{EP}: themes: is empty (give at least one value)"),
        ("audio: audio.wav", "audio: ../audio.wav",
         f'{EP}: audio: "../audio.wav" leaves the episode folder (give a file name inside it)'),
        ("audio: audio.wav", "audio: /etc/passwd",
         f'{EP}: audio: "/etc/passwd" leaves the episode folder (give a file name inside it)'),
        ("audio: audio.wav", "audio: absent.wav",
         f'{EP}: audio: "absent.wav" not found (put the file beside episode.yaml)'),
        ("country: FR", "country: France",
         f'{EP}: location.country: "France" has the wrong form (ISO 3166-1 alpha-2 in capitals, e.g. FR)'),
        ('    role: "ingénieure en chef des mines"', '    rôle: "x"',
         f"{EP}: guests[0].rôle: unknown key (did you mean 'role'?)"),
        ('recorded: "mars 2025"', "recorded: [1, 2]", f"{EP}: recorded: a list: Input should be a valid string"),
        ("title: \"L'ERBM", "title: 'L'ERBM", f"{EP}: line 1, column 11: expected <block end>, but found '<scalar>' "
                                              "(fix the YAML syntax)"),
    ],
)
def test_each_bad_field_gives_one_exact_line(catalog_root: Path, old: str, new: str, line: str) -> None:
    edit(catalog_root, EP, old, new)
    assert errors_of(catalog_root) == [line]


def test_missing_required_field(catalog_root: Path) -> None:
    edit(catalog_root, EP, 'summary: "Mélanie Delots présente l\'Engagement pour le Renouveau du Bassin Minier."\n', "")
    assert errors_of(catalog_root) == [f"{EP}: summary: required field is missing (add it)"]


def test_every_problem_of_every_file_at_once(catalog_root: Path) -> None:
    edit(catalog_root, EP, "date: 2025-03-01", "date: demain")
    edit(catalog_root, "episodes/gazonor-yann-fouant/episode.yaml", "themes: [energy]", "themes: [gaz]")
    edit(catalog_root, "feeds/energy.yaml", 'text: "Science"', 'text: "Sciences"')
    write_episode(catalog_root, "Bad_Slug", "title: x\n")
    lines = errors_of(catalog_root)
    assert lines == [
        "feeds/energy.yaml: category: 'Sciences' is not an Apple Podcasts category (did you mean 'Science'?)",
        'episodes/Bad_Slug: folder name "Bad_Slug" is not a valid slug (lower-case a-z, 0-9 and -, at most 80 characters)',
        f'{EP}: date: "demain" is not a date (use YYYY-MM-DD)',
        'episodes/gazonor-yann-fouant/episode.yaml: themes[0]: "gaz" is not a theme of any feed (one of: economy, energy)',
    ]


def test_duplicate_guid(catalog_root: Path) -> None:
    for slug in ("gazonor-yann-fouant", "erbm-melanie-delots"):
        with (catalog_root / "episodes" / slug / "episode.yaml").open("a", encoding="utf-8") as f:
            f.write('guid: "same-guid"\n')
    assert errors_of(catalog_root) == [
        'episodes/gazonor-yann-fouant/episode.yaml: guid: "same-guid" is also the guid of erbm-melanie-delots '
        "(guids must be unique)"]


def test_symlink_out_of_the_episode_folder(catalog_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.wav"
    outside.write_bytes(b"RIFF")
    folder = catalog_root / "episodes" / "erbm-melanie-delots"
    (folder / "audio.wav").unlink()
    os.symlink(outside, folder / "audio.wav")
    assert errors_of(catalog_root) == [
        f'{EP}: audio: "audio.wav" is a link out of the episode folder (copy the file in)']


def test_yaml_aliases_are_bounded(catalog_root: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi", strict=True))
    (catalog_root / "episodes" / "erbm-melanie-delots" / "episode.yaml").write_text(bomb)
    assert errors_of(catalog_root) == [f"{EP}: 72 YAML aliases (at most 64); write the values out"]


def test_python_tags_are_refused(catalog_root: Path) -> None:
    edit(catalog_root, EP, 'recorded: "mars 2025"', "recorded: !!python/object/apply:os.system ['true']")
    (line,) = errors_of(catalog_root)
    assert line.startswith(f"{EP}: line 3, column 11: could not determine a constructor for the tag")


def test_check_command_prints_one_line_per_problem_and_exits_2(catalog_root: Path) -> None:
    edit(catalog_root, EP, "date: 2025-03-01", 'date: "31/02/2025"')
    edit(catalog_root, "episodes/gazonor-yann-fouant/episode.yaml", "audio: audio.wav", "audio: gone.mp3")
    result = CliRunner().invoke(cli, ["check", "--root", str(catalog_root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f'error: {EP}: date: "31/02/2025" is not a date (use YYYY-MM-DD)',
        'error: episodes/gazonor-yann-fouant/episode.yaml: audio: "gone.mp3" not found (put the file beside episode.yaml)',
        "2 problems.",  # check publishes nothing, so it does not say nothing was published
    ]
    assert "Traceback" not in result.output


def test_check_ok(catalog_root: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--root", str(catalog_root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 3 episodes, 3 feeds (all, economy, energy)"


def test_artwork_not_square_is_reported_by_check(catalog_root: Path) -> None:
    from PIL import Image

    Image.new("RGB", (1400, 1200)).save(catalog_root / "feeds" / "economy.png")
    result = CliRunner().invoke(cli, ["check", "--root", str(catalog_root)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        'error: feeds/economy.yaml: artwork: "economy.png" is 1400x1200; apps need a square of 1400 to 3000 px')


def test_check_reads_chapters_and_transcripts(catalog_root: Path) -> None:
    folder = catalog_root / "episodes" / "erbm-melanie-delots"
    (folder / "chapters.yaml").write_text('- {start: "00:00:05", title: "A"}\n- {start: "00:00:02", title: "B"}\n')
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00:03.000 --> 00:00:04.000\nun\n\n"
                                           "00:00:01.000 --> 00:00:02.000\ndeux\n")
    result = CliRunner().invoke(cli, ["check", "--root", str(catalog_root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "error: episodes/erbm-melanie-delots/chapters.yaml: [1]: start 00:00:02.000 is not after the previous chapter "
        "(00:00:05.000)",
        "error: episodes/erbm-melanie-delots/transcript.vtt: cue 2 (00:00:01.000): starts before the previous cue "
        "(00:00:03.000)",
    ]


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, 2.5, true, null, ~]\nc: {d: e}\n", "", "# only a comment\n", "- 1\n- [a, {b: c}]\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "anchored: &a 3\nplain: 4\n", "? [a, b]\n: complex key\n",
    "1: int key\n2.5: float\ntrue: bool\n~: null\n", "s: !!str 12\nb: !!binary aGk=\nt: !!timestamp 2025-01-01\n",
    "set: !!set {a, b}\n", "date: 2025-02-31\nv: 0x1F\no: 0o17\ninf: .inf\n",
    "!!python/object:os.system x\n", "a: !unknown 1\n", "--- 1\n--- 2\n", "a: [1\n", "{[1]: x}\n",
])
def test_yaml_is_built_as_pyyaml_builds_it(tmp_path: Path, text: str) -> None:
    """yamlio builds maps, lists and strings itself: same data, same errors as PyYAML's loader
    (where PyYAML accepts a key given twice, yamlio refuses it: see test_a_key_given_twice_is_refused)."""
    import yaml

    from artoiscast import yamlio
    from artoiscast.errors import CatalogError

    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    try:
        expected: object = yaml.load(text, Loader=yamlio._Loader)  # noqa: S506 - the safe loader
    except yaml.YAMLError:
        expected = CatalogError
    if expected is CatalogError:
        with pytest.raises(CatalogError):
            yamlio.load_yaml(tmp_path / "f.yaml")
    else:
        assert yamlio.load_yaml(tmp_path / "f.yaml") == expected


def test_many_episode_files_read_on_two_cores_give_the_same_catalog_and_errors(
        catalog_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path (``load_episodes_in_two``, a forked child for half the folders) against the
    plain sequential path (``fast=False``): the same errors in the same order, then the same catalog."""
    from artoiscast.catalog import loader

    for i in range(6):
        folder = write_episode(catalog_root, f"extra-{i}", f'title: "Extra {i}"\ndate: 2024-01-0{i + 1}\n'
                               f'themes: [energy]\nsummary: "S."\naudio: audio.wav\n')
        (folder / "audio.wav").write_bytes(b"")
    (catalog_root / "episodes" / "extra-2" / "episode.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    (catalog_root / "episodes" / "extra-4" / "episode.yaml").write_text("title: 3\ntitel: x\n", encoding="utf-8")
    (catalog_root / "episodes" / "extra-5" / "audio.wav").unlink()  # a file problem only: not an error in --catalog-only
    monkeypatch.setattr(loader, "PARALLEL_FILES", 2)
    for check_files in (True, False):
        with pytest.raises(ErrorList) as serial:
            load_catalog(catalog_root, check_files=check_files, fast=False)
        with pytest.raises(ErrorList) as parallel:
            load_catalog(catalog_root, check_files=check_files)
        assert str(parallel.value) == str(serial.value)
        assert "extra-2/episode.yaml" in str(serial.value) and "extra-4/episode.yaml" in str(serial.value)
        assert ("extra-5/episode.yaml: audio" in str(serial.value)) is check_files
    for slug in ("extra-2", "extra-4"):
        (catalog_root / "episodes" / slug / "episode.yaml").write_text(
            'title: "E"\ndate: 2024-02-01\nthemes: [energy]\nsummary: "S."\naudio: audio.wav\n', encoding="utf-8")
    (catalog_root / "episodes" / "extra-5" / "audio.wav").write_bytes(b"")
    serial_cat = load_catalog(catalog_root, fast=False)
    fast_cat = load_catalog(catalog_root)
    assert fast_cat.episodes == serial_cat.episodes
    assert [str(w) for w in fast_cat.warnings] == [str(w) for w in serial_cat.warnings]
    assert fast_cat.feeds == serial_cat.feeds and fast_cat.podcast == serial_cat.podcast


def test_the_real_catalog_loads_the_same_on_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository's own catalog (the demo show, its audio not synthesised): the fast path,
    forced on for its episodes, gives the catalog the sequential path gives."""
    from artoiscast.catalog import loader

    repo = Path(__file__).resolve().parents[1]
    monkeypatch.setattr(loader, "PARALLEL_FILES", 2)
    serial = load_catalog(repo, check_files=False, fast=False)
    fast = load_catalog(repo, check_files=False)
    assert len(serial.episodes) >= 29
    assert fast.episodes == serial.episodes and fast.feeds == serial.feeds
    assert [str(w) for w in fast.warnings] == [str(w) for w in serial.warnings]


def _outcome(parse: Callable[[str], object], text: str) -> str:
    """What a YAML reader makes of ``text``: its data with every type shown, or its error."""
    try:
        return repr(parse(text))
    except Exception as exc:  # noqa: BLE001 - the error is the outcome compared
        return f"{type(exc).__name__}: {exc} {getattr(exc, 'path', '')}"


def _real_catalog_yaml() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    found = [root / "podcast.yaml", *sorted((root / "feeds").glob("*.yaml")), *sorted((root / "episodes").rglob("*.yaml"))]
    assert len(found) > 29
    return found


def test_direct_yaml_construction_equals_pyyaml_on_the_real_catalog() -> None:
    import yaml

    from artoiscast import yamlio

    for path in _real_catalog_yaml():
        text = path.read_text(encoding="utf-8")
        expected = repr(yaml.load(text, Loader=yamlio._Loader))
        assert _outcome(yamlio.parse, text) == expected, path
        assert _outcome(yamlio.parse_fast, text) == expected, path


def test_direct_yaml_construction_equals_pyyaml_on_random_documents() -> None:
    """Random documents: nesting, unquoted dates and other implicit scalars, anchors and aliases,
    merge keys, unicode, keys given twice, too deep: the fast and the plain reader agree on the
    data (types and order included) and on the error."""
    import random

    import yaml

    from artoiscast import yamlio

    rnd = random.Random(6)
    dates = ["2025-02-31", "2025-01-01", "2025-01-01 10:00:00", "2025-01-01T10:00:00Z", "2001-12-14t21:59:43.10-05:00"]
    scalars = ["x", "Élan « Lens »", "🎙 d’été", "l'eau", "a: b", "#no", "", "0x1F", "0o17", "1_000", ".inf", "-.NaN",
               "~", "null", "yes", "No", "true", "12", "-3.5e2", "\u00a0", "\\x01", "ǅ", "a\nb"]
    direct = 0

    def value(depth: int, shared: list[object]) -> object:
        kind = rnd.random()
        if depth < 4 and kind < 0.25:
            return {rnd.choice(["a", "b", "clé", "1", "true", "~"]) + str(rnd.randint(0, 3)): value(depth + 1, shared)
                    for _ in range(rnd.randint(0, 4))}
        if depth < 4 and kind < 0.4:
            return [value(depth + 1, shared) for _ in range(rnd.randint(0, 4))]
        if shared and kind < 0.45:
            return rnd.choice(shared)  # dumped as an anchor and an alias
        out: object = rnd.choice([rnd.choice(scalars), rnd.randint(-5, 5), rnd.random(), True, None, "DATE"])
        if isinstance(out, str) and out != "DATE" and kind > 0.9:
            shared.append([out])
        return out

    for _ in range(1500):
        shared: list[object] = []
        data = {f"k{i}": value(0, shared) for i in range(rnd.randint(1, 5))}
        text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=rnd.choice([None, False, True]), sort_keys=False)
        text = text.replace("DATE", rnd.choice(dates))  # unquoted dates: yamlio keeps them as text
        extra = rnd.random()
        if extra < 0.05:
            text += "k0: twice\n"
        elif extra < 0.1:
            text = "base: &b {x: 1, y: [2]}\nmerged:\n  <<: *b\n  y: 3\n" + text
        elif extra < 0.12:
            text = "deep: " + "[" * 70 + "]" * 70 + "\n" + text
        elif extra < 0.14:
            text += "? [a, b]\n: complex\n"
        expected = _outcome(yamlio.parse, text)
        assert _outcome(yamlio.parse_fast, text) == expected, text
        if "&" not in text and extra >= 0.14:
            direct += 1
            assert expected == repr(yaml.load(text, Loader=yamlio._Loader)), text
    assert direct > 500
