"""The OPAWG user-agents-v2 classification (artoiscast.stats.agents), its vendored data and the
refresh command (scripts/update-user-agents), tested against local copies only (never the network)."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import http.server
import importlib.machinery
import importlib.util
import json
import random
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from artoiscast.stats import agents, patterns
from artoiscast.stats.agents import Agent, classify, clean, excluded
from artoiscast.stats.patterns import PatternError, compile_js, js_to_python, utf16

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "update-user-agents"
MIRROR = Path("/work/.mirror/opawg+user-agents-v2/repo")  # a bare clone of upstream, when this machine has one
VENDORED = [*(f"{name}.json" for name in agents.FILES), "LICENSE"]


def entity_examples() -> list[tuple[str, str, str]]:
    return list(agents.examples(files=agents.ENTITY_FILES))


# --- the vendored data ---------------------------------------------------------------------------

def test_data_commit_is_the_upstream_file_commit() -> None:
    fields = agents.read_upstream(agents.DATA_DIR / "UPSTREAM")
    assert agents.DATA_COMMIT == fields["commit"] == "8008a31b7d348cd5722656c9d3e2d0c1cd6af212"
    assert fields["repository"] == "https://github.com/opawg/user-agents-v2"
    assert fields["date"].startswith("2026-08-06")
    for name in VENDORED:  # the checksums UPSTREAM names are the files'
        assert fields[f"sha256 {name}"] == hashlib.sha256((agents.DATA_DIR / name).read_bytes()).hexdigest()
    assert (agents.DATA_DIR / "LICENSE").read_text().startswith("MIT License")
    assert "scripts/update-user-agents" in (agents.DATA_DIR / "UPSTREAM").read_text()


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no local clone of opawg/user-agents-v2")
def test_vendored_files_are_upstream_bytes_at_data_commit() -> None:
    for name in VENDORED:
        path = "LICENSE" if name == "LICENSE" else f"src/{name}"
        upstream = subprocess.run(["git", "-C", str(MIRROR), "show", f"{agents.DATA_COMMIT}:{path}"],
                                  capture_output=True, check=True).stdout
        assert (agents.DATA_DIR / name).read_bytes() == upstream, name


def test_package_data_ships_the_lists() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["artoiscast"]
    package = REPO / "src" / "artoiscast"
    for path in agents.DATA_DIR.iterdir():
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, g) for g in globs), relative


def test_importing_loads_nothing() -> None:
    code = ("import artoiscast.stats.agents as a, sys; "
            "print(a.lists.cache_info().currsize, a._agent_of.cache_info().currsize, a.DATA_COMMIT[:7])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(REPO / "src")})
    assert done.stdout.split() == ["0", "0", "8008a31"]


def test_every_pattern_compiles_and_every_example_is_its_own_entry() -> None:
    """Upstream's own test (patterns_test.ts) and more: agents.check on the vendored copy runs
    every example through the whole algorithm, the plain path, and compares the fast path."""
    assert agents.check(agents.DATA_DIR) == []
    tables = agents.lists().tables
    assert {f: len(t.names) for f, t in tables.items()} == {
        "bots": 295, "apps": 559, "libraries": 58, "browsers": 11, "devices": 20, "referrers": 69}


def test_every_entity_example_classifies_to_itself_through_classify() -> None:
    kinds = agents.KIND_OF_FILE
    examples = entity_examples()
    assert len(examples) > 1400
    for file, name, example in examples:
        agent = classify(example)
        assert (agent.kind, agent.name) == (kinds[file], name), example


def test_device_and_referrer_examples_are_first_matches() -> None:
    """Upstream only checks these match their own pattern; all but one are also the first match
    of their file. The exception (upstream's, kept: the algorithm is upstream's): Overcast's
    watch app says CFNetwork, which "Apple iPhone" (before "Apple Watch") matches."""
    tables = agents.lists().tables
    others = []
    for file, name, example in agents.examples(files=("devices", "referrers")):
        found = tables[file].first(clean(example))
        assert found is not None, example
        if tables[file].names[found] != name:
            others.append((name, tables[file].names[found], example))
    assert others == [("Apple Watch", "Apple iPhone", "Watch/1140 CFNetwork/3860.200.71 Darwin/25.1.0")]


# --- JavaScript patterns in Python ---------------------------------------------------------------

# (pattern, string, what JavaScript's new RegExp(pattern).test(string) gives: checked with node 20)
JS_CASES = [
    ("^Foo/\\d", "Foo/\u0663", False), ("^Foo/\\d", "Foo/3", True),  # \d is ASCII
    ("^Times(%20|\\s)Radio", "Times\u00a0Radio", True), ("^Times(%20|\\s)Radio", "Times\x1cRadio", False),
    ("^Times(%20|\\s)Radio", "Times\ufeffRadio", True), ("^Times(%20|\\s)Radio", "Times\x85Radio", False),
    ("^https://(\\w*\\.)?pandora\\.com/", "https://\u00e9.pandora.com/", False),
    ("^https://(\\w*\\.)?pandora\\.com/", "https://www.pandora.com/", True),
    ("Foo$", "Foo\n", False), ("Foo$", "Foo", True),  # $ is the end only
    ("a.b", "a\rb", False), ("a.b", "a\u2028b", False), ("a.b", "a\u2029b", False), ("a.b", "a\x85b", True),
    ("^.$", "\U0001f600", False), ("^..$", "\U0001f600", True),  # UTF-16 code units
    ("x{,3}", "x{,3}", True), ("x{,3}", "xxx", False), ("a{2}", "aa", True),  # {,3} is no quantifier
    ("[a|b]", "|", True), ("\\bfoo", "\u00e9foo", True), ("\\bfoo", "afoo", False),
    ("[^\\s]x", "\u00a0x", False), ("\\S", "\u3000", False), ("[\\s]", "\ufeff", True),
    ("a\\.b", "a.b", True), ("a\\/b", "a/b", True), ("https\\://", "https://", True), ("[\\d.]+$", "1.2", True),
    ("(?:ab)+$", "abab", True), ("a(?=b)", "ab", True), ("a(?!b)", "ab", False), ("\\x41", "A", True),
    ("\\u00e9", "\u00e9", True), ("a}", "a}", True), ("a]", "a]", True), ("[\\b]", "\b", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), JS_CASES)
def test_translation_matches_what_javascript_matches(pattern: str, text: str, expected: bool) -> None:
    assert bool(compile_js(pattern).search(patterns.utf16(text))) is expected


def test_plain_python_re_would_differ() -> None:
    """Why the translation exists: read as Python patterns, these give other answers."""
    import re
    differ = [(p, t) for p, t, expected in JS_CASES if bool(re.search(p, t)) is not expected]
    assert ("^Foo/\\d", "Foo/\u0663") in differ and ("Foo$", "Foo\n") in differ
    assert ("^Times(%20|\\s)Radio", "Times\ufeffRadio") in differ and ("a.b", "a\rb") in differ


@pytest.mark.parametrize("pattern", [
    "(?<=a)b", "(?<!a)b", "(?<name>a)", "(?i)a", "(a)\\1", "\\01", "\\cA", "\\A", "\\Z", "\\z", "\\p{L}",
    "[]a", "[^]", "a*+", "a{2}+", "[\\S]", "[a", "a\\", "\\xZ", "\\u12",
])
def test_untranslatable_constructs_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_js(pattern)


def _corpus() -> list[str]:
    """Every example, and the same strings with what JavaScript and Python read differently:
    a final newline, other spaces, control characters, non-ASCII digits, astral characters."""
    examples = [x for _, _, x in agents.examples()]
    extra = []
    for s in examples[::5]:
        extra += [s + "\n", s.replace(" ", "\u00a0"), s.replace(" ", "\u2028"), s.replace("/", "\r/"),
                  s.replace("1", "\u0661"), s + "\ufeff", s.replace(" ", "\x1c"), "\U0001f600" + s,
                  s.replace("a", "\U0001f600"), s[: len(s) // 2], s[1:]]
    return examples + extra


@pytest.mark.skipif(shutil.which("node") is None, reason="node (JavaScript) is not installed")
def test_every_pattern_matches_what_javascript_matches(tmp_path: Path) -> None:
    patterns = [e["pattern"] for f in agents.FILES
                for e in json.loads((agents.DATA_DIR / f"{f}.json").read_text())["entries"]]
    strings = _corpus()
    program = tmp_path / "match.js"
    program.write_text("let s='';process.stdin.on('data',d=>s+=d);process.stdin.on('end',()=>{"
                       "const {patterns,strings}=JSON.parse(s);process.stdout.write(JSON.stringify("
                       "patterns.map(p=>{const r=new RegExp(p);return strings.flatMap((x,i)=>r.test(x)?[i]:[])})))})")
    done = subprocess.run(["node", str(program)], input=json.dumps({"patterns": patterns, "strings": strings}),
                          capture_output=True, text=True, check=True)
    javascript = json.loads(done.stdout)
    units = [utf16(s) for s in strings]
    for pattern, expected in zip(patterns, javascript, strict=True):
        regex = compile_js(pattern)
        assert [i for i, s in enumerate(units) if regex.search(s)] == expected, pattern


# --- the fast path -------------------------------------------------------------------------------

def test_fast_path_equals_plain_path() -> None:
    """Table.first (bigram index + needed literals) against Table.first_plain (every pattern in
    order), on every example, the variants above, and seeded random splices of examples."""
    tables = agents.lists().tables
    examples = [x for _, _, x in agents.examples()]
    rng = random.Random(12)
    spliced = []
    for _ in range(1500):
        a, b = rng.choice(examples), rng.choice(examples)
        i, j = rng.randrange(len(a) + 1), rng.randrange(len(b) + 1)
        spliced += [a[:i] + b[j:], b[:j] + " " + a[i:]]
    seen = 0
    for text in map(clean, _corpus() + spliced + ["", "x", "PC", "Windows"]):
        pieces = agents.bigrams(text)
        for table in tables.values():
            assert table.first(text, pieces) == table.first_plain(text), (table.file, text)
            seen += 1
    assert seen > 30000


def test_needed_literals() -> None:
    assert patterns.needed(js_to_python("^Abandon/")) == ("Abandon/",)
    assert patterns.needed(js_to_python("Chromebook|CrOS")) == ("Chromebook", "CrOS")
    assert patterns.needed(js_to_python("(iTMS|itunesstored|itms)")) == ("iTMS", "itms", "itunesstored")
    assert patterns.needed(js_to_python("^(PodcastDL|podcastdl)/")) == ("PodcastDL", "podcastdl")
    assert patterns.needed(js_to_python("^Cast[Bb]ox|^fm\\.castbox\\.")) == ("Cast", "fm.castbox.")
    assert patterns.needed(js_to_python("a|.*")) is None  # an alternative that needs nothing
    assert patterns.needed(js_to_python("(ab)+c")) == ("ab",)


# --- classify ------------------------------------------------------------------------------------

IPHONE_APPLE = "Podcasts/1770.5 CFNetwork/1485 Darwin/23.1.0"
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Safari/537.36")
OPERA_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/126.0.0.0 Safari/537.36 OPR/112.0.0.0")
OPERA_ANDROID = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/126.0.0.0 Mobile Safari/537.36 OPR/83.0.0.0")
WATCH = "atc/1.0 watchOS/6.2.8 model/Watch3,3 hwp/t8004 build/17U63 (6; dt:155)"


def test_classify_app_device_and_bot() -> None:
    assert classify(IPHONE_APPLE) == Agent("app", "Apple Podcasts", None, "Apple iPhone", "mobile")
    antenna = classify("AntennaPod/3.4.0")
    assert (antenna.kind, antenna.name, antenna.device_category) == ("app", "AntennaPod", "mobile")
    bot = classify("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert (bot.kind, bot.name, bot.device, bot.device_category) == ("bot", "Googlebot", None, None)
    watch = classify(WATCH)  # the IAB v2.2 Apple Watch duplicate: a bot upstream, so no device
    assert (watch.kind, watch.name, watch.device) == ("bot", "Apple Podcasts (Watch)", None)
    unknown = classify("NeverSeenPlayer/0.1 (Android 14)")
    assert (unknown.kind, unknown.name, unknown.device) == ("unknown", None, "Android Phone")
    assert classify("") == Agent("unknown", None, None, None, None)


def test_classify_referrer_only_for_browsers() -> None:
    chrome = classify(CHROME_WINDOWS, "https://www.deezer.com/fr/show/1")
    assert (chrome.kind, chrome.name, chrome.device_category) == ("browser", "Chrome", "computer")
    assert (chrome.referrer, chrome.referrer_category) == ("Deezer", "app")
    assert classify(CHROME_WINDOWS, "https://artoiscast.fr/episodes/x/").referrer is None
    assert classify(CHROME_WINDOWS) == classify(CHROME_WINDOWS, "")
    app = classify(IPHONE_APPLE, "https://www.deezer.com/")
    assert app.referrer is None and app == classify(IPHONE_APPLE)


def test_classify_removes_newlines_and_is_memoised() -> None:
    assert classify("Antenna\nPod/3.4.0\r") == classify("AntennaPod/3.4.0")
    assert classify(CHROME_WINDOWS, "https://www.deezer.com/\n") == classify(CHROME_WINDOWS, "https://www.deezer.com/")
    before = classify.cache_info().hits
    for _ in range(3):
        classify(IPHONE_APPLE)
    assert classify.cache_info().hits >= before + 3


# --- excluded ------------------------------------------------------------------------------------

def _reason(user_agent: str, referer: str = "") -> str | None:
    return excluded(classify(user_agent, referer), user_agent)


def test_listeners_are_not_excluded() -> None:
    for ua in (IPHONE_APPLE, "AntennaPod/3.4.0", CHROME_WINDOWS, OPERA_ANDROID,
               "AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; fr_fr)"):
        assert _reason(ua) is None, ua
    assert _reason(OPERA_MAC, "https://artoiscast.fr/episodes/x/") is None
    assert _reason(CHROME_WINDOWS, "https://web.podfriend.com/") is None  # Podfriend's app, not its widget


def test_exclusion_reasons() -> None:
    assert _reason("") == _reason("   ") == "no-user-agent"
    assert _reason("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") == "bot"
    assert _reason(WATCH) == "bot"
    library_bots = [(name, x) for f, name, x in agents.examples(files=("libraries",))
                    if classify(x).category == "bot"]
    assert library_bots
    for name, example in library_bots:
        assert _reason(example) == "library-bot", (name, example)
    for ua in ("AcmeCrawler/1.0", "my-spider", "ROBOT-ish SearchBOT 2"):
        assert classify(ua).kind == "unknown" and _reason(ua) == "bot-like", ua
    assert _reason(CHROME_WINDOWS, "https://podverse.fm/episode/abc") == "preloading-web-app"
    assert _reason(CHROME_WINDOWS, "https://widget.podfriend.com/x") == "preloading-web-app"
    assert _reason(OPERA_MAC) == _reason(OPERA_MAC, " ") == "preloading-browser"
    reasons = {_reason(ua, ref) for ua, ref in [("", ""), (WATCH, ""), ("AcmeCrawler/1.0", ""),
                                                (library_bots[0][1], ""), (OPERA_MAC, ""),
                                                (CHROME_WINDOWS, "https://podverse.fm/")]}
    assert reasons == set(agents.REASONS)


# --- index.json: the tables ready to use ---------------------------------------------------------

def test_the_vendored_index_is_current_and_equals_a_fresh_load() -> None:
    """The fast path (index.json, patterns compiled on first use) gives load()'s very tables,
    and so the same agent for every example of every file."""
    fast, plain = agents.load_indexed(agents.DATA_DIR), agents.load(agents.DATA_DIR)
    assert fast is not None, "index.json is stale: run scripts/update-user-agents (or agents.write_index)"
    for file in agents.FILES:
        a, b = fast.tables[file], plain.tables[file]
        assert (a.names, a.categories, a.gates, dict(a.index), a.always) == \
               (b.names, b.categories, b.gates, dict(b.index), b.always)
        assert [a.patterns[n].pattern for n in range(len(a.patterns))] == [p.pattern for p in b.patterns]
    for _file, _entry, example in agents.examples():
        text = agents.clean(example)
        assert fast.entity(text) == plain.entity(text), example
        assert fast.tables["devices"].first(text) == plain.tables["devices"].first(text), example


def test_a_stale_or_broken_index_is_never_read(tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    shutil.copytree(agents.DATA_DIR, folder)
    assert agents.load_indexed(folder) is not None
    _edit(folder / "apps.json", lambda entries: entries[0].update(name="Renamed"))
    assert agents.load_indexed(folder) is None  # made from other files
    agents.write_index(folder)
    again = agents.load_indexed(folder)
    assert again is not None and again.tables["apps"].names[0] == "Renamed"
    (folder / "index.json").write_text('{"digest": ')
    assert agents.load_indexed(folder) is None
    (folder / "index.json").unlink()
    assert agents.load_indexed(folder) is None


# --- scripts/update-user-agents ------------------------------------------------------------------

@functools.cache
def _script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("update_user_agents", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _checkout(tmp_path: Path) -> Path:
    """An upstream-shaped folder (src/*.json, LICENSE) holding the vendored lists."""
    folder = tmp_path / "upstream"
    (folder / "src").mkdir(parents=True)
    for name in VENDORED:
        shutil.copy(agents.DATA_DIR / name, folder / ("LICENSE" if name == "LICENSE" else f"src/{name}"))
    return folder


def _dest(tmp_path: Path) -> Path:
    dest = tmp_path / "dest"
    shutil.copytree(agents.DATA_DIR, dest)
    return dest


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_refresh_from_a_folder_writes_the_files_and_upstream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, dest = _checkout(tmp_path), tmp_path / "fresh"
    assert _script().main(["--from", str(source), "--commit", COMMIT, "--date", "2026-09-01T00:00:00Z",
                           "--dest", str(dest)]) == 0
    assert "apps.json: 559 entries" in capsys.readouterr().out
    for name in VENDORED:
        assert (dest / name).read_bytes() == (agents.DATA_DIR / name).read_bytes()
    fields = agents.read_upstream(dest / "UPSTREAM")
    assert (fields["commit"], fields["date"]) == (COMMIT, "2026-09-01T00:00:00Z")
    assert fields["sha256 apps.json"] == hashlib.sha256((dest / "apps.json").read_bytes()).hexdigest()
    assert (dest / "index.json").read_bytes() == (agents.DATA_DIR / "index.json").read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == sorted([*VENDORED, "index.json", "UPSTREAM"])  # no temporary left


def _edit(path: Path, change: Callable[[list[Any]], object]) -> None:
    document = json.loads(path.read_text())
    change(document["entries"])
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("breakage", ["lookbehind", "misclassified example", "bad json", "licence", "missing file"])
def test_refresh_refuses_bad_lists_and_writes_nothing(tmp_path: Path, breakage: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    source, dest = _checkout(tmp_path), _dest(tmp_path)
    before = _snapshot(dest)
    if breakage == "lookbehind":
        _edit(source / "src/apps.json", lambda entries: entries[0].update(pattern="(?<=x)Abandon/"))
    elif breakage == "misclassified example":  # curl is a bot: an app cannot claim its UA
        _edit(source / "src/apps.json", lambda entries: entries[0]["examples"].append("curl/8.5.0 Abandon/1"))
    elif breakage == "bad json":
        (source / "src/devices.json").write_text('{"entries": [')
    elif breakage == "licence":
        (source / "LICENSE").write_text("All rights reserved\n")
    else:
        (source / "src/referrers.json").unlink()
    assert _script().main(["--from", str(source), "--commit", COMMIT, "--dest", str(dest)]) == 1
    err = capsys.readouterr().err
    assert "nothing written" in err
    if breakage == "misclassified example":
        assert "'curl/8.5.0 Abandon/1' classifies to bot 'curl'" in err
    assert _snapshot(dest) == before


def test_refresh_needs_a_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plain folder cannot tell its commit, nor can one inside another repository (that
    repository's HEAD is not the lists' commit)."""
    dest = _dest(tmp_path)
    before = _snapshot(dest)
    source = _checkout(tmp_path)
    assert _script().main(["--from", str(source), "--dest", str(dest)]) == 1
    assert "give --commit" in capsys.readouterr().err
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert _script().main(["--from", str(source), "--dest", str(dest)]) == 1
    assert "give --commit" in capsys.readouterr().err
    assert _snapshot(dest) == before


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no local clone of opawg/user-agents-v2")
def test_refresh_from_a_git_checkout_of_the_mirror(tmp_path: Path) -> None:
    """The command line end to end, from a local clone (commit and date from its HEAD), on
    the same machine's mirror: the vendored copy is exactly what it writes."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(MIRROR), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", agents.DATA_COMMIT], check=True)
    dest = tmp_path / "dest"
    done = subprocess.run([sys.executable, str(SCRIPT), "--from", str(clone), "--dest", str(dest)],
                          check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"user-agents-v2 {agents.DATA_COMMIT}" in done.stdout
    assert _snapshot(dest) == _snapshot(agents.DATA_DIR)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_refresh_from_a_url(tmp_path: Path) -> None:
    """--from URL: the raw files under a base URL (a local server standing in for
    raw.githubusercontent.com), the commit read from the URL; a missing file refuses."""
    site = tmp_path / "site"
    site.mkdir()
    _checkout(tmp_path).rename(site / COMMIT)
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/{COMMIT}/"
        dest = tmp_path / "dest"
        assert _script().main(["--from", base, "--dest", str(dest)]) == 0
        assert agents.read_upstream(dest / "UPSTREAM")["commit"] == COMMIT
        assert (dest / "bots.json").read_bytes() == (agents.DATA_DIR / "bots.json").read_bytes()
        (site / COMMIT / "LICENSE").unlink()
        before = _snapshot(dest)
        assert _script().main(["--from", base, "--dest", str(dest)]) == 1
        assert _snapshot(dest) == before
    finally:
        server.shutdown()
        server.server_close()
