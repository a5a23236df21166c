"""Bad and hostile catalog input (issue 11): each kind is one line naming the file and the field.

Links out of the folders, symlink loops, unreadable files and folders, URLs that are not
http(s), dates that are numbers, chapters at nan/negative/huge times, decompression bombs and
truncated artwork, YAML nested thousands deep or with a key given twice, misspelt nested keys.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from artoiscast.catalog import PARIS, load_catalog
from artoiscast.cli import cli
from artoiscast.errors import CatalogError, ErrorList
from conftest import make_png
from hostile import cli as cli_cmd
from hostile import run, unprivileged

SLUG = "erbm-melanie-delots"
EP = f"episodes/{SLUG}/episode.yaml"


@pytest.fixture
def root(tmp_path: Path, built_catalog: Path) -> Path:
    """A copy of the session's built catalog (its ingest cache too: a build here encodes nothing)."""
    dest = tmp_path / "show"
    shutil.copytree(built_catalog, dest, symlinks=True)
    return dest


def errors_of(root: Path, **kwargs: bool) -> list[str]:
    with pytest.raises(ErrorList) as info:
        load_catalog(root, **kwargs)
    return [e.line() for e in info.value.errors]


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def invoke(*args: str | Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [line for line in result.stderr.splitlines() if line.strip()]  # (a progress bar's blank)


# ---------------------------------------------------------------- 1. one path check for every file


@pytest.mark.parametrize("name", ["transcript.vtt", "transcript.srt", "transcript.txt", "chapters.yaml"])
def test_a_side_file_found_by_name_linked_out_of_the_folder_is_not_published(root: Path, tmp_path: Path,
                                                                             name: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nle mot de passe\n", encoding="utf-8")
    folder = root / "episodes" / SLUG
    for found in ("transcript.vtt", "chapters.yaml"):
        (folder / found).unlink()
    (folder / name).symlink_to(secret)
    line = f"episodes/{SLUG}/{name}: is a link out of the episode folder (copy the file in)"
    assert errors_of(root) == [line]
    shutil.rmtree(root / "build" / "site")
    code, err = invoke("build", "--root", root)
    assert (code, err) == (2, [f"error: {line}"])
    assert not (root / "build" / "site").exists()  # nothing built, so nothing to publish


def test_links_that_stay_inside_are_followed(root: Path) -> None:
    folder = root / "episodes" / SLUG
    (folder / "sub").mkdir()
    (folder / "transcript.vtt").rename(folder / "sub" / "texte.vtt")
    (folder / "transcript.vtt").symlink_to(Path("sub") / "texte.vtt")
    (root / "feeds" / "economy.png").unlink()
    (root / "feeds" / "economy.png").symlink_to(root / "cover.png")  # inside the catalog folder
    cat = load_catalog(root)
    assert next(e for e in cat.episodes if e.slug == SLUG).transcript == folder / "transcript.vtt"


def test_show_artwork_linked_out_of_the_catalog_is_refused(root: Path, tmp_path: Path) -> None:
    outside = make_png(tmp_path / "elsewhere.png")
    (root / "cover.png").unlink()
    (root / "cover.png").symlink_to(outside)
    (root / "feeds" / "energy.png").unlink()
    (root / "feeds" / "energy.png").symlink_to(outside)
    assert errors_of(root) == [
        'podcast.yaml: artwork: "cover.png" is a link out of the catalog folder (copy the file in)',
        'feeds/energy.yaml: artwork: "energy.png" is a link out of the catalog folder (copy the file in)',
    ]


def test_show_artwork_through_a_linked_folder_out_of_the_catalog_is_refused(root: Path, tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    make_png(tmp_path / "art" / "economy.png")
    (root / "feeds" / "art").symlink_to(tmp_path / "art", target_is_directory=True)
    edit(root, "feeds/economy.yaml", "artwork: economy.png", "artwork: art/economy.png")
    assert errors_of(root) == [
        'feeds/economy.yaml: artwork: "art/economy.png" is a link out of the catalog folder (copy the file in)']


def test_yaml_files_linked_out_are_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "other.yaml"
    shutil.copy(root / EP, outside)
    (root / EP).unlink()
    (root / EP).symlink_to(outside)
    shutil.copy(root / "feeds" / "economy.yaml", tmp_path / "economy.yaml")
    (root / "feeds" / "economy.yaml").unlink()
    (root / "feeds" / "economy.yaml").symlink_to(tmp_path / "economy.yaml")
    assert errors_of(root) == [
        "feeds/economy.yaml: is a link out of the catalog folder (copy the file in)",
        f"{EP}: is a link out of the episode folder (copy the file in)",
    ]


def test_a_symlink_loop_as_audio_is_one_line(root: Path) -> None:
    folder = root / "episodes" / SLUG
    (folder / "audio.wav").unlink()
    (folder / "audio.wav").symlink_to("loop.wav")
    (folder / "loop.wav").symlink_to("audio.wav")
    line = f'{EP}: audio: "audio.wav" is a symlink loop (replace the link by the file itself)'
    assert errors_of(root) == [line]
    for command in ("check", "build", "publish"):
        code, err = invoke(command, "--root", root)
        assert (code, err) == (2, [f"error: {line}"]), command


def test_a_symlink_loop_found_by_name_is_one_line(root: Path) -> None:
    folder = root / "episodes" / SLUG
    (folder / "chapters.yaml").unlink()
    (folder / "chapters.yaml").symlink_to("chapters.yaml")
    assert errors_of(root) == [
        f"episodes/{SLUG}/chapters.yaml: is a symlink loop (replace the link by the file itself)"]


@pytest.mark.parametrize(("rel", "line"), [
    (f"episodes/{SLUG}/transcript.vtt", f"error: episodes/{SLUG}/transcript.vtt: cannot be read (permission denied: let the user running artoiscast read it)"),
    (f"episodes/{SLUG}/chapters.yaml", f"error: episodes/{SLUG}/chapters.yaml: cannot be read (permission denied: let the user running artoiscast read it)"),
    (f"episodes/{SLUG}/audio.wav", f'error: {EP}: audio: "audio.wav" cannot be read (permission denied: let the user running artoiscast read it)'),
    ("cover.png", 'error: podcast.yaml: artwork: "cover.png" cannot be read (permission denied: let the user running artoiscast read it)'),
    # 20. an unreadable episode.yaml, episode folder, feeds folder
    (EP, f"error: {EP}: cannot be read (permission denied: let the user running artoiscast read it)"),
    (f"episodes/{SLUG}", f"error: episodes/{SLUG}: cannot read the folder (permission denied: let the user running artoiscast read it)"),
    ("feeds", "error: feeds: cannot read the folder (permission denied: let the user running artoiscast read it)"),
])
def test_an_unreadable_file_or_folder_is_one_line(root: Path, rel: str, line: str) -> None:
    """Run without root's power to read everything: as the producer's own account would."""
    (root / rel).chmod(0)
    try:
        result = run(unprivileged(cli_cmd("check", "--root", root)))
    finally:
        (root / rel).chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [line]


def test_an_unreadable_episode_folder_is_not_missing_its_episode_yaml(root: Path) -> None:
    folder = root / "episodes" / SLUG
    folder.chmod(0)
    try:
        result = run(unprivileged(cli_cmd("check", "--catalog-only", "--root", root)))
    finally:
        folder.chmod(0o755)
    assert "missing" not in result.stderr
    assert result.stderr.splitlines() == [f"error: episodes/{SLUG}: cannot read the folder (permission denied: let the user running artoiscast read it)"]


# ---------------------------------------------------------------- 3. http(s) only, every URL field

BAD_URL = "is not an http(s) URL (write the full address, e.g. https://example.org/page)"


@pytest.mark.parametrize(("rel", "old", "new", "field"), [
    (EP, '    role: "ingénieure en chef des mines"', '    role: "x"\n    url: "{url}"', "guests[0].url"),
    (EP, '    role: "ingénieure en chef des mines"', '    role: "x"\n    image: "{url}"', "guests[0].image"),
    ("podcast.yaml", 'copyright: "René Lavergne"', 'copyright: "x"\nlink: "{url}"', "link"),
    ("podcast.yaml", 'copyright: "René Lavergne"', 'copyright: "x"\nstorage: {{endpoint_url: "{url}"}}',
     "storage.endpoint_url"),
])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:msgbox(1)", "//evil.example/x", "images/guest.jpg"])
def test_only_http_urls_in_every_url_field(root: Path, rel: str, old: str, new: str, field: str, url: str) -> None:
    edit(root, rel, old, new.format(url=url))
    shown = f'"{url}"' if len(url) < 60 else f'"{url[:57]}..."'
    assert errors_of(root) == [f"{rel}: {field}: {shown} {BAD_URL}"]


@pytest.mark.parametrize("key", ["url", "image"])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "vbscript:x", "img/a.png"])
def test_only_http_urls_in_chapters(root: Path, key: str, url: str) -> None:
    (root / "episodes" / SLUG / "chapters.yaml").write_text(
        f'- {{start: 0, title: "A"}}\n- {{start: 1, title: "B", {key}: "{url}"}}\n', encoding="utf-8")
    code, err = invoke("check", "--root", root)
    assert (code, err) == (2, [f'error: episodes/{SLUG}/chapters.yaml: [1]: {key}: "{url}" {BAD_URL}'])


@pytest.mark.parametrize(("value", "reason"), [
    ("javascript:alert(1)", '"javascript:alert(1)" is not an http(s) URL'),
    ("ftp://artoiscast.fr/", '"ftp://artoiscast.fr/" is not an http(s) URL'),
    ("notaurl", '"notaurl" is not an http(s) URL'),
    ("https://artoiscast.fr/?x=1", '"https://artoiscast.fr/?x=1" has a query or fragment (the base URL is a folder:'),
])
def test_base_url_in_podcast_yaml_and_on_the_command_line(root: Path, value: str, reason: str) -> None:
    edit(root, "podcast.yaml", 'base_url: "https://artoiscast.example/"', f'base_url: "{value}"')
    (line,) = errors_of(root)
    assert line.startswith(f"podcast.yaml: base_url: {reason}")
    edit(root, "podcast.yaml", f'base_url: "{value}"', 'base_url: "https://artoiscast.example/"')
    for command in (["build"], ["embed", "energy"]):
        code, err = invoke(*command, "--root", root, "--base-url", value)
        assert code == 2 and len(err) == 1 and err[0].startswith(f"error: --base-url: {reason}"), (command, err)


def test_base_url_on_the_command_line_gets_its_slash_as_in_the_catalog(root: Path) -> None:
    edit(root, "podcast.yaml", 'base_url: "https://artoiscast.example/"', 'base_url: "https://artoiscast.example"')
    assert load_catalog(root).podcast.base_url == "https://artoiscast.example/"
    result = CliRunner().invoke(cli, ["embed", "energy", "--root", str(root), "--base-url", "http://127.0.0.1:8000"])
    assert result.exit_code == 0
    assert 'src="http://127.0.0.1:8000/embed/energy.html?n=5"' in result.stdout


def test_base_url_value_is_the_one_check() -> None:
    from artoiscast.catalog import base_url_value, http_url_value

    assert base_url_value("https://a.example", "--base-url") == "https://a.example/"
    assert http_url_value("http://127.0.0.1:8333", "--endpoint-url") == "http://127.0.0.1:8333"
    with pytest.raises(CatalogError) as info:
        http_url_value("notaurl", "--endpoint-url")
    assert info.value.line() == f'--endpoint-url: "notaurl" {BAD_URL}'


# ---------------------------------------------------------------- 6. dates are dates


@pytest.mark.parametrize(("value", "shown"), [
    ("20250619", "20250619"), ("2025.06", "2025.06"), ("true", "True"), ('"20250619"', '"20250619"'),
    ("1e9", '"1e9"'), ("[2025, 6, 19]", "a list"),
])
def test_a_date_that_is_not_a_date_is_refused(root: Path, value: str, shown: str) -> None:
    edit(root, EP, "date: 2025-03-01", f"date: {value}")
    assert errors_of(root) == [f"{EP}: date: {shown} is not a date (use YYYY-MM-DD)"]


@pytest.mark.parametrize(("value", "published"), [
    ("2024-12-17", datetime(2024, 12, 17, tzinfo=PARIS)),
    ("2024-12-17T10:05", datetime(2024, 12, 17, 10, 5, tzinfo=PARIS)),
    ('"2024-12-17T10:05:00+01:00"', datetime(2024, 12, 17, 10, 5, tzinfo=PARIS)),
    ("2024-07-01T10:05:00+02:00", datetime(2024, 7, 1, 10, 5, tzinfo=PARIS)),
])
def test_dates_and_date_times_are_accepted(root: Path, value: str, published: datetime) -> None:
    edit(root, EP, "date: 2025-03-01", f"date: {value}")
    ep = next(e for e in load_catalog(root).episodes if e.slug == SLUG)
    assert ep.published == published


# ---------------------------------------------------------------- 10. chapter times


@pytest.mark.parametrize(("start", "reason"), [
    (".nan", "nan is not a time (use HH:MM:SS.mmm or seconds)"),
    ("-5", "-5 is negative (the first chapter starts at 0)"),
    ("-.inf", "-inf is negative (the first chapter starts at 0)"),
    (".inf", "inf is longer than any episode (at most 100 hours)"),
    ("1e308", '"1e308" is not a time (use HH:MM:SS.mmm or seconds)'),
    ("1.0e+308", "1e+308 is longer than any episode (at most 100 hours)"),
])
def test_a_chapter_at_nan_negative_or_huge_times_is_refused_by_check(root: Path, start: str, reason: str) -> None:
    (root / "episodes" / SLUG / "chapters.yaml").write_text(
        f'- {{start: 0, title: "A"}}\n- {{start: {start}, title: "B"}}\n', encoding="utf-8")
    code, err = invoke("check", "--root", root)
    assert (code, err) == (2, [f"error: episodes/{SLUG}/chapters.yaml: [1]: start: {reason}"])


def test_a_negative_chapter_is_refused_by_build_naming_chapters_yaml(root: Path) -> None:
    (root / "episodes" / SLUG / "chapters.yaml").write_text('- {start: -5, title: "A"}\n', encoding="utf-8")
    code, err = invoke("build", "--root", root)
    assert (code, err) == (2, [f"error: episodes/{SLUG}/chapters.yaml: [0]: start: -5 is negative "
                                "(the first chapter starts at 0)"])


# ---------------------------------------------------------------- 12. artwork


def _png_header_only(path: Path, w: int, h: int) -> Path:
    """A small PNG that declares w x h pixels (a decompression bomb: a few hundred bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(("side", "megapixels"), [(15000, 225), (10000, 100)])
def test_a_decompression_bomb_is_refused_before_decoding(root: Path, side: int, megapixels: int) -> None:
    _png_header_only(root / "cover.png", side, side)
    code, err = invoke("check", "--root", root)
    assert (code, err) == (2, [f'error: podcast.yaml: artwork: "cover.png" declares {megapixels} megapixels: refused '
                                "before decoding (apps need a square of 1400 to 3000 px)"])


def test_a_truncated_cover_is_refused_by_check_and_by_build(root: Path) -> None:
    data = (root / "cover.png").read_bytes()
    (root / "cover.png").write_bytes(data[: len(data) // 2])
    line = 'error: podcast.yaml: artwork: "cover.png" cannot be decoded (image file is truncated); save it again'
    assert invoke("check", "--root", root) == (2, [line])
    assert invoke("build", "--root", root) == (2, [line])


def test_check_does_not_import_build() -> None:
    code = "import sys, artoiscast.check; sys.exit('artoiscast.build' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------- 13. deep YAML, 17. keys twice


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("rel", ["podcast.yaml", "feeds/energy.yaml", EP, f"episodes/{SLUG}/chapters.yaml"])
@pytest.mark.parametrize("depth", [100, 5000, 300_000])
def test_yaml_nested_thousands_deep_is_one_line(root: Path, rel: str, depth: int) -> None:
    path = root / rel
    prefix = "- " if rel.endswith("chapters.yaml") else "title: "
    path.write_text(f"{prefix}{_nested(depth)}\n", encoding="utf-8")
    code, err = invoke("check", "--catalog-only", "--root", root)
    assert code == 2
    column = len(prefix) + 64  # the bracket that opens level 65 (the file's own list or mapping is level 1)
    assert f"error: {rel}: line 1, column {column}: nested deeper than 64 levels (write the data flatter)" in err


@pytest.mark.parametrize("text", [
    "".join(" " * i + "k:\n" for i in range(100)) + " " * 100 + "x: 1\n",  # block mappings
    "- " * 100 + "x\n",  # compact lists
    "a: &a " + _nested(70) + "\nb: *a\n",  # through PyYAML's constructor (an alias)
    "other:\n  <<: {x: 1}\n  deep: " + _nested(70) + "\n",  # through PyYAML's constructor (a merge key)
])
def test_every_way_of_nesting_is_bounded(tmp_path: Path, text: str) -> None:
    from artoiscast.yamlio import load_yaml

    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_yaml(tmp_path / "f.yaml", "f.yaml")
    assert info.value.reason == "nested deeper than 64 levels (write the data flatter)"


def test_an_alias_cannot_multiply_depth(tmp_path: Path) -> None:
    """Each level under 64, but used through aliases the data would nest 4 x 40 deep."""
    from artoiscast.yamlio import load_yaml

    text = "a: &a " + _nested(40) + "\n"
    for prev, name in zip("abc", "bcd", strict=True):
        text += f"{name}: &{name} " + "[" * 39 + f"*{prev}" + "]" * 39 + "\n"
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_yaml(tmp_path / "f.yaml", "f.yaml")
    assert info.value.reason == "nested deeper than 64 levels (write the data flatter)"


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    (EP, "themes: [economy]", "themes: [economy]\ntitle: \"Encore\"",
     f'{EP}: title: key "title" is given twice (line 5; keep one)'),
    (EP, '    role: "ingénieure en chef des mines"', '    role: "x"\n    name: "Autre"',
     f'{EP}: guests[0].name: key "name" is given twice (line 9; keep one)'),
    (EP, "{name: \"Lens\", country: FR}", "{name: \"Lens\", country: FR, name: \"Liévin\"}",
     f'{EP}: location.name: key "name" is given twice (line 9; keep one)'),
    ("podcast.yaml", "language: fr", "language: fr\nauthor: \"X\"",
     'podcast.yaml: author: key "author" is given twice (line 7; keep one)'),
    ("feeds/energy.yaml", "themes: [energy]", "themes: [energy]\nthemes: [economy]",
     'feeds/energy.yaml: themes: key "themes" is given twice (line 6; keep one)'),
    # the same through PyYAML's constructor: a file with an alias, a merge key
    (EP, "themes: [economy]", "themes: &t [economy]\ntitle: *t",
     f'{EP}: title: key "title" is given twice (line 5; keep one)'),
    (EP, '    role: "ingénieure en chef des mines"', '    <<: {organisation: "y"}\n    role: "x"\n    role: "z"',
     f'{EP}: guests[0].role: key "role" is given twice (line 10; keep one)'),
])
def test_a_key_given_twice_is_refused(root: Path, rel: str, old: str, new: str, line: str) -> None:
    edit(root, rel, old, new)
    assert errors_of(root) == [line]


def test_a_key_given_twice_in_chapters_is_refused(root: Path) -> None:
    (root / "episodes" / SLUG / "chapters.yaml").write_text('- {start: 0, title: "A"}\n- start: 1\n  title: "B"\n'
                                                             '  title: "C"\n', encoding="utf-8")
    assert invoke("check", "--root", root) == (
        2, [f'error: episodes/{SLUG}/chapters.yaml: [1].title: key "title" is given twice (line 4; keep one)'])


# ---------------------------------------------------------------- 21. misspelt nested keys, 22. hints


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    (EP, '  - name: "Mélanie Delots"', '  - nom: "Mélanie Delots"', f"{EP}: guests[0].nom: unknown key (did you mean 'name'?)"),
    (EP, '{name: "Lens", country: FR}', '{nme: "Lens", country: FR}', f"{EP}: location.nme: unknown key (did you mean 'name'?)"),
    (EP, '{name: "Lens", country: FR}', '{nom: "Lens", country: FR}', f"{EP}: location.nom: unknown key (did you mean 'name'?)"),
    ("podcast.yaml", "bitrate: 128", "bitrte: 128", "podcast.yaml: audio.bitrte: unknown key (did you mean 'bitrate'?)"),
    ("podcast.yaml", "language: fr", "language: fr\nstorage: {bukcet: x}",
     "podcast.yaml: storage.bukcet: unknown key (did you mean 'bucket'?)"),
    ("podcast.yaml", 'owner: {name: "René Lavergne"', 'owner: {nam: "René Lavergne"',
     "podcast.yaml: owner.nam: unknown key (did you mean 'name'?)"),
    ("feeds/energy.yaml", 'text: "Science"', 'txt: "Science"', "feeds/energy.yaml: category.txt: unknown key (did you mean 'text'?)"),
])
def test_a_misspelt_nested_key_is_one_line_with_a_suggestion(root: Path, rel: str, old: str, new: str, line: str) -> None:
    edit(root, rel, old, new)
    assert errors_of(root, check_files=False) == [line]


def test_no_podcast_yaml_says_what_to_write(tmp_path: Path) -> None:
    code, err = invoke("check", "--root", tmp_path)
    assert (code, err) == (2, [
        "error: podcast.yaml: not found (create it with title, description, author, base_url, artwork and guid: see the "
        "README's catalog section, or --root the catalog folder)"])
    src = Path(__file__).resolve().parents[1] / "src"
    assert not [p for p in src.rglob("*.py") if "artoiscast init" in p.read_text(encoding="utf-8")]


# ---------------------------------------------------------------- characters no feed can carry


@pytest.mark.parametrize(("rel", "old", "new", "line"), [
    (EP, 'summary: "', 'summary: "\\x01 ', f"{EP}: summary: holds the control character U+0001, which no feed can "
                                            "carry (remove it)"),
    (EP, '- name: "Mélanie Delots"', '- name: "Mélanie\\x1bDelots"',
     f"{EP}: guests[0].name: holds the control character U+001B, which no feed can carry (remove it)"),
    ("podcast.yaml", 'title: "', 'title: "\\uFFFE', "podcast.yaml: title: holds the control character U+FFFE, "
                                                     "which no feed can carry (remove it)"),
])
def test_a_character_xml_cannot_hold_is_refused(root: Path, rel: str, old: str, new: str, line: str) -> None:
    edit(root, rel, old, new)
    assert errors_of(root) == [line]
    code, lines = invoke("build", "--root", root)  # once crashed the feed writer with a traceback
    assert (code, lines) == (2, [f"error: {line}"])


def test_a_chapter_title_xml_cannot_hold_is_refused(root: Path) -> None:
    (root / "episodes" / SLUG / "chapters.yaml").write_text('- {start: 0, title: "A\\x02"}\n', encoding="utf-8")
    assert invoke("check", "--root", root) == (
        2, [f"error: episodes/{SLUG}/chapters.yaml: [0].title: holds the control character U+0002, which no feed "
            "can carry (remove it)"])
