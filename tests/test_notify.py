"""Apps know at once: after a publish that changed a feed, WebSub hubs, the Podcast Index and
Podping are told, over real HTTP to recording servers on 127.0.0.1; a failure never fails the
publish, is one line, and is sent again by the next publish (issue 14, item 5)."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from artoiscast import notify
from artoiscast.catalog import load_catalog
from artoiscast.cli import cli
from artoiscast.config import NotifySettings
from conftest import make_catalog

BASE = "https://artoiscast.example/"
FEEDS = ["all", "economy", "energy", "publisher"]
FEED_URLS = [f"{BASE}feeds/{name}.xml" for name in FEEDS]
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
TOKEN = "Blahblah^^12345678"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """An HTTP server on 127.0.0.1 that records every request; ``status[path]`` chooses the answer."""

    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def serve(port: int = 0) -> tuple[Recorder, http.server.ThreadingHTTPServer]:
    rec = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec.seen.append(Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body))
            code = rec.status.get(parts.path, 204 if self.command == "POST" else 200)
            data = rec.bodies.get(parts.path, b"")
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", "https://elsewhere.example/hub")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    rec.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return rec, server


@pytest.fixture
def hub() -> Iterator[Recorder]:
    rec, server = serve()
    yield rec
    server.shutdown()
    server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, tools: None) -> Path:
    """A catalog ingested once for the module; each test copies it (the ingest cache comes along)."""
    from artoiscast.build import build

    root = make_catalog(tmp_path_factory.mktemp("tpl") / "show")
    build(root)
    return root


@pytest.fixture
def show(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "show"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("site", "public", "stamp.json"))
    return root


def set_notify(root: Path, text: str) -> None:
    path = root / "podcast.yaml"
    path.write_text(path.read_text(encoding="utf-8").split("notify:")[0] + text, encoding="utf-8")


def publish(root: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["publish", "--root", str(root), *args])
    return res.exit_code, res.stdout, res.stderr


def notify_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: notify:")]


def test_each_changed_feed_is_announced_as_websub_and_the_services_ask(
        show: Path, hub: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PODPING_TOKEN", TOKEN)
    set_notify(show, f"""notify:
  websub: ["{hub.url('/hub')}", "{hub.url('/second/hub?key=1')}"]
  podcast_index: true
  podcast_index_endpoint: "{hub.url('/api/1.0/hub/pubnotify')}"
  podping: {{endpoint: "{hub.url('/')}", token_env: TEST_PODPING_TOKEN}}
""")
    code, out, err = publish(show)
    assert code == 0, err
    assert notify_lines(err) == [] and "pings: 16 sent" in out

    # WebSub: one POST per feed and hub, form-encoded hub.mode=publish and hub.url (and nothing else)
    for path in ("/hub", "/second/hub"):
        posts = hub.at(path)
        assert sorted(parse_qs(p.body.decode("ascii"), strict_parsing=True)["hub.url"][0] for p in posts) == FEED_URLS
        for p in posts:
            assert p.method == "POST"
            assert p.headers["Content-Type"] == "application/x-www-form-urlencoded"
            assert int(p.headers["Content-Length"]) == len(p.body)
            form = parse_qs(p.body.decode("ascii"), strict_parsing=True)
            assert set(form) == {"hub.mode", "hub.url"} and form["hub.mode"] == ["publish"]
            assert len(form["hub.url"]) == 1
    assert all(p.query == {"key": ["1"]} for p in hub.at("/second/hub"))  # the hub's own query is kept

    # the Podcast Index: GET hub/pubnotify?url=<feed>; Podping: GET /?url=<feed> with the token
    index = hub.at("/api/1.0/hub/pubnotify")
    assert [s.method for s in index] == ["GET"] * 4
    assert sorted(s.query["url"][0] for s in index) == FEED_URLS and all(len(s.query) == 1 for s in index)
    pings = hub.at("/")
    assert sorted(s.query["url"][0] for s in pings) == FEED_URLS
    assert all(s.headers["Authorization"] == TOKEN and s.headers["User-Agent"].startswith("artoiscast/")
               for s in pings)
    assert len(hub.seen) == 16

    # every feed names its hubs, and says it uses Podping
    public = show / "public" / "feeds"
    for name in FEEDS:
        xml = (public / f"{name}.xml").read_bytes()
        links = feedparser.parse(xml).feed.links
        assert [(link.rel, link.href) for link in links if link.rel in ("self", "hub")] == [
            ("self", f"{BASE}feeds/{name}.xml"), ("hub", hub.url("/hub")), ("hub", hub.url("/second/hub?key=1"))]
        podping = etree.fromstring(xml).findall(f"channel/{{{PODCAST_NS}}}podping")
        assert [p.attrib for p in podping] == [{"usesPodping": "true"}]
    check = CliRunner().invoke(cli, ["check", "--root", str(show)])
    assert check.exit_code == 0, check.stderr  # the linter knows the tags

    # nothing changed and nothing waiting: nobody is told
    hub.seen.clear()
    code, out, err = publish(show)
    assert code == 0 and "uploaded 0 objects" in out and "ping" not in out + err
    assert hub.seen == []
    assert notify.load(show / "build" / notify.STATE) == []


def test_a_hub_that_fails_never_fails_the_publish_and_is_sent_again_next_time(
        show: Path, hub: Recorder) -> None:
    closed = free_port()
    hub.status["/hub"] = 500
    hub.bodies["/hub"] = b"hub\nbroken\x1b[31m"
    set_notify(show, f'notify: {{websub: ["{hub.url("/hub")}", "http://127.0.0.1:{closed}/"]}}\n')
    code, out, err = publish(show)
    assert code == 0, err
    assert re.search(r"uploaded [1-9][0-9]* objects", out)  # the publish itself went through
    lines = notify_lines(err)
    assert len(lines) == 8  # one line per hub and feed, naming both and why
    for url in FEED_URLS:
        assert [line for line in lines if f" {hub.url('/hub')}: {url}: HTTP 500 Internal Server Error: hub broken"
                f" [31m (kept" in line]
        assert [line for line in lines if f" http://127.0.0.1:{closed}/: {url}: connection refused (kept" in line]
    state = show / "build" / notify.STATE
    assert len(notify.load(state)) == 8
    assert json.loads(state.read_text())["version"] == 1
    assert [p.name for p in state.parent.iterdir() if p.name.startswith(".notify")] == []  # no temporary left

    # both hubs come back; the next publish changes nothing, and sends the 8 pings waiting
    hub.status["/hub"] = 202
    second, server = serve(closed)
    try:
        hub.seen.clear()
        code, out, err = publish(show)
        assert code == 0 and "uploaded 0 objects" in out and "pings: 8 sent" in out
        assert notify_lines(err) == []
        for rec, path in ((hub, "/hub"), (second, "/")):
            assert sorted(parse_qs(s.body.decode())["hub.url"][0] for s in rec.at(path)) == FEED_URLS
        assert notify.load(state) == []
        hub.seen.clear()
        second.seen.clear()
        code, out, err = publish(show)  # and then nothing more
        assert code == 0 and hub.seen == [] and second.seen == []
    finally:
        server.shutdown()
        server.server_close()


def test_dry_run_pings_nothing_and_no_notify_queues_nothing(show: Path, hub: Recorder) -> None:
    set_notify(show, f'notify: {{websub: ["{hub.url("/hub")}"]}}\n')
    code, out, err = publish(show, "--dry-run")
    assert code == 0, err
    assert out.count(f"  ping  websub {hub.url('/hub')}  ") == 4 and "would send 4 pings" in out
    assert hub.seen == [] and not (show / "build" / notify.STATE).exists()
    code, out, err = publish(show, "--no-notify")
    assert code == 0 and "uploaded" in out and hub.seen == []
    assert notify.load(show / "build" / notify.STATE) == []
    # an explicit notify --all tells the hub of every feed
    res = CliRunner().invoke(cli, ["notify", "--root", str(show), "--all"])
    assert res.exit_code == 0, res.stderr
    assert "pings: 4 sent" in res.stdout
    assert sorted(parse_qs(s.body.decode())["hub.url"][0] for s in hub.at("/hub")) == FEED_URLS
    res = CliRunner().invoke(cli, ["notify", "--root", str(show)])
    assert res.exit_code == 0 and "no ping waiting" in res.stdout and len(hub.seen) == 4


def test_podping_without_its_token_is_one_line_and_waits(show: Path, hub: Recorder,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PODPING_TOKEN", raising=False)
    set_notify(show, f'notify: {{podping: {{endpoint: "{hub.url("/")}"}}}}\n')
    code, out, err = publish(show)
    assert code == 0, err
    lines = notify_lines(err)
    assert len(lines) == 4 and all("$PODPING_TOKEN is not set" in line for line in lines)
    assert hub.seen == [] and len(notify.load(show / "build" / notify.STATE)) == 4
    monkeypatch.setenv("PODPING_TOKEN", TOKEN)
    code, out, err = publish(show)
    assert code == 0 and "pings: 4 sent" in out and [s.headers["Authorization"] for s in hub.seen] == [TOKEN] * 4


# ---------------------------------------------------------------- each answer, one ping at a time


def test_what_each_answer_means(hub: Recorder) -> None:
    settings = NotifySettings(timeout=1)
    feed = f"{BASE}feeds/all.xml"
    hub.status.update({"/moved": 301, "/gone": 404})
    hub.bodies["/index-no"] = b'{"status": "false", "description": "No feeds match this url."}'
    hub.bodies["/index-yes"] = b'{"status": "true", "description": "Feed marked for immediate update."}'
    assert notify.send(notify.Ping("websub", hub.url("/hub"), feed), settings) is None
    assert notify.send(notify.Ping("websub", hub.url("/moved"), feed), settings) == (
        "HTTP 301: redirected to https://elsewhere.example/hub (name that address in podcast.yaml)")
    assert notify.send(notify.Ping("podcast-index", hub.url("/gone"), feed), settings) == "HTTP 404 Not Found"
    assert notify.send(notify.Ping("podcast-index", hub.url("/index-yes"), feed), settings) is None
    assert notify.send(notify.Ping("podcast-index", hub.url("/index-no"), feed), settings) == (
        "refused: No feeds match this url.")
    assert [s.method for s in hub.seen] == ["POST", "POST", "GET", "GET", "GET"]  # the redirect was not followed
    # a server that takes the connection and never answers costs one timeout
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        assert notify.send(notify.Ping("websub", url, feed), NotifySettings(timeout=0.3)) == "no answer within 0.3 s"


def test_the_queue_keeps_only_what_the_settings_still_name(tmp_path: Path, hub: Recorder) -> None:
    state = tmp_path / "build" / notify.STATE
    old = notify.Ping("websub", "https://removed.example/", FEED_URLS[0])
    keep = notify.Ping("websub", hub.url("/hub"), FEED_URLS[0])
    notify.queue(state, [old, keep])
    assert notify.load(state) == sorted([old, keep])
    report = notify.deliver(state, NotifySettings(websub=[hub.url("/hub")]))
    assert report.sent == [keep] and report.failed == [] and notify.load(state) == []
    assert len(hub.seen) == 1  # the hub no longer named was not asked
    state.write_text("{not json")  # a broken queue is an empty one, not a crash
    assert notify.load(state) == []


# ---------------------------------------------------------------- the settings and the feeds


@pytest.mark.parametrize("text, line", [
    ('notify: {websub: ["javascript:alert(1)"]}',
     'podcast.yaml: notify.websub[0]: "javascript:alert(1)" is not an http(s) URL'),
    ('notify: {websub: ["https://hub.example/", "https://hub.example/"]}',
     'podcast.yaml: notify.websub: "https://hub.example/" is given twice (keep one)'),
    ('notify: {podcast_index_endpoint: "ftp://x.example/"}',
     'podcast.yaml: notify.podcast_index_endpoint: "ftp://x.example/" is not an http(s) URL'),
    ('notify: {podping: {token_env: "A B"}}', 'podcast.yaml: notify.podping.token_env: "A B" has the wrong form'),
    ('notify: {websub: ["https://me:secret@hub.example/"]}',
     "podcast.yaml: notify.websub: hub 1 holds a user name or password, which every feed would publish"),
    ("notify: {timeout: 0}", "podcast.yaml: notify.timeout: Input should be greater than 0"),
    ("notify: {websubs: []}", "podcast.yaml: notify.websubs: unknown key (did you mean 'websub'?)"),
])
def test_bad_notify_settings_are_one_line_each(tmp_path: Path, text: str, line: str) -> None:
    root = make_catalog(tmp_path / "show", with_audio=False)
    set_notify(root, text + "\n")
    res = CliRunner().invoke(cli, ["check", "--catalog-only", "--root", str(root)])
    assert res.exit_code == 2
    errors = [x for x in res.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {line}"), res.stderr


def test_the_tags_are_there_only_when_configured_and_both_renderers_agree(tmp_path: Path) -> None:
    from test_feeds import _published, assert_fast_is_plain

    root = make_catalog(tmp_path / "show", with_audio=False)
    for text, hubs, podping in (("", [], False),
                                ('notify: {websub: ["https://hub.example/", "https://pubsubhubbub.appspot.com/"], '
                                 "podcast_index: true}",
                                 ["https://hub.example/", "https://pubsubhubbub.appspot.com/"], False),
                                ("notify: {podping: {}}", [], True)):
        set_notify(root, text + "\n")
        cat = load_catalog(root, check_files=False)
        published = _published(cat, [])
        items = {name: [pe for pe in published if feed.takes(pe.episode)] for name, feed in cat.feeds.items()}
        for name, xml in assert_fast_is_plain(cat, items, base=BASE).items():
            parsed = feedparser.parse(xml)
            assert [link.href for link in parsed.feed.links if link.rel == "hub"] == hubs, (text, name)
            assert [link.href for link in parsed.feed.links if link.rel == "self"] == [f"{BASE}feeds/{name}.xml"]
            tags = etree.fromstring(xml).findall(f"channel/{{{PODCAST_NS}}}podping")
            assert len(tags) == (1 if podping else 0), (text, name)
